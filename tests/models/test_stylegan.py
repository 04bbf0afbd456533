"""StyleGAN: the shared harness for both modulations, truncation, mixing, lazy regularization."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models.layers import NoiseInjection
from models.stylegan import StyleGAN, TrackedAverage
from tests.harness import random_dataset, run_gan_test
from zoo import training
from zoo.core.errors import ZooError

TINY = {"latent_dim": 8, "w_dim": 8, "max_channels": 16, "channel_base": 64}


@pytest.mark.parametrize("modulation", ["demodulate", "adain"])
def test_stylegan_harness_passes(modulation):
    run_gan_test(StyleGAN, {**TINY, "modulation": modulation}, (16, 16, 1))


def _gan(**kwargs):
    keras.utils.set_random_seed(0)
    gan = StyleGAN(image_shape=(16, 16, 1), **{**TINY, **kwargs})
    # A w_avg away from 0, as training leaves it.
    gan.w_average().assign(np.linspace(-1, 1, 8).astype("float32"))
    gan.sampling_generator.get_layer("w_avg").average.assign(gan.w_average())
    return gan


def _z(n=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 8)).astype("float32")


def test_truncation_psi_0_gives_w_avg_and_psi_1_leaves_w():
    gan = _gan()
    ws = gan.mapping(_z())

    at_zero = gan.truncate(ws, 0.0)
    at_one = gan.truncate(ws, 1.0)

    np.testing.assert_allclose(at_zero, np.broadcast_to(gan.w_average(), ws.shape), atol=1e-6)
    np.testing.assert_allclose(at_one, ws, atol=1e-6)
    np.testing.assert_allclose(gan.generate(latents=_z(), truncation_psi=1.0), gan(_z()))
    # psi = 0: every latent gives the average image.
    images = gan.generate(latents=_z(), truncation_psi=0.0)
    np.testing.assert_allclose(images[0], images[1], atol=1e-5)


def test_truncation_cutoff_truncates_only_the_layers_below_it():
    gan = _gan()
    ws = gan.mapping(_z())

    cut = gan.truncate(ws, 0.0, truncation_cutoff=3).numpy()

    np.testing.assert_allclose(cut[:, :3], np.broadcast_to(gan.w_average(), cut[:, :3].shape))
    np.testing.assert_allclose(cut[:, 3:], ws[:, 3:])


def test_style_mixing_takes_the_first_w_below_the_crossover_and_the_second_from_it():
    gan = _gan(mixing_probability=1.0)
    first, second = gan.mapping(_z(seed=1)), gan.mapping(_z(seed=2))

    for _ in range(5):
        mixed = gan.mix_styles(first, second).numpy()
        # Each layer comes whole from one of the two.
        from_first = np.all(np.isclose(mixed, first), axis=(0, 2))
        from_second = np.all(np.isclose(mixed, second), axis=(0, 2))
        crossover = int(np.argmin(from_first))
        assert 1 <= crossover < gan.num_ws
        assert from_first[:crossover].all() and from_second[crossover:].all()


def test_style_mixing_off_leaves_ws():
    gan = _gan(mixing_probability=0.0)
    first, second = gan.mapping(_z(seed=1)), gan.mapping(_z(seed=2))

    np.testing.assert_array_equal(gan.mix_styles(first, second), first)


def test_w_avg_moves_once_per_step_on_the_generator_side_only(monkeypatch):
    gan = _gan()
    gan.compile(run_eagerly=True)
    tracked = []
    original = TrackedAverage.track
    monkeypatch.setattr(
        TrackedAverage, "track", lambda self, w, beta: tracked.append(1) or original(self, w, beta)
    )
    before = gan.w_average().numpy().copy()

    gan.fit(random_dataset(gan, steps=3), epochs=1, verbose=0)

    # The discriminator's fakes go through the mapping network too, three
    # times, but only the generator steps track.
    assert len(tracked) == 3
    assert not np.allclose(gan.w_average(), before)


def test_lazy_r1_runs_every_penalty_every_discriminator_steps():
    gan = _gan(penalty_every=3, r1_gamma=1.0)
    gan.compile(run_eagerly=True)
    batch = next(iter(random_dataset(gan, steps=1)))
    penalties = []
    for _ in range(7):
        gan.reset_metrics()
        penalties.append(float(gan.train_step(batch)["d_penalty"]))

    assert [p > 0 for p in penalties] == [True, False, False, True, False, False, True]


def test_lazy_regularization_adjusts_adam_as_stylegan2():
    gan = _gan(penalty_every=16, pl_weight=2.0, pl_every=4)
    d_optimizer, g_optimizer = gan.default_optimizers()

    c_d, c_g = 16 / 17, 4 / 5
    assert float(d_optimizer.learning_rate) == pytest.approx(0.0025 * c_d)
    assert d_optimizer.beta_2 == pytest.approx(0.99**c_d) and d_optimizer.beta_1 == 0.0
    assert float(g_optimizer.learning_rate) == pytest.approx(0.0025 * c_g)
    assert g_optimizer.beta_2 == pytest.approx(0.99**c_g)
    # Without path-length regularization the generator's Adam is the plain one.
    assert float(_gan().default_optimizers()[1].learning_rate) == pytest.approx(0.0025)


def test_path_length_penalty_updates_pl_mean_and_it_survives_a_checkpoint(tmp_path):
    gan = _gan(pl_weight=2.0, pl_every=2)
    gan.compile()
    gan.fit(random_dataset(gan, steps=3), epochs=1, verbose=0)
    pl_mean = float(gan.pl_mean)
    training.make_checkpoint(gan).save(str(tmp_path / "ckpt"))

    fresh = _gan(pl_weight=2.0, pl_every=2)
    fresh.compile()
    training.make_checkpoint(fresh).restore(str(tmp_path / "ckpt-1")).expect_partial()

    assert pl_mean > 0 and float(fresh.pl_mean) == pytest.approx(pl_mean)


def test_path_length_penalty_runs_every_pl_every_steps_and_moves_pl_mean():
    gan = _gan(pl_weight=1.0, pl_every=2)
    gan.compile()

    penalty = gan.path_length_penalty(4)  # generator step 0: due
    pl_mean = float(gan.pl_mean)
    gan.g_optimizer.iterations.assign(1)
    skipped = gan.path_length_penalty(4)

    assert np.isfinite(float(penalty)) and float(penalty) > 0
    # pl_mean starts at 0 and moves by pl_decay towards the batch's mean length.
    assert 0 < pl_mean < 1
    assert float(skipped) == 0 and float(gan.pl_mean) == pl_mean


def test_stylegan_defaults_are_the_small_cifar_recipe():
    gan = StyleGAN()

    assert gan.image_shape == (32, 32, 1) and gan.num_ws == 8
    assert gan.mapping_layers == 2 and gan.penalties.r1_gamma == 0.01 and gan.penalties.every == 16
    assert gan.pl_weight == 0 and gan.mixing_probability == 0
    assert gan.adversarial_loss == "non_saturating" and gan.modulation == "demodulate"
    assert gan.capabilities.styles == (8, 128) and gan.capabilities.truncation


@pytest.mark.parametrize("shape", [(16, 32, 1), (24, 24, 1), (4, 4, 1)])
def test_stylegan_image_shape_it_cannot_build_fails_in_one_line(shape):
    with pytest.raises(ZooError) as raised:
        StyleGAN(image_shape=shape, **TINY)
    assert "\n" not in str(raised.value)


def test_truncation_on_a_family_without_it_fails_in_one_line():
    from models.dcgan import DCGAN

    gan = DCGAN(image_shape=(16, 16, 1), latent_dim=4, base_filters=2)

    with pytest.raises(ZooError, match="no truncation"):
        gan.generate(2, seed=0, truncation_psi=0.5)


def test_stylegan_trains_in_a_tf_function_without_mixing_or_pl_and_with_both():
    for kwargs in ({}, {"mixing_probability": 0.9, "pl_weight": 2.0, "pl_every": 2}):
        gan = _gan(**kwargs)
        gan.compile()
        history = gan.fit(random_dataset(gan, steps=2), epochs=1, verbose=0).history
        assert np.isfinite(history["g_loss"]).all() and np.isfinite(history["d_loss"]).all()
        assert tf.reduce_all(tf.math.is_finite(gan.generate(2, seed=0)))


def test_stylegan_with_several_discriminator_steps_fails_in_one_line_when_built():
    with pytest.raises(ZooError, match="one discriminator step") as raised:
        StyleGAN(d_steps=2, **TINY)
    assert "\n" not in str(raised.value)


def _noisy_gan():
    gan = _gan(ema_decay=0.9)
    for network in (gan.generator, gan.ema_generator):
        for layer in network._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, NoiseInjection):
                layer.strength.assign(np.full(layer.strength.shape, 0.5, "float32"))
    return gan


def test_random_sampling_noise_differs_per_sample_repeats_per_seed_and_ends_with_the_block():
    gan = _noisy_gan()
    same_latent = np.repeat(_z(1), 2, axis=0)
    const = gan.generate(latents=same_latent)

    with gan.sampling_noise("random", seed=3):
        first = gan.generate(latents=same_latent)
    with gan.sampling_noise("random", seed=3):
        again = gan.generate(latents=same_latent)
    with gan.sampling_noise("random", seed=4):
        other = gan.generate(latents=same_latent)
    with gan.sampling_noise("const"):
        np.testing.assert_array_equal(gan.generate(latents=same_latent), const)

    # One noise image for every sample; on AVX2 CPUs a sample's batch position moves
    # it by up to 4e-7, fresh noise by far more.
    np.testing.assert_allclose(const[0], const[1], rtol=0, atol=1e-6)
    assert not np.allclose(first[0], first[1])  # fresh noise per sample
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    np.testing.assert_array_equal(gan.generate(latents=same_latent), const)
    with pytest.raises(ZooError, match="noise mode must be one of const, random"):
        with gan.sampling_noise("fresh"):
            pass


def test_scoring_with_a_noise_mode_needs_a_family_with_noise_inputs():
    import zoo
    from zoo.metrics import scoring

    dcgan = zoo.build("dcgan", image_shape=(16, 16, 1), latent_dim=4, base_filters=2)
    with pytest.raises(ZooError, match="DCGAN has no noise inputs; drop noise_mode"):
        next(scoring.generated_batches(dcgan, 4, 2, noise_mode="random"))
    gan = _noisy_gan()
    batches = list(scoring.generated_batches(gan, 4, 2, noise_mode="random"))
    assert len(batches) == 2 and gan.capabilities.noise_inputs
