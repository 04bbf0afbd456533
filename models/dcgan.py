"""DCGAN: Radford et al. 2015, convolutional networks for Goodfellow's game.

The paper changes the networks, not the algorithm, so DCGAN trains with the
base's `GAN.train_step` (Algorithm 1). Its architecture guidelines (Section 3): strided
convolutions instead of pooling, batch norm in both networks (not on the
generator's output nor the discriminator's input), ReLU in the generator with a
tanh output, LeakyReLU(0.2) in the discriminator, Adam(2e-4, beta1=0.5).
"""

from . import arguments
from .base import GAN, register_family
from .networks import conv_discriminator, conv_generator, growth_plan


@register_family("dcgan")
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

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "base_filters": self.base_filters,
            "kernel_size": self.kernel_size,
        }
