"""Fashion-MNIST from its IDX files (Xiao et al. 2017): Debian's package, or a folder.

Looked for in `--data_dir`, else `$GAN_ZOO_FASHION_MNIST_DIR`, else Debian's
folder where it is installed, else the zoo's cache (`python -m zoo download
fashion_mnist` puts the files there).
"""

import gzip
import math
import os
import pathlib

import numpy as np

from zoo.core import cache
from zoo.core.errors import ZooError

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


FASHION_MNIST_ENV = "GAN_ZOO_FASHION_MNIST_DIR"


FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def fashion_mnist_dir(data_dir=None):
    """The folder of the Fashion-MNIST IDX files: argument, environment, Debian's, the cache."""
    chosen = data_dir or os.environ.get(FASHION_MNIST_ENV)
    if chosen:
        return pathlib.Path(chosen)
    if pathlib.Path(FASHION_MNIST_DIR).is_dir():
        return pathlib.Path(FASHION_MNIST_DIR)
    return download_dir()


def download_dir():
    """Where `python -m zoo download fashion_mnist` puts the files: the zoo's cache."""
    return cache.cache_dir() / "fashion_mnist"


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
                f"Fashion-MNIST not found: no {stem}[.gz] in {folder}; run 'python -m zoo "
                f"download fashion_mnist' (or 'sudo apt-get install dataset-fashion-mnist'), or "
                f"point ${FASHION_MNIST_ENV} (or --data_dir) at a folder with the four IDX files"
            )
        paths[kind] = found[0]
    images = read_idx(paths["images-idx3"])[..., np.newaxis]
    labels = read_idx(paths["labels-idx1"]).astype(np.int32)
    if images.shape[1:] != (28, 28, 1) or len(images) != len(labels):
        raise ZooError(
            f"{folder} does not hold Fashion-MNIST: images {images.shape}, labels {labels.shape}"
        )
    return images, labels
