"""StyleGAN's networks: the mapping, synthesis and residual discriminator networks.

Builders of functional `keras.Model`s, with no GAN around them: the StyleGAN
family (`models/stylegan.py`) keeps the running average of w, truncation,
style mixing, the losses and the regularizers. Three small layers that only
these networks use are here too: `StyleAffine` (w to styles), `ConstantInput`
(the learned 4x4 start) and `BiasActivation` (bias, then leaky ReLU with
StyleGAN2's gain).

The synthesis network takes one w per layer, `ws` of shape `(B, num_ws,
w_dim)`, in StyleGAN2's layout: the convolutions take `ws[:, 0]`,
`ws[:, 1]`, ... in order, and each toRGB layer the index of the next
convolution, the last toRGB the last index, so `num_ws = 2 * log2(R) - 2`
for images of side `R` (`num_ws_for`). A family draws one w and repeats it
`num_ws` times, or mixes two at a crossover index.

The synthesis network starts from a learned 4x4 constant (`ConstantInput`);
each resolution 4, 8, ..., R has one 3x3 styled convolution at 4x4 and two
above, the first of which doubles the resolution; each is followed by noise
(`NoiseInjection`), a bias and leaky ReLU (0.2) times `sqrt(2)`
(`BiasActivation`, as StyleGAN2). Every resolution has a toRGB layer (a
modulated 1x1 convolution without demodulation, plus a bias), and the image is
the sum of all of them, each earlier one upsampled: StyleGAN2's "skip"
generator (Figure 7 of the paper). Resampling is `"nearest"` (ProGAN's
nearest-neighbour copies and average pooling, each convolution at the higher
resolution) or `"filtered"` (StyleGAN2's: transposed and strided convolutions
around the [1, 3, 3, 1] low-pass filter, which also smooths the toRGB skips
and the discriminator's shortcuts; `ModulatedConv2D`, `layers.resampling`).
The output is linear, with no tanh, as in both papers: images come out near [-1, 1] because the
discriminator sees real ones there; the family clips them for display. With
`modulation="demodulate"` each convolution is a `ModulatedConv2D` (StyleGAN2);
with `"adain"` it is StyleGAN's: an `EqualizedConv2D`, the noise, bias and
activation, then `AdaptiveInstanceNormalization` with styles from its own w (an
affine of `2C` outputs, scales starting at 1). Both variants keep StyleGAN2's
modulated toRGB layers, so they take the same `ws`.

Example:
    >>> channels_at = default_channels(max_channels=64, channel_base=1024)
    >>> mapping = mapping_network(latent_dim=128, w_dim=128, num_layers=4)
    >>> synthesis = synthesis_network((32, 32, 1), 128, channels_at)
    >>> num_ws = synthesis.input_shape[1]  # == num_ws_for(32) == 8
    >>> ws = ops.repeat(mapping(z)[:, None], num_ws, axis=1)
    >>> images = synthesis(ws)  # (B, 32, 32, 1), linear

Reference:
    Karras et al. 2019 (StyleGAN), https://arxiv.org/abs/1812.04948;
    Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958.
"""

import dataclasses
import math
import numbers

import keras
from keras import ops

from zoo.core.errors import ZooError

from .layers import (
    RELU_GAIN,
    AdaptiveInstanceNormalization,
    Blur2D,
    Downsample2D,
    EqualizedConv2D,
    EqualizedDense,
    FilteredDownsample2D,
    FilteredUpsample2D,
    MaxLeakyReLU,
    MinibatchStdDev,
    ModulatedConv2D,
    NoiseInjection,
    PixelNormalization,
    Upsample2D,
)
from .layers.checks import one_line

START_RESOLUTION = 4

MODULATIONS = ("demodulate", "adain")
RESAMPLINGS = ("nearest", "filtered")

# Leaky ReLU's slope everywhere in both papers.
_SLOPE = 0.2


def _require_positive(function, name, value):
    if not (isinstance(value, numbers.Integral) and value > 0):
        raise ZooError(f"{function} needs a positive integer {name}, got {name}={value!r}")


