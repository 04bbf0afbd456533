"""The real data's activations, computed once per dataset, split, shape and extractor; cached."""

import dataclasses
import hashlib
import json
import os
import pathlib
import re

import numpy as np

from zoo import data
from zoo.core.cache import CACHE_ENV as CACHE_ENV  # re-exported: older code and tests read it here
from zoo.core.cache import cache_dir
from zoo.core.errors import ZooError
from zoo.metrics import extractors
from zoo.metrics.protocols import CACHE_VERSION, REFERENCE_SHUFFLE_SEED


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
    check_image_shape(image_shape)
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


def reference_examples(dataset, split, image_shape, data_dir=None):
    """`(examples, info)`: a real split's `(image, label)` batches of one, in the
    split's own order; row `i` of the reference activations is example
    `reference_order(info.size)[i]`.

    Raises:
        ZooError: images that are not square.
    """
    height, width, channels = image_shape
    if height != width:
        raise ZooError(f"reference images are square; the model makes {height}x{width}")
    return data.load_dataset(
        dataset, batch_size=1, split=split, image_size=height, seed=REFERENCE_SHUFFLE_SEED,
        shuffle=False, repeat=False, data_dir=data_dir, channels=channels,
    )  # fmt: skip


def reference_order(count):
    """The reference's row order: a permutation of a split's `count` examples that
    depends on `REFERENCE_SHUFFLE_SEED` alone. (A seeded tf.data shuffle also
    depends on the process's global seed, so the cache's order, which KID's blocks
    and precision/recall's first examples depend on, followed whichever command
    computed it first.)"""
    return np.random.default_rng(REFERENCE_SHUFFLE_SEED).permutation(count)


def _compute_reference(dataset, split, image_shape, extractor, data_dir):
    examples, info = reference_examples(dataset, split, image_shape, data_dir)
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
    order = reference_order(len(activations))
    return LabelledReference(
        extractors.Activations(activations.features[order], activations.logits[order]),
        np.concatenate(labels).astype(np.int32)[order],
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


def check_image_shape(image_shape):
    """Refuses to score samples that are not images (2-D points), in one line."""
    if len(image_shape) != 3:
        raise ZooError(
            f"FID/IS/KID score images, and this model makes samples of shape {tuple(image_shape)}; "
            f"for 2-D mixtures count modes instead (zoo.metrics.modes)"
        )
