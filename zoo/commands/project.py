"""Projects images into a trained GAN: for each, the latent whose sample is closest.

    python project.py --network=dcgan_fashion_mnist --target=shirt.png --outdir=out
    python project.py --network=runs/stylegan --target_split=test --target_count=8 --per_layer_w
    python project.py --network=runs/sagan --target_split=test --target_count=4 --true_labels
    python generate.py --network=runs/dcgan --mode=interpolate --seeds=7 \\
        --from_latent=out/proj00_latent.npy

`--network` takes a catalogue name, a preset folder, a `.keras` file or a
training run directory, as generate.py does. The method is stylegan2-ada's
projector (zoo/drawing/projection.py, docs/projection.md): `--steps` Adam
steps from the average latent, on the pixel error plus `--perceptual_weight`
times a perceptual distance on the zoo's Fashion-MNIST classifier. Style-based
families (StyleGAN) are projected in w (`--per_layer_w`: one w per layer),
the others in z.

Targets: `--target=PATH[,PATH...]`, image files (PNG, JPEG), brought to the
model's channels, center-cropped and resized to its side; and/or
`--target_split=test --target_count=N`, the first N images of the split of
the model's dataset (`--dataset`, `--data_dir` for another). A conditional
model draws every target with `--class`; with `--true_labels`, each split
image with its own label; otherwise each target's class is searched.

Writes to `--outdir` (default `<model's folder>/projection`), for target NN
(00, 01, ...: the files of `--target` in order, then the split's images):

- `targetNN.png`: the target as the model sees it;
- `projNN.png`: the sample of the latent found;
- `projNN_steps.png`: `--snapshots` samples along the optimization, first
  to last (`--save_video`: also the animation `projNN_steps.gif`);
- `projNN_latent.npy`: the latent, float32: w `(w_dim,)` (`--per_layer_w`:
  `(num_ws, w_dim)`) for style-based families, z `(latent_dim,)` for the others;
- `projNN_latent.json`: what that latent is: its space, class, distances,
  target, model and settings;

and `pairs.png` (each target, then its projection, four pairs a row) and
`distances.json` (each target's pixel and perceptual distance, and their means).
"""

from zoo.commands import cli

cli.import_tensorflow_quietly()

import math  # noqa: E402
import pathlib  # noqa: E402

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from zoo.commands import network  # noqa: E402
from zoo.core import files  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402
from zoo.drawing import pictures, projection, projection_files  # noqa: E402

# Milliseconds per frame of the --save_video animation.
FRAME_MS = 200
PAIRS_PER_ROW = 4

flags.DEFINE_list("target", None, "Image files to project, PATH[,PATH...] (PNG or JPEG).")
flags.DEFINE_enum(
    "target_split", None, ["train", "test"], "Also project the first --target_count images of "
    "this split of the model's dataset.",
)  # fmt: skip
flags.DEFINE_integer(
    "target_count", 8, "--target_split: how many of its images.", lower_bound=1
)  # fmt: skip
flags.DEFINE_bool(
    "true_labels", False, "--target_split, conditional models: draw each image with its own "
    "label instead of searching the class.",
)  # fmt: skip
flags.DEFINE_string(
    "dataset", None, "--target_split: the dataset; default: the run's, else fashion_mnist."
)
flags.DEFINE_string(
    "data_dir", None, "--target_split: its data folder; default: the run's, else the dataset's."
)
flags.DEFINE_string(
    "outdir", None, "Folder of the files written; default <model's folder>/projection."
)
flags.DEFINE_integer("steps", 1000, "Adam steps of the optimization.", lower_bound=1)
flags.DEFINE_bool(
    "per_layer_w", False, "Style-based families: one w per layer (w+) instead of one for all."
)
flags.DEFINE_string(
    "class", None, "Conditional models: the class of every target, by index or Fashion-MNIST "
    "name; default: searched for each target.",
)  # fmt: skip
flags.DEFINE_integer("seed", 0, "Seed of the latent noise.", lower_bound=0)
flags.DEFINE_float(
    "perceptual_weight", projection.PERCEPTUAL_WEIGHT, "Weight of the perceptual distance "
    "beside the mean squared pixel error; 0: pixels alone.", lower_bound=0.0,
)  # fmt: skip
flags.DEFINE_float(
    "class_search", projection.CLASS_SEARCH, "Conditional models without --class: the "
    "fraction of the steps during which every class is tried.", lower_bound=0.0, upper_bound=1.0,
)  # fmt: skip
flags.DEFINE_integer(
    "snapshots", projection.NUM_SNAPSHOTS, "Samples in each projNN_steps.png, first step to "
    "last.", lower_bound=2,
)  # fmt: skip
flags.DEFINE_bool("save_video", False, "Also write each projNN_steps.gif.")

FLAGS = flags.FLAGS


def _check_flags():
    """One line, before any work, for flags that cannot go together."""
    if not FLAGS.target and FLAGS.target_split is None:
        raise ZooError(
            "pass the images to project: --target=PATH[,PATH...] and/or --target_split=test "
            "(with --target_count=N)"
        )
    if FLAGS.target_split is None:
        for name in ("target_count", "true_labels", "dataset", "data_dir"):
            if FLAGS[name].present:
                raise ZooError(f"--{name} is a flag of --target_split: pass --target_split=test")
    if FLAGS.true_labels and (FLAGS.target or FLAGS["class"].value is not None):
        raise ZooError(
            "--true_labels labels the split's images with their own classes: drop --target "
            "(files have no label) and --class"
        )
    if FLAGS.outdir and pathlib.Path(FLAGS.outdir).is_file():
        raise ZooError(f"--outdir={FLAGS.outdir} is a file; pass a folder (it is created)")


