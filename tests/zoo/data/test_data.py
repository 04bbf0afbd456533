"""zoo.data: every pipeline gives float32 samples in [-1, 1] and int32 labels."""

import itertools
import json
import os
import pathlib
import random
import shutil
import struct
import time

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import write_idx
from zoo import data, training
from zoo.core.errors import ZooError
from zoo.data import folders


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


def test_folder_with_class_subfolders_is_labelled_by_them(labelled_folder):
    dataset, info = data.load_dataset(
        f"folder:{labelled_folder}", batch_size=1, image_size=8, shuffle=False, repeat=False
    )

    pairs = [(float(images.numpy().mean()), int(labels[0])) for images, labels in dataset]

    assert info.num_classes == 2 and info.class_names == ("cats", "dogs")
    assert len(pairs) == info.size == 22  # 24 images, 2 held out for the test split
    # Dark images are cats (label 0), bright ones dogs (label 1), the puppy included.
    assert all((mean < 0) == (label == 0) for mean, label in pairs)
    assert {label for _, label in pairs} == {0, 1}


def test_folder_test_split_keeps_its_class_labels(labelled_folder):
    dataset, info = data.load_dataset(
        f"folder:{labelled_folder}", batch_size=1, image_size=8, split="test", repeat=False
    )

    pairs = [(float(images.numpy().mean()), int(labels[0])) for images, labels in dataset]

    assert info.num_classes == 2 and len(pairs) == 2
    assert all((mean < 0) == (label == 0) for mean, label in pairs)


@pytest.mark.parametrize(
    "layout, classes",
    [
        (["a/1.png", "b/2.png"], ("a", "b")),
        (["a/1.png", "b/deep/2.png"], ("a", "b")),
        (["a/1.png", "2.png"], ()),  # an image at the top level: unlabelled
        (["only/1.png", "only/2.png"], ()),  # one subfolder is a container, not a class
        (["1.png", "2.png"], ()),
    ],
)
def test_folder_classes_are_top_level_subfolders_holding_every_image(tmp_path, layout, classes):
    files = [str(tmp_path / name) for name in layout]

    assert data.folder_classes(tmp_path, files) == classes


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


def _truncate(path, keep):
    """Keeps the first `keep` bytes of a file."""
    path.write_bytes(path.read_bytes()[:keep])


def _random_image(path, shape=(48, 64, 3), seed=0):
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


