"""Nearest-neighbour upsampling and average-pool downsampling by an integer factor."""

import keras
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
