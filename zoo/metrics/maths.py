"""The maths on activations: TF-GAN's FID, IS, KID; precision/recall; the per-class metrics."""

import math

import numpy as np
import tensorflow as tf

from zoo.core import latents
from zoo.core.cache import CACHE_ENV as CACHE_ENV  # re-exported: older code and tests read it here
from zoo.core.errors import ZooError
from zoo.metrics import extractors, tfgan
from zoo.metrics.protocols import CLASSIFIER_DATASETS, IS_SPLITS, PR_NEIGHBOURS, get_protocols


def frechet_distance(real_features, fake_features):
    """FID: Frechet distance between Gaussians fitted to two sets of activations.

    `|m1 - m2|^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2))`, in float64, by TF-GAN's
    `frechet_classifier_distance_from_activations`. Rounding can leave it a
    hair below zero (about -1e-13) for identical sets; it is clamped at 0.

    Args:
        real_features: array `(N1, D)`.
        fake_features: array `(N2, D)`.

    Returns:
        float >= 0.

    Reference:
        Heusel et al. 2017, https://arxiv.org/abs/1706.08500
    """
    distance = tfgan.classifier_metrics().frechet_classifier_distance_from_activations(
        _float64(real_features), _float64(fake_features)
    )
    return max(0.0, float(distance))


def inception_score(logits, num_splits=IS_SPLITS):
    """IS: `exp(E_x KL(p(y|x) || p(y)))`, mean and std over `num_splits` splits.

    Each split is scored by TF-GAN's `classifier_score_from_logits`; splits
    as in Salimans et al.'s code (10 consecutive, equal parts).

    Args:
        logits: array `(N, num_classes)`.
        num_splits: number of splits. Defaults to `10`.

    Returns:
        `(mean, std)` floats; `std` is 0 for one split.

    Reference:
        Salimans et al. 2016, https://arxiv.org/abs/1606.03498
    """
    logits = np.asarray(logits)
    if len(logits) < num_splits:
        raise ZooError(f"inception_score needs at least {num_splits} samples, got {len(logits)}")
    score_fn = tfgan.classifier_metrics().classifier_score_from_logits
    scores = [float(score_fn(_float64(split))) for split in np.array_split(logits, num_splits)]
    return float(np.mean(scores)), float(np.std(scores))


def kernel_distance(real_features, fake_features, max_block_size=1024):
    """KID: unbiased squared MMD with the kernel `(x.y / D + 1)^3`, and its std error.

    TF-GAN's `kernel_classifier_distance_and_std_from_activations` (its block
    estimator; the standard error is `nan` when everything fits in one block).

    Args:
        real_features: array `(N1, D)`, in random order.
        fake_features: array `(N2, D)`, in random order.
        max_block_size: largest block of the estimator. Defaults to `1024`.

    Returns:
        `(kid, std)` floats; kid can be slightly negative (it is unbiased).

    Reference:
        Binkowski et al. 2018, https://arxiv.org/abs/1801.01401
    """
    with tfgan.quiet():
        kid, std = tfgan.classifier_metrics().kernel_classifier_distance_and_std_from_activations(
            _float64(real_features), _float64(fake_features), max_block_size=max_block_size
        )
    return float(kid), float(std)


def precision_recall(real_features, fake_features, k=PR_NEIGHBOURS, batch_size=1000):
    """Improved precision and recall of generative models.

    Each set's manifold is the union of balls around its points, each ball
    reaching the point's k-th nearest neighbour in the same set. Precision is
    the fraction of generated points inside the real manifold (quality);
    recall the fraction of real points inside the generated one (coverage).

    Args:
        real_features: array `(N1, D)`.
        fake_features: array `(N2, D)`.
        k: neighbourhood size. Defaults to `3` (the paper's choice).
        batch_size: rows of distances held at once (`batch_size * N` floats).

    Returns:
        `(precision, recall)` floats in [0, 1].

    Reference:
        Kynkaanniemi et al. 2019, https://arxiv.org/abs/1904.06991
    """
    real = np.asarray(real_features, np.float32)
    fake = np.asarray(fake_features, np.float32)
    if min(len(real), len(fake)) <= k:
        raise ZooError(f"precision/recall with k={k} needs more than {k} samples in each set")
    real_radii = _knn_radii(real, k, batch_size)
    fake_radii = _knn_radii(fake, k, batch_size)
    precision = _inside_manifold(fake, real, real_radii, batch_size).mean()
    recall = _inside_manifold(real, fake, fake_radii, batch_size).mean()
    return float(precision), float(recall)


