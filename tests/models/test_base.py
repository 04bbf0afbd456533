"""The GAN base: the generator's moving average (`update_ema`), its batch-norm statistics and
sampling with it."""

import keras
import numpy as np
import pytest

from models import averaging, layers
from models.dcgan import DCGAN
from models.sagan import SAGAN
from models.vanilla_gan import VanillaGAN
from tests.harness import random_dataset
from zoo.core import latents

TINY_POINTS = {"image_shape": (2,), "latent_dim": 4, "hidden_dims": (8, 8)}


def _ema_gan(ema_decay=0.99):
    model = VanillaGAN(**TINY_POINTS, ema_decay=ema_decay, seed=0)
    model.compile()
    return model


def _pairs(model, trainable=True):
    """`(average, weight)` pairs of the EMA copy and the generator, matched by path.

    The EMA copy is frozen (all its variables are non-trainable), so the
    generator says which weights are averaged and which are statistics.
    """
    averages = {v.path: v for v in model.ema_generator.weights}
    assert sorted(averages) == sorted(w.path for w in model.generator.weights)
    return [(averages[w.path], w) for w in model.generator.weights if w.trainable == trainable]


def _perturb(variables, seed, scale=0.5):
    """Adds noise of at least `scale` to every element, so none keeps its value."""
    rng = np.random.default_rng(seed)
    for variable in variables:
        value = variable.numpy()
        variable.assign(value + scale * (1.0 + rng.random(value.shape, np.float32)))


def _snapshot(pairs):
    return [(average.numpy().copy(), weight.numpy().copy()) for average, weight in pairs]


def _warm_up_decay(ema_decay, step):
    return min(ema_decay, (1.0 + step) / (10.0 + step))


def _assert_averaged(pairs, before, decay):
    for (average, _), (old_average, weight) in zip(pairs, before, strict=True):
        np.testing.assert_allclose(
            average.numpy(), decay * old_average + (1.0 - decay) * weight, rtol=1e-5, atol=1e-6
        )


def test_ema_generator_starts_equal_to_the_generator_but_separate():
    model = _ema_gan()
    pairs = _pairs(model)

    for average, weight in pairs:
        np.testing.assert_array_equal(average.numpy(), weight.numpy())
    _perturb(model.generator.trainable_variables, seed=0)
    for average, weight in pairs:
        assert not np.array_equal(average.numpy(), weight.numpy()), weight.path


@pytest.mark.parametrize("step", [0, 3, 90, 100_000])
def test_update_ema_decay_warms_up_with_the_generator_step(step):
    ema_decay = 0.99
    model = _ema_gan(ema_decay)
    _perturb(model.generator.trainable_variables, seed=1)
    model.g_optimizer.iterations.assign(step)
    pairs = _pairs(model)
    before = _snapshot(pairs)

    model.update_ema()

    _assert_averaged(pairs, before, _warm_up_decay(ema_decay, step))


def test_update_ema_early_steps_follow_the_generator_more_than_late_steps():
    def distance_after_update(step):
        model = _ema_gan(0.99)
        _perturb(model.generator.trainable_variables, seed=2)
        model.g_optimizer.iterations.assign(step)
        model.update_ema()
        return sum(float(np.abs(a.numpy() - w.numpy()).sum()) for a, w in _pairs(model))

    # Step 0 keeps 10% of the old average, step 1000 keeps 99%.
    assert distance_after_update(0) < 0.2 * distance_after_update(1000)


def test_fit_updates_ema_after_the_generator_update_with_the_decay_of_step_1():
    ema_decay = 0.99
    model = _ema_gan(ema_decay)
    pairs = _pairs(model)
    initial_averages = [average.numpy().copy() for average, _ in pairs]

    model.fit(random_dataset(model, steps=1), epochs=1, verbose=0)

    # The generator's optimizer has counted its first update when the average
    # moves towards the updated generator.
    before = [(a, w.numpy()) for a, (_, w) in zip(initial_averages, pairs, strict=True)]
    assert not np.allclose(before[0][0], before[0][1])
    _assert_averaged(pairs, before, _warm_up_decay(ema_decay, 1))


def test_update_ema_moves_each_weight_strictly_between_old_average_and_generator():
    model = _ema_gan(0.9)
    _perturb(model.generator.trainable_variables, seed=3)
    model.g_optimizer.iterations.assign(50)
    pairs = _pairs(model)
    before = _snapshot(pairs)

    model.update_ema()

    checked = 0
    for (average, _), (old_average, weight) in zip(pairs, before, strict=True):
        differ = old_average != weight
        new = average.numpy()[differ]
        low = np.minimum(old_average, weight)[differ]
        high = np.maximum(old_average, weight)[differ]
        assert np.all(low < new) and np.all(new < high), average.path
        checked += int(differ.sum())
    assert checked == sum(weight.size for _, weight in before)


