"""Scale-out: tf.distribute (two logical CPU devices, two worker processes),
mixed precision and determinism, for every family."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import models  # noqa: F401  (registers the families)
import zoo
from tests.conftest import REPLICA_DEVICES, REPO_ROOT
from zoo import export as zoo_export
from zoo import training
from zoo.core import distribute
from zoo.core.errors import ZooError
from zoo.core.latents import TrainingNoise
from zoo.loading import sources

SIDE = 16
CLASSES = 3
# Tiny networks that still run every state update of their family: EMA,
# spectral-norm vectors, w_avg, pl_mean, style mixing, lazy R1, the fade-in.
FAMILIES = {
    "vanilla_gan": {"latent_dim": 8, "hidden_dims": (16, 16), "ema_decay": 0.9},
    "dcgan": {"latent_dim": 8, "base_filters": 4, "ema_decay": 0.9},
    "wgan_gp": {"latent_dim": 8, "base_filters": 4, "d_steps": 2},
    "progan": {"latent_dim": 8, "max_filters": 8, "filter_base": 32, "images_per_phase": 16},
    "sagan": {"latent_dim": 8, "base_filters": 8, "num_classes": CLASSES},
    "stylegan": {
        "latent_dim": 8, "w_dim": 8, "max_channels": 8, "channel_base": 32,
        "mixing_probability": 0.9, "pl_weight": 2.0, "pl_every": 1, "penalty_every": 1,
    },
}  # fmt: skip
BATCH = 8


def _build(family, strategy=None, policy=None):
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(0)
    with strategy.scope(), training.dtype_policy(policy):
        gan = zoo.build(family, image_shape=(SIDE, SIDE, 1), seed=0, **FAMILIES[family])
        gan.compile()
    if family == "progan":
        # The last phase: the full resolution, as in the other families.
        gan.enter_phase(gan.training_phases(BATCH)[-1])
    return gan


def _global_batches(gan, replicas):
    """One training batch, ordered so that each replica's `d_steps` minibatches
    are its share of the one-device run's minibatches."""
    rng = np.random.default_rng(1)
    count = BATCH * gan.d_steps
    images = rng.uniform(-1, 1, (count, SIDE, SIDE, 1)).astype("float32")
    labels = (np.arange(count) % CLASSES).astype("int32")
    # (d_steps, replicas, share) -> (replicas, d_steps, share): replica r's
    # j-th minibatch is then the r-th share of minibatch j.
    order = np.arange(count).reshape(gan.d_steps, replicas, -1).transpose(1, 0, 2).ravel()
    return tf.data.Dataset.from_tensors((images[order], labels[order])).repeat()


def _fit_one_step(gan, replicas):
    gan.fit(_global_batches(gan, replicas), steps_per_epoch=1, epochs=1, verbose=0)
    return _weights(gan)


