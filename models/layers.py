"""Layers that two or more families share: ProGAN's building blocks first.

Equalized learning rate, pixel normalization, minibatch standard deviation and
the resampling layers of progressive growing (Karras et al. 2018), which
StyleGAN's mapping and synthesis networks reuse; then SAGAN's spectral
normalization, self-attention and class-conditional batch norm (Zhang et al.
2018), which BigGAN reuses. Every layer is written with `keras.ops` and
registered under the `gan_zoo` package, so a model holding one saves to and
loads from `.keras`.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from zoo import distribute
from zoo.errors import ZooError

# He et al. 2015's gain for ReLU layers, the default numerator of the He
# constant `gain / sqrt(fan_in)`; a layer with a linear output passes 1.
RELU_GAIN = math.sqrt(2.0)


def _one_line(error):
    """Marks a `ZooError` raised inside a layer call to keep its one-line message.

    Keras rewrites an exception raised in `call` into a multi-line message
    listing the call's arguments, unless it carries this mark, which Keras sets
    on an exception it has already rewritten.
    """
    error._keras_call_info_injected = True
    return error


def _require_positive(layer, name, value):
    if not value > 0:
        raise ZooError(f"{layer} needs {name} > 0, got {name}={value!r}")


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
        _require_positive("EqualizedDense", "units", units)
        _require_positive("EqualizedDense", "lr_multiplier", lr_multiplier)
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
        _require_positive("EqualizedConv2D", "filters", filters)
        _require_positive("EqualizedConv2D", "lr_multiplier", lr_multiplier)
        if padding not in ("same", "valid"):
            raise ZooError(f"EqualizedConv2D needs padding 'same' or 'valid', got {padding!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size)
        self.strides = _pair(strides)
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
        _require_positive("MinibatchStdDev", "group_size", group_size)
        self.group_size = int(group_size)

    def _group_size(self, batch):
        if isinstance(batch, int):
            group_size = min(self.group_size, batch)
            if group_size and batch % group_size:
                raise _one_line(
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
        _require_positive("Upsample2D", "factor", factor)
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
        _require_positive("Downsample2D", "factor", factor)
        self.factor = int(factor)
        self.built = True  # no weights, as Upsample2D

    def _check_sides(self, input_shape):
        for side in input_shape[1:3]:
            if side is not None and side % self.factor:
                raise _one_line(
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


def _pair(value):
    """An int or a pair of ints as a pair of ints."""
    if isinstance(value, int):
        return (value, value)
    return tuple(int(v) for v in value)


# ------------------------------------------------------------------ SAGAN / BigGAN

# Keeps `normalize` finite on a zero vector: its squared norm is floored here.
_NORM_FLOOR = 1e-12

# The seed of every stored `u`: a fixed draw makes two runs of the same model
# power-iterate from the same start, whatever the global seed.
_U_SEED = 1802


def _l2_normalize(vector):
    return vector * ops.rsqrt(ops.maximum(ops.sum(ops.square(vector)), _NORM_FLOOR))


def _unit_vector(shape, dtype=None):
    """A random unit vector, drawn with a fixed seed: the start of a power iteration."""
    draw = keras.initializers.RandomNormal(seed=_U_SEED)(shape, dtype=dtype)
    return _l2_normalize(draw)


@keras.saving.register_keras_serializable(package="gan_zoo")
class SpectralNormalization(keras.layers.Wrapper):
    """Divides a layer's kernel by its largest singular value at every call.

    The wrapped layer's kernel `W` stays the trainable variable; the layer
    computes with `W / sigma(W)`, where `W` is seen as the matrix `W_mat` of
    shape `(fan_in, units)` (a `Conv2D` kernel `(kh, kw, in, filters)`
    reshaped to `(kh * kw * in, filters)`, an `Embedding` table as it is,
    `(input_dim, output_dim)`) and `sigma(W)` is estimated from a stored unit
    vector `u` of length `units` (Algorithm 1 of the paper, whose
    `(d_out, d_in)` matrix is `W_mat` transposed):

        v = normalize(W_mat u),  sigma = v^T W_mat u.

    `u` and `v` are constants to the gradient, which flows through the
    quotient `W / sigma` only (Appendix A.1 of the paper).

    Unlike `keras.layers.SpectralNormalization`, calling the layer changes
    nothing, in training or not: `u` moves by exactly one power iteration,
    `u <- normalize(W_mat^T v)` with `v` as above, only when
    `advance_power_iteration()` is called, so a training step decides when
    the estimate moves (`advance_spectral_norms` advances every such layer of
    a model once) and the kernel variable is never overwritten.

    Args:
        layer: a `keras.layers.Dense`, `keras.layers.Conv2D` or
            `keras.layers.Embedding`, built or not. Its activation, bias,
            strides, padding and dilation are kept.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Example:
        >>> conv = SpectralNormalization(keras.layers.Conv2D(64, 3, padding="same"))
        >>> y = conv(x)
        >>> conv.advance_power_iteration()  # once per training step

    Reference:
        Miyato et al. 2018, https://arxiv.org/abs/1802.05957 (Section 2.1,
        Algorithm 1).
    """

    _WRAPPABLE = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Embedding)

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, self._WRAPPABLE):
            raise ZooError(
                "SpectralNormalization wraps a Dense, Conv2D or Embedding layer, "
                f"got {type(layer).__name__}"
            )
        super().__init__(layer, **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        units = int(self._raw_kernel.shape[-1])
        self.u = self.add_weight(
            shape=(units,), initializer=_unit_vector, trainable=False, name="u"
        )

    @property
    def _raw_kernel(self):
        if isinstance(self.layer, keras.layers.Embedding):
            return self.layer.embeddings
        return self.layer.kernel

    def _matrix(self):
        # Float32 whatever the compute dtype: the norm floor underflows in float16.
        kernel = ops.cast(self._raw_kernel, "float32")
        return kernel, ops.reshape(kernel, (-1, kernel.shape[-1]))

    def _normalized_kernel(self):
        kernel, matrix = self._matrix()
        u = ops.stop_gradient(ops.cast(self.u, "float32"))
        v = ops.stop_gradient(_l2_normalize(ops.matmul(matrix, u)))
        sigma = ops.sum(v * ops.matmul(matrix, u))
        # A floor rather than an epsilon added: a kernel of all zeros gives
        # zeros, not NaN, and any other kernel is divided by sigma exactly.
        return kernel / ops.maximum(sigma, _NORM_FLOOR)

    @property
    def normalized_kernel(self):
        """The kernel the layer computes with, `W / sigma(W)`, in `W`'s shape (float32)."""
        return self._normalized_kernel()

    def power_iteration(self):
        """`(u, new_u)`: `u` and its value after one power iteration,
        `normalize(W_mat^T normalize(W_mat u))`."""
        _, matrix = self._matrix()
        matrix = ops.stop_gradient(matrix)
        v = _l2_normalize(ops.matmul(matrix, ops.cast(self.u, "float32")))
        return self.u, ops.cast(_l2_normalize(ops.matmul(v, matrix)), self.u.dtype)

    def advance_power_iteration(self):
        """Moves `u` by one power iteration (`power_iteration`)."""
        distribute.assign_state([self.power_iteration()])

    def call(self, inputs):
        layer = self.layer
        kernel = ops.cast(self._normalized_kernel(), self.compute_dtype)
        if isinstance(layer, keras.layers.Embedding):
            if inputs.dtype not in ("int32", "int64"):
                inputs = ops.cast(inputs, "int32")
            return ops.take(kernel, inputs, axis=0)
        if isinstance(layer, keras.layers.Dense):
            outputs = ops.matmul(inputs, kernel)
            bias_shape = (-1,)
        else:
            outputs = ops.conv(
                inputs,
                kernel,
                strides=layer.strides,
                padding=layer.padding,
                dilation_rate=layer.dilation_rate,
                data_format=layer.data_format,
            )
            bias_shape = (-1,) if layer.data_format == "channels_last" else (-1, 1, 1)
        if layer.bias is not None:
            outputs = outputs + ops.reshape(ops.cast(layer.bias, outputs.dtype), bias_shape)
        return outputs if layer.activation is None else layer.activation(outputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


def advance_spectral_norms(model):
    """Advances every `SpectralNormalization` inside `model` by one power iteration.

    Walks the model's layers recursively, through nested models and the
    sublayers of custom layers (a `SelfAttention`'s convolutions), and
    advances each layer once even where it is shared. Works eagerly and
    inside a `tf.function`: a GAN's `train_step` calls it on the discriminator
    before each discriminator update, and on the generator before each
    generator update.

    Args:
        model: a built `keras.Model` or `keras.layers.Layer`.

    Returns:
        The number of layers advanced.

    Example:
        >>> advance_spectral_norms(self.discriminator)  # in train_step
    """
    normalized = [
        layer
        for layer in model._flatten_layers(include_self=True, recursive=True)
        if isinstance(layer, SpectralNormalization)
    ]
    # Every replica computes the same u from the same synchronized weights.
    distribute.assign_state(layer.power_iteration() for layer in normalized)
    return len(normalized)


@keras.saving.register_keras_serializable(package="gan_zoo")
class SelfAttention(keras.layers.Layer):
    """SAGAN's self-attention block over the pixels of `(B, H, W, C)`.

    Three 1x1 convolutions read the input: queries `f` and keys `g` with
    `C / reduction` channels, values `h` with `C / 2`. Keys and values are
    max-pooled over 2x2 blocks, as in the BigGAN-era implementation of the
    paper's block, which cuts the attention map to a quarter at no visible
    cost. Every pixel's query is compared by dot product to all keys, a
    softmax over the keys weighs the values, and a last 1x1 convolution
    `o` brings the weighted values back to `C` channels. The block returns
    `x + gamma * o`, with the scalar `gamma` learnt from 0, so a network
    starts from its local features and learns how much attention to add
    (Section 3 of the paper).

    Args:
        reduction: channels of queries and keys are `C / reduction`.
            Defaults to `8`.
        pooled: max-pool keys and values 2x2; `False` attends to every
            pixel, as the paper's equations. Defaults to `True`.
        spectral_norm: wrap the four bias-free 1x1 convolutions in
            `SpectralNormalization`, as SAGAN does in both networks.
            Defaults to `True`.
        return_attention: return `(output, attention)` instead of `output`,
            with `attention` of shape `(B, H * W, keys)`, `keys = H * W / 4`
            when pooled, `H * W` otherwise; each row sums to 1.
            Defaults to `False`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Raises:
        ZooError: when `C` is not a multiple of `reduction` and of 2, or,
            when pooled, a known `H` or `W` is odd.

    Example:
        >>> x = SelfAttention()(x)  # (B, 32, 32, 256) -> (B, 32, 32, 256)

    Reference:
        Zhang et al. 2018, https://arxiv.org/abs/1805.08318 (Section 3);
        Brock et al. 2018 (BigGAN), https://arxiv.org/abs/1809.11096.
    """

    def __init__(
        self, reduction=8, pooled=True, spectral_norm=True, return_attention=False, **kwargs
    ):
        super().__init__(**kwargs)
        _require_positive("SelfAttention", "reduction", reduction)
        self.reduction = int(reduction)
        self.pooled = bool(pooled)
        self.spectral_norm = bool(spectral_norm)
        self.return_attention = bool(return_attention)

    def _conv(self, filters, name):
        conv = keras.layers.Conv2D(filters, 1, use_bias=False, name=name)
        return SpectralNormalization(conv, name=f"sn_{name}") if self.spectral_norm else conv

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if channels is None or channels % self.reduction or channels % 2:
            raise _one_line(
                ZooError(
                    f"SelfAttention needs channels that are a multiple of reduction="
                    f"{self.reduction} and of 2, got {channels}"
                )
            )
        if self.pooled and any(side is not None and side % 2 for side in (height, width)):
            raise _one_line(
                ZooError(
                    f"SelfAttention with pooled=True needs an even height and width, got "
                    f"{height}x{width}; use even sides or pooled=False"
                )
            )
        self.query = self._conv(channels // self.reduction, "query")
        self.key = self._conv(channels // self.reduction, "key")
        self.value = self._conv(channels // 2, "value")
        self.attention_output = self._conv(channels, "attention_output")
        self.query.build(input_shape)
        self.key.build(input_shape)
        self.value.build(input_shape)
        self.attention_output.build((*input_shape[:-1], channels // 2))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def _pool(self, features):
        if not self.pooled:
            return features
        return ops.max_pool(features, 2, 2, padding="valid", data_format="channels_last")

    def call(self, inputs):
        outputs, attention = self.attend(inputs)
        return (outputs, attention) if self.return_attention else outputs

    def attend(self, inputs):
        """Returns `(output, attention)` whatever `return_attention` says."""
        shape = ops.shape(inputs)
        batch, height, width = shape[0], shape[1], shape[2]
        query = self.query(inputs)
        key = self._pool(self.key(inputs))
        value = self._pool(self.value(inputs))
        query = ops.reshape(query, (batch, -1, query.shape[-1]))
        key = ops.reshape(key, (batch, -1, key.shape[-1]))
        value = ops.reshape(value, (batch, -1, value.shape[-1]))
        logits = ops.matmul(query, ops.transpose(key, (0, 2, 1)))
        # Softmax in float32: float16 logits overflow exp and lose small weights.
        attention = ops.softmax(ops.cast(logits, "float32"), axis=-1)
        attention = ops.cast(attention, value.dtype)
        attended = ops.reshape(ops.matmul(attention, value), (batch, height, width, -1))
        outputs = inputs + ops.cast(self.gamma, inputs.dtype) * self.attention_output(attended)
        return outputs, attention

    def compute_output_shape(self, input_shape):
        if not self.return_attention:
            return input_shape
        batch, height, width, _ = input_shape
        pixels = None if height is None or width is None else height * width
        keys = pixels // 4 if pixels is not None and self.pooled else pixels
        return input_shape, (batch, pixels, keys)

    def get_config(self):
        return {
            **super().get_config(),
            "reduction": self.reduction,
            "pooled": self.pooled,
            "spectral_norm": self.spectral_norm,
            "return_attention": self.return_attention,
        }


def batch_normalization(**kwargs):
    """`keras.layers.BatchNormalization`, synchronized across replicas under a strategy.

    Built inside a `tf.distribute` scope, the batch statistics are the global
    batch's (an all-reduce per layer), so a step on `N` replicas normalizes as
    one device would; outside a scope the layer is the plain one and pays
    nothing for it.

    Args:
        **kwargs: `keras.layers.BatchNormalization` arguments.
    """
    return keras.layers.BatchNormalization(synchronized=tf.distribute.has_strategy(), **kwargs)


@keras.saving.register_keras_serializable(package="gan_zoo")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization whose gain and bias are chosen by a class label.

    Called as `layer([x, labels])` with `x` of shape `(B, ..., C)` and integer
    `labels` of shape `(B,)`. `x` goes through a `keras.layers.BatchNormalization`
    without its own affine (`center=False, scale=False`), so batch statistics in
    training and moving statistics in inference are exactly Keras's, and is
    then scaled and shifted per channel by the rows of a `(num_classes, C)` gain
    (initialised to 1) and bias (initialised to 0) that its label picks. This
    is how SAGAN's and BigGAN's generators condition every block on the class
    (de Vries et al. 2017; Miyato & Koyama 2018).

    Args:
        num_classes: number of labels, `0 .. num_classes - 1`.
        momentum: momentum of the moving statistics. Defaults to `0.99`.
        epsilon: added to the variance. Defaults to `1e-5`, as the papers'
            PyTorch batch norm.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Example:
        >>> x = ConditionalBatchNormalization(10)([x, labels], training=True)

    Reference:
        de Vries et al. 2017, https://arxiv.org/abs/1707.00683;
        Zhang et al. 2018 (SAGAN), https://arxiv.org/abs/1805.08318 (Section 5).
    """

    def __init__(self, num_classes, momentum=0.99, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _require_positive("ConditionalBatchNormalization", "num_classes", num_classes)
        _require_positive("ConditionalBatchNormalization", "epsilon", epsilon)
        if not 0 <= momentum <= 1:
            raise ZooError(
                f"ConditionalBatchNormalization needs 0 <= momentum <= 1, got momentum={momentum!r}"
            )
        self.num_classes = int(num_classes)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        features_shape = input_shape[0]
        channels = int(features_shape[-1])
        self.batch_norm = batch_normalization(
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=False,
            scale=False,
            name="batch_norm",
        )
        self.batch_norm.build(features_shape)
        self.gain = self.add_weight(
            shape=(self.num_classes, channels), initializer="ones", name="gain"
        )
        self.bias = self.add_weight(
            shape=(self.num_classes, channels), initializer="zeros", name="bias"
        )

    def call(self, inputs, training=None):
        features, labels = inputs
        normalized = self.batch_norm(features, training=training)
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        # (B, C) rows broadcast over the spatial axes of a (B, H, W, C) input.
        per_sample = (-1,) + (1,) * (len(features.shape) - 2) + (normalized.shape[-1],)
        gain = ops.reshape(ops.take(self.gain, labels, axis=0), per_sample)
        bias = ops.reshape(ops.take(self.bias, labels, axis=0), per_sample)
        return normalized * ops.cast(gain, normalized.dtype) + ops.cast(bias, normalized.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }


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
        return ops.maximum(inputs, self.negative_slope * inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


# ------------------------------------------------------------------------ StyleGAN

_MODULATED_CONV_IMPLEMENTATIONS = ("scaled", "grouped")


@keras.saving.register_keras_serializable(package="gan_zoo")
class ModulatedConv2D(keras.layers.Layer):
    """StyleGAN2's modulated convolution, with weight demodulation, channels last.

    Called as `layer([x, styles])` with `x` of shape `(B, H, W, C_in)` and
    `styles` of shape `(B, C_in)`: one scale per sample and input channel,
    from an affine layer of `w` outside this layer. Each sample is convolved
    with its own kernel `w'[b] = w * styles[b]` (modulation, the input axis
    scaled), which, when `demodulate`, is then divided per output channel by
    `sqrt(sum_{kh, kw, c_in} w'[b]^2 + epsilon)`, so that unit-variance
    inputs give unit-variance outputs whatever the styles: this replaces
    StyleGAN's AdaIN, whose instance normalization made the droplet
    artifacts (Section 2.2 of the paper). The kernel has an equalized
    learning rate (`EqualizedConv2D`): stored as N(0, 1) draws, scaled by
    `1 / sqrt(kh * kw * C_in)` at every call; demodulation cancels that
    scale, and without demodulation (toRGB layers) it is StyleGAN2's
    `1 / sqrt(C_in)` weight gain on the styles.

    The layer has no bias: a StyleGAN2 layer adds noise between the
    convolution and the bias, so callers add noise, bias and activation.

    Two implementations give the same output (up to float rounding):

    - `"scaled"`: scales the input activations by the styles, runs one plain
      convolution with the shared kernel, and multiplies the output by the
      demodulation coefficients `(B, C_out)`: scaling an input channel
      scales its slice of the kernel, so the result is the same
      (StyleGAN2's `fused_modconv=False`).
    - `"grouped"`: builds the `B` per-sample kernels and runs one grouped
      convolution with `B` groups, the batch folded into the channels
      (StyleGAN2's `fused_modconv=True`). TensorFlow's CPU kernels have no
      grouped convolution, so `keras.ops.conv` compiles this one with XLA.

    Measured on a 2-core CPU (TF 2.21, float32, 3x3, forward and backward in
    a `tf.function`, median of 20 steps): batch 8, 16x16 upsampled to 32x32,
    64 -> 64 channels: scaled 21 ms, grouped 716 ms; batch 8, 32x32, 32 -> 32:
    7 ms and 331 ms; batch 32, 8x8, 128 -> 128: 19 ms and 1432 ms; batch 8,
    4x4, 256 -> 256: 7 ms and 124 ms. Use `"scaled"`, the default, on CPU;
    `"grouped"` is there for accelerators and as a check of the other.
    Per-sample kernels without a grouped convolution were slower too: a
    `tf.map_fn` over the samples took 23 ms and a `tf.vectorized_map` 39 ms
    where the scaled form took 21 ms (batch 8, 32x32, 64 -> 64).

    With `upsample=True` the input is first doubled by nearest-neighbour
    upsampling (`Upsample2D`), then convolved. StyleGAN2 instead uses a
    strided transposed convolution followed by a [1, 3, 3, 1] FIR low-pass
    filter; nearest + conv is ProGAN's cheaper resampling.

    Args:
        filters: number of output channels.
        kernel_size: int or `(kernel_h, kernel_w)`; odd sizes keep the
            `"same"` padding centred.
        demodulate: divide by the per-sample output norm as above; `False`
            for toRGB layers. Defaults to `True`.
        upsample: double height and width before the convolution.
            Defaults to `False`.
        implementation: `"scaled"` or `"grouped"`, as above. Defaults to
            `"scaled"`.
        epsilon: added to the squared norm before the reciprocal square root.
            Defaults to `1e-8`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Raises:
        ZooError: on a bad argument, or when `styles` does not have one scale
            per input channel.

    Example:
        >>> styles = EqualizedDense(64, gain=1.0)(w)  # (B, 64), bias set to 1
        >>> y = ModulatedConv2D(64, 3, upsample=True)([x, styles])  # (B, 2H, 2W, 64)

    Reference:
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958
        (Section 2.2, Figure 2c, Equations 1-3).
    """

    def __init__(
        self,
        filters,
        kernel_size,
        demodulate=True,
        upsample=False,
        implementation="scaled",
        epsilon=1e-8,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _require_positive("ModulatedConv2D", "filters", filters)
        _require_positive("ModulatedConv2D", "epsilon", epsilon)
        if implementation not in _MODULATED_CONV_IMPLEMENTATIONS:
            raise ZooError(
                f"ModulatedConv2D needs implementation 'scaled' or 'grouped', "
                f"got {implementation!r}"
            )
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size)
        for side in self.kernel_size:
            _require_positive("ModulatedConv2D", "kernel_size", side)
        self.demodulate = bool(demodulate)
        self.upsample = bool(upsample)
        self.implementation = implementation
        self.epsilon = float(epsilon)
        self.upsampling = Upsample2D(name="upsample") if self.upsample else None

    def build(self, input_shape):
        features_shape, styles_shape = input_shape
        in_channels = features_shape[-1]
        if in_channels is None or styles_shape[-1] not in (None, in_channels):
            raise _one_line(
                ZooError(
                    f"ModulatedConv2D needs one style per input channel, got features "
                    f"{tuple(features_shape)} and styles {tuple(styles_shape)}"
                )
            )
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, int(in_channels), self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="kernel",
        )
        self.scale = 1.0 / math.sqrt(math.prod(self.kernel_size) * int(in_channels))

    def _demodulation(self, kernel, styles):
        """`(B, C_out)`: `rsqrt(sum_{kh, kw, c_in} (kernel * styles)^2 + epsilon)`."""
        # Float32: squared weights and styles lose their small terms in float16.
        squared_norms = ops.matmul(
            ops.square(ops.cast(styles, "float32")),
            ops.sum(ops.square(ops.cast(kernel, "float32")), axis=(0, 1)),
        )
        return ops.rsqrt(squared_norms + self.epsilon)

    def call(self, inputs):
        features, styles = inputs
        kernel = ops.cast(self.kernel, features.dtype) * self.scale
        styles = ops.cast(styles, features.dtype)
        if self.implementation == "scaled":
            return self._scaled(features, kernel, styles)
        return self._grouped(features, kernel, styles)

    def _scaled(self, features, kernel, styles):
        # Scaling before upsampling touches a quarter of the pixels, and
        # commutes with nearest-neighbour copies.
        features = features * styles[:, None, None, :]
        if self.upsampling is not None:
            features = self.upsampling(features)
        outputs = ops.conv(features, kernel, padding="same", data_format="channels_last")
        if self.demodulate:
            demodulation = self._demodulation(kernel, styles)
            outputs = outputs * ops.cast(demodulation, outputs.dtype)[:, None, None, :]
        return outputs

    def _grouped(self, features, kernel, styles):
        if self.upsampling is not None:
            features = self.upsampling(features)
        kernels = kernel[None] * styles[:, None, None, :, None]  # (B, kh, kw, C_in, C_out)
        if self.demodulate:
            demodulation = self._demodulation(kernel, styles)
            kernels = kernels * ops.cast(demodulation, kernels.dtype)[:, None, None, None, :]
        shape = ops.shape(features)
        batch, height, width = shape[0], shape[1], shape[2]
        in_channels = kernel.shape[2]
        # The batch folded into the channels, sample-major: group b reads input
        # channels [b * C_in, (b + 1) * C_in) and writes [b * C_out, (b + 1) * C_out).
        features = ops.reshape(
            ops.transpose(features, (1, 2, 0, 3)), (1, height, width, batch * in_channels)
        )
        kernels = ops.reshape(
            ops.transpose(kernels, (1, 2, 3, 0, 4)),
            (*self.kernel_size, in_channels, batch * self.filters),
        )
        outputs = ops.conv(features, kernels, padding="same", data_format="channels_last")
        outputs = ops.reshape(outputs, (height, width, batch, self.filters))
        return ops.transpose(outputs, (2, 0, 1, 3))

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape[0]
        factor = 2 if self.upsample else 1
        scale = lambda side: None if side is None else side * factor  # noqa: E731
        return (batch, scale(height), scale(width), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "demodulate": self.demodulate,
            "upsample": self.upsample,
            "implementation": self.implementation,
            "epsilon": self.epsilon,
        }


@keras.saving.register_keras_serializable(package="gan_zoo")
class NoiseInjection(keras.layers.Layer):
    """Adds per-pixel Gaussian noise, scaled by a learned strength per channel.

    To `x` of shape `(B, H, W, C)` it adds `strength * noise`, with one noise
    image `(B, H, W, 1)` shared by all channels and a strength `(C,)` learned
    from 0, so a new layer starts as the identity. StyleGAN's generator adds
    it after every convolution: the noise makes the stochastic details (hair,
    freckles), and leaves the styles to the global features (Section 3.2 of
    the StyleGAN paper).

    With `training=True` the noise is drawn anew at every call: from
    `noise_source` when a model sets one (a GAN sets its
    `zoo.latents.TrainingNoise`, which also works under `tf.distribute`),
    else from the layer's own `keras.random.SeedGenerator`. Otherwise (`training=False` or
    `None`) the layer adds a constant noise image `(H, W, 1)`, a
    non-trainable weight drawn once when the layer is built (NVIDIA's
    `noise_mode='const'`): inference is then deterministic, so an export or a
    generation from a seed gives the same images every time, and the buffer
    travels with checkpoints and `.keras` files.

    Args:
        seed: seed of the training noise and of the constant buffer. `None`
            draws a seed for each from Python's random state when the layer
            is made, so every layer gets its own noise, and a run seeded by
            `keras.utils.set_random_seed` the same noise again. Defaults to
            `None`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Raises:
        ZooError: when built on features whose height or width is unknown.

    Example:
        >>> x = NoiseInjection()(x, training=True)

    Reference:
        Karras et al. 2019 (StyleGAN), https://arxiv.org/abs/1812.04948
        (Section 3.2, Figure 1b "B");
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.noise_source = None

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if height is None or width is None or channels is None:
            raise _one_line(
                ZooError(
                    f"NoiseInjection needs a known height, width and channels, got {input_shape}"
                )
            )
        self.strength = self.add_weight(shape=(channels,), initializer="zeros", name="strength")
        # Drawn once: an initializer fixes its seed when made (`seed`, or one
        # drawn then), so the buffer, unlike the training noise, never changes.
        self.noise = self.add_weight(
            shape=(height, width, 1),
            initializer=keras.initializers.RandomNormal(seed=self.seed),
            trainable=False,
            name="noise",
        )

    def call(self, inputs, training=None):
        if training:
            shape = ops.shape(inputs)
            noise_shape = (shape[0], shape[1], shape[2], 1)
            if self.noise_source is not None:
                noise = ops.cast(self.noise_source.normal(noise_shape), inputs.dtype)
            else:
                noise = keras.random.normal(
                    noise_shape, dtype=inputs.dtype, seed=self.seed_generator
                )
        else:
            noise = ops.cast(self.noise, inputs.dtype)[None]
        return inputs + noise * ops.cast(self.strength, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="gan_zoo")
class AdaptiveInstanceNormalization(keras.layers.Layer):
    """AdaIN: instance normalization, then a per-sample scale and shift from a style.

    Called as `layer([x, styles])` with `x` of shape `(B, H, W, C)` and
    `styles` of shape `(B, 2C)`. Each feature map of each sample is brought
    to zero mean and unit variance over its pixels, then multiplied by
    `styles[:, :C]` and shifted by `styles[:, C:]`. The affine layer that
    maps `w` to the styles is outside; StyleGAN initialises the bias of its
    scale half to 1, so a new layer starts close to plain instance
    normalization (Section 2 of the paper).

    Args:
        epsilon: added to the variance. Defaults to `1e-8`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Raises:
        ZooError: when `styles` does not have `2C` entries.

    Example:
        >>> x = AdaptiveInstanceNormalization()([x, styles])  # styles (B, 2C)

    Reference:
        Huang & Belongie 2017, https://arxiv.org/abs/1703.06868;
        Karras et al. 2019 (StyleGAN), https://arxiv.org/abs/1812.04948
        (Section 2, Equation 1).
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        _require_positive("AdaptiveInstanceNormalization", "epsilon", epsilon)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        features_shape, styles_shape = input_shape
        channels = features_shape[-1]
        if channels is None or styles_shape[-1] not in (None, 2 * channels):
            raise _one_line(
                ZooError(
                    f"AdaptiveInstanceNormalization needs styles of 2 * channels, got "
                    f"features {tuple(features_shape)} and styles {tuple(styles_shape)}"
                )
            )

    def call(self, inputs):
        features, styles = inputs
        channels = features.shape[-1]
        # Float32 statistics, as MinibatchStdDev: variances underflow in float16.
        values = ops.cast(features, "float32")
        mean = ops.mean(values, axis=(1, 2), keepdims=True)
        variance = ops.var(values, axis=(1, 2), keepdims=True)
        normalized = (values - mean) * ops.rsqrt(variance + self.epsilon)
        styles = ops.cast(styles, "float32")
        scale = styles[:, None, None, :channels]
        shift = styles[:, None, None, channels:]
        return ops.cast(normalized * scale + shift, features.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
