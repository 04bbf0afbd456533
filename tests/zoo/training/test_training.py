"""The training library: resume, reproducibility, checkpoints, NaN guard."""

import dataclasses
import glob
import json
import os
import pathlib
import re
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf

import models
from zoo import data, training
from zoo.core import registry
from zoo.core.errors import TrainingInterrupted, ZooError
from zoo.loading import sources
from zoo.training import loop, workdir

# A DCGAN small enough to train a dozen steps in seconds on Fashion-MNIST.
TINY_DCGAN = {"base_filters": 4}


def tiny_config(workdir, steps=3, **overrides):
    settings = dict(
        model="dcgan",
        dataset="fashion_mnist",
        workdir=str(workdir),
        steps=steps,
        batch_size=4,
        seed=3,
        model_kwargs=TINY_DCGAN,
        sample_every=3,
        checkpoint_every=3,
        log_every=3,
        num_samples=4,
    )
    settings.update(overrides)
    return training.TrainConfig(**settings)


def schedule_of(optimizer):
    return keras.optimizers.schedules.deserialize(optimizer.get_config()["learning_rate"])


def weights_of(model):
    return [w.numpy() for w in model.generator.weights + model.discriminator.weights]


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_resumed_run_equals_straight_run(tmp_path, capsys):
    training.train(tiny_config(tmp_path / "resumed", steps=6))
    summary = training.train(tiny_config(tmp_path / "resumed", steps=12))
    assert "resuming from step 6" in capsys.readouterr().out
    assert summary["start_step"] == 6 and summary["step"] == 12
    training.train(tiny_config(tmp_path / "straight", steps=12))

    resumed = sources.load_workdir_model(tmp_path / "resumed")
    straight = sources.load_workdir_model(tmp_path / "straight")
    assert int(resumed.g_optimizer.iterations) == int(straight.g_optimizer.iterations) == 12
    assert int(resumed.d_optimizer.iterations) == 12
    for a, b in zip(weights_of(resumed), weights_of(straight), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_workdir_holds_samples_logs_checkpoints_and_model(tmp_path):
    summary = training.train(tiny_config(tmp_path, steps=6, keep_checkpoints=1))
    assert sorted(p.name for p in (tmp_path / "samples").glob("*.png")) == [
        "step_0000003.png",
        "step_0000006.png",
    ]
    assert list((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith("ckpt-6")
    assert len(list((tmp_path / "checkpoints").glob("*.index"))) == 1  # keep_checkpoints=1
    assert json.loads((tmp_path / "config.json").read_text())["steps"] == 6
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(model, models.DCGAN)
    assert int(model.g_optimizer.iterations) == summary["step"] == 6


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_same_seed_reproduces_samples(tmp_path):
    training.train(tiny_config(tmp_path / "a", steps=3))
    training.train(tiny_config(tmp_path / "b", steps=3))
    training.train(tiny_config(tmp_path / "c", steps=3, seed=4))
    a, b, c = (sources.load_workdir_model(tmp_path / n).generate(4, seed=0) for n in "abc")
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.abs(a - c).max() > 1e-3


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_corrupt_latest_checkpoint_raises_one_line_error(tmp_path):
    training.train(tiny_config(tmp_path, steps=3))
    for path in (tmp_path / "checkpoints").glob("ckpt-3.*"):
        path.write_bytes(b"not a checkpoint")
    with pytest.raises(ZooError, match="corrupt") as error:
        training.train(tiny_config(tmp_path, steps=6))
    assert "\n" not in str(error.value)


def test_train_changed_settings_in_same_workdir_refused(tmp_path):
    (tmp_path / "config.json").write_text(tiny_config(tmp_path, steps=3).to_json())
    with pytest.raises(ZooError, match="holds a different run.*batch_size"):
        training.train(tiny_config(tmp_path, steps=3, batch_size=8))


@pytest.mark.parametrize(
    "overrides",
    [{"batch_size": 0}, {"steps": -1}, {"d_learning_rate": 0.0}, {"checkpoint_every": 0}],
)
def test_train_config_non_positive_values_rejected(tmp_path, overrides):
    with pytest.raises(ZooError, match="must be (a )?positive"):
        tiny_config(tmp_path, **overrides)


def test_train_config_unknown_lr_decay_rejected(tmp_path):
    with pytest.raises(ZooError, match="lr_decay must be one of none, linear"):
        tiny_config(tmp_path, lr_decay="cosine")


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_linear_lr_decay_ends_at_zero_and_is_saved_with_the_model(tmp_path):
    training.train(tiny_config(tmp_path, steps=6, lr_decay="linear", d_learning_rate=1e-3))

    model = sources.load_workdir_model(tmp_path)
    for optimizer in (model.d_optimizer, model.g_optimizer):
        schedule = schedule_of(optimizer)
        assert isinstance(schedule, keras.optimizers.schedules.PolynomialDecay)
        assert int(optimizer.iterations) == 6
        assert float(optimizer.learning_rate) == 0.0
    np.testing.assert_allclose(float(schedule_of(model.d_optimizer)(3)), 5e-4, rtol=1e-6)


def test_compile_model_linear_decay_counts_every_discriminator_update(tmp_path):
    config = tiny_config(tmp_path, steps=10, lr_decay="linear", d_learning_rate=1e-3,
                         g_learning_rate=1e-3)  # fmt: skip
    model = models.VanillaGAN(image_shape=(2,), latent_dim=4, hidden_dims=(8,), d_steps=2)

    training.compile_model(model, config)

    # Halfway: 10 of the discriminator's 20 updates, 5 of the generator's 10.
    d_rate, g_rate = schedule_of(model.d_optimizer), schedule_of(model.g_optimizer)
    np.testing.assert_allclose([float(d_rate(10)), float(g_rate(5))], [5e-4, 5e-4], rtol=1e-6)
    np.testing.assert_allclose([float(d_rate(20)), float(g_rate(10))], [0.0, 0.0])


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_resumes_a_workdir_written_before_a_setting_existed(tmp_path):
    training.train(tiny_config(tmp_path, steps=3))
    saved = json.loads((tmp_path / "config.json").read_text())
    del saved["lr_decay"]
    (tmp_path / "config.json").write_text(json.dumps(saved))

    summary = training.train(tiny_config(tmp_path, steps=6))

    assert summary["start_step"] == 3 and summary["step"] == 6


class _PoisonedGAN(models.VanillaGAN):
    """Reports a NaN discriminator loss from its third step on."""

    def train_step(self, data):
        super().train_step(data)
        poisoned = tf.where(self.g_optimizer.iterations >= 3, np.nan, 0.0)
        self.trackers["d_loss"].update_state(poisoned)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def test_train_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setitem(registry._MODELS, "poisoned_gan", _PoisonedGAN)
    config = tiny_config(
        tmp_path, steps=10, model="poisoned_gan", dataset="ring8",
        model_kwargs={"hidden_dims": (8,)}, checkpoint_every=2,
    )  # fmt: skip
    with pytest.raises(ZooError, match=r"d_loss became NaN.*step 3.*ckpt-2"):
        training.train(config)
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").glob("*.index"))
    assert checkpoints == ["ckpt-2.index"]
    assert not (tmp_path / "model.keras").exists()


def test_train_2d_mixture_writes_scatter_plot(tmp_path):
    config = tiny_config(
        tmp_path, steps=3, model="vanilla_gan", dataset="grid25",
        model_kwargs={"hidden_dims": (8,)}, num_samples=64,
    )  # fmt: skip
    summary = training.train(config)
    picture = tf.io.decode_png(tf.io.read_file(summary["samples"])).numpy()
    assert picture.shape == (256, 256, 3)
    # 25 red squares mark the mixture's means.
    red = (picture[..., 0] == 255) & (picture[..., 1] == 0)
    assert red.sum() >= 25 * 9


def test_build_model_image_shape_mismatch_raises(tmp_path):
    config = tiny_config(tmp_path, steps=3, model_kwargs={"image_shape": (32, 32, 1)})
    info = data.DatasetInfo("fashion_mnist", (28, 28, 1), 10, 60000)
    with pytest.raises(ZooError, match="does not match the dataset"):
        training.build_model(config, info)


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_eval_every_logs_metrics_to_tensorboard(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    training.train(tiny_config(tmp_path, steps=4, eval_every=2, eval_metrics="fid1k"))
    events = event_accumulator.EventAccumulator(
        str(tmp_path / "logs"), size_guidance={"tensors": 0}
    )
    events.Reload()
    fid = events.Tensors("metrics/fid1k")
    assert [event.step for event in fid] == [2, 4]
    assert all(tf.make_ndarray(event.tensor_proto) > 0 for event in fid)


def test_train_steps_per_execution_matches_single_steps(tmp_path):
    points = dict(model="vanilla_gan", dataset="ring8", model_kwargs={"hidden_dims": (8,)},
                  sample_every=2, checkpoint_every=2, log_every=2)  # fmt: skip
    training.train(tiny_config(tmp_path / "one", steps=6, **points))
    summary = training.train(
        tiny_config(tmp_path / "two", steps=6, steps_per_execution=2, **points)
    )
    assert summary["step"] == 6
    assert sorted(p.name for p in (tmp_path / "two" / "samples").glob("*.png")) == [
        "step_0000002.png", "step_0000004.png", "step_0000006.png",
    ]  # fmt: skip
    one = sources.load_workdir_model(tmp_path / "one")
    two = sources.load_workdir_model(tmp_path / "two")
    for a, b in zip(weights_of(one), weights_of(two), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_train_interval_not_multiple_of_steps_per_execution_rejected(tmp_path):
    with pytest.raises(ZooError, match="log_every=3 is not a multiple of steps_per_execution=2"):
        tiny_config(tmp_path, steps=4, steps_per_execution=2, sample_every=2, checkpoint_every=2)


# ------------------------------------------------------------- hardening


def points_config(workdir, steps=6, **overrides):
    """A tiny MLP GAN on ring8: no data files, a few seconds."""
    settings = dict(model="vanilla_gan", dataset="ring8", model_kwargs={"hidden_dims": (8,)},
                    batch_size=8, sample_every=2, checkpoint_every=2, log_every=2)  # fmt: skip
    return tiny_config(workdir, steps=steps, **{**settings, **overrides})


def test_train_rerun_of_a_finished_run_trains_nothing_and_keeps_its_model(tmp_path, capsys):
    first = training.train(points_config(tmp_path, steps=4))
    before = sources.load_workdir_model(tmp_path).generate(4, seed=1)

    again = training.train(points_config(tmp_path, steps=4))

    assert "already at step 4 >= --steps=4; nothing to train" in capsys.readouterr().out
    assert again["step"] == first["step"] == 4 and again["start_step"] == 4
    np.testing.assert_array_equal(sources.load_workdir_model(tmp_path).generate(4, seed=1), before)


def test_train_config_default_workdir_follows_the_model():
    assert training.TrainConfig(model="wgan_gp").workdir == "runs/wgan_gp"
    assert training.TrainConfig().workdir == "runs/dcgan"
    assert training.TrainConfig(model="wgan_gp", workdir="x").workdir == "x"


def test_train_config_defaults_are_what_make_train_runs():
    makefile = (pathlib.Path(__file__).parents[3] / "Makefile").read_text()
    assert "train.py --steps=$(STEPS) --workdir=$(WORKDIR)" in makefile
    assert "STEPS ?= 3000" in makefile and "WORKDIR ?= runs/dcgan" in makefile
    default = training.TrainConfig()
    assert (default.model, default.dataset, default.image_size) == ("dcgan", "fashion_mnist", 32)
    assert default == training.TrainConfig(steps=3000, workdir="runs/dcgan")


def test_train_workdir_written_when_none_meant_28_pixels_resumes_only_at_28(tmp_path):
    old = json.loads(tiny_config(tmp_path, image_size=28).to_json())
    (tmp_path / "config.json").write_text(json.dumps({**old, "image_size": None}))
    with pytest.raises(ZooError, match=r"image_size: 28 -> 32"):
        training.train(tiny_config(tmp_path))
    assert (
        workdir.check_resumable(
            tiny_config(tmp_path, image_size=28), tmp_path, {**old, "image_size": None}
        )
        == {}
    )


def test_train_workdir_that_is_a_file_raises_one_line(tmp_path):
    path = tmp_path / "file"
    path.write_text("not a directory")
    with pytest.raises(ZooError, match="is a file, not a directory") as error:
        training.train(points_config(path))
    assert "\n" not in str(error.value)


def test_train_steps_not_multiple_of_steps_per_execution_refused(tmp_path):
    with pytest.raises(ZooError, match=r"steps=10 is not a multiple of steps_per_execution=3.*"
                       r"--steps=9 or --steps=12"):  # fmt: skip
        points_config(tmp_path, steps=10, steps_per_execution=3, sample_every=3,
                      checkpoint_every=3, log_every=3)  # fmt: skip


def test_train_resume_at_step_not_multiple_of_steps_per_execution_refused(tmp_path):
    training.train(points_config(tmp_path, steps=3, sample_every=1, checkpoint_every=1,
                                 log_every=1))  # fmt: skip
    with pytest.raises(
        ZooError, match="resumes at step 3, not a multiple of steps_per_execution=2"
    ):
        training.train(points_config(tmp_path, steps=6, steps_per_execution=2))


def test_train_resumed_with_other_learning_rates_uses_them_and_records_history(tmp_path, capsys):
    training.train(points_config(tmp_path, steps=4, d_learning_rate=1e-3))
    training.train(points_config(tmp_path, steps=6, d_learning_rate=1e-4, g_learning_rate=5e-5))

    out = capsys.readouterr().out
    assert "resuming from step 4" in out and "d_learning_rate: 0.001 -> 0.0001" in out
    model = sources.load_workdir_model(tmp_path)
    stored = json.loads((tmp_path / "config.json").read_text())
    assert stored["d_learning_rate"] == 1e-4 and stored["g_learning_rate"] == 5e-5
    assert stored["history"] == [{"step": 4, "changed": {
        "d_learning_rate": [1e-3, 1e-4], "g_learning_rate": [None, 5e-5], "steps": [4, 6],
    }}]  # fmt: skip
    # The checkpoint held the old rates; the resumed run trained with the new ones.
    checkpoint = tf.train.load_checkpoint(str(tmp_path / "checkpoints"))
    rates = {k: checkpoint.get_tensor(k) for k in checkpoint.get_variable_to_shape_map()
             if "learning_rate" in k}  # fmt: skip
    assert sorted(np.round(list(rates.values()), 8)) == [5e-5, 1e-4]
    assert float(model.d_optimizer.learning_rate) == pytest.approx(1e-4)


def test_train_real_divergence_advice_followed_literally_resumes_and_finishes(tmp_path, capsys):
    training.train(points_config(tmp_path, steps=4))
    # Adam's steps are about the learning rate: at 1e6 the weights overflow
    # within two steps of the resume.
    config = points_config(tmp_path, steps=8, d_learning_rate=1e6, g_learning_rate=1e6)
    messages = []
    while True:
        try:
            summary = training.train(config)
            break
        except ZooError as e:
            messages.append(str(e))
        assert "became NaN or infinite" in messages[-1] and "\n" not in messages[-1]
        assert len(messages) <= 3, messages
        assert_checkpoints_finite(tmp_path / "checkpoints")
        flags = dict(re.findall(r"--(\w+_learning_rate)=(\S+)", messages[-1]))
        config = dataclasses.replace(config, **{k: float(v) for k, v in flags.items()})

    assert re.search(r"to resume from \S+ckpt-4$", messages[0]), messages[0]
    assert summary["start_step"] == 4 and summary["step"] == 8
    assert "resuming from step 4" in capsys.readouterr().out
    assert float(sources.load_workdir_model(tmp_path).d_optimizer.learning_rate) == pytest.approx(
        config.d_learning_rate
    )


def assert_checkpoints_finite(directory):
    for path in directory.glob("*.index"):
        reader = tf.train.load_checkpoint(str(path.with_suffix("")))
        for name in reader.get_variable_to_shape_map():
            value = np.asarray(reader.get_tensor(name))
            if np.issubdtype(value.dtype, np.floating):
                assert np.all(np.isfinite(value)), (path.name, name)


def test_train_corrupt_latest_checkpoint_advice_followed_resumes_from_previous(tmp_path, capsys):
    training.train(points_config(tmp_path, steps=4))
    for path in (tmp_path / "checkpoints").glob("ckpt-4.data-*"):
        path.write_bytes(b"not a checkpoint")
    with pytest.raises(ZooError, match="corrupt") as error:
        training.train(points_config(tmp_path, steps=6))
    message = str(error.value)
    assert "resume from ckpt-2" in message
    for pattern in re.search(r"delete (\S+) and (\S+) to", message).groups():
        for path in glob.glob(pattern):
            os.remove(path)

    summary = training.train(points_config(tmp_path, steps=6))

    assert summary["start_step"] == 2 and summary["step"] == 6
    assert "resuming from step 2" in capsys.readouterr().out


class _CtrlCAtStep(keras.callbacks.Callback):
    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations) == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def test_train_ctrl_c_stops_after_the_step_saves_it_and_the_rerun_resumes(tmp_path, monkeypatch):
    class Interrupting(loop.RunCallbacks):
        def __init__(self, *args):
            super().__init__(*args)
            self.all.append(_CtrlCAtStep(3))

    monkeypatch.setattr(loop, "RunCallbacks", Interrupting)
    with pytest.raises(TrainingInterrupted, match=r"interrupted at step 3; .* from step 3 \("):
        training.train(points_config(tmp_path, steps=8, checkpoint_every=4))
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith("ckpt-3")

    monkeypatch.undo()
    assert training.train(points_config(tmp_path, steps=8, checkpoint_every=4))["start_step"] == 3


def test_train_max_seconds_stops_early_saves_everything_and_a_rerun_continues(tmp_path, capsys):
    config = points_config(tmp_path, steps=100_000, max_seconds=1.0)
    first = training.train(config)

    assert 0 < first["step"] < 100_000
    assert "time budget of 1 s spent at step" in capsys.readouterr().out
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith(
        f"ckpt-{first['step']}"
    )
    assert (tmp_path / "model.keras").exists()
    second = training.train(config)
    assert second["start_step"] == first["step"] < second["step"]


def test_workdir_that_cannot_be_created_is_refused_before_any_work(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")

    with pytest.raises(ZooError, match=r"cannot create --workdir=.*file/run: .*file is a file"):
        training.train(tiny_config(a_file / "run"))
    assert a_file.read_text() == "x"


@pytest.mark.usefixtures("fashion_mnist_files")
def test_out_of_memory_says_which_flag_to_lower_and_keeps_the_checkpoint(tmp_path, monkeypatch):
    training.train(tiny_config(tmp_path, steps=3))
    checkpoints = sorted(os.listdir(tmp_path / "checkpoints"))

    def exhausted(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(keras.Model, "fit", exhausted)
    with pytest.raises(ZooError, match=r"out of memory at --batch_size=4: lower --batch_size"):
        training.train(tiny_config(tmp_path, steps=6))
    assert sorted(os.listdir(tmp_path / "checkpoints")) == checkpoints


@pytest.mark.parametrize(
    "model, flags, previous, chosen",
    [
        ("dcgan", {"amx_bf16"}, None, "bfloat16"),
        ("dcgan", {"avx512_bf16"}, None, "bfloat16"),
        ("dcgan", {"avx512f"}, None, None),
        ("wgan_gp", {"amx_bf16"}, None, "bfloat16"),
        ("stylegan", {"amx_bf16"}, None, "bfloat16"),
        ("sagan", {"amx_bf16"}, None, None),
        ("dcgan", {"amx_bf16"}, {"mixed_precision": None}, None),
        ("sagan", set(), {"mixed_precision": "bfloat16"}, "bfloat16"),
    ],
    ids=["amx", "avx512_bf16", "no_native", "wgan_gp_measured", "stylegan_measured",
         "sagan_measured_worse",
         "resumed_float32",
         "resumed_bfloat16"],
)  # fmt: skip
def test_auto_precision_takes_bfloat16_only_where_measured_native_and_new(
    tmp_path, monkeypatch, model, flags, previous, chosen
):
    monkeypatch.setattr(training.config, "cpu_flags", lambda: flags)
    config = training.TrainConfig(model=model, workdir=str(tmp_path), mixed_precision="auto")

    resolved, line = training.resolve_precision(config, previous)

    assert resolved.mixed_precision == chosen
    assert line.startswith(f"mixed precision auto: {chosen or 'float32'} (")
    assert training.resolve_precision(resolved, previous) == (resolved, None)


@pytest.mark.parametrize(
    "flags, precision, warned",
    [({"avx2", "fma"}, "bfloat16", True), ({"avx512_bf16"}, "bfloat16", False),
     ({"avx2", "fma"}, None, False)],
    ids=["emulated", "native", "float32"],
)  # fmt: skip
def test_bfloat16_on_a_machine_that_emulates_it_is_warned_about(
    tmp_path, monkeypatch, flags, precision, warned
):
    monkeypatch.setattr(training.config, "cpu_flags", lambda: flags)
    config = training.TrainConfig(workdir=str(tmp_path), mixed_precision=precision)

    line = training.config.emulated_bfloat16_warning(config)

    assert (line is not None) == warned
    assert not warned or "--mixed_precision=auto or float32" in line


@pytest.mark.usefixtures("fashion_mnist_files")
def test_auto_precision_is_printed_recorded_and_kept_on_resume(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(training.config, "cpu_flags", lambda: {"amx_bf16"})
    training.train(tiny_config(tmp_path, steps=3, mixed_precision="auto"))
    monkeypatch.setattr(training.config, "cpu_flags", lambda: set())  # another machine
    training.train(tiny_config(tmp_path, steps=6, mixed_precision="auto"))

    said = capsys.readouterr().out
    assert "mixed precision auto: bfloat16 (this machine computes bfloat16 natively)" in said
    assert "mixed precision auto: bfloat16 (as the run started)" in said
    assert said.count("warning: this machine has no native bfloat16") == 1  # the resumed run
    assert json.loads((tmp_path / "config.json").read_text())["mixed_precision"] == "bfloat16"


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_images_is_recorded_and_a_rerun_with_another_count_is_refused(tmp_path):
    training.train(tiny_config(tmp_path, steps=3, train_images=8))

    assert json.loads((tmp_path / "config.json").read_text())["train_images"] == 8
    with pytest.raises(ZooError, match=r"train_images: 8 -> 16"):
        training.train(tiny_config(tmp_path, steps=6, train_images=16))


@pytest.mark.usefixtures("fashion_mnist_files")
@pytest.mark.parametrize(
    "spec, full_spec",
    [("diffaugment", "diffaugment:color,translation,cutout"), ("ada:target=0", "ada:target=0")],
)
def test_an_augmented_run_resumes_exactly(tmp_path, spec, full_spec):
    # ADA with target 0 and a discriminator that scores most reals above 0 moves p
    # at step 4, between the resume at 3 and the end at 6.
    augmented = {"augment": spec}
    training.train(tiny_config(tmp_path / "resumed", steps=3, **augmented))
    training.train(tiny_config(tmp_path / "resumed", steps=6, **augmented))
    training.train(tiny_config(tmp_path / "straight", steps=6, **augmented))

    resumed, straight = (sources.load_workdir_model(tmp_path / n) for n in ("resumed", "straight"))
    assert json.loads((tmp_path / "straight" / "config.json").read_text())["augment"] == spec
    assert resumed.augment.spec == full_spec
    for a, b in zip(weights_of(resumed), weights_of(straight), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    if spec.startswith("ada"):
        assert float(straight.augment.p.numpy()) > 0
    for name, value in straight.augment.state.items():
        np.testing.assert_allclose(resumed.augment.state[name], value, err_msg=name)