def _weights(model):
    return [np.asarray(w) for w in model.weights]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_mirrored_step_updates_weights_as_one_device_does(family):
    """Losses averaged over the global batch, synchronized batch norm and the
    state written once per step: two replicas take the one-device step."""
    initial = _weights(_build(family))
    one_device = _fit_one_step(_build(family), 1)
    strategy = distribute.make_strategy("mirrored")
    assert strategy.num_replicas_in_sync == REPLICA_DEVICES
    mirrored = _fit_one_step(_build(family, strategy), REPLICA_DEVICES)

    assert len(mirrored) == len(one_device)
    for index, (a, b) in enumerate(zip(mirrored, one_device, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"weight {index}")
    # The step did something: most weights left their initial values.
    changed = [
        i for i, (a, b) in enumerate(zip(one_device, initial, strict=True)) if not np.allclose(a, b)
    ]
    assert len(changed) > len(initial) // 3, changed


def test_replicas_draw_different_latents_that_together_are_one_devices():
    strategy = distribute.make_strategy("mirrored")
    noise = TrainingNoise(seed=7)

    @tf.function
    def draw():
        noise.start_step(tf.constant(5, tf.int64))
        latents = noise.normal((4, 3))
        noise.end_step()
        return latents

    per_replica = strategy.experimental_local_results(strategy.run(draw))
    first, second = (np.asarray(x) for x in per_replica)
    assert not np.allclose(first, second)

    single = TrainingNoise(seed=7)
    single.start_step(tf.constant(5, tf.int64))
    np.testing.assert_array_equal(np.concatenate([first, second]), single.normal((8, 3)))
    single.start_step(tf.constant(6, tf.int64))
    assert not np.allclose(single.normal((8, 3)), np.concatenate([first, second]))


def _tiny_run(workdir, steps, **overrides):
    # An 8-dim latent. With the default 100 and 4 filters, one mirrored step and one
    # single-device step moved a few weights by +-lr in opposite directions: Adam's
    # first update is about lr whatever the gradient's size, so a near-zero gradient's
    # sign, which two replicas and one device sum differently, decides it; four steps
    # spread that to 6e-4. With 8, five seeds agreed within 2e-7.
    settings = dict(
        model="dcgan", dataset="fashion_mnist", workdir=str(workdir), steps=steps, batch_size=4,
        seed=3, model_kwargs={"base_filters": 4, "latent_dim": 8}, sample_every=2,
        checkpoint_every=2, log_every=2, num_samples=4,
    )  # fmt: skip
    settings.update(overrides)
    return training.TrainConfig(**settings)


@pytest.mark.usefixtures("fashion_mnist_files")
def test_a_run_on_two_replicas_resumes_on_one_as_if_it_had_run_there(tmp_path):
    training.train(_tiny_run(tmp_path / "moved", 2, strategy="mirrored"))
    summary = training.train(_tiny_run(tmp_path / "moved", 4))
    assert summary["start_step"] == 2 and summary["replicas"] == 1
    config = json.loads((tmp_path / "moved" / "config.json").read_text())
    assert config["history"][0]["changed"]["strategy"] == ["mirrored", "default"]
    training.train(_tiny_run(tmp_path / "straight", 4))

    moved = sources.load_workdir_model(tmp_path / "moved")
    straight = sources.load_workdir_model(tmp_path / "straight")
    for a, b in zip(_weights(moved), _weights(straight), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.usefixtures("fashion_mnist_files")
def test_a_batch_that_does_not_split_over_the_replicas_fails_in_one_line(tmp_path):
    with pytest.raises(ZooError, match="does not split over 2 replicas") as raised:
        training.train(_tiny_run(tmp_path, 2, strategy="mirrored", batch_size=5))
    assert "\n" not in str(raised.value)


def _train_cli(*args, env=None, timeout=300):
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "train.py"), *args],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--strategy=tpu"], "no TPU found on this machine"),
        (["--tpu=grpc://10.0.0.2:8470"], "needs strategy='tpu'"),
        (["--strategy=multi_worker", "--max_seconds=60"], "max_seconds cannot stop"),
        (["--strategy=tpu", "--mixed_precision=float16"], "use --mixed_precision=bfloat16"),
    ],
)
def test_bad_scale_out_flags_fail_in_one_line(tmp_path, flags, message):
    result = _train_cli(f"--workdir={tmp_path}", "--steps=2", *flags)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-800:]
    assert message in result.stderr.strip().splitlines()[-1]


# ------------------------------------------------------------ mixed precision


