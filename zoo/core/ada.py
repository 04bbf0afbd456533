"""Adaptive discriminator augmentation (ADA): StyleGAN2-ADA's `bgc` pipeline.

Every image the discriminator sees in training goes through twelve
transforms, each applied to each sample with probability `p` (the sample
keeps the identity otherwise):

- geometric, all in one bilinear resampling with the image reflected beyond
  its borders: x-flip, rotation by a multiple of 90 degrees, translation by
  whole pixels (up to 1/8 of the side), isotropic scaling (`2^N(0, 0.2^2)`),
  rotation by any angle (split in a rotation before and one after the
  anisotropic scaling, each with probability `1 - sqrt(1 - p)`, so one of
  them happens with probability `p`), anisotropic scaling (`2^N(0, 0.2^2)`
  on x, its inverse on y), fractional translation (`N(0, (side/8)^2)`);
- colour, as one affine map of each pixel: brightness (`+N(0, 0.2^2)`),
  contrast (`x 2^N(0, 0.5^2)`, about 0, mid-grey in [-1, 1]), luma flip
  (luma negated, chroma kept), hue rotation (any angle about the grey axis)
  and saturation (chroma `x 2^N(0, 1)`). One-channel images have no chroma:
  for them hue and saturation are skipped and the luma flip negates the
  image.

`p` adapts (`observe`): every `interval` steps it moves by `images / speed`
towards more augmentation when the discriminator is overconfident on reals,
`r_t = E[sign(D(real))] > target`, and towards less when it is not; a run
that overfits from the start reaches `p = 1` after `speed` images. `p`
stays in [0, 1]. `p` and the heuristic's running sums are variables that
checkpoints hold, so a resumed run goes on with the `p` it had.

Differences from NVIDIA's pipeline, for CPU budgets at 32x32: the resampling
is bilinear at the image's own resolution (NVIDIA's upsamples 2x with a
wavelet filter first, which halves aliasing for four times the pixels), and
the reflection is computed per sampled index instead of by padding.

Every random draw comes from the GAN's `TrainingNoise`, per sample and keyed
to the step, as DiffAugment's do.

Reference:
    Karras et al. 2020, "Training Generative Adversarial Networks with Limited
    Data", https://arxiv.org/abs/2006.06676 (Section 2.3, Appendix B, C.2).
"""

import math

import keras
import tensorflow as tf

from zoo.core import distribute
from zoo.core.errors import ZooError

ADA = "ada"
TARGET = 0.6  # Section 3: r_t = 0.6 worked across datasets.
INTERVAL = 4  # steps between adjustments of p
SPEED_IMAGES = 500_000  # images for p to go from 0 to 1

SCALE_STD = 0.2  # log2 units, isotropic and anisotropic scaling alike
TRANSLATION_MAX = 1 / 8  # of the side, the integer translation
TRANSLATION_STD = 1 / 8  # of the side, the fractional translation
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5  # log2 units
SATURATION_STD = 1.0  # log2 units

# Gates drawn per sample, one column each.
_GATES = ("xflip", "rotate90", "xint", "scale", "pre_rotate", "aniso", "post_rotate", "xfrac",
          "brightness", "contrast", "lumaflip", "hue", "saturation")  # fmt: skip
_UNIFORMS = ("xflip", "rotate90", "xint_x", "xint_y", "pre_rotate", "post_rotate", "lumaflip",
             "hue")  # fmt: skip
_NORMALS = ("scale", "aniso", "xfrac_x", "xfrac_y", "brightness", "contrast", "saturation")


