"""Draws pictures from a trained GAN; needs no dataset.

    python generate.py --network=dcgan_fashion_mnist --seeds=0-35 --outdir=out  # seed0000.png...
    python generate.py --network=runs/sagan --seeds=0-9 --class=Shirt --outdir=out --grid
    python generate.py --network=runs/sagan                        # a grid, one row per class
    python generate.py --network=dcgan_fashion_mnist --seed=3 --output=grid.png
    python generate.py --network=runs/stylegan --trunc=0.7
    python generate.py --network=runs/sagan --mode=attention --query=8,8
    python generate.py --network=runs/dcgan --mode=interpolate --seeds=3,7 --frames=16
    python generate.py --network=runs/dcgan --mode=interpolate --from_latent=p/proj00_latent.npy
    python generate.py --network=runs/stylegan --mode=style_mix --row_seeds=1,2 --col_seeds=3-5
    python generate.py --network=runs/stylegan --mode=truncation --seeds=0,1 --psis=1,0.5,0
    python generate.py --network=runs/dcgan --mode=attribute --from_class=Shirt --to_class=Coat

`--network` takes a catalogue name, a preset folder, a `.keras` file or a
training run directory (`--workdir`, `--model_path` and `--pretrained` still
work). Seeds are lists and ranges, `0-35,40,42-44`. `--class` takes a class
index or a Fashion-MNIST name (`--label` is the same flag).

Modes:
- `grid`: `model.generate(num_samples, seed=seed)`, the samples `evaluate.py
  --seed` scores first; a conditional model draws the classes in turn (one
  row per class) or only `--class`. `--seeds=0-35` draws one sample per
  seed instead: the latent of seed `s` is `seeded_latents(s, 1, latent_dim)`,
  the first latent of `--seed=s`, so the sample of `s` in `--seeds` is the
  first sample of `--seed=s` (for a conditional model, with the same class:
  pass `--class`). With `--outdir` each seed's sample is its own PNG,
  `seed0042.png` (`seed0042_class6.png` for a conditional model; without
  `--class` the seeds take the classes in turn), and `--grid` writes the
  grid beside them. `--trunc` (`--truncation_psi`, and `--truncation_cutoff`)
  for families with the truncation trick (StyleGAN).
- `attention` (models with self-attention, SAGAN): each sample beside a heat
  map of where one query location of its attention layer looks.
- `interpolate`: `--frames` images from the latent of one seed to another's
  (`--seeds=a,b`), as a strip (PNG) and a looping animation (GIF, beside the
  PNG, `--frame_ms` per frame). The path is the great circle in z (slerp),
  except for style-based families (StyleGAN), whose w is interpolated on a
  straight line: w is where their generator is meant to be smooth (Karras et
  al. 2019, Section 4). A conditional model draws every frame with `--class`.
  `--from_latent=FILE.npy` starts the walk at a latent that project.py saved
  (its class too, unless `--class` is given) and ends it at the one seed of
  `--seeds`.
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
  along that difference, `--frames` points from 0 to `--strength` times it:
  one row per seed.

Each picture goes to `--output`, by default
`<model's folder>/samples/<mode>_seed<seeds>.png`; an `--output` that is a
folder, or an `--outdir` that is a file, is refused before anything is written.
"""

from zoo.commands import cli

cli.import_tensorflow_quietly()

import math  # noqa: E402
import pathlib  # noqa: E402

from absl import flags  # noqa: E402

from zoo import drawing  # noqa: E402
from zoo.commands import network  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402
from zoo.drawing import pictures, projection, projection_files  # noqa: E402

MODES = ("grid", "attention", "interpolate", "style_mix", "truncation", "attribute")
# The flags each mode reads, beyond the model's source and --output; any
# other flag given is a mistake worth one line.
MODE_FLAGS = {
    "grid": (
        "seed", "num_samples", "seeds", "class", "truncation_psi", "truncation_cutoff", "outdir",
        "grid",
    ),
    "attention": ("seed", "num_samples", "class", "query"),
    "interpolate": (
        "seeds", "frames", "frame_ms", "class", "truncation_psi", "truncation_cutoff",
        "from_latent",
    ),
    "style_mix": ("row_seeds", "col_seeds", "crossover", "truncation_psi", "truncation_cutoff"),
    "truncation": ("seeds", "psis", "class", "truncation_cutoff"),
    "attribute": (
        "seed", "pool", "from_class", "to_class", "seeds", "frames", "strength",
        "truncation_psi", "truncation_cutoff",
    ),
}  # fmt: skip
DEFAULT_SEEDS = {"interpolate": (0, 1), "truncation": (0, 1, 2, 3), "attribute": (0, 1, 2, 3)}

