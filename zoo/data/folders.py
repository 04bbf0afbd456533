"""A user's folder of PNG/JPEG images as a dataset: checked once, split, labelled by subfolder."""

import hashlib
import json
import pathlib

import tensorflow as tf

from zoo.core import cache
from zoo.core.errors import ZooError
from zoo.core.files import write_text_atomically

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


# An image folder holds out 1 file in this many as its `test` split.
FOLDER_TEST_EVERY = 10


# Bump when `check_image` grows stricter: folders checked before are checked again.
IMAGE_CHECK_VERSION = 1


def list_image_files(folder):
    """Sorted image files under `folder`, each checked to decode.

    Only files not seen before, or changed since (size or modification time),
    are decoded (`check_image`): the files that passed are remembered in the
    zoo's cache (`image_check_cache_path`), so later starts cost one `stat`
    per file.

    Args:
        folder: a folder, searched recursively for `.png`/`.jpg`/`.jpeg`.

    Returns:
        list of str paths, sorted.

    Raises:
        ZooError: no such folder, no images, or a file that does not decode.
    """
    root = pathlib.Path(folder)
    if not root.is_dir():
        raise ZooError(f"image folder {folder} does not exist; pass folder:<path to a directory>")
    files = sorted(
        p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
    )
    if not files:
        raise ZooError(f"no .png/.jpg/.jpeg images in {folder}")
    _check_folder(root, files)
    return [str(p) for p in files]


def check_image(path):
    """Decodes an image file fully, as the pipeline will, or raises.

    `PIL.Image.verify` reads headers only and passes a truncated JPEG. Pillow
    decodes first because it fails quietly, where libjpeg under TensorFlow
    logs a line; TensorFlow's decoder has the last word because it is the one
    that trains (it refuses a PNG without its end chunk, which Pillow loads).

    Args:
        path: an image file.

    Raises:
        ZooError: one line naming the file.
    """
    from PIL import Image  # Only folders need Pillow.

    try:
        with Image.open(path) as image:
            image.load()
        tf.io.decode_image(tf.io.read_file(str(path)), expand_animations=False)
    except Exception as e:  # Pillow and TensorFlow raise many types for bad files.
        raise ZooError(
            f"cannot decode image {path} ({type(e).__name__}); remove or replace it"
        ) from None


def image_check_cache_path(folder):
    """The cache file of the decode checks of `folder`, keyed by its resolved path."""
    resolved = str(pathlib.Path(folder).resolve())
    digest = hashlib.sha1(resolved.encode()).hexdigest()[:16]
    return cache.cache_dir() / "image_checks" / f"{digest}.json"


