"""Loads a trained GAN and writes a grid of its samples.

    python evaluate.py --workdir=runs/dcgan
    python evaluate.py --model_path=runs/dcgan/model.keras --output=grid.png --seed=3
"""

from zoo import cli

cli.import_tensorflow_quietly()

import pathlib  # noqa: E402

from absl import flags  # noqa: E402

from zoo import callbacks, training  # noqa: E402
from zoo.errors import ZooError  # noqa: E402

flags.DEFINE_string("workdir", None, "A training workdir (its latest checkpoint is used).")
flags.DEFINE_string("model_path", None, "A .keras file saved by train.py.")
flags.DEFINE_integer("num_samples", 64, "Samples in the grid.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the latents: the same seed gives the same grid.")
flags.DEFINE_string("output", None, "PNG path; default: <workdir or model dir>/samples/eval_seed<seed>.png.")

FLAGS = flags.FLAGS


def main():
    if bool(FLAGS.workdir) == bool(FLAGS.model_path):
        raise ZooError("pass exactly one of --workdir or --model_path")
    if FLAGS.workdir:
        model = training.load_workdir_model(FLAGS.workdir)
        dataset, home = training.read_config(FLAGS.workdir).dataset, pathlib.Path(FLAGS.workdir)
    else:
        model = training.load_model_file(FLAGS.model_path)
        dataset, home = None, pathlib.Path(FLAGS.model_path).parent
    output = FLAGS.output or home / "samples" / f"eval_seed{FLAGS.seed}.png"
    samples = model.generate(FLAGS.num_samples, seed=FLAGS.seed)
    callbacks.write_png(output, callbacks.samples_picture(samples, dataset))
    print(f"wrote {FLAGS.num_samples} samples of {type(model).__name__} to {output}")


if __name__ == "__main__":
    cli.run(main)
