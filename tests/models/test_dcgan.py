"""DCGAN: the shared harness, plus its growth plan and architecture guidelines."""

import keras
import numpy as np
import pytest

from models.dcgan import DCGAN
from tests.harness import random_dataset, run_gan_test
from tests.helpers import fit_beside_vanilla_gan
from zoo.core.errors import ZooError


@pytest.mark.parametrize("image_shape", [(16, 16, 1), (28, 28, 1)], ids=["16x16", "28x28"])
def test_dcgan_harness_passes(image_shape):
    run_gan_test(DCGAN, {"latent_dim": 8, "base_filters": 8}, image_shape)


@pytest.mark.parametrize(
    "side, start_size, num_doublings",
    [(8, 4, 1), (16, 4, 2), (28, 7, 2), (30, 15, 1), (32, 4, 3), (64, 4, 4)],
)
def test_dcgan_side_of_form_s_times_2_to_the_n_grows_from_s_in_n_doublings(
    side, start_size, num_doublings
):
    base_filters = 2
    model = DCGAN(image_shape=(side, side, 3), latent_dim=4, base_filters=base_filters)

    reshape = next(x for x in model.generator.layers if isinstance(x, keras.layers.Reshape))
    widest = base_filters * 2 ** (num_doublings - 1)
    assert reshape.output.shape[1:] == (start_size, start_size, widest)
    assert _count(model.generator, keras.layers.Conv2DTranspose) == num_doublings
    assert _count(model.discriminator, keras.layers.Conv2D) == num_doublings
    assert model.generator.output.shape[1:] == (side, side, 3)


@pytest.mark.parametrize(
    "image_shape",
    [(16, 32, 1), (16, 16), (7, 7, 1), (6, 6, 1), (9, 9, 1), (4, 4, 1), (0, 0, 1)],
    ids=["non_square", "rank_2", "odd_7", "6_halves_below_4", "odd_9", "4_no_doubling", "0"],
)
def test_dcgan_image_shape_without_growth_plan_raises_zoo_error(image_shape):
    with pytest.raises(ZooError):
        DCGAN(image_shape=image_shape, latent_dim=4, base_filters=2)


def test_dcgan_num_classes_raises_zoo_error():
    with pytest.raises(ZooError):
        DCGAN(image_shape=(16, 16, 1), latent_dim=4, base_filters=2, num_classes=10)


def test_dcgan_networks_follow_radford_guidelines():
    model = DCGAN(image_shape=(16, 16, 1), latent_dim=4, base_filters=2)
    generator, discriminator = model.generator, model.discriminator

    # Section 3: strided convolutions, no pooling.
    for network in (generator, discriminator):
        assert not any("Pooling" in type(layer).__name__ for layer in network.layers)
    # No batch norm on the generator's output nor on the discriminator's input.
    assert generator.layers[-1].activation.__name__ == "tanh"
    first_conv = discriminator.layers[1]
    assert isinstance(first_conv, keras.layers.Conv2D)
    assert not isinstance(discriminator.layers[2], keras.layers.BatchNormalization)
    leaky = [x for x in discriminator.layers if isinstance(x, keras.layers.LeakyReLU)]
    assert leaky and all(x.negative_slope == pytest.approx(0.2) for x in leaky)
    d_optimizer, g_optimizer = model.default_optimizers()
    for optimizer in (d_optimizer, g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == pytest.approx(0.5)


def test_dcgan_trains_like_vanilla_gan_algorithm_1_on_its_networks():
    model = DCGAN(image_shape=(8, 8, 1), latent_dim=4, base_filters=2, d_steps=2, seed=0)

    history, vanilla_history, vanilla = fit_beside_vanilla_gan(model, random_dataset(model))

    assert sorted(history) == sorted(vanilla_history)
    for name, values in vanilla_history.items():
        np.testing.assert_allclose(history[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
    for network in ("generator", "discriminator"):
        mine, theirs = getattr(model, network), getattr(vanilla, network)
        for a, b in zip(mine.weights, theirs.weights, strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=a.path)
    # k = d_steps discriminator updates per generator update.
    assert int(model.g_optimizer.iterations) == 2
    assert int(model.d_optimizer.iterations) == 2 * 2


def _count(network, layer_type):
    return sum(type(layer) is layer_type for layer in network.layers)
