"""Downloading Fashion-MNIST for users without Debian's `dataset-fashion-mnist`.

    python -m zoo download fashion_mnist      # into ~/.cache/gan_zoo/fashion_mnist

The four gzipped IDX files come from Keras' mirror of the dataset; each is
checked by the sha256 of its decompressed bytes (a mirror may recompress
them), written atomically, and skipped when already there and intact.
"""

import gzip
import hashlib
import os
import pathlib
import urllib.error
import urllib.request

from zoo.core.errors import ZooError

MIRROR = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# sha256 of each file's decompressed IDX bytes (Xiao et al. 2017's release).
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
    ),
    "train-labels-idx1-ubyte.gz": (
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
    ),
}


def download_fashion_mnist(folder, base_url=MIRROR, print_fn=print):
    """Fetches the four Fashion-MNIST files into `folder`; returns the folder.

    Args:
        folder: where the files go (created).
        base_url: the mirror, ending in `/` (a `file://` URL works too).
        print_fn: where a line per file goes.

    Raises:
        ZooError: a file that cannot be fetched or whose contents do not match,
            in one line; files already in place stay as they were.
    """
    folder = pathlib.Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ZooError(f"cannot create {folder}: {e.strerror or e}") from None
    for name, digest in FASHION_MNIST_FILES.items():
        path = folder / name
        if path.exists() and _content_sha256(path) == digest:
            print_fn(f"{path}: already there")
            continue
        _fetch(base_url + name, path, digest)
        print_fn(f"{path}: downloaded and checked")
    return folder


def _fetch(url, path, digest):
    temporary = path.with_name(f".{path.name}.download")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(temporary, "wb") as f:
            while block := response.read(1 << 20):
                f.write(block)
    except (urllib.error.URLError, OSError) as e:
        temporary.unlink(missing_ok=True)
        reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or e
        raise ZooError(
            f"cannot download {url}: {reason}; check the network, or pass --url"
        ) from None
    if _content_sha256(temporary) != digest:
        temporary.unlink(missing_ok=True)
        raise ZooError(f"{url} is not the Fashion-MNIST file it should be (sha256 differs)")
    os.replace(temporary, path)


def _content_sha256(path):
    """sha256 of a gzip file's decompressed bytes; `None` for a damaged file."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    except (OSError, EOFError):
        return None
    return digest.hexdigest()
