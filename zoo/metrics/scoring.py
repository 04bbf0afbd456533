"""Scoring a model: generating samples, running them through an extractor, the tables."""

import contextlib
import math

import numpy as np

from zoo import data
from zoo.core import latents
from zoo.core.cache import CACHE_ENV as CACHE_ENV  # re-exported: older code and tests read it here
from zoo.core.errors import ZooError
from zoo.metrics import extractors
from zoo.metrics.maths import (
    class_labels_of,
    conditional_sample_count,
    conditional_skips,
    frechet_distance,
    inception_score,
    kernel_distance,
    precision_recall,
    score_conditional,
)
from zoo.metrics.protocols import DEFAULT_METRICS, KID_ORDER_SEED, get_protocols
from zoo.metrics.reference import check_image_shape, labelled_reference, reference_order


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
            kid, std = kernel_distance(reference.features, in_random_order(sample.features))
            results[protocol.name], results[f"{protocol.name}_std"] = kid, std
        else:
            # As many real points as generated ones: the manifolds' radii
            # shrink as a set grows, so unequal sizes would bias the two sides.
            real = reference.features[: len(sample)]
            precision, recall = precision_recall(real, sample.features)
            results[f"{protocol.name}_precision"] = precision
            results[f"{protocol.name}_recall"] = recall
    return results


def in_random_order(features):
    """`features`' rows in a fixed random order (seed `KID_ORDER_SEED`).

    KID's block estimator needs each block to be a random draw. A class-conditional
    model's samples come in class order (sample `i` of class `i % num_classes`), so
    each block held its classes in exact turn; pairs within a block then share a
    class less often than random pairs do, which biased KID below zero
    (`sagan_fashion_mnist`: kid10k -0.0074 in class order, 0.0040 in random order).
    """
    return features[np.random.default_rng(KID_ORDER_SEED).permutation(len(features))]


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
            f"real floor: the test images (as many as each protocol takes, at most "
            f"{num_test:,}) scored as if generated, against the {num_train:,} train images (what "
            f"a perfect generator would get)"
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


def generated_batches(model, num_samples, batch_size, seed=0, truncation_psi=None,
                      noise_mode=None):  # fmt: skip
    """Yields `num_samples` generated images in batches, a pure function of `seed`.

    The samples are those of `model.generate(num_samples, seed=seed)`: the
    latents `zoo.core.latents.seeded_latents(seed, num_samples, latent_dim)` and,
    for conditional models, the classes in turn (`zoo.core.latents.class_labels`),
    so every class is equally represented. A longer draw extends a shorter
    one, so `evaluate.py`'s grid shows the first samples scored.

    Args:
        model: a zoo GAN.
        num_samples: how many samples in all.
        batch_size: samples per yielded batch; the last one may be smaller.
        seed: int seed of the latents. Defaults to 0.
        truncation_psi: for families with the truncation trick; `None`
            samples without it.
        noise_mode: for families with noise inputs (`capabilities.noise_inputs`):
            `"const"` or `"random"` (`StyleGAN.sampling_noise`); `None` samples
            as `generate` does (const).

    Yields:
        numpy float32 `(count, *image_shape)` in [-1, 1].
    """
    # One draw, sliced into batches: the seeded stream has no offset to start
    # a batch at (50k latents of 512 floats are 100 MB).
    z = latents.seeded_latents(seed, num_samples, model.latent_dim)
    labels = latents.class_labels(num_samples, model.num_classes) if model.conditional else None
    options = {} if truncation_psi is None else {"truncation_psi": truncation_psi}
    with _sampling_noise(model, noise_mode, seed):
        for start in range(0, num_samples, batch_size):
            stop = min(start + batch_size, num_samples)
            batch_labels = None if labels is None else labels[start:stop]
            yield model.generate(latents=z[start:stop], labels=batch_labels, **options)


def _sampling_noise(model, noise_mode, seed):
    """The block in which `model` samples its noise inputs by `noise_mode`.

    Raises:
        ZooError: a noise mode for a family without noise inputs.
    """
    if noise_mode is None:
        return contextlib.nullcontext()
    if not model.capabilities.noise_inputs:
        raise ZooError(
            f"{type(model).__name__} has no noise inputs; drop noise_mode (StyleGAN has them)"
        )
    return model.sampling_noise(noise_mode, seed)


def generated_activations(model, num_samples, extractor, seed=0, truncation_psi=None,
                          noise_mode=None):  # fmt: skip
    """Streams `num_samples` generated images through the extractor."""
    check_image_shape(model.image_shape)
    batches = generated_batches(
        model, num_samples, extractor.batch_size, seed, truncation_psi, noise_mode
    )
    return extractor.extract(batches, num_samples)


def evaluate_model(
    model, metric_names=DEFAULT_METRICS, *, dataset="fashion_mnist", data_dir=None,
    extractor=None, seed=0, reference=None, reference_labels=None, conditional_metrics=False,
    truncation_psi=None, noise_mode=None,
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
        noise_mode: how a family with noise inputs draws them (`generated_batches`).

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
    fake = generated_activations(model, count, extractor, seed, truncation_psi, noise_mode)
    results = score(protocols, fake, reference)
    if conditional:
        results.update(
            _conditional_results(model.num_classes, protocols, fake, reference, reference_labels,
                                 dataset, extractor)
        )  # fmt: skip
    return results


def _conditional_results(num_classes, protocols, fake, reference, reference_labels, dataset,
                         extractor):  # fmt: skip
    """Intra-class FID and class accuracy of generated activations (sample `i` of class
    `i % num_classes`)."""
    skips = conditional_skips(
        num_classes, dataset=dataset, extractor=extractor, reference_labels=reference_labels
    )
    return score_conditional(
        fake, class_labels_of(len(fake), num_classes), reference, reference_labels, num_classes,
        num_samples=conditional_sample_count(protocols), skip=skips,
    )  # fmt: skip


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


def copying_floor(
    metric_names, *, dataset, image_shape, extractor, train_images, subset_seed=0, data_dir=None
):
    """The metrics of a generator that only copies the `train_images` examples a
    `--train_images` run trains on (`data.subset`, chosen by `subset_seed`): those images
    repeated up to each protocol's count, scored against the whole train split.

    On a small subset, a low FID may come from memorising it; this says how low copying
    alone gets. It needs no extraction: the subset's rows are in the cached reference.

    Returns:
        dict: result name -> float.
    """
    reference = labelled_reference(dataset, "train", image_shape, extractor, data_dir).activations
    examples = data.subset_indices(len(reference), train_images, subset_seed)
    # Row i of the reference is example reference_order(N)[i]: invert that order.
    rows = np.argsort(reference_order(len(reference)))[examples]
    count = max(protocol.num_samples for protocol in get_protocols(metric_names))
    copies = np.resize(rows, count)  # repeats the subset in turn
    fake = extractors.Activations(reference.features[copies], reference.logits[copies])
    return score(metric_names, fake, reference)
