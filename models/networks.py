"""Whole-network builders that two or more families share.

Each builder returns a functional `keras.Model` named `generator` or
`discriminator`. A builder lives here, rather than in the family that wrote it
first, once a second family uses it, so no family file imports another's
networks: the strided-conv networks and growth plan (DCGAN, WGAN-GP's images),
the MLPs (the original GAN, WGAN-GP's points).
"""

import math

import keras

from zoo.core.errors import ZooError

from . import layers

# The generator starts from a small square and doubles it; the smallest start
# keeps the fewest pixels in the expensive dense projection.
_MIN_START_SIZE = 4


def growth_plan(image_shape):
    """Returns `(start_size, num_doublings)` with `start * 2^n == H`.

    Shared by the convolutional families that grow images by doubling
    (DCGAN, WGAN-GP's image variant).
    """
    if len(image_shape) != 3 or image_shape[0] != image_shape[1]:
        raise ZooError(
            f"convolutional generators need square images (H, H, C), got image_shape={image_shape}"
        )
    size, doublings = image_shape[0], 0
    while size % 2 == 0 and size // 2 >= _MIN_START_SIZE:
        size, doublings = size // 2, doublings + 1
    if doublings == 0:
        raise ZooError(
            f"convolutional generators need an image side s * 2^n with s >= {_MIN_START_SIZE}, "
            f"n >= 1 (28, 32, 64, ...), got {image_shape[0]}"
        )
    return size, doublings


def conv_generator(image_shape, latent_dim, start_size, widths, kernel_size):
    """Projects z to `start_size^2 * widths[0]`, then doubles with transposed convs."""
    latents = keras.Input((latent_dim,), name="latents")
    x = keras.layers.Dense(start_size * start_size * widths[0], use_bias=False)(latents)
    x = keras.layers.Reshape((start_size, start_size, widths[0]))(x)  # (B, s, s, C)
    x = keras.layers.ReLU()(layers.batch_normalization()(x))
    for width in widths[1:]:
        x = keras.layers.Conv2DTranspose(width, kernel_size, 2, "same", use_bias=False)(x)
        x = keras.layers.ReLU()(layers.batch_normalization()(x))
    images = keras.layers.Conv2DTranspose(
        image_shape[-1], kernel_size, 2, "same", activation="tanh"
    )(x)
    return keras.Model(latents, images, name="generator")


def conv_discriminator(image_shape, widths, kernel_size):
    """Halves the image with strided convs, then one logit."""
    images = keras.Input(image_shape, name="images")
    x = images
    for i, width in enumerate(widths):
        x = keras.layers.Conv2D(width, kernel_size, 2, "same", use_bias=i == 0)(x)
        if i > 0:
            x = layers.batch_normalization()(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    logits = keras.layers.Dense(1)(keras.layers.Flatten()(x))
    return keras.Model(images, logits, name="discriminator")


def conv_critic(image_shape, widths, kernel_size, layer_norm):
    """Halves the image with strided convs, then one score; no batch norm."""
    images = keras.Input(image_shape, name="images")
    x = images
    for i, width in enumerate(widths):
        x = keras.layers.Conv2D(width, kernel_size, 2, "same")(x)
        if layer_norm and i > 0:
            # Normalizes each sample on its own, so per-sample gradients stay
            # the sample's own (Gulrajani et al. 2017, Section 4).
            x = keras.layers.LayerNormalization(axis=(1, 2, 3))(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    scores = keras.layers.Dense(1)(keras.layers.Flatten()(x))
    return keras.Model(images, scores, name="discriminator")


def mlp_generator(image_shape, latent_dim, hidden_dims, activation, output_activation):
    """An MLP from z to a sample of `image_shape`."""
    latents = keras.Input((latent_dim,), name="latents")
    x = latents
    for width in hidden_dims:
        x = keras.layers.Dense(width, activation=activation)(x)
    x = keras.layers.Dense(math.prod(image_shape), activation=output_activation)(x)
    samples = keras.layers.Reshape(image_shape)(x)
    return keras.Model(latents, samples, name="generator")


def mlp_discriminator(image_shape, hidden_dims, activation):
    """An MLP from a sample of `image_shape` to one logit."""
    samples = keras.Input(image_shape, name="samples")
    x = keras.layers.Flatten()(samples)
    for width in hidden_dims:
        x = keras.layers.Dense(width, activation=activation)(x)
    logits = keras.layers.Dense(1)(x)
    return keras.Model(samples, logits, name="discriminator")