class AdaptiveAugment:
    """The `bgc` pipeline at probability `p`, which `observe` adapts.

    Create it inside the strategy's scope (the GAN's `compile` does), so `p`
    is mirrored like the model's variables.

    Args:
        target: the value of `r_t` that `p` steers towards. Defaults to 0.6.
        interval: steps between adjustments. Defaults to 4.
        speed: images for `p` to go from 0 to 1. Defaults to 500,000.
        p: the starting probability. Defaults to 0.

    Example:
        >>> augment = AdaptiveAugment()
        >>> seen = augment(images, gan.noise)  # (B, H, W, C), differentiable
        >>> augment.observe(real_logits)  # every step: {"augment_p": p}
    """

    def __init__(self, target=TARGET, interval=INTERVAL, speed=SPEED_IMAGES, p=0.0):
        if not 0.0 <= target <= 1.0:
            raise ZooError(f"ADA's target must be in [0, 1], got {target}")
        self.target = float(target)
        self.interval = int(interval)
        self.speed = float(speed)
        self.p = keras.Variable(float(p), dtype="float32", trainable=False, name="augment_p")
        # E[sign(D(real))]'s running sums since the last adjustment.
        self.sign_sum = keras.Variable(0.0, dtype="float32", trainable=False, name="sign_sum")
        self.sign_count = keras.Variable(0.0, dtype="float32", trainable=False, name="sign_count")
        self.steps = keras.Variable(0, dtype="int32", trainable=False, name="steps_since_adjusting")

    @property
    def spec(self):
        """The `--augment` value that makes this pipeline."""
        options = [f"{name}={value:g}" for name, value, default in (
            ("target", self.target, TARGET), ("speed", self.speed, SPEED_IMAGES),
        ) if value != default]  # fmt: skip
        return ADA + (":" + ",".join(options) if options else "")

    @property
    def state(self):
        """The variables a checkpoint holds (exact resume)."""
        return {"p": self.p, "sign_sum": self.sign_sum, "sign_count": self.sign_count,
                "steps": self.steps}  # fmt: skip

    def __call__(self, images, noise):
        channels = images.shape[-1]
        if channels not in (1, 3):
            raise ZooError(f"ADA augments 1- or 3-channel images, got {channels} channels")
        batch = tf.shape(images)[0]
        p = tf.cast(self.p, tf.float32)
        gates = _gates(noise.uniform((batch, len(_GATES))), p)
        uniforms = dict(zip(_UNIFORMS, tf.unstack(noise.uniform((batch, len(_UNIFORMS))), axis=1),
                            strict=True))  # fmt: skip
        normals = dict(zip(_NORMALS, tf.unstack(noise.normal((batch, len(_NORMALS))), axis=1),
                           strict=True))  # fmt: skip
        dtype = images.dtype
        images = tf.cast(images, tf.float32)
        height, width = images.shape[1], images.shape[2]
        matrix = geometric_matrix(gates, uniforms, normals, height, width)
        images = resample(images, matrix)
        images = colour(images, gates, uniforms, normals)
        return tf.cast(images, dtype)

    def observe(self, real_logits):
        """Adds a step's logits on real images to `r_t`'s sums and, every `interval`
        steps, moves `p`; returns the values to log (`augment_p`, `augment_rt`)."""
        signs = tf.sign(tf.cast(tf.reshape(real_logits, [-1]), tf.float32))
        count = tf.cast(tf.size(signs), tf.float32)
        # The heuristic is over the global batch: replica means times the replicas.
        mean_sign, count = distribute.replica_mean([tf.reduce_mean(signs), count])
        count = count * distribute.num_replicas()
        sign_sum = self.sign_sum + mean_sign * count
        sign_count = self.sign_count + count
        steps = self.steps + 1
        due = steps >= self.interval
        rt = sign_sum / sign_count
        moved = tf.clip_by_value(
            self.p + tf.sign(rt - self.target) * sign_count / self.speed, 0.0, 1.0
        )
        distribute.assign_state([
            (self.p, tf.where(due, moved, self.p)),
            (self.sign_sum, tf.where(due, 0.0, sign_sum)),
            (self.sign_count, tf.where(due, 0.0, sign_count)),
            (self.steps, tf.where(due, 0, steps)),
        ])  # fmt: skip
        return {"augment_p": tf.convert_to_tensor(self.p), "augment_rt": rt}


def _gates(draws, p):
    """`{transform: (B,) bool}`: which samples get each transform. The two free
    rotations share the probability `p` between them (module docstring)."""
    rotation_p = 1.0 - tf.sqrt(tf.clip_by_value(1.0 - p, 0.0, 1.0))
    thresholds = [rotation_p if name.endswith("_rotate") else p for name in _GATES]
    chosen = draws < tf.stack(thresholds)[None, :]
    return dict(zip(_GATES, tf.unstack(chosen, axis=1), strict=True))


def _gated(gate, value, identity):
    return tf.where(gate, value, tf.cast(identity, value.dtype))


