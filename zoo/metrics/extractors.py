"""Feature extractors: images in [-1, 1] -> pooled activations and class logits.

Every metric of `zoo.metrics` reads what one of these networks sees in an
image, never the pixels. Two extractors share one interface, `Extractor`:

- `fashion_mnist_classifier` (the default): the small convnet shipped in
  `zoo/metrics/classifier/`, trained by `make classifier` (scripts/train_classifier.py)
  on the Fashion-MNIST train split. Its 128 pooled activations are the input of
  the last (logits) layer. This is how TF-GAN's MNIST example scores GANs: a
  classifier of the domain, not ImageNet's Inception, which has never seen a
  sneaker drawn at 28x28 in grayscale.
- `inception`: Inception-v3 as in the FID and IS papers (Heusel et al. 2017,
  Salimans et al. 2016): images resized to 299x299 (bilinear, as TF-GAN
  does), grayscale tiled to RGB, 2048 pooled activations (`pool_3`) and the
  classifier's logits. Its weights come from a flag: a TF-Hub handle (the
  standard numbers use TF-GAN's https://tfhub.dev/tensorflow/tfgan/eval/inception/1,
  or a local copy of it) or a Keras `.h5` weights file of
  `keras.applications.InceptionV3`; without weights it is built with random
  weights, which only tests use.

An extractor's `weights_sha256` names its weights file's content, so cached
statistics of the real data (`zoo.metrics.reference_activations`) are never
mixed with those of another network; `None` (random weights) is never cached.
"""

import contextlib
import dataclasses
import functools
import hashlib
import json
import pathlib

import keras
import numpy as np
import tensorflow as tf

from zoo.core.errors import ZooError

CLASSIFIER_DIR = pathlib.Path(__file__).resolve().parent / "classifier"
CLASSIFIER_FILE = CLASSIFIER_DIR / "fashion_mnist_classifier.keras"
CLASSIFIER_INFO_FILE = CLASSIFIER_DIR / "fashion_mnist_classifier.json"
# Names of the classifier's layers that the extractor reads.
FEATURES_LAYER = "features"
LOGITS_LAYER = "logits"

DEFAULT_EXTRACTOR = "fashion_mnist_classifier"
EXTRACTORS = ("fashion_mnist_classifier", "inception")
INCEPTION_TFHUB = "https://tfhub.dev/tensorflow/tfgan/eval/inception/1"
INCEPTION_SIZE = 299


@dataclasses.dataclass(frozen=True)
class Activations:
    """What an extractor saw in a set of images.

    Attributes:
        features: float32 `(N, feature_dim)` pooled activations (FID, KID,
            precision and recall).
        logits: float32 `(N, num_classes)` class logits (IS).
    """

    features: np.ndarray
    logits: np.ndarray

    def __len__(self):
        return len(self.features)

    def take(self, count):
        """The first `count` examples."""
        return Activations(self.features[:count], self.logits[:count])


class Extractor:
    """Runs a classifier on images in [-1, 1], batch by batch.

    Subclasses set the attributes and implement `preprocess` and `run`.

    Attributes:
        name: registered name (`EXTRACTORS`), part of the cache key.
        feature_dim: size of the pooled activations.
        num_classes: number of logits.
        batch_size: images per forward pass; bounds the memory of `extract`.
        weights_sha256: sha256 of the weights' content; `None` for random
            weights (statistics are then never cached).
    """

    name = None
    feature_dim = None
    num_classes = None
    batch_size = 500
    weights_sha256 = None

    def preprocess(self, images):
        """Brings images `(B, H, W, C)` in [-1, 1] to the network's input."""
        raise NotImplementedError

    def run(self, inputs):
        """Returns `(features, logits)` tensors of preprocessed inputs."""
        raise NotImplementedError

    def __call__(self, images):
        """Returns `(features, logits)` float32 numpy arrays of one batch."""
        images = tf.convert_to_tensor(images, tf.float32)
        if images.shape.rank != 4:
            raise ZooError(
                f"{self.name} takes images (batch, height, width, channels), "
                f"got shape {tuple(images.shape)}"
            )
        features, logits = self._run(self.preprocess(images))
        return features.numpy(), logits.numpy()

    @functools.cached_property
    def _run(self):
        # One trace per batch shape: the full batches and the last partial one.
        return tf.function(self.run, reduce_retracing=True)

    def extract(self, batches, num_samples=None):
        """Streams batches of images through the network.

        Memory stays bounded by one batch plus the output: the features and
        logits are written into arrays allocated once when `num_samples` is
        known, so 50k samples never sit in memory as images.

        Args:
            batches: an iterable of image batches `(B, H, W, C)` in [-1, 1].
            num_samples: how many images the batches hold in all; `None`
                collects the batches' outputs and joins them at the end.

        Returns:
            `Activations` of the images, in order.
        """
        features = logits = None
        parts, filled = [], 0
        for images in batches:
            batch_features, batch_logits = self(images)
            count = len(batch_features)
            if num_samples is None:
                parts.append((batch_features, batch_logits))
            else:
                if features is None:
                    features = np.empty((num_samples, batch_features.shape[1]), np.float32)
                    logits = np.empty((num_samples, batch_logits.shape[1]), np.float32)
                if filled + count > num_samples:
                    raise ZooError(f"the batches hold more than num_samples={num_samples} images")
                features[filled : filled + count] = batch_features
                logits[filled : filled + count] = batch_logits
            filled += count
            for report in _REPORTERS:
                report(filled, num_samples)
        if num_samples is None:
            if not parts:
                raise ZooError("no images to extract activations from")
            features, logits = (np.concatenate(p) for p in zip(*parts, strict=True))
        elif filled != num_samples:
            raise ZooError(f"the batches held {filled} images, expected {num_samples}")
        return Activations(features, logits)

    def describe(self):
        """A dict for logs and `metrics.json`."""
        return {
            "name": self.name,
            "feature_dim": self.feature_dim,
            "num_classes": self.num_classes,
            "weights_sha256": self.weights_sha256,
        }


