"""Draws pictures from a trained GAN; needs no dataset.

    python generate.py --workdir=runs/sagan                       # a grid, one row per class
    python generate.py --workdir=runs/sagan --label=6 --num_samples=16   # shirts only
    python generate.py --pretrained=dcgan_fashion_mnist --seed=3 --output=grid.png
    python generate.py --workdir=runs/dcgan --seeds=3,14,15       # one sample per seed
    python generate.py --workdir=runs/stylegan --truncation_psi=0.7
    python generate.py --workdir=runs/sagan --mode=attention --query=8,8
    python generate.py --workdir=runs/dcgan --mode=interpolate --seeds=3,7 --steps=16
    python generate.py --workdir=runs/stylegan --mode=style_mix --row_seeds=1,2 --col_seeds=3,4,5
    python generate.py --workdir=runs/stylegan --mode=truncation --seeds=0,1 --psis=1,0.5,0
    python generate.py --workdir=runs/dcgan --mode=attribute --from_class=Shirt --to_class=Coat

Modes:
- `grid`: `model.generate(num_samples, seed=seed)`, the samples `evaluate.py
  --seed` scores first; a conditional model draws the classes in turn (one
  row per class) or only `--label`. `--seeds=s1,s2,...` draws one sample per
  seed instead: the latent of seed `s` is `seeded_latents(s, 1, latent_dim)`,
  the first latent of `--seed=s`, so the sample of `s` in `--seeds` is the
  first sample of `--seed=s` (for a conditional model, with the same label:
  pass `--label`). `--truncation_psi` (and `--truncation_cutoff`) for
  families with the truncation trick (StyleGAN).
- `attention` (models with self-attention, SAGAN): each sample beside a heat
  map of where one query location of its attention layer looks.
- `interpolate`: `--steps` images from the latent of one seed to another's
  (`--seeds=a,b`), as a strip (PNG) and a looping animation (GIF, beside the
  PNG, `--frame_ms` per frame). The path is the great circle in z (slerp),
  except for style-based families (StyleGAN), whose w is interpolated on a
  straight line: w is where their generator is meant to be smooth (Karras et
  al. 2019, Section 4). A conditional model draws every step with `--label`.
- `style_mix` (style-based families): StyleGAN's style-mixing figure. The top
  row shows the samples of `--col_seeds`, the left column those of
  `--row_seeds`; cell `(r, c)` takes the styles of the layers before
  `--crossover` (coarse: pose, shape) from row `r` and the rest (fine:
  texture) from column `c`.
- `truncation` (families with the truncation trick): one row per seed of
  `--seeds`, one column per psi of `--psis`, from 1 (no truncation) to 0
  (the average w).
- `attribute` (unconditional families making 28x28 or 32x32 grayscale images):
  the latent arithmetic of the lectures. `--pool` samples of `--seed` are
  classified by the shipped Fashion-MNIST classifier; the mean latent (w for
  style-based families) of those taken for `--from_class` is subtracted from
  the mean of those taken for `--to_class`, and each seed of `--seeds` walks
  along that difference, `--steps` points from 0 to `--strength` times it:
  one row per seed.

Each picture goes to `--output`, by default
`<model's folder>/samples/<mode>_seed<seeds>.png`.
"""

from zoo import cli

cli.import_tensorflow_quietly()

import collections  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

from zoo import data, latents, pictures, sources  # noqa: E402
from zoo.errors import ZooError  # noqa: E402

MODES = ("grid", "attention", "interpolate", "style_mix", "truncation", "attribute")
# The flags each mode reads, beyond the model's source and --output; any
# other flag given is a mistake worth one line.
MODE_FLAGS = {
    "grid": ("seed", "num_samples", "seeds", "label", "truncation_psi", "truncation_cutoff"),
    "attention": ("seed", "num_samples", "label", "query"),
    "interpolate": (
        "seeds", "steps", "frame_ms", "label", "truncation_psi", "truncation_cutoff",
    ),
    "style_mix": ("row_seeds", "col_seeds", "crossover", "truncation_psi", "truncation_cutoff"),
    "truncation": ("seeds", "psis", "label", "truncation_cutoff"),
    "attribute": (
        "seed", "pool", "from_class", "to_class", "seeds", "steps", "strength",
        "truncation_psi", "truncation_cutoff",
    ),
}  # fmt: skip
DEFAULT_SEEDS = {"interpolate": (0, 1), "truncation": (0, 1, 2, 3), "attribute": (0, 1, 2, 3)}
# Samples the classifier of --mode=attribute needs in each of the two classes.
MIN_CLASS_SAMPLES = 5
# Images per forward pass of the synthesis network.
BATCH_SIZE = 64
MAX_SEED = 2**63 - 1