# Pillow's `verify` reads headers only and passes the half JPEG; Pillow loads
# the PNG without its 12-byte IEND chunk, which TensorFlow's decoder refuses.
@pytest.mark.parametrize(
    "name, keep",
    [
        ("half.jpg", lambda size: size // 2),
        ("half.png", lambda size: size // 2),
        ("no_end.png", lambda size: size - 12),
    ],
    ids=["half_jpeg", "half_png", "png_without_end_chunk"],
)
def test_folder_truncated_image_raises_one_line_zoo_error_naming_file(image_folder, name, keep):
    path = _random_image(image_folder / "sub" / name)
    _truncate(path, keep(path.stat().st_size))

    with pytest.raises(ZooError, match=name) as error:
        data.load_dataset(f"folder:{image_folder}", batch_size=2)

    message = str(error.value)
    assert "remove or replace" in message and "\n" not in message


class _CountingCheck:
    """Stands in for `data.check_image`, counting the files it is asked about."""

    def __init__(self):
        self.paths = []
        self._check = data.check_image

    def __call__(self, path):
        self.paths.append(pathlib.Path(path).name)
        self._check(path)


@pytest.fixture
def counting_check(monkeypatch):
    check = _CountingCheck()
    monkeypatch.setattr(folders, "check_image", check)
    return check


def test_folder_second_load_decodes_no_file_again(image_folder, counting_check):
    data.list_image_files(image_folder)
    assert sorted(counting_check.paths) == ["gray.png", "tall.jpg", "wide.png"]

    data.load_dataset(f"folder:{image_folder}", batch_size=2)

    assert len(counting_check.paths) == 3


def test_folder_touched_or_rewritten_file_is_decoded_again(image_folder, counting_check):
    data.list_image_files(image_folder)
    wide = image_folder / "wide.png"
    stat = wide.stat()
    os.utime(wide, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    _random_image(image_folder / "gray.png", shape=(12, 12), seed=1)
    counting_check.paths.clear()

    data.list_image_files(image_folder)

    assert sorted(counting_check.paths) == ["gray.png", "wide.png"]


def test_folder_corrupt_file_added_later_is_caught_and_good_files_stay_cached(
    image_folder, counting_check
):
    data.list_image_files(image_folder)
    late = _random_image(image_folder / "late.jpg")
    _truncate(late, late.stat().st_size // 2)
    counting_check.paths.clear()

    with pytest.raises(ZooError, match="late.jpg"):
        data.list_image_files(image_folder)
    late.unlink()
    data.list_image_files(image_folder)

    assert counting_check.paths == ["late.jpg"]


def test_folder_check_cache_records_relative_path_size_and_mtime(image_folder, zoo_cache):
    data.list_image_files(image_folder)

    path = data.image_check_cache_path(image_folder)
    stored = json.loads(path.read_text())
    assert path.parent.parent == zoo_cache
    assert stored["folder"] == str(image_folder.resolve())
    tall = (image_folder / "sub" / "tall.jpg").stat()
    assert stored["files"]["sub/tall.jpg"] == [tall.st_size, tall.st_mtime_ns]
    assert sorted(stored["files"]) == ["gray.png", "sub/tall.jpg", "wide.png"]
    # Written by rename: no temporary file is left beside it.
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize("contents", ["{not json", "[1, 2]", '{"version": 1, "files": 3}', ""])
def test_folder_corrupt_check_cache_is_ignored_and_rewritten(
    image_folder, counting_check, contents
):
    path = data.image_check_cache_path(image_folder)
    path.parent.mkdir(parents=True)
    path.write_text(contents)

    data.list_image_files(image_folder)

    assert len(counting_check.paths) == 3
    assert len(json.loads(path.read_text())["files"]) == 3


# ------------------------------------------------------ image folder splits


@pytest.fixture
def folder_of_25(tmp_path):
    """25 tiny PNGs, some in subfolders: a test split of 2, a train split of 23."""
    from PIL import Image

    folder = tmp_path / "many"
    for i in range(25):
        path = folder / f"part{i % 3}" / f"{i:02d}.png" if i % 2 else folder / f"{i:02d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((4, 4, 3), i * 10, np.uint8)).save(path)
    return folder


def _split_names(folder, files, split):
    return {
        pathlib.Path(p).relative_to(folder).as_posix()
        for p in data.split_image_files(folder, files, split)
    }


def test_folder_train_and_test_splits_are_disjoint_and_cover_all_files(folder_of_25):
    files = data.list_image_files(folder_of_25)

    train = _split_names(folder_of_25, files, "train")
    test = _split_names(folder_of_25, files, "test")

    assert len(test) == 2 and len(train) == 23
    assert not train & test
    assert train | test == {pathlib.Path(p).relative_to(folder_of_25).as_posix() for p in files}


def test_folder_split_same_on_every_call_whatever_listing_order_or_location(folder_of_25, tmp_path):
    files = data.list_image_files(folder_of_25)
    test = _split_names(folder_of_25, files, "test")
    moved = shutil.copytree(folder_of_25, tmp_path / "elsewhere" / "copy")

    assert _split_names(folder_of_25, list(reversed(files)), "test") == test
    assert _split_names(folder_of_25, random.Random(0).sample(files, len(files)), "test") == test
    assert _split_names(moved, data.list_image_files(moved), "test") == test


def test_folder_split_sizes_reach_dataset_info_and_batches(folder_of_25):
    def load(split):
        dataset, info = data.load_dataset(
            f"folder:{folder_of_25}", batch_size=1, split=split, image_size=4, repeat=False
        )
        levels = {round(float(images[0, 0, 0, 0]), 3) for images, _ in dataset}
        return info.size, levels

    train_size, train_levels = load("train")
    test_size, test_levels = load("test")

    # Each image is one constant grey level, so the levels name the images.
    assert (train_size, test_size) == (23, 2)
    assert len(train_levels) == 23 and len(test_levels) == 2
    assert not train_levels & test_levels


def test_folder_under_10_images_trains_on_all_and_has_no_test_split(image_folder):
    _, info = data.load_dataset(f"folder:{image_folder}", batch_size=3)

    with pytest.raises(ZooError, match="too few for a test split") as error:
        data.load_dataset(f"folder:{image_folder}", batch_size=1, split="test")

    assert info.size == 3
    assert "--noreal_floor" in str(error.value) and "\n" not in str(error.value)


def test_folder_unknown_split_raises_zoo_error_listing_train_and_test(image_folder, counting_check):
    with pytest.raises(ZooError, match="'train' and 'test', not 'validation'"):
        data.load_dataset(f"folder:{image_folder}", batch_size=1, split="validation")

    assert counting_check.paths == []  # refused before any file is decoded


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


@pytest.fixture(scope="module")
def dummy_mnist_dir(tmp_path_factory):
    """A TFDS data dir holding `dummy_mnist`, prepared offline by TFDS's own test builder.

    Its train and test splits are 20 28x28x1 images of ones, labels `i % 10`.
    """
    tfds = pytest.importorskip("tensorflow_datasets")
    from tensorflow_datasets.testing import test_utils

    data_dir = tmp_path_factory.mktemp("tfds")
    test_utils.DummyMnist(data_dir=data_dir).download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False)
    )
    return data_dir


def test_tfds_prepared_dataset_gives_resized_image_batches_and_labels(dummy_mnist_dir):
    dataset, info = data.load_dataset(
        "tfds:dummy_mnist", batch_size=20, image_size=16, data_dir=dummy_mnist_dir, repeat=False
    )

    images, labels = _first_batch(dataset)

    assert info.sample_shape == (16, 16, 1) and info.num_classes == 10 and info.size == 20
    assert images.shape == (20, 16, 16, 1) and images.dtype == np.float32
    # Every pixel is 1 of 255 and stays 1 through the resize.
    np.testing.assert_allclose(images, 1 / 127.5 - 1.0, atol=1e-6)
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), 2)