def _squared_distances(rows, points):
    """`(len(rows), len(points))` squared Euclidean distances, clamped at 0."""
    squared = (
        np.sum(rows**2, axis=1, keepdims=True) - 2.0 * rows @ points.T + np.sum(points**2, axis=1)
    )
    return np.maximum(squared, 0.0)


def _knn_radii(points, k, batch_size):
    """Squared distance of each point to its k-th nearest other point."""
    radii = np.empty(len(points), np.float32)
    for start in range(0, len(points), batch_size):
        distances = _squared_distances(points[start : start + batch_size], points)
        # Column k, not k - 1: the point itself is its own nearest neighbour.
        radii[start : start + batch_size] = np.partition(distances, k, axis=1)[:, k]
    return radii


def _inside_manifold(queries, points, radii, batch_size):
    """Whether each query lies within the ball of at least one point."""
    inside = np.empty(len(queries), bool)
    for start in range(0, len(queries), batch_size):
        distances = _squared_distances(queries[start : start + batch_size], points)
        inside[start : start + batch_size] = np.any(distances <= radii, axis=1)
    return inside


def _float64(values):
    # TF-GAN's KID wants tensors (it reads `.shape`), and float64 keeps FID's
    # matrix square roots accurate.
    return tf.convert_to_tensor(np.asarray(values), tf.float64)


# ------------------------------------------------ class-conditional maths


def split_by_class(rows, labels, num_classes):
    """The rows of each class, in order: `[rows[labels == c] for c in range(num_classes)]`.

    Args:
        rows: array `(N, ...)`: features, logits, images.
        labels: int array `(N,)`; labels outside `[0, num_classes)` are dropped.
        num_classes: number of classes.

    Returns:
        list of `num_classes` arrays.
    """
    rows, labels = np.asarray(rows), np.asarray(labels)
    if len(rows) != len(labels):
        raise ZooError(f"{len(rows)} rows but {len(labels)} labels")
    return [rows[labels == c] for c in range(num_classes)]


def intra_class_fid(real_features, real_labels, fake_features, fake_labels, num_classes):
    """Intra-class FID: the FID of each class's samples against that class's real ones.

    Args:
        real_features: array `(N1, D)` of real examples.
        real_labels: their int labels `(N1,)`.
        fake_features: array `(N2, D)` of generated samples.
        fake_labels: the classes they were generated for `(N2,)`.
        num_classes: number of classes.

    Returns:
        `(mean, per_class)`: the mean over classes and a list of
        `num_classes` floats; a class with under 2 examples on either side
        (no covariance) is `nan`, and so is then the mean.

    Reference:
        Miyato & Koyama 2018 (cGANs with projection discriminator),
        https://arxiv.org/abs/1802.05637
    """
    real = split_by_class(real_features, real_labels, num_classes)
    fake = split_by_class(fake_features, fake_labels, num_classes)
    per_class = [
        frechet_distance(r, f) if min(len(r), len(f)) >= 2 else math.nan
        for r, f in zip(real, fake, strict=True)
    ]
    return float(np.mean(per_class)), per_class


def class_accuracy(logits, labels, num_classes):
    """The share of samples whose highest logit is their label, overall and per class.

    Args:
        logits: array `(N, num_classes)` of a classifier.
        labels: the classes the samples belong to (or were generated for).
        num_classes: number of classes.

    Returns:
        `(accuracy, per_class)`: a float and a list of `num_classes` floats
        (`nan` for a class without samples).
    """
    logits, labels = np.asarray(logits), np.asarray(labels)
    if logits.ndim != 2 or logits.shape[1] != num_classes:
        raise ZooError(f"class accuracy needs logits (N, {num_classes}), got {logits.shape}")
    correct = np.argmax(logits, axis=1) == labels
    per_class = [
        float(hits.mean()) if len(hits) else math.nan
        for hits in split_by_class(correct, labels, num_classes)
    ]
    return float(correct.mean()), per_class