flags.DEFINE_string("workdir", None, "A training workdir (its latest checkpoint is used).")
flags.DEFINE_string("model_path", None, "A .keras file saved by train.py.")
flags.DEFINE_string("pretrained", None, "A name of the pretrained catalogue (zoo.pretrained).")
flags.DEFINE_enum("mode", "grid", MODES, "What to draw.")
flags.DEFINE_integer(
    "seed", 0, "Seed of the latents (zoo.latents.seeded_latents); attribute: of the pool."
)
flags.DEFINE_integer(
    "num_samples", None, "Samples drawn; default 64 for grid (rounded up to whole class rows), "
    "4 for attention.", lower_bound=1,
)  # fmt: skip
flags.DEFINE_list(
    "seeds", None, "grid: one sample per seed (instead of --seed/--num_samples); interpolate: "
    "the two ends (default 0,1); truncation, attribute: one row per seed (default 0,1,2,3).",
)  # fmt: skip
flags.DEFINE_integer(
    "label", None, "Class of every sample of a conditional model; default: the classes in turn "
    "(interpolate: 0).",
)  # fmt: skip
flags.DEFINE_list(
    "query", None, "attention: row,col of the query on the attention grid; default its center."
)
flags.DEFINE_float(
    "truncation_psi", None, "Truncation trick (StyleGAN): pull w towards its average, 1 not at "
    "all, 0 all the way; default: none.",
)  # fmt: skip
flags.DEFINE_integer(
    "truncation_cutoff", None, "Truncate only the first this many layers' styles (with "
    "--truncation_psi, or the psis of --mode=truncation); default: all.", lower_bound=0,
)  # fmt: skip
flags.DEFINE_integer(
    "steps", 8, "interpolate: images along the path; attribute: points of each walk.",
    lower_bound=2,
)  # fmt: skip
flags.DEFINE_integer(
    "frame_ms", 100, "interpolate: milliseconds per GIF frame (rounded to 10).", lower_bound=10
)
flags.DEFINE_list("row_seeds", None, "style_mix: seeds of the coarse styles, one row each.")
flags.DEFINE_list("col_seeds", None, "style_mix: seeds of the fine styles, one column each.")
flags.DEFINE_integer(
    "crossover", None, "style_mix: first layer whose style comes from the column seed; "
    "default num_ws // 2.",
)  # fmt: skip
flags.DEFINE_list(
    "psis", ["1", "0.75", "0.5", "0.25", "0"], "truncation: the psis, one column each."
)
flags.DEFINE_integer(
    "pool", 2000, "attribute: samples classified to find each class's mean latent.", lower_bound=1
)
flags.DEFINE_string(
    "from_class", None, "attribute: the Fashion-MNIST class (name or index 0-9) walked away from."
)
flags.DEFINE_string(
    "to_class", None, "attribute: the Fashion-MNIST class (name or index 0-9) walked towards."
)
flags.DEFINE_float(
    "strength", 1.5, "attribute: the walk ends at this multiple of the class difference."
)
flags.DEFINE_string(
    "output", None, "PNG path; default <model's folder>/samples/<mode>_seed<seeds>.png "
    "(interpolate: a GIF beside it, <output stem>.gif).",
)  # fmt: skip

FLAGS = flags.FLAGS

Drawing = collections.namedtuple("Drawing", ["picture", "tag", "frames"], defaults=[None])
Drawing.__doc__ = """A mode's picture, the seeds part of its file name, and GIF frames if any."""


def _check_mode_flags():
    """Refuses a flag that the chosen mode would silently ignore."""
    for name in sorted({name for names in MODE_FLAGS.values() for name in names}):
        if FLAGS[name].present and name not in MODE_FLAGS[FLAGS.mode]:
            users = ", ".join(mode for mode, names in MODE_FLAGS.items() if name in names)
            raise ZooError(f"--mode={FLAGS.mode} takes no --{name} (a flag of --mode={users})")


def _seed_list(name, default=None):
    """The seeds of list flag `--<name>`, else `default` or the mode's; one line for a bad list."""
    values = FLAGS[name].value
    if values is None:
        return list(default or DEFAULT_SEEDS[FLAGS.mode])
    try:
        seeds = [int(value) for value in values]
    except ValueError:
        seeds = []
    if not seeds or not all(0 <= seed <= MAX_SEED for seed in seeds):
        raise ZooError(
            f"--{name} must be a comma-separated list of seeds (integers >= 0), "
            f"got {','.join(values)!r}"
        )
    return seeds


