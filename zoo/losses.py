"""Adversarial losses as pure functions of discriminator logits.

Discriminator losses take `(real_logits, fake_logits)`, real first; generator
losses take `fake_logits`, the discriminator's logits on generated samples.
Every function returns a scalar averaged over the batch.
"""

import tensorflow as tf

from zoo.errors import ZooError


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


# Name -> (discriminator loss, generator loss): what `loss="..."` selects.
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