def geometric_matrix(gates, uniforms, normals, height, width):
    """`(B, 3, 3)`: for each output pixel (centred coordinates in pixels, x right,
    y down) the input point it samples. Each transform of `gates` multiplies the
    matrix on the right, the order of the module docstring."""
    pi = math.pi
    flip = 1.0 - 2.0 * _gated(gates["xflip"], tf.floor(uniforms["xflip"] * 2.0), 0.0)
    quarters = tf.cast(
        _gated(gates["rotate90"], tf.floor(uniforms["rotate90"] * 4.0), 0.0), tf.int32
    )
    shift_x = tf.round((uniforms["xint_x"] * 2 - 1) * TRANSLATION_MAX * width)
    shift_y = tf.round((uniforms["xint_y"] * 2 - 1) * TRANSLATION_MAX * height)
    scale = _gated(gates["scale"], _exp2(normals["scale"] * SCALE_STD), 1.0)
    pre_angle = _gated(gates["pre_rotate"], (uniforms["pre_rotate"] * 2 - 1) * pi, 0.0)
    aniso = _gated(gates["aniso"], _exp2(normals["aniso"] * SCALE_STD), 1.0)
    post_angle = _gated(gates["post_rotate"], (uniforms["post_rotate"] * 2 - 1) * pi, 0.0)
    frac_x = _gated(gates["xfrac"], normals["xfrac_x"] * TRANSLATION_STD * width, 0.0)
    frac_y = _gated(gates["xfrac"], normals["xfrac_y"] * TRANSLATION_STD * height, 0.0)
    ones = tf.ones_like(flip)
    matrices = [
        _scaling(flip, ones),
        _quarter_turns(quarters),
        _translation(_gated(gates["xint"], shift_x, 0.0), _gated(gates["xint"], shift_y, 0.0)),
        _scaling(scale, scale),
        _rotation(pre_angle),
        _scaling(aniso, 1.0 / aniso),
        _rotation(post_angle),
        _translation(frac_x, frac_y),
    ]
    result = matrices[0]
    for matrix in matrices[1:]:
        result = result @ matrix
    return result


def _rows(*rows):
    return tf.stack([tf.stack(row, axis=-1) for row in rows], axis=-2)  # (B, 3, 3)


def _scaling(sx, sy):
    zeros, ones = tf.zeros_like(sx), tf.ones_like(sx)
    sy = sy * ones
    return _rows([sx, zeros, zeros], [zeros, sy, zeros], [zeros, zeros, ones])


def _rotation(angle):
    cos, sin, zeros, ones = tf.cos(angle), tf.sin(angle), tf.zeros_like(angle), tf.ones_like(angle)
    return _rows([cos, -sin, zeros], [sin, cos, zeros], [zeros, zeros, ones])


def _quarter_turns(quarters):
    """Rotations by `quarters` `(B,)` int x 90 degrees, with exact zeros and ones."""
    cos = tf.gather([1.0, 0.0, -1.0, 0.0], quarters)
    sin = tf.gather([0.0, 1.0, 0.0, -1.0], quarters)
    zeros, ones = tf.zeros_like(cos), tf.ones_like(cos)
    return _rows([cos, -sin, zeros], [sin, cos, zeros], [zeros, zeros, ones])


def _exp2(x):
    return tf.pow(2.0, x)


def _translation(tx, ty):
    zeros, ones = tf.zeros_like(tx), tf.ones_like(tx)
    return _rows([ones, zeros, tx], [zeros, ones, ty], [zeros, zeros, ones])


def resample(images, matrix):
    """Bilinear sampling of `images` `(B, H, W, C)` at the points `matrix` `(B, 3, 3)`
    maps each output pixel's centre to, the image reflected beyond its borders."""
    height, width = images.shape[1], images.shape[2]
    ys, xs = tf.meshgrid(
        tf.range(height, dtype=tf.float32) + 0.5 - height / 2,
        tf.range(width, dtype=tf.float32) + 0.5 - width / 2,
        indexing="ij",
    )
    grid = tf.stack([tf.reshape(xs, [-1]), tf.reshape(ys, [-1]), tf.ones([height * width])])
    points = matrix @ grid[None]  # (B, 3, H*W): where each output pixel reads
    # Back to pixel indices, whose centres sit at i + 0.5.
    x = points[:, 0] + width / 2 - 0.5
    y = points[:, 1] + height / 2 - 0.5
    x0, y0 = tf.floor(x), tf.floor(y)
    wx, wy = (x - x0)[..., None], (y - y0)[..., None]  # (B, H*W, 1)

    pixels = tf.reshape(images, [tf.shape(images)[0], height * width, images.shape[-1]])

    def read(row, col):
        return tf.gather(pixels, _reflect(row, height) * width + _reflect(col, width), batch_dims=1)

    top = read(y0, x0) * (1 - wx) + read(y0, x0 + 1) * wx
    bottom = read(y0 + 1, x0) * (1 - wx) + read(y0 + 1, x0 + 1) * wx
    mixed = top * (1 - wy) + bottom * wy  # (B, H*W, C)
    return tf.reshape(mixed, tf.shape(images))


