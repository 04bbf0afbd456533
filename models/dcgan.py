"""DCGAN: Radford et al. 2015, convolutional networks for Goodfellow's game.

The paper changes the networks, not the algorithm, so `DCGAN.train_step` is
`VanillaGAN.train_step`. Its architecture guidelines (Section 3): strided
convolutions instead of pooling, batch norm in both networks (not on the
generator's output nor the discriminator's input), ReLU in the generator with a
tanh output, LeakyReLU(0.2) in the discriminator, Adam(2e-4, beta1=0.5).
"""

import keras

from models import arguments
from models.base import GAN
from models.vanilla_gan import VanillaGAN
from zoo.errors import ZooError
from zoo.registry import register_model

# The generator starts from a small square and doubles it; the smallest start
# keeps the fewest pixels in the expensive dense projection.
_MIN_START_SIZE = 4


@register_model("dcgan")
class DCGAN(GAN):
    """Deep convolutional GAN for square images of side `start * 2^n`.

    28x28 grows from 7x7 in two doublings, 32x32 from 4x4 in three, 64x64 from
    4x4 in four. The widest layer has `base_filters * 2^(n-1)` filters and
    widths halve towards the image; the discriminator mirrors the generator.

    Args:
        image_shape: `(H, W, C)` with `H == W`. Defaults to `(32, 32, 1)`.
        latent_dim: size of z. Defaults to `100`.
        base_filters: filters of the layer at full resolution. Defaults to `64`.
        kernel_size: kernel of the strided (transposed) convolutions; 4 is
            divisible by the stride 2, which avoids the checkerboard artefacts
            of 5x5 kernels (Odena et al. 2016). Defaults to `4`.
        **kwargs: `GAN` arguments: `loss`, `d_steps`, `ema_decay`, `seed`,
            `name`.

    Example:
        >>> gan = zoo.build("dcgan", image_shape=(28, 28, 1))

    Reference:
        Radford et al. 2015, https://arxiv.org/abs/1511.06434
    """

    argument_specs = {
        "image_shape": arguments.shape,
        "base_filters": arguments.positive_int,
        "kernel_size": arguments.positive_int,
    }

    def __init__(
        self,
        image_shape=(32, 32, 1),
        latent_dim=100,
        base_filters=64,
        kernel_size=4,
        **kwargs,
    ):
        image_shape = tuple(int(d) for d in image_shape)
        start_size, num_doublings = growth_plan(image_shape)
        widths = [base_filters * 2**i for i in reversed(range(num_doublings))]
        super().__init__(
            conv_generator(image_shape, latent_dim, start_size, widths, kernel_size),
            conv_discriminator(image_shape, widths[::-1], kernel_size),
            latent_dim=latent_dim,
            **kwargs,
        )
        self.base_filters = base_filters
        self.kernel_size = kernel_size

    # Same game as the original GAN; only the networks differ.
    train_step = VanillaGAN.train_step

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "base_filters": self.base_filters,
            "kernel_size": self.kernel_size,
        }


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
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    for width in widths[1:]:
        x = keras.layers.Conv2DTranspose(width, kernel_size, 2, "same", use_bias=False)(x)
        x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
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
            x = keras.layers.BatchNormalization()(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    logits = keras.layers.Dense(1)(keras.layers.Flatten()(x))
    return keras.Model(images, logits, name="discriminator")
