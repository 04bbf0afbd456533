"""ProGAN: the growth schedule, the fade-in, growing training and resume."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import progan
from models.progan import ProGAN
from tests.harness import run_gan_test
from tests.helpers import assert_one_line_error, run_script
from zoo import training
from zoo.core.errors import ZooError
from zoo.loading import sources

TINY = {"latent_dim": 8, "max_filters": 4, "filter_base": 8, "images_per_phase": 16}


def tiny_progan(image_shape=(16, 16, 1), **overrides):
    return ProGAN(image_shape=image_shape, **{**TINY, **overrides})


def test_progan_harness_passes():
    run_gan_test(ProGAN, TINY, (16, 16, 1))


def test_growth_phases_alternate_fade_in_and_stable_per_stage():
    phases = progan.growth_phases(3, images_per_phase=800, batch_sizes=(16, 8, 4))
    assert [(p.name, p.steps, p.image_size, p.batch_size) for p in phases] == [
        ("4x4", 50, 4, 16),
        ("8x8 fade-in", 100, 8, 8),
        ("8x8", 100, 8, 8),
        ("16x16 fade-in", 200, 16, 4),
        ("16x16", None, 16, 4),
    ]


@pytest.mark.parametrize(
    "images_shown, stage, alpha",
    [
        (0, 0, 1.0),  # 4x4 has nothing to fade in
        (392, 0, 1.0),  # the last step of 4x4
        (400, 1, 0.0),  # the 8x8 fade-in starts at alpha 0
        (600, 1, 0.5),
        (792, 1, 0.98),
        (800, 1, 1.0),  # the 8x8 stable phase
        (1192, 1, 1.0),
        (1200, 2, 0.0),  # the 16x16 fade-in
        (1400, 2, 0.5),
        (1600, 2, 1.0),  # the final stable phase lasts until the end of the run
        (10**9, 2, 1.0),
    ],
)
def test_schedule_table_over_images_shown(images_shown, stage, alpha):
    batch = 8
    phases = progan.growth_phases(3, images_per_phase=400, batch_sizes=(batch,) * 3)
    assert progan.stage_and_alpha(images_shown // batch, phases) == (stage, pytest.approx(alpha))


def test_generator_fade_in_at_alpha_0_is_previous_stage_upsampled_at_1_the_new_block():
    generator = tiny_progan().generator
    latents = tf.random.normal((3, 8), seed=1)
    for stage in (1, 2):
        previous = generator(latents, stage=stage - 1).numpy()
        upsampled = previous.repeat(2, axis=1).repeat(2, axis=2)
        np.testing.assert_allclose(generator(latents, stage=stage, alpha=0.0), upsampled, atol=1e-6)
        np.testing.assert_allclose(
            generator(latents, stage=stage, alpha=1.0), generator(latents, stage=stage), atol=1e-6
        )
        halfway = generator(latents, stage=stage, alpha=0.5).numpy()
        new = generator(latents, stage=stage).numpy()
        np.testing.assert_allclose(halfway, (upsampled + new) / 2, atol=1e-5)


def test_discriminator_fade_in_at_alpha_0_reads_the_downsampled_image():
    discriminator = tiny_progan().discriminator
    images = tf.random.uniform((4, 8, 8, 1), -1, 1, seed=2)
    means = tf.nn.avg_pool2d(images, 2, 2, "VALID")
    np.testing.assert_allclose(
        discriminator(images, stage=1, alpha=0.0), discriminator(means, stage=0), atol=1e-5
    )
    assert not np.allclose(discriminator(images, stage=1, alpha=1.0), discriminator(means, stage=0))


def test_blend_reals_fades_from_2x2_means_to_the_images():
    images = tf.random.uniform((2, 4, 4, 1), seed=3)
    means = tf.nn.avg_pool2d(images, 2, 2, "VALID").numpy().repeat(2, 1).repeat(2, 2)
    np.testing.assert_allclose(progan.blend_reals(images, 0.0), means, atol=1e-6)
    np.testing.assert_allclose(progan.blend_reals(images, 1.0), images, atol=1e-6)


class _RecordingProGAN(ProGAN):
    """Keeps what the discriminator is shown (run eagerly)."""

    def discriminate(self, samples, labels=None, training=False, **at):
        self.shown.append(np.asarray(samples))
        return super().discriminate(samples, labels, training, **at)


def test_train_step_in_a_fade_in_shows_the_discriminator_blended_reals():
    model = _RecordingProGAN(image_shape=(8, 8, 1), **{**TINY, "images_per_phase": 8})
    phases = model.training_phases(4)  # 4x4: 2 steps, then the 8x8 fade-in over 2 steps
    model.compile(run_eagerly=True)
    model.g_optimizer.iterations.assign(3)  # halfway through the fade-in
    model.enter_phase(phases[1])
    reals = tf.random.uniform((4, 8, 8, 1), -1, 1, seed=4)
    model.shown = []
    model.train_step(reals)

    np.testing.assert_allclose(model.shown[0], progan.blend_reals(reals, 0.5), atol=1e-6)
    assert float(model.generator.alpha.numpy()) == 0.5 and int(model.generator.stage.numpy()) == 1


def test_sampling_follows_the_stage_reached_upsampled_to_full_size():
    model = tiny_progan(ema_decay=0.0)
    latents = tf.random.normal((2, 8), seed=5)
    model.generator.stage.assign(1)
    expected = np.clip(model.generator(latents, stage=1, alpha=1.0).numpy(), -1, 1)
    np.testing.assert_allclose(model(latents), expected.repeat(2, 1).repeat(2, 2), atol=1e-6)
    assert model.generate(latents=latents).shape == (2, 16, 16, 1)
    assert set(model.progress_pictures(latents)) == {"fade_in"}
    assert model.progress_pictures(latents)["fade_in"].shape == (10, 16, 16, 1)


@pytest.mark.parametrize("side", [28, 2, 48])
def test_progan_image_side_the_schedule_cannot_reach_raises_one_line(side):
    with pytest.raises(ZooError, match=r"4 \* 2\^n") as error:
        ProGAN(image_shape=(side, side, 1), **TINY)
    assert "\n" not in str(error.value)


def test_progan_stage_batch_sizes_need_one_per_stage():
    with pytest.raises(ZooError, match="one batch size per stage"):
        tiny_progan(stage_batch_sizes=(8, 4))


def test_progan_builds_a_128x128_model_with_every_block():
    model = ProGAN(image_shape=(128, 128, 3), latent_dim=8, max_filters=4, filter_base=8)
    assert model.num_stages == 6
    assert model.generate(1, seed=0).shape == (1, 128, 128, 3)


def test_train_cli_progan_at_28_pixels_gives_one_line(tmp_path):
    result = run_script("train.py", "--model=progan", "--image_size=28", f"--workdir={tmp_path}")
    assert_one_line_error(result, "4 * 2^n")


def growing_config(workdir, steps, data_dir, **model_kwargs):
    return training.TrainConfig(
        model="progan", dataset="fashion_mnist", data_dir=str(data_dir), workdir=str(workdir),
        steps=steps, batch_size=4, seed=1, model_kwargs={**TINY, **model_kwargs}, sample_every=2,
        checkpoint_every=2, log_every=2, num_samples=4,
    )  # fmt: skip


@pytest.mark.parametrize("restart", [False, True], ids=["kept_optimizers", "restarted"])
def test_train_grows_through_phases_and_resumes_mid_fade_in_exactly(
    tmp_path, fake_fashion_mnist, restart
):
    # 4 steps per phase: 4x4 (0-4), 8x8 fade-in (4-8), 8x8 (8-12), 16x16 fade-in (12-16).
    options = {"restart_optimizers": True} if restart else {}
    training.train(growing_config(tmp_path / "resumed", 6, fake_fashion_mnist, **options))
    resumed = training.train(
        growing_config(tmp_path / "resumed", 14, fake_fashion_mnist, **options)
    )
    training.train(growing_config(tmp_path / "straight", 14, fake_fashion_mnist, **options))

    assert resumed["start_step"] == 6
    a, b = (sources.load_workdir_model(tmp_path / n) for n in ("resumed", "straight"))
    for x, y in zip(a.weights, b.weights, strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6, err_msg=x.path)
    assert a.stage == 2 and float(a.generator.alpha.numpy()) == pytest.approx(0.25)
    assert (tmp_path / "straight" / "samples" / "fade_in_step_0000014.png").exists()
    summary = json.loads((tmp_path / "straight" / "train_summary.json").read_text())
    assert summary["step"] == 14
    if restart:
        # The 16x16 fade-in began at step 12; the resumed run restarted there too.
        for model in (a, b):
            assert int(model.g_optimizer.restarted_at.numpy()) == 12
            assert int(model.d_optimizer.restarted_at.numpy()) == 12


def test_progan_saved_and_loaded_keeps_stage_and_samples(tmp_path):
    model = tiny_progan()
    model.compile()
    model.generator.stage.assign(1)
    model.ema_generator.stage.assign(1)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.stage == 1
    np.testing.assert_array_equal(loaded.generate(2, seed=0), model.generate(2, seed=0))


def test_phase_plan_of_a_family_that_does_not_grow_is_one_phase_at_the_run_batch():
    from models import VanillaGAN
    from zoo.core.phases import TrainingPhase

    model = VanillaGAN(image_shape=(2,), hidden_dims=(4,))
    config = training.TrainConfig(model="vanilla_gan", dataset="ring8", steps=10, batch_size=32)

    assert not model.capabilities.phases
    (planned,) = training.phase_plan(model, config)
    assert planned.phase == TrainingPhase("train", None, None, 32)
    assert (planned.start, planned.end) == (0, 10)


class _TraceCountingProGAN(ProGAN):
    def train_step(self, data):
        self.traces.append(int(data.shape[1]))  # Python runs only while tracing
        return super().train_step(data)


def test_train_step_is_traced_once_per_stage_across_its_phases():
    model = _TraceCountingProGAN(image_shape=(8, 8, 1), **{**TINY, "images_per_phase": 8})
    model.traces = []
    model.compile()
    for phase in model.training_phases(4):  # 4x4, 8x8 fade-in, 8x8: 2 steps each
        size = phase.image_size
        images = np.random.default_rng(size).uniform(-1, 1, (8, size, size, 1)).astype("float32")
        model.enter_phase(phase)
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1, verbose=0)
    assert model.traces == [4, 8]
    assert int(model.g_optimizer.iterations) == 6


def test_export_card_records_the_stage_reached(tmp_path):
    from zoo import export

    model = tiny_progan()
    model.compile()
    for network in (model.generator, model.ema_generator):
        network.stage.assign(1)
    card = export.model_card(model)
    assert card["progress"] == {"stage": 1, "resolution": 8, "final_resolution": 16, "alpha": 1.0}


# bfloat16 keeps 8 bits: summing in another order moves a few pixels of a 4-map
# network by a tenth, so it is held to its mean difference.
@pytest.mark.parametrize("precision, tolerance", [(None, 1e-5), ("bfloat16", 1e-2)])
def test_fused_upsampling_is_the_same_generator_to_float_rounding(precision, tolerance):
    with training.dtype_policy(precision):
        plain = tiny_progan(seed=0)
        fused = tiny_progan(seed=0, fused_upsampling=True)
    fused.set_weights(plain.get_weights())
    latents = np.random.default_rng(0).standard_normal((3, TINY["latent_dim"])).astype("float32")

    for stage in range(plain.generator.num_stages):
        images = [
            np.asarray(gan.generator(latents, stage=stage, alpha=0.5), "float32")
            for gan in (fused, plain)
        ]
        difference = np.abs(images[0] - images[1])
        assert (difference.max() if precision is None else difference.mean()) < tolerance, stage
    assert fused.get_config()["fused_upsampling"] and fused.ema_generator.fused_upsampling


def test_fused_downsampling_scores_every_stage_with_the_same_weights():
    plain, fused = tiny_progan(seed=0), tiny_progan(seed=0, fused_downsampling=True)
    fused.set_weights(plain.get_weights())
    rng = np.random.default_rng(0)

    for stage in range(plain.discriminator.num_stages):
        side = progan.resolution_of(stage)
        images = rng.uniform(-1, 1, (4, side, side, 1)).astype("float32")
        scores = np.asarray(fused.discriminator(images, stage=stage, alpha=0.5))
        assert scores.shape == (4, 1) and np.isfinite(scores).all()
        if stage > 0:  # the activation now follows the pooling: another function
            assert not np.allclose(scores, plain.discriminator(images, stage=stage, alpha=0.5))
    assert fused.get_config()["fused_downsampling"]
    assert fused.discriminator.get_config()["fused_downsampling"]


def test_progan_harness_passes_with_the_official_codes_options():
    options = {"fused_upsampling": True, "fused_downsampling": True, "restart_optimizers": True}
    run_gan_test(ProGAN, {**TINY, **options}, (16, 16, 1))
