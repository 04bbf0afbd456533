"""Image quality at equal wall-clock time: each image family on Fashion-MNIST 32x32.

    python bench/quality.py                          # every image family, 20 min each
    python bench/quality.py --families=progan        # one family; the table keeps the others

Each family trains for `--minutes` of wall-clock time (`zoo.training.train` with
`max_seconds`: what `train.py --max_seconds` runs, data pipeline, logging and
checkpoints included) in `<output dir>/quality_runs/<family>/`, then
`evaluate.py` scores it as a user would: the shipped classifier's FID, IS and
KID of 10,000 samples beside the real-data floor. Each finished run is one JSON
row in `<output>.json` (a rerun of a family and budget replaces its row) and the
Markdown table is rebuilt from the rows, so families can be run one at a time.
A run interrupted before its row is written starts over: a resumed run would
get more than its budget. Run it on a quiet machine: time is the budget.
"""

import dataclasses
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from bench import rows as bench_rows  # noqa: E402
from bench import timed  # noqa: E402


@dataclasses.dataclass(frozen=True)
class QualityConfig:
    label: str
    model_kwargs: dict
    g_learning_rate: float | None = None  # None: the family's own


# Each family at its defaults, but for ProGAN's phase length: at about 500
# images/s on 2 cores, 7 phases of 40k images grow to 32x32 in about 10 of
# the 20 minutes and leave the rest to the final resolution.
CONFIGS = {
    "vanilla_gan": QualityConfig("MLP GAN (non-saturating)", {}),
    "dcgan": QualityConfig("DCGAN", {}),
    "wgan_gp": QualityConfig("WGAN-GP (5 critic steps)", {}),
    "progan": QualityConfig("ProGAN (40k images per phase)", {"images_per_phase": 40_000}),
    "sagan": QualityConfig("SAGAN (class-conditional)", {}),
    "stylegan": QualityConfig("StyleGAN2", {}),
}

flags.DEFINE_list("families", list(CONFIGS), f"Families: {', '.join(CONFIGS)}.")
flags.DEFINE_float("minutes", 20.0, "Wall-clock training budget per family.", lower_bound=0.1)
flags.DEFINE_integer("batch_size", 64, "Batch size (ProGAN: of every stage).", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of every run.")
flags.DEFINE_string("output", "bench/results/quality.md", "Markdown table written here.")
FLAGS = flags.FLAGS


def run_one(family, output_dir):
    """Trains one family for the budget, scores it with evaluate.py; returns a JSON row."""
    config = CONFIGS[family]
    return timed.train_and_score(
        family, output_dir / "quality_runs" / family, FLAGS.minutes, FLAGS.batch_size, FLAGS.seed,
        config.model_kwargs, config.g_learning_rate,
    )  # fmt: skip


def table(rows):
    """The Markdown table of the rows of the current budget, and the real-data floor."""
    lines = [
        "| family | steps | images/s | fid10k (lower is better) | is10k | kid10k "
        "| intra-class FID | class accuracy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for family, config in CONFIGS.items():
        row = next((r for r in rows if r["family"] == family), None)
        if row is None:
            continue
        m = row["metrics"]
        lines.append(
            f"| {config.label} | {row['steps']:,} | {row['images_per_second'] or 0:.0f} | "
            f"{m['fid10k']:.2f} | {m['is10k']:.2f} | {m['kid10k']:.3f} | {_conditional(m)} |"
        )
    floors = [r["real_floor"] for r in rows if r.get("real_floor")]
    conditional_floors = [f for f in floors if "class_accuracy" in f]
    if floors:
        floor = floors[-1]
        class_floor = conditional_floors[-1] if conditional_floors else {}
        lines.append(
            f"| real test images (floor) | | | {floor['fid10k']:.2f} | {floor['is10k']:.2f} | "
            f"{floor['kid10k']:.3f} | {_conditional(class_floor)} |"
        )
    return "\n".join(lines)


def _conditional(metrics):
    """The conditional columns: intra-class FID and class accuracy, blank for unconditional rows."""
    intra = f"{metrics['intra_fid']:.2f}" if "intra_fid" in metrics else ""
    accuracy = f"{metrics['class_accuracy']:.1%}" if "class_accuracy" in metrics else ""
    return f"{intra} | {accuracy}"


def write_results(rows, output):
    current = [r for r in rows if (r["minutes"], r["batch_size"], r["seed"]) ==
               (FLAGS.minutes, FLAGS.batch_size, FLAGS.seed)]  # fmt: skip
    note = (
        f"Fashion-MNIST 32x32, {FLAGS.minutes:g} minutes of training per family, batch "
        f"{FLAGS.batch_size}, seed {FLAGS.seed}; scored by `evaluate.py` (shipped classifier)\n\n"
    )
    text = note + table(current) + "\n"
    return bench_rows.write_rows(rows, output, text)


def _key(row):
    return row["family"], row["minutes"], row["batch_size"], row["seed"]


def main():
    bench_rows.check_families(FLAGS.families, CONFIGS)
    output, rows = bench_rows.read_rows(FLAGS.output)
    for family in FLAGS.families:
        print(f"{family}: training for {FLAGS.minutes:g} minutes", flush=True)
        row = run_one(family, output.parent)
        rows = [r for r in rows if _key(r) != _key(row)] + [row]
        write_results(rows, output)
        print(f"{family}: {row['metrics']}", flush=True)
    print("\n" + write_results(rows, output))


if __name__ == "__main__":
    cli.run(main)
