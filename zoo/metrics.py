"""Sample-quality metrics named by protocol: activation extraction + TF-GAN's maths.

A protocol name fixes everything that changes a number: the metric, how many
generated samples (`fid10k` = 10,000), and what they are compared with (the
real train split, all of it). Registered protocols (`PROTOCOLS`):

    fid1k  fid10k  fid50k   Frechet distance of the pooled activations
                            (Heusel et al. 2017), lower is better
    is1k   is10k   is50k    classifier ("Inception") score over 10 splits,
                            mean and std (Salimans et al. 2016), higher is better
    kid1k  kid10k  kid50k   kernel distance, unbiased, with TF-GAN's block
                            estimate of its standard error (Binkowski et al. 2018)
    pr1k3  pr10k3  pr50k3   precision and recall with k=3 nearest-neighbour
                            manifolds (Kynkaanniemi et al. 2019)

The `1k` protocols are for quick looks during training: FID's bias grows as
the sample shrinks, so never compare a `1k` number with a `10k` one.

The maths of FID, IS and KID is TF-GAN's (`*_from_activations`, loaded by
`zoo.tfgan`); precision and recall, which TF-GAN lacks, are computed here.
The networks that turn images into activations live in `zoo.extractors`.
The real data's activations (and their mean and covariance) are computed
once per dataset, split, image shape and extractor and cached on disk
(`reference_activations`), with the examples' class labels (`labelled_reference`).

Class-conditional models get two more numbers (`score_conditional`), from the
same generated samples (sample `i` is of class `i % num_classes`):

    intra_fid        FID of each class's samples against the real train
                     images of that class, and its mean over classes (Miyato
                     & Koyama 2018); lower is better. The samples are those of
                     the largest FID protocol asked for, divided over the
                     classes (`fid10k`: 1,000 per class for 10 classes).
    class_accuracy   share of samples that the classifier assigns (argmax of
                     its logits) to the class they were made for; only where
                     the classifier's classes are the dataset's (the shipped
                     Fashion-MNIST classifier on Fashion-MNIST).
"""

import dataclasses
import hashlib
import json
import math
import os
import pathlib
import re

import keras
import numpy as np
import tensorflow as tf

from zoo import callbacks, data, extractors, latents, tfgan
from zoo.cache import CACHE_ENV as CACHE_ENV  # re-exported: older code and tests read it here
from zoo.cache import cache_dir
from zoo.errors import ZooError

# Bump when the cached file's content changes meaning; old files are then ignored.
# 2: a folder's "train" split no longer holds its held-out test images.
# 3: the file holds the examples' class labels and the class names too.
CACHE_VERSION = 3
IS_SPLITS = 10
PR_NEIGHBOURS = 3
# Seed of the order in which real examples are read: KID's block estimator
# assumes random order (TF-GAN's note), and pr*k3 takes the first examples.
REFERENCE_SHUFFLE_SEED = 0
# Result names of the class-conditional metrics (`score_conditional`).
CONDITIONAL_RESULT_NAMES = (
    "intra_fid", "intra_fid_per_class", "class_accuracy", "class_accuracy_per_class",
)  # fmt: skip
# Dataset specs whose labels are those the shipped classifier was trained on.
CLASSIFIER_DATASETS = ("fashion_mnist", "tfds:fashion_mnist")


# ------------------------------------------------------------- protocols


@dataclasses.dataclass(frozen=True)
class Protocol:
    """A metric with its sample count.

    Attributes:
        name: registered name, e.g. `fid10k`.
        kind: `"fid"`, `"is"`, `"kid"` or `"pr"`.
        num_samples: generated samples scored.
    """

    name: str
    kind: str
    num_samples: int

    @property
    def result_names(self):
        """Keys this protocol adds to a result dict."""
        return {
            "fid": (self.name,),
            "is": (self.name, f"{self.name}_std"),
            "kid": (self.name, f"{self.name}_std"),
            "pr": (f"{self.name}_precision", f"{self.name}_recall"),
        }[self.kind]


def _register():
    protocols = {}
    for count, suffix in ((1_000, "1k"), (10_000, "10k"), (50_000, "50k")):
        for kind in ("fid", "is", "kid"):
            protocols[f"{kind}{suffix}"] = Protocol(f"{kind}{suffix}", kind, count)
        name = f"pr{suffix}{PR_NEIGHBOURS}"
        protocols[name] = Protocol(name, "pr", count)
    return protocols


