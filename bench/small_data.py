"""Small data: no augmentation, DiffAugment and ADA on 1,000 and 5,000 training images.

    python bench/small_data.py                              # the whole grid
    python bench/small_data.py --families=dcgan --sizes=1000 --minutes=10

Each family (DCGAN, SAGAN, StyleGAN2) trains on the first `--sizes` images of
a seeded subset of Fashion-MNIST's train split (`--train_images`), once per
`--augments` setting, for the same wall-clock budgets: each of `--minutes` at
the throughput each (family, augmentation) pair measures in a short probe,
turned into steps. A run's longer budget resumes its shorter one (the learning
rates are constant, so it equals a run trained straight through), and each is
scored: the table shows where each setting stands after each budget. Without
augmentation the discriminator needs a few hundred thousand images to memorise
1,000 (DCGAN's `d_real` passes 0.97 after 10 minutes), and the augmentations
only pay after that. A budget in steps makes the runs resumable and fair on a machine
that is busy with something else; only the probes (`--probe_seconds` each)
need a quiet machine, and their rates are kept in the JSON rows, so a rerun
does not probe again. `evaluate.py` scores each run against the whole train
split, not the subset it saw (the shipped classifier's FID, IS and KID of
10,000 samples; the test split is the floor), each run's
last sample grid is copied to `--grids` for the runs on `--grid_size` images, and
the Markdown table is rebuilt after every run. Its last rows score each subset
itself, repeated to 10,000 samples (`metrics.copying_floor`): a generator that
memorised its training images would score that, so a fid10k near it is no proof
of generalisation (copying 1,000 images scores 0.67).

ADA adjusts `p` at a speed that takes it from 0 to 1 in `--ada_speed` images:
NVIDIA's 500k were chosen for budgets of 25M images; these budgets are a few
hundred thousand, and 100k (their value for fine-tuning) lets `p` reach the
strength the data needs within the run.
"""

import itertools
import json
import math
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from bench import rows as bench_rows  # noqa: E402
from bench import timed  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402

FAMILIES = ("dcgan", "sagan", "stylegan")
AUGMENTS = ("none", "diffaugment", "ada")
LABELS = {"dcgan": "DCGAN", "sagan": "SAGAN", "stylegan": "StyleGAN2"}
METRICS = "fid10k,is10k,kid10k"

FLAGS = flags.FLAGS


def define_flags():
    """The command's flags: defined when it runs, so tests can import its functions
    beside other commands' flags."""
    flags.DEFINE_list("families", list(FAMILIES), f"Families: {', '.join(FAMILIES)}.")
    flags.DEFINE_list("sizes", ["1000", "5000"], "Training-set sizes.")
    flags.DEFINE_list("augments", list(AUGMENTS), f"Settings: {', '.join(AUGMENTS)}.")
    flags.DEFINE_list("minutes", ["10", "30"], "Wall-clock budgets of every setting.")
    flags.DEFINE_float("probe_seconds", 90.0, "Seconds of each throughput probe.", lower_bound=10)
    flags.DEFINE_integer(
        "ada_speed", 100_000, "ADA's images for p to go from 0 to 1.", lower_bound=1
    )
    flags.DEFINE_integer("batch_size", 64, "Batch size.", lower_bound=1)
    flags.DEFINE_integer("seed", 0, "Seed of every run and subset.")
    flags.DEFINE_string("output", "bench/results/small_data.md", "Markdown table written here.")
    flags.DEFINE_string("grids", "docs/small-data", "Sample grids of --grid_size go here.")
    flags.DEFINE_integer(
        "grid_size", 1000, "Training-set size whose sample grids are kept.", lower_bound=1
    )


def augment_spec(augment):
    """The `--augment` value of a setting."""
    return f"ada:speed={FLAGS.ada_speed}" if augment == "ada" else augment


def _arguments(family, augment, size):
    return [f"--model={family}", f"--train_images={size}", f"--augment={augment_spec(augment)}",
            f"--seed={FLAGS.seed}"]  # fmt: skip


def run(family, augment, size, steps, minutes, runs_dir):
    """Trains (or resumes) one setting for `steps`, scores it; returns the report."""
    workdir = runs_dir / f"{family}_{size}_{augment}"
    timed.train_py(workdir, *_arguments(family, augment, size), f"--steps={steps}",
                   f"--batch_size={FLAGS.batch_size}", "--sample_every=1000",
                   "--checkpoint_every=500")  # fmt: skip
    report = timed.score(workdir, FLAGS.seed)
    # What `--mixed_precision=auto` chose (config.json records it; None is float32).
    config = json.loads((workdir / "config.json").read_text())
    report["precision"] = config.get("mixed_precision") or "float32"
    if size == FLAGS.grid_size:
        grids = ROOT / FLAGS.grids
        grids.mkdir(parents=True, exist_ok=True)
        last = sorted((workdir / "samples").glob("step_*.png"))[-1]
        shutil.copyfile(last, grids / grid_name(family, size, augment, minutes))
    return report