class KerasExtractor(Extractor):
    """An extractor around a Keras model with outputs `[features, logits]`.

    Args:
        model: Keras model mapping preprocessed inputs to `[features, logits]`.
        name: the extractor's name (part of the cache key).
        weights_sha256: sha256 of the weights file; `None` never caches.
        batch_size: images per forward pass. Defaults to `500`.
    """

    def __init__(self, model, name, weights_sha256=None, batch_size=500):
        self.model = model
        self.name = name
        self.weights_sha256 = weights_sha256
        self.batch_size = int(batch_size)
        features, logits = model.outputs
        self.feature_dim = int(features.shape[-1])
        self.num_classes = int(logits.shape[-1])

    def run(self, inputs):
        features, logits = self.model(inputs, training=False)
        return features, logits


class ClassifierExtractor(KerasExtractor):
    """The shipped Fashion-MNIST classifier (`zoo/metrics/classifier/`).

    It was trained at 28x28. Fashion-MNIST at 32x32 is the 28x28 image
    zero-padded by 2 pixels (`zoo.data`), so 32x32 inputs are center-cropped
    back to 28x28: for real data this is exact, and a generator trained at 32
    is judged on the same pixels as one trained at 28 (its border is ignored).

    Args:
        path: the classifier's `.keras` file. Defaults to the shipped one.
        batch_size: images per forward pass. Defaults to `500`.
    """

    def __init__(self, path=CLASSIFIER_FILE, batch_size=500):
        path = pathlib.Path(path)
        if not path.exists():
            raise ZooError(
                f"no classifier file {path}; train it with 'make classifier' "
                f"(python scripts/train_classifier.py)"
            )
        try:
            classifier = keras.saving.load_model(path, compile=False)
            model = keras.Model(
                classifier.inputs,
                [
                    classifier.get_layer(FEATURES_LAYER).output,
                    classifier.get_layer(LOGITS_LAYER).output,
                ],
            )
        except Exception as e:  # Keras raises many types for a bad file.
            raise ZooError(
                f"cannot load classifier {path}: {str(e).splitlines()[0][:160]}"
            ) from None
        super().__init__(model, DEFAULT_EXTRACTOR, file_sha256(path), batch_size)
        self.path = path

    def preprocess(self, images):
        shape = tuple(images.shape[1:])
        if shape == (28, 28, 1):
            return images
        if shape == (32, 32, 1):
            return images[:, 2:30, 2:30, :]  # (B, 28, 28, 1)
        raise ZooError(
            f"fashion_mnist_classifier takes 28x28 or 32x32 grayscale images, got {shape}; "
            f"use --extractor=inception for other images"
        )


