"""zoo.data: every pipeline gives float32 samples in [-1, 1] and int32 labels."""

import itertools
import struct
import time

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import write_idx
from zoo import data
from zoo.errors import ZooError


def _first_batch(dataset):
    samples, labels = next(iter(dataset))
    return samples.numpy(), labels.numpy()


# ------------------------------------------------------------------ scaling


def test_to_model_range_maps_uint8_ends_to_minus_1_and_1():
    scaled = data.to_model_range(tf.constant([0, 255], tf.uint8)).numpy()

    assert scaled.dtype == np.float32
    np.testing.assert_array_equal(scaled, [-1.0, 1.0])


def test_to_uint8_inverts_to_model_range_and_clips():
    pixels = np.arange(256, dtype=np.uint8)

    np.testing.assert_array_equal(data.to_uint8(data.to_model_range(pixels)), pixels)
    np.testing.assert_array_equal(data.to_uint8([-3.0, 3.0]), [0, 255])


# ------------------------------------------------------ Fashion-MNIST (real)


def test_fashion_mnist_train_batches_are_28x28_float32_in_model_range(fashion_mnist_files):
    dataset, info = data.load_dataset(
        "fashion_mnist", batch_size=16, shuffle=False, data_dir=fashion_mnist_files
    )

    images, labels = _first_batch(dataset)

    assert info.sample_shape == (28, 28, 1) and info.num_classes == 10 and info.size == 60_000
    assert images.shape == (16, 28, 28, 1) and images.dtype == np.float32
    assert -1.0 <= images.min() < -0.99 and 0.99 < images.max() <= 1.0
    assert labels.dtype == np.int32 and labels.min() >= 0 and labels.max() < 10


def test_fashion_mnist_image_size_32_pads_with_black_border(fashion_mnist_files):
    dataset, info = data.load_dataset(
        "fashion_mnist", batch_size=8, image_size=32, shuffle=False, data_dir=fashion_mnist_files
    )

    images, _ = _first_batch(dataset)

    assert info.sample_shape == (32, 32, 1)
    assert images.shape == (8, 32, 32, 1)
    border = np.concatenate(
        [images[:, :2].ravel(), images[:, -2:].ravel(), images[:, :, :2].ravel(),
         images[:, :, -2:].ravel()]
    )  # fmt: skip
    np.testing.assert_array_equal(border, -1.0)
    assert images[:, 2:-2, 2:-2].max() > 0.99


def test_fashion_mnist_test_split_has_10000_images(fashion_mnist_files):
    dataset, info = data.load_dataset(
        "fashion_mnist",
        batch_size=1000,
        split="test",
        shuffle=False,
        repeat=False,
        data_dir=fashion_mnist_files,
    )

    assert info.size == 10_000
    assert sum(int(images.shape[0]) for images, _ in dataset) == 10_000


# ----------------------------------------------- Fashion-MNIST (hand-made IDX)


@pytest.fixture
def tiny_fashion_mnist(tmp_path):
    """Four 28x28 'images' of constant grey levels 0, 51, 204, 255, in gzipped IDX."""
    levels = np.array([0, 51, 204, 255], np.uint8)
    images = np.broadcast_to(levels[:, None, None], (4, 28, 28)).copy()
    labels = np.array([9, 0, 3, 7], np.uint8)
    for prefix in ("train", "t10k"):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return tmp_path


def test_fashion_mnist_data_dir_reads_idx_files_in_order(tiny_fashion_mnist):
    dataset, info = data.load_dataset(
        "fashion_mnist", batch_size=4, data_dir=tiny_fashion_mnist, shuffle=False
    )

    images, labels = _first_batch(dataset)

    assert info.size == 4
    np.testing.assert_allclose(images[:, 0, 0, 0], [-1.0, -0.6, 0.6, 1.0], atol=1e-6)
    assert np.all(images == images[:, :1, :1])  # each image stays constant
    np.testing.assert_array_equal(labels, [9, 0, 3, 7])
    assert labels.dtype == np.int32


def test_fashion_mnist_environment_variable_points_at_data(tiny_fashion_mnist, monkeypatch):
    monkeypatch.setenv(data.FASHION_MNIST_ENV, str(tiny_fashion_mnist))

    dataset, info = data.load_dataset("fashion_mnist", batch_size=2, split="test")

    assert info.size == 4
    assert _first_batch(dataset)[0].shape == (2, 28, 28, 1)


