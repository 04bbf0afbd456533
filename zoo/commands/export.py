"""Exports a trained GAN's generator as a SavedModel for TF Serving.

    python export.py --network=runs/dcgan                  # -> serving/dcgan/<next version>/
    python export.py --network=runs/dcgan/model.keras --name=fashion --version=3 --overwrite
    python export.py --network=dcgan_fashion_mnist --export_dir=/models

`--network` takes a catalogue name, a preset folder, a `.keras` file or a
training run directory (`--workdir`, `--model_path` and `--pretrained` still
work).

The export holds the sampling generator (the EMA copy where the model keeps
one) with the signatures `serving_default`, `generate` and `interpolate`, and
its model card as the asset `model_card.json`; docs/serving.md shows how to
serve and query it.
"""

from zoo.commands import cli

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from zoo import export  # noqa: E402
from zoo.commands import network  # noqa: E402

flags.DEFINE_string(
    "export_dir", "serving", "Serving root; the model goes to <export_dir>/<name>/<version>/."
)
flags.DEFINE_string("name", None, "Served model name; default: the workdir's or catalogue name.")
flags.DEFINE_integer("version", None, "Version number; default: the next free one.", lower_bound=1)
flags.DEFINE_bool("overwrite", False, "Replace an existing --version directory.")

FLAGS = flags.FLAGS


def main():
    model, card, default_name = export.export_card(network.load())
    path = export.export(
        model,
        FLAGS.export_dir,
        FLAGS.name or default_name,
        version=FLAGS.version,
        overwrite=FLAGS.overwrite,
        card=card,
    )
    print(
        f"exported {type(model).__name__} ({'EMA ' if model.ema_generator is not None else ''}"
        f"generator) to {path} with signatures {', '.join(export.signature_names(model))}"
    )


def run():
    """The entry point: parses the flags and runs `main`, errors in one line."""
    cli.run(main, usage=__doc__)


if __name__ == "__main__":
    run()
