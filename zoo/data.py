"""Every tf.data pipeline of the zoo, and the one [-1, 1] scaling.

A dataset is named by a spec string:

- `fashion_mnist`: the IDX files of Fashion-MNIST (Xiao et al. 2017) from a
  local folder (Debian's `dataset-fashion-mnist` puts them in
  `/usr/share/datasets/fashion-mnist/`; `$GAN_ZOO_FASHION_MNIST_DIR` or
  `data_dir=` point elsewhere). Splits `train` (60k) and `test` (10k).
- `tfds:<name>`: any TensorFlow Datasets image dataset already prepared on
  disk (`tfds build <name>` with a network); its own splits.
- `folder:<path>`: a folder (searched recursively) of PNG/JPEG images, each
  decoded once to check it (remembered in the zoo's cache); 1 in 10 files,
  chosen by a hash of its path, is held out as split `test`, the rest is
  `train`. A folder with one subfolder per class is labelled by them
  (`folder_classes`).
- `ring8`, `grid25`: 2-D mixtures of Gaussians for mode-collapse studies.

`load_dataset` returns batches of `(samples, labels)`: float32 samples in
[-1, 1] (images `(B, H, W, C)`, points `(B, 2)`) and int32 labels (class, or the
mixture component for points; 0 where a dataset has none).
"""

import dataclasses
import gzip
import hashlib
import json
import math
import os
import pathlib

import numpy as np
import tensorflow as tf

from zoo import cache
from zoo.errors import ZooError

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_ENV = "GAN_ZOO_FASHION_MNIST_DIR"
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
# An image folder holds out 1 file in this many as its `test` split.
FOLDER_TEST_EVERY = 10
# Bump when `check_image` grows stricter: folders checked before are checked again.
IMAGE_CHECK_VERSION = 1
# Image side used for `folder:` and `tfds:` datasets when none is asked for.
DEFAULT_IMAGE_SIZE = 64
SHUFFLE_BUFFER = 10_000


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a model needs to know about a dataset before seeing it.

    Attributes:
        name: the spec string.
        sample_shape: shape of one sample: `(H, W, C)` or `(2,)`.
        num_classes: number of labels, `0` when the dataset has none.
        size: number of examples of the split; `None` for infinite streams.
        class_names: the name of each label, when known (Fashion-MNIST's
            garments, a folder's subfolders, a TFDS label feature's names).
    """

    name: str
    sample_shape: tuple
    num_classes: int
    size: int | None
    class_names: tuple = ()


def to_model_range(images):
    """uint8 [0, 255] -> float32 [-1, 1]: the one scaling of the zoo."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def downsample(images, factor):
    """Average-pools `(B, H, W, C)` images by an integer `factor` (ProGAN's low resolutions)."""
    if factor == 1:
        return images
    return tf.nn.avg_pool2d(images, factor, factor, "VALID")


def to_uint8(images):
    """float [-1, 1] -> uint8 [0, 255], clipping: the inverse of `to_model_range`."""
    images = tf.clip_by_value((tf.convert_to_tensor(images, tf.float32) + 1.0) * 127.5, 0, 255)
    return tf.cast(tf.round(images), tf.uint8)


# --------------------------------------------------------------- mixtures


def mixture_means(name):
    """The component means of `ring8` or `grid25`, float32 `(K, 2)`.

    ring8 has 8 distinct means on the unit circle at angles 2*pi*k/8, k < 8
    (no repeated endpoint); grid25 the 25 points of {-4, -2, 0, 2, 4}^2.
    """
    if name == "ring8":
        angles = 2.0 * np.pi * np.arange(8) / 8
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    if name == "grid25":
        axis = np.arange(-4.0, 5.0, 2.0)
        return np.array([(x, y) for x in axis for y in axis], dtype=np.float32)
    raise ZooError(f"unknown mixture {name!r}; valid: ring8, grid25")


# Standard deviation of each component (VEEGAN / PacGAN setting).
MIXTURE_STDDEV = {"ring8": 0.01, "grid25": 0.05}


def _mixture_batches(name, batch_size, seed):
    """An infinite stream of `(points, component)` batches, a pure function of seed."""
    means = tf.constant(mixture_means(name))
    stddev = MIXTURE_STDDEV[name]

    def draw(index):
        # Batch i uses seed (seed, i): the stream is reproducible and skipping
        # to batch n (on resume) costs nothing.
        # Split keys, not seed + 1: neighbouring seeds must not share draws.
        component_key, noise_key = tf.unstack(
            tf.random.experimental.stateless_split(tf.stack([tf.cast(seed, tf.int64), index]), 2)
        )
        component = tf.random.stateless_uniform(
            [batch_size], component_key, maxval=len(mixture_means(name)), dtype=tf.int32
        )
        noise = tf.random.stateless_normal([batch_size, 2], noise_key, stddev=stddev)
        return tf.gather(means, component) + noise, component

    return tf.data.Dataset.counter().map(draw)