def test_update_ema_copies_batch_norm_statistics_instead_of_averaging_them():
    model = DCGAN(image_shape=(8, 8, 1), latent_dim=4, base_filters=2, ema_decay=0.9, seed=0)
    model.compile()
    statistics = _pairs(model, trainable=False)
    assert sorted({w.name for _, w in statistics}) == ["moving_mean", "moving_variance"]
    rng = np.random.default_rng(4)
    for _, statistic in statistics:
        statistic.assign(rng.uniform(0.5, 2.0, statistic.shape).astype(np.float32))
    _perturb(model.generator.trainable_variables, seed=5)
    model.g_optimizer.iterations.assign(1000)
    averaged = _pairs(model)
    before = _snapshot(averaged)

    model.update_ema()

    for average, statistic in statistics:
        np.testing.assert_array_equal(average.numpy(), statistic.numpy())
    # The trainable weights, in the same update, are averaged.
    _assert_averaged(averaged, before, 0.9)


def test_generate_and_call_sample_with_the_ema_generator():
    model = _ema_gan(0.9)
    latents = np.random.default_rng(6).normal(size=(5, model.latent_dim)).astype(np.float32)
    _perturb(model.generator.trainable_variables, seed=7)
    model.g_optimizer.iterations.assign(100)
    model.update_ema()

    ema_samples = model.ema_generator(latents).numpy()
    raw_samples = model.generator(latents).numpy()

    assert not np.allclose(ema_samples, raw_samples, atol=1e-3)
    np.testing.assert_allclose(model(latents).numpy(), ema_samples, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.generate(latents=latents), ema_samples, rtol=1e-6, atol=1e-6)


def test_generate_without_ema_samples_with_the_generator():
    model = VanillaGAN(**TINY_POINTS, seed=0)
    model.compile()
    _perturb(model.generator.trainable_variables, seed=8)
    latents = np.random.default_rng(9).normal(size=(5, model.latent_dim)).astype(np.float32)

    model.update_ema()  # a no-op without an average

    assert model.ema_generator is None
    np.testing.assert_allclose(
        model.generate(latents=latents), model.generator(latents).numpy(), rtol=1e-6, atol=1e-6
    )


# ------------------------------------------------- the EMA generator's statistics


def _trained_ema_gan(family):
    # 32x32: three batch-norm layers in a row, each fed by the ones before.
    if family == "dcgan":
        model = DCGAN(image_shape=(32, 32, 1), latent_dim=4, base_filters=2, ema_decay=0.9, seed=0)
    else:
        model = SAGAN(latent_dim=8, base_filters=2, num_classes=3, seed=0)
    model.compile()
    model.fit(random_dataset(model, steps=3), epochs=1, verbose=0)
    return model


def _standardization_errors(model):
    """Per batch-norm layer of the EMA generator: how far its normalized inputs over the
    statistics latents are from per-channel mean 0 and variance 1."""
    inputs = [
        latents.seeded_latents(
            averaging.STATISTICS_SEED, averaging.STATISTICS_SAMPLES, model.latent_dim
        )
    ]
    if model.conditional:
        inputs.append(latents.class_labels(averaging.STATISTICS_SAMPLES, model.num_classes))
    errors = []
    for norm, tensor in layers.batch_norm_inputs(model.ema_generator):
        probe = keras.Model(model.ema_generator.inputs, tensor)
        features = np.asarray(probe(inputs if len(inputs) > 1 else inputs[0]), np.float64)
        # Without epsilon: the check is of the statistics, not of the layer.
        normalized = (features - np.asarray(norm.moving_mean)) / np.sqrt(norm.moving_variance)
        axes = tuple(range(normalized.ndim - 1))
        errors.append(max(
            np.abs(normalized.mean(axis=axes)).max(), np.abs(normalized.var(axis=axes) - 1).max()
        ))  # fmt: skip
    return errors


@pytest.mark.parametrize("family", ["dcgan", "sagan"])
def test_sampling_generator_normalizes_with_statistics_of_its_own_activations(family):
    model = _trained_ema_gan(family)
    copied = _standardization_errors(model)  # as update_ema left them: the generator's

    model.sampling_generator  # noqa: B018  (reading it refreshes the statistics)
    refreshed = _standardization_errors(model)

    assert len(refreshed) >= 3
    assert max(copied) > 0.05
    # Each layer's inputs depend on the statistics of the layers before it:
    # all of them are standardized only if they were estimated in order.
    assert max(refreshed) < 1e-3


def test_sampling_statistics_are_estimated_once_per_generator_step(monkeypatch):
    model = _trained_ema_gan("dcgan")
    estimated = []
    moments = averaging.moments
    monkeypatch.setattr(averaging, "moments", lambda *a: estimated.append(1) or moments(*a))
    num_norms = len(layers.batch_norm_inputs(model.ema_generator))

    model.generate(4, seed=0)
    model.generate(4, seed=1)
    assert len(estimated) == num_norms

    model.fit(random_dataset(model, steps=1), epochs=1, verbose=0)
    model.generate(4, seed=0)
    assert len(estimated) == 2 * num_norms


def test_sampling_statistics_leave_a_model_without_ema_untouched():
    model = DCGAN(image_shape=(8, 8, 1), latent_dim=4, base_filters=4, seed=0)
    model.compile()
    model.fit(random_dataset(model, steps=2), epochs=1, verbose=0)
    before = [np.asarray(w).copy() for w in model.generator.non_trainable_weights]

    model.generate(4, seed=0)

    after = model.generator.non_trainable_weights
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(old, new)