flags.DEFINE_enum("mode", "grid", MODES, "What to draw.")
flags.DEFINE_integer(
    "seed", 0, "Seed of the latents (zoo.latents.seeded_latents); attribute: of the pool.",
    lower_bound=0,
)  # fmt: skip
flags.DEFINE_integer(
    "num_samples", None, "Samples drawn; default 64 for grid (rounded up to whole class rows), "
    "4 for attention.", lower_bound=1,
)  # fmt: skip
flags.DEFINE_list(
    "seeds", None, "Seeds and ranges, 0-35,40. grid: one sample per seed (instead of "
    "--seed/--num_samples); interpolate: the two ends (default 0,1); truncation, attribute: one "
    "row per seed (default 0-3).",
)  # fmt: skip
flags.DEFINE_string(
    "class", None, "Class of every sample of a conditional model, by index or Fashion-MNIST name; "
    "default: the classes in turn (interpolate: 0).",
)  # fmt: skip
flags.DEFINE_alias("label", "class")
flags.DEFINE_list(
    "query", None, "attention: row,col of the query on the attention grid; default its center."
)
flags.DEFINE_float(
    "truncation_psi", None, "Truncation trick (StyleGAN): pull w towards its average, 1 not at "
    "all, 0 all the way; default: none.",
)  # fmt: skip
flags.DEFINE_alias("trunc", "truncation_psi")
flags.DEFINE_integer(
    "truncation_cutoff", None, "Truncate only the first this many layers' styles (with "
    "--truncation_psi, or the psis of --mode=truncation); default: all.", lower_bound=0,
)  # fmt: skip
flags.DEFINE_integer(
    "frames", 8, "interpolate: images along the path; attribute: points of each walk.",
    lower_bound=2,
)  # fmt: skip
flags.DEFINE_alias("steps", "frames")
flags.DEFINE_integer(
    "frame_ms", 100, "interpolate: milliseconds per GIF frame (rounded to 10).", lower_bound=10
)
flags.DEFINE_string(
    "from_latent", None, "interpolate: start at a latent that project.py saved "
    "(projNN_latent.npy) instead of a seed's; --seeds names the end.",
)  # fmt: skip
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
flags.DEFINE_string(
    "outdir", None, "grid with --seeds: a folder that gets one PNG per seed, seed0042.png "
    "(seed0042_class6.png for a conditional model).",
)  # fmt: skip
flags.DEFINE_bool("grid", False, "grid with --outdir: also write the seeds' grid, grid.png.")
for _name in ("truncation_psi", "strength"):
    flags.register_validator(
        _name, lambda value: value is None or math.isfinite(value),
        f"--{_name} must be a finite number",
    )  # fmt: skip

FLAGS = flags.FLAGS


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
    return cli.parse_seeds(values, f"--{name}")


def _seed_tag(seeds):
    """The seeds in a file name: `3-14-15`; a long list by its first four and count."""
    if len(seeds) <= 8:
        return "-".join(str(seed) for seed in seeds)
    return "-".join(str(seed) for seed in seeds[:4]) + f"-and{len(seeds) - 4}more"


def _truncation():
    return {"truncation_psi": FLAGS.truncation_psi, "truncation_cutoff": FLAGS.truncation_cutoff}


def _query():
    if FLAGS.query is None:
        return None
    try:
        return tuple(int(v) for v in FLAGS.query)
    except ValueError:
        raise ZooError(f"--query must be row,col on the attention grid, got "
                       f"{','.join(FLAGS.query)}") from None  # fmt: skip


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


