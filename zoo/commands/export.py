"""Exports a trained GAN's generator as a SavedModel for TF Serving.

    python export.py --workdir=runs/dcgan                  # -> serving/dcgan/<next version>/
    python export.py --model_path=runs/dcgan/model.keras --name=fashion --version=3 --overwrite
    python export.py --pretrained=dcgan_fashion_mnist --export_dir=/models

The export holds the sampling generator (the EMA copy where the model keeps
one) with the signatures `serving_default`, `generate` and `interpolate`, and
its model card as the asset `model_card.json`; docs/serving.md shows how to
serve and query it.
"""

from zoo import cli

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from zoo import export  # noqa: E402

flags.DEFINE_string("workdir", None, "A training workdir (its latest checkpoint is exported).")
flags.DEFINE_string("model_path", None, "A .keras file saved by train.py.")
flags.DEFINE_string("pretrained", None, "A catalogue name (zoo.list_pretrained()).")
flags.DEFINE_string(
    "export_dir", "serving", "Serving root; the model goes to <export_dir>/<name>/<version>/."
)
flags.DEFINE_string("name", None, "Served model name; default: the workdir's or catalogue name.")
flags.DEFINE_integer("version", None, "Version number; default: the next free one.", lower_bound=1)
flags.DEFINE_bool("overwrite", False, "Replace an existing --version directory.")

FLAGS = flags.FLAGS


def main():
    model, card, default_name = export.load_for_export(
        workdir=FLAGS.workdir, model_path=FLAGS.model_path, pretrained=FLAGS.pretrained
    )
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
