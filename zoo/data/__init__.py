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

import numpy as np
import tensorflow as tf

from zoo.core.errors import ZooError
from zoo.data.fashion_mnist import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_DIR,
    FASHION_MNIST_ENV,
    fashion_mnist_dir,
    load_fashion_mnist,
    read_idx,
)
from zoo.data.folders import (
    FOLDER_TEST_EVERY,
    IMAGE_CHECK_VERSION,
    IMAGE_EXTENSIONS,
    check_image,
    folder_classes,
    folder_examples,
    image_check_cache_path,
    list_image_files,
    split_image_files,
)
from zoo.data.mixtures import MIXTURE_STDDEV, mixture_batches, mixture_means
from zoo.data.tfds import tfds_examples

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
    train_images=None,
    subset_seed=0,
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
        train_images: keep only this many examples of the `train` split
            (`subset`); the `test` split stays whole. `None` keeps them all.
        subset_seed: which `train_images` examples: the same for the same seed.

    Returns:
        `(dataset, info)`: batches of `(samples, labels)` and a `DatasetInfo`.

    Raises:
        ZooError: unknown name, missing or corrupt data, bad batch size.
    """
    if int(batch_size) != batch_size or batch_size < 1:
        raise ZooError(f"batch_size must be a positive integer, got {batch_size!r}")
    if name in MIXTURE_STDDEV:
        info = DatasetInfo(name, (2,), len(mixture_means(name)), None)
        return mixture_batches(name, batch_size, seed).prefetch(tf.data.AUTOTUNE), info

    examples, info = _image_examples(name, split, image_size, data_dir, channels)
    if train_images is not None and split == "train":
        examples, info = subset(examples, info, train_images, subset_seed)
    if name != "fashion_mnist" or train_images is not None:
        # Decode files once, and pick a subset out of the whole split once,
        # not on every epoch; the cache holds uint8 images, 4x smaller than
        # floats. The whole of Fashion-MNIST is already in memory.
        examples = examples.cache()
    return _batched(examples, info, batch_size, seed, shuffle, repeat), info


def subset(examples, info, count, seed):
    """`count` of the examples, chosen by `seed` alone, in their original order.

    The same count and seed give the same examples on every run and in every
    phase (a user's small-data experiment stays one dataset).

    Raises:
        ZooError: `count` not in [1, the split's size].
    """
    indices = subset_indices(info.size, count, seed, f"{info.name}'s train split")
    kept = np.zeros(info.size, bool)
    kept[indices] = True
    kept = tf.constant(kept)
    examples = examples.enumerate().filter(lambda i, example: kept[i])
    examples = examples.map(lambda i, example: example).apply(
        tf.data.experimental.assert_cardinality(count)
    )
    return examples, dataclasses.replace(info, size=count)


def subset_indices(size, count, seed, split="the train split"):
    """Positions, ascending, of the `count` examples of a `size`-example split that
    `subset` keeps for `seed` (what scores the subset itself needs).

    Raises:
        ZooError: `count` not in [1, size] (the message names `split`).
    """
    if size is None or not 1 <= count <= size:
        raise ZooError(f"train_images must be in [1, {size}] ({split}), got {count}")
    return np.sort(np.random.default_rng(seed).permutation(size)[:count])


def _batched(examples, info, batch_size, seed, shuffle, repeat):
    """Shuffled (reproducibly for a seed), repeated, batched samples in [-1, 1]."""
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
    return dataset.prefetch(tf.data.AUTOTUNE)


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
        examples, count, classes = folder_examples(name[len("folder:") :], split, size, channels)
        info = DatasetInfo(name, (size, size, channels), len(classes), count, classes)
        return examples, info
    if name.startswith("tfds:"):
        examples, classes, tfds_channels, count = tfds_examples(
            name[len("tfds:") :], split, size, data_dir
        )
        info = DatasetInfo(name, (size, size, tfds_channels), len(classes), count, classes)
        return examples, info
    raise ZooError(
        f"unknown dataset {name!r}; valid: fashion_mnist, ring8, grid25, "
        "tfds:<name> (e.g. tfds:cifar10), folder:<path>"
    )


__all__ = [
    "DEFAULT_IMAGE_SIZE", "FASHION_MNIST_CLASSES", "FASHION_MNIST_DIR", "FASHION_MNIST_ENV",
    "FOLDER_TEST_EVERY", "IMAGE_CHECK_VERSION", "IMAGE_EXTENSIONS", "MIXTURE_STDDEV",
    "SHUFFLE_BUFFER", "DatasetInfo", "check_image", "downsample", "fashion_mnist_dir",
    "folder_classes", "image_check_cache_path", "list_image_files", "load_dataset",
    "load_fashion_mnist", "mixture_means", "read_idx", "split_image_files", "subset",
    "to_model_range", "to_uint8",
]  # fmt: skip