def num_ws_for(image_side):
    """Number of ws the synthesis network of side `image_side` takes: `2 * log2(R) - 2`.

    Raises:
        ZooError: unless `image_side = 4 * 2^n` with `n >= 1` (8, 16, 32, ...).

    Example:
        >>> num_ws_for(32)
        8
    """
    doublings = math.log2(image_side / START_RESOLUTION) if image_side > 0 else 0
    if doublings < 1 or doublings != int(doublings):
        raise ZooError(
            f"StyleGAN grows from 4x4 by doubling: the image side must be 4 * 2^n "
            f"(8, 16, 32, 64, ...), got {image_side}; for Fashion-MNIST use --image_size=32"
        )
    return 2 * int(math.log2(image_side)) - 2


def _resolutions(image_shape):
    """4, 8, ..., R for a square `(R, R, C)`, with one-line errors."""
    if len(image_shape) != 3 or image_shape[0] != image_shape[1] or image_shape[2] < 1:
        raise ZooError(f"StyleGAN needs square images (R, R, C), got image_shape={image_shape}")
    num_ws_for(image_shape[0])
    return [START_RESOLUTION * 2**i for i in range(int(math.log2(image_shape[0])) - 1)]


def default_channels(max_channels=512, channel_base=32768):
    """Feature maps at a resolution, NVIDIA's rule: `min(max_channels, channel_base // r)`.

    Args:
        max_channels: most feature maps of any layer. Defaults to `512`.
        channel_base: feature maps at resolution r are `channel_base // r`
            below the cap, so they halve as the resolution doubles.
            Defaults to `32768` (StyleGAN2's 512 maps up to 64x64).

    Returns:
        A function `resolution -> int`.

    Example:
        >>> channels_at = default_channels(64, 1024)
        >>> [channels_at(r) for r in (4, 8, 16, 32)]
        [64, 64, 64, 32]
    """
    _require_positive("default_channels", "max_channels", max_channels)
    _require_positive("default_channels", "channel_base", channel_base)

    def channels_at(resolution):
        return min(max_channels, channel_base // resolution)

    return channels_at


# ----------------------------------------------------------------------- layers


@keras.saving.register_keras_serializable(package="gan_zoo")
class StyleAffine(EqualizedDense):
    """The affine layer from one w of `ws` to a layer's styles.

    Reads `ws[:, w_index]` from `ws` of shape `(B, num_ws, w_dim)` and
    applies an `EqualizedDense` with a linear output (gain 1), whose bias
    starts at 1 on its first `bias_ones` outputs and at 0 on the rest: the
    scales of a modulated convolution or of AdaIN start around 1, its
    shifts around 0 (StyleGAN's Section 2, StyleGAN2's `bias_init=1`).

    Args:
        units: number of styles.
        w_index: which w of `ws` the layer reads.
        bias_ones: outputs, from the first, whose bias starts at 1; `None`
            is all of them (a modulated convolution's scales), `C` for AdaIN's
            `2C` styles (scales, then shifts). Defaults to `None`.
        gain: numerator of the He constant. Defaults to `1`.
        lr_multiplier: learning-rate multiplier. Defaults to `1`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Example:
        >>> styles = StyleAffine(64, w_index=3)(ws)  # (B, 64)
    """

    def __init__(self, units, w_index, bias_ones=None, gain=1.0, lr_multiplier=1.0, **kwargs):
        super().__init__(units, use_bias=True, gain=gain, lr_multiplier=lr_multiplier, **kwargs)
        if not (isinstance(w_index, numbers.Integral) and w_index >= 0):
            raise ZooError(f"StyleAffine needs an integer w_index >= 0, got {w_index!r}")
        self.w_index = int(w_index)
        self.bias_ones = self.units if bias_ones is None else int(bias_ones)
        if not 0 <= self.bias_ones <= self.units:
            raise ZooError(f"StyleAffine needs 0 <= bias_ones <= units, got {bias_ones!r}")

    def build(self, input_shape):
        num_ws = input_shape[1] if len(input_shape) == 3 else 0
        if num_ws is not None and self.w_index >= num_ws:
            raise one_line(
                ZooError(
                    f"StyleAffine reads ws[:, {self.w_index}] of ws (B, num_ws, w_dim), "
                    f"got shape {tuple(input_shape)}"
                )
            )
        super().build((input_shape[0], input_shape[2]))
        # The bias is multiplied by lr_multiplier at every call.
        initial = [1.0 / self.lr_multiplier] * self.bias_ones
        initial += [0.0] * (self.units - self.bias_ones)
        self.bias.assign(ops.convert_to_tensor(initial, dtype=self.bias.dtype))

    def call(self, inputs):
        return super().call(inputs[:, self.w_index])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        del config["use_bias"], config["activation"]
        return {**config, "w_index": self.w_index, "bias_ones": self.bias_ones}


@keras.saving.register_keras_serializable(package="gan_zoo")
class ConstantInput(keras.layers.Layer):
    """The synthesis network's learned start: a `(size, size, channels)` tensor per sample.

    Called on any tensor whose first axis is the batch (the network's `ws`),
    it returns its weight, initialised to N(0, 1) draws, broadcast to
    `(B, size, size, channels)`: StyleGAN replaced the first layer's input z
    by this constant, as the styles carry z (Section 2 of the StyleGAN paper).

    Args:
        channels: feature maps.
        size: height and width. Defaults to `4`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).
    """

    def __init__(self, channels, size=START_RESOLUTION, **kwargs):
        super().__init__(**kwargs)
        _require_positive("ConstantInput", "channels", channels)
        _require_positive("ConstantInput", "size", size)
        self.channels = int(channels)
        self.size = int(size)

    def build(self, input_shape):
        self.constant = self.add_weight(
            shape=(self.size, self.size, self.channels),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            name="constant",
        )

    def call(self, inputs):
        shape = (ops.shape(inputs)[0], self.size, self.size, self.channels)
        return ops.broadcast_to(ops.cast(self.constant, self.compute_dtype)[None], shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.saving.register_keras_serializable(package="gan_zoo")
class BiasActivation(keras.layers.Layer):
    """Adds a bias per channel, then optionally leaky ReLU times a gain.

    A StyleGAN layer adds its bias after the noise, so the convolution
    before it has none. With `leaky_relu=True` the output is
    `gain * max(x + b, 0.2 (x + b))`, StyleGAN2's `bias_act` with its default
    gain `sqrt(2)`, which keeps unit-variance inputs near unit second moment
    (the toRGB layers, which are not demodulated, then see unit-scale
    features). `max(x, 0.2 x)` rather than the `LeakyRelu` op, as
    `MaxLeakyReLU`, to keep Grappler's remapper from failing on Add +
    LeakyRelu.

    Args:
        leaky_relu: apply the activation; `False` only adds the bias.
            Defaults to `True`.
        gain: multiplies the activation's output. Defaults to `sqrt(2)`.
        lr_multiplier: the bias is stored divided by it. Defaults to `1`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).
    """

    def __init__(self, leaky_relu=True, gain=RELU_GAIN, lr_multiplier=1.0, **kwargs):
        super().__init__(**kwargs)
        if not lr_multiplier > 0:
            raise ZooError(f"BiasActivation needs lr_multiplier > 0, got {lr_multiplier!r}")
        self.leaky_relu = bool(leaky_relu)
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, inputs):
        outputs = inputs + ops.cast(self.bias, inputs.dtype) * self.lr_multiplier
        if self.leaky_relu:
            outputs = ops.maximum(outputs, _SLOPE * outputs) * self.gain
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "leaky_relu": self.leaky_relu,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
        }