# ----------------------------------------------------------- Fashion-MNIST


def fashion_mnist_dir(data_dir=None):
    """The folder of the Fashion-MNIST IDX files: argument, environment, default."""
    return pathlib.Path(data_dir or os.environ.get(FASHION_MNIST_ENV) or FASHION_MNIST_DIR)


def read_idx(path):
    """Reads an IDX file (optionally gzipped) into a numpy array.

    The format: 2 zero bytes, a type byte (0x08 = uint8), the number of
    dimensions, then each dimension as a big-endian int32, then the data.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ZooError(f"cannot read IDX file {path}: {e}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ZooError(f"{path} is not a uint8 IDX file (bad magic number)")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ZooError(f"{path} is truncated: its header declares {ndim} dimensions")
    shape = tuple(int(d) for d in np.frombuffer(data, ">i4", count=ndim, offset=4))
    payload = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if payload.size != math.prod(shape):
        raise ZooError(f"{path} is truncated: {payload.size} bytes for shape {shape}")
    return payload.reshape(shape)


def load_fashion_mnist(split="train", data_dir=None):
    """Returns `(images uint8 (N, 28, 28, 1), labels int32 (N,))` of a split."""
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise ZooError(f"Fashion-MNIST has splits 'train' and 'test', not {split!r}")
    folder = fashion_mnist_dir(data_dir)
    paths = {}
    for kind in ("images-idx3", "labels-idx1"):
        stem = f"{prefix}-{kind}-ubyte"
        candidates = [folder / f"{stem}.gz", folder / stem]
        found = [p for p in candidates if p.exists()]
        if not found:
            raise ZooError(
                f"Fashion-MNIST not found: no {stem}[.gz] in {folder}; install it with "
                f"'sudo apt-get install dataset-fashion-mnist' or point "
                f"${FASHION_MNIST_ENV} (or --data_dir) at a folder with the four IDX files"
            )
        paths[kind] = found[0]
    images = read_idx(paths["images-idx3"])[..., np.newaxis]
    labels = read_idx(paths["labels-idx1"]).astype(np.int32)
    if images.shape[1:] != (28, 28, 1) or len(images) != len(labels):
        raise ZooError(
            f"{folder} does not hold Fashion-MNIST: images {images.shape}, labels {labels.shape}"
        )
    return images, labels


# ----------------------------------------------------------- image folders


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
        cache.write_text_atomically(cache_path, json.dumps(stored, sort_keys=True))
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


def _center_crop_resize(images, size):
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


def _folder_examples(folder, split, size, channels):
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
        return _center_crop_resize(image, size), label

    dataset = tf.data.Dataset.from_tensor_slices((files, tf.constant(labels, tf.int32))).map(
        decode, num_parallel_calls=tf.data.AUTOTUNE
    )
    return dataset, len(files), classes


# ------------------------------------------------------------------- TFDS


def _tfds_examples(name, split, size, data_dir):
    builder = _tfds_builder(name, data_dir)
    split_info = _tfds_split(builder, name, split)
    features = builder.info.features
    if "image" not in features:
        raise ZooError(f"TFDS dataset {name!r} has no 'image' feature")
    class_names = tuple(features["label"].names) if "label" in features else ()
    num_classes = len(class_names)
    channels = features["image"].shape[-1] or 3
    try:
        dataset = builder.as_dataset(split=split)
    except (OSError, ValueError, tf.errors.OpError) as e:
        reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise ZooError(f"cannot read TFDS dataset {name!r} split {split!r}: {reason}") from None

    def convert(example):
        image = _center_crop_resize(example["image"], size)
        label = tf.cast(example["label"], tf.int32) if num_classes else tf.constant(0, tf.int32)
        return image, label

    return (
        dataset.map(convert, num_parallel_calls=tf.data.AUTOTUNE),
        class_names,
        channels,
        split_info.num_examples,
    )


def _tfds_builder(name, data_dir):
    """The builder of a prepared TFDS dataset, never downloading.

    `tfds.load(download=False)` would do, but it says the same for a
    misspelt name and for a dataset not built yet; the builder tells them
    apart, and reading it never touches the network.
    """
    import tensorflow_datasets as tfds  # Heavy; only TFDS users pay for it.

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ZooError(
            f"TFDS has no dataset {name!r}; list the names with: python -c "
            '"import tensorflow_datasets as tfds; print(tfds.list_builders())"'
        ) from None
    except ValueError as e:  # e.g. a config the dataset does not have
        raise ZooError(f"TFDS cannot open {name!r}: {str(e).splitlines()[0][:140]}") from None
    if not builder.is_prepared():
        root = builder.data_dir_root
        raise ZooError(
            f"TFDS dataset {name!r} is not prepared; with a network run once: "
            f"tfds build {name} --data_dir={root} (or pass the --data_dir that has it)"
        )
    return builder


def _tfds_split(builder, name, split):
    """The `SplitInfo` of `split` (TFDS syntax, e.g. `train[:10%]`), or a ZooError."""
    try:
        return builder.info.splits[split]
    except (KeyError, ValueError):
        splits = ", ".join(builder.info.splits) or "none"
        raise ZooError(f"TFDS dataset {name!r} has no split {split!r}; it has: {splits}") from None


# ------------------------------------------------------------ the pipeline


def load_dataset(
    name,
    *,
    batch_size,
    split="train",
    image_size=None,
    seed=0,
    shuffle=True,
    repeat=True,
    data_dir=None,
    channels=3,
):
    """Builds the batched input pipeline of the dataset `name`.

    Args:
        name: dataset spec (module docstring).
        batch_size: examples per batch; the last partial batch is dropped so
            every batch has the same static shape.
        split: `"train"` or `"test"` (TFDS: any split it has, in TFDS
            syntax such as `"train[:10%]"`). A folder's `test` split is the
            1 in 10 files it holds out; it has none under 10 images.
        image_size: side of the square images; `None` keeps Fashion-MNIST's 28
            and uses 64 for folders and TFDS. Fashion-MNIST accepts 28 or 32
            (zero-padded, i.e. black, to 32x32 as in the LeNet tradition).
        seed: seed of the shuffle order and of the 2-D mixtures.
        shuffle: shuffle (reshuffled each epoch, reproducibly for a seed).
        repeat: repeat forever (training); otherwise one pass.
        data_dir: Fashion-MNIST IDX folder, or TFDS data dir.
        channels: channels of `folder:` images (1 or 3). Defaults to `3`.

    Returns:
        `(dataset, info)`: batches of `(samples, labels)` and a `DatasetInfo`.

    Raises:
        ZooError: unknown name, missing or corrupt data, bad batch size.
    """
    if int(batch_size) != batch_size or batch_size < 1:
        raise ZooError(f"batch_size must be a positive integer, got {batch_size!r}")
    if name in MIXTURE_STDDEV:
        info = DatasetInfo(name, (2,), len(mixture_means(name)), None)
        return _mixture_batches(name, batch_size, seed).prefetch(tf.data.AUTOTUNE), info

    examples, info = _image_examples(name, split, image_size, data_dir, channels)
    if name != "fashion_mnist":
        # Decode files once; the cache holds uint8 images, 4x smaller than
        # floats. Fashion-MNIST is already in memory.
        examples = examples.cache()
    if shuffle:
        examples = examples.shuffle(
            min(SHUFFLE_BUFFER, info.size or SHUFFLE_BUFFER),
            seed=seed,
            reshuffle_each_iteration=True,
        )
    if repeat:
        examples = examples.repeat()
    dataset = examples.batch(batch_size, drop_remainder=True).map(
        lambda images, labels: (to_model_range(images), labels),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE), info


def _image_examples(name, split, image_size, data_dir, channels):
    """Unbatched `(uint8 image, int32 label)` examples and their `DatasetInfo`."""
    if name == "fashion_mnist":
        if image_size not in (None, 28, 32):
            raise ZooError(f"fashion_mnist comes at image_size 28 or 32 (padded), not {image_size}")
        images, labels = load_fashion_mnist(split, data_dir)
        if image_size == 32:
            images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
        info = DatasetInfo(
            name, images.shape[1:], len(FASHION_MNIST_CLASSES), len(images), FASHION_MNIST_CLASSES
        )
        return tf.data.Dataset.from_tensor_slices((images, labels)), info
    size = image_size or DEFAULT_IMAGE_SIZE
    if name.startswith("folder:"):
        if channels not in (1, 3):
            raise ZooError(f"folder images have 1 or 3 channels, not {channels}")
        examples, count, classes = _folder_examples(name[len("folder:") :], split, size, channels)
        info = DatasetInfo(name, (size, size, channels), len(classes), count, classes)
        return examples, info
    if name.startswith("tfds:"):
        examples, classes, tfds_channels, count = _tfds_examples(
            name[len("tfds:") :], split, size, data_dir
        )
        info = DatasetInfo(name, (size, size, tfds_channels), len(classes), count, classes)
        return examples, info
    raise ZooError(
        f"unknown dataset {name!r}; valid: fashion_mnist, ring8, grid25, "
        "tfds:<name> (e.g. tfds:cifar10), folder:<path>"
    )
