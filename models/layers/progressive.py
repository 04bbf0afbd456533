"""ProGAN's building blocks (Karras et al. 2018), which StyleGAN's networks reuse.

Equalized learning rate for dense and conv layers, pixel normalization and
minibatch standard deviation.
"""

import math

import keras
from keras import ops

from zoo.core.errors import ZooError

from .checks import one_line, pair, require_positive

# He et al. 2015's gain for ReLU layers, the default numerator of the He
# constant `gain / sqrt(fan_in)`; a layer with a linear output passes 1.
RELU_GAIN = math.sqrt(2.0)


@keras.saving.register_keras_serializable(package="gan_zoo")
class EqualizedDense(keras.layers.Layer):
    """Dense layer with an equalized learning rate.

    The kernel is stored as N(0, 1) draws and multiplied at every call by the
    He constant `gain / sqrt(fan_in)`, instead of being initialised at that
    scale. The output is the same as He initialisation's at step 0, but Adam's
    updates, which are scale-free, now move every layer's effective weights at
    the same relative speed whatever its fan-in (Section 4.1 of the paper).

    With `lr_multiplier = m` the kernel is drawn from N(0, 1/m^2) and both the
    runtime scale and the bias are multiplied by `m`: the effective weights
    start as before, but every update moves them `m` times less (StyleGAN's
    mapping network uses `m = 0.01`).

    Args:
        units: size of the output.
        use_bias: add a bias, initialised to zeros. Defaults to `True`.
        gain: numerator of the He constant; `sqrt(2)` suits (leaky) ReLU, `1`
            a linear output. Defaults to `sqrt(2)`.
        lr_multiplier: learning-rate multiplier `m > 0` as described above.
            Defaults to `1`.
        activation: activation applied to the output, any Keras name or
            callable; `None` is linear. Defaults to `None`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Example:
        >>> x = EqualizedDense(512, lr_multiplier=0.01, activation="leaky_relu")(w)

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Section 4.1);
        Karras et al. 2019 (StyleGAN), https://arxiv.org/abs/1812.04948
        (Appendix C, the mapping network's learning rate).
    """

    def __init__(
        self,
        units,
        use_bias=True,
        gain=RELU_GAIN,
        lr_multiplier=1.0,
        activation=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        require_positive("EqualizedDense", "units", units)
        require_positive("EqualizedDense", "lr_multiplier", lr_multiplier)
        self.units = int(units)
        self.use_bias = bool(use_bias)
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier),
            name="kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )
        self.scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel * self.scale)
        if self.bias is not None:
            outputs = outputs + self.bias * self.lr_multiplier
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "use_bias": self.use_bias,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "activation": keras.activations.serialize(self.activation),
        }