PROTOCOLS = _register()
DEFAULT_METRICS = ("fid10k", "is10k", "kid10k")


def get_protocols(metric_names):
    """Parses `"fid10k,is10k"` (or a list of names or `Protocol`s) into `Protocol`s.

    Raises:
        ZooError: for an unknown or repeated name.
    """
    if isinstance(metric_names, str):
        metric_names = [n.strip() for n in metric_names.split(",") if n.strip()]
    protocols = []
    for name in metric_names:
        if isinstance(name, Protocol):
            name = name.name
        if name not in PROTOCOLS:
            raise ZooError(f"unknown metric {name!r}; valid: {', '.join(PROTOCOLS)}")
        if PROTOCOLS[name] in protocols:
            raise ZooError(f"metric {name!r} is asked for twice")
        protocols.append(PROTOCOLS[name])
    return protocols


# ----------------------------------------------------------- the maths


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
    """The classes of the first `num_samples` scored samples (`zoo.latents.class_labels`)."""
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


# ------------------------------------------------------------- scoring


def score(metric_names, fake, reference, allow_fewer=False):
    """Scores activations of generated images against the real reference.

    Args:
        metric_names: protocol names (`"fid10k,is10k"` or a list).
        fake: `extractors.Activations` of at least the largest protocol's
            count of generated samples; each protocol takes the first ones.
        reference: `extractors.Activations` of the real train split.
        allow_fewer: score with fewer samples than a protocol asks for (the
            real-data floor: the test split has only so many images).

    Returns:
        dict: result name -> float (`PROTOCOLS` lists what each adds).
    """
    results = {}
    for protocol in get_protocols(metric_names):
        if len(fake) < protocol.num_samples and not allow_fewer:
            raise ZooError(
                f"{protocol.name} scores {protocol.num_samples} samples, got {len(fake)}"
            )
        sample = fake.take(protocol.num_samples)
        if protocol.kind == "fid":
            results[protocol.name] = frechet_distance(reference.features, sample.features)
        elif protocol.kind == "is":
            results[protocol.name], results[f"{protocol.name}_std"] = inception_score(sample.logits)
        elif protocol.kind == "kid":
            kid, std = kernel_distance(reference.features, sample.features)
            results[protocol.name], results[f"{protocol.name}_std"] = kid, std
        else:
            # As many real points as generated ones: the manifolds' radii
            # shrink as a set grows, so unequal sizes would bias the two sides.
            real = reference.features[: len(sample)]
            precision, recall = precision_recall(real, sample.features)
            results[f"{protocol.name}_precision"] = precision
            results[f"{protocol.name}_recall"] = recall
    return results


_BETTER = {"fid": "lower", "is": "higher", "kid": "lower", "pr": "higher"}


