"""StyleGAN's layers: modulated convolution, noise injection and AdaIN (Karras et al.)."""

import math

import keras
from keras import ops

from zoo.core.errors import ZooError

from .checks import one_line, pair, require_positive
from .resampling import Upsample2D, lowpass

_MODULATED_CONV_IMPLEMENTATIONS = ("scaled", "grouped")
RESAMPLINGS = ("nearest", "filtered")


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

    With `upsample=True` and `resampling="nearest"` the input is first
    doubled by nearest-neighbour upsampling (`Upsample2D`), then convolved at
    the doubled resolution: ProGAN's resampling. `resampling="filtered"` is
    StyleGAN2's: a transposed convolution of stride 2 (a quarter of the
    multiply-adds: the kernel visits the input's pixels, not the output's),
    then the [1, 3, 3, 1] low-pass filter (`resampling.LOWPASS`, gain 4),
    which removes the checkerboard a strided transposed convolution leaves.
    Only the `"scaled"` implementation has it.

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
        resampling: `"nearest"` or `"filtered"`, how `upsample` doubles, as
            above. Defaults to `"nearest"`.
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
        resampling="nearest",
        **kwargs,
    ):
        super().__init__(**kwargs)
        require_positive("ModulatedConv2D", "filters", filters)
        require_positive("ModulatedConv2D", "epsilon", epsilon)
        if implementation not in _MODULATED_CONV_IMPLEMENTATIONS:
            raise ZooError(
                f"ModulatedConv2D needs implementation 'scaled' or 'grouped', "
                f"got {implementation!r}"
            )
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size)
        for side in self.kernel_size:
            require_positive("ModulatedConv2D", "kernel_size", side)
        self.demodulate = bool(demodulate)
        if resampling not in RESAMPLINGS:
            raise ZooError(
                f"ModulatedConv2D needs resampling 'nearest' or 'filtered', got {resampling!r}"
            )
        if resampling == "filtered" and implementation != "scaled":
            raise ZooError("ModulatedConv2D's filtered resampling needs implementation 'scaled'")
        self.upsample = bool(upsample)
        self.implementation = implementation
        self.epsilon = float(epsilon)
        self.resampling = resampling
        nearest = self.upsample and resampling == "nearest"
        self.upsampling = Upsample2D(name="upsample") if nearest else None

    def build(self, input_shape):
        features_shape, styles_shape = input_shape
        in_channels = features_shape[-1]
        if in_channels is None or styles_shape[-1] not in (None, in_channels):
            raise one_line(
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
        if self.upsample and self.resampling == "filtered":
            outputs = self._transposed_and_filtered(features, kernel)
        else:
            outputs = ops.conv(features, kernel, padding="same", data_format="channels_last")
        if self.demodulate:
            demodulation = self._demodulation(kernel, styles)
            outputs = outputs * ops.cast(demodulation, outputs.dtype)[:, None, None, :]
        return outputs

    def _transposed_and_filtered(self, features, kernel):
        # (2H + 1) after the transposed convolution, 2H after the filter padded by 1.
        outputs = ops.conv_transpose(
            features, ops.transpose(kernel, (0, 1, 3, 2)), strides=2, padding="valid",
            data_format="channels_last",
        )  # fmt: skip
        return lowpass(outputs, (1, 1), gain=4.0)

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
            "resampling": self.resampling,
        }


@keras.saving.register_keras_serializable(package="gan_zoo")
class NoiseInjection(keras.layers.Layer):
    """Adds per-pixel Gaussian noise, scaled by a learned strength per channel.

    To `x` of shape `(B, H, W, C)` it adds `strength * noise`, with one noise
    image `(B, H, W, 1)` shared by all channels and a strength `(C,)` (or one
    scalar, `per_channel=False`) learned from 0, so a new layer starts as the
    identity. StyleGAN's generator adds it after every convolution: the noise
    makes the stochastic details (hair, freckles), and leaves the styles to the
    global features (Section 3.2 of the StyleGAN paper).

    With `training=True`, or with `fresh_noise` set (a sampling mode, not
    saved: `models.stylegan.StyleGAN.sampling_noise`), the noise is drawn anew
    at every call, per sample: from
    `noise_source` when a model sets one (a GAN sets its
    `zoo.core.latents.TrainingNoise`, which also works under `tf.distribute`),
    else from the layer's own `keras.random.SeedGenerator`. Otherwise (`training=False` or
    `None`) the layer adds a constant noise image `(H, W, 1)`, a
    non-trainable weight drawn once when the layer is built (NVIDIA's
    `noise_mode='const'`): inference is then deterministic, so an export or a
    generation from a seed gives the same images every time, and the buffer
    travels with checkpoints and `.keras` files.

    Args:
        per_channel: one learned strength per channel (`True`), or one scalar for
            the layer, as NVIDIA's StyleGAN2 code has it (`False`). Defaults to
            `True`.
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

    def __init__(self, seed=None, per_channel=True, **kwargs):
        super().__init__(**kwargs)
        self.per_channel = bool(per_channel)
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.noise_source = None
        self.fresh_noise = False

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if height is None or width is None or channels is None:
            raise one_line(
                ZooError(
                    f"NoiseInjection needs a known height, width and channels, got {input_shape}"
                )
            )
        self.strength = self.add_weight(
            shape=(channels,) if self.per_channel else (), initializer="zeros", name="strength"
        )
        # Drawn once: an initializer fixes its seed when made (`seed`, or one
        # drawn then), so the buffer, unlike the training noise, never changes.
        self.noise = self.add_weight(
            shape=(height, width, 1),
            initializer=keras.initializers.RandomNormal(seed=self.seed),
            trainable=False,
            name="noise",
        )

    def call(self, inputs, training=None):
        if training or self.fresh_noise:
            shape = ops.shape(inputs)
            noise_shape = (shape[0], shape[1], shape[2], 1)
            if training and self.noise_source is not None:
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
        return {**super().get_config(), "seed": self.seed, "per_channel": self.per_channel}


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
        require_positive("AdaptiveInstanceNormalization", "epsilon", epsilon)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        features_shape, styles_shape = input_shape
        channels = features_shape[-1]
        if channels is None or styles_shape[-1] not in (None, 2 * channels):
            raise one_line(
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