# --------------------------------------------------------------------- networks


def mapping_network(latent_dim=512, w_dim=512, num_layers=8, lr_multiplier=0.01, name="mapping"):
    """StyleGAN's mapping network f: z -> w, unconditional.

    z is normalized to unit mean square (`PixelNormalization`), so only its
    direction matters, then goes through `num_layers` equalized dense layers
    of `w_dim` units with leaky ReLU (0.2), each learning `lr_multiplier`
    times slower than the synthesis network (Appendix C of the StyleGAN
    paper). The running average of w, for truncation, is the family's.

    Args:
        latent_dim: size of z. Defaults to `512`.
        w_dim: size of w. Defaults to `512`.
        num_layers: dense layers. Defaults to `8`.
        lr_multiplier: learning-rate multiplier of every layer. Defaults to
            `0.01`.
        name: the model's name. Defaults to `"mapping"`.

    Returns:
        A `keras.Model` from `latents` `(B, latent_dim)` to w `(B, w_dim)`;
        its layers are `z_norm`, then `fc{i}` and `fc{i}_lrelu` for each i.

    Example:
        >>> w = mapping_network(128, 128, num_layers=4)(z)  # (B, 128)

    Reference:
        Karras et al. 2019 (StyleGAN), https://arxiv.org/abs/1812.04948
        (Section 2, Appendix C).
    """
    _require_positive("mapping_network", "latent_dim", latent_dim)
    _require_positive("mapping_network", "w_dim", w_dim)
    _require_positive("mapping_network", "num_layers", num_layers)
    latents = keras.Input((latent_dim,), name="latents")
    x = PixelNormalization(name="z_norm")(latents)
    for i in range(num_layers):
        x = EqualizedDense(w_dim, lr_multiplier=lr_multiplier, name=f"fc{i}")(x)
        x = MaxLeakyReLU(_SLOPE, name=f"fc{i}_lrelu")(x)
    return keras.Model(latents, x, name=name)


