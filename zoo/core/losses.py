"""Adversarial losses and discriminator penalties as pure functions.

Discriminator losses take `(real_logits, fake_logits)`, real first; generator
losses take `fake_logits`, the discriminator's logits on generated samples.
The gradient penalties take a `discriminator_fn` that maps a batch of samples to
logits (a conditional model binds its labels in a lambda) and differentiate it
with respect to its input; ProGAN's drift penalty takes real logits. Every
function returns a scalar averaged over the batch, unweighted; `Penalties`
weighs the gradient penalties and schedules them (lazy regularization).
"""

import dataclasses

import keras
import tensorflow as tf

from zoo.core import distribute
from zoo.core.errors import ZooError


def minimax_discriminator_loss(real_logits, fake_logits):
    """The discriminator's side of the original minimax game.

    `-E[log D(x)] - E[log(1 - D(G(z)))]` with `D = sigmoid(logits)`, written with
    softplus for numerical stability: `softplus(-real) + softplus(fake)`.

    Reference:
        Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661 (Eq. 1).
    """
    return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(
        tf.nn.softplus(fake_logits)
    )


def minimax_generator_loss(fake_logits):
    """The generator's side of the minimax game: minimize `E[log(1 - D(G(z)))]`.

    Equals `-softplus(fake_logits)`. Its gradient vanishes where the
    discriminator confidently rejects samples (`D(G(z)) -> 0`), which is why
    the non-saturating loss is used in practice.

    Reference:
        Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661 (Section 3).
    """
    return -tf.reduce_mean(tf.nn.softplus(fake_logits))


def non_saturating_generator_loss(fake_logits):
    """The non-saturating generator loss: minimize `-E[log D(G(z))]`.

    Equals `softplus(-fake_logits)`. Same fixed point as the minimax loss but
    strong gradients early in training, when the discriminator wins easily.

    Reference:
        Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661 (Section 3).
    """
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


# The non-saturating game keeps the minimax discriminator.
non_saturating_discriminator_loss = minimax_discriminator_loss


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """The critic's loss of WGAN: `E[D(G(z))] - E[D(x)]`.

    Reference:
        Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875 (Eq. 3).
    """
    return tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)


