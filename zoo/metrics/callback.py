"""Metrics during training: the Keras callback that logs them to TensorBoard."""

import json
import math
import pathlib

import keras
import tensorflow as tf

from zoo.core.cache import CACHE_ENV as CACHE_ENV  # re-exported: older code and tests read it here
from zoo.core.errors import ZooError
from zoo.metrics import extractors
from zoo.metrics.protocols import get_protocols
from zoo.metrics.reference import check_image_shape, reference_activations
from zoo.metrics.scoring import evaluate_model
from zoo.training import callbacks


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
        history_path: a JSON-lines file that each evaluation appends
            `{"step": ..., "results": {...}}` to, so a run's learning curve
            outlives the process (resumed runs append to the same file).
            `None` keeps the history in memory only.

    Example:
        >>> writer = tf.summary.create_file_writer("runs/dcgan/logs")
        >>> model.fit(..., callbacks=[MetricsCallback(1000, "fid10k,is10k", writer)])
    """

    def __init__(
        self, every, metric_names, writer, *, dataset="fashion_mnist", data_dir=None,
        extractor=None, seed=0, history_path=None,
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
        self.history_path = None if history_path is None else pathlib.Path(history_path)
        self._reference = None

    def on_train_begin(self, logs=None):
        # Fail (or compute the cached reference) before training, not at the
        # first evaluation minutes into the run.
        self._prepare()

    def _prepare(self):
        check_image_shape(self.model.image_shape)
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
        if self.history_path is not None:
            line = json.dumps({"step": int(step), "results": _plain(results)}, sort_keys=True)
            with self.history_path.open("a") as f:
                f.write(line + "\n")
        print(f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in results.items()), flush=True)
        return results

    def on_train_batch_end(self, batch, logs=None):
        # The generator optimizer's iterations: the step count of every callback.
        step = callbacks.training_step(self.model)
        if step % self.every == 0 and not self.model.stop_training:
            self.evaluate(step)


def _plain(results):
    """JSON-ready floats (NaN, which JSON lacks, as null)."""
    return {k: (float(v) if math.isfinite(v) else None) for k, v in results.items()}
