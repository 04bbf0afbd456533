"""Scores a trained GAN (FID, IS, KID, ...) and writes a grid of its samples.

    python evaluate.py --workdir=runs/dcgan
    python evaluate.py --workdir=runs/dcgan --metrics=fid50k,is50k,kid50k,pr50k3
    python evaluate.py --model_path=runs/dcgan/model.keras --output=grid.png --seed=3
    python evaluate.py --pretrained=dcgan_fashion_mnist
    python evaluate.py --workdir=runs/dcgan --extractor=inception \
        --inception_weights=https://tfhub.dev/tensorflow/tfgan/eval/inception/1

Prints a table of the metrics beside the real-data floor (the test split scored
as if it were generated: what a perfect generator would get) and writes
metrics.json; docs/evaluation.md explains each number.
"""

from zoo import cli

cli.import_tensorflow_quietly()

import json  # noqa: E402
import pathlib  # noqa: E402
import time  # noqa: E402

from absl import flags  # noqa: E402

from zoo import callbacks, extractors, metrics, training  # noqa: E402
from zoo.errors import ZooError  # noqa: E402

flags.DEFINE_string("workdir", None, "A training workdir (its latest checkpoint is used).")
flags.DEFINE_string("model_path", None, "A .keras file saved by train.py.")
flags.DEFINE_string("pretrained", None, "A name of the pretrained catalogue (zoo.pretrained).")
flags.DEFINE_integer(
    "num_samples", 64, "Samples in the grid (metrics take their protocol's count).", lower_bound=1
)
flags.DEFINE_integer(
    "seed", 0, "Seed of the latents: the same seed gives the same grid and scores."
)
flags.DEFINE_string(
    "output", None, "PNG path; default: <workdir or model dir>/samples/eval_seed<seed>.png."
)
flags.DEFINE_string(
    "metrics", None,
    f"Comma-separated protocols ({', '.join(metrics.PROTOCOLS)}); default "
    f"{','.join(metrics.DEFAULT_METRICS)} for image models; empty: grid only.",
)  # fmt: skip
flags.DEFINE_enum(
    "extractor", extractors.DEFAULT_EXTRACTOR, extractors.EXTRACTORS, "Feature network."
)
flags.DEFINE_string(
    "inception_weights", None,
    "Inception-v3 weights: a TF-Hub handle (URL or local folder) or a Keras .h5 file.",
)  # fmt: skip
flags.DEFINE_string(
    "dataset", None, "Real data to compare with; default: the workdir's, else fashion_mnist."
)
flags.DEFINE_string(
    "data_dir", None, "Its data folder; default: the workdir's, else the dataset's default."
)
flags.DEFINE_boolean("real_floor", True, "Also score the real test split (the floor).")
flags.DEFINE_string(
    "metrics_json", None, "Where metrics.json goes; default: beside the grid's folder."
)

FLAGS = flags.FLAGS


def load_model():
    """Returns `(model, name, dataset, data_dir, home folder)` of the chosen source."""
    sources = [s for s in (FLAGS.workdir, FLAGS.model_path, FLAGS.pretrained) if s]
    if len(sources) != 1:
        raise ZooError("pass exactly one of --workdir, --model_path or --pretrained")
    if FLAGS.workdir:
        config = training.read_config(FLAGS.workdir)
        model = training.load_workdir_model(FLAGS.workdir)
        return model, FLAGS.workdir, config.dataset, config.data_dir, pathlib.Path(FLAGS.workdir)
    if FLAGS.model_path:
        model = training.load_model_file(FLAGS.model_path)
        return model, FLAGS.model_path, None, None, pathlib.Path(FLAGS.model_path).parent
    try:
        from zoo import pretrained
    except ImportError:
        raise ZooError(
            "pretrained catalogue not available yet (no zoo/pretrained.py); "
            "pass --workdir or --model_path"
        ) from None
    import models  # noqa: F401  (registers the families the catalogue names)

    entry = pretrained.get_entry(FLAGS.pretrained)
    model = pretrained.load(FLAGS.pretrained)
    home = pathlib.Path("runs", "pretrained", FLAGS.pretrained)
    return model, FLAGS.pretrained, entry.dataset, None, home


def main():
    # Checked before the (slow) model load, so a typo fails at once.
    protocols = metrics.get_protocols(FLAGS.metrics or "")
    model, name, dataset, data_dir, home = load_model()
    dataset = FLAGS.dataset or dataset or "fashion_mnist"
    data_dir = FLAGS.data_dir or data_dir
    output = FLAGS.output or home / "samples" / f"eval_seed{FLAGS.seed}.png"
    samples = model.generate(FLAGS.num_samples, seed=FLAGS.seed)
    callbacks.write_png(output, callbacks.samples_picture(samples, dataset))
    print(f"wrote {FLAGS.num_samples} samples of {type(model).__name__} to {output}")

    if FLAGS.metrics is None and len(model.image_shape) == 3:
        # 2-D mixtures have no images to score (zoo.modes counts their modes).
        protocols = metrics.get_protocols(metrics.DEFAULT_METRICS)
    if not protocols:
        return
    started = time.perf_counter()
    extractor = extractors.get_extractor(FLAGS.extractor, FLAGS.inception_weights)
    reference = metrics.reference_activations(
        dataset, "train", model.image_shape, extractor, data_dir
    )
    results = metrics.evaluate_model(
        model, protocols, extractor=extractor, seed=FLAGS.seed, reference=reference
    )
    floor, num_test = {}, None
    if FLAGS.real_floor:
        floor, num_test = metrics.real_data_floor(
            protocols, dataset=dataset, image_shape=model.image_shape, extractor=extractor,
            data_dir=data_dir, reference=reference,
        )  # fmt: skip
    seconds = time.perf_counter() - started

    print(metrics.format_table(protocols, results, floor, num_test, len(reference)))
    report = {
        "model": name,
        "dataset": dataset,
        "seed": FLAGS.seed,
        "extractor": extractor.describe(),
        "num_real_train": len(reference),
        "metrics": results,
        "real_floor": floor,
        "num_real_test": num_test,
        "seconds": round(seconds, 1),
    }
    path = pathlib.Path(FLAGS.metrics_json or home / "metrics.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"scored in {seconds:.0f} s; wrote {path}")


if __name__ == "__main__":
    cli.run(main)