def test_tfds_split_in_tfds_syntax_gives_its_size(dummy_mnist_dir):
    dataset, info = data.load_dataset(
        "tfds:dummy_mnist", batch_size=1, split="test[:5]", data_dir=dummy_mnist_dir,
        repeat=False,
    )  # fmt: skip

    assert info.size == 5 and sum(1 for _ in dataset) == 5


def test_tfds_missing_split_raises_one_line_zoo_error_listing_splits(dummy_mnist_dir):
    with pytest.raises(ZooError, match="no split 'validation'; it has: train, test") as error:
        data.load_dataset(
            "tfds:dummy_mnist", batch_size=4, split="validation", data_dir=dummy_mnist_dir
        )

    assert "\n" not in str(error.value) and len(str(error.value)) < 200


def test_tfds_unknown_name_raises_one_line_zoo_error_saying_how_to_list_names(tmp_path):
    pytest.importorskip("tensorflow_datasets")

    with pytest.raises(ZooError, match="no dataset 'mnistt'") as error:
        data.load_dataset("tfds:mnistt", batch_size=4, data_dir=tmp_path)

    message = str(error.value)
    assert "tfds.list_builders()" in message
    assert "\n" not in message and len(message) < 200


def test_tfds_dataset_not_prepared_raises_one_line_zoo_error_quickly(tmp_path):
    pytest.importorskip("tensorflow_datasets")  # imported outside the timing
    start = time.monotonic()

    with pytest.raises(ZooError, match="not prepared") as error:
        data.load_dataset("tfds:mnist", batch_size=4, data_dir=tmp_path)

    # Offline, a download attempt would retry the network for minutes.
    assert time.monotonic() - start < 20
    message = str(error.value)
    assert f"tfds build mnist --data_dir={tmp_path}" in message
    assert "\n" not in message and len(message.replace(str(tmp_path), "DIR")) < 200


