"""Differentiable augmentation of what the discriminator sees (DiffAugment).

With little data the discriminator memorises the training set; augmenting
every image it sees, real and generated, in its own step and in the
generator's, keeps it from doing so without teaching the generator the
augmentations, because the same transforms apply to both sides and every one
is differentiable (Zhao et al. 2020). Three policies, applied in this order:

- `color`: brightness `x + (u - 0.5)`, saturation (each pixel's channels
  scaled about their mean by `2u`; one-channel images have none to scale, so
  it is skipped for them) and contrast (the image scaled about its mean by
  `u + 0.5`), `u ~ U[0, 1)` per sample;
- `translation`: a shift by whole pixels, each axis uniform in `[-s, s]` with
  `s = round(side / 8)`, what moves in filled with `FILL`;
- `cutout`: a square of half the side, its centre anywhere in the image
  (cut at the borders), set to `FILL`.

`FILL` is 0, the paper's value: in the zoo's [-1, 1] range that is mid-grey,
not black. For Fashion-MNIST, whose background is black (-1), the grey patch
is something no real image has; that is fine for augmentation (real and fake
images get it alike, and the discriminator cannot tell them apart by it), and
it keeps the zoo's DiffAugment the published one. Colour changes can leave
[-1, 1], as in the paper: clipping would stop the gradients of the pixels it
clips.

Every random parameter is drawn from the GAN's `TrainingNoise`, per sample
and keyed to the training step, so a resumed run augments what a straight one
would and replicas draw their shares of one global batch.

Reference:
    Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
    Training", https://arxiv.org/abs/2006.10738 (Section 3, Appendix).
"""

import tensorflow as tf

from zoo.core import ada
from zoo.core.errors import ZooError

POLICIES = ("color", "translation", "cutout")
NONE = "none"
DIFFAUGMENT = "diffaugment"
# What translation moves in and cutout leaves: 0, mid-grey in [-1, 1] (module docstring).
FILL = 0.0
TRANSLATION_RATIO = 1 / 8
CUTOUT_RATIO = 1 / 2


def brightness(images, u):
    """Adds `u - 0.5` to every pixel of each image; `u` `(B,)` in [0, 1)."""
    return images + _per_image(u - 0.5, images)


def saturation(images, u):
    """Scales each pixel's channels about their mean by `2u`; one channel is left alone."""
    if images.shape[-1] == 1:
        return images
    mean = tf.reduce_mean(images, axis=-1, keepdims=True)
    return (images - mean) * _per_image(2.0 * u, images) + mean


def contrast(images, u):
    """Scales each image about its mean by `u + 0.5`."""
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * _per_image(u + 0.5, images) + mean


def translation(images, shifts):
    """Shifts each image by whole pixels, `shifts` `(B, 2)` int (rows, columns), filling with
    `FILL` what moves in."""
    height, width = images.shape[1], images.shape[2]
    rows = tf.range(height)[None, :] - shifts[:, 0:1]  # (B, H): the source row of each row
    cols = tf.range(width)[None, :] - shifts[:, 1:2]  # (B, W)
    inside = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[
        :, None, :
    ]  # (B, H, W)
    gathered = tf.gather(images, tf.clip_by_value(rows, 0, height - 1), axis=1, batch_dims=1)
    gathered = tf.gather(gathered, tf.clip_by_value(cols, 0, width - 1), axis=2, batch_dims=1)
    return tf.where(inside[..., None], gathered, tf.cast(FILL, images.dtype))


def cutout(images, centres):
    """Sets a square of half the side around each of `centres` `(B, 2)` int to `FILL`."""
    height, width = images.shape[1], images.shape[2]
    half_h = int(height * CUTOUT_RATIO + 0.5) // 2
    half_w = int(width * CUTOUT_RATIO + 0.5) // 2
    rows = tf.range(height)[None, :] - centres[:, 0:1]  # (B, H)
    cols = tf.range(width)[None, :] - centres[:, 1:2]
    box = ((rows >= -half_h) & (rows < half_h))[:, :, None] & ((cols >= -half_w) & (cols < half_w))[
        :, None, :
    ]  # (B, H, W)
    return tf.where(box[..., None], tf.cast(FILL, images.dtype), images)


def _per_image(values, images):
    return tf.reshape(tf.cast(values, images.dtype), [-1, 1, 1, 1])


class DiffAugment:
    """The policies of `policies`, in `POLICIES`' order, with parameters from `noise`.

    Args:
        policies: a subset of `POLICIES`. Defaults to all three.

    Raises:
        ZooError: an unknown or empty policy list.

    Example:
        >>> augment = DiffAugment(("translation", "cutout"))
        >>> seen = augment(images, gan.noise)  # (B, H, W, C), differentiable
    """

    def __init__(self, policies=POLICIES):
        policies = tuple(policies)
        unknown = [p for p in policies if p not in POLICIES]
        if unknown or not policies:
            raise ZooError(
                f"DiffAugment takes policies among {', '.join(POLICIES)}, got "
                f"{','.join(policies) or 'none'}"
            )
        self.policies = tuple(p for p in POLICIES if p in policies)

    def __call__(self, images, noise):
        batch = tf.shape(images)[0]
        height, width = images.shape[1], images.shape[2]
        if "color" in self.policies:
            for transform in (brightness, saturation, contrast):
                images = transform(images, noise.uniform((batch,)))
        if "translation" in self.policies:
            reach = int(height * TRANSLATION_RATIO + 0.5), int(width * TRANSLATION_RATIO + 0.5)
            shifts = tf.stack(
                [noise.integers((batch,), 2 * reach[0] + 1) - reach[0],
                 noise.integers((batch,), 2 * reach[1] + 1) - reach[1]], axis=1,
            )  # fmt: skip
            images = translation(images, shifts)
        if "cutout" in self.policies:
            centres = tf.stack(
                [noise.integers((batch,), height), noise.integers((batch,), width)], axis=1
            )
            images = cutout(images, centres)
        return images

    @property
    def spec(self):
        """The `--augment` value that makes this pipeline."""
        return f"{DIFFAUGMENT}:{','.join(self.policies)}"

    # DiffAugment has no state and learns nothing from the discriminator (the
    # interface `zoo.core.ada.AdaptiveAugment` fills).
    state = {}

    def observe(self, real_logits):
        """Nothing to adapt; nothing to log."""
        return {}


def from_spec(spec):
    """`--augment`'s value as a pipeline: `none` -> `None`, `diffaugment` (all policies)
    or `diffaugment:color,translation` -> `DiffAugment`, `ada` or `ada:target=0.6` ->
    `zoo.core.ada.AdaptiveAugment`.

    Raises:
        ZooError: anything else, in one line.
    """
    if spec in (None, NONE):
        return None
    name, _, policies = str(spec).partition(":")
    if name == ada.ADA:
        return ada.from_spec(spec)
    if name != DIFFAUGMENT:
        raise ZooError(
            f"augment must be {NONE}, {DIFFAUGMENT}, {DIFFAUGMENT}:POLICY,... (policies: "
            f"{', '.join(POLICIES)}) or {ada.ADA}, got {spec!r}"
        )
    return DiffAugment(policies.split(",") if policies else POLICIES)