def _class_flag():
    return cli.parse_class(FLAGS["class"].value)


def _targets(model, loaded, decoded):
    """`(targets, sources, split labels)`: the images, where each came from, and the
    split's labels (`None` without `--target_split`)."""
    images = [projection_files.fit_target(pixels, model.image_shape) for pixels in decoded]
    sources = list(FLAGS.target or [])
    split_labels = None
    if FLAGS.target_split is not None:
        dataset = FLAGS.dataset or loaded.dataset or "fashion_mnist"
        split_images, split_labels = projection_files.split_targets(
            dataset, FLAGS.target_split, FLAGS.target_count, model.image_shape,
            FLAGS.data_dir or loaded.data_dir,
        )  # fmt: skip
        images.extend(split_images)
        sources += [f"{dataset}:{FLAGS.target_split}[{i}]" for i in range(len(split_images))]
    return np.stack(images), sources, split_labels


def _labels(model, split_labels):
    """The `labels` argument of `projection.project`: `None` searches the class."""
    label = _class_flag()
    if not model.conditional:
        if label is not None or FLAGS.true_labels:
            raise ZooError(
                f"{type(model).__name__} is unconditional: drop --class and --true_labels"
            )
        return None
    return split_labels if FLAGS.true_labels else label


def main():
    _check_flags()
    # Decoded before the model loads: a bad file fails at once.
    decoded = [projection_files.read_image_file(path) for path in FLAGS.target or []]
    loaded = network.load()
    model = loaded.model
    name = type(model).__name__
    if len(model.image_shape) != 3:
        raise ZooError(f"{name} makes 2-D points: there is no image to project into it")
    targets, sources, split_labels = _targets(model, loaded, decoded)
    labels = _labels(model, split_labels)
    progress = cli.Progress()
    progress.stage(
        f"projecting {len(targets)} image{'s' if len(targets) > 1 else ''} into {name}'s "
        f"{projection.latent_space(model, FLAGS.per_layer_w)}, {FLAGS.steps:,} steps"
    )
    results = projection.project(
        model, targets, steps=FLAGS.steps, per_layer=FLAGS.per_layer_w, labels=labels,
        seed=FLAGS.seed, perceptual_weight=FLAGS.perceptual_weight,
        class_search=FLAGS.class_search, num_snapshots=FLAGS.snapshots, progress=progress,
    )  # fmt: skip
    progress.finish()
    outdir = pathlib.Path(FLAGS.outdir) if FLAGS.outdir else loaded.home / "projection"
    summary = _write(outdir, targets, sources, results, loaded.source)
    mean = summary["mean"]
    print(
        f"wrote {len(results)} projections of {name} to {outdir}/ (proj00.png form): mean "
        f"pixel distance {mean['pixel_distance']:.4f}, perceptual {mean['perceptual_distance']:.4f}"
    )


def _write(outdir, targets, sources, results, source):
    """Writes every target's files, `pairs.png` and `distances.json`; returns the summary."""
    settings = {"network": source, "steps": FLAGS.steps, "seed": FLAGS.seed,
                "perceptual_weight": FLAGS.perceptual_weight}  # fmt: skip
    for index, (target, origin, result) in enumerate(zip(targets, sources, results, strict=True)):
        stem = f"{index:02d}"
        pictures.write_png(outdir / f"target{stem}.png", pictures.to_images(target[None])[0])
        pictures.write_png(outdir / f"proj{stem}.png", pictures.to_images(result.image[None])[0])
        snapshots = pictures.to_images(result.snapshots)
        pictures.write_png(outdir / f"proj{stem}_steps.png", pictures.image_strip(snapshots))
        if FLAGS.save_video:
            pictures.write_gif(
                outdir / f"proj{stem}_steps.gif", pictures.animation_frames(snapshots), FRAME_MS
            )
        projection_files.save_latent(
            outdir / f"proj{stem}_latent.npy", result, target=origin, **settings
        )
    projected = pictures.to_images(np.stack([result.image for result in results]))
    pairs = np.stack([pictures.to_images(targets), projected], axis=1)  # (N, 2, H, W, C)
    rows = math.ceil(len(results) / PAIRS_PER_ROW)
    pictures.write_png(
        outdir / "pairs.png", pictures.image_grid(pairs.reshape(-1, *pairs.shape[2:]), rows)
    )
    summary = _summary(sources, results, settings)
    files.write_json_atomically(outdir / "distances.json", summary, indent=2)
    return summary


def _summary(sources, results, settings):
    """`distances.json`: each target's distances and class, their means, the settings."""
    rows = [
        {"index": index, "target": origin, "label": result.label,
         "pixel_distance": result.pixel_distance,
         "perceptual_distance": result.perceptual_distance}
        for index, (origin, result) in enumerate(zip(sources, results, strict=True))
    ]  # fmt: skip
    mean = {
        key: float(np.mean([row[key] for row in rows]))
        for key in ("pixel_distance", "perceptual_distance")
    }
    return {**settings, "space": results[0].space, "targets": rows, "mean": mean}


def run():
    """The entry point: parses the flags and runs `main`, errors in one line."""
    cli.run(main, usage=__doc__)


if __name__ == "__main__":
    run()
