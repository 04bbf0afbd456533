"""Metrics: closed forms and golden values for the maths, the protocol registry,
the reference cache, and the training callback."""

import json
import types

import keras
import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf
from tensorflow.core.util import event_pb2

from zoo import metrics
from zoo.core.errors import ZooError
from zoo.metrics import extractors
from zoo.metrics import reference as references

# ------------------------------------------------------------------ FID


def _with_moments(rng, mean, covariance, count):
    """`count` points whose sample mean and unbiased covariance are exactly these."""
    dim = len(mean)
    points = rng.standard_normal((count, dim))
    points -= points.mean(axis=0)
    # Whiten to an identity sample covariance, then color.
    points = points @ np.linalg.inv(np.linalg.cholesky(np.cov(points, rowvar=False))).T
    return points @ np.linalg.cholesky(covariance).T + mean


def _scipy_fid(a, b):
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root))


def test_frechet_distance_of_set_with_itself_is_zero():
    features = np.random.default_rng(0).standard_normal((500, 16))
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-3)


def test_frechet_distance_of_two_gaussians_matches_closed_form():
    rng = np.random.default_rng(1)
    mean_1, mean_2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    var_1, var_2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    a = _with_moments(rng, mean_1, np.diag(var_1), 400)
    b = _with_moments(rng, mean_2, np.diag(var_2), 300)
    # Diagonal covariances: Tr(C1 + C2 - 2 sqrt(C1 C2)) = sum (s1 - s2)^2.
    closed_form = np.sum((mean_1 - mean_2) ** 2) + np.sum((np.sqrt(var_1) - np.sqrt(var_2)) ** 2)
    assert metrics.frechet_distance(a, b) == pytest.approx(closed_form, rel=1e-6)


def test_frechet_distance_of_gaussians_with_full_covariances_matches_closed_form():
    rng = np.random.default_rng(2)
    factor = rng.standard_normal((4, 4))
    cov_1, cov_2 = factor @ factor.T + np.eye(4), np.eye(4) * 2.0
    a = _with_moments(rng, np.zeros(4), cov_1, 200)
    b = _with_moments(rng, np.ones(4), cov_2, 200)
    # With C2 = 2I: sqrt(C1 C2) = sqrt(2) sqrt(C1), whose trace is sqrt(2) sum sqrt(eig C1).
    trace_root = np.sqrt(2.0) * np.sum(np.sqrt(np.linalg.eigvalsh(cov_1)))
    closed_form = 4.0 + np.trace(cov_1) + 8.0 - 2 * trace_root
    assert metrics.frechet_distance(a, b) == pytest.approx(closed_form, rel=1e-6)


def test_frechet_distance_matches_scipy_sqrtm_reference():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((600, 32)) * rng.uniform(0.5, 2.0, 32)
    b = rng.standard_normal((500, 32)) @ rng.standard_normal((32, 32)) * 0.3 + 0.2
    assert metrics.frechet_distance(a, b) == pytest.approx(_scipy_fid(a, b), rel=1e-3)


# ------------------------------------------------------------------- IS


def test_inception_score_of_uniform_logits_is_1():
    mean, std = metrics.inception_score(np.zeros((100, 10), np.float32))
    assert mean == pytest.approx(1.0, abs=1e-6)
    assert std == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("num_classes", [2, 10])
def test_inception_score_of_confident_balanced_predictions_is_num_classes(num_classes):
    labels = np.arange(100 * num_classes) % num_classes
    logits = 50.0 * np.eye(num_classes, dtype=np.float32)[labels]
    mean, _ = metrics.inception_score(logits)
    assert mean == pytest.approx(num_classes, rel=1e-3)


def test_inception_score_of_one_class_only_is_1():
    logits = 50.0 * np.eye(10, dtype=np.float32)[np.zeros(100, int)]
    assert metrics.inception_score(logits)[0] == pytest.approx(1.0, abs=1e-3)


# ------------------------------------------------------------------ KID


def test_kernel_distance_same_distribution_near_zero_and_grows_with_shift():
    rng = np.random.default_rng(4)
    real = rng.standard_normal((2000, 8))
    same = rng.standard_normal((2000, 8))
    kid_same, _ = metrics.kernel_distance(real, same, max_block_size=500)
    kid_small, std_small = metrics.kernel_distance(real, same + 0.3, max_block_size=500)
    kid_large, _ = metrics.kernel_distance(real, same + 1.0, max_block_size=500)
    # With 4 blocks of 500 the estimator's spread is a few 1e-3 here.
    assert abs(kid_same) < 1e-2
    assert kid_small > 3 * std_small and kid_small > 30 * abs(kid_same)
    assert kid_large > 10 * kid_small


