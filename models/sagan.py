"""SAGAN: self-attention, spectral normalization, hinge loss, class-conditional.

Zhang et al. 2018 put a self-attention layer in both networks, spectral
normalization on every layer of both, trained with the hinge loss and the
two-timescale update rule, and made the model class-conditional with
conditional batch norm in the generator and a projection discriminator
(Miyato & Koyama 2018). `num_classes=0` gives the unconditional model;
`train.py` passes the dataset's classes (`class_conditional`).
"""

import dataclasses
import math

import keras
import tensorflow as tf

from zoo.core.errors import ZooError

from . import arguments, layers
from .base import GAN, register_family
from .networks import growth_plan

# Miyato et al. 2018's and SAGAN's discriminators use LeakyReLU(0.1) in the
# plain CNN; the residual networks use ReLU.
_LEAKY_SLOPE = 0.1


def _attention(x):
    """Self-attention on `x`; channel reduction 8 (the paper's), less for tiny test networks."""
    return layers.SelfAttention(reduction=math.gcd(8, x.shape[-1]), name="attention")(x)


class _SpectralLayers:
    """Makes the spectral-normalized layers of one SAGAN, kernels drawn from N(0, init_stddev).

    A spectral-normalized layer computes with `W / sigma(W)`, the same for any
    scale of `W`, and Adam's steps have a fixed size: the scale `W` starts at
    sets how far each step turns `W / sigma(W)`, a learning rate that the
    two-timescale rule does not see (the effective learning rate of
    scale-invariant weights, van Laarhoven 2017). Glorot's init
    (`init_stddev=0`, the paper's code) starts the 3x3 kernels at a standard
    deviation of 0.03 to 0.06; 0.002 turns them 15 to 30 times as far per
    step at first, and less as the steps grow the kernels.

    Reference:
        van Laarhoven 2017, https://arxiv.org/abs/1706.05350
    """

    def __init__(self, init_stddev):
        self.init_stddev = init_stddev

    def initializer(self, default="glorot_uniform"):
        if not self.init_stddev:
            return default
        return keras.initializers.RandomNormal(0.0, self.init_stddev)

    def conv(self, filters, kernel_size, strides=1, use_bias=True):
        return layers.SpectralNormalization(keras.layers.Conv2D(
            filters, kernel_size, strides, "same", use_bias=use_bias,
            kernel_initializer=self.initializer(),
        ))  # fmt: skip

    def dense(self, units):
        return layers.SpectralNormalization(
            keras.layers.Dense(units, kernel_initializer=self.initializer())
        )

    def embedding(self, num_classes, dim):
        return layers.SpectralNormalization(keras.layers.Embedding(
            num_classes, dim, embeddings_initializer=self.initializer("uniform")
        ))  # fmt: skip


def _normalize(x, labels, num_classes):
    """Conditional batch norm for a conditional generator, plain batch norm otherwise."""
    if num_classes:
        return layers.ConditionalBatchNormalization(num_classes)([x, labels])
    return layers.batch_normalization()(x)


def _generator_block(x, labels, width, num_classes, residual, sn):
    """Doubles the side of `x`: upsample, conv (a residual pair with `residual`)."""
    if not residual:
        x = layers.Upsample2D()(x)
        x = sn.conv(width, 3, use_bias=False)(x)
        return keras.layers.ReLU()(_normalize(x, labels, num_classes))
    # BigGAN's up block: BN-ReLU-up-conv-BN-ReLU-conv, plus an upsampled
    # 1x1-conv shortcut.
    h = keras.layers.ReLU()(_normalize(x, labels, num_classes))
    h = sn.conv(width, 3)(layers.Upsample2D()(h))
    h = keras.layers.ReLU()(_normalize(h, labels, num_classes))
    h = sn.conv(width, 3)(h)
    shortcut = sn.conv(width, 1)(layers.Upsample2D()(x))
    return keras.layers.Add()([h, shortcut])


def _discriminator_block(x, width, residual, first, sn):
    """Halves the side of `x`: a strided conv (a residual pair with `residual`)."""
    if not residual:
        x = sn.conv(width, 4, strides=2)(x)
        return layers.MaxLeakyReLU(_LEAKY_SLOPE)(x)
    # The first block skips the leading ReLU: its input is the image
    # (Miyato et al. 2018's "optimized" block).
    h = x if first else keras.layers.ReLU()(x)
    h = sn.conv(width, 3)(h)
    h = sn.conv(width, 3)(keras.layers.ReLU()(h))
    h = layers.Downsample2D()(h)
    shortcut = layers.Downsample2D()(sn.conv(width, 1)(x))
    return keras.layers.Add()([h, shortcut])