def _seed_tag(seeds):
    """The seeds in a file name: `3-14-15`; a long list by its first four and count."""
    if len(seeds) <= 8:
        return "-".join(str(seed) for seed in seeds)
    return "-".join(str(seed) for seed in seeds[:4]) + f"-and{len(seeds) - 4}more"


def _latents_of(seeds, latent_dim):
    """One latent per seed: `seeded_latents(s, 1, latent_dim)`, the first of `--seed=s`."""
    return tf.concat([latents.seeded_latents(seed, 1, latent_dim) for seed in seeds], axis=0)


def _label(model):
    """`--label`, checked against the model; `None` when not given."""
    if not model.conditional:
        if FLAGS.label is not None:
            raise ZooError(f"{type(model).__name__} is unconditional: drop --label")
        return None
    if FLAGS.label is not None and not 0 <= FLAGS.label < model.num_classes:
        raise ZooError(f"--label must be in [0, {model.num_classes}), got {FLAGS.label}")
    return FLAGS.label


def _labels(model, count):
    """The labels of `count` samples: `--label` for all, else the classes in turn."""
    label = _label(model)
    if not model.conditional:
        return None
    if label is None:
        return latents.class_labels(count, model.num_classes).numpy()
    return np.full([count], label, np.int32)


def _truncation():
    """`--truncation_psi` and `--truncation_cutoff` as `GAN.generate` keyword arguments."""
    return {"truncation_psi": FLAGS.truncation_psi, "truncation_cutoff": FLAGS.truncation_cutoff}


def _require_style_space(model):
    if model.style_shape is None:
        raise ZooError(
            f"{type(model).__name__} has no style space: --mode={FLAGS.mode} is for "
            f"style-based families (StyleGAN)"
        )


def _ws(model, z):
    """The ws `(B, num_ws, w_dim)` of latents, from the generator that samples."""
    return model.mapping(tf.convert_to_tensor(z, tf.float32), generator=model.sampling_generator)


def _truncate(model, ws):
    """ws truncated as `--truncation_psi/--truncation_cutoff` ask, as `generate` would."""
    psi, cutoff = FLAGS.truncation_psi, FLAGS.truncation_cutoff
    if psi in (None, 1.0) and cutoff is None:
        return ws
    psi = 1.0 if psi is None else psi
    return model.truncate(ws, psi, cutoff, generator=model.sampling_generator)


def _synthesize(model, ws):
    """Images in [-1, 1] (clipped) of ws, from the generator that samples, in batches."""
    ws = tf.convert_to_tensor(ws, tf.float32)
    parts = [
        np.asarray(model.synthesize(ws[i : i + BATCH_SIZE], generator=model.sampling_generator))
        for i in range(0, int(ws.shape[0]), BATCH_SIZE)
    ]
    return np.clip(np.concatenate(parts), -1.0, 1.0)


def draw_grid(model):
    options = _truncation()
    if FLAGS.seeds is not None:
        if FLAGS["seed"].present or FLAGS.num_samples is not None:
            raise ZooError("--seeds draws one sample per seed: drop --seed and --num_samples")
        seeds = _seed_list("seeds")
        z = _latents_of(seeds, model.latent_dim)
        samples = model.generate(latents=z, labels=_labels(model, len(seeds)), **options)
        return Drawing(pictures.samples_picture(samples), _seed_tag(seeds))
    count = FLAGS.num_samples or 64
    rows_by_class = model.conditional and FLAGS.label is None
    if rows_by_class:
        count = pictures.class_grid_size(count, model.num_classes)
    samples = model.generate(count, labels=_labels(model, count), seed=FLAGS.seed, **options)
    picture = pictures.samples_picture(samples, None, model.num_classes if rows_by_class else 0)
    return Drawing(picture, str(FLAGS.seed))


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
    return Drawing(pictures.attention_picture(images, attention, query), str(FLAGS.seed))


def draw_interpolate(model):
    seeds = _seed_list("seeds")
    if len(seeds) != 2:
        raise ZooError(f"--mode=interpolate takes two seeds, --seeds=start,end; got {len(seeds)}")
    z = _latents_of(seeds, model.latent_dim)
    if model.style_shape is not None:
        _label(model)
        # A straight line in w: (1 - t) w_a + t w_b is w_a at t = 0 and w_b at
        # t = 1 exactly, so the ends are the two seeds' samples.
        ws = _ws(model, z)
        t = tf.constant(np.linspace(0.0, 1.0, FLAGS.steps, dtype=np.float32)[:, None, None])
        images = _synthesize(model, _truncate(model, (1.0 - t) * ws[0:1] + t * ws[1:2]))
    else:
        label = _label(model)
        labels = None
        if model.conditional:
            labels = np.full([FLAGS.steps], 0 if label is None else label, np.int32)
        path = latents.interpolation_path(z[0], z[1], FLAGS.steps)
        images = model.generate(latents=path, labels=labels, **_truncation())
    images = pictures.to_images(images)
    return Drawing(
        pictures.image_strip(images), _seed_tag(seeds), pictures.animation_frames(images)
    )


