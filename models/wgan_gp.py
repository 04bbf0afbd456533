"""WGAN-GP: Gulrajani et al. 2017, the Wasserstein GAN with a gradient penalty.

The algorithm is Goodfellow's loop with other settings, so WGAN-GP trains with
the base's `GAN.train_step`; what makes it WGAN-GP are the defaults (Algorithm 1
of the paper): the Wasserstein loss, `n_critic = 5` critic updates per
generator update, the gradient penalty with `lambda = 10` instead of weight
clipping, and Adam(1e-4, beta1=0, beta2=0.9). The critic has no batch norm
(Section 4): the penalty constrains each sample's gradient, which batch norm
would couple to the rest of the batch.
"""

import keras

from zoo.core.errors import ZooError

from . import arguments
from .base import GAN, register_family
from .networks import (
    conv_critic,
    conv_generator,
    growth_plan,
    mlp_discriminator,
    mlp_generator,
)


@register_family("wgan_gp")
class WGANGP(GAN):
    """Wasserstein GAN with gradient penalty, on images or on 2-D points.

    For images `(H, W, C)` the generator is DCGAN's (batch norm is fine
    there) and the critic mirrors DCGAN's discriminator without batch norm,
    optionally with layer norm. For points `(D,)`, such as the mixtures
    `ring8` and `grid25`, both networks are ReLU MLPs as in the paper's toy
    experiments.

    Args:
        image_shape: `(H, H, C)` with `H = s * 2^n`, `s >= 4` (28, 32, 64), or
            `(D,)` for points. Defaults to `(28, 28, 1)`.
        latent_dim: size of z. Defaults to `128`.
        base_filters: images: filters of the layer at full resolution.
            Defaults to `64`.
        kernel_size: images: kernel of the strided (transposed) convolutions.
            Defaults to `4`.
        layer_norm: images: layer norm (over each feature map's height, width
            and channels) after the critic's inner convolutions, the
            replacement for batch norm that Section 4 recommends. Defaults to
            `True`.
        hidden_dims: points: widths of the hidden layers of both MLPs (the
            critic uses them in reverse). Defaults to `(512, 512, 512)`.
        loss: adversarial loss from `zoo.core.losses`. Defaults to `"wasserstein"`.
        gp_weight: lambda, the weight of the gradient penalty. Defaults to `10`.
        d_steps: critic updates per generator update (n_critic); a training
            batch holds `d_steps` real minibatches. Defaults to `5`.
        **kwargs: other `GAN` arguments: `r1_gamma`, `r2_gamma`, `clip_value`
            (with `gp_weight=0`: the original WGAN), `ema_decay`, `seed`, `name`.

    Example:
        >>> gan = zoo.build("wgan_gp", image_shape=(32, 32, 1))
        >>> points = zoo.build("wgan_gp", image_shape=(2,), hidden_dims=(128, 128))

    Reference:
        Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028
    """

    argument_specs = {
        "image_shape": arguments.shape,
        "base_filters": arguments.positive_int,
        "kernel_size": arguments.positive_int,
        "layer_norm": arguments.boolean,
        "hidden_dims": arguments.layer_widths,
    }

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=128,
        base_filters=64,
        kernel_size=4,
        layer_norm=True,
        hidden_dims=(512, 512, 512),
        loss="wasserstein",
        gp_weight=10.0,
        d_steps=5,
        **kwargs,
    ):
        image_shape = tuple(int(d) for d in image_shape)
        hidden_dims = tuple(int(d) for d in hidden_dims)
        if len(image_shape) == 3:
            start_size, num_doublings = growth_plan(image_shape)
            widths = [base_filters * 2**i for i in reversed(range(num_doublings))]
            generator = conv_generator(image_shape, latent_dim, start_size, widths, kernel_size)
            discriminator = conv_critic(image_shape, widths[::-1], kernel_size, layer_norm)
        elif len(image_shape) == 1:
            # ReLU MLPs with a linear output, as in the paper's toy experiments.
            generator = mlp_generator(image_shape, latent_dim, hidden_dims, "relu", "linear")
            discriminator = mlp_discriminator(image_shape, hidden_dims[::-1], "relu")
        else:
            raise ZooError(
                f"WGAN-GP takes images (H, W, C) or points (D,), got image_shape={image_shape}"
            )
        super().__init__(
            generator,
            discriminator,
            latent_dim=latent_dim,
            loss=loss,
            gp_weight=gp_weight,
            d_steps=d_steps,
            **kwargs,
        )
        self.base_filters = base_filters
        self.kernel_size = kernel_size
        self.layer_norm = bool(layer_norm)
        self.hidden_dims = hidden_dims

    def default_optimizers(self):
        # Algorithm 1: alpha = 1e-4, beta1 = 0, beta2 = 0.9 for both players.
        return (
            keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
            keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        )

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "base_filters": self.base_filters,
            "kernel_size": self.kernel_size,
            "layer_norm": self.layer_norm,
            "hidden_dims": self.hidden_dims,
        }
