"""Projection's files: target images in, latents out (`zoo.drawing.projection`).

`read_image_file`, `fit_target` and `split_targets` give targets; `save_latent`
and `load_latent` are the one format of a saved projection: a `.npy` latent and a
`.json` beside it that says what it is.
"""

import collections
import json
import os
import pathlib
import tempfile

import numpy as np
import tensorflow as tf

from zoo import data
from zoo.core import files
from zoo.core.errors import ZooError
from zoo.data.folders import center_crop_resize

# ITU-R 601-2 luma, Pillow's "L": RGB targets of a grayscale model.
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# Pillow modes of one-channel images.
_GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")

SavedLatent = collections.namedtuple("SavedLatent", ["latent", "label", "space"])
SavedLatent.__doc__ = (
    """A latent read by `load_latent`; `label` and `space` are `None` where unknown."""
)


def read_image_file(path):
    """Decodes an image file (PNG, JPEG, whatever Pillow reads) to uint8 `(H, W, C)`.

    `C` is 1 for grayscale files and 3 for the others (alpha dropped), so a
    file can be read before the model that decides its channels is loaded.

    Raises:
        ZooError: a missing or undecodable file, in one line naming it.
    """
    from PIL import Image  # Only image files need Pillow.

    path = pathlib.Path(path)
    if not path.is_file():
        raise ZooError(f"no target image {path}; pass PNG or JPEG files")
    try:
        with Image.open(path) as image:
            image = image.convert("L" if image.mode in _GRAY_MODES else "RGB")
            pixels = np.asarray(image, np.uint8)
    except Exception as e:  # Pillow raises many types for a bad file.
        raise ZooError(
            f"cannot read target image {path} ({type(e).__name__}); pass PNG or JPEG files"
        ) from None
    return pixels[..., None] if pixels.ndim == 2 else pixels


def fit_target(pixels, image_shape):
    """A decoded image as a projection target for images of `image_shape`.

    Brought to the model's channels (gray copied to RGB, RGB to luma),
    center-cropped to a square and resized to the model's side, as a
    `folder:` dataset brings its images to a model.

    Args:
        pixels: uint8 `(H, W, C)`, `C` 1 or 3 (`read_image_file`).
        image_shape: the model's `(side, side, channels)`.

    Returns:
        float32 numpy `image_shape` in [-1, 1].

    Raises:
        ZooError: a model whose images are not square, or not 1 or 3 channels.
    """
    height, width, channels = image_shape
    if height != width or channels not in (1, 3):
        raise ZooError(
            f"image targets are for models of square 1- or 3-channel images, not {image_shape}"
        )
    pixels = np.asarray(pixels, np.uint8)
    if pixels.shape[-1] != channels:
        if channels == 3:
            pixels = np.repeat(pixels, 3, axis=-1)
        else:
            pixels = np.round(pixels.astype(np.float32) @ LUMA)[..., None].astype(np.uint8)
    return data.to_model_range(center_crop_resize(tf.constant(pixels), height)).numpy()


def split_targets(dataset, split, count, image_shape, data_dir=None):
    """The first `count` images of a dataset's split as targets, with their labels.

    Args:
        dataset: a dataset spec (`zoo.data`), e.g. `"fashion_mnist"`.
        split: `"train"` or `"test"`.
        count: how many images.
        image_shape: the model's `(side, side, channels)`.
        data_dir: the dataset's folder; `None` for its default.

    Returns:
        `(images, labels)`: float32 `(count, *image_shape)` in [-1, 1] and int32 `(count,)`.

    Raises:
        ZooError: a dataset that cannot be loaded at the model's shape, or a
            split with fewer than `count` images.
    """
    batches, info = data.load_dataset(
        dataset, batch_size=count, split=split, image_size=image_shape[0], shuffle=False,
        repeat=False, data_dir=data_dir, channels=image_shape[-1],
    )  # fmt: skip
    if tuple(info.sample_shape) != tuple(image_shape):
        raise ZooError(
            f"{dataset}'s images are {tuple(info.sample_shape)}; the model makes "
            f"{tuple(image_shape)}"
        )
    for images, labels in batches.take(1):
        return images.numpy(), labels.numpy().astype(np.int32)
    raise ZooError(f"{dataset}'s {split} split holds {info.size} images, fewer than {count}")


def save_latent(path, projection, **record):
    """Writes a projection's latent: `path` (`.npy`, float32) and `<path stem>.json` beside it.

    The JSON says what the array is (`space`: `"z"`, `"w"` or `"w+"`, and the
    `label` to draw it with, `null` for unconditional models), the
    distances, and `record` (the target, the model, the settings).

    Raises:
        ZooError: a path that cannot be written, in one line.
    """
    path = pathlib.Path(path)
    about = {
        "space": projection.space, "label": projection.label,
        "shape": list(projection.latent.shape), "pixel_distance": projection.pixel_distance,
        "perceptual_distance": projection.perceptual_distance, **record,
    }  # fmt: skip
    try:
        _save_array_atomically(path, np.asarray(projection.latent, np.float32))
        files.write_json_atomically(path.with_suffix(".json"), about, indent=2)
    except OSError as e:
        raise ZooError(
            f"cannot write {path} ({e.strerror or e}); pass a folder you can write to"
        ) from None


def _save_array_atomically(path, array):
    """`np.save` through a temporary beside `path`: readers see the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            np.save(f, array)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def load_latent(path):
    """A latent that `save_latent` wrote (or any `.npy` latent): a `SavedLatent`.

    Its label and space come from the JSON beside it; without one they are `None`.

    Raises:
        ZooError: a missing or unreadable file, in one line.
    """
    path = pathlib.Path(path)
    hint = "pass a projNN_latent.npy that project.py wrote"
    if not path.is_file():
        raise ZooError(f"no latent file {path}; {hint}")
    try:
        latent = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ZooError(f"cannot read latent {path} ({type(e).__name__}); {hint}") from None
    about = path.with_suffix(".json")
    record = {}
    if about.is_file():
        try:
            record = json.loads(about.read_text())
        except (OSError, ValueError) as e:
            raise ZooError(f"cannot read {about} ({type(e).__name__}); {hint}") from None
    return SavedLatent(np.asarray(latent, np.float32), record.get("label"), record.get("space"))
