"""Time to score 10k generated samples (FID, IS, KID) on this machine.

    python bench/score_time.py                          # an untrained DCGAN at 28x28
    python bench/score_time.py --workdir=runs/dcgan --repeats=5
    python bench/score_time.py --size=1k --repeats=1   # a quick look

Run it on a quiet machine: the numbers are wall-clock. The real train split's
reference activations are computed (or read from the cache) first and timed
apart: a user pays for them once per dataset and extractor. Each repeat then
times what every evaluation pays: generating the samples, running them through
the extractor, and the maths (FID, IS over 10 splits, KID) against the full
train split. (`zoo.metrics.evaluate_model` streams generation into extraction;
here the generated images are held so the two parts can be timed apart.)
Prints the median and all repeats, split into those three parts.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

import os  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

import models  # noqa: E402,F401  (registers the families)
from zoo import metrics, training  # noqa: E402
from zoo.core import registry  # noqa: E402
from zoo.loading import sources  # noqa: E402
from zoo.metrics import extractors  # noqa: E402

flags.DEFINE_string("workdir", None, "A training workdir to score; default: an untrained DCGAN.")
flags.DEFINE_integer("image_size", 28, "Side of the untrained DCGAN's images (28 or 32).")
flags.DEFINE_enum(
    "size", "10k", ["1k", "10k", "50k"], "Protocol size: fid<size>, is<size>, kid<size>."
)
flags.DEFINE_integer("repeats", 3, "Timed repeats (the median is reported).", lower_bound=1)
flags.DEFINE_enum("extractor", extractors.DEFAULT_EXTRACTOR, extractors.EXTRACTORS, "Network.")
flags.DEFINE_string("inception_weights", None, "Inception-v3 weights (see evaluate.py).")
FLAGS = flags.FLAGS


def _timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def _generate(model, count, seed):
    return np.concatenate(list(metrics.generated_batches(model, count, 500, seed)))


def main():
    if FLAGS.workdir:
        model = sources.load_workdir_model(FLAGS.workdir)
        config = training.read_config(FLAGS.workdir)
        dataset, data_dir = config.dataset, config.data_dir
    else:
        shape = (FLAGS.image_size, FLAGS.image_size, 1)
        model = registry.build("dcgan", image_shape=shape, seed=0)
        dataset, data_dir = "fashion_mnist", None
    extractor = extractors.get_extractor(FLAGS.extractor, FLAGS.inception_weights)
    reference, seconds = _timed(
        metrics.reference_activations, dataset, "train", model.image_shape, extractor, data_dir
    )
    print(
        f"reference: {len(reference):,} train images, {seconds:.1f} s (cached after the first run)"
    )

    protocols = metrics.get_protocols([f"{kind}{FLAGS.size}" for kind in ("fid", "is", "kid")])
    count = protocols[0].num_samples
    # Trace the generator and the extractor outside the timings.
    extractor(_generate(model, extractor.batch_size, seed=0))
    rows = []
    for repeat in range(1, FLAGS.repeats + 1):
        images, generate = _timed(_generate, model, count, repeat)
        batches = (
            images[i : i + extractor.batch_size] for i in range(0, count, extractor.batch_size)
        )
        fake, extract = _timed(extractor.extract, batches, count)
        results, maths = _timed(metrics.score, protocols, fake, reference)
        rows.append((generate, extract, maths, generate + extract + maths))
    median = np.median(np.array(rows), axis=0)
    print(f"\nscoring {count:,} samples of {type(model).__name__} {model.image_shape} with "
          f"{extractor.name} on {os.cpu_count()} CPU cores (median of {len(rows)})")  # fmt: skip
    print(f"{'':<10}{'generate':>10}{'extract':>10}{'maths':>10}{'total':>10}")
    print(f"{'median':<10}" + "".join(f"{v:>9.1f}s" for v in median))
    for index, row in enumerate(rows, 1):
        print(f"{'repeat ' + str(index):<10}" + "".join(f"{v:>9.1f}s" for v in row))
    print(f"total {median[3]:.1f} s = {count / median[3]:,.0f} samples/s; last results: "
          + ", ".join(f"{k} {v:.4g}" for k, v in results.items()))  # fmt: skip


if __name__ == "__main__":
    cli.run(main)
