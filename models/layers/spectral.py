"""Spectral normalization as Miyato et al. 2018 define it, advanced once per update."""

import keras
from keras import ops

from zoo.core import distribute
from zoo.core.errors import ZooError

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
