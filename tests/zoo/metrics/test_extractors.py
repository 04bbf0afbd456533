"""Feature extractors: one interface, shapes, streaming, the shipped classifier."""

import json
import tracemalloc

import keras
import numpy as np
import pytest

from zoo import data
from zoo.core.errors import ZooError
from zoo.metrics import extractors

# The bar for the shipped classifier, and its size budget.
MIN_ACCURACY = 0.92
MAX_CLASSIFIER_BYTES = 5_000_000


def _tiny_classifier_file(path, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(6, activation="relu", name=extractors.FEATURES_LAYER)(x)
    logits = keras.layers.Dense(10, name=extractors.LOGITS_LAYER)(features)
    keras.Model(inputs, logits).save(path)
    return path


@pytest.fixture
def tiny_extractor(tmp_path):
    return extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"), batch_size=8)


def _images(count, side=28, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (count, side, side, 1)).astype(np.float32)


# ----------------------------------------------------------- classifier


@pytest.mark.parametrize("side", [28, 32])
def test_classifier_extractor_gives_features_and_logits(tiny_extractor, side):
    features, logits = tiny_extractor(_images(5, side))
    assert features.shape == (5, 6) and logits.shape == (5, 10)
    assert features.dtype == np.float32 and np.all(features >= 0)  # ReLU activations
    assert tiny_extractor.feature_dim == 6 and tiny_extractor.num_classes == 10


def test_classifier_extractor_crops_32_to_the_28_that_data_pads(tiny_extractor):
    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))  # as zoo.data does at 32
    cropped = tiny_extractor.preprocess(data.to_model_range(padded)).numpy()
    np.testing.assert_array_equal(cropped, data.to_model_range(images).numpy())
    np.testing.assert_array_equal(
        tiny_extractor(data.to_model_range(padded))[0],
        tiny_extractor(data.to_model_range(images))[0],
    )


@pytest.mark.parametrize("shape", [(16, 16, 1), (28, 28, 3), (64, 64, 1)])
def test_classifier_extractor_other_shapes_raise_zoo_error(tiny_extractor, shape):
    with pytest.raises(ZooError, match="28x28 or 32x32 grayscale.*inception"):
        tiny_extractor(np.zeros((1, *shape), np.float32))


def test_classifier_extractor_missing_file_says_make_classifier(tmp_path):
    with pytest.raises(ZooError, match="make classifier"):
        extractors.ClassifierExtractor(tmp_path / "absent.keras")


def test_classifier_extractor_corrupt_file_raises_zoo_error(tmp_path):
    path = tmp_path / "bad.keras"
    path.write_bytes(b"not a zip")
    with pytest.raises(ZooError, match="cannot load classifier"):
        extractors.ClassifierExtractor(path)


def test_file_sha256_names_the_content(tmp_path):
    (tmp_path / "a").write_bytes(b"one")
    (tmp_path / "b").write_bytes(b"one")
    (tmp_path / "c").write_bytes(b"two")
    assert extractors.file_sha256(tmp_path / "a") == extractors.file_sha256(tmp_path / "b")
    assert extractors.file_sha256(tmp_path / "a") != extractors.file_sha256(tmp_path / "c")


def test_get_extractor_unknown_name_lists_valid_names():
    with pytest.raises(ZooError, match="fashion_mnist_classifier, inception"):
        extractors.get_extractor("vgg")


# ------------------------------------------------------------ streaming


def test_extract_keeps_order_and_matches_one_big_batch(tiny_extractor):
    images = _images(20)
    streamed = tiny_extractor.extract((images[i : i + 8] for i in range(0, 20, 8)), 20)
    features, logits = tiny_extractor(images)
    np.testing.assert_allclose(streamed.features, features, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(streamed.logits, logits, rtol=1e-5, atol=1e-6)
    unknown_count = tiny_extractor.extract(images[i : i + 8] for i in range(0, 20, 8))
    np.testing.assert_array_equal(unknown_count.features, streamed.features)


def test_extract_wrong_count_raises_zoo_error(tiny_extractor):
    with pytest.raises(ZooError, match="held 8 images, expected 9"):
        tiny_extractor.extract([_images(8)], 9)
    with pytest.raises(ZooError, match="more than num_samples=4"):
        tiny_extractor.extract([_images(8)], 4)


def _peak_bytes_beyond_output(extractor, count, batch_size):
    """Peak Python-heap bytes of `extract` over `count` images, minus its output."""

    def batches():
        for start in range(0, count, batch_size):
            yield _images(min(batch_size, count - start), seed=start)

    extractor(_images(batch_size))  # trace outside the measurement
    tracemalloc.start()
    activations = extractor.extract(batches(), count)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - activations.features.nbytes - activations.logits.nbytes


def test_extract_peak_memory_does_not_grow_with_num_samples(tiny_extractor):
    batch_size = 50
    one_batch = _images(batch_size).nbytes
    small = _peak_bytes_beyond_output(tiny_extractor, 200, batch_size)
    large = _peak_bytes_beyond_output(tiny_extractor, 4000, batch_size)
    # 20x the samples: the images of 4,000 would be 80 batches; a few are held
    # (the batch being made, in float64 then float32, and the one being read).
    assert large < 8 * one_batch
    assert large < small + one_batch


# ------------------------------------------------------------ inception


def test_inception_with_random_weights_resizes_and_gives_2048_features():
    extractor = extractors.get_extractor("inception", "random")
    assert extractor.weights_sha256 is None  # random weights: never cached
    inputs = extractor.preprocess(np.zeros((2, 28, 28, 1), np.float32))
    assert tuple(inputs.shape) == (2, 299, 299, 3)
    features, logits = extractor(_images(2))
    assert features.shape == (2, 2048) and logits.shape == (2, 1000)
    assert np.all(np.isfinite(features))


def test_inception_missing_weights_file_raises_zoo_error(tmp_path):
    with pytest.raises(ZooError, match="no Inception weights file"):
        extractors.get_extractor("inception", str(tmp_path / "absent.h5"))


# --------------------------------------------- the shipped classifier


def test_shipped_classifier_is_small_and_its_record_matches_the_file():
    path = extractors.CLASSIFIER_FILE
    assert path.exists(), "train it with make classifier"
    assert path.stat().st_size < MAX_CLASSIFIER_BYTES
    info = json.loads(extractors.CLASSIFIER_INFO_FILE.read_text())
    assert info["sha256"] == extractors.file_sha256(path)
    assert info["test_accuracy"] >= MIN_ACCURACY
    assert info["command"].startswith("python scripts/train_classifier.py")
    extractor = extractors.get_extractor()
    assert extractor.weights_sha256 == info["sha256"]
    assert extractor.feature_dim == info["features_dim"] and extractor.num_classes == 10


# About a second: it runs in the default suite, where make test has installed the data.
@pytest.mark.usefixtures("fashion_mnist_files")
def test_shipped_classifier_accuracy_on_1000_test_images_at_least_92_percent():
    images, labels = data.load_fashion_mnist("test")
    extractor = extractors.get_extractor()
    _, logits = extractor(data.to_model_range(images[:1000]))
    accuracy = np.mean(np.argmax(logits, axis=1) == labels[:1000])
    assert accuracy >= MIN_ACCURACY
