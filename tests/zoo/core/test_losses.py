"""zoo.core.losses: golden values worked out by hand from each paper's formula."""

import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.core import losses
from zoo.core.errors import ZooError

LOG_2 = math.log(2.0)


def _logits(*values):
    # (B, 1), the shape the discriminators return.
    return tf.constant([[v] for v in values], tf.float32)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def test_minimax_discriminator_loss_at_zero_logits_is_2_log_2():
    # D = 1/2 everywhere: -log(1/2) - log(1 - 1/2).
    loss = losses.minimax_discriminator_loss(_logits(0.0, 0.0), _logits(0.0, 0.0))

    assert loss.shape == ()
    assert float(loss) == pytest.approx(2 * LOG_2, rel=1e-6)


def test_minimax_discriminator_loss_matches_goodfellow_eq_1():
    real, fake = [2.0, -1.0], [0.5, -3.0]
    expected = -np.mean(np.log(_sigmoid(real))) - np.mean(np.log(1 - _sigmoid(fake)))

    loss = losses.minimax_discriminator_loss(_logits(*real), _logits(*fake))

    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_minimax_generator_loss_matches_mean_log_one_minus_d():
    fake = [0.5, -3.0]
    expected = np.mean(np.log(1 - _sigmoid(fake)))

    assert float(losses.minimax_generator_loss(_logits(*fake))) == pytest.approx(expected, rel=1e-6)


def test_non_saturating_generator_loss_matches_minus_mean_log_d():
    fake = [0.5, -3.0]
    expected = -np.mean(np.log(_sigmoid(fake)))

    loss = losses.non_saturating_generator_loss(_logits(*fake))

    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_non_saturating_discriminator_loss_is_minimax_discriminator_loss():
    real, fake = _logits(2.0, -1.0), _logits(0.5, -3.0)

    assert float(losses.non_saturating_discriminator_loss(real, fake)) == pytest.approx(
        float(losses.minimax_discriminator_loss(real, fake))
    )


def test_logistic_losses_at_extreme_logits_are_finite():
    # log(sigmoid(-100)) underflows to -inf when computed naively; softplus
    # gives -100 exactly.
    assert float(losses.non_saturating_generator_loss(_logits(-100.0))) == pytest.approx(100.0)
    assert float(losses.minimax_generator_loss(_logits(100.0))) == pytest.approx(-100.0)
    assert float(losses.minimax_discriminator_loss(_logits(-100.0), _logits(100.0))) == (
        pytest.approx(200.0)
    )
    assert float(losses.minimax_discriminator_loss(_logits(100.0), _logits(-100.0))) < 1e-30


def test_wasserstein_losses_golden_values():
    # E[D(G(z))] - E[D(x)] = (0 - 2)/2 - (1 + 3)/2 = -3.
    real, fake = _logits(1.0, 3.0), _logits(0.0, -2.0)

    assert float(losses.wasserstein_discriminator_loss(real, fake)) == pytest.approx(-3.0)
    assert float(losses.wasserstein_generator_loss(fake)) == pytest.approx(1.0)


def test_hinge_losses_golden_values():
    # relu(1 - D(x)): 0 and 0.5; relu(1 + D(G(z))): 0 and 1 -> 0.25 + 0.5.
    real, fake = _logits(2.0, 0.5), _logits(-2.0, 0.0)

    assert float(losses.hinge_discriminator_loss(real, fake)) == pytest.approx(0.75)
    assert float(losses.hinge_generator_loss(_logits(1.0, 4.0))) == pytest.approx(-2.5)


def test_least_squares_losses_golden_values():
    # 1/2 mean((0, 2)^2) + 1/2 mean((0, 2)^2) = 1 + 1.
    real, fake = _logits(1.0, 3.0), _logits(0.0, 2.0)

    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(2.0)
    # 1/2 mean((1 - 1, 3 - 1)^2) = 1.
    assert float(losses.least_squares_generator_loss(_logits(1.0, 3.0))) == pytest.approx(1.0)


# ---------------------------------------------------------------- penalties


def _linear_critic(weights):
    """D(x) = <x, weights> per sample: its input gradient is `weights` everywhere."""
    weights = tf.constant(weights, tf.float32)
    axes = list(range(1, weights.shape.rank + 1))
    return lambda samples: tf.reduce_sum(samples * weights, axis=axes)[:, None]


