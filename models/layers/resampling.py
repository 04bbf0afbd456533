"""Resampling by 2: ProGAN's nearest-neighbour copies and average pooling, and
StyleGAN2's low-pass filtered versions (a [1, 3, 3, 1] FIR filter)."""

import keras
import numpy as np
from keras import ops

from zoo.core.errors import ZooError

from .checks import one_line, require_positive


@keras.saving.register_keras_serializable(package="gan_zoo")
class Upsample2D(keras.layers.Layer):
    """Nearest-neighbour upsampling of `(B, H, W, C)` by an integer factor.

    Each pixel becomes a `factor x factor` block of copies: ProGAN's
    generator doubles its resolution this way between blocks and when
    fading in a new block (Section 2 of the paper).

    A few lines of `keras.ops` rather than `keras.layers.UpSampling2D`, whose
    interpolation and data-format options a progressive network must not
    vary and whose configuration a wrapper would have to hide.

    Args:
        factor: integer scale of height and width. Defaults to `2`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Figure 2).
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        require_positive("Upsample2D", "factor", factor)
        self.factor = int(factor)
        # No weights: built from the start, so a model holding an unused one
        # (ProGAN's unreached stages) counts as built, as `tf.distribute`
        # training expects.
        self.built = True

    def call(self, inputs):
        return ops.repeat(ops.repeat(inputs, self.factor, axis=1), self.factor, axis=2)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        scale = lambda side: None if side is None else side * self.factor  # noqa: E731
        return (batch, scale(height), scale(width), channels)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="gan_zoo")
class Downsample2D(keras.layers.Layer):
    """Average pooling of `(B, H, W, C)` over `factor x factor` blocks.

    ProGAN's discriminator halves its resolution this way between blocks and
    when fading in a new block (Section 2 of the paper). Height and width
    must be multiples of `factor`. Written with `keras.ops` rather than as
    `keras.layers.AveragePooling2D`, for the same reason as `Upsample2D`.

    Args:
        factor: integer pooling size and stride. Defaults to `2`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Raises:
        ZooError: when a known height or width is not a multiple of `factor`.

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Figure 2).
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        require_positive("Downsample2D", "factor", factor)
        self.factor = int(factor)
        self.built = True  # no weights, as Upsample2D

    def _check_sides(self, input_shape):
        for side in input_shape[1:3]:
            if side is not None and side % self.factor:
                raise one_line(
                    ZooError(
                        f"Downsample2D averages {self.factor}x{self.factor} blocks, but the "
                        f"input is {input_shape[1]}x{input_shape[2]}; use sides that are "
                        f"multiples of {self.factor}"
                    )
                )

    def call(self, inputs):
        self._check_sides(inputs.shape)
        return ops.average_pool(
            inputs, self.factor, self.factor, padding="valid", data_format="channels_last"
        )

    def compute_output_shape(self, input_shape):
        self._check_sides(input_shape)
        batch, height, width, channels = input_shape
        scale = lambda side: None if side is None else side // self.factor  # noqa: E731
        return (batch, scale(height), scale(width), channels)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


# StyleGAN2's low-pass filter: the outer product of the binomial [1, 3, 3, 1],
# normalised to sum 1 (Karras et al. 2020, Appendix B, after Zhang 2019).
LOWPASS = np.outer([1.0, 3.0, 3.0, 1.0], [1.0, 3.0, 3.0, 1.0]) / 64.0


def lowpass(inputs, padding, gain=1.0, strides=1):
    """`inputs` `(B, H, W, C)` zero-padded by `padding` on every side (`(before,
    after)`) and filtered by `LOWPASS * gain` channel by channel, then subsampled
    by `strides`."""
    channels = inputs.shape[-1]
    kernel = np.tile((LOWPASS * gain)[:, :, None, None], (1, 1, channels, 1))
    padded = ops.pad(inputs, [[0, 0], list(padding), list(padding), [0, 0]])
    return ops.depthwise_conv(
        padded, ops.cast(kernel, inputs.dtype), strides=strides, padding="valid",
        data_format="channels_last",
    )  # fmt: skip


@keras.saving.register_keras_serializable(package="gan_zoo")
class Blur2D(keras.layers.Layer):
    """`LOWPASS` over `(B, H, W, C)`, zero-padded by `padding` on each side
    (`(before, after)`): with `(2, 2)` before a 3x3 convolution of stride 2 it is
    StyleGAN2's filtered downsampling (out: `H / 2`).

    Args:
        padding: `(before, after)` zeros on each side. Defaults to `(1, 2)`,
            which keeps the size.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Reference:
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958 (Appendix B).
    """

    def __init__(self, padding=(1, 2), **kwargs):
        super().__init__(**kwargs)
        self.padding = tuple(int(p) for p in padding)
        self.built = True  # no weights, as Upsample2D

    def call(self, inputs):
        return lowpass(inputs, self.padding)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = sum(self.padding) - LOWPASS.shape[0] + 1
        resize = lambda side: None if side is None else side + grow  # noqa: E731
        return (batch, resize(height), resize(width), channels)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="gan_zoo")
class FilteredUpsample2D(keras.layers.Layer):
    """Doubles `(B, H, W, C)` by inserting zeros between the pixels and low-pass
    filtering (`LOWPASS`, gain 4 for the zeros): StyleGAN2's upsampling of the
    image along its toRGB skips, smoother than nearest-neighbour copies.

    Reference:
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958 (Figure 7, Appendix B).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True  # no weights, as Upsample2D

    def call(self, inputs):
        return upsample_with_zeros_and_filter(inputs)

    def compute_output_shape(self, input_shape):
        return Upsample2D(2).compute_output_shape(input_shape)


def upsample_with_zeros_and_filter(inputs):
    """`FilteredUpsample2D`'s function."""
    _, height, width, channels = inputs.shape
    spread = ops.reshape(inputs, (-1, height, 1, width, 1, channels))
    spread = ops.pad(spread, [[0, 0], [0, 0], [0, 1], [0, 0], [0, 1], [0, 0]])
    spread = ops.reshape(spread, (-1, 2 * height, 2 * width, channels))  # pixels at even places
    return lowpass(spread, (2, 1), gain=4.0)


@keras.saving.register_keras_serializable(package="gan_zoo")
class FilteredDownsample2D(keras.layers.Layer):
    """Halves `(B, H, W, C)` by low-pass filtering (`LOWPASS`) and keeping every
    other pixel: StyleGAN2's downsampling of its discriminator's shortcuts, where
    average pooling lets high frequencies alias.

    Reference:
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958 (Figure 7, Appendix B).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True  # no weights, as Upsample2D

    def call(self, inputs):
        return lowpass(inputs, (1, 1), strides=2)

    def compute_output_shape(self, input_shape):
        return Downsample2D(2).compute_output_shape(input_shape)