def sagan_generator(
    image_shape, latent_dim, num_classes, widths, attention_side, residual, init_stddev
):
    """z (and labels) -> images in [-1, 1]; attention after the block of side `attention_side`."""
    sn = _SpectralLayers(init_stddev)
    start_size, _ = growth_plan(image_shape)
    latents = keras.Input((latent_dim,), name="latents")
    labels = keras.Input((), dtype="int32", name="labels") if num_classes else None
    x = sn.dense(start_size * start_size * widths[0])(latents)
    x = keras.layers.Reshape((start_size, start_size, widths[0]))(x)  # (B, s, s, C)
    if not residual:
        x = keras.layers.ReLU()(_normalize(x, labels, num_classes))
    side = start_size
    # The plain network's last doubling is its output conv; the residual one
    # doubles in every block and ends with BN-ReLU-conv.
    block_widths = widths[1:] if not residual else widths[1:] + widths[-1:]
    for width in block_widths:
        x = _generator_block(x, labels, width, num_classes, residual, sn)
        side *= 2
        if side == attention_side:
            x = _attention(x)
    if residual:
        x = keras.layers.ReLU()(_normalize(x, labels, num_classes))
        x = sn.conv(image_shape[-1], 3)(x)
    else:
        x = sn.conv(image_shape[-1], 3)(layers.Upsample2D()(x))
    images = keras.layers.Activation("tanh", dtype="float32")(x)
    inputs = [latents, labels] if num_classes else latents
    return keras.Model(inputs, images, name="generator")


def sagan_discriminator(image_shape, num_classes, widths, attention_side, residual, init_stddev):
    """Images (and labels) -> one logit; a projection term for conditional models."""
    sn = _SpectralLayers(init_stddev)
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels") if num_classes else None
    x, side = images, image_shape[0]
    for index, width in enumerate(widths):
        x = _discriminator_block(x, width, residual, index == 0, sn)
        side //= 2
        if side == attention_side:
            x = _attention(x)
    if residual:
        x = keras.layers.ReLU()(x)
    # Global sum pooling, as in SNGAN and SAGAN (not the mean).
    features = GlobalSumPooling2D()(x)  # (B, C)
    logits = sn.dense(1)(features)
    if num_classes:
        # Miyato & Koyama 2018: the logit gains <embed(y), phi(x)>.
        embedded = sn.embedding(num_classes, widths[-1])(labels)
        projection = keras.layers.Dot(axes=1)([embedded, features])
        logits = keras.layers.Add()([logits, projection])
    inputs = [images, labels] if num_classes else images
    return keras.Model(inputs, logits, name="discriminator")


