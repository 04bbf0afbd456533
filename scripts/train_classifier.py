"""Trains the Fashion-MNIST classifier that scores the zoo's GANs (`make classifier`).

    python scripts/train_classifier.py

The recipe: a small VGG-style convnet (conv 32 | pool | conv 64, conv 64 |
pool | dense 128 "features" | dense 10 "logits", batch norm after every conv
and dense layer, dropout before the two dense layers), Adam with a cosine
learning-rate decay, 8 epochs of batch 128 on the 60,000 train images in
[-1, 1] at 28x28, no augmentation. The test split is used once, at the end,
to report accuracy; it never steers training. The seed fixes weights and data
order (op determinism is on), so a rerun gives the same file.

Writes the classifier (without optimizer state, about 2 MB) and, beside it,
`fashion_mnist_classifier.json` with its accuracy, size, training time,
sha256 and the exact command.
"""

import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

import datetime  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import time  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

from zoo import data  # noqa: E402
from zoo.metrics import extractors  # noqa: E402

flags.DEFINE_string("output", str(extractors.CLASSIFIER_FILE), "Where the .keras file goes.")
flags.DEFINE_integer("epochs", 8, "Passes over the train split.", lower_bound=1)
flags.DEFINE_integer("batch_size", 128, "Images per step.", lower_bound=1)
flags.DEFINE_float("learning_rate", 2e-3, "Peak Adam learning rate (cosine decay to 0).")
flags.DEFINE_integer("seed", 0, "Seed of weights, dropout and data order.")
flags.DEFINE_string("data_dir", None, "Fashion-MNIST IDX folder (default: the Debian package's).")

FLAGS = flags.FLAGS
NUM_CLASSES = len(data.FASHION_MNIST_CLASSES)


def build_classifier(features_dim=128, dropout=0.3):
    """The classifier: 28x28x1 images in [-1, 1] -> 10 logits.

    The layer named `features` (128 ReLU units) holds the pooled activations
    that FID, KID and precision/recall read; `logits` feeds IS.
    """

    def conv_block(x, filters):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        return keras.layers.ReLU()(x)

    inputs = keras.Input((28, 28, 1), name="images")
    x = conv_block(inputs, 32)
    x = keras.layers.MaxPooling2D()(x)  # (B, 14, 14, 32)
    x = conv_block(x, 64)
    x = conv_block(x, 64)
    x = keras.layers.MaxPooling2D()(x)  # (B, 7, 7, 64)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Dense(features_dim, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    features = keras.layers.ReLU(name=extractors.FEATURES_LAYER)(x)
    x = keras.layers.Dropout(dropout)(features)
    logits = keras.layers.Dense(NUM_CLASSES, name=extractors.LOGITS_LAYER)(x)
    return keras.Model(inputs, logits, name="fashion_mnist_classifier")


def load_split(split):
    images, labels = data.load_fashion_mnist(split, FLAGS.data_dir)
    return data.to_model_range(images).numpy(), labels


def main():
    keras.utils.set_random_seed(FLAGS.seed)
    tf.config.experimental.enable_op_determinism()
    train_images, train_labels = load_split("train")
    test_images, test_labels = load_split("test")
    train = (
        tf.data.Dataset.from_tensor_slices((train_images, train_labels))
        .shuffle(len(train_images), seed=FLAGS.seed, reshuffle_each_iteration=True)
        .batch(FLAGS.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    steps = FLAGS.epochs * int(np.ceil(len(train_images) / FLAGS.batch_size))
    model = build_classifier()
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(FLAGS.learning_rate, steps)
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    started = time.perf_counter()
    model.fit(train, epochs=FLAGS.epochs, shuffle=False, verbose=2)  # the pipeline shuffles
    seconds = time.perf_counter() - started

    _, accuracy = model.evaluate(test_images, test_labels, batch_size=1000, verbose=0)
    _, accuracy_1000 = model.evaluate(test_images[:1000], test_labels[:1000], verbose=0)
    # A fresh, uncompiled model over the same layers: the file keeps no
    # optimizer state, which would triple its size.
    inference = keras.Model(model.inputs, model.outputs, name=model.name)
    output = pathlib.Path(FLAGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    inference.save(output)

    info = _record(output, inference, accuracy, accuracy_1000, seconds)
    info_path = output.with_suffix(".json")
    info_path.write_text(json.dumps(info, indent=2) + "\n")
    print(
        f"test accuracy {accuracy:.4f} ({accuracy_1000:.4f} on the first 1,000), "
        f"{info['params']:,} params, {info['bytes'] / 1e6:.1f} MB, trained in {seconds:.0f} s; "
        f"wrote {output} and {info_path}"
    )


def _record(output, inference, accuracy, accuracy_1000, seconds):
    """What `classifier.json` records beside the file: its hash, accuracy and recipe."""
    return {
        "file": output.name,
        "sha256": extractors.file_sha256(output),
        "bytes": output.stat().st_size,
        "params": inference.count_params(),
        "input": "28x28x1 images in [-1, 1] (32x32 inputs are center-cropped by the extractor)",
        "features_layer": extractors.FEATURES_LAYER,
        "features_dim": int(inference.get_layer(extractors.FEATURES_LAYER).output.shape[-1]),
        "logits_layer": extractors.LOGITS_LAYER,
        "test_accuracy": round(float(accuracy), 4),
        "test_accuracy_first_1000": round(float(accuracy_1000), 4),
        "train_seconds": round(seconds, 1),
        "epochs": FLAGS.epochs,
        "batch_size": FLAGS.batch_size,
        "learning_rate": FLAGS.learning_rate,
        "seed": FLAGS.seed,
        "command": " ".join(
            ["python scripts/train_classifier.py", shlex.join(sys.argv[1:])]
        ).strip(),
        "machine": f"{os.cpu_count()} CPU cores",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "date": datetime.date.today().isoformat(),
    }


if __name__ == "__main__":
    cli.run(main)