# ----------------------------------------------------- precision, recall


def test_precision_recall_of_identical_sets_is_1():
    points = np.random.default_rng(5).standard_normal((300, 4))
    assert metrics.precision_recall(points, points) == (1.0, 1.0)


def test_precision_recall_of_far_apart_sets_is_0():
    points = np.random.default_rng(6).standard_normal((300, 4))
    assert metrics.precision_recall(points, points + 100.0) == (0.0, 0.0)


def test_precision_recall_of_collapsed_generator_high_precision_low_recall():
    rng = np.random.default_rng(7)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    real = centers[np.arange(400) % 4] + 0.5 * rng.standard_normal((400, 2))
    # The generator found one mode of four.
    fake = centers[0] + 0.5 * rng.standard_normal((400, 2))
    precision, recall = metrics.precision_recall(real, fake)
    assert precision > 0.9
    assert recall < 0.35


def test_precision_recall_needs_more_points_than_k():
    with pytest.raises(ZooError, match="k=3"):
        metrics.precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))


# ------------------------------------------------------------ protocols


def test_protocols_registered_by_name_fix_the_sample_count():
    assert metrics.PROTOCOLS["fid10k"] == metrics.Protocol("fid10k", "fid", 10_000)
    assert metrics.PROTOCOLS["is50k"].num_samples == 50_000
    assert metrics.PROTOCOLS["kid1k"].kind == "kid"
    assert metrics.PROTOCOLS["pr10k3"].result_names == ("pr10k3_precision", "pr10k3_recall")
    assert set(metrics.DEFAULT_METRICS) <= set(metrics.PROTOCOLS)


def test_get_protocols_unknown_name_lists_valid_names():
    with pytest.raises(ZooError, match="unknown metric 'fid7'.*fid10k"):
        metrics.get_protocols("fid10k,fid7")


def test_get_protocols_repeated_name_raises():
    with pytest.raises(ZooError, match="twice"):
        metrics.get_protocols(["kid1k", "kid1k"])


def test_score_adds_each_protocols_result_names():
    rng = np.random.default_rng(8)
    reference = extractors.Activations(rng.standard_normal((1500, 4)), rng.normal(size=(1500, 3)))
    fake = extractors.Activations(rng.standard_normal((1000, 4)), rng.normal(size=(1000, 3)))
    results = metrics.score("fid1k,is1k,kid1k,pr1k3", fake, reference)
    assert set(results) == {"fid1k", "is1k", "is1k_std", "kid1k", "kid1k_std",
                            "pr1k3_precision", "pr1k3_recall"}  # fmt: skip
    assert all(np.isfinite(v) for v in results.values())
    table = metrics.format_table("fid1k,is1k,pr1k3", results, results, 1000, 1500)
    assert "fid1k" in table and "pr1k3_recall" in table and "real floor" in table


def test_score_with_too_few_samples_raises():
    few = extractors.Activations(np.zeros((10, 4)), np.zeros((10, 3)))
    with pytest.raises(ZooError, match="fid1k scores 1000 samples, got 10"):
        metrics.score("fid1k", few, few)


# ------------------------------------------------------ reference cache


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(metrics.CACHE_ENV, str(folder))
    return folder