def _class_flag(name):
    if FLAGS[name].value is None:
        raise ZooError(
            "--mode=attribute needs --from_class and --to_class (Fashion-MNIST classes, by "
            "index 0-9 or name, e.g. --from_class=Shirt --to_class=Coat)"
        )
    try:
        return drawing.class_index(FLAGS[name].value)
    except ZooError as e:
        raise ZooError(f"--{name}={e}") from None


def _label():
    return cli.parse_class(FLAGS["class"].value)


# Drawing arguments that come straight from a flag: their errors name the flag.
_FLAG_ARGUMENTS = {"label": "class", "query": "query", "crossover": "crossover"}


def draw(model):
    """The chosen mode's `zoo.drawing` call, and the seeds part of its file name."""
    try:
        return _draw(model)
    except ZooError as e:
        argument, _, rest = str(e).partition(" ")
        if argument in _FLAG_ARGUMENTS:
            raise ZooError(f"--{_FLAG_ARGUMENTS[argument]} {rest}") from None
        raise


def _draw(model):
    mode = FLAGS.mode
    if mode == "grid":
        if FLAGS.seeds is not None and (FLAGS["seed"].present or FLAGS.num_samples is not None):
            raise ZooError("--seeds draws one sample per seed: drop --seed and --num_samples")
        if FLAGS.outdir:
            return _seed_images(model), None
        seeds = _seed_list("seeds") if FLAGS.seeds is not None else None
        result = drawing.grid(
            model, seed=FLAGS.seed, num_samples=FLAGS.num_samples or 64, seeds=seeds,
            label=_label(), **_truncation(),
        )  # fmt: skip
        return result, _seed_tag(seeds) if seeds else str(FLAGS.seed)
    if mode == "attention":
        result = drawing.attention(
            model, seed=FLAGS.seed, num_samples=FLAGS.num_samples or 4, label=_label(),
            query=_query(),
        )  # fmt: skip
        return result, str(FLAGS.seed)
    if mode == "interpolate" and FLAGS.from_latent is not None:
        return _interpolation_from_latent(model)
    if mode == "interpolate":
        seeds = _seed_list("seeds")
        if len(seeds) != 2:
            raise ZooError(
                f"--mode=interpolate takes two seeds, --seeds=start,end; got {len(seeds)}"
            )
        result = drawing.interpolation(
            model, *seeds, steps=FLAGS.frames, label=_label(), **_truncation()
        )
        return result, _seed_tag(seeds)
    if mode == "style_mix":
        rows, cols = _seed_list("row_seeds", (0, 1, 2, 3)), _seed_list("col_seeds", (4, 5, 6, 7))
        result = drawing.style_mix(model, rows, cols, crossover=FLAGS.crossover, **_truncation())
        return result, f"{_seed_tag(rows)}_{_seed_tag(cols)}"
    if mode == "truncation":
        seeds = _seed_list("seeds")
        result = drawing.truncation_sweep(
            model, seeds, _psi_list(), label=_label(), truncation_cutoff=FLAGS.truncation_cutoff
        )
        return result, _seed_tag(seeds)
    source, target = _class_flag("from_class"), _class_flag("to_class")
    seeds = _seed_list("seeds")
    result = drawing.attribute_walk(
        model, seeds, source, target, seed=FLAGS.seed, pool=FLAGS.pool, steps=FLAGS.frames,
        strength=FLAGS.strength, **_truncation(),
    )  # fmt: skip
    return result, f"{_seed_tag(seeds)}_class{source}-{target}"


def _interpolation_from_latent(model):
    """`--from_latent`: the walk from a saved projection to the one seed of `--seeds`."""
    seeds = _seed_list("seeds", DEFAULT_SEEDS["interpolate"][:1])
    if len(seeds) != 1:
        raise ZooError(
            f"--from_latent starts the walk at the saved latent: pass the end as one seed, "
            f"--seeds=7; got {len(seeds)}"
        )
    saved = projection_files.load_latent(FLAGS.from_latent)
    label = _label()
    result = projection.interpolation_from_latent(
        model, saved.latent, seeds[0], steps=FLAGS.frames,
        label=saved.label if label is None else label, space=saved.space, **_truncation(),
    )  # fmt: skip
    return result, f"{_seed_tag(seeds)}_from_{pathlib.Path(FLAGS.from_latent).stem}"


