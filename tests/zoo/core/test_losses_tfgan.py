"""zoo.core.losses against TF-GAN's `losses_impl`, wherever TF-GAN has the same loss.

`import tensorflow_gan` fails on TensorFlow >= 2.16 (tensorflow/gan#55), so
`losses_impl` is loaded without the package `__init__`. TF-GAN's defaults are
not the papers' plain losses: its discriminator losses smooth the real labels
by 0.25 by default, so every call here passes `label_smoothing=0.0`.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.core import losses
from zoo.core.errors import ZooError
from zoo.metrics import tfgan as tfgan_loader


@pytest.fixture(scope="module")
def tfgan():
    """TF-GAN's `losses_impl` module; skips the test when it cannot load."""
    try:
        return tfgan_loader.losses_impl()
    except ZooError as e:
        pytest.skip(f"cannot load tensorflow_gan.python.losses.losses_impl: {e}")


@pytest.fixture(scope="module")
def logits():
    """`(real_logits, fake_logits)`, each `(8, 1)`, spread over both signs."""
    rng = np.random.default_rng(0)
    return (
        tf.constant(rng.normal(0.5, 2.0, (8, 1)), tf.float32),
        tf.constant(rng.normal(-0.5, 2.0, (8, 1)), tf.float32),
    )


def _assert_same(ours, theirs):
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6, atol=1e-6)


def test_minimax_discriminator_loss_equals_tfgan(tfgan, logits):
    _assert_same(
        losses.minimax_discriminator_loss(*logits),
        tfgan.minimax_discriminator_loss(*logits, label_smoothing=0.0),
    )


def test_non_saturating_discriminator_loss_equals_tfgan_modified(tfgan, logits):
    _assert_same(
        losses.non_saturating_discriminator_loss(*logits),
        tfgan.modified_discriminator_loss(*logits, label_smoothing=0.0),
    )


def test_minimax_generator_loss_equals_tfgan_up_to_a_constant_with_same_gradient(tfgan, logits):
    # TF-GAN computes it as -minimax_discriminator_loss(ones, fake): the real
    # term is a constant softplus(-1) = log(1 + e^-1), with no effect on G.
    fake = tf.Variable(logits[1])
    with tf.GradientTape(persistent=True) as tape:
        ours = losses.minimax_generator_loss(fake)
        theirs = tfgan.minimax_generator_loss(fake)

    _assert_same(ours - theirs, math.log1p(math.exp(-1.0)))
    np.testing.assert_allclose(tape.gradient(ours, fake), tape.gradient(theirs, fake), rtol=1e-6)


def test_non_saturating_generator_loss_equals_tfgan_modified(tfgan, logits):
    _assert_same(
        losses.non_saturating_generator_loss(logits[1]),
        tfgan.modified_generator_loss(logits[1]),
    )


def test_wasserstein_losses_equal_tfgan(tfgan, logits):
    _assert_same(
        losses.wasserstein_discriminator_loss(*logits),
        tfgan.wasserstein_discriminator_loss(*logits),
    )
    _assert_same(
        losses.wasserstein_generator_loss(logits[1]), tfgan.wasserstein_generator_loss(logits[1])
    )


def test_hinge_losses_equal_tfgan_wasserstein_hinge(tfgan, logits):
    _assert_same(
        losses.hinge_discriminator_loss(*logits),
        tfgan.wasserstein_hinge_discriminator_loss(*logits),
    )
    _assert_same(
        losses.hinge_generator_loss(logits[1]), tfgan.wasserstein_hinge_generator_loss(logits[1])
    )


def test_least_squares_losses_equal_tfgan(tfgan, logits):
    _assert_same(
        losses.least_squares_discriminator_loss(*logits),
        tfgan.least_squares_discriminator_loss(*logits),
    )
    _assert_same(
        losses.least_squares_generator_loss(logits[1]),
        tfgan.least_squares_generator_loss(logits[1]),
    )


def _tfgan_gradient_penalty(tfgan, critic, real, fake):
    # TF-GAN's penalty uses tf.gradients, which needs a graph; a named
    # discriminator scope is required by its variable_scope(reuse=AUTO_REUSE).
    @tf.function
    def penalty():
        return tfgan.wasserstein_gradient_penalty(
            real, fake, None, lambda samples, _: critic(samples), "critic"
        )

    return penalty()


@pytest.mark.parametrize("weights", [[3.0, 4.0], [0.3, -0.4]])
def test_gradient_penalty_of_linear_critic_equals_tfgan(tfgan, weights):
    # grad D = w at every interpolate: the two libraries' different random
    # interpolation weights cannot change the value.
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    critic.layers[0].kernel.assign(np.asarray(weights, np.float32)[:, None])
    real = tf.random.stateless_normal((8, 2), seed=(1, 2))
    fake = tf.random.stateless_normal((8, 2), seed=(3, 4))

    ours = losses.gradient_penalty(critic, real, fake, keras.random.SeedGenerator(0))

    _assert_same(ours, _tfgan_gradient_penalty(tfgan, critic, real, fake))


def test_gradient_penalty_of_nonlinear_critic_equals_tfgan_when_real_equals_fake(tfgan):
    # Real and fake coincide, so every interpolate is the sample itself.
    critic = keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            keras.layers.Conv2D(3, 3, activation="tanh"),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    samples = tf.random.stateless_normal((6, 4, 4, 1), seed=(5, 6))

    ours = losses.gradient_penalty(critic, samples, samples, keras.random.SeedGenerator(0))

    _assert_same(ours, _tfgan_gradient_penalty(tfgan, critic, samples, samples))