def draw_style_mix(model):
    _require_style_space(model)
    num_ws = model.style_shape[0]
    crossover = num_ws // 2 if FLAGS.crossover is None else FLAGS.crossover
    if not 1 <= crossover < num_ws:
        raise ZooError(
            f"--crossover must be in [1, {num_ws}) for {type(model).__name__}'s {num_ws} "
            f"styles (layers before it take the row seed's), got {crossover}"
        )
    row_seeds = _seed_list("row_seeds", (0, 1, 2, 3))
    col_seeds = _seed_list("col_seeds", (4, 5, 6, 7))
    row_ws = _truncate(model, _ws(model, _latents_of(row_seeds, model.latent_dim)))
    col_ws = _truncate(model, _ws(model, _latents_of(col_seeds, model.latent_dim)))
    mixed = latents.crossed_styles(row_ws, col_ws, crossover)
    images = pictures.to_images(_synthesize(model, tf.concat([row_ws, col_ws, mixed], axis=0)))
    num_rows, num_cols = len(row_seeds), len(col_seeds)
    row_images, col_images = images[:num_rows], images[num_rows : num_rows + num_cols]
    cells = images[num_rows + num_cols :].reshape(num_rows, num_cols, *images.shape[1:])
    return Drawing(
        pictures.labelled_grid(cells, row_images, col_images),
        f"{_seed_tag(row_seeds)}_{_seed_tag(col_seeds)}",
    )


def _psi_list():
    try:
        psis = [float(value) for value in FLAGS.psis]
    except ValueError:
        psis = []
    if not psis or not all(math.isfinite(psi) for psi in psis):
        raise ZooError(
            f"--psis must be a comma-separated list of numbers (1: no truncation, 0: the "
            f"average w), got {','.join(FLAGS.psis)!r}"
        )
    return psis


def draw_truncation(model):
    if not model.supports_truncation:
        raise ZooError(
            f"{type(model).__name__} has no truncation trick: --mode=truncation is for "
            f"families with it (StyleGAN)"
        )
    seeds, psis = _seed_list("seeds"), _psi_list()
    z = _latents_of(seeds, model.latent_dim)
    labels = _labels(model, len(seeds))
    columns = [
        model.generate(
            latents=z, labels=labels, truncation_psi=psi, truncation_cutoff=FLAGS.truncation_cutoff
        )
        for psi in psis
    ]
    # (seeds, psis, H, W, C): row r, column c is seed r at psi c.
    images = np.stack(columns, axis=1).reshape(-1, *model.image_shape)
    picture = pictures.image_grid(pictures.to_images(images), num_rows=len(seeds))
    return Drawing(picture, _seed_tag(seeds))


def _class_index(name):
    """The Fashion-MNIST class of `--<name>`: an index 0-9 or a name, any case or punctuation."""
    text = FLAGS[name].value
    if text is None:
        raise ZooError(
            "--mode=attribute needs --from_class and --to_class (Fashion-MNIST classes, by "
            "index 0-9 or name, e.g. --from_class=Shirt --to_class=Coat)"
        )
    classes = data.FASHION_MNIST_CLASSES
    if text.strip().isdigit() and int(text) < len(classes):
        return int(text)

    def simple(words):
        return "".join(char for char in words.lower() if char.isalnum())

    for index, cls in enumerate(classes):
        if simple(text) in {simple(cls), *(simple(part) for part in cls.split("/"))}:
            return index
    raise ZooError(
        f"--{name}={text!r} is no Fashion-MNIST class; pass an index 0-9 or one of "
        f"{', '.join(classes)}"
    )