class InceptionExtractor(Extractor):
    """Inception-v3 at 299x299: 2048 `pool_3` activations and the logits.

    Args:
        weights: where the weights come from: a TF-Hub handle (URL or local
            folder of TF-GAN's Inception module, whose outputs are `pool_3`
            and 1008 `logits`), a Keras `.h5` weights file of
            `keras.applications.InceptionV3` (1000 logits), or `None` for
            random weights (tests only: the numbers mean nothing).
        batch_size: images per forward pass. Defaults to `25` (one batch of
            299x299 activations is about 1 GB).

    Reference:
        Szegedy et al. 2015, https://arxiv.org/abs/1512.00567
    """

    name = "inception"
    feature_dim = 2048
    batch_size = 25

    def __init__(self, weights=None, batch_size=25):
        self.batch_size = int(batch_size)
        self.weights = weights
        if weights is None:
            self._keras_model(None)
        elif _is_keras_weights(weights):
            if not pathlib.Path(weights).exists():
                raise ZooError(f"no Inception weights file {weights}")
            self._keras_model(str(weights))
            self.weights_sha256 = file_sha256(weights)
        else:
            self._hub_module(str(weights))

    def _keras_model(self, weights):
        try:
            inception = keras.applications.InceptionV3(weights=weights, classifier_activation=None)
        except ValueError as e:
            raise ZooError(f"cannot build Inception-v3 from {weights}: {e}") from None
        self.model = keras.Model(
            inception.inputs,
            [inception.get_layer("avg_pool").output, inception.get_layer("predictions").output],
        )
        self.num_classes = 1000
        self.module = None

    def _hub_module(self, handle):
        import tensorflow_hub as hub  # Heavy; only Inception from TF-Hub needs it.

        try:
            self.module = hub.load(handle)
        except Exception as e:  # Network and format errors come in many types.
            raise ZooError(
                f"cannot load the Inception module {handle!r} ({type(e).__name__}); it needs a "
                f"network, or a local copy of {INCEPTION_TFHUB} (a folder with saved_model.pb), "
                f"or a Keras .h5 weights file"
            ) from None
        self.model = None
        self.num_classes = 1008
        local = pathlib.Path(handle)
        # A URL names a published, immutable module version: its text is its identity.
        self.weights_sha256 = file_sha256(local) if local.exists() else _text_sha256(handle)

    def preprocess(self, images):
        if images.shape[-1] == 1:
            images = tf.repeat(images, 3, axis=-1)
        if images.shape[-1] != 3:
            raise ZooError(
                f"inception takes 1- or 3-channel images, got shape {tuple(images.shape)}"
            )
        # Bilinear, as TF-GAN's Inception preprocessing; inputs stay in [-1, 1].
        return tf.image.resize(images, (INCEPTION_SIZE, INCEPTION_SIZE), method="bilinear")

    def run(self, inputs):
        if self.model is not None:
            features, logits = self.model(inputs, training=False)
            return features, logits
        outputs = self.module(inputs)
        batch = tf.shape(inputs)[0]
        return tf.reshape(outputs["pool_3"], (batch, -1)), tf.reshape(
            outputs["logits"], (batch, -1)
        )


# Callables `report(done, total)` that every extraction calls after each batch.
_REPORTERS = []


@contextlib.contextmanager
def reporting(report):
    """Within the block, each extraction calls `report(images done, total)` after
    each batch (`total` is `None` when unknown): how a command shows progress."""
    _REPORTERS.append(report)
    try:
        yield
    finally:
        _REPORTERS.remove(report)


# `--inception_weights=random`: an untrained Inception, for tests of the plumbing.
RANDOM_WEIGHTS = "random"


def get_extractor(name=DEFAULT_EXTRACTOR, inception_weights=None):
    """Builds an extractor by name.

    Args:
        name: `"fashion_mnist_classifier"` or `"inception"`.
        inception_weights: TF-Hub handle or `.h5` file of Inception-v3;
            `"random"` builds it with random weights (tests only: the numbers
            mean nothing). Required for `"inception"`.

    Raises:
        ZooError: for an unknown name, missing or unreadable weights.
    """
    if name == "fashion_mnist_classifier":
        return ClassifierExtractor()
    if name == "inception":
        if not inception_weights:
            raise ZooError(
                "--extractor=inception needs --inception_weights: a TF-Hub handle (URL or local "
                "folder) or a Keras .h5 file of Inception-v3 (random weights would score nothing)"
            )
        return InceptionExtractor(
            None if inception_weights == RANDOM_WEIGHTS else inception_weights
        )
    raise ZooError(f"unknown extractor {name!r}; valid: {', '.join(EXTRACTORS)}")


def classifier_info():
    """The record shipped beside the classifier (accuracy, command, time)."""
    if not CLASSIFIER_INFO_FILE.exists():
        return {}
    return json.loads(CLASSIFIER_INFO_FILE.read_text())


def file_sha256(path):
    """sha256 of a file's bytes, or of a folder's files (paths and bytes, sorted)."""
    path = pathlib.Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _text_sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _is_keras_weights(weights):
    return str(weights).endswith(".h5")
