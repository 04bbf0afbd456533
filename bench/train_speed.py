"""Training throughput of each family on this machine (images/s, median of windows).

    python bench/train_speed.py                 # every image family at its defaults
    python bench/train_speed.py --models=dcgan --steps=300

Run it on a quiet machine: the number is wall-clock throughput. Each model
trains `--steps` steps on Fashion-MNIST at batch 64 in a temporary workdir via
`zoo.training.train`, i.e. exactly what `train.py` runs (data pipeline, logging,
sample grids and checkpoints included), and reports the median images/s over
`--window`-step windows, the first window (tracing) excluded.
"""

import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # noqa: E402

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from zoo import training  # noqa: E402

flags.DEFINE_list("models", ["dcgan"], "Models to time (e.g. dcgan,wgan_gp,progan).")
flags.DEFINE_integer("steps", 400, "Steps per model.", lower_bound=2)
flags.DEFINE_integer("window", 50, "Steps per timing window.", lower_bound=1)
flags.DEFINE_integer("batch_size", 64, "Batch size.", lower_bound=1)
flags.DEFINE_integer("image_size", None, "Fashion-MNIST side: 28 or 32 (default).")
FLAGS = flags.FLAGS


def main():
    rows = []
    for model in FLAGS.models:
        with tempfile.TemporaryDirectory() as workdir:
            config = training.TrainConfig(
                model=model, dataset="fashion_mnist", workdir=workdir, steps=FLAGS.steps,
                batch_size=FLAGS.batch_size, image_size=FLAGS.image_size,
                log_every=FLAGS.window, sample_every=FLAGS.steps, checkpoint_every=FLAGS.steps,
            )  # fmt: skip
            summary = training.train(config)
        rows.append((model, summary["images_per_second"], summary["seconds"]))
    print(f"\n{'model':<14}{'images/s':>10}{'s total':>10}")
    for model, rate, seconds in rows:
        print(f"{model:<14}{rate:>10.0f}{seconds:>10.1f}")


if __name__ == "__main__":
    cli.run(main)
