"""Does a model copy its training images?

    python scripts/nearest_training_images.py --network=sagan_fashion_mnist
    python scripts/nearest_training_images.py --network=runs/dcgan --output=copies.png

FID, KID and IS score samples against the training split, so they cannot tell a
model that makes new images from one that reproduces the images it trained on. This
finds each sample's nearest training image in the shipped classifier's feature
space (`zoo.metrics.copies`), does the same for the test images the model never saw,
and prints how much nearer the samples lie: a median ratio near 1 and a near share
near `--quantile` read as new images. The picture puts the `--pairs` samples nearest
to the training set above their nearest training images, then as many random
samples above theirs.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from zoo.loading import sources  # noqa: E402
from zoo.metrics import copies, extractors, reference, scoring  # noqa: E402

flags.DEFINE_string("network", None, "A catalogue name, preset folder, .keras file or run.")
flags.DEFINE_string("dataset", "fashion_mnist", "The dataset the model trained on.")
flags.DEFINE_integer("num_samples", 10_000, "Samples to search for.", lower_bound=100)
flags.DEFINE_integer("seed", 0, "Seed of the samples (evaluate.py's draw).")
flags.DEFINE_float("quantile", 0.01, "Test-distance quantile a near sample is under.",
                   lower_bound=0.001, upper_bound=0.5)  # fmt: skip
flags.DEFINE_integer("pairs", 8, "Samples in each row of the picture.", lower_bound=1)
flags.DEFINE_string("output", "nearest_training_images.png", "Where the picture goes.")
flags.mark_flag_as_required("network")
FLAGS = flags.FLAGS


def generated(model, count, extractor):
    """`(images, activations)` of the model's first `count` samples of `--seed`."""
    images = np.concatenate(list(scoring.generated_batches(
        model, count, extractor.batch_size, FLAGS.seed)))  # fmt: skip
    batches = (images[i : i + extractor.batch_size]
               for i in range(0, count, extractor.batch_size))  # fmt: skip
    return images, extractor.extract(batches, count)


def training_images(rows, image_shape):
    """The training images of the reference's `rows`."""
    examples, info = reference.reference_examples(FLAGS.dataset, "train", image_shape)
    images = np.concatenate([batch.numpy() for batch, _ in examples.unbatch().batch(4096)])
    return images[reference.reference_order(info.size)[rows]]


def draw(rows, labels, path):
    """A grid of images in [-1, 1], one labelled row per list in `rows`."""
    columns = len(rows[0])
    figure, axes = plt.subplots(len(rows), columns, figsize=(columns * 1.1, len(rows) * 1.25),
                                squeeze=False)  # fmt: skip
    for row, (images, label) in enumerate(zip(rows, labels, strict=True)):
        for column, image in enumerate(images):
            axes[row][column].imshow(np.clip((image[..., 0] + 1) / 2, 0, 1), cmap="gray",
                                     vmin=0, vmax=1)  # fmt: skip
            axes[row][column].axis("off")
        axes[row][0].set_title(label, loc="left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main():
    model = sources.load_from_source(network=FLAGS.network).model
    extractor = extractors.get_extractor()
    images, fake = generated(model, FLAGS.num_samples, extractor)
    train = reference.reference_activations(FLAGS.dataset, "train", model.image_shape, extractor)
    test = reference.reference_activations(FLAGS.dataset, "test", model.image_shape, extractor)
    stats = copies.copy_statistics(fake.features, test.features, train.features, FLAGS.quantile)
    print(f"{FLAGS.network}: {FLAGS.num_samples} samples against {len(train)} training images "
          f"(test images: {len(test)})")  # fmt: skip
    print(f"median distance to the nearest training image: samples "
          f"{np.median(stats.sample_distances):.3f}, test images "
          f"{np.median(stats.test_distances):.3f} (ratio {stats.median_ratio:.3f}; 1 = as new "
          f"as unseen images)")  # fmt: skip
    print(f"samples nearer than {FLAGS.quantile:.1%} of the test images: {stats.near_share:.2%}")
    nearest = np.argsort(stats.sample_distances)[: FLAGS.pairs]
    chosen = np.random.default_rng(FLAGS.seed).choice(len(images), FLAGS.pairs, replace=False)
    originals = training_images(stats.sample_neighbours[np.r_[nearest, chosen]], model.image_shape)
    draw(
        [images[nearest], originals[: FLAGS.pairs], images[chosen], originals[FLAGS.pairs :]],
        ["samples nearest the training set", "their nearest training images",
         "random samples", "their nearest training images"],
        FLAGS.output,
    )  # fmt: skip
    print(f"pairs: {FLAGS.output}")


if __name__ == "__main__":
    cli.run(main)