def format_table(metric_names, results, floor=None, num_test=None, num_train=None):
    """A plain-text table: one row per number, the model beside the real floor.

    Args:
        metric_names: the protocols scored.
        results: the model's results (`score`).
        floor: the real test split's results (`real_data_floor`), or `None`.
        num_test: test images in the floor.
        num_train: train images in the reference.
    """
    floor = floor or {}

    def cell(values, key):
        if key not in values:
            return "-"
        text = f"{values[key]:.4g}"
        std = values.get(f"{key}_std")
        return text + (f" +- {std:.2g}" if std is not None and math.isfinite(std) else "")

    rows = [("metric", "model", "real floor", "better")]
    for protocol in get_protocols(metric_names):
        keys = protocol.result_names if protocol.kind == "pr" else protocol.result_names[:1]
        rows += [
            (key, cell(results, key), cell(floor, key), _BETTER[protocol.kind]) for key in keys
        ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if floor and num_test:
        lines.append(
            f"real floor: {num_test:,} test images scored as if generated, against the "
            f"{num_train:,} train images (what a perfect generator would get)"
        )
    return "\n".join(lines)


def format_class_table(results, floor=None, class_names=(), notes=(), num_samples=None):
    """A plain-text table of the class-conditional metrics: one row per class, then the mean.

    Args:
        results: the model's results, with `intra_fid_per_class` and/or
            `class_accuracy_per_class` (`score_conditional`).
        floor: the real test split's (`real_data_floor`), or `None`.
        class_names: a name per class; missing ones are numbered.
        notes: lines printed under the table (what was skipped, and why).
        num_samples: the generated samples the metrics used.
    """
    floor = floor or {}
    columns = [name for name in ("intra_fid", "class_accuracy") if name in results]
    per_class = [results[f"{name}_per_class"] for name in columns]
    num_classes = len(per_class[0]) if per_class else 0

    def cell(values, key, index=None):
        if key not in values:
            return "-"
        value = values[key] if index is None else values[f"{key}_per_class"][index]
        return f"{value:.4g}"

    header = ["class"]
    for name in columns:
        header += [name, "real floor"]
    rows = [tuple(header)]
    for c in range(num_classes):
        name = class_names[c] if c < len(class_names) else ""
        row = [f"{c} {name}".rstrip()]
        for key in columns:
            row += [cell(results, key, c), cell(floor, key, c)]
        rows.append(tuple(row))
    if columns:
        mean = ["mean"]
        for key in columns:
            mean += [cell(results, key), cell(floor, key)]
        rows.append(tuple(mean))
    lines = []
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
    if columns:
        count = ""
        if num_samples:
            per = num_samples / num_classes
            count = f"{num_samples // num_classes:,}" if per.is_integer() else f"about {per:,.0f}"
            count = f"{count} (of {num_samples:,}) "
        described = {
            "intra_fid": f"intra_fid: FID of each class's {count}samples against the real train "
            f"images of that class (lower is better)",
            "class_accuracy": "class_accuracy: share of the samples that the classifier assigns "
            "to their class (higher is better)",
        }
        lines += [described[key] for key in columns]
        if floor:
            lines.append("real floor: the test images of each class, by their real labels")
    return "\n".join([*lines, *notes])


def generated_batches(model, num_samples, batch_size, seed=0, truncation_psi=None):
    """Yields `num_samples` generated images in batches, a pure function of `seed`.

    The samples are those of `model.generate(num_samples, seed=seed)`: the
    latents `zoo.latents.seeded_latents(seed, num_samples, latent_dim)` and,
    for conditional models, the classes in turn (`zoo.latents.class_labels`),
    so every class is equally represented. A longer draw extends a shorter
    one, so `evaluate.py`'s grid shows the first samples scored.

    Args:
        model: a zoo GAN.
        num_samples: how many samples in all.
        batch_size: samples per yielded batch; the last one may be smaller.
        seed: int seed of the latents. Defaults to 0.
        truncation_psi: for families with the truncation trick; `None`
            samples without it.

    Yields:
        numpy float32 `(count, *image_shape)` in [-1, 1].
    """
    # One draw, sliced into batches: the seeded stream has no offset to start
    # a batch at (50k latents of 512 floats are 100 MB).
    z = latents.seeded_latents(seed, num_samples, model.latent_dim)
    labels = latents.class_labels(num_samples, model.num_classes) if model.conditional else None
    options = {} if truncation_psi is None else {"truncation_psi": truncation_psi}
    for start in range(0, num_samples, batch_size):
        stop = min(start + batch_size, num_samples)
        batch_labels = None if labels is None else labels[start:stop]
        yield model.generate(latents=z[start:stop], labels=batch_labels, **options)


def generated_activations(model, num_samples, extractor, seed=0, truncation_psi=None):
    """Streams `num_samples` generated images through the extractor."""
    _check_images(model.image_shape)
    batches = generated_batches(model, num_samples, extractor.batch_size, seed, truncation_psi)
    return extractor.extract(batches, num_samples)


def evaluate_model(
    model, metric_names=DEFAULT_METRICS, *, dataset="fashion_mnist", data_dir=None,
    extractor=None, seed=0, reference=None, reference_labels=None, conditional_metrics=False,
    truncation_psi=None,
):  # fmt: skip
    """Scores a GAN's samples against the real train split.

    With `conditional_metrics` a class-conditional model also gets
    intra-class FID and class accuracy (`score_conditional`), from the same
    generated activations (sample `i` is of class `i % num_classes`): one
    generation serves both.

    Args:
        model: a `GAN` of the zoo (anything with `generate`, `latent_dim`,
            `image_shape`, `conditional`, `num_classes`).
        metric_names: protocol names. Defaults to `fid10k,is10k,kid10k`.
        dataset: the dataset spec the model learned (`zoo.data`).
        data_dir: its data folder, if not the default.
        extractor: an `extractors.Extractor`. Defaults to the shipped
            Fashion-MNIST classifier.
        seed: seed of the latents.
        reference: activations of the train split, if already loaded.
        reference_labels: its labels; needed with `reference` for the
            class-conditional metrics.
        conditional_metrics: add the class-conditional metrics for a
            conditional model (ignored for others). Defaults to `False`:
            training's `MetricsCallback` logs scalars only.
        truncation_psi: sample with the truncation trick (StyleGAN); `None`
            samples without it.

    Returns:
        dict: result name -> float; the conditional metrics add lists too
        (`CONDITIONAL_RESULT_NAMES`), less those `conditional_skips` names.

    Example:
        >>> evaluate_model(gan, "fid10k,kid10k")
        {'fid10k': 15.1, 'kid10k': 0.148, 'kid10k_std': 0.0016}
    """
    protocols = get_protocols(metric_names)
    if not protocols:
        return {}
    extractor = extractor or extractors.get_extractor()
    conditional = conditional_metrics and model.conditional
    if reference is None:
        real = labelled_reference(dataset, "train", model.image_shape, extractor, data_dir)
        reference, reference_labels = real.activations, real.labels
    elif conditional and reference_labels is None:
        raise ZooError("the class-conditional metrics need reference_labels with reference")
    count = max(p.num_samples for p in protocols)
    fake = generated_activations(model, count, extractor, seed, truncation_psi)
    results = score(protocols, fake, reference)
    if conditional:
        skips = conditional_skips(
            model.num_classes, dataset=dataset, extractor=extractor,
            reference_labels=reference_labels,
        )  # fmt: skip
        results.update(score_conditional(
            fake, class_labels_of(count, model.num_classes), reference, reference_labels,
            model.num_classes, num_samples=conditional_sample_count(protocols), skip=skips,
        ))  # fmt: skip
    return results


def real_data_floor(
    metric_names, *, dataset, image_shape, extractor, data_dir=None, reference=None,
    reference_labels=None, num_classes=0,
):  # fmt: skip
    """The metrics of the real test split scored as if it were generated.

    A perfect generator would score about this with the same protocol, so it
    is the yardstick for a model's numbers (FID and KID are not 0 on finite
    samples, IS is not the number of classes).
    The test split has only so many images (10,000 for Fashion-MNIST): a
    `50k` protocol's floor is computed with all of them.

    With `num_classes` (a conditional model's), the class-conditional
    metrics too, each test image taken as generated for its real label:
    intra-FID of the test images of each class against the train images of
    that class, and the classifier's accuracy on the test images.

    Returns:
        `(results, num_test)`: result name -> float (lists for the per-class
        results), and the test images used.
    """
    if reference is None or (num_classes and reference_labels is None):
        real = labelled_reference(dataset, "train", image_shape, extractor, data_dir)
        reference, reference_labels = real.activations, real.labels
    test = labelled_reference(dataset, "test", image_shape, extractor, data_dir)
    results = score(metric_names, test.activations, reference, allow_fewer=True)
    if num_classes:
        skips = conditional_skips(
            num_classes, dataset=dataset, extractor=extractor, reference_labels=reference_labels
        )
        results.update(score_conditional(
            test.activations, test.labels, reference, reference_labels, num_classes,
            num_samples=conditional_sample_count(metric_names), skip=skips, allow_fewer=True,
        ))  # fmt: skip
    return results, len(test.activations)


def _check_images(image_shape):
    if len(image_shape) != 3:
        raise ZooError(
            f"FID/IS/KID score images, and this model makes samples of shape {tuple(image_shape)}; "
            f"for 2-D mixtures count modes instead (zoo.modes)"
        )


# --------------------------------------------------- reference statistics


def reference_key(dataset, split, image_shape, extractor, data_dir=None):
    """What identifies a set of reference statistics (a JSON-able dict).

    The extractor's weights enter by the sha256 of their content, so a
    retrained classifier never meets statistics of the old one; the data's
    location enters too, so a test's fake Fashion-MNIST never meets the real.
    """
    return {
        "version": CACHE_VERSION,
        "dataset": dataset,
        "split": split,
        "image_shape": [int(d) for d in image_shape],
        "extractor": extractor.name,
        "weights_sha256": extractor.weights_sha256,
        "data_source": _data_source(dataset, data_dir),
    }


def reference_path(key):
    """The cache file of a `reference_key`."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    dataset = re.sub(r"[^A-Za-z0-9_]+", "_", key["dataset"]).strip("_")[:40]
    shape = "x".join(str(d) for d in key["image_shape"])
    weights = (key["weights_sha256"] or "random")[:12]
    name = f"{dataset}-{key['split']}-{shape}-{key['extractor']}-{weights}-{digest[:12]}.npz"
    return cache_dir() / "reference" / name


@dataclasses.dataclass(frozen=True)
class LabelledReference:
    """A real split's activations with the examples' class labels.

    Attributes:
        activations: `extractors.Activations`, in the (seeded, shuffled)
            order the examples were read.
        labels: int32 `(N,)`: the label of each example (0 where the
            dataset has none).
        class_names: the name of each label, when the dataset knows them.
    """

    activations: extractors.Activations
    labels: np.ndarray
    class_names: tuple = ()


def reference_activations(dataset, split, image_shape, extractor, data_dir=None):
    """Activations of a real split, computed once and cached on disk.

    The cache file (`reference_path`) holds the activations (which KID and
    precision/recall need), their mean and covariance (FID's statistics, for
    other tools), the examples' labels and class names (`labelled_reference`)
    and the key they were made with. An extractor without a weights file
    (random weights) is never cached.

    Args:
        dataset: dataset spec (`zoo.data`).
        split: `"train"` or `"test"`.
        image_shape: `(H, W, C)` of the images the model makes; the real
            images are read at that size.
        extractor: an `extractors.Extractor`.
        data_dir: the dataset's folder, if not the default.

    Returns:
        `extractors.Activations` of every image of the split.
    """
    return labelled_reference(dataset, split, image_shape, extractor, data_dir).activations


def labelled_reference(dataset, split, image_shape, extractor, data_dir=None):
    """Activations of a real split with its labels (`LabelledReference`), cached on disk.

    The same cache file as `reference_activations`: one file serves the
    whole-split statistics and the per-class ones of intra-class FID.
    """
    _check_images(image_shape)
    key = reference_key(dataset, split, image_shape, extractor, data_dir)
    path = reference_path(key)
    if extractor.weights_sha256 is not None and path.exists():
        cached = _read_reference(path, key)
        if cached is not None:
            return cached
    reference = _compute_reference(dataset, split, image_shape, extractor, data_dir)
    if extractor.weights_sha256 is not None:
        _write_reference(path, key, reference)
    return reference


def reference_statistics(path):
    """`(mean, covariance)` float64 of a cached reference file."""
    with np.load(path) as stored:
        return stored["mean"], stored["covariance"]


def _compute_reference(dataset, split, image_shape, extractor, data_dir):
    height, width, channels = image_shape
    if height != width:
        raise ZooError(f"reference images are square; the model makes {height}x{width}")
    examples, info = data.load_dataset(
        dataset, batch_size=1, split=split, image_size=height, seed=REFERENCE_SHUFFLE_SEED,
        shuffle=True, repeat=False, data_dir=data_dir, channels=channels,
    )  # fmt: skip
    if tuple(info.sample_shape) != tuple(image_shape):
        raise ZooError(
            f"{dataset} {split} has images {tuple(info.sample_shape)}, the model makes "
            f"{tuple(image_shape)}; score against the dataset the model was trained on"
        )
    batches = examples.unbatch().batch(extractor.batch_size)
    print(f"computing reference activations of {dataset} {split} with {extractor.name} "
          f"(once; cached)", flush=True)  # fmt: skip
    labels = []

    def images():
        # The labels ride along with the images the extractor streams.
        for batch_images, batch_labels in batches:
            labels.append(batch_labels.numpy())
            yield batch_images.numpy()

    activations = extractor.extract(images(), info.size)
    return LabelledReference(
        activations,
        np.concatenate(labels).astype(np.int32),
        tuple(getattr(info, "class_names", ()) or ()),
    )


def _write_reference(path, key, reference):
    path.parent.mkdir(parents=True, exist_ok=True)
    activations = reference.activations
    features = activations.features.astype(np.float64)
    temporary = path.with_name(f".{path.stem}.tmp.npz")
    np.savez(
        temporary,
        key=json.dumps(key, sort_keys=True),
        features=activations.features,
        logits=activations.logits,
        mean=features.mean(axis=0),
        covariance=np.cov(features, rowvar=False),
        labels=reference.labels,
        class_names=json.dumps(list(reference.class_names)),
    )
    os.replace(temporary, path)


def _read_reference(path, key):
    """The cached `LabelledReference`, or `None` if the file is unreadable or stale."""
    try:
        with np.load(path) as stored:
            if json.loads(str(stored["key"])) != key:
                return None
            return LabelledReference(
                extractors.Activations(stored["features"], stored["logits"]),
                stored["labels"],
                tuple(json.loads(str(stored["class_names"]))),
            )
    except (OSError, ValueError, KeyError):
        return None


def _data_source(dataset, data_dir):
    if dataset == "fashion_mnist":
        return str(data.fashion_mnist_dir(data_dir).resolve())
    if dataset.startswith("folder:"):
        return str(pathlib.Path(dataset[len("folder:") :]).resolve())
    return str(data_dir) if data_dir else None


# ------------------------------------------------------------- training


class MetricsCallback(keras.callbacks.Callback):
    """Every `every` steps, scores the model's samples and logs them to TensorBoard.

    The same latents (from `seed`) are scored each time, so the curve shows
    the model changing, not the sampling noise. The real reference is loaded
    once (from the cache after the first run).

    Args:
        every: steps between evaluations.
        metric_names: protocol names, e.g. `"fid10k,kid10k"`.
        writer: a `tf.summary` writer, or `None` (results stay in `history`).
        dataset: the training dataset spec. Defaults to `"fashion_mnist"`.
        data_dir: its folder, if not the default.
        extractor: an `extractors.Extractor`. Defaults to the shipped classifier.
        seed: seed of the scored latents. Defaults to `0`.

    Example:
        >>> writer = tf.summary.create_file_writer("runs/dcgan/logs")
        >>> model.fit(..., callbacks=[MetricsCallback(1000, "fid10k,is10k", writer)])
    """

    def __init__(
        self, every, metric_names, writer, *, dataset="fashion_mnist", data_dir=None,
        extractor=None, seed=0,
    ):  # fmt: skip
        super().__init__()
        if int(every) != every or every < 1:
            raise ZooError(f"every must be a positive integer, got {every!r}")
        self.every = int(every)
        self.protocols = get_protocols(metric_names)
        self.writer = writer
        self.dataset = dataset
        self.data_dir = data_dir
        self.extractor = extractor
        self.seed = seed
        self.history = []  # (step, results) of each evaluation
        self._reference = None

    def on_train_begin(self, logs=None):
        # Fail (or compute the cached reference) before training, not at the
        # first evaluation minutes into the run.
        self._prepare()

    def _prepare(self):
        _check_images(self.model.image_shape)
        if self._reference is None:
            self.extractor = self.extractor or extractors.get_extractor()
            self._reference = reference_activations(
                self.dataset, "train", self.model.image_shape, self.extractor, self.data_dir
            )

    def evaluate(self, step):
        """Scores the model now and logs the results under `metrics/<name>`."""
        self._prepare()
        results = evaluate_model(
            self.model, self.protocols, extractor=self.extractor, seed=self.seed,
            reference=self._reference,
        )  # fmt: skip
        if self.writer is not None:
            with self.writer.as_default():
                for name, value in results.items():
                    if math.isfinite(value):
                        tf.summary.scalar(f"metrics/{name}", value, step=step)
            self.writer.flush()
        self.history.append((step, results))
        print(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in results.items()), flush=True)
        return results

    def on_train_batch_end(self, batch, logs=None):
        # The generator optimizer's iterations: the step count of every callback.
        step = callbacks.training_step(self.model)
        if step % self.every == 0 and not self.model.stop_training:
            self.evaluate(step)
