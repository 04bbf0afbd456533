"""zoo.core.losses penalties: golden values, linear-critic closed forms, the Dirac GAN."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.core import losses


def _half_squared_norm(samples):
    # D(x) = ||x||^2 / 2 per sample, so grad D(x) = x: the penalties become
    # functions of the inputs' norms that are easy to work out by hand.
    axes = list(range(1, samples.shape.rank))
    return 0.5 * tf.reduce_sum(tf.square(samples), axis=axes)[:, None]


def _linear_critic(weights):
    """A `Dense(1)` critic D(x) = w.x + b with the given `w`."""
    critic = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(1)])
    critic.layers[0].kernel.assign(np.asarray(weights, np.float32)[:, None])
    critic.layers[0].bias.assign([0.7])
    return critic


def _points(*rows):
    return tf.constant(rows, tf.float32)


# ------------------------------------------------------------ golden values


def test_r1_penalty_golden_value_is_half_mean_squared_gradient_norm():
    # Gradients (3, 4) and (0, 1): 1/2 * (25 + 1) / 2.
    penalty = losses.r1_penalty(_half_squared_norm, _points([3.0, 4.0], [0.0, 1.0]))

    assert penalty.shape == ()
    assert float(penalty) == pytest.approx(6.5)


def test_r2_penalty_golden_value_is_half_mean_squared_gradient_norm():
    penalty = losses.r2_penalty(_half_squared_norm, _points([1.0, 2.0], [2.0, 0.0]))

    assert float(penalty) == pytest.approx(0.5 * (5.0 + 4.0) / 2)


def test_gradient_penalty_golden_value_when_real_equals_fake():
    # Every interpolate is the sample itself, whatever eps: norms 5 and 1.
    samples = _points([3.0, 4.0], [0.0, 1.0])

    penalty = losses.gradient_penalty(_half_squared_norm, samples, samples, seed=0)

    assert float(penalty) == pytest.approx(((5 - 1) ** 2 + (1 - 1) ** 2) / 2)


def test_penalties_sum_gradients_over_every_image_axis():
    # Per-sample gradient norms over (H, W, C): 4 * 1^2 and 4 * 2^2.
    images = tf.stack([tf.ones((2, 2, 1)), 2.0 * tf.ones((2, 2, 1))])

    assert float(losses.r1_penalty(_half_squared_norm, images)) == pytest.approx(0.5 * 10.0)
    assert float(losses.gradient_penalty(_half_squared_norm, images, images, 0)) == (
        pytest.approx(((2 - 1) ** 2 + (4 - 1) ** 2) / 2)
    )


def test_gradient_penalty_interpolates_each_pair_with_one_weight_in_unit_interval():
    real = _points([0.0, 0.0], [1.0, 1.0], [5.0, -5.0], [2.0, 3.0])
    fake = _points([4.0, 2.0], [2.0, 3.0], [-1.0, 1.0], [3.0, 7.0])
    seen = []

    def recording_critic(samples):
        seen.append(samples)
        return _half_squared_norm(samples)

    losses.gradient_penalty(recording_critic, real, fake, keras.random.SeedGenerator(1))

    # x_hat = x + eps (G(z) - x): every coordinate of a pair moves by one eps.
    eps = (seen[0] - real) / (fake - real)
    np.testing.assert_allclose(eps[:, 0], eps[:, 1], rtol=1e-5)
    assert np.all((eps >= 0) & (eps <= 1))
    assert len(np.unique(np.round(eps[:, 0], 5))) == 4


def test_gradient_penalty_is_a_function_of_its_seed():
    real, fake = _points([0.0, 0.0], [1.0, 1.0]), _points([4.0, 2.0], [1.0, 3.0])

    def penalty(seed):
        return float(losses.gradient_penalty(_half_squared_norm, real, fake, seed))

    assert penalty(3) == penalty(3)
    assert penalty(3) != penalty(4)


def test_clip_weights_clips_every_variable_in_place():
    variables = [tf.Variable([[-0.5, 0.005], [0.02, -0.01]]), tf.Variable([3.0])]

    losses.clip_weights(variables, 0.01)

    np.testing.assert_allclose(variables[0].numpy(), [[-0.01, 0.005], [0.01, -0.01]])
    np.testing.assert_allclose(variables[1].numpy(), [0.01])


def test_clip_weights_clips_keras_variables():
    critic = _linear_critic([3.0, -4.0])

    losses.clip_weights(critic.trainable_variables, 0.5)

    np.testing.assert_allclose(critic.layers[0].kernel.numpy(), [[0.5], [-0.5]])
    np.testing.assert_allclose(critic.layers[0].bias.numpy(), [0.5])


# ------------------------------------------------- linear critic D(x) = w.x


@pytest.mark.parametrize("weights", [[3.0, 4.0], [0.6, -0.8], [0.1, 0.2]])
def test_gradient_penalty_of_linear_critic_is_squared_norm_minus_one(weights):
    # grad D = w everywhere, so the random interpolates cannot matter.
    critic = _linear_critic(weights)
    real = tf.random.stateless_normal((8, 2), seed=(1, 2))
    fake = tf.random.stateless_normal((8, 2), seed=(3, 4))

    penalty = losses.gradient_penalty(critic, real, fake, keras.random.SeedGenerator(0))

    assert float(penalty) == pytest.approx((np.linalg.norm(weights) - 1) ** 2, abs=1e-6)


@pytest.mark.parametrize("gamma", [1.0, 10.0])
def test_r1_and_r2_of_linear_critic_times_gamma_are_half_gamma_squared_norm(gamma):
    critic = _linear_critic([3.0, 4.0])
    samples = tf.random.stateless_normal((8, 2), seed=(1, 2))

    assert gamma * float(losses.r1_penalty(critic, samples)) == pytest.approx(gamma / 2 * 25)
    assert gamma * float(losses.r2_penalty(critic, samples)) == pytest.approx(gamma / 2 * 25)


def test_gradient_penalty_gradient_reaches_critic_weights():
    weights = np.array([3.0, 4.0])
    critic = _linear_critic(weights)
    samples = tf.random.stateless_normal((8, 2), seed=(1, 2))

    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, samples, samples[::-1], 0)
    kernel_gradient, bias_gradient = tape.gradient(penalty, critic.trainable_variables)

    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||; the bias has no gradient
    # effect on grad D, so its gradient is zero (TF returns None for it).
    norm = np.linalg.norm(weights)
    np.testing.assert_allclose(kernel_gradient[:, 0], 2 * (norm - 1) * weights / norm, rtol=1e-5)
    assert bias_gradient is None or float(tf.reduce_max(tf.abs(bias_gradient))) == 0.0


def test_r1_penalty_gradient_reaches_critic_weights():
    critic = _linear_critic([3.0, 4.0])
    samples = tf.random.stateless_normal((8, 2), seed=(1, 2))

    with tf.GradientTape() as tape:
        penalty = 10.0 * losses.r1_penalty(critic, samples)
    kernel_gradient = tape.gradient(penalty, critic.layers[0].kernel)

    # d/dw gamma/2 ||w||^2 = gamma w.
    np.testing.assert_allclose(kernel_gradient[:, 0], [30.0, 40.0], rtol=1e-5)


def test_penalty_gradients_reach_every_weight_of_a_nonlinear_critic():
    critic = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    )
    real = tf.random.stateless_normal((8, 2), seed=(1, 2))
    fake = tf.random.stateless_normal((8, 2), seed=(3, 4))

    for penalty_fn in (
        lambda: losses.gradient_penalty(critic, real, fake, 0),
        lambda: losses.r1_penalty(critic, real),
        lambda: losses.r2_penalty(critic, fake),
    ):
        with tf.GradientTape() as tape:
            penalty = penalty_fn()
        # The last bias shifts D without changing grad D: no gradient there.
        *gradients, _ = tape.gradient(penalty, critic.trainable_variables)
        for gradient in gradients:
            assert gradient is not None
            assert np.all(np.isfinite(gradient)) and np.any(gradient != 0)


def test_gradient_penalty_of_constant_critic_has_finite_gradients():
    # ||grad D|| = 0: without an epsilon under the root, d sqrt(0) is infinite.
    critic = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")]
    )
    samples = tf.ones((4, 2))

    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, samples, -samples, 0)
    kernel_gradient = tape.gradient(penalty, critic.layers[0].kernel)

    assert float(penalty) == pytest.approx(1.0, abs=1e-4)
    assert np.all(np.isfinite(kernel_gradient))


# --------------------------------------------------------------- Dirac GAN


def _train_dirac_gan(r1_gamma, num_steps, simultaneous=False, learning_rate=0.1):
    """Mescheder et al. 2018 (https://arxiv.org/abs/1801.04406), Section 2: data
    at 0, generator delta at theta, discriminator D(x) = phi * x; gradient
    descent from (theta, phi) = (1, 1).

    Returns the final `(theta, phi)`.
    """
    theta, phi = tf.Variable(1.0), tf.Variable(1.0)
    real = tf.zeros((1, 1))

    def discriminator(samples):
        return phi * samples

    def discriminator_loss():
        fake = tf.reshape(theta, (1, 1))
        loss = losses.minimax_discriminator_loss(discriminator(real), discriminator(fake))
        # grad_x D = phi, so the R1 term is gamma/2 phi^2.
        return loss + r1_gamma * losses.r1_penalty(discriminator, real)

    def generator_loss():
        return losses.minimax_generator_loss(discriminator(tf.reshape(theta, (1, 1))))

    def step(variable, loss_fn):
        with tf.GradientTape() as tape:
            loss = loss_fn()
        return tape.gradient(loss, variable)

    @tf.function
    def train():
        for _ in tf.range(num_steps):
            if simultaneous:
                phi_step, theta_step = step(phi, discriminator_loss), step(theta, generator_loss)
                phi.assign_sub(learning_rate * phi_step)
                theta.assign_sub(learning_rate * theta_step)
            else:
                phi.assign_sub(learning_rate * step(phi, discriminator_loss))
                theta.assign_sub(learning_rate * step(theta, generator_loss))

    train()
    return float(theta), float(phi)


def test_dirac_gan_alternating_gradient_descent_without_penalty_keeps_circling():
    # The update's Jacobian at the equilibrium has its eigenvalues on the unit
    # circle, so the iterates orbit (0, 0) instead of approaching it.
    theta, phi = _train_dirac_gan(r1_gamma=0.0, num_steps=2000)

    assert math.hypot(theta, phi) > 0.9 * math.sqrt(2.0)


def test_dirac_gan_simultaneous_gradient_descent_without_penalty_spirals_out():
    # Here the eigenvalues lie outside the unit circle.
    theta, phi = _train_dirac_gan(r1_gamma=0.0, num_steps=2000, simultaneous=True)

    assert math.hypot(theta, phi) > math.sqrt(2.0)


@pytest.mark.parametrize("simultaneous", [False, True], ids=["alternating", "simultaneous"])
def test_dirac_gan_with_r1_penalty_converges_to_equilibrium(simultaneous):
    theta, phi = _train_dirac_gan(r1_gamma=1.0, num_steps=2000, simultaneous=simultaneous)

    assert math.hypot(theta, phi) < 1e-3
