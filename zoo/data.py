"""Every tf.data pipeline of the zoo, and the one [-1, 1] scaling.

A dataset is named by a spec string:

- `fashion_mnist`: the IDX files of Fashion-MNIST (Xiao et al. 2017) from a
  local folder (Debian's `dataset-fashion-mnist` puts them in
  `/usr/share/datasets/fashion-mnist/`; `$GAN_ZOO_FASHION_MNIST_DIR` or
  `data_dir=` point elsewhere). Splits `train` (60k) and `test` (10k).
- `tfds:<name>`: any TensorFlow Datasets image dataset already prepared on
  disk (`tfds build <name>` with a network).
- `folder:<path>`: a folder (searched recursively) of PNG/JPEG images.
- `ring8`, `grid25`: 2-D mixtures of Gaussians for mode-collapse studies.

`load_dataset` returns batches of `(samples, labels)`: float32 samples in
[-1, 1] (images `(B, H, W, C)`, points `(B, 2)`) and int32 labels (class, or the
mixture component for points; 0 where a dataset has none).
"""

import dataclasses
import gzip
import math
import os
import pathlib

import numpy as np
import tensorflow as tf

from zoo.errors import ZooError

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_ENV = "GAN_ZOO_FASHION_MNIST_DIR"
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
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
    """

    name: str
    sample_shape: tuple
    num_classes: int
    size: int | None


def to_model_range(images):
    """uint8 [0, 255] -> float32 [-1, 1]: the one scaling of the zoo."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


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
    """Sorted image files under `folder`; each is checked to decode."""
    root = pathlib.Path(folder)
    if not root.is_dir():
        raise ZooError(f"image folder {folder} does not exist; pass folder:<path to a directory>")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise ZooError(f"no .png/.jpg/.jpeg images in {folder}")
    from PIL import Image  # Only folders need Pillow.

    for path in files:
        try:
            with Image.open(path) as image:
                image.verify()
        except Exception as e:  # Pillow raises many types for bad files.
            raise ZooError(
                f"cannot decode image {path} ({type(e).__name__}); remove or replace it"
            ) from None
    return [str(p) for p in files]


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


def _folder_examples(folder, size, channels):
    files = list_image_files(folder)

    def decode(path):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=channels, expand_animations=False
        )
        return _center_crop_resize(image, size), tf.constant(0, tf.int32)

    dataset = tf.data.Dataset.from_tensor_slices(files).map(
        decode, num_parallel_calls=tf.data.AUTOTUNE
    )
    return dataset, len(files)


# ------------------------------------------------------------------- TFDS


def _tfds_examples(name, split, size, data_dir):
    import tensorflow_datasets as tfds  # Heavy; only TFDS users pay for it.

    try:
        # download=False: offline, tfds.load would retry the network for minutes.
        dataset, info = tfds.load(
            name, split=split, data_dir=data_dir, download=False, with_info=True
        )
    except Exception as e:  # TFDS raises assorted types for missing data.
        raise ZooError(
            f"TFDS dataset {name!r} split {split!r} is not prepared on this machine "
            f"({type(e).__name__}); prepare it once with network access: "
            f"'tfds build {name}' (or python -m tensorflow_datasets.scripts.download_and_prepare "
            f"--datasets={name}), or pass its --data_dir"
        ) from None
    image_key = "image" if "image" in info.features else None
    if image_key is None:
        raise ZooError(f"TFDS dataset {name!r} has no 'image' feature")
    num_classes = info.features["label"].num_classes if "label" in info.features else 0
    channels = info.features[image_key].shape[-1] or 3

    def convert(example):
        image = _center_crop_resize(example[image_key], size)
        label = tf.cast(example["label"], tf.int32) if num_classes else tf.constant(0, tf.int32)
        return image, label

    size_of_split = info.splits[split].num_examples if split in info.splits else None
    return (
        dataset.map(convert, num_parallel_calls=tf.data.AUTOTUNE),
        num_classes,
        channels,
        size_of_split,
    )


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
        split: `"train"` or `"test"` (TFDS: any split name).
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
        info = DatasetInfo(name, images.shape[1:], len(FASHION_MNIST_CLASSES), len(images))
        return tf.data.Dataset.from_tensor_slices((images, labels)), info
    size = image_size or DEFAULT_IMAGE_SIZE
    if name.startswith("folder:"):
        if channels not in (1, 3):
            raise ZooError(f"folder images have 1 or 3 channels, not {channels}")
        examples, count = _folder_examples(name[len("folder:") :], size, channels)
        return examples, DatasetInfo(name, (size, size, channels), 0, count)
    if name.startswith("tfds:"):
        examples, num_classes, tfds_channels, count = _tfds_examples(
            name[len("tfds:") :], split, size, data_dir
        )
        return examples, DatasetInfo(name, (size, size, tfds_channels), num_classes, count)
    raise ZooError(
        f"unknown dataset {name!r}; valid: fashion_mnist, ring8, grid25, "
        "tfds:<name> (e.g. tfds:cifar10), folder:<path>"
    )