def _check_folder(root, files):
    """Decodes the files the folder's cache does not vouch for, then updates it."""
    cache_path = image_check_cache_path(root)
    known = _read_image_checks(cache_path, root)
    signatures = {}
    for path in files:
        stat = path.stat()
        signatures[path.relative_to(root).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    passed = {name: sig for name, sig in signatures.items() if known.get(name) == sig}
    try:
        for path in files:
            name = path.relative_to(root).as_posix()
            if name not in passed:
                check_image(path)
                passed[name] = signatures[name]
    finally:
        # Also after a bad file: once it is replaced, only it is decoded again.
        if passed != known:
            _write_image_checks(cache_path, root, passed)


def _read_image_checks(cache_path, root):
    """`{relative path: [size, mtime_ns]}` from the cache; `{}` if unusable."""
    try:
        stored = json.loads(cache_path.read_text())
        if stored["version"] != IMAGE_CHECK_VERSION or stored["folder"] != str(root.resolve()):
            return {}
        return {
            str(name): [int(size), int(mtime_ns)]
            for name, (size, mtime_ns) in stored["files"].items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        # Missing, half-written by an older zoo, or edited by hand: check again.
        return {}


def _write_image_checks(cache_path, root, checked):
    stored = {"version": IMAGE_CHECK_VERSION, "folder": str(root.resolve()), "files": checked}
    try:
        write_text_atomically(cache_path, json.dumps(stored, sort_keys=True))
    except OSError:
        # A read-only cache costs the next start a full check, not this run.
        pass


def split_image_files(folder, files, split):
    """The files of a split: 1 in 10 held out as `test`, by a hash of the path.

    Each file's rank is the sha1 of its path relative to `folder`, so the
    split is the same on every machine and call, whatever order the files
    were listed in or the folder is reached by. The first `len(files) // 10`
    ranks are `test`, the rest `train`; adding images can move a few old
    ones across the boundary.

    Args:
        folder: the folder the files were found under.
        files: the image files (str paths).
        split: `"train"` or `"test"`.

    Returns:
        list of str paths of the split, sorted.

    Raises:
        ZooError: another split name, or `"test"` with fewer than 10 files.
    """
    _check_folder_split(split)
    root = pathlib.Path(folder)

    def rank(path):
        relative = pathlib.Path(path).relative_to(root).as_posix()
        return hashlib.sha1(relative.encode()).hexdigest(), relative

    num_test = len(files) // FOLDER_TEST_EVERY
    if split == "test" and num_test == 0:
        raise ZooError(
            f"image folder {folder} has {len(files)} images, too few for a test split "
            f"(1 in {FOLDER_TEST_EVERY} is held out); add images, or score without the "
            "real-data floor (evaluate.py --noreal_floor)"
        )
    ranked = sorted(files, key=rank)
    chosen = ranked[:num_test] if split == "test" else ranked[num_test:]
    return sorted(chosen)


def _check_folder_split(split):
    if split not in ("train", "test"):
        raise ZooError(f"image folders have splits 'train' and 'test', not {split!r}")


def center_crop_resize(images, size):
    """Resizes the shorter side to `size`, then crops the center square."""
    shape = tf.shape(images)
    height, width = shape[0], shape[1]
    scale = size / tf.cast(tf.minimum(height, width), tf.float32)
    new_size = tf.cast(
        tf.math.ceil(tf.cast(tf.stack([height, width]), tf.float32) * scale), tf.int32
    )
    images = tf.image.resize(images, tf.maximum(new_size, size), antialias=True)
    images = tf.image.resize_with_crop_or_pad(images, size, size)
    return tf.cast(tf.clip_by_value(tf.round(images), 0, 255), tf.uint8)


def folder_classes(folder, files):
    """The class names of an image folder: its subfolders, if they hold every image.

    A folder whose images all lie under two or more top-level subfolders is
    labelled, one class per subfolder (sorted by name, as
    `keras.utils.image_dataset_from_directory` does); images deeper down
    belong to their top-level subfolder. A folder with images at its top
    level, or with one subfolder only (`celeba/img_align_celeba/`), is
    unlabelled.

    Args:
        folder: the folder the files were found under.
        files: its image files (`list_image_files`).

    Returns:
        tuple of class names; `()` when the folder is unlabelled.
    """
    root = pathlib.Path(folder)
    tops = {pathlib.Path(path).relative_to(root).parts[0] for path in files}
    if any(len(pathlib.Path(path).relative_to(root).parts) == 1 for path in files):
        return ()
    return tuple(sorted(tops)) if len(tops) >= 2 else ()


def folder_examples(folder, split, size, channels):
    """Unbatched `(uint8 image, int32 label)` examples, their count and class names."""
    # A bad split name fails before any file is read.
    _check_folder_split(split)
    all_files = list_image_files(folder)
    classes = folder_classes(folder, all_files)
    files = split_image_files(folder, all_files, split)
    root = pathlib.Path(folder)
    class_ids = {name: index for index, name in enumerate(classes)}
    labels = [
        class_ids[pathlib.Path(path).relative_to(root).parts[0]] if classes else 0 for path in files
    ]

    def decode(path, label):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=channels, expand_animations=False
        )
        return center_crop_resize(image, size), label

    dataset = tf.data.Dataset.from_tensor_slices((files, tf.constant(labels, tf.int32))).map(
        decode, num_parallel_calls=tf.data.AUTOTUNE
    )
    return dataset, len(files), classes