@dataclasses.dataclass(frozen=True)
class _LayerOptions:
    """How every synthesis layer is made (`synthesis_network`'s arguments)."""

    modulation: str
    implementation: str
    resampling: str
    noise_per_channel: bool


def _styled_conv(x, ws, w_index, filters, upsample, options, prefix):
    """One synthesis layer: (upsample,) styled 3x3 conv, noise, bias, leaky ReLU."""
    noise = NoiseInjection(per_channel=options.noise_per_channel, name=f"{prefix}_noise")
    if options.modulation == "demodulate":
        styles = StyleAffine(x.shape[-1], w_index, name=f"{prefix}_affine")(ws)
        x = ModulatedConv2D(
            filters, 3, upsample=upsample, implementation=options.implementation,
            resampling=options.resampling, name=prefix,
        )([x, styles])  # fmt: skip
        return BiasActivation(name=f"{prefix}_act")(noise(x))
    # StyleGAN's layer: conv, noise, bias, activation, then AdaIN from w.
    if upsample:
        x = _upsampling(options.resampling)(name=f"{prefix}_up")(x)
    x = EqualizedConv2D(filters, 3, use_bias=False, name=prefix)(x)
    x = BiasActivation(name=f"{prefix}_act")(noise(x))
    styles = StyleAffine(2 * filters, w_index, bias_ones=filters, name=f"{prefix}_affine")(ws)
    return AdaptiveInstanceNormalization(name=f"{prefix}_adain")([x, styles])


def _upsampling(resampling):
    return FilteredUpsample2D if resampling == "filtered" else Upsample2D


def _to_rgb(x, ws, w_index, image_channels, implementation, prefix):
    """toRGB: a modulated 1x1 conv, not demodulated, plus a bias; linear."""
    styles = StyleAffine(x.shape[-1], w_index, name=f"{prefix}_affine")(ws)
    rgb = ModulatedConv2D(
        image_channels, 1, demodulate=False, implementation=implementation, name=prefix
    )([x, styles])
    return BiasActivation(leaky_relu=False, name=f"{prefix}_bias")(rgb)