def grid_name(family, size, augment, minutes):
    return f"{family}_{size}_{augment}_{minutes:g}min.png"


def grids_figure(rows, grids, output, size):
    """One picture of the sample grids of `size` images after its longest budget: a row
    per family, a column per augmentation, each titled with its fid10k (the README's
    view of the table)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image
    import matplotlib.pyplot as plt

    minutes = max(r["minutes"] for r in rows if r["size"] == size)
    shown = {
        (r["family"], r["augment"]): r
        for r in rows
        if r["size"] == size and r["minutes"] == minutes
    }
    families = [f for f in FAMILIES if any(f == family for family, _ in shown)]
    augments = [a for a in AUGMENTS if any(a == augment for _, augment in shown)]
    figure, axes = plt.subplots(len(families), len(augments), squeeze=False,
                                figsize=(2.6 * len(augments), 2.8 * len(families)))  # fmt: skip
    for (i, family), (j, augment) in itertools.product(enumerate(families), enumerate(augments)):
        cell, row = axes[i][j], shown.get((family, augment))
        cell.axis("off")
        path = pathlib.Path(grids) / grid_name(family, size, augment, minutes)
        if row is None or not path.exists():
            continue
        cell.imshow(matplotlib.image.imread(path), cmap="gray")
        cell.set_title(f"{LABELS[family]}, {augment}\nfid10k {row['metrics']['fid10k']:.2f}",
                       fontsize=9)  # fmt: skip
    figure.suptitle(f"{size:,} training images, {minutes:g} minutes", fontsize=10)
    figure.tight_layout()
    figure.savefig(output, dpi=100)
    plt.close(figure)


def _setting(row):
    return row["family"], row["size"], row["augment"], row["seed"], row["minutes"]


def _budget(row):
    return row["family"], row["size"], row["minutes"]


def table(rows, copying=None):
    """The Markdown table of every run, the real-data floor and, for each size in
    `copying` (size -> metrics of `copying_floors`), what copying that subset scores."""
    lines = [
        "| family | training images | minutes | augmentation | steps | precision | fid10k | "
        "is10k | kid10k | fid10k vs none |",
        "|---|---:|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    plain = {_budget(r): r["metrics"]["fid10k"] for r in rows if r["augment"] == "none"}
    for r in sorted(rows, key=lambda r: (FAMILIES.index(r["family"]), r["size"], r["minutes"],
                                         AUGMENTS.index(r["augment"]))):  # fmt: skip
        m, base = r["metrics"], plain.get(_budget(r))
        change = "" if base is None or r["augment"] == "none" else f"{m['fid10k'] / base - 1:+.0%}"
        lines.append(
            f"| {LABELS[r['family']]} | {r['size']:,} | {r['minutes']:g} | {r['augment']} | "
            f"{r['steps']:,} | {r.get('precision', '')} | {m['fid10k']:.2f} | {m['is10k']:.2f} | "
            f"{m['kid10k']:.3f} | {change} |"
        )
    if rows:
        floor = rows[-1]["real_floor"]
        lines.append(
            f"| real test images (floor) | | | | | | {floor['fid10k']:.2f} | "
            f"{floor['is10k']:.2f} | {floor['kid10k']:.3f} | |"
        )
    for size, m in sorted((copying or {}).items()):
        lines.append(
            f"| copying the {size:,} training images | {size:,} | | | | | {m['fid10k']:.2f} | "
            f"{m['is10k']:.2f} | {m['kid10k']:.3f} | |"
        )
    return "\n".join(lines)


def summary(rows, copying=None):
    """The README's view: fid10k of each family (rows) and setting (columns: each size's
    augmentations) after that size's longest budget (sizes may have run for different
    budgets), the best augmentation's change against none in brackets; a last row, under
    each size's first column, what copying its images scores (`copying`: size -> metrics)."""
    longest = {}
    for r in rows:
        longest[r["size"]] = max(longest.get(r["size"], 0.0), r["minutes"])
    final = {(r["family"], r["size"], r["augment"]): r["metrics"]["fid10k"]
             for r in rows if r["minutes"] == longest[r["size"]]}  # fmt: skip
    sizes = sorted(longest)
    families = [f for f in FAMILIES if any(f == family for family, _, _ in final)]
    head = " | ".join(f"{size:,}, {longest[size]:g} min: {augment}"
                      for size in sizes for augment in AUGMENTS)  # fmt: skip
    lines = [f"| fid10k | {head} |",
             "|---|" + "---:|" * (len(sizes) * len(AUGMENTS))]  # fmt: skip
    for family in families:
        cells = []
        for size in sizes:
            plain = final.get((family, size, "none"))
            tried = [final.get((family, size, a)) for a in AUGMENTS[1:]]
            best = min((f for f in tried if f is not None), default=None)
            for augment in AUGMENTS:
                fid = final.get((family, size, augment))
                cell = "" if fid is None else f"{fid:.2f}"
                if fid is not None and fid == best and plain is not None:
                    cell += f" ({fid / plain - 1:+.0%})"
                cells.append(cell)
        lines.append(f"| {LABELS[family]} | " + " | ".join(cells) + " |")
    if copying:
        cells = [f"{copying[size]['fid10k']:.2f}" if size in copying and augment == AUGMENTS[0]
                 else "" for size in sizes for augment in AUGMENTS]  # fmt: skip
        lines.append("| copying the training images | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(rows, output, copying=None):
    text = (
        f"Fashion-MNIST 32x32 subsets (seed {FLAGS.seed}), each budget's minutes of training "
        f"at each setting's measured throughput, batch {FLAGS.batch_size}, ADA speed "
        f"{FLAGS.ada_speed:,} images; scored by `evaluate.py` (shipped classifier) against "
        f"the whole train split, not the subset, with the whole test split as the floor; "
        f"precision is what `--mixed_precision=auto` chose on the machine that ran the row"
        f"\n\n{table(rows, copying)}\n\n{summary(rows, copying)}\n"
    )
    return bench_rows.write_rows(rows, output, text)


def measured_rates(output):
    """Steps per second of every (family, augmentation) pair of the grid, all probed
    before the first run (`timed.probed_rates`), so the runs may share the machine."""
    smallest = min(int(s) for s in FLAGS.sizes)
    probes = {
        _rate_key(family, augment): (
            output.parent / "small_data_runs" / "probes" / f"{family}_{augment}",
            _arguments(family, augment, smallest),
        )
        for family in FLAGS.families
        for augment in FLAGS.augments
    }
    return timed.probed_rates(
        output.parent / "small_data_rates.json", probes, FLAGS.probe_seconds, FLAGS.batch_size
    )


def copying_floors(sizes):
    """size -> the metrics of copying the run's subset of that size (`metrics.copying_floor`):
    how low memorising the training images alone would score."""
    from zoo import metrics
    from zoo.metrics import extractors

    extractor = extractors.get_extractor()
    floors = {}
    for size in sizes:
        floors[size] = metrics.copying_floor(
            METRICS, dataset="fashion_mnist", image_shape=(32, 32, 1), extractor=extractor,
            train_images=size, subset_seed=FLAGS.seed,
        )  # fmt: skip
    return floors


def floor_sizes(rows, sizes):
    """The sizes whose copying floors the tables show: this invocation's and every
    size already in the table (a 5,000-only pass keeps the 1,000 images' floor)."""
    return sorted({int(size) for size in sizes} | {row["size"] for row in rows})


def _rate_key(family, augment):
    return f"{family}_{augment}_batch{FLAGS.batch_size}"


def main():
    bench_rows.check_families(FLAGS.families, FAMILIES)
    unknown = sorted(set(FLAGS.augments) - set(AUGMENTS))
    if unknown:
        raise ZooError(f"unknown augments {unknown}; valid: {', '.join(AUGMENTS)}")
    output, rows = bench_rows.read_rows(FLAGS.output)
    runs_dir = output.parent / "small_data_runs"
    rates = measured_rates(output)
    sizes = sorted(int(s) for s in FLAGS.sizes)
    copying = copying_floors(floor_sizes(rows, sizes))
    budgets = sorted(float(m) for m in FLAGS.minutes)
    for family, augment in itertools.product(FLAGS.families, FLAGS.augments):
        rate = rates[_rate_key(family, augment)]
        for size, minutes in itertools.product(sizes, budgets):
            steps = math.ceil(minutes * 60 * rate)
            setting = (family, size, augment, FLAGS.seed, minutes)
            if any(_setting(r) == setting for r in rows):
                print(f"{family} on {size} images with {augment}, {minutes:g} min: in the table")
                continue
            report = run(family, augment, size, steps, minutes, runs_dir)
            row = {"family": family, "size": size, "augment": augment, "steps": steps,
                   "minutes": minutes, "steps_per_second": rate, "seed": FLAGS.seed,
                   "precision": report["precision"], "metrics": report["metrics"],
                   "real_floor": report["real_floor"]}  # fmt: skip
            rows = [r for r in rows if _setting(r) != setting]
            print(write_results([*rows, row], output, copying), flush=True)
            rows.append(row)
    if rows:
        write_results(rows, output, copying)  # also when every row was already there
    if any(r["size"] == FLAGS.grid_size for r in rows):
        grids = ROOT / FLAGS.grids
        grids_figure(rows, grids, grids / "grids.png", FLAGS.grid_size)


if __name__ == "__main__":
    define_flags()
    cli.run(main)