def draw_attribute(model):
    from zoo import extractors

    name = type(model).__name__
    if model.conditional:
        raise ZooError(
            f"{name} is class-conditional: their class is a label: use --label (--mode=grid "
            f"--label=<class>)"
        )
    source, target = _class_index("from_class"), _class_index("to_class")
    classes = data.FASHION_MNIST_CLASSES
    if source == target:
        raise ZooError(f"--from_class and --to_class are both {classes[source]}: pick two classes")
    if tuple(model.image_shape) not in ((28, 28, 1), (32, 32, 1)):
        raise ZooError(
            f"--mode=attribute classifies samples with the Fashion-MNIST classifier, which "
            f"takes 28x28 or 32x32 grayscale images; {name} makes {model.image_shape}"
        )
    classifier = extractors.get_extractor()
    style_based = model.style_shape is not None
    pool = latents.seeded_latents(FLAGS.seed, FLAGS.pool, model.latent_dim)
    codes, predicted = [], []
    for start in range(0, FLAGS.pool, BATCH_SIZE):
        z = pool[start : start + BATCH_SIZE]
        if style_based:
            ws = _ws(model, z)
            codes.append(np.asarray(ws[:, 0]))  # every layer holds the same w
            images = _synthesize(model, ws)
        else:
            codes.append(z.numpy())
            images = np.clip(model.generate(latents=z), -1.0, 1.0)
        _, logits = classifier(images)
        predicted.append(np.argmax(logits, axis=-1))
    predicted = np.concatenate(predicted)
    counts = np.bincount(predicted, minlength=len(classes))
    print(
        f"classified {FLAGS.pool} samples of --seed={FLAGS.seed}: {counts[source]} "
        f"{classes[source]}, {counts[target]} {classes[target]}"
    )
    direction = latents.attribute_direction(
        np.concatenate(codes), predicted, source, target, MIN_CLASS_SAMPLES, classes
    )
    seeds = _seed_list("seeds")
    z = _latents_of(seeds, model.latent_dim)
    base = np.asarray(_ws(model, z)[:, 0]) if style_based else z.numpy()
    strengths = np.linspace(0.0, FLAGS.strength, FLAGS.steps, dtype=np.float32)
    # (seeds, steps, dim): row r walks from seed r's latent along the direction.
    walks = (base[:, None, :] + strengths[None, :, None] * direction).reshape(
        len(seeds) * FLAGS.steps, -1
    )
    if style_based:
        ws = np.repeat(walks[:, None, :], model.style_shape[0], axis=1)
        images = _synthesize(model, _truncate(model, tf.convert_to_tensor(ws)))
    else:
        images = model.generate(latents=walks, **_truncation())
    picture = pictures.image_grid(pictures.to_images(images), num_rows=len(seeds))
    return Drawing(picture, f"{_seed_tag(seeds)}_class{source}-{target}")


DRAWERS = {
    "grid": draw_grid,
    "attention": draw_attention,
    "interpolate": draw_interpolate,
    "style_mix": draw_style_mix,
    "truncation": draw_truncation,
    "attribute": draw_attribute,
}


def main():
    _check_mode_flags()
    output = FLAGS.output and pathlib.Path(FLAGS.output)
    if FLAGS.mode == "interpolate" and output and output.suffix.lower() == ".gif":
        raise ZooError("--output is the PNG strip; the GIF goes beside it: pass a .png path")
    if (
        FLAGS.truncation_cutoff is not None
        and FLAGS.truncation_psi is None
        and FLAGS.mode != "truncation"
    ):
        raise ZooError("--truncation_cutoff limits --truncation_psi to the first layers: pass both")
    loaded = sources.load_from_source(
        workdir=FLAGS.workdir, model_path=FLAGS.model_path, pretrained=FLAGS.pretrained
    )
    model = loaded.model
    name = type(model).__name__
    if len(model.image_shape) != 3:
        raise ZooError(f"{name} makes 2-D points: use evaluate.py for its plot")
    # One line for truncation asked of a family without it.
    model.sampling_options(FLAGS.truncation_psi, FLAGS.truncation_cutoff)
    num_ws = model.style_shape[0] if model.style_shape is not None else None
    if FLAGS.truncation_cutoff is not None and num_ws and FLAGS.truncation_cutoff > num_ws:
        raise ZooError(
            f"--truncation_cutoff must be in [0, {num_ws}] ({name} has {num_ws} styles), "
            f"got {FLAGS.truncation_cutoff}"
        )
    drawing = DRAWERS[FLAGS.mode](model)
    output = output or loaded.home / "samples" / f"{FLAGS.mode}_seed{drawing.tag}.png"
    pictures.write_png(output, drawing.picture)
    print(f"wrote {FLAGS.mode} of {name} ({loaded.source}) to {output}")
    if drawing.frames is not None:
        animation = output.with_suffix(".gif")
        pictures.write_gif(animation, drawing.frames, FLAGS.frame_ms)
        print(f"wrote its animation ({len(drawing.frames)} frames) to {animation}")


def run():
    """The entry point: parses the flags and runs `main`, errors in one line."""
    cli.run(main, usage=__doc__)


if __name__ == "__main__":
    run()
