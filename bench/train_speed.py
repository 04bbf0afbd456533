"""Training throughput of each family on this machine (images/s, median of windows).

    python bench/train_speed.py                 # every image family at its defaults
    python bench/train_speed.py --models=dcgan --steps=300

Run it on a quiet machine: the number is wall-clock throughput. Each model
trains `--steps` steps on Fashion-MNIST at batch 64 in a temporary workdir via
`zoo.training.train`, i.e. exactly what `train.py` runs (data pipeline, logging,
sample grids and checkpoints included), and reports the median images/s over
`--window`-step windows, the first window (tracing) excluded. Beside it, the
bare step: the same model's compiled train step on one in-memory batch at its
final resolution, no pipeline, callbacks or checkpoints, so the ratio is what
the library costs. ProGAN grows in one step per phase here, so its windows
time 32x32 steps, as its bare step does.
"""

import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # noqa: E402

cli.import_tensorflow_quietly()

import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

from zoo import training  # noqa: E402

# Reach the final resolution after one step per phase.
MODEL_KWARGS = {"progan": {"images_per_phase": 1}}

flags.DEFINE_list("models", ["dcgan"], "Models to time (e.g. dcgan,wgan_gp,progan).")
flags.DEFINE_integer("steps", 400, "Steps per model.", lower_bound=2)
flags.DEFINE_integer("window", 50, "Steps per timing window.", lower_bound=1)
flags.DEFINE_integer("batch_size", 64, "Batch size.", lower_bound=1)
flags.DEFINE_integer("image_size", None, "Fashion-MNIST side: 28 or 32 (default).")
FLAGS = flags.FLAGS


def bare_step_rate(model, batch_size, steps):
    """Images/s of `model`'s compiled train step on one in-memory batch, tracing excluded."""
    model.enter_phase(model.training_phases(batch_size)[-1])
    shape = (batch_size * model.d_steps, *model.image_shape)
    batch = tf.random.stateless_uniform(shape, (0, 0), -1.0, 1.0)
    labels = tf.range(shape[0]) % max(model.num_classes, 1)
    dataset = tf.data.Dataset.from_tensors((batch, labels)).repeat()
    model.fit(dataset, steps_per_epoch=5, epochs=1, verbose=0)  # traces
    started = time.perf_counter()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * batch_size * model.d_steps / (time.perf_counter() - started)


def main():
    rows = []
    for model in FLAGS.models:
        with tempfile.TemporaryDirectory() as workdir:
            config = training.TrainConfig(
                model=model, dataset="fashion_mnist", workdir=workdir, steps=FLAGS.steps,
                batch_size=FLAGS.batch_size, image_size=FLAGS.image_size,
                model_kwargs=MODEL_KWARGS.get(model, {}),
                log_every=FLAGS.window, sample_every=FLAGS.steps, checkpoint_every=FLAGS.steps,
            )  # fmt: skip
            summary = training.train(config)
            bare = training.load_workdir_model(workdir)
        rate = bare_step_rate(bare, FLAGS.batch_size, FLAGS.window * 2)
        rows.append((model, summary["images_per_second"], rate, summary["seconds"]))
    print(f"\n{'model':<14}{'images/s':>10}{'bare step':>11}{'ratio':>8}{'s total':>10}")
    for model, rate, bare, seconds in rows:
        print(f"{model:<14}{rate:>10.0f}{bare:>11.0f}{rate / bare:>8.2f}{seconds:>10.1f}")


if __name__ == "__main__":
    cli.run(main)