def _tiny_classifier_file(path, seed=0):
    """A random two-layer 'classifier' with the shipped file's layer names."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(4, 3, strides=4)(inputs)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(6, activation="relu", name=extractors.FEATURES_LAYER)(x)
    logits = keras.layers.Dense(10, name=extractors.LOGITS_LAYER)(features)
    keras.Model(inputs, logits).save(path)
    return path


class _CountingExtractor(extractors.ClassifierExtractor):
    calls = 0

    def __call__(self, images):
        type(self).calls += 1
        return super().__call__(images)


def test_reference_activations_computed_once_then_read_from_cache(
    fake_fashion_mnist, cache, tmp_path
):
    extractor = _CountingExtractor(_tiny_classifier_file(tmp_path / "c.keras"), batch_size=50)
    first = metrics.reference_activations("fashion_mnist", "train", (28, 28, 1), extractor,
                                          fake_fashion_mnist)  # fmt: skip
    calls = _CountingExtractor.calls
    assert calls == 3  # 120 images in batches of 50
    second = metrics.reference_activations("fashion_mnist", "train", (28, 28, 1), extractor,
                                           fake_fashion_mnist)  # fmt: skip
    assert _CountingExtractor.calls == calls
    np.testing.assert_array_equal(first.features, second.features)
    assert first.features.shape == (120, 6) and first.logits.shape == (120, 10)

    (path,) = (cache / "reference").glob("*.npz")
    assert path.name.startswith("fashion_mnist-train-28x28x1-fashion_mnist_classifier-")
    mean, covariance = metrics.reference_statistics(path)
    np.testing.assert_allclose(mean, first.features.mean(axis=0), rtol=1e-5, atol=1e-6)
    assert covariance.shape == (6, 6)


def test_reference_rows_follow_their_own_seed_not_the_global_one(
    fake_fashion_mnist, cache, tmp_path
):
    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    computed = []
    for global_seed in (1, 7):
        for path in (cache / "reference").glob("*.npz"):
            path.unlink()
        keras.utils.set_random_seed(global_seed)
        computed.append(metrics.labelled_reference("fashion_mnist", "train", (28, 28, 1),
                                                   extractor, fake_fashion_mnist))  # fmt: skip
    first, second = computed
    np.testing.assert_array_equal(first.activations.features, second.activations.features)
    # Row i is the split's example reference_order(n)[i]: shuffled, and found again.
    examples, info = references.reference_examples("fashion_mnist", "train", (28, 28, 1),
                                                  fake_fashion_mnist)  # fmt: skip
    labels = np.concatenate([batch_labels.numpy() for _, batch_labels in examples])
    np.testing.assert_array_equal(first.labels, labels[references.reference_order(info.size)])
    assert not np.array_equal(first.labels, labels)


def test_reference_key_changes_with_classifier_weights(fake_fashion_mnist, cache, tmp_path):
    old = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras", seed=0))
    old_path = metrics.reference_path(
        metrics.reference_key("fashion_mnist", "train", (28, 28, 1), old, fake_fashion_mnist)
    )
    metrics.reference_activations("fashion_mnist", "train", (28, 28, 1), old, fake_fashion_mnist)
    # Retrain (here: re-initialise) the classifier in the same file.
    new = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras", seed=1))
    new_path = metrics.reference_path(
        metrics.reference_key("fashion_mnist", "train", (28, 28, 1), new, fake_fashion_mnist)
    )
    assert new.weights_sha256 != old.weights_sha256
    assert new_path != old_path
    fresh = metrics.reference_activations("fashion_mnist", "train", (28, 28, 1), new,
                                          fake_fashion_mnist)  # fmt: skip
    features, _ = new(np.zeros((1, 28, 28, 1), np.float32))
    assert fresh.features.shape[1] == features.shape[1]
    assert len(list((cache / "reference").glob("*.npz"))) == 2


def test_reference_key_names_split_image_size_and_data_source(fake_fashion_mnist, tmp_path):
    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    key = metrics.reference_key("fashion_mnist", "test", (32, 32, 1), extractor, fake_fashion_mnist)
    assert key["split"] == "test" and key["image_shape"] == [32, 32, 1]
    assert key["extractor"] == "fashion_mnist_classifier"
    assert key["weights_sha256"] == extractors.file_sha256(tmp_path / "c.keras")
    assert key["data_source"] == str(fake_fashion_mnist.resolve())


def test_reference_at_32_equals_reference_at_28(fake_fashion_mnist, cache, tmp_path):
    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    at_28 = metrics.reference_activations("fashion_mnist", "test", (28, 28, 1), extractor,
                                          fake_fashion_mnist)  # fmt: skip
    at_32 = metrics.reference_activations("fashion_mnist", "test", (32, 32, 1), extractor,
                                          fake_fashion_mnist)  # fmt: skip
    np.testing.assert_allclose(at_28.features, at_32.features, rtol=1e-5, atol=1e-5)


def test_reference_with_random_weights_is_never_cached(fake_fashion_mnist, cache):
    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inputs)
    outputs = [keras.layers.Dense(3)(flat), keras.layers.Dense(10)(flat)]
    extractor = _IdentityKerasExtractor(keras.Model(inputs, outputs), "test_random")
    metrics.reference_activations(
        "fashion_mnist", "test", (28, 28, 1), extractor, fake_fashion_mnist
    )
    assert not cache.exists()


class _IdentityKerasExtractor(extractors.KerasExtractor):
    def preprocess(self, images):
        return images


def test_reference_of_points_raises_zoo_error(cache, tmp_path):
    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    with pytest.raises(ZooError, match="zoo.metrics.modes"):
        metrics.reference_activations("ring8", "train", (2,), extractor)


def test_stale_cache_file_with_other_key_is_recomputed(fake_fashion_mnist, cache, tmp_path):
    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    key = metrics.reference_key("fashion_mnist", "test", (28, 28, 1), extractor, fake_fashion_mnist)
    path = metrics.reference_path(key)
    path.parent.mkdir(parents=True)
    np.savez(path, key=json.dumps({**key, "split": "train"}), features=np.zeros((1, 6)),
             logits=np.zeros((1, 10)))  # fmt: skip
    activations = metrics.reference_activations("fashion_mnist", "test", (28, 28, 1), extractor,
                                                fake_fashion_mnist)  # fmt: skip
    assert len(activations) == 40


# ------------------------------------------------------- model scoring


def _tiny_gan():
    from models.dcgan import DCGAN

    model = DCGAN(image_shape=(28, 28, 1), latent_dim=8, base_filters=4, seed=0)
    model.compile()
    return model


def test_generated_batches_are_a_function_of_the_seed():
    model = _tiny_gan()
    first = np.concatenate(list(metrics.generated_batches(model, 10, 4, seed=3)))
    again = np.concatenate(list(metrics.generated_batches(model, 10, 4, seed=3)))
    other = np.concatenate(list(metrics.generated_batches(model, 10, 4, seed=4)))
    assert first.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_metrics_callback_logs_scalars_to_tensorboard(fake_fashion_mnist, cache, tmp_path):
    model = _tiny_gan()
    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    writer = tf.summary.create_file_writer(str(tmp_path / "logs"))
    callback = metrics.MetricsCallback(
        5, "fid1k,kid1k", writer, dataset="fashion_mnist", data_dir=fake_fashion_mnist,
        extractor=extractor,
    )  # fmt: skip
    callback.set_model(model)
    callback.on_train_batch_end(0)  # step 0 is a multiple of every
    ((step, results),) = callback.history
    assert step == 0 and set(results) == {"fid1k", "kid1k", "kid1k_std"}

    tags = set()
    for event_file in (tmp_path / "logs").glob("events.*"):
        for record in tf.data.TFRecordDataset(str(event_file)):
            tags |= {v.tag for v in event_pb2.Event.FromString(record.numpy()).summary.value}
    assert {"metrics/fid1k", "metrics/kid1k"} <= tags


def test_metrics_callback_inside_fit_scores_every_n_steps(fake_fashion_mnist, cache, tmp_path):
    model = _tiny_gan()
    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    history_path = tmp_path / "metrics_history.jsonl"
    history_path.write_text('{"step": 0, "results": {}}\n')  # an earlier invocation's line
    callback = metrics.MetricsCallback(
        2, "kid1k", None, data_dir=fake_fashion_mnist, extractor=extractor,
        history_path=history_path,
    )  # fmt: skip
    images = np.random.default_rng(0).uniform(-1, 1, (12, 28, 28, 1)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((images, np.zeros(12, np.int32))).batch(4)
    model.fit(dataset, epochs=1, verbose=0, callbacks=[callback])
    assert [step for step, _ in callback.history] == [2]
    lines = [json.loads(line) for line in history_path.read_text().splitlines()]
    assert [line["step"] for line in lines] == [0, 2]
    assert lines[1]["results"]["kid1k"] == pytest.approx(callback.history[0][1]["kid1k"])


def test_metrics_callback_skips_steps_between_evaluations(fake_fashion_mnist, cache, tmp_path):
    model = _tiny_gan()
    model.g_optimizer.iterations.assign(3)
    callback = metrics.MetricsCallback(5, "fid1k", None)
    callback.set_model(model)
    callback.on_train_batch_end(0)
    assert callback.history == []


def test_metrics_callback_for_points_fails_before_training(cache, tmp_path):
    from models.vanilla_gan import VanillaGAN

    model = VanillaGAN(image_shape=(2,), latent_dim=2, hidden_dims=(4,))
    model.compile()
    callback = metrics.MetricsCallback(5, "fid1k", None)
    callback.set_model(model)
    with pytest.raises(ZooError, match="zoo.metrics.modes"):
        callback.on_train_begin()


# ---------------------------------------------- class-conditional metrics


def test_split_by_class_picks_the_rows_of_each_class():
    rows = np.arange(8)[:, None] * np.array([1, 10])
    labels = np.array([2, 0, 1, 2, 0, 5, 2, 1])  # 5: outside the 3 classes, dropped
    split = metrics.split_by_class(rows, labels, 3)
    assert len(split) == 3
    np.testing.assert_array_equal(split[0], [[1, 10], [4, 40]])
    np.testing.assert_array_equal(split[1], [[2, 20], [7, 70]])
    np.testing.assert_array_equal(split[2], [[0, 0], [3, 30], [6, 60]])
    with pytest.raises(ZooError, match="8 rows but 7 labels"):
        metrics.split_by_class(rows, labels[:7], 3)


def _class_features(rng, labels):
    """Features whose mean depends on the class: class c is centred at c * 3 on axis c % 4."""
    features = rng.standard_normal((len(labels), 4))
    features[np.arange(len(labels)), labels % 4] += 3.0 * labels
    return features


def test_intra_class_fid_is_zero_for_each_classs_own_images_and_grows_when_permuted():
    rng = np.random.default_rng(9)
    labels = np.arange(300) % 3
    real = _class_features(rng, labels)
    same, per_class = metrics.intra_class_fid(real, labels, real, labels, 3)
    permuted, permuted_per_class = metrics.intra_class_fid(real, labels, real, (labels + 1) % 3, 3)
    assert same == pytest.approx(0.0, abs=1e-6) and len(per_class) == 3
    assert min(permuted_per_class) > 5.0
    assert permuted == pytest.approx(np.mean(permuted_per_class))
    # The pooled FID cannot tell: the same images, under other labels.
    assert metrics.frechet_distance(real, real) == pytest.approx(0.0, abs=1e-6)


def test_intra_class_fid_of_a_class_with_under_two_samples_is_nan():
    rng = np.random.default_rng(10)
    labels = np.array([0, 0, 0, 1, 1, 1, 2])
    mean, per_class = metrics.intra_class_fid(rng.standard_normal((7, 2)), labels,
                                              rng.standard_normal((7, 2)), labels, 3)  # fmt: skip
    assert np.isfinite(per_class[:2]).all() and np.isnan(per_class[2]) and np.isnan(mean)


def test_class_accuracy_is_1_for_the_right_classes_and_drops_with_shuffled_labels():
    labels = np.arange(40) % 4
    logits = 5.0 * np.eye(4, dtype=np.float32)[labels]
    assert metrics.class_accuracy(logits, labels, 4) == (1.0, [1.0, 1.0, 1.0, 1.0])
    shuffled = np.random.default_rng(11).permutation(labels)
    accuracy, per_class = metrics.class_accuracy(logits, shuffled, 4)
    assert accuracy == pytest.approx(np.mean(np.argmax(logits, 1) == shuffled)) and accuracy < 0.5
    # Two of class 0's ten samples (rows 0, 4, ..., 36) classified as class 1.
    logits[[0, 4]] = 5.0 * np.eye(4)[1]
    assert metrics.class_accuracy(logits, labels, 4)[1] == [0.8, 1.0, 1.0, 1.0]
    with pytest.raises(ZooError, match=r"logits \(N, 10\)"):
        metrics.class_accuracy(logits, labels, 10)


def test_conditional_sample_count_is_the_largest_fid_protocols():
    assert metrics.conditional_sample_count("fid1k,fid10k,is50k") == 10_000
    assert metrics.conditional_sample_count("kid1k,is10k") == 10_000


def test_conditional_skips_class_accuracy_unless_the_classifier_knows_the_classes():
    classifier = types.SimpleNamespace(name=extractors.DEFAULT_EXTRACTOR, num_classes=10)
    inception = types.SimpleNamespace(name="inception", num_classes=1008)
    labels = np.arange(100) % 10

    def skips(num_classes, dataset, extractor, reference_labels=labels):
        return metrics.conditional_skips(num_classes, dataset=dataset, extractor=extractor,
                                         reference_labels=reference_labels)  # fmt: skip

    assert skips(10, "fashion_mnist", classifier) == {}
    assert set(skips(10, "fashion_mnist", inception)) == {"class_accuracy"}
    assert "folder:x" in skips(10, "folder:x", classifier)["class_accuracy"]
    assert "model has 3 classes" in skips(3, "fashion_mnist", classifier)["class_accuracy"]
    # An unlabelled dataset (every label 0) has no images of classes 1 to 9.
    unlabelled = skips(10, "fashion_mnist", classifier, np.zeros(100, int))
    assert (
        set(unlabelled) == {"intra_fid"}
        and "class(es) 1, 2, 3, 4, 5, ..." in (unlabelled["intra_fid"])
    )


class _LookupExtractor(extractors.Extractor):
    """A 'classifier' that knows the label of every real image; its features are 4 pixels.

    Unknown images get uniform logits. Named as the shipped classifier, so
    class accuracy applies; its made-up weights digest lets it be cached.
    """

    name = extractors.DEFAULT_EXTRACTOR
    feature_dim = 4
    num_classes = 10
    batch_size = 50
    weights_sha256 = "lookup-stub"

    def __init__(self, labels_by_image):
        self.labels_by_image = labels_by_image
        self.images_seen = 0

    def __call__(self, images):
        images = np.asarray(images, np.float32)
        self.images_seen += len(images)
        logits = np.zeros((len(images), self.num_classes), np.float32)
        for row, image in enumerate(images):
            label = self.labels_by_image.get(image.tobytes())
            if label is not None:
                logits[row, label] = 10.0
        return images.reshape(len(images), -1)[:, 1:5].copy(), logits


def _real_images(data_dir, split):
    """`(images, labels)` of a split of the fake Fashion-MNIST, in file order."""
    from zoo import data

    size = {"train": 120, "test": 40}[split]  # one batch: the whole split
    batches, _ = data.load_dataset("fashion_mnist", batch_size=size, split=split, shuffle=False,
                                   repeat=False, data_dir=data_dir)  # fmt: skip
    ((images, labels),) = list(batches)
    return images.numpy(), labels.numpy()


@pytest.fixture
def lookup_extractor(fake_fashion_mnist):
    labels_by_image = {}
    for split in ("train", "test"):
        images, labels = _real_images(fake_fashion_mnist, split)
        labels_by_image.update(
            (image.tobytes(), int(label)) for image, label in zip(images, labels, strict=True)
        )
    return _LookupExtractor(labels_by_image)


class _ReplayModel:
    """A conditional 'GAN' whose samples of class c are the real train images of class
    `classes[c]`, each in turn."""

    conditional = True
    num_classes = 10
    latent_dim = 2
    image_shape = (28, 28, 1)

    def __init__(self, data_dir, classes=range(10)):
        images, labels = _real_images(data_dir, "train")
        self.images = [images[labels == c] for c in classes]
        self.served = np.zeros(10, int)
        self.generated = 0

    def generate(self, num_samples=None, latents=None, labels=None, seed=None):
        samples = []
        for label in np.asarray(labels):
            source = self.images[label]
            samples.append(source[self.served[label] % len(source)])
            self.served[label] += 1
        self.generated += len(samples)
        return np.stack(samples)


@pytest.fixture
def fid120(monkeypatch):
    """A test-sized FID protocol: all 120 train images of the fake Fashion-MNIST."""
    monkeypatch.setitem(metrics.PROTOCOLS, "fid120", metrics.Protocol("fid120", "fid", 120))
    return "fid120"


def test_evaluate_model_of_a_model_replaying_each_classs_images_scores_perfectly(
    fake_fashion_mnist, lookup_extractor, fid120
):
    def evaluate(model):
        return metrics.evaluate_model(
            model, fid120, data_dir=fake_fashion_mnist, extractor=lookup_extractor,
            conditional_metrics=True,
        )  # fmt: skip

    faithful = _ReplayModel(fake_fashion_mnist)
    results = evaluate(faithful)
    # Each class's 12 samples are that class's 12 train images.
    assert results["intra_fid"] == pytest.approx(0.0, abs=1e-6)
    assert results["intra_fid_per_class"] == pytest.approx([0.0] * 10, abs=1e-6)
    assert results["class_accuracy"] == 1.0 and results["class_accuracy_per_class"] == [1.0] * 10
    # One generation of 120 samples served both the FID and the per-class metrics.
    assert faithful.generated == 120

    shifted = evaluate(_ReplayModel(fake_fashion_mnist, classes=[(c + 1) % 10 for c in range(10)]))
    # The same 120 images, each under the wrong label: FID cannot tell, these can.
    assert shifted["fid120"] == pytest.approx(results["fid120"], abs=1e-6)
    assert min(shifted["intra_fid_per_class"]) > 0.01 and shifted["intra_fid"] > 0.05
    assert shifted["class_accuracy"] == 0.0


def test_evaluate_model_adds_class_metrics_only_to_conditional_models_that_ask(
    fake_fashion_mnist, lookup_extractor, fid120
):
    def evaluate(model, conditional_metrics):
        return metrics.evaluate_model(
            model, fid120, data_dir=fake_fashion_mnist, extractor=lookup_extractor,
            conditional_metrics=conditional_metrics,
        )  # fmt: skip

    assert set(evaluate(_ReplayModel(fake_fashion_mnist), False)) == {"fid120"}
    assert set(evaluate(_tiny_gan(), True)) == {"fid120"}
    assert set(evaluate(_ReplayModel(fake_fashion_mnist), True)) == {
        "fid120",
        *metrics.CONDITIONAL_RESULT_NAMES,
    }


def test_real_data_floor_of_a_conditional_model_scores_the_test_images_by_label(
    fake_fashion_mnist, lookup_extractor, fid120
):
    floor, num_test = metrics.real_data_floor(
        fid120, dataset="fashion_mnist", image_shape=(28, 28, 1), extractor=lookup_extractor,
        data_dir=fake_fashion_mnist, num_classes=10,
    )  # fmt: skip
    assert num_test == 40
    assert set(floor) == {"fid120", *metrics.CONDITIONAL_RESULT_NAMES}
    assert floor["class_accuracy"] == 1.0  # the lookup knows every test image
    # 4 test images of each class against its 12 train images.
    assert len(floor["intra_fid_per_class"]) == 10 and floor["intra_fid"] > 0
    unconditional, _ = metrics.real_data_floor(
        fid120, dataset="fashion_mnist", image_shape=(28, 28, 1), extractor=lookup_extractor,
        data_dir=fake_fashion_mnist,
    )  # fmt: skip
    assert set(unconditional) == {"fid120"}


def test_copying_floor_scores_the_training_subset_itself_repeated(
    fake_fashion_mnist, cache, tmp_path, fid120
):
    from zoo import data

    extractor = extractors.ClassifierExtractor(_tiny_classifier_file(tmp_path / "c.keras"))
    subset, _ = data.load_dataset(
        "fashion_mnist", batch_size=30, train_images=30, subset_seed=3, shuffle=False,
        repeat=False, data_dir=fake_fashion_mnist,
    )  # fmt: skip
    ((images, _),) = list(subset)
    features, logits = extractor(images.numpy())
    copied = extractors.Activations(np.tile(features, (4, 1)), np.tile(logits, (4, 1)))
    reference = metrics.reference_activations("fashion_mnist", "train", (28, 28, 1), extractor,
                                              fake_fashion_mnist)  # fmt: skip
    floor = metrics.copying_floor(
        fid120, dataset="fashion_mnist", image_shape=(28, 28, 1), extractor=extractor,
        train_images=30, subset_seed=3, data_dir=fake_fashion_mnist,
    )  # fmt: skip
    assert floor["fid120"] == pytest.approx(metrics.score(fid120, copied, reference)["fid120"])
    assert floor["fid120"] > 0.01  # a quarter of the split is not the split
    whole = metrics.copying_floor(
        fid120, dataset="fashion_mnist", image_shape=(28, 28, 1), extractor=extractor,
        train_images=120, subset_seed=3, data_dir=fake_fashion_mnist,
    )  # fmt: skip
    assert whole["fid120"] == pytest.approx(0.0, abs=1e-3)  # copying all of it is the split
    with pytest.raises(ZooError, match=r"train_images must be in \[1, 120\] .*got 121"):
        metrics.copying_floor(
            fid120, dataset="fashion_mnist", image_shape=(28, 28, 1), extractor=extractor,
            train_images=121, data_dir=fake_fashion_mnist,
        )  # fmt: skip


def test_labelled_reference_caches_labels_in_the_order_of_the_activations(
    fake_fashion_mnist, cache, lookup_extractor
):
    first = metrics.labelled_reference("fashion_mnist", "train", (28, 28, 1), lookup_extractor,
                                       fake_fashion_mnist)  # fmt: skip
    seen = lookup_extractor.images_seen
    second = metrics.labelled_reference("fashion_mnist", "train", (28, 28, 1), lookup_extractor,
                                        fake_fashion_mnist)  # fmt: skip
    assert seen == 120 and lookup_extractor.images_seen == seen  # read from the cache
    (path,) = (cache / "reference").glob("*.npz")
    for reference in (first, second):
        assert reference.labels.dtype == np.int32
        np.testing.assert_array_equal(np.bincount(reference.labels), [12] * 10)
        # The lookup's logits name each image's true label: row i's label is its image's.
        np.testing.assert_array_equal(
            np.argmax(reference.activations.logits, axis=1), reference.labels
        )
    assert second.class_names == first.class_names
    np.testing.assert_array_equal(second.activations.features, first.activations.features)
    np.testing.assert_array_equal(
        metrics.reference_activations("fashion_mnist", "train", (28, 28, 1), lookup_extractor,
                                      fake_fashion_mnist).features,
        first.activations.features,
    )  # fmt: skip
    assert path.exists()


def test_cache_file_without_labels_is_recomputed(fake_fashion_mnist, cache, lookup_extractor):
    key = metrics.reference_key("fashion_mnist", "test", (28, 28, 1), lookup_extractor,
                                fake_fashion_mnist)  # fmt: skip
    path = metrics.reference_path(key)
    path.parent.mkdir(parents=True)
    # A file of the layout before labels were stored, under the current key.
    np.savez(path, key=json.dumps(key, sort_keys=True), features=np.zeros((1, 4)),
             logits=np.zeros((1, 10)))  # fmt: skip
    reference = metrics.labelled_reference("fashion_mnist", "test", (28, 28, 1), lookup_extractor,
                                           fake_fashion_mnist)  # fmt: skip
    assert len(reference.labels) == len(reference.activations) == 40
    assert metrics.CACHE_VERSION >= 3


def test_format_class_table_lists_each_class_beside_the_floor_and_the_notes():
    results = {"intra_fid": 2.0, "intra_fid_per_class": [1.0, 3.0],
               "class_accuracy": 0.75, "class_accuracy_per_class": [0.5, 1.0]}  # fmt: skip
    floor = {"intra_fid": 0.5, "intra_fid_per_class": [0.25, 0.75],
             "class_accuracy": 0.9, "class_accuracy_per_class": [0.8, 1.0]}  # fmt: skip
    table = metrics.format_class_table(results, floor, ("Cat", "Dog"), num_samples=20)
    lines = table.splitlines()
    assert lines[0].split() == ["class", "intra_fid", "real", "floor", "class_accuracy", "real",
                                "floor"]  # fmt: skip
    assert lines[1].split() == ["0", "Cat", "1", "0.25", "0.5", "0.8"]
    assert lines[3].split() == ["mean", "2", "0.5", "0.75", "0.9"]
    assert "each class's 10 (of 20) samples" in table and "real floor: the test" in table

    only_fid = {k: v for k, v in results.items() if k.startswith("intra")}
    note = "class accuracy skipped: inception's classes are not fashion_mnist's"
    table = metrics.format_class_table(only_fid, None, notes=[note], num_samples=20)
    assert "class_accuracy" not in table.splitlines()[0]
    assert table.splitlines()[1].split() == ["0", "1", "-"]
    assert table.splitlines()[-1] == note


@pytest.mark.slow
@pytest.mark.skipif(not extractors.CLASSIFIER_FILE.exists(), reason="no shipped classifier")
def test_real_floor_class_accuracy_is_the_classifiers_recorded_test_accuracy(
    fashion_mnist_files,
):
    floor, num_test = metrics.real_data_floor(
        "fid10k", dataset="fashion_mnist", image_shape=(28, 28, 1),
        extractor=extractors.get_extractor(), num_classes=10,
    )  # fmt: skip
    assert num_test == 10_000
    recorded = extractors.classifier_info()["test_accuracy"]
    assert floor["class_accuracy"] == pytest.approx(recorded, abs=1e-4)
    assert floor["intra_fid"] < 1.0  # a class's test images against its train images


def test_kid_of_samples_in_class_order_is_not_biased_below_zero():
    # A conditional model's samples come in class order: 0, 1, ..., 9, 0, 1, ...
    # Read in that order, each of KID's blocks holds its classes in exact turn, and
    # KID came out about -0.05 +- 0.002 here: far below zero for the same distribution.
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(10, 16))

    def activations(classes):
        features = centres[classes] + 0.5 * rng.normal(size=(len(classes), 16))
        return extractors.Activations(features.astype(np.float32),
                                      np.zeros((len(classes), 10), np.float32))  # fmt: skip

    real = activations(rng.integers(0, 10, size=20_000))
    same_distribution = activations(np.arange(2000) % 10)

    results = metrics.score("kid2k", same_distribution, real)

    assert -3 * results["kid2k_std"] < results["kid2k"] < 3 * results["kid2k_std"]