@pytest.mark.parametrize("policy", ["bfloat16", "float16"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_mixed_precision_trains_every_family_in_float32_weights_and_outputs(
    family, policy, tmp_path
):
    gan = _build(family, policy=policy)
    if policy == "float16":
        gan.compile(
            keras.optimizers.LossScaleOptimizer(gan.default_optimizers()[0]),
            keras.optimizers.LossScaleOptimizer(gan.default_optimizers()[1]),
        )
    assert gan.discriminator.layers[-1].compute_dtype == policy
    history = gan.fit(_global_batches(gan, 1), steps_per_epoch=2, epochs=1, verbose=0)

    for name in ("d_loss", "g_loss"):
        assert np.all(np.isfinite(history.history[name])), (name, history.history[name])
    assert {w.dtype for w in gan.weights} <= {"float32", "int32", "int64"}
    samples = gan.generate(4, seed=0)
    assert samples.dtype == np.float32 and np.all(np.isfinite(samples))

    version_dir = zoo_export.export(gan, tmp_path / "export", family, version=1)
    loaded = tf.saved_model.load(str(version_dir))
    outputs = loaded.signatures["serving_default"](**_serving_inputs(gan))
    assert outputs["samples"].dtype == tf.float32


def _serving_inputs(gan):
    inputs = {"latents": tf.zeros((2, gan.latent_dim))}
    if gan.conditional:
        inputs["labels"] = tf.zeros((2,), tf.int32)
    return inputs


def test_float16_loss_scale_drops_on_overflow_and_training_recovers():
    """A loss scale far too large overflows float16 gradients: the optimizer
    skips those steps and halves the scale until they fit, and no NaN reaches
    the weights."""
    gan = _build("dcgan", policy="float16")
    scale = 2.0**40
    gan.compile(
        keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(2e-4), initial_scale=scale),
        keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(2e-4), initial_scale=scale),
    )
    before = _weights(gan)
    history = gan.fit(_global_batches(gan, 1), steps_per_epoch=30, epochs=1, verbose=0)

    assert np.all(np.isfinite(history.history["d_loss"]))
    assert all(np.all(np.isfinite(w)) for w in _weights(gan))
    assert float(gan.d_optimizer.dynamic_scale) < scale
    assert float(gan.g_optimizer.dynamic_scale) < scale
    # Once the scale fit, steps were taken again.
    assert any(not np.array_equal(a, b) for a, b in zip(before, _weights(gan), strict=True))


# ---------------------------------------------------------------- determinism


def _saved_weights(workdir):
    model = keras.saving.load_model(pathlib.Path(workdir) / "model.keras")
    return [np.asarray(w) for w in model.weights]


@pytest.mark.usefixtures("fashion_mnist_files")
def test_deterministic_runs_give_bit_identical_weights(tmp_path):
    flags = [
        "--model=dcgan", "--model_kwargs=base_filters=4", "--steps=4", "--batch_size=8",
        "--sample_every=4", "--checkpoint_every=4", "--log_every=2", "--deterministic",
    ]  # fmt: skip
    for name in ("first", "second"):
        result = _train_cli(f"--workdir={tmp_path / name}", *flags)
        assert result.returncode == 0, result.stderr[-800:]
    first, second = _saved_weights(tmp_path / "first"), _saved_weights(tmp_path / "second")
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------- two worker processes


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


_WORKER_SCRIPT = """
import json, sys
import numpy as np
from zoo.commands import cli
cli.import_tensorflow_quietly()
import models  # noqa: F401
from zoo import training
config = training.TrainConfig(**json.loads(sys.argv[1]))
model, _ = training.run_training(config)
np.savez(sys.argv[2], *[np.asarray(w) for w in model.weights])
"""


@pytest.mark.usefixtures("fashion_mnist_files")
def test_two_workers_train_alike_and_their_checkpoint_resumes_on_one(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    config = dict(
        model="dcgan", workdir=str(tmp_path / "run"), steps=4, batch_size=8, seed=3,
        model_kwargs={"base_filters": 4}, sample_every=2, checkpoint_every=2, log_every=2,
        strategy="multi_worker",
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER_SCRIPT, json.dumps(config), str(tmp_path / f"w{i}.npz")],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={
                **os.environ,
                "TF_CONFIG": json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": i}}
                ),
            },
        )  # fmt: skip
        for i in range(2)
    ]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-1500:] + outputs[1][-1500:]

    chief, other = (np.load(tmp_path / f"w{i}.npz") for i in range(2))
    for name in chief.files:
        np.testing.assert_array_equal(chief[name], other[name])
    # Only the chief wrote the run's files; the worker's scratch folder is gone.
    run = tmp_path / "run"
    assert (run / "model.keras").exists() and not list(run.glob(".worker-*"))

    resumed = _train_cli(
        f"--workdir={run}", "--model=dcgan", "--model_kwargs=base_filters=4", "--steps=6",
        "--batch_size=8", "--seed=3", "--sample_every=2", "--checkpoint_every=2",
        "--log_every=2",
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-800:]
    assert "resuming from step 4" in resumed.stdout
    assert "strategy: 'multi_worker' -> 'default'" in resumed.stdout