def _train_images(folder, **kwargs):
    dataset, info = data.load_dataset(
        "fashion_mnist", batch_size=1, shuffle=False, repeat=False, data_dir=folder, **kwargs
    )
    return [images[0].numpy().tobytes() for images, _ in dataset], info


def test_train_images_keeps_the_same_subset_for_the_same_seed_and_the_test_split_whole(
    fake_fashion_mnist,
):
    everything, _ = _train_images(fake_fashion_mnist)
    chosen, info = _train_images(fake_fashion_mnist, train_images=16, subset_seed=3)
    again, _ = _train_images(fake_fashion_mnist, train_images=16, subset_seed=3)
    other, _ = _train_images(fake_fashion_mnist, train_images=16, subset_seed=4)
    test, test_info = _train_images(fake_fashion_mnist, split="test", train_images=16)

    assert info.size == 16 and len(chosen) == 16 and chosen == again
    assert set(chosen) <= set(everything) and set(chosen) != set(other)
    assert chosen == [image for image in everything if image in set(chosen)]  # original order
    assert test_info.size == 40 and len(test) == 40


def test_train_images_picks_its_subset_out_of_the_split_once_not_every_epoch(
    fake_fashion_mnist, monkeypatch
):
    # Reading the whole split per epoch of a small subset made training on 1,000 of 60,000
    # images pay for 60,000 each epoch, and resuming at step k replay all of them k times.
    reads = tf.Variable(0, dtype=tf.int64)
    examples_of = data._image_examples

    def read(image, label):
        with tf.control_dependencies([reads.assign_add(1)]):
            return tf.identity(image), label

    def counted(*args):
        examples, info = examples_of(*args)
        return examples.map(read), info

    monkeypatch.setattr(data, "_image_examples", counted)
    dataset, info = data.load_dataset("fashion_mnist", batch_size=4, data_dir=fake_fashion_mnist,
                                      train_images=8, seed=1)  # fmt: skip

    epochs = [tuple(sorted(images.numpy().sum(axis=(1, 2, 3)))) for images, _ in dataset.take(10)]

    assert info.size == 8 and int(reads.numpy()) == 120  # the split once (shuffled 5 epochs)
    assert len(set(epochs)) > 1  # still reshuffled each epoch


def test_train_images_out_of_range_or_on_points_fails_in_one_line(fake_fashion_mnist, tmp_path):
    with pytest.raises(ZooError, match=r"train_images must be in \[1, 120\] .*got 121"):
        data.load_dataset("fashion_mnist", batch_size=4, data_dir=fake_fashion_mnist,
                          train_images=121)  # fmt: skip
    with pytest.raises(ZooError, match="ring8 is an endless stream of points: drop train_images"):
        training.TrainConfig(dataset="ring8", workdir=str(tmp_path), train_images=100)
    with pytest.raises(ZooError, match="train_images must be a positive integer, got 0"):
        training.TrainConfig(workdir=str(tmp_path), train_images=0)


def test_train_images_of_a_folder_keeps_labels_and_the_same_files(labelled_folder):
    def means(**kwargs):
        dataset, info = data.load_dataset(
            f"folder:{labelled_folder}", batch_size=1, image_size=8, shuffle=False, repeat=False,
            **kwargs,
        )  # fmt: skip
        return [(float(x.numpy().mean()), int(y[0])) for x, y in dataset], info

    everything, _ = means()
    chosen, info = means(train_images=5, subset_seed=1)

    assert info.size == 5 and len(chosen) == 5 and chosen == means(train_images=5, subset_seed=1)[0]
    assert set(chosen) <= set(everything) and info.num_classes == 2
    assert all((mean < 0) == (label == 0) for mean, label in chosen)