def _reflect(index, size):
    """Indices reflected into [0, size): ... 1 0 | 0 1 ... size-1 | size-1 ... (the
    image mirrored about its borders, edge pixels repeated, as a symmetric pad)."""
    period = 2 * size
    folded = tf.math.floormod(tf.cast(index, tf.int32), period)
    return tf.where(folded < size, folded, period - 1 - folded)


def colour(images, gates, uniforms, normals):
    """Brightness, contrast, luma flip, hue and saturation (module docstring) as one
    affine map per sample; hue and saturation only for three channels."""
    batch_ones = tf.ones_like(normals["brightness"])
    brightness = _gated(gates["brightness"], normals["brightness"] * BRIGHTNESS_STD, 0.0)
    contrast = _gated(gates["contrast"], _exp2(normals["contrast"] * CONTRAST_STD), 1.0)
    flipped = _gated(gates["lumaflip"], tf.floor(uniforms["lumaflip"] * 2.0), 0.0)
    if images.shape[-1] == 1:
        # x -> +-c (x + b): the luma flip of a grey image is its negative.
        gain = contrast * (1.0 - 2.0 * flipped)
        return (images + brightness[:, None, None, None]) * gain[:, None, None, None]
    luma = tf.constant([1.0, 1.0, 1.0]) / math.sqrt(3.0)
    along = tf.tensordot(luma, luma, axes=0)  # (3, 3): projection on the grey axis
    across = tf.eye(3) - along
    hue = _gated(gates["hue"], (uniforms["hue"] * 2 - 1) * math.pi, 0.0)
    saturation = _gated(gates["saturation"], _exp2(normals["saturation"] * SATURATION_STD), 1.0)
    matrix = contrast[:, None, None] * tf.eye(3)[None] * batch_ones[:, None, None]
    matrix = (tf.eye(3) - 2.0 * flipped[:, None, None] * along) @ matrix
    matrix = _rotation_about_grey(hue, along) @ matrix
    matrix = (along + saturation[:, None, None] * across) @ matrix
    offset = matrix @ (brightness[:, None, None] * tf.ones([1, 3, 1]))  # (B, 3, 1)
    return tf.einsum("bij,bhwj->bhwi", matrix, images) + tf.reshape(offset, [-1, 1, 1, 3])


def _rotation_about_grey(angle, along):
    """`(B, 3, 3)`: Rodrigues' rotation by `angle` about the grey axis."""
    a = 1.0 / math.sqrt(3.0)
    cross = tf.constant([[0.0, -a, a], [a, 0.0, -a], [-a, a, 0.0]])  # (axis x) as a matrix
    cos, sin = tf.cos(angle)[:, None, None], tf.sin(angle)[:, None, None]
    return cos * tf.eye(3) + sin * cross + (1.0 - cos) * along


def from_spec(spec):
    """`ada`, or `ada:target=T,speed=N` (either option alone), as an `AdaptiveAugment`.

    Raises:
        ZooError: anything else, in one line.
    """
    name, _, options = str(spec).partition(":")
    values = {"target": TARGET, "speed": SPEED_IMAGES}
    usage = f"ADA's augment spec is {ADA} or {ADA}:target=T,speed=IMAGES, got {spec!r}"
    if name != ADA:
        raise ZooError(usage)
    for option in filter(None, options.split(",")):
        key, _, value = option.partition("=")
        if key not in values:
            raise ZooError(usage)
        try:
            values[key] = float(value)
        except ValueError:
            raise ZooError(f"ADA's {key} must be a number, got {value!r}") from None
    if values["speed"] <= 0:
        raise ZooError(f"ADA's speed must be a positive number of images, got {values['speed']:g}")
    return AdaptiveAugment(**values)