def test_fashion_mnist_missing_data_dir_raises_zoo_error_naming_apt_get(tmp_path):
    with pytest.raises(ZooError, match="apt-get"):
        data.load_dataset("fashion_mnist", batch_size=4, data_dir=tmp_path)


@pytest.mark.parametrize("kwargs", [{"split": "validation"}, {"image_size": 64}])
def test_fashion_mnist_unsupported_split_or_size_raises_zoo_error(tiny_fashion_mnist, kwargs):
    with pytest.raises(ZooError):
        data.load_dataset("fashion_mnist", batch_size=4, data_dir=tiny_fashion_mnist, **kwargs)


def test_fashion_mnist_files_of_wrong_shape_raise_zoo_error(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 32, 32), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))

    with pytest.raises(ZooError, match="does not hold Fashion-MNIST"):
        data.load_dataset("fashion_mnist", batch_size=1, data_dir=tmp_path)


def test_read_idx_valid_file_returns_array(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a-ubyte", array)

    np.testing.assert_array_equal(data.read_idx(tmp_path / "a-ubyte"), array)


@pytest.mark.parametrize(
    "name, contents",
    [
        ("empty-ubyte", b""),
        ("bad-magic-ubyte", b"\x01\x00\x08\x01" + struct.pack(">i", 2) + b"\x00\x00"),
        ("float-type-ubyte", b"\x00\x00\x0d\x01" + struct.pack(">i", 1) + b"\x00" * 4),
        ("short-payload-ubyte", b"\x00\x00\x08\x01" + struct.pack(">i", 5) + b"\x00\x00"),
        ("short-header-ubyte", b"\x00\x00\x08\x03" + struct.pack(">i", 5)),
        ("not-gzip-ubyte.gz", b"\x00\x00\x08\x01" + struct.pack(">i", 1) + b"\x00"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_read_idx_corrupt_file_raises_zoo_error(tmp_path, name, contents):
    (tmp_path / name).write_bytes(contents)

    with pytest.raises(ZooError, match=name):
        data.read_idx(tmp_path / name)


def test_read_idx_missing_file_raises_zoo_error(tmp_path):
    with pytest.raises(ZooError):
        data.read_idx(tmp_path / "absent-ubyte")


# ----------------------------------------------------------------- mixtures


def test_ring8_means_are_8_distinct_points_on_unit_circle():
    means = data.mixture_means("ring8")

    assert means.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.0, rtol=1e-6)
    # Neighbours on the ring are 2 sin(pi / 8) ~ 0.77 apart; a repeated
    # endpoint (linspace over [0, 2 pi]) would give a distance of 0.
    distances = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert distances[~np.eye(8, dtype=bool)].min() > 0.7


def test_grid25_means_are_the_25_points_of_the_even_grid():
    means = data.mixture_means("grid25")

    expected = set(itertools.product([-4.0, -2.0, 0.0, 2.0, 4.0], repeat=2))
    assert means.shape == (25, 2)
    assert {tuple(m) for m in means.tolist()} == expected


@pytest.mark.parametrize("name, num_components", [("ring8", 8), ("grid25", 25)])
def test_mixture_samples_cluster_around_their_component_mean(name, num_components):
    dataset, info = data.load_dataset(name, batch_size=512, seed=0)

    points, components = _first_batch(dataset)

    assert info.sample_shape == (2,) and info.num_classes == num_components and info.size is None
    assert points.shape == (512, 2) and points.dtype == np.float32
    assert components.dtype == np.int32
    # Uniform over components: 512 draws miss none of them (p < 1e-4).
    assert set(components.tolist()) == set(range(num_components))
    offsets = points - data.mixture_means(name)[components]
    assert np.abs(offsets).max() < 4 * data.MIXTURE_STDDEV[name]
    assert offsets.std() == pytest.approx(data.MIXTURE_STDDEV[name], rel=0.2)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mixture_stream_same_seed_repeats_other_seed_differs(name):
    def two_batches(seed):
        dataset, _ = data.load_dataset(name, batch_size=8, seed=seed)
        return np.concatenate([points for points, _ in dataset.take(2)])

    first = two_batches(3)

    np.testing.assert_array_equal(first, two_batches(3))
    assert not np.allclose(first, two_batches(4))
    assert not np.allclose(first[:8], first[8:])  # batches differ within a stream


def test_mixture_means_unknown_name_raises_zoo_error():
    with pytest.raises(ZooError):
        data.mixture_means("ring9")


# ------------------------------------------------------------- image folders


def test_folder_images_of_different_sizes_give_square_rgb_batches(image_folder):
    dataset, info = data.load_dataset(f"folder:{image_folder}", batch_size=2, image_size=16)

    batches = [images.numpy() for images, _ in dataset.take(3)]

    assert info.sample_shape == (16, 16, 3) and info.size == 3 and info.num_classes == 0
    for images in batches:
        assert images.shape == (2, 16, 16, 3) and images.dtype == np.float32
        assert images.min() >= -1.0 and images.max() <= 1.0


def test_folder_channels_1_gives_grayscale(image_folder):
    dataset, info = data.load_dataset(
        f"folder:{image_folder}", batch_size=3, image_size=8, channels=1, repeat=False
    )

    images, labels = _first_batch(dataset)

    assert info.sample_shape == (8, 8, 1)
    assert images.shape == (3, 8, 8, 1)
    np.testing.assert_array_equal(labels, 0)


def test_folder_wide_image_is_center_cropped_not_squashed(tmp_path):
    from PIL import Image

    # 20 rows x 40 columns: black left and right quarters, white centre square.
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, 10:30] = 255
    Image.fromarray(pixels).save(tmp_path / "wide.png")

    dataset, _ = data.load_dataset(f"folder:{tmp_path}", batch_size=1, image_size=10)
    image, _ = _first_batch(dataset)

    # Squashing 40 columns into 10 would keep the black quarters (mean ~0);
    # resizing the short side to 10 and cropping keeps only the white centre.
    assert image.mean() > 0.8
    np.testing.assert_allclose(image[0, 2:-2, 2:-2], 1.0, atol=1e-6)


def test_folder_with_corrupt_png_raises_zoo_error_naming_file(image_folder):
    (image_folder / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")

    with pytest.raises(ZooError, match="broken.png"):
        data.load_dataset(f"folder:{image_folder}", batch_size=2)


def test_folder_missing_raises_zoo_error(tmp_path):
    with pytest.raises(ZooError, match="does not exist"):
        data.load_dataset(f"folder:{tmp_path / 'absent'}", batch_size=2)


def test_folder_without_images_raises_zoo_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")

    with pytest.raises(ZooError, match="no .png"):
        data.load_dataset(f"folder:{tmp_path}", batch_size=2)


def test_folder_channels_2_raises_zoo_error(image_folder):
    with pytest.raises(ZooError):
        data.load_dataset(f"folder:{image_folder}", batch_size=2, channels=2)


# ---------------------------------------------------------- names and sizes


def test_load_dataset_unknown_name_raises_zoo_error_listing_valid_names():
    with pytest.raises(ZooError, match="cifar") as error:
        data.load_dataset("cifar", batch_size=4)

    assert "fashion_mnist" in str(error.value) and "folder:" in str(error.value)


@pytest.mark.parametrize("batch_size", [0, -4, 2.5])
def test_load_dataset_bad_batch_size_raises_zoo_error(batch_size):
    with pytest.raises(ZooError, match="batch_size"):
        data.load_dataset("ring8", batch_size=batch_size)


# --------------------------------------------------------------------- TFDS


def test_tfds_dataset_gives_resized_image_batches_and_labels(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")

    with tfds.testing.mock_data(num_examples=8):
        dataset, info = data.load_dataset(
            "tfds:mnist", batch_size=4, image_size=16, data_dir=tmp_path
        )
        images, labels = _first_batch(dataset)

    assert info.sample_shape == (16, 16, 1) and info.num_classes == 10
    assert images.shape == (4, 16, 16, 1) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert labels.dtype == np.int32 and labels.min() >= 0 and labels.max() < 10


def test_tfds_dataset_not_prepared_raises_zoo_error_quickly(tmp_path):
    pytest.importorskip("tensorflow_datasets")  # imported outside the timing
    start = time.monotonic()

    with pytest.raises(ZooError, match="tfds build mnist"):
        data.load_dataset("tfds:mnist", batch_size=4, data_dir=tmp_path)

    # Offline, a download attempt would retry the network for minutes.
    assert time.monotonic() - start < 20
