"""Scores a trained GAN (FID, IS, KID, ...) and writes a grid of its samples.

    python evaluate.py --network=runs/dcgan
    python evaluate.py --network=runs/dcgan --metrics=fid50k,is50k,kid50k,pr50k3
    python evaluate.py --network=runs/dcgan/model.keras --output=grid.png --seed=3
    python evaluate.py --network=dcgan_fashion_mnist
    python evaluate.py --network=runs/dcgan --extractor=inception \
        --inception_weights=https://tfhub.dev/tensorflow/tfgan/eval/inception/1
    python evaluate.py --network=runs/grid25      # a model of ring8 / grid25

`--network` takes a catalogue name, a preset folder, a `.keras` file or a
training run directory (`--workdir`, `--model_path` and `--pretrained` still
work).

Prints a table of the metrics beside the real-data floor (the test split scored
as if it were generated: what a perfect generator would get) and writes
metrics.json; docs/evaluation.md explains each number. A class-conditional model
also gets, per class and on average, its intra-class FID and the share of its
samples that the classifier assigns to their class, beside the same numbers of
the real test images (`--noconditional_metrics` leaves them out). The grid is
`model.generate(num_samples, seed=seed)`: the first of the samples scored, and
what a run trained with the same seed drew in its grids. A model of a 2-D mixture
gets the mode-collapse benchmark instead (VEEGAN / PacGAN protocol,
`zoo.metrics.modes`): modes covered, share of high-quality samples and KL to uniform of
2,500 samples, beside 2,500 real points scored the same way.
"""

from zoo.commands import cli

cli.import_tensorflow_quietly()

import json  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import time  # noqa: E402

from absl import flags  # noqa: E402

from zoo import data, metrics  # noqa: E402
from zoo.commands import network  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402
from zoo.drawing import pictures  # noqa: E402
from zoo.metrics import extractors, modes  # noqa: E402

flags.DEFINE_integer(
    "num_samples", 64, "Samples in the grid (metrics take their protocol's count).", lower_bound=1
)
flags.DEFINE_integer(
    "mode_samples", modes.NUM_SAMPLES,
    "Samples scored (and plotted) for a 2-D mixture (2,500 in the papers).", lower_bound=1,
)  # fmt: skip
flags.DEFINE_integer(
    "seed", 0,
    "Seed of the latents (zoo.core.latents.seeded_latents): the grid shows the first samples "
    "scored, the same as the grids of a run trained with this --seed.",
    lower_bound=0,
)  # fmt: skip
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
    "Inception-v3 weights (required by --extractor=inception): a TF-Hub handle (URL or local "
    "folder) or a Keras .h5 file; `random` for tests (the numbers mean nothing).",
)  # fmt: skip
flags.DEFINE_string(
    "dataset", None, "Real data to compare with; default: the workdir's, else fashion_mnist."
)
flags.DEFINE_string(
    "data_dir", None, "Its data folder; default: the workdir's, else the dataset's default."
)
flags.DEFINE_boolean("real_floor", True, "Also score the real test split (the floor).")
flags.DEFINE_float(
    "truncation_psi", None,
    "Truncation trick for families that have it (StyleGAN): 1 none, 0 the average w; "
    "recorded in metrics.json. Default: no truncation.",
)  # fmt: skip
flags.DEFINE_alias("trunc", "truncation_psi")
flags.register_validator(
    "truncation_psi", lambda value: value is None or math.isfinite(value),
    "--truncation_psi must be a finite number (1: no truncation, 0: the average w)",
)  # fmt: skip
flags.DEFINE_enum(
    "noise_mode", None, ["const", "random"],
    "Families with noise inputs (StyleGAN): const scores every sample with the same noise "
    "image per layer, as sampling and exports draw; random draws it per sample, as NVIDIA's "
    "metrics do. Recorded in metrics.json. Default: const.",
)  # fmt: skip
flags.DEFINE_boolean(
    "conditional_metrics", True,
    "For a class-conditional model, also intra-class FID and class accuracy, per class "
    "(from the same samples as the other metrics).",
)  # fmt: skip
flags.DEFINE_string(
    "metrics_json", None, "Where metrics.json goes; default: beside the grid's folder."
)

FLAGS = flags.FLAGS


def main():
    # Checked before the (slow) model load, so a typo fails at once.
    protocols = metrics.get_protocols(FLAGS.metrics or "")
    for flag in ("output", "metrics_json"):
        cli.check_file_output(flag, FLAGS[flag].value)
    if FLAGS.extractor == "inception" and not FLAGS.inception_weights:
        extractors.get_extractor(FLAGS.extractor)  # its one-line refusal, before the load
    loaded = network.load()
    model = loaded.model
    dataset = FLAGS.dataset or loaded.dataset or "fashion_mnist"
    data_dir = FLAGS.data_dir or loaded.data_dir
    home = loaded.home
    output = FLAGS.output or home / "samples" / f"eval_seed{FLAGS.seed}.png"
    if len(model.image_shape) == 1 and dataset not in data.MIXTURE_STDDEV:
        raise ZooError(
            f"{type(model).__name__} makes 2-D points, not {dataset} images: pass "
            f"--dataset={' or --dataset='.join(sorted(data.MIXTURE_STDDEV))}"
        )
    if dataset in data.MIXTURE_STDDEV:
        return score_modes(model, loaded.source, dataset, output, home)
    # Refuses psi for families without the truncation trick.
    model.capabilities.sampling_options(type(model).__name__, FLAGS.truncation_psi)
    if FLAGS.noise_mode and not model.capabilities.noise_inputs:
        raise ZooError(
            f"{type(model).__name__} has no noise inputs; drop --noise_mode (StyleGAN has them)"
        )
    count = pictures.class_grid_size(FLAGS.num_samples, model.num_classes)
    samples = model.generate(count, seed=FLAGS.seed, truncation_psi=FLAGS.truncation_psi)
    pictures.write_png(output, pictures.samples_picture(samples, dataset, model.num_classes))
    print(f"wrote {count} samples of {type(model).__name__} to {output}")

    if FLAGS.metrics is None:
        protocols = metrics.get_protocols(metrics.DEFAULT_METRICS)
    if not protocols:
        return
    score_images(model, loaded, protocols, dataset, data_dir)