@pytest.mark.parametrize(
    "weights",
    [[0.6, 0.8], [[[0.5], [0.5]], [[0.5], [-0.5]]]],
    ids=["points", "images"],
)
def test_gradient_penalty_of_unit_norm_linear_critic_is_zero(weights):
    shape = (3, *np.shape(weights))
    real = tf.random.stateless_normal(shape, (1, 2))
    fake = tf.random.stateless_normal(shape, (3, 4))

    penalty = losses.gradient_penalty(_linear_critic(weights), real, fake, seed=0)

    assert float(penalty) == pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_of_norm_3_linear_critic_is_4():
    # (||grad|| - 1)^2 = (3 - 1)^2 wherever the interpolate falls.
    real, fake = tf.zeros((4, 2)), tf.ones((4, 2))

    penalty = losses.gradient_penalty(_linear_critic([0.0, 3.0]), real, fake, seed=0)

    assert float(penalty) == pytest.approx(4.0, rel=1e-6)


def test_gradient_penalty_of_quadratic_critic_uses_gradient_at_sample():
    # D(x) = ||x||^2 / 2 has gradient x; with real == fake every interpolate is
    # the sample itself: ((5 - 1)^2 + (1 - 1)^2) / 2 for norms 5 and 1.
    samples = tf.constant([[3.0, 4.0], [0.6, 0.8]])

    def critic(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=1, keepdims=True)

    penalty = losses.gradient_penalty(critic, samples, samples, seed=0)

    assert float(penalty) == pytest.approx(8.0, rel=1e-5)


@pytest.mark.parametrize("penalty", [losses.r1_penalty, losses.r2_penalty])
def test_r1_r2_penalty_of_quadratic_critic_is_half_mean_squared_gradient(penalty):
    # D(x) = ||x||^2 has gradient 2x: squared norms 4 * (1, 4) -> 1/2 * mean(4, 16).
    samples = tf.constant([[1.0, 0.0], [0.0, 2.0]])

    def critic(x):
        return tf.reduce_sum(tf.square(x), axis=1, keepdims=True)

    assert float(penalty(critic, samples)) == pytest.approx(5.0, rel=1e-6)


def test_r1_penalty_is_differentiable_with_respect_to_critic_weights():
    # D(x) = <x, w>: R1 = ||w||^2 / 2, so dR1/dw = w (double backpropagation).
    w = tf.Variable([1.5, -2.0])
    samples = tf.ones((3, 2))

    with tf.GradientTape() as tape:
        penalty = losses.r1_penalty(lambda x: tf.reduce_sum(x * w, 1, keepdims=True), samples)

    assert float(penalty) == pytest.approx(0.5 * (1.5**2 + 2.0**2))
    np.testing.assert_allclose(tape.gradient(penalty, w), [1.5, -2.0], rtol=1e-6)


def test_clip_weights_clips_every_variable_into_bound():
    variables = [tf.Variable([-0.5, 0.005, 0.3]), tf.Variable([[0.02], [-0.001]])]

    losses.clip_weights(variables, 0.01)

    np.testing.assert_allclose(variables[0], [-0.01, 0.005, 0.01])
    np.testing.assert_allclose(variables[1], [[0.01], [-0.001]])


# ----------------------------------------------------------------- registry


LOSS_NAMES = ("minimax", "non_saturating", "wasserstein", "hinge", "least_squares")


def test_get_adversarial_loss_name_computes_that_loss_and_no_other():
    # The golden-value tests above pin each `<name>_*_loss`; the names must
    # lead to them, each to its own pair.
    real, fake = _logits(1.5, -0.5, 0.25), _logits(-2.0, 0.75, 3.0)
    computed = {}
    for name in LOSS_NAMES:
        d_loss, g_loss = losses.get_adversarial_loss(name)
        computed[name] = (float(d_loss(real, fake)), float(g_loss(fake)))
        named_d_loss = getattr(losses, f"{name}_discriminator_loss")
        named_g_loss = getattr(losses, f"{name}_generator_loss")
        expected = (float(named_d_loss(real, fake)), float(named_g_loss(fake)))
        assert computed[name] == pytest.approx(expected), name

    assert len({tuple(np.round(pair, 5)) for pair in computed.values()}) == len(LOSS_NAMES)
    assert sorted(LOSS_NAMES) == sorted(losses.ADVERSARIAL_LOSSES)


def test_get_adversarial_loss_unknown_name_raises_zoo_error_listing_valid_names():
    with pytest.raises(ZooError, match="relativistic") as error:
        losses.get_adversarial_loss("relativistic")

    assert "non_saturating" in str(error.value) and "hinge" in str(error.value)


def test_drift_penalty_is_mean_squared_real_logit():
    # (1^2 + (-2)^2 + 3^2 + 0^2) / 4 = 14 / 4; Karras et al. 2018 weight it by 0.001.
    penalty = losses.drift_penalty(_logits(1.0, -2.0, 3.0, 0.0))

    assert penalty.shape == ()
    assert float(penalty) == pytest.approx(3.5)