def wasserstein_generator_loss(fake_logits):
    """The generator's loss of WGAN: `-E[D(G(z))]`.

    Reference:
        Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875 (Algorithm 1).
    """
    return -tf.reduce_mean(fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """The hinge loss: `E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`.

    Reference:
        Lim & Ye 2017, https://arxiv.org/abs/1705.02894; used by SAGAN,
        Zhang et al. 2018, https://arxiv.org/abs/1805.08318 (Eq. 5).
    """
    return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(
        tf.nn.relu(1.0 + fake_logits)
    )


def hinge_generator_loss(fake_logits):
    """The generator's side of the hinge game: `-E[D(G(z))]`.

    Reference:
        Zhang et al. 2018, https://arxiv.org/abs/1805.08318 (Eq. 5).
    """
    return -tf.reduce_mean(fake_logits)


def least_squares_discriminator_loss(real_logits, fake_logits):
    """The LSGAN discriminator loss: `1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]`.

    Reference:
        Mao et al. 2017, https://arxiv.org/abs/1611.04076 (Eq. 9, a=0, b=c=1).
    """
    return 0.5 * tf.reduce_mean(tf.square(real_logits - 1.0)) + 0.5 * tf.reduce_mean(
        tf.square(fake_logits)
    )


def least_squares_generator_loss(fake_logits):
    """The LSGAN generator loss: `1/2 E[(D(G(z)) - 1)^2]`.

    Reference:
        Mao et al. 2017, https://arxiv.org/abs/1611.04076 (Eq. 9, c=1).
    """
    return 0.5 * tf.reduce_mean(tf.square(fake_logits - 1.0))


# Added under the square root of a squared gradient norm, as TF-GAN does: the
# derivative of sqrt is infinite at 0, so a zero input gradient would otherwise
# give NaN gradients for the discriminator's weights.
_NORM_EPSILON = 1e-10


def _squared_gradient_norms(discriminator_fn, samples):
    """Returns `||grad_x D(x)||^2` per sample, shape `(batch,)`.

    The result stays differentiable with respect to the discriminator's
    weights: called inside an outer `tf.GradientTape`, the inner gradient is
    recorded too (double backpropagation).
    """
    samples = tf.convert_to_tensor(samples)
    with tf.GradientTape() as tape:
        tape.watch(samples)
        logits = discriminator_fn(samples)
    # The gradient of the summed logits holds each sample's own gradient as
    # long as samples do not interact inside D (no batch norm).
    gradients = tape.gradient(logits, samples)
    return tf.reduce_sum(tf.square(gradients), axis=list(range(1, gradients.shape.rank)))


def gradient_penalty(discriminator_fn, real_samples, fake_samples, seed):
    """The WGAN-GP penalty: `E[(||grad D(x_hat)||_2 - 1)^2]`.

    `x_hat = x + eps * (G(z) - x)` interpolates each real sample with the
    generated sample of the same batch index, `eps ~ U[0, 1]` drawn once per
    sample. The paper weights it by `lambda = 10`.

    Args:
        discriminator_fn: maps a batch of samples to logits `(batch, 1)`.
        real_samples: real batch `(batch, ...)`.
        fake_samples: generated batch of the same shape.
        seed: where the interpolation weights come from: a model's
            `zoo.core.latents.TrainingNoise` (what `GAN` passes, which keeps the
            draw right under `tf.distribute`), a `keras.random.SeedGenerator`
            or an int.

    Returns:
        The unweighted penalty, a scalar.

    Example:
        >>> penalty = gradient_penalty(critic, real, fake, seed=0)
        >>> d_loss = wasserstein_discriminator_loss(...) + 10.0 * penalty

    Reference:
        Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028 (Algorithm 1).
    """
    real_samples = tf.convert_to_tensor(real_samples)
    fake_samples = tf.cast(fake_samples, real_samples.dtype)
    rank = real_samples.shape.rank
    eps_shape = (tf.shape(real_samples)[0],) + (1,) * (rank - 1)
    if hasattr(seed, "uniform"):
        eps = tf.cast(seed.uniform(eps_shape), real_samples.dtype)
    else:
        eps = keras.random.uniform(eps_shape, dtype=real_samples.dtype, seed=seed)
    interpolates = real_samples + eps * (fake_samples - real_samples)
    norms = tf.sqrt(_squared_gradient_norms(discriminator_fn, interpolates) + _NORM_EPSILON)
    return tf.reduce_mean(tf.square(norms - 1.0))


def r1_penalty(discriminator_fn, real_samples):
    """The R1 penalty on real data: `1/2 E_x[||grad_x D(x)||^2]`.

    Multiply by `gamma` to get the paper's `gamma/2 E||grad D||^2`. `D` is the
    discriminator's logit (before any sigmoid).

    Args:
        discriminator_fn: maps a batch of samples to logits `(batch, 1)`.
        real_samples: real batch `(batch, ...)`.

    Returns:
        The penalty without `gamma`, a scalar.

    Reference:
        Mescheder et al. 2018, https://arxiv.org/abs/1801.04406 (Section 4.1).
    """
    return 0.5 * tf.reduce_mean(_squared_gradient_norms(discriminator_fn, real_samples))


def r2_penalty(discriminator_fn, fake_samples):
    """The R2 penalty on generated data: `1/2 E_z[||grad D(G(z))||^2]`.

    Multiply by `gamma`, as for `r1_penalty`.

    Args:
        discriminator_fn: maps a batch of samples to logits `(batch, 1)`.
        fake_samples: generated batch `(batch, ...)`.

    Returns:
        The penalty without `gamma`, a scalar.

    Reference:
        Mescheder et al. 2018, https://arxiv.org/abs/1801.04406 (Section 4.1).
    """
    return 0.5 * tf.reduce_mean(_squared_gradient_norms(discriminator_fn, fake_samples))


def drift_penalty(real_logits):
    """ProGAN's drift penalty on the critic's real scores: `E_x[D(x)^2]`.

    The Wasserstein loss only sees differences of scores, so the critic's
    output can drift away from 0 as a whole; this term anchors it. ProGAN adds
    `epsilon_drift * drift_penalty(real_logits)` to the critic's loss, with
    `epsilon_drift = 0.001`.

    Args:
        real_logits: the critic's scores on real samples, `(batch, 1)`.

    Returns:
        The penalty without `epsilon_drift`, a scalar.

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Appendix A.1).
    """
    return tf.reduce_mean(tf.square(real_logits))


def clip_weights(variables, clip_value):
    """Clips every variable to `[-clip_value, clip_value]`, in place.

    The original WGAN's crude way to keep the critic Lipschitz, applied after
    every critic update (`c = 0.01` in the paper). WGAN-GP replaces it with
    `gradient_penalty`.

    Args:
        variables: the critic's trainable variables.
        clip_value: the bound `c > 0`.

    Reference:
        Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875 (Algorithm 1).
    """
    distribute.assign_state(
        (variable, tf.clip_by_value(variable, -clip_value, clip_value)) for variable in variables
    )


# Name -> (discriminator loss, generator loss): what `loss="..."` selects.
# Losses whose discriminator output is the logit of a probability: D(x) is
# reported as sigmoid(logit). For the others (Wasserstein, hinge, least
# squares) the raw output is the meaningful score.
_PROBABILITY_LOSSES = ("minimax", "non_saturating")


def discriminator_score(loss, logits):
    """The batch mean of D's output as logged: D(x) as a probability for the
    minimax and non-saturating losses, the raw score for the others."""
    if loss in _PROBABILITY_LOSSES:
        return tf.reduce_mean(tf.sigmoid(logits))
    return tf.reduce_mean(logits)


ADVERSARIAL_LOSSES = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": (non_saturating_discriminator_loss, non_saturating_generator_loss),
    "wasserstein": (wasserstein_discriminator_loss, wasserstein_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
}


def get_adversarial_loss(name):
    """Returns `(discriminator_loss, generator_loss)` registered as `name`.

    Raises:
        ZooError: for an unknown name; the message lists the valid ones.
    """
    try:
        return ADVERSARIAL_LOSSES[name]
    except KeyError:
        raise ZooError(
            f"unknown loss {name!r}; valid losses: {', '.join(sorted(ADVERSARIAL_LOSSES))}"
        ) from None


@dataclasses.dataclass(frozen=True)
class Penalties:
    """The discriminator's gradient penalties with their weights, and their schedule.

    Attributes:
        gp_weight: weight of WGAN-GP's `gradient_penalty`; `0` turns it off.
        r1_gamma: weight of `r1_penalty` on real samples; `0` turns it off.
        r2_gamma: weight of `r2_penalty` on generated samples; `0` turns it off.
        every: lazy regularization (StyleGAN2, Karras et al. 2020, Section 3.1):
            the penalties run on every `every`-th discriminator step only,
            scaled by `every` to keep their strength.
    """

    gp_weight: float = 0.0
    r1_gamma: float = 0.0
    r2_gamma: float = 0.0
    every: int = 1

    @property
    def active(self):
        """The names of the penalties that are on."""
        weights = {"gp_weight": self.gp_weight, "r1_gamma": self.r1_gamma,
                   "r2_gamma": self.r2_gamma}  # fmt: skip
        return [name for name, weight in weights.items() if weight]

    def __call__(self, discriminate, real, fake, d_step, seed):
        """The weighted sum of the active penalties at discriminator step `d_step`.

        Call it inside the discriminator's tape: the penalties depend on its
        weights through its input gradients.

        Args:
            discriminate: `(samples, labels) -> logits` in training mode.
            real: `(images, labels)` of the real minibatch (labels may be `None`).
            fake: `(images, labels)` of the generated minibatch.
            d_step: the discriminator's update count (a tensor); only a lazy
                schedule (`every > 1`) reads it.
            seed: the interpolation weights' seed of `gradient_penalty`.

        Returns:
            A scalar: `every` times the sum on every `every`-th step, `0` on the
            others, and `0.0` (a Python float) when no penalty is on.
        """
        if not self.active:
            return 0.0
        penalty = lambda: self._weighted_sum(discriminate, real, fake, seed)  # noqa: E731
        if self.every == 1:
            return penalty()
        due = tf.equal(d_step % self.every, 0)
        return tf.cond(due, lambda: self.every * penalty(), lambda: 0.0)

    def _weighted_sum(self, discriminate, real, fake, seed):
        (real_images, real_labels), (fake_images, fake_labels) = real, fake

        def discriminator_fn(labels):
            return lambda samples: discriminate(samples, labels)

        total = 0.0
        if self.gp_weight:
            # Labels cannot be interpolated; the real ones follow the data.
            total += self.gp_weight * gradient_penalty(
                discriminator_fn(real_labels), real_images, fake_images, seed
            )
        if self.r1_gamma:
            total += self.r1_gamma * r1_penalty(discriminator_fn(real_labels), real_images)
        if self.r2_gamma:
            total += self.r2_gamma * r2_penalty(discriminator_fn(fake_labels), fake_images)
        return total

    def check(self, family, loss, clip_value, discriminator_mixes_batch):
        """Refuses the combinations that make no sense, in one line.

        The weights' types and ranges are checked before (the families'
        argument specs).

        Args:
            family: the family's name, for the message.
            loss: the adversarial loss's name.
            clip_value: the original WGAN's weight-clipping bound (`0`: off).
            discriminator_mixes_batch: whether the discriminator uses batch
                norm, which makes D(x) depend on the whole batch.

        Raises:
            ZooError: what to change.
        """
        if clip_value and loss != "wasserstein":
            raise ZooError(
                f"clip_value is the weight clipping of the original WGAN and needs "
                f"loss='wasserstein', got loss={loss!r}; set loss='wasserstein' or clip_value=0"
            )
        if clip_value and self.gp_weight:
            raise ZooError(
                "clip_value and gp_weight both keep the critic Lipschitz; use one: "
                "gp_weight=0 for weight clipping, or clip_value=0 for the gradient penalty"
            )
        if self.active and discriminator_mixes_batch:
            # Gulrajani et al. 2017, Section 4: per-sample input gradients are no
            # longer D's own once batch norm mixes the batch.
            raise ZooError(
                f"{', '.join(self.active)} penalize D's per-sample input gradients, but "
                f"{family}'s discriminator uses batch norm, which mixes the batch's samples; use "
                f"a family without batch norm in the discriminator (e.g. wgan_gp, vanilla_gan)"
            )
