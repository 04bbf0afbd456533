"""`python -m zoo download fashion_mnist`: fetched, checked, written atomically."""

import gzip
import hashlib
import importlib

import numpy as np
import pytest

from tests.helpers import write_idx
from zoo.core.errors import ZooError
from zoo.data import download, fashion_mnist

listing = importlib.import_module("zoo.__main__")


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A file:// mirror of four tiny IDX files, and the digests of their contents."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    digests = {}
    for index, name in enumerate(download.FASHION_MNIST_FILES):
        shape = (3, 28, 28) if "images" in name else (3,)
        raw = folder / name.removesuffix(".gz")
        write_idx(raw, np.full(shape, index, np.uint8))
        with gzip.open(folder / name, "wb") as f:
            f.write(raw.read_bytes())
        digests[name] = hashlib.sha256(raw.read_bytes()).hexdigest()
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", digests)
    return folder.as_uri() + "/"


def test_download_fetches_checks_and_skips_what_is_there(mirror, tmp_path):
    lines = []
    target = tmp_path / "data"

    download.download_fashion_mnist(target, mirror, lines.append)
    download.download_fashion_mnist(target, mirror, lines.append)

    assert sorted(p.name for p in target.iterdir()) == sorted(download.FASHION_MNIST_FILES)
    assert sum("downloaded and checked" in line for line in lines) == 4
    assert sum("already there" in line for line in lines) == 4
    images, labels = fashion_mnist.load_fashion_mnist("test", target)
    assert images.shape == (3, 28, 28, 1) and labels.tolist() == [3, 3, 3]


def test_download_refuses_a_file_that_is_not_fashion_mnist_and_keeps_the_good_one(
    mirror, tmp_path, monkeypatch
):
    target = tmp_path / "data"
    download.download_fashion_mnist(target, mirror, lambda line: None)
    good = (target / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (target / "t10k-labels-idx1-ubyte.gz").write_bytes(b"damaged")  # fetched again
    monkeypatch.setitem(download.FASHION_MNIST_FILES, "t10k-labels-idx1-ubyte.gz", "0" * 64)

    with pytest.raises(ZooError, match="is not the Fashion-MNIST file it should be"):
        download.download_fashion_mnist(target, mirror, lambda line: None)
    with pytest.raises(ZooError, match="cannot download .*absent"):
        download.download_fashion_mnist(tmp_path / "other", mirror + "absent/", lambda line: None)

    assert (target / "t10k-labels-idx1-ubyte.gz").read_bytes() == b"damaged" != good
    assert not list(target.glob(".*download"))


def test_download_command_writes_where_the_zoo_looks(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_ZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(fashion_mnist.FASHION_MNIST_ENV, raising=False)
    monkeypatch.setattr(fashion_mnist, "FASHION_MNIST_DIR", str(tmp_path / "no-debian"))

    said = listing.main(["download", "fashion_mnist", f"--url={mirror}"])

    assert fashion_mnist.fashion_mnist_dir() == tmp_path / "cache" / "fashion_mnist"
    assert said == f"Fashion-MNIST is in {tmp_path / 'cache' / 'fashion_mnist'}"
    assert fashion_mnist.load_fashion_mnist("train", None)[0].shape == (3, 28, 28, 1)
    with pytest.raises(ZooError, match="download takes --url=MIRROR and --to=FOLDER"):
        listing.main(["download", "fashion_mnist", "--mirror=x"])