@keras.saving.register_keras_serializable(package="gan_zoo")
class GlobalSumPooling2D(keras.layers.Layer):
    """Sums `(B, H, W, C)` over H and W: SNGAN's and SAGAN's pooling before the logit."""

    def call(self, inputs):
        return keras.ops.sum(inputs, axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


@register_family("sagan")
class SAGAN(GAN):
    """Self-attention GAN, class-conditional when `num_classes > 0`.

    Both networks carry spectral normalization on every layer (the paper's,
    advanced once per update of their network: `layers.SpectralNormalization`)
    and a self-attention layer on the feature maps of side `attention_side`.
    The generator normalizes with conditional batch norm (per-class gain and
    bias) and the discriminator adds the projection term of Miyato & Koyama.
    Trained with the hinge loss and the two-timescale update rule:
    discriminator Adam(4e-4, 0, 0.9), generator Adam(1e-4, 0, 0.9), one
    discriminator step per generator step; samples come from a generator EMA.

    Defaults fit a CPU: the plain (DCGAN-shaped, upsample-and-conv) networks
    at `base_filters=32`, 1.8x the images/s of 64 on 2 cores; `residual=True`
    gives the paper's residual blocks. Kernels start at N(0, 0.002), not the
    paper code's Glorot init: spectral norm makes a layer blind to its
    kernel's scale, so a smaller start is a larger effective step for the
    same learning rates (`init_stddev`).

    Args:
        image_shape: `(H, H, C)`, `H = s * 2^n` with `s >= 4`. Defaults to
            `(32, 32, 1)`.
        latent_dim: size of z. Defaults to `128`.
        num_classes: classes of the conditional model; `0` for the
            unconditional one. Defaults to `0` (`train.py` passes the
            dataset's).
        base_filters: feature maps at the largest side; they double as the
            side halves. Defaults to `32`.
        attention_side: side of the feature maps that attention sees, in both
            networks; `0` for none; `None` for 32, or half the image side
            below 64x64 (the paper's 32 of a 128x128 model; 16 of 32x32).
            Defaults to `None`.
        residual: residual blocks (BigGAN-style up blocks, SNGAN down
            blocks) instead of the plain ones. Defaults to `False`.
        init_stddev: standard deviation of the normal draw that the
            spectral-normalized kernels (and the projection embedding) start
            from; `0` for Glorot's uniform init (Keras' uniform for the
            embedding), as the paper's code. Defaults to `0.002`.
        loss: adversarial loss. Defaults to `"hinge"`.
        ema_decay: generator EMA used for samples and export. Defaults to `0.999`.
        **kwargs: other `GAN` arguments (`seed`, `name`, ...).

    Example:
        >>> gan = zoo.build("sagan", num_classes=10)
        >>> shirts = gan.generate(8, labels=[6] * 8, seed=0)

    Reference:
        Zhang et al. 2018, https://arxiv.org/abs/1805.08318;
        Miyato et al. 2018, https://arxiv.org/abs/1802.05957;
        Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637
    """

    class_conditional = True
    argument_specs = {
        "image_shape": arguments.shape,
        "base_filters": arguments.positive_int,
        "attention_side": arguments.optional(arguments.non_negative_int),
        "residual": arguments.boolean,
        "init_stddev": arguments.non_negative_float,
    }

    def __init__(
        self,
        image_shape=(32, 32, 1),
        latent_dim=128,
        num_classes=0,
        base_filters=32,
        attention_side=None,
        residual=False,
        init_stddev=0.002,
        loss="hinge",
        ema_decay=0.999,
        **kwargs,
    ):
        image_shape = tuple(int(d) for d in image_shape)
        start_size, num_doublings = growth_plan(image_shape)
        sides = _inner_sides(image_shape[0], start_size)
        if attention_side is None:
            attention_side = min(32, image_shape[0] // 2)
            attention_side = attention_side if attention_side in sides else 0
        if attention_side and attention_side not in sides:
            raise ZooError(
                f"SAGAN's attention_side must be the side of an inner feature map of a "
                f"{image_shape[0]}x{image_shape[0]} model ({', '.join(map(str, sides)) or 'none'}) "
                f"or 0, got {attention_side}"
            )
        widths = [base_filters * 2**i for i in reversed(range(num_doublings))]
        super().__init__(
            sagan_generator(image_shape, latent_dim, num_classes, widths, attention_side,
                            residual, init_stddev),
            sagan_discriminator(image_shape, num_classes, widths[::-1], attention_side,
                                residual, init_stddev),
            latent_dim=latent_dim, num_classes=num_classes, loss=loss, ema_decay=ema_decay,
            **kwargs,
        )  # fmt: skip
        self.base_filters = int(base_filters)
        self.attention_side = int(attention_side)
        self.residual = bool(residual)
        self.init_stddev = float(init_stddev)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "base_filters": self.base_filters,
            "attention_side": self.attention_side,
            "residual": self.residual,
            "init_stddev": self.init_stddev,
        }

    def default_optimizers(self):
        # The two-timescale update rule (Heusel et al. 2017) as SAGAN sets it.
        return (
            keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
            keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
        )

    def begin_discriminator_update(self):
        layers.advance_spectral_norms(self.discriminator)

    def begin_generator_update(self):
        layers.advance_spectral_norms(self.generator)

    @property
    def capabilities(self):
        """Attention maps, when it has an attention layer (`attention_side > 0`)."""
        return dataclasses.replace(super().capabilities, attention_maps=bool(self.attention_side))

    def attention_maps(self, latents, labels=None):
        """The sampling generator's images and its attention maps.

        Returns:
            `(images, attention)`: images `(B, H, W, C)` in [-1, 1] and the
            softmax weights `(B, queries, keys)` of its attention layer, the
            queries on the `attention_side` grid, the keys on the (pooled)
            grid of `SelfAttention`.
        """
        if not self.attention_side:
            raise ZooError("this SAGAN has no attention layer (attention_side=0)")
        generator = self.sampling_generator
        attention = generator.get_layer("attention")
        probe = keras.Model(generator.inputs, [generator.output, attention.input])
        latents = tf.convert_to_tensor(latents, tf.float32)
        if self.conditional:
            if labels is None:
                raise ZooError("SAGAN is conditional here: pass labels")
            inputs = [latents, tf.convert_to_tensor(labels, tf.int32)]
        else:
            inputs = latents
        images, features = probe(inputs, training=False)
        _, weights = attention.attend(features)
        return images, weights

    # One discriminator and one generator update per batch, as the original


def _inner_sides(image_side, start_size):
    """Sides of the feature maps between the generator's start and its output."""
    sides, size = [], start_size * 2
    while size < image_side:
        sides.append(size)
        size *= 2
    return sides
