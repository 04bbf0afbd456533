"""WGAN-GP: the shared harness, its defaults, and the base's penalty settings."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from models.base import GAN
from models.dcgan import DCGAN
from models.vanilla_gan import VanillaGAN
from models.wgan_gp import WGANGP
from tests.harness import random_dataset, run_gan_test
from tests.helpers import fit_beside_vanilla_gan
from zoo.core.errors import ZooError
from zoo.data import load_dataset
from zoo.metrics.modes import mode_statistics

TINY_IMAGES = {"latent_dim": 8, "base_filters": 4}
TINY_POINTS = {"latent_dim": 4, "hidden_dims": (8, 8)}


@pytest.mark.parametrize(
    "image_shape, init_kwargs",
    [((16, 16, 1), TINY_IMAGES), ((2,), TINY_POINTS)],
    ids=["16x16", "points"],
)
def test_wgan_gp_harness_passes(image_shape, init_kwargs):
    run_gan_test(WGANGP, init_kwargs, image_shape)


@pytest.mark.parametrize("side, start_size", [(28, 7), (32, 4)])
def test_wgan_gp_fashion_mnist_sizes_build(side, start_size):
    model = WGANGP(image_shape=(side, side, 1), **TINY_IMAGES)

    reshape = next(x for x in model.generator.layers if isinstance(x, keras.layers.Reshape))
    assert reshape.output.shape[1:3] == (start_size, start_size)
    assert model.generate(2, seed=0).shape == (2, side, side, 1)
    assert model.discriminator(tf.zeros((2, side, side, 1))).shape == (2, 1)


def test_wgan_gp_defaults_follow_gulrajani_algorithm_1():
    model = zoo.build("wgan_gp", image_shape=(16, 16, 1), **TINY_IMAGES)
    model.compile()

    assert isinstance(model, WGANGP)
    assert (model.adversarial_loss, model.penalties.gp_weight, model.d_steps) == (
        "wasserstein",
        10.0,
        5,
    )
    assert model.clip_value == model.penalties.r1_gamma == model.penalties.r2_gamma == 0.0
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(1e-4)
        assert (optimizer.beta_1, optimizer.beta_2) == (0.0, 0.9)


def test_wgan_gp_trains_like_vanilla_gan_with_its_loss_penalty_and_critic_steps():
    # Algorithm 1 of Gulrajani et al. is Goodfellow's loop with n_critic = 5,
    # the Wasserstein loss and the penalty: the same game on the same networks.
    model = WGANGP(image_shape=(2,), seed=0, **TINY_POINTS)

    history, vanilla_history, vanilla = fit_beside_vanilla_gan(model, random_dataset(model))

    assert sorted(history) == sorted(vanilla_history)
    for name, values in vanilla_history.items():
        np.testing.assert_allclose(history[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
    assert np.all(np.asarray(history["d_penalty"]) > 0)
    for network in ("generator", "discriminator"):
        mine, theirs = getattr(model, network), getattr(vanilla, network)
        for a, b in zip(mine.weights, theirs.weights, strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6, err_msg=a.path)
    assert (int(model.g_optimizer.iterations), int(model.d_optimizer.iterations)) == (2, 2 * 5)


@pytest.mark.parametrize("layer_norm", [True, False])
def test_wgan_gp_image_critic_has_no_batch_norm(layer_norm):
    model = WGANGP(image_shape=(16, 16, 1), layer_norm=layer_norm, **TINY_IMAGES)
    layer_types = [type(layer) for layer in model.discriminator.layers]

    assert keras.layers.BatchNormalization not in layer_types
    assert (keras.layers.LayerNormalization in layer_types) == layer_norm


def test_wgan_gp_points_use_mlps_with_linear_output():
    model = WGANGP(image_shape=(2,), latent_dim=4, hidden_dims=(16, 8))

    dense = [x for x in model.generator.layers if isinstance(x, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [16, 8, 2]
    assert model.discriminator.output.shape[1:] == (1,)
    # A linear output is the last layer's affine map, unbounded and unclipped:
    # with a zero kernel every sample is the bias, where tanh would give
    # (0.99991, -0.99999) and ReLU (5, 0).
    dense[-1].kernel.assign(np.zeros(dense[-1].kernel.shape, np.float32))
    dense[-1].bias.assign([5.0, -7.0])
    np.testing.assert_array_equal(model.generate(3, seed=0), [[5.0, -7.0]] * 3)


def test_wgan_gp_runs_d_steps_critic_updates_per_generator_update_and_logs_penalty():
    model = WGANGP(image_shape=(2,), d_steps=3, **TINY_POINTS)
    model.compile()
    # One training batch holds d_steps real minibatches of 4.
    points = np.random.default_rng(0).normal(size=(12, 2)).astype("float32")

    history = model.fit(points, batch_size=12, epochs=1, verbose=0).history

    assert int(model.d_optimizer.iterations) == 3
    assert int(model.g_optimizer.iterations) == 1
    assert history["d_penalty"][0] > 0.0
    assert np.isfinite(history["d_loss"][0])


@pytest.mark.parametrize(
    "init_kwargs",
    [
        {"image_shape": (28, 28)},
        {"image_shape": (16, 32, 1)},
        {"image_shape": (2,), "clip_value": 0.01},
        {"image_shape": (2,), "gp_weight": -1.0},
        {"image_shape": (2,), "loss": "hinge", "gp_weight": 0.0, "clip_value": 0.01},
        {"image_shape": (2,), "loss": "no_such_loss"},
    ],
    ids=["rank_2", "non_square", "clip_with_gp", "negative_gp", "clip_with_hinge", "bad_loss"],
)
def test_wgan_gp_invalid_arguments_raise_zoo_error(init_kwargs):
    with pytest.raises(ZooError):
        WGANGP(**{**TINY_POINTS, **init_kwargs})


# ------------------------------------ the base's penalties, in every family


def test_discriminator_penalty_of_linear_discriminator_has_closed_form():
    # Linear activations make the MLP D(x) = w.x + b with w = W1 W2, so
    # gp = (||w|| - 1)^2 and r1 = r2 = ||w||^2 / 2 whatever the samples.
    model = VanillaGAN(
        image_shape=(2,), latent_dim=4, hidden_dims=(3,), activation="linear",
        loss="wasserstein", gp_weight=10.0, r1_gamma=2.0, r2_gamma=3.0,
    )  # fmt: skip
    kernels = [v.numpy() for v in model.discriminator.trainable_variables if v.ndim == 2]
    w = np.linalg.multi_dot(kernels)[:, 0]
    squared_norm = float(w @ w)
    real = tf.random.stateless_normal((8, 2), seed=(1, 2))
    fake = tf.random.stateless_normal((8, 2), seed=(3, 4))

    penalty = model.discriminator_penalty(real, None, fake, None)

    expected = 10.0 * (np.sqrt(squared_norm) - 1) ** 2 + (2.0 + 3.0) * squared_norm / 2
    assert float(penalty) == pytest.approx(expected, rel=1e-5)


def test_discriminator_penalty_without_penalties_is_zero():
    model = VanillaGAN(image_shape=(2,), latent_dim=4, hidden_dims=(3,))

    assert model.discriminator_penalty(tf.ones((2, 2)), None, tf.zeros((2, 2)), None) == 0.0


def _conditional_mlp(input_dim, num_classes, output_dim):
    inputs, labels = keras.Input((input_dim,)), keras.Input((), dtype="int32")
    x = keras.layers.Concatenate()([inputs, keras.layers.Embedding(num_classes, 2)(labels)])
    x = keras.layers.Dense(8, activation="tanh")(x)
    return keras.Model([inputs, labels], keras.layers.Dense(output_dim)(x))


def _conditional_penalty(real_label, fake_label, **penalties):
    model = GAN(
        _conditional_mlp(4, 3, 2), _conditional_mlp(2, 3, 1), latent_dim=4, num_classes=3,
        **penalties,
    )  # fmt: skip
    real = tf.random.stateless_normal((4, 2), seed=(1, 2))
    fake = tf.random.stateless_normal((4, 2), seed=(3, 4))
    real_labels, fake_labels = tf.fill((4,), real_label), tf.fill((4,), fake_label)
    with tf.GradientTape() as tape:
        penalty = model.discriminator_penalty(real, real_labels, fake, fake_labels)
    return float(penalty), tape.gradient(penalty, model.discriminator.trainable_variables)


def test_discriminator_penalty_of_conditional_model_reaches_its_weights():
    penalty, gradients = _conditional_penalty(0, 1, gp_weight=1.0, r1_gamma=1.0, r2_gamma=1.0)

    assert np.isfinite(penalty)
    assert all(g is not None for g in gradients[:-1])  # All but the last bias.


@pytest.mark.parametrize("penalty, labels", [("r1_gamma", (2, 1)), ("r2_gamma", (0, 2))])
def test_discriminator_penalty_of_conditional_model_uses_its_labels(penalty, labels):
    # keras.utils.set_random_seed makes both models' initial weights equal.
    values = []
    for real_label, fake_label in [(0, 1), (0, 1), labels]:
        keras.utils.set_random_seed(0)
        values.append(_conditional_penalty(real_label, fake_label, **{penalty: 1.0})[0])

    assert values[0] == values[1]
    assert values[0] != values[2]


def test_vanilla_gan_harness_passes_with_r1_and_hinge_loss():
    run_gan_test(VanillaGAN, {**TINY_POINTS, "loss": "hinge", "r1_gamma": 10.0}, (2,))


@pytest.mark.parametrize("cls", [VanillaGAN, WGANGP])
def test_weight_clipping_bounds_every_critic_weight_after_fit(cls):
    # With WGANGP and gp_weight=0 this is the original WGAN.
    model = cls(image_shape=(2,), loss="wasserstein", gp_weight=0.0, clip_value=0.01, d_steps=2,
                **TINY_POINTS)  # fmt: skip
    model.compile()
    points = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")

    model.fit(points, batch_size=8, epochs=1, verbose=0)

    for variable in model.discriminator.trainable_variables:
        assert np.max(np.abs(variable.numpy())) <= 0.01


@pytest.mark.parametrize(
    "init_kwargs, message",
    [
        ({"clip_value": 0.01}, "loss='wasserstein'"),
        ({"loss": "wasserstein", "clip_value": 0.01, "gp_weight": 10.0}, "use one"),
        ({"r1_gamma": -1.0}, ">= 0"),
        ({"r2_gamma": float("nan")}, ">= 0"),
        ({"gp_weight": "10"}, ">= 0"),
    ],
    ids=["clip_without_wasserstein", "clip_and_gp", "negative", "nan", "string"],
)
def test_invalid_penalty_settings_raise_zoo_error_saying_what_to_do(init_kwargs, message):
    with pytest.raises(ZooError, match=message):
        zoo.build("vanilla_gan", image_shape=(2,), **TINY_POINTS, **init_kwargs)


@pytest.mark.parametrize("penalty", ["gp_weight", "r1_gamma", "r2_gamma"])
def test_gradient_penalties_with_batch_norm_discriminator_raise_zoo_error(penalty):
    # DCGAN's discriminator has batch norm: per-sample gradients are ill-defined.
    with pytest.raises(ZooError, match="batch norm"):
        DCGAN(image_shape=(16, 16, 1), latent_dim=4, base_filters=2, **{penalty: 1.0})


def test_dcgan_takes_another_loss_through_its_constructor():
    def build(**loss):
        return zoo.build("dcgan", image_shape=(16, 16, 1), latent_dim=4, base_filters=2, **loss)

    hinge, default = build(loss="hinge"), build()
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-0.5], [1.0]])

    # Hinge: mean(relu(1 - real)) + mean(relu(1 + fake)) = 0.25 + 1.25, and
    # the generator's -mean(fake) = -0.25; the default non-saturating loss
    # gives other values.
    assert float(hinge.d_loss_fn(real, fake)) == pytest.approx(1.5)
    assert float(hinge.g_loss_fn(fake)) == pytest.approx(-0.25)
    assert float(default.g_loss_fn(fake)) != pytest.approx(-0.25)
    # The loss is a constructor argument, so a saved model keeps it.
    reloaded = DCGAN.from_config(hinge.get_config())
    assert float(reloaded.d_loss_fn(real, fake)) == pytest.approx(1.5)


# ------------------------------------------------------------ mode coverage


def _grid25_modes_after_training(model, optimizers, num_steps, batch_size, seed):
    data, _ = load_dataset("grid25", batch_size=batch_size * model.d_steps, seed=seed)
    model.compile(*optimizers, steps_per_execution=100)
    model.fit(data, steps_per_epoch=num_steps, epochs=1, verbose=0)
    return mode_statistics(model.generate(2500, seed=seed), "grid25")


@pytest.mark.slow
def test_wgan_gp_covers_more_grid25_modes_than_minimax_gan():
    # The benchmark's setting (bench/modes.py): latent 256, MLPs of two layers
    # of 128, batch 512; WGAN-GP with its paper's defaults (ReLU, 5 critic
    # steps, Adam(1e-4, 0, 0.9)), the minimax GAN with the VEEGAN/PacGAN
    # baseline's tanh and Adam(beta1 0.5; D 1e-4, G 1e-3). Same seed, same
    # number of generator updates. At 10k steps both still spray samples over
    # the plane and cover about as many modes by chance (12 and 13); at the
    # papers' 25k WGAN-GP covers 23, the GAN 7. About 15 minutes on 2 cores.
    num_steps, batch_size = 25_000, 512
    networks = {"image_shape": (2,), "latent_dim": 256, "hidden_dims": (128, 128), "seed": 0}

    keras.utils.set_random_seed(0)
    wgan_gp = _grid25_modes_after_training(WGANGP(**networks), (), num_steps, batch_size, 0)
    keras.utils.set_random_seed(0)
    minimax = _grid25_modes_after_training(
        VanillaGAN(loss="minimax", activation="tanh", **networks),
        (keras.optimizers.Adam(1e-4, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5)),
        num_steps,
        batch_size,
        0,
    )

    assert wgan_gp.num_modes_covered >= minimax.num_modes_covered + 5, (wgan_gp, minimax)
