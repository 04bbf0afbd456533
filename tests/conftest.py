"""Shared pytest setup: quiet TensorFlow, the repository on `sys.path`, fixtures."""

import os
import pathlib
import sys

# Must precede the first TensorFlow import, which the fixtures below trigger.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPU devices, so that tf.distribute tests run two replicas here.
# Must precede the first TensorFlow op; the default strategy still uses the first.
REPLICA_DEVICES = 2
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration()] * REPLICA_DEVICES,
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long or real-data test, left to `make test-slow` (pytest -m slow)"
    )


@pytest.fixture(autouse=True)
def _seeded():
    """Seeds Python, numpy and Keras so weight initialisation is the same every run."""
    keras.utils.set_random_seed(0)


@pytest.fixture(autouse=True)
def zoo_cache(tmp_path_factory, monkeypatch):
    """A fresh, empty `$GAN_ZOO_CACHE` for every test, so none writes to the real home.

    Entry points run as subprocesses inherit it. Outside `tmp_path`, so a test
    that reads a whole `tmp_path` (an image folder) never meets the cache.
    """
    from zoo.core.cache import CACHE_ENV

    folder = tmp_path_factory.mktemp("gan_zoo_cache")
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def image_folder(tmp_path):
    """A folder of three small images of different sizes and formats.

    `wide.png` (20x40 RGB), `gray.png` (12x12 grayscale) and, in a subfolder,
    `sub/tall.jpg` (50x30 RGB JPEG); `load_dataset("folder:...")` must find all
    three and bring them to one square size.
    """
    from PIL import Image

    rng = np.random.default_rng(0)
    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(rng.integers(0, 256, (20, 40, 3), dtype=np.uint8)).save(folder / "wide.png")
    Image.fromarray(rng.integers(0, 256, (12, 12), dtype=np.uint8)).save(folder / "gray.png")
    Image.fromarray(rng.integers(0, 256, (50, 30, 3), dtype=np.uint8)).save(
        folder / "sub" / "tall.jpg", quality=95
    )
    return folder


@pytest.fixture
def labelled_folder(tmp_path):
    """A folder with one subfolder per class: `cats/` (solid dark images) and
    `dogs/` (solid bright ones, one of them in `dogs/puppies/`), 12 each."""
    from PIL import Image

    folder = tmp_path / "pets"
    (folder / "cats").mkdir(parents=True)
    (folder / "dogs" / "puppies").mkdir(parents=True)
    for i in range(12):
        Image.fromarray(np.full((8, 8, 3), 10 + i, np.uint8)).save(folder / "cats" / f"{i}.png")
        dog_folder = folder / "dogs" / ("puppies" if i == 0 else "")
        Image.fromarray(np.full((8, 8, 3), 240 - i, np.uint8)).save(dog_folder / f"{i}.png")
    return folder


@pytest.fixture
def fashion_mnist_files():
    """Skips a test when the real Fashion-MNIST files are not installed."""
    from zoo import data

    folder = data.fashion_mnist_dir()
    if not (folder / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"Fashion-MNIST not in {folder}: sudo apt-get install dataset-fashion-mnist")
    return folder


@pytest.fixture
def fake_fashion_mnist(tmp_path):
    """Random 28x28 'Fashion-MNIST': 120 train and 40 test images, gzipped IDX."""
    from tests.helpers import write_idx

    rng = np.random.default_rng(0)
    folder = tmp_path / "fashion"
    folder.mkdir()
    for prefix, count in (("train", 120), ("t10k", 40)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (count, 28, 28)))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", np.arange(count) % 10)
    return folder