def score_images(model, loaded, protocols, dataset, data_dir):
    """Scores the model's samples by `protocols` beside the real-data floor; writes the report."""
    started = time.perf_counter()
    extractor = extractors.get_extractor(FLAGS.extractor, FLAGS.inception_weights)
    progress = cli.Progress()
    with extractors.reporting(progress):
        progress.stage(f"features of the real {dataset} train split (cached after the first run)")
        real = metrics.labelled_reference(dataset, "train", model.image_shape, extractor, data_dir)
        reference = real.activations
        conditional = model.conditional and FLAGS.conditional_metrics
        num_classes = model.num_classes if conditional else 0
        floor, num_test = {}, None
        if FLAGS.real_floor:
            # First: a dataset without a test split (a folder of under 10 images)
            # fails before minutes of scoring, not after.
            progress.stage("the real-data floor: the test split scored as if generated")
            floor, num_test = metrics.real_data_floor(
                protocols, dataset=dataset, image_shape=model.image_shape, extractor=extractor,
                data_dir=data_dir, reference=reference, reference_labels=real.labels,
                num_classes=num_classes,
            )  # fmt: skip
        count = max(p.num_samples for p in protocols)
        progress.stage(f"{count:,} samples of {type(model).__name__}, seed {FLAGS.seed}")
        results = metrics.evaluate_model(
            model, protocols, dataset=dataset, data_dir=data_dir, extractor=extractor,
            seed=FLAGS.seed, reference=reference, reference_labels=real.labels,
            conditional_metrics=conditional, truncation_psi=FLAGS.truncation_psi,
            noise_mode=FLAGS.noise_mode,
        )  # fmt: skip
        progress.finish()
    seconds = time.perf_counter() - started

    print(metrics.format_table(protocols, results, floor, num_test, len(reference)))
    if conditional:
        conditional_report = report_classes(
            protocols, results, floor, real, extractor, dataset, num_classes
        )
    report = {
        "model": loaded.source,
        "dataset": dataset,
        "seed": FLAGS.seed,
        "truncation_psi": FLAGS.truncation_psi,
        "noise_mode": FLAGS.noise_mode,
        "extractor": extractor.describe(),
        "num_real_train": len(reference),
        "metrics": results,
        "real_floor": floor,
        "num_real_test": num_test,
        "seconds": round(seconds, 1),
    }
    if conditional:
        report["conditional"] = conditional_report
    write_report(report, loaded.home)
    print(f"scored in {seconds:.0f} s")


def report_classes(protocols, results, floor, real, extractor, dataset, num_classes):
    """Prints the per-class table of a conditional model; returns its metrics.json entry."""
    skips = metrics.conditional_skips(
        num_classes, dataset=dataset, extractor=extractor, reference_labels=real.labels
    )
    num_samples = metrics.conditional_sample_count(protocols)
    class_names = real.class_names if len(real.class_names) == num_classes else ()
    print()
    print(metrics.format_class_table(
        results, floor, class_names, notes=list(skips.values()), num_samples=num_samples
    ))  # fmt: skip
    return {
        "num_classes": num_classes,
        "num_samples": num_samples,
        "class_names": list(class_names),
        "skipped": skips,
    }


def score_modes(model, source, dataset, output, home):
    """The mode-collapse benchmark of a model of a 2-D mixture."""
    if FLAGS.metrics:
        raise ZooError(
            f"--metrics scores images; {dataset} is a 2-D mixture, scored by mode coverage: "
            f"drop --metrics"
        )
    samples = model.generate(FLAGS.mode_samples, seed=FLAGS.seed)
    pictures.write_png(output, pictures.samples_picture(samples, dataset))
    print(f"wrote {FLAGS.mode_samples} samples of {type(model).__name__} to {output}")
    if FLAGS.metrics == "":
        return
    stats = modes.mode_statistics(samples, dataset)
    floor = modes.real_data_statistics(dataset, FLAGS.mode_samples) if FLAGS.real_floor else None
    print(modes.format_report(stats, floor))
    write_report({
        "model": source,
        "dataset": dataset,
        "seed": FLAGS.seed,
        "num_samples": FLAGS.mode_samples,
        "modes": modes.as_json(stats),
        "real_floor": modes.as_json(floor) if floor else None,
    }, home)  # fmt: skip


def write_report(report, home):
    path = pathlib.Path(FLAGS.metrics_json or home / "metrics.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")


def run():
    """The entry point: parses the flags and runs `main`, errors in one line."""
    cli.run(main, usage=__doc__)


if __name__ == "__main__":
    run()