def class_labels_of(num_samples, num_classes):
    """The classes of the first `num_samples` scored samples (`zoo.core.latents.class_labels`)."""
    return np.asarray(latents.class_labels(num_samples, num_classes), np.int32)


def conditional_sample_count(metric_names):
    """How many generated samples the class-conditional metrics use.

    Those of the largest FID protocol asked for, so intra-FID divides the
    main FID's samples over the classes; without one, all that are generated.
    """
    protocols = get_protocols(metric_names)
    counts = [p.num_samples for p in protocols if p.kind == "fid"]
    return max(counts or [p.num_samples for p in protocols])


def conditional_skips(num_classes, *, dataset, extractor, reference_labels):
    """Which class-conditional metrics cannot be scored here, and why.

    Intra-FID needs at least 2 real train examples of every class; class
    accuracy needs a classifier whose classes are the dataset's (the shipped
    Fashion-MNIST classifier on Fashion-MNIST, with a 10-class model).

    Args:
        num_classes: the model's number of classes.
        dataset: the dataset spec.
        extractor: the `extractors.Extractor` scoring the samples.
        reference_labels: labels of the real train split.

    Returns:
        dict: `"intra_fid"` / `"class_accuracy"` -> a one-line reason; a
        metric that is scored is absent.
    """
    skips = {}
    counts = np.bincount(np.asarray(reference_labels, np.int64), minlength=num_classes)
    missing = [c for c in range(num_classes) if counts[c] < 2]
    if missing:
        listed = ", ".join(str(c) for c in missing[:5]) + (", ..." if len(missing) > 5 else "")
        skips["intra_fid"] = (
            f"intra-class FID skipped: {dataset} has under 2 train images of class(es) "
            f"{listed} of the model's {num_classes}"
        )
    if extractor.name != extractors.DEFAULT_EXTRACTOR or dataset not in CLASSIFIER_DATASETS:
        skips["class_accuracy"] = (
            f"class accuracy skipped: {extractor.name}'s classes are not {dataset}'s "
            f"(it needs fashion_mnist_classifier on fashion_mnist)"
        )
    elif num_classes != extractor.num_classes:
        skips["class_accuracy"] = (
            f"class accuracy skipped: the model has {num_classes} classes, "
            f"{extractor.name} {extractor.num_classes}"
        )
    return skips


def score_conditional(
    fake, fake_labels, reference, reference_labels, num_classes, *, num_samples, skip=(),
    allow_fewer=False,
):  # fmt: skip
    """Intra-class FID and class accuracy of the first `num_samples` samples.

    Args:
        fake: `extractors.Activations` of the samples (generated, or the real
            test split for the floor).
        fake_labels: their classes `(N,)`.
        reference: `extractors.Activations` of the real train split.
        reference_labels: its labels.
        num_classes: number of classes.
        num_samples: samples scored (`conditional_sample_count`).
        skip: metrics not to score (keys of `conditional_skips`).
        allow_fewer: score with fewer samples (the real floor).

    Returns:
        dict with `intra_fid` (float), `intra_fid_per_class` (list),
        `class_accuracy`, `class_accuracy_per_class`, less the skipped ones.
    """
    if len(fake) < num_samples and not allow_fewer:
        raise ZooError(f"class-conditional metrics score {num_samples} samples, got {len(fake)}")
    sample = fake.take(num_samples)
    labels = np.asarray(fake_labels)[: len(sample)]
    results = {}
    if "intra_fid" not in skip:
        results["intra_fid"], results["intra_fid_per_class"] = intra_class_fid(
            reference.features, reference_labels, sample.features, labels, num_classes
        )
    if "class_accuracy" not in skip:
        results["class_accuracy"], results["class_accuracy_per_class"] = class_accuracy(
            sample.logits, labels, num_classes
        )
    return results
