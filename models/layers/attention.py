"""SAGAN's self-attention block (Zhang et al. 2018)."""

import keras
from keras import ops

from zoo.core.errors import ZooError

from .checks import one_line, require_positive
from .spectral import SpectralNormalization


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
        require_positive("SelfAttention", "reduction", reduction)
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
            raise one_line(
                ZooError(
                    f"SelfAttention needs channels that are a multiple of reduction="
                    f"{self.reduction} and of 2, got {channels}"
                )
            )
        if self.pooled and any(side is not None and side % 2 for side in (height, width)):
            raise one_line(
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
