"""Resuming a run: bit-for-bit where a straight run would be, and never from a NaN state."""

import glob
import json
import re

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from zoo import training
from zoo.core.errors import ZooError
from zoo.training import callbacks

STEPS = 6
RESUME_AT = 2


def points_config(workdir, **overrides):
    """A tiny MLP GAN on ring8: no data files, a few seconds per run."""
    settings = dict(
        model="vanilla_gan", dataset="ring8", workdir=str(workdir), steps=STEPS, batch_size=8,
        seed=3, sample_every=2, checkpoint_every=2, log_every=2, num_samples=4,
    )  # fmt: skip
    return training.TrainConfig(**{**settings, **overrides})


class _Crashed(Exception):
    """A process killed right after a checkpoint, e.g. a preempted job."""


def _train_until_crash(config, monkeypatch, step):
    save = callbacks.Checkpointer.save

    def save_then_crash(checkpointer, saved_step):
        save(checkpointer, saved_step)
        if saved_step == step:
            raise _Crashed

    with monkeypatch.context() as patch:
        patch.setattr(callbacks.Checkpointer, "save", save_then_crash)
        with pytest.raises(_Crashed):
            training.train(config)


OBJECT_GRAPH = "_CHECKPOINTABLE_OBJECT_GRAPH"


def _object_graph(serialized):
    """The checkpoint's object graph without Keras' process-wide unique names.

    `full_name`s such as `adam_12/iteration` count the objects built so far in
    the process, so a second run in one process names them differently.
    """
    graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(serialized)
    for node in graph.nodes:
        for attribute in node.attributes:
            attribute.full_name = ""
    return graph