@keras.saving.register_keras_serializable(package="gan_zoo")
class EqualizedConv2D(keras.layers.Layer):
    """2-D convolution with an equalized learning rate, channels last.

    As `EqualizedDense`, with `fan_in = kernel_h * kernel_w * in_channels`:
    the kernel `(kernel_h, kernel_w, in_channels, filters)` is stored as
    N(0, 1/lr_multiplier^2) draws and multiplied at every call by
    `gain / sqrt(fan_in) * lr_multiplier`; the bias by `lr_multiplier`.

    Args:
        filters: number of output channels.
        kernel_size: int or `(kernel_h, kernel_w)`.
        strides: int or `(stride_h, stride_w)`. Defaults to `1`.
        padding: `"same"` or `"valid"`. Defaults to `"same"`.
        use_bias: add a bias, initialised to zeros. Defaults to `True`.
        gain: numerator of the He constant. Defaults to `sqrt(2)`.
        lr_multiplier: learning-rate multiplier `m > 0`. Defaults to `1`.
        activation: activation applied to the output; `None` is linear.
            Defaults to `None`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Example:
        >>> x = EqualizedConv2D(128, 3, activation="leaky_relu")(x)
        >>> rgb = EqualizedConv2D(3, 1, gain=1.0)(x)  # ProGAN's toRGB

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Section 4.1).
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="same",
        use_bias=True,
        gain=RELU_GAIN,
        lr_multiplier=1.0,
        activation=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        require_positive("EqualizedConv2D", "filters", filters)
        require_positive("EqualizedConv2D", "lr_multiplier", lr_multiplier)
        if padding not in ("same", "valid"):
            raise ZooError(f"EqualizedConv2D needs padding 'same' or 'valid', got {padding!r}")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size)
        self.strides = pair(strides)
        self.padding = padding
        self.use_bias = bool(use_bias)
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier),
            name="kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )
        fan_in = math.prod(self.kernel_size) * in_channels
        self.scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier

    def call(self, inputs):
        outputs = ops.conv(
            inputs,
            self.kernel * self.scale,
            strides=self.strides,
            padding=self.padding,
            data_format="channels_last",
        )
        if self.bias is not None:
            outputs = outputs + self.bias * self.lr_multiplier
        return self.activation(outputs)

    def call_upsampled(self, inputs):
        """This layer on `inputs` doubled by nearest-neighbour copies (`Upsample2D`), in
        one transposed convolution of stride 2: the same function, and the kernel visits
        the input's pixels instead of the four times as many copies (`16 / 36` of the
        multiply-adds for 3x3). The official ProGAN code fuses its upsampling so.

        Each output pixel reads its copied neighbours, which are two input pixels along
        each axis: the kernel that reads them is the 3x3 one padded to 5x5 and summed
        over the four 4x4 windows that start at (0, 0), (0, 1), (1, 0) and (1, 1);
        a transposed convolution applies it flipped.
        """
        self._check_fusable("call_upsampled")
        dtype = inputs.dtype
        # A transposed convolution applies its kernel flipped.
        kernel = ops.transpose(
            self._summed_kernel(dtype)[::-1, ::-1], (0, 1, 3, 2)
        )  # (4, 4, out, in)
        outputs = ops.conv_transpose(
            inputs, kernel, strides=2, padding="same", data_format="channels_last"
        )
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, dtype) * self.lr_multiplier
        return self.activation(outputs)

    def call_downsampled(self, inputs):
        """This layer's convolution followed by 2x2 average pooling, in one convolution
        of stride 2 (a quarter of the multiply-adds), with the bias and activation after
        the pooling: ProGAN's official fused downsampling. Pooling before the activation
        makes it another function than `Downsample2D(self(inputs))`, whose activation
        comes first.

        The average of the 2x2 outputs reads the input through the 3x3 kernel padded to
        5x5 and summed over its four 4x4 windows, divided by 4.
        """
        self._check_fusable("call_downsampled")
        dtype = inputs.dtype
        kernel = self._summed_kernel(dtype) * 0.25
        outputs = ops.conv(inputs, kernel, strides=2, padding="same", data_format="channels_last")
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, dtype) * self.lr_multiplier
        return self.activation(outputs)

    def _summed_kernel(self, dtype):
        """The 3x3 kernel (scaled) padded to 5x5 and summed over its four 4x4 windows."""
        # Called outside `__call__`, so no autocasting: the variables take the inputs' type.
        kernel = ops.cast(self.kernel, dtype) * self.scale
        padded = ops.pad(kernel, [[1, 1], [1, 1], [0, 0], [0, 0]])
        return padded[1:, 1:] + padded[:-1, 1:] + padded[1:, :-1] + padded[:-1, :-1]

    def _check_fusable(self, method):
        if self.kernel_size != (3, 3) or self.strides != (1, 1) or self.padding != "same":
            raise ZooError(f"{method} needs a 3x3 convolution of stride 1, 'same' padding")

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "activation": keras.activations.serialize(self.activation),
        }


@keras.saving.register_keras_serializable(package="gan_zoo")
class PixelNormalization(keras.layers.Layer):
    """Scales each pixel's feature vector to unit mean square.

    `x / sqrt(mean_c(x^2) + epsilon)` over the last axis, so it works on
    feature maps `(B, H, W, C)` (ProGAN's generator, after every convolution)
    and on vectors `(B, C)` (StyleGAN normalizes z this way). It has no
    weights: it replaces batch norm's role of keeping the generator's
    signal magnitudes from escalating (Section 4.2 of the paper).

    Args:
        epsilon: added to the mean square, so a zero vector stays zero.
            Defaults to `1e-8`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Section 4.2).
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        # Float32, as MinibatchStdDev: epsilon = 1e-8 rounds to 0 in float16,
        # and an all-zero feature vector would then give NaN.
        values = ops.cast(inputs, "float32")
        mean_square = ops.mean(ops.square(values), axis=-1, keepdims=True)
        return ops.cast(values * ops.rsqrt(mean_square + self.epsilon), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="gan_zoo")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the minibatch standard deviation as one more feature map.

    The batch is split into groups of `min(group_size, batch)` consecutive
    samples. In each group, the standard deviation of every feature at every
    pixel over the group's samples (`sqrt(variance + 1e-8)`, variance with
    divisor n) is averaged over features and pixels into one number, which
    is appended as a constant channel to each of the group's samples. A
    discriminator with it sees how varied a batch is, which counters mode
    collapse (Section 3 of the paper).

    Groups are consecutive samples (samples `0..G-1`, `G..2G-1`, ...), so a
    batch made of whole groups of real, then of generated images never mixes
    the two in a group. The batch must be a multiple of the group size: a
    batch whose size is known when the layer runs (eager calls, traced
    functions with a fixed batch) raises `ZooError` otherwise. A batch known
    only at run time (a traced function whose batch dimension is `None`) that
    does not divide is taken as one group: nothing can be raised there
    without backend-specific assertions, and one group is the paper's own
    statistic (Section 3 takes it over the whole minibatch; groups came with
    the released code).

    Works on any rank >= 2, `(B, H, W, C)` in ProGAN's last block.

    Args:
        group_size: samples per group; the paper's released code uses 4.
            Defaults to `4`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Raises:
        ZooError: when called on a batch of known size that is not a
            multiple of `min(group_size, batch)`.

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (Section 3).
    """

    # Inside the square root, as in the paper's released code: the gradient
    # of sqrt at a group of identical samples would otherwise be infinite.
    epsilon = 1e-8

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        require_positive("MinibatchStdDev", "group_size", group_size)
        self.group_size = int(group_size)

    def _group_size(self, batch):
        if isinstance(batch, int):
            group_size = min(self.group_size, batch)
            if group_size and batch % group_size:
                raise one_line(
                    ZooError(
                        f"MinibatchStdDev splits the batch into groups of {group_size}, but the "
                        f"batch has {batch} samples; use a batch size that is a multiple of "
                        f"{group_size}"
                    )
                )
            return group_size
        group_size = ops.minimum(self.group_size, batch)
        return ops.where(batch % group_size == 0, group_size, batch)

    def call(self, inputs):
        shape = ops.shape(inputs)
        group_size = self._group_size(shape[0])
        # Float32 statistics: squared deviations underflow in float16.
        grouped = ops.reshape(ops.cast(inputs, "float32"), (-1, group_size, *shape[1:]))
        std = ops.sqrt(ops.var(grouped, axis=1) + self.epsilon)  # (B / G, ...)
        std = ops.mean(std, axis=tuple(range(1, len(shape))))  # (B / G,)
        std = ops.reshape(std, (-1, 1) + (1,) * (len(shape) - 1))  # (B / G, 1, 1, ..., 1)
        std = ops.broadcast_to(std, (shape[0] // group_size, group_size, *shape[1:-1], 1))
        std = ops.reshape(std, (-1, *shape[1:-1], 1))  # (B, ..., 1)
        return ops.concatenate([inputs, ops.cast(std, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return (*input_shape[:-1], None if channels is None else channels + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}