def synthesis_network(
    image_shape,
    w_dim,
    channels_at,
    modulation="demodulate",
    implementation="scaled",
    resampling="nearest",
    noise_per_channel=True,
    name="synthesis",
):
    """StyleGAN2's synthesis network g: ws -> images, with skip connections to RGB.

    The architecture (constant, styled convolutions, toRGB skips, the linear
    output, the AdaIN variant) is described in this module's docstring.

    Args:
        image_shape: `(R, R, C)` with `R = 4 * 2^n`, `n >= 1`.
        w_dim: size of each w.
        channels_at: function `resolution -> feature maps` (`default_channels`).
        modulation: `"demodulate"` or `"adain"`. Defaults to `"demodulate"`.
        implementation: `ModulatedConv2D`'s `"scaled"` or `"grouped"`.
            Defaults to `"scaled"`.
        resampling: `"nearest"` or `"filtered"` (module docstring). Defaults
            to `"nearest"`.
        noise_per_channel: each noise input's strength per channel, or one
            scalar per layer as NVIDIA's code (`NoiseInjection`). Defaults to
            `True`.
        name: the model's name. Defaults to `"synthesis"`.

    Returns:
        A `keras.Model` from `ws` `(B, num_ws, w_dim)` to images `(B, R, R, C)`,
        `num_ws = num_ws_for(R)` (`model.input_shape[1]`). Layers at resolution
        r: `b{r}_conv0` (not at 4x4) and `b{r}_conv1`, with `_affine`, `_noise`,
        `_act` (AdaIN: `_adain`, `_up`); `b{r}_torgb`; `const`; `images`.

    Raises:
        ZooError: on a bad image shape or modulation.
    Example:
        >>> synthesis = synthesis_network((32, 32, 1), 128, default_channels(64, 1024))
        >>> images = synthesis(ws)  # ws (B, 8, 128) -> (B, 32, 32, 1)

    Reference:
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958 (Figures 2, 7);
        Karras et al. 2019 (StyleGAN), https://arxiv.org/abs/1812.04948 (Figure 1).
    """
    resolutions = _resolutions(image_shape)
    _require_positive("synthesis_network", "w_dim", w_dim)
    if modulation not in MODULATIONS:
        raise ZooError(
            f"synthesis_network needs modulation 'demodulate' or 'adain', got {modulation!r}"
        )
    _check_resampling("synthesis_network", resampling)
    options = _LayerOptions(modulation, implementation, resampling, bool(noise_per_channel))
    num_ws = num_ws_for(image_shape[0])
    ws = keras.Input((num_ws, w_dim), name="ws")
    x = ConstantInput(channels_at(START_RESOLUTION), name="const")(ws)
    rgb, w_index = None, 0
    for resolution in resolutions:
        x, y, w_index = _synthesis_block(
            x, ws, w_index, resolution, channels_at(resolution), image_shape[-1], options
        )
        if rgb is None:
            rgb = y
        else:
            rgb = _upsampling(resampling)(name=f"b{resolution}_rgb_up")(rgb)
            last = resolution == resolutions[-1]
            rgb = keras.layers.Add(name="images" if last else f"b{resolution}_rgb_add")([rgb, y])
    return keras.Model(ws, rgb, name=name)


def _synthesis_block(x, ws, w_index, resolution, width, channels, options):
    """One resolution's styled convolutions and toRGB; returns `(x, rgb, next w index)`."""
    prefix = f"b{resolution}"
    convs = ["conv1"] if resolution == START_RESOLUTION else ["conv0", "conv1"]
    for conv in convs:
        x = _styled_conv(x, ws, w_index, width, conv == "conv0", options, prefix=f"{prefix}_{conv}")
        w_index += 1
    # The next convolution's w, which for the last toRGB is the last w.
    rgb = _to_rgb(x, ws, w_index, channels, options.implementation, f"{prefix}_torgb")
    return x, rgb, w_index