def _read_checkpoint(workdir):
    path = tf.train.latest_checkpoint(str(workdir / "checkpoints"))
    reader = tf.train.load_checkpoint(path)
    return path, {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


WGAN_GP = {"hidden_dims": (8,), "latent_dim": 4, "d_steps": 5, "gp_weight": 10.0}
VANILLA_EVERYTHING = {"hidden_dims": (8,), "latent_dim": 4, "ema_decay": 0.9, "r1_gamma": 1.0,
                      "penalty_every": 3, "packing": 2}  # fmt: skip

# Each case resumes in one of the two ways runs get resumed. "extended":
# the first run asks for RESUME_AT steps, the rerun for STEPS. "interrupted":
# both ask for STEPS and the first dies after its checkpoint at RESUME_AT; a
# linear decay runs to `steps`, so only this way can match a straight run.
RESUME_CASES = {
    "wgan_gp_extended": (dict(model="wgan_gp", model_kwargs=WGAN_GP), "extended"),
    "vanilla_ema_linear_decay_lazy_r1_packed_interrupted": (
        dict(model="vanilla_gan", lr_decay="linear", model_kwargs=VANILLA_EVERYTHING),
        "interrupted",
    ),
}


@pytest.mark.parametrize("overrides, how", RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_train_resumed_checkpoint_equals_straight_checkpoint_in_every_variable(
    tmp_path, monkeypatch, capsys, overrides, how
):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    training.train(points_config(straight, **overrides))
    if how == "extended":
        training.train(points_config(resumed, **overrides, steps=RESUME_AT))
    else:
        _train_until_crash(points_config(resumed, **overrides), monkeypatch, RESUME_AT)
    capsys.readouterr()
    summary = training.train(points_config(resumed, **overrides))

    assert f"resuming from step {RESUME_AT}" in capsys.readouterr().out
    assert (summary["start_step"], summary["step"]) == (RESUME_AT, STEPS)
    straight_path, expected = _read_checkpoint(straight)
    resumed_path, actual = _read_checkpoint(resumed)
    assert straight_path.endswith(f"ckpt-{STEPS}") and resumed_path.endswith(f"ckpt-{STEPS}")
    assert sorted(actual) == sorted(expected)
    _assert_holds_resume_state(expected, overrides["model_kwargs"])
    for name, value in expected.items():
        if name == OBJECT_GRAPH:
            assert _object_graph(actual[name]) == _object_graph(value)
        else:
            np.testing.assert_allclose(actual[name], value, rtol=1e-6, atol=1e-7, err_msg=name)


def _assert_holds_resume_state(tensors, model_kwargs):
    """What a resume needs besides the networks: both optimizers' step counts
    and Adam slots (the step counts also key the training noise), and the EMA
    copy if kept; no noise state of its own."""

    def count(fragment):
        return sum(fragment in name for name in tensors)

    assert count("seed_state") == 0
    iterations = {n.split("/")[1]: int(v) for n, v in tensors.items() if "/_iterations/" in n}
    assert iterations == {
        "d_optimizer": STEPS * model_kwargs.get("d_steps", 1), "g_optimizer": STEPS,
    }  # fmt: skip
    # A network's weights are stored once, under its optimizer; besides the
    # step count (and a constant learning rate) the optimizer's own variables
    # are Adam's two slots per weight.
    for optimizer in ("d_optimizer", "g_optimizer"):
        weights = count(f"{optimizer}/_trainable_variables/")
        assert weights > 0 and count(f"{optimizer}/_variables/") == 2 * weights
    generator_weights = count("g_optimizer/_trainable_variables/")
    has_ema = "ema_decay" in model_kwargs
    assert count("ema_generator/") == (generator_weights if has_ema else 0)


def _finite_checkpoints(workdir):
    """Every checkpoint in the workdir, as `{path: names of non-finite float tensors}`."""
    result = {}
    for index in sorted(glob.glob(str(workdir / "checkpoints" / "ckpt-*.index"))):
        path = index.removesuffix(".index")
        reader = tf.train.load_checkpoint(path)
        dtypes = reader.get_variable_to_dtype_map()
        result[path] = [
            name
            for name in reader.get_variable_to_shape_map()
            if dtypes[name].is_floating and not np.all(np.isfinite(reader.get_tensor(name)))
        ]
    return result


# Adam moves each weight by about the learning rate per step: at 1e8 the
# discriminator's logits overflow within three steps on ring8. Its weights and
# slots are already infinite after step 2 while the losses logged at step 2,
# computed before that step's update, are still finite.
HUGE_LEARNING_RATE = 1e8


def test_train_real_divergence_stops_and_leaves_only_finite_checkpoints(tmp_path):
    config = points_config(
        tmp_path, steps=40, checkpoint_every=1, keep_checkpoints=40,
        d_learning_rate=HUGE_LEARNING_RATE, g_learning_rate=HUGE_LEARNING_RATE,
        model_kwargs={"hidden_dims": (8,), "latent_dim": 4},
    )  # fmt: skip

    with pytest.raises(ZooError, match=r"became NaN or infinite at step (\d+)") as error:
        training.train(config)

    bad_step = int(re.search(r"at step (\d+)", str(error.value)).group(1))
    assert 1 < bad_step < 40, str(error.value)
    checkpoints = _finite_checkpoints(tmp_path)
    # A checkpoint of every step before the divergence, none after it.
    assert [int(p.rsplit("-", 1)[1]) for p in checkpoints] == list(range(1, bad_step))
    assert all(not bad for bad in checkpoints.values()), checkpoints
    assert not (tmp_path / "model.keras").exists()


def test_train_weights_non_finite_at_the_last_step_are_not_saved(tmp_path):
    # The run ends at step 2, off the checkpoint interval: only `train`'s
    # final save would write it.
    config = points_config(
        tmp_path, steps=2, checkpoint_every=5, sample_every=5, log_every=5,
        d_learning_rate=HUGE_LEARNING_RATE, g_learning_rate=HUGE_LEARNING_RATE,
        model_kwargs={"hidden_dims": (8,), "latent_dim": 4},
    )  # fmt: skip

    with pytest.raises(ZooError, match="weights became NaN or infinite at step 2"):
        training.train(config)

    assert _finite_checkpoints(tmp_path) == {}
    assert not (tmp_path / "model.keras").exists()


def test_total_seconds_of_a_crashed_then_resumed_run_count_both_invocations(tmp_path, monkeypatch):
    config = points_config(tmp_path / "run")
    _train_until_crash(config, monkeypatch, RESUME_AT)
    elapsed = json.loads((tmp_path / "run" / training.ELAPSED_FILE).read_text())
    assert elapsed["step"] == RESUME_AT and elapsed["total_seconds"] > 0

    summary = training.train(config)

    assert summary["start_step"] == RESUME_AT
    assert summary["total_seconds"] == pytest.approx(
        elapsed["total_seconds"] + summary["seconds"], abs=0.02
    )
