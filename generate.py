"""Draws pictures from a trained GAN; needs no dataset.

    python generate.py --workdir=runs/sagan                       # a grid, one row per class
    python generate.py --workdir=runs/sagan --label=6 --num_samples=16   # shirts only
    python generate.py --pretrained=dcgan_fashion_mnist --seed=3 --output=grid.png
    python generate.py --workdir=runs/sagan --mode=attention --query=8,8

Modes:
- `grid`: `model.generate(num_samples, seed=seed)`, the samples `evaluate.py
  --seed` scores first; a conditional model draws the classes in turn (one
  row per class) or only `--label`.
- `attention` (models with self-attention, SAGAN): each sample beside a heat
  map of where one query location of its attention layer looks.
"""

from zoo import cli

cli.import_tensorflow_quietly()

import pathlib  # noqa: E402

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from zoo import latents, pictures, training  # noqa: E402
from zoo.errors import ZooError  # noqa: E402

MODES = ("grid", "attention")

flags.DEFINE_string("workdir", None, "A training workdir (its latest checkpoint is used).")
flags.DEFINE_string("model_path", None, "A .keras file saved by train.py.")
flags.DEFINE_string("pretrained", None, "A name of the pretrained catalogue (zoo.pretrained).")
flags.DEFINE_enum("mode", "grid", MODES, "What to draw.")
flags.DEFINE_integer("seed", 0, "Seed of the latents (zoo.latents.seeded_latents).")
flags.DEFINE_integer(
    "num_samples", None, "Samples drawn; default 64 for grid (rounded up to whole class rows), "
    "4 for attention.", lower_bound=1,
)  # fmt: skip
flags.DEFINE_integer(
    "label", None, "Class of every sample of a conditional model; default: the classes in turn."
)
flags.DEFINE_list(
    "query", None, "attention: row,col of the query on the attention grid; default its center."
)
flags.DEFINE_string(
    "output", None, "PNG path; default <model's folder>/samples/<mode>_seed<seed>.png."
)

FLAGS = flags.FLAGS


def _home(loaded):
    if loaded.run_dir is not None:
        return loaded.run_dir
    if FLAGS.model_path:
        return pathlib.Path(FLAGS.model_path).parent
    return pathlib.Path("runs", "pretrained", loaded.name)


def _labels(model, count):
    """The labels of `count` samples: `--label` for all, else the classes in turn."""
    if not model.conditional:
        if FLAGS.label is not None:
            raise ZooError(f"{type(model).__name__} is unconditional: drop --label")
        return None
    if FLAGS.label is None:
        return latents.class_labels(count, model.num_classes).numpy()
    if not 0 <= FLAGS.label < model.num_classes:
        raise ZooError(f"--label must be in [0, {model.num_classes}), got {FLAGS.label}")
    return np.full([count], FLAGS.label, np.int32)


def draw_grid(model):
    count = FLAGS.num_samples or 64
    rows_by_class = model.conditional and FLAGS.label is None
    if rows_by_class:
        count = pictures.class_grid_size(count, model.num_classes)
    samples = model.generate(count, labels=_labels(model, count), seed=FLAGS.seed)
    return pictures.samples_picture(samples, None, model.num_classes if rows_by_class else 0)


def draw_attention(model):
    if not hasattr(model, "attention_maps"):
        raise ZooError(
            f"{type(model).__name__} has no attention layer; --mode=attention is SAGAN's"
        )
    count = FLAGS.num_samples or 4
    z = latents.seeded_latents(FLAGS.seed, count, model.latent_dim)
    images, attention = model.attention_maps(z, _labels(model, count))
    side = model.attention_side
    if FLAGS.query is None:
        query = (side // 2, side // 2)
    else:
        try:
            query = tuple(int(v) for v in FLAGS.query)
        except ValueError:
            query = ()
        if len(query) != 2 or not all(0 <= v < side for v in query):
            raise ZooError(
                f"--query must be row,col on the {side}x{side} attention grid, got "
                f"{','.join(FLAGS.query)}"
            )
    return pictures.attention_picture(images, attention, query)


def main():
    loaded = training.load_from_source(
        workdir=FLAGS.workdir, model_path=FLAGS.model_path, pretrained=FLAGS.pretrained
    )
    model = loaded.model
    if len(model.image_shape) != 3:
        raise ZooError(f"{type(model).__name__} makes 2-D points: use evaluate.py for its plot")
    picture = draw_attention(model) if FLAGS.mode == "attention" else draw_grid(model)
    output = FLAGS.output or _home(loaded) / "samples" / f"{FLAGS.mode}_seed{FLAGS.seed}.png"
    pictures.write_png(output, picture)
    print(f"wrote {FLAGS.mode} of {type(model).__name__} ({loaded.source}) to {output}")


if __name__ == "__main__":
    cli.run(main)
