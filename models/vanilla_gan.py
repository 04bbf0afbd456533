"""The original GAN: Goodfellow et al. 2014, with MLP networks.

The algorithm is the paper's Algorithm 1, `GAN.train_step`, which every family
that plays this game with other networks or losses (DCGAN, WGAN-GP, SAGAN)
shares; this family adds MLP networks and packing (PacGAN).
"""

import tensorflow as tf

from zoo.core.errors import ZooError

from . import arguments
from .base import GAN, register_family
from .networks import mlp_discriminator, mlp_generator


@register_family("vanilla_gan")
class VanillaGAN(GAN):
    """Generative adversarial network with multilayer-perceptron networks.

    Works on images (flattened internally, tanh output in [-1, 1]) and on
    low-dimensional points such as the 2-D mixtures `ring8` and `grid25`
    (linear output).

    Args:
        image_shape: shape of one sample: `(H, W, C)` for images, `(2,)` for
            2-D points. Defaults to `(28, 28, 1)`.
        latent_dim: size of z. Defaults to `100`.
        hidden_dims: widths of the generator's hidden layers, and of the
            discriminator's in reverse unless `discriminator_hidden_dims` is
            given. Defaults to `(256, 512)`.
        discriminator_hidden_dims: widths of the discriminator's hidden
            layers, when it should differ from the generator (PacGAN's packed
            discriminators are wider). Defaults to `None`: `hidden_dims`
            reversed.
        activation: hidden activation, any Keras name (`"tanh"` in the
            mode-collapse papers' setting). Defaults to `"leaky_relu"`.
        output_activation: generator output; `None` picks `"tanh"` for images
            (rank 3) and linear for points. Defaults to `None`.
        packing: PacGAN's m (Lin et al. 2018): the discriminator judges m
            samples at once, all real or all generated, concatenated into one
            input, so a generator that covers few modes shows it by repeating
            itself within a pack. Batches must be multiples of m; `1` is the
            plain GAN. Defaults to `1`.
        **kwargs: `GAN` arguments: `loss` (`"minimax"`: the generator
            minimizes log(1 - D(G(z))); `"non_saturating"`, the default: it
            maximizes log D(G(z)); or another from `zoo.core.losses`), `d_steps`
            (k of Algorithm 1), the penalties `gp_weight`, `r1_gamma`,
            `r2_gamma`, `clip_value`, `num_classes`, `ema_decay`, `seed`, `name`.

    Example:
        >>> gan = zoo.build("vanilla_gan", image_shape=(2,), loss="minimax", d_steps=2)
        >>> pacgan4 = zoo.build("vanilla_gan", image_shape=(2,), packing=4)

    References:
        Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661
        Lin et al. 2018 (PacGAN), https://arxiv.org/abs/1712.04086
    """

    argument_specs = {
        "image_shape": arguments.shape,
        "hidden_dims": arguments.layer_widths,
        "discriminator_hidden_dims": arguments.optional(arguments.layer_widths),
        "activation": arguments.activation,
        "output_activation": arguments.optional(arguments.activation),
        "packing": arguments.positive_int,
    }

    def __init__(
        self,
        image_shape=(28, 28, 1),
        latent_dim=100,
        hidden_dims=(256, 512),
        activation="leaky_relu",
        output_activation=None,
        packing=1,
        discriminator_hidden_dims=None,
        **kwargs,
    ):
        image_shape = tuple(int(d) for d in image_shape)
        hidden_dims = tuple(int(w) for w in hidden_dims)
        if discriminator_hidden_dims is None:
            discriminator_hidden_dims = hidden_dims[::-1]
        discriminator_hidden_dims = tuple(int(w) for w in discriminator_hidden_dims)
        if output_activation is None:
            output_activation = "tanh" if len(image_shape) == 3 else "linear"
        self.packing = int(packing)
        # A pack of m samples is one discriminator input of shape (m, *sample).
        pack_shape = (self.packing, *image_shape) if self.packing > 1 else image_shape
        super().__init__(
            mlp_generator(image_shape, latent_dim, hidden_dims, activation, output_activation),
            mlp_discriminator(pack_shape, discriminator_hidden_dims, activation),
            latent_dim=latent_dim,
            **kwargs,
        )
        self.hidden_dims = hidden_dims
        self.discriminator_hidden_dims = discriminator_hidden_dims
        self.activation = activation
        self.output_activation = output_activation

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "hidden_dims": self.hidden_dims,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "packing": self.packing,
            "discriminator_hidden_dims": self.discriminator_hidden_dims,
        }

    def discriminate(self, samples, labels=None, training=False):
        """Logits of packs of `packing` consecutive samples: `(batch / packing, 1)`."""
        if self.packing > 1:
            batch = samples.shape[0]
            if batch is not None and batch % self.packing:
                raise ZooError(
                    f"a batch of {batch} samples does not split into packs of {self.packing}; "
                    f"use a batch size that is a multiple of packing"
                )
            samples = tf.reshape(samples, (-1, self.packing, *self.image_shape))
        return super().discriminate(samples, labels, training)