def stylegan_discriminator(
    image_shape, channels_at, mbstd_group_size=4, resampling="nearest", name="discriminator"
):
    """StyleGAN2's residual discriminator: images -> one logit per sample.

    A 1x1 fromRGB convolution at full resolution, then one residual block
    per resolution down to 8x8: two 3x3 convolutions, the second followed by
    2x2 average pooling, plus a shortcut of 2x2 average pooling and a 1x1
    convolution without bias; the sum is scaled by `1 / sqrt(2)` (Figure 7
    of the paper). The scale is folded into the weights' He constants, which
    gives the same function and initial outputs: the second convolution has
    gain 1 instead of `sqrt(2)` (leaky ReLU and pooling commute with a
    positive scale) and the shortcut gain `1 / sqrt(2)`. At 4x4: minibatch
    standard deviation, a 3x3 convolution, a dense layer and the linear
    logit. Every convolution and dense layer has an equalized learning rate
    and leaky ReLU (0.2).

    Args:
        image_shape: `(R, R, C)` with `R = 4 * 2^n`, `n >= 1`.
        channels_at: function `resolution -> feature maps` (`default_channels`).
        mbstd_group_size: `MinibatchStdDev`'s group size; the batch must be a
            multiple of `min(group_size, batch)`. Defaults to `4`.
        resampling: `"nearest"` (average pooling after the second convolution
            and on the shortcut) or `"filtered"` (the low-pass filter, then the
            second convolution with stride 2; the filter and every other pixel
            on the shortcut). Defaults to `"nearest"`.
        name: the model's name. Defaults to `"discriminator"`.

    Returns:
        A `keras.Model` from `images` `(B, R, R, C)` to logits `(B, 1)`.
        Layers: `b{R}_fromrgb`; at each r > 4, `b{r}_conv0`, `b{r}_conv1`,
        `b{r}_down`, `b{r}_skip_down`, `b{r}_skip`, `b{r}_add`; at 4x4
        `b4_mbstd`, `b4_conv`, `b4_fc` and `logits`.

    Raises:
        ZooError: on a bad image shape.

    Example:
        >>> discriminator = stylegan_discriminator((32, 32, 1), default_channels(64, 1024))
        >>> logits = discriminator(images)  # (B, 1)

    Reference:
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958
        (Figure 7, Appendix B).
    """
    resolutions = _resolutions(image_shape)
    _check_resampling("stylegan_discriminator", resampling)
    images = keras.Input(image_shape, name="images")
    top = resolutions[-1]
    x = EqualizedConv2D(channels_at(top), 1, name=f"b{top}_fromrgb")(images)
    x = MaxLeakyReLU(_SLOPE, name=f"b{top}_fromrgb_lrelu")(x)
    for resolution in reversed(resolutions[1:]):
        x = _residual_block(
            x, f"b{resolution}", channels_at(resolution), channels_at(resolution // 2), resampling
        )
    logits = _discriminator_epilogue(x, channels_at(START_RESOLUTION), mbstd_group_size)
    return keras.Model(images, logits, name=name)


def _residual_block(x, prefix, width, next_width, resampling):
    """One resolution of the discriminator: two convolutions and a pooled shortcut, summed."""
    filtered = resampling == "filtered"
    skip = (FilteredDownsample2D if filtered else Downsample2D)(name=f"{prefix}_skip_down")(x)
    skip = EqualizedConv2D(
        next_width, 1, use_bias=False, gain=math.sqrt(0.5), name=f"{prefix}_skip"
    )(skip)
    x = EqualizedConv2D(width, 3, name=f"{prefix}_conv0")(x)
    x = MaxLeakyReLU(_SLOPE, name=f"{prefix}_conv0_lrelu")(x)
    # Gain 1 = sqrt(2) for leaky ReLU times the residual sum's 1 / sqrt(2).
    if filtered:
        # Padded by 2 on each side, the filter leaves H + 1; a 3x3 stride-2 conv, H / 2.
        x = Blur2D((2, 2), name=f"{prefix}_blur")(x)
        x = EqualizedConv2D(
            next_width, 3, strides=2, padding="valid", gain=1.0, name=f"{prefix}_conv1"
        )(x)
        x = MaxLeakyReLU(_SLOPE, name=f"{prefix}_conv1_lrelu")(x)
    else:
        x = EqualizedConv2D(next_width, 3, gain=1.0, name=f"{prefix}_conv1")(x)
        x = MaxLeakyReLU(_SLOPE, name=f"{prefix}_conv1_lrelu")(x)
        x = Downsample2D(name=f"{prefix}_down")(x)
    return keras.layers.Add(name=f"{prefix}_add")([x, skip])


def _check_resampling(function, resampling):
    if resampling not in RESAMPLINGS:
        raise ZooError(f"{function} needs resampling 'nearest' or 'filtered', got {resampling!r}")


def _discriminator_epilogue(x, width, mbstd_group_size):
    """The 4x4 end: minibatch stddev, a convolution, a dense layer and the logit."""
    x = MinibatchStdDev(mbstd_group_size, name="b4_mbstd")(x)
    x = EqualizedConv2D(width, 3, name="b4_conv")(x)
    x = MaxLeakyReLU(_SLOPE, name="b4_conv_lrelu")(x)
    x = keras.layers.Flatten(name="b4_flatten")(x)
    x = EqualizedDense(width, name="b4_fc")(x)
    x = MaxLeakyReLU(_SLOPE, name="b4_fc_lrelu")(x)
    return EqualizedDense(1, gain=1.0, name="logits")(x)