def _seed_images(model):
    """`--outdir`: `(file name, uint8 image)` per seed, and the grid on request."""
    seeds = _seed_list("seeds")
    images, labels = drawing.seed_images(model, seeds, label=_label(), **_truncation())
    names = [
        f"seed{seed:04d}.png" if labels is None else f"seed{seed:04d}_class{int(label)}.png"
        for seed, label in zip(seeds, labels if labels is not None else seeds, strict=True)
    ]
    files = list(zip(names, images, strict=True))
    if FLAGS.grid:
        files.append(("grid.png", pictures.image_grid(images)))
    return files


def _check_outputs():
    """One line, before anything is written, for outputs that cannot be what they name."""
    if FLAGS.outdir is not None:
        if FLAGS.mode != "grid" or FLAGS.seeds is None:
            raise ZooError("--outdir writes one PNG per seed of --seeds (e.g. --seeds=0-15)")
        if FLAGS.output is not None:
            raise ZooError("pass --outdir (one PNG per seed) or --output (one picture), not both")
        if pathlib.Path(FLAGS.outdir).is_file():
            raise ZooError(f"--outdir={FLAGS.outdir} is a file; pass a folder (it is created)")
    elif FLAGS.grid:
        raise ZooError("--grid writes the seeds' grid beside --outdir's PNGs: pass --outdir")
    output = FLAGS.output and pathlib.Path(FLAGS.output)
    if output and output.is_dir():
        raise ZooError(
            f"--output={output} is a folder; pass a PNG file path (or --outdir for one PNG per "
            f"seed)"
        )
    if FLAGS.mode == "interpolate" and output and output.suffix.lower() == ".gif":
        raise ZooError("--output is the PNG strip; the GIF goes beside it: pass a .png path")
    return output


def main():
    _check_mode_flags()
    output = _check_outputs()
    if (
        FLAGS.truncation_cutoff is not None
        and FLAGS.truncation_psi is None
        and FLAGS.mode != "truncation"
    ):
        raise ZooError("--truncation_cutoff limits --truncation_psi to the first layers: pass both")
    loaded = network.load()
    model = loaded.model
    name = type(model).__name__
    if len(model.image_shape) != 3:
        raise ZooError(f"{name} makes 2-D points: use evaluate.py for its plot")
    capabilities = model.capabilities
    # One line for truncation asked of a family without it.
    capabilities.sampling_options(name, FLAGS.truncation_psi, FLAGS.truncation_cutoff)
    num_ws = capabilities.styles[0] if capabilities.styles is not None else None
    if FLAGS.truncation_cutoff is not None and num_ws and FLAGS.truncation_cutoff > num_ws:
        raise ZooError(
            f"--truncation_cutoff must be in [0, {num_ws}] ({name} has {num_ws} styles), "
            f"got {FLAGS.truncation_cutoff}"
        )
    result, tag = draw(model)
    if FLAGS.outdir:
        _write_seed_files(pathlib.Path(FLAGS.outdir), result, name)
        return
    if result.note:
        print(result.note)
    output = output or loaded.home / "samples" / f"{FLAGS.mode}_seed{tag}.png"
    pictures.write_png(output, result.picture)
    print(f"wrote {FLAGS.mode} of {name} to {output}")
    if result.frames is not None:
        animation = output.with_suffix(".gif")
        pictures.write_gif(animation, result.frames, FLAGS.frame_ms)
        print(f"wrote its animation ({len(result.frames)} frames) to {animation}")


def _write_seed_files(outdir, files, name):
    for file_name, image in files:
        pictures.write_png(outdir / file_name, image)
    seeds = len(files) - (1 if FLAGS.grid else 0)
    grid = " and grid.png" if FLAGS.grid else ""
    print(f"wrote {seeds} samples of {name} to {outdir}/ (seed0000.png form){grid}")


def run():
    """The entry point: parses the flags and runs `main`, errors in one line."""
    cli.run(main, usage=__doc__)


if __name__ == "__main__":
    run()
