"""Activations the zoo writes itself."""

import keras
from keras import ops

from zoo.core.errors import ZooError


@keras.saving.register_keras_serializable(package="gan_zoo")
class MaxLeakyReLU(keras.layers.Layer):
    """Leaky ReLU as `max(x, slope * x)`, for `0 <= slope <= 1`.

    The same function as `keras.layers.LeakyReLU`, but not its `LeakyRelu`
    op: after a bias added by hand (the spectral-norm and equalized-LR
    layers add theirs), Grappler's remapper tries to fuse Add + LeakyRelu,
    fails on the gradient graph and prints an error line on every trace.

    Args:
        negative_slope: slope for `x < 0`. Defaults to `0.2`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).
    """

    def __init__(self, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= negative_slope <= 1.0:
            raise ZooError(f"MaxLeakyReLU needs 0 <= negative_slope <= 1, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return max_leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


def max_leaky_relu(x, negative_slope=0.2):
    """`max(x, negative_slope * x)`: `MaxLeakyReLU` as a function (an `activation=`)."""
    return ops.maximum(x, negative_slope * x)
