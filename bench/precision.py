"""bfloat16 against float32 at equal steps: does half precision cost quality?

    python bench/precision.py --families=sagan             # its 20-minute step count
    python bench/precision.py --families=stylegan --steps=3000

Each family trains twice from the same seed for the same number of steps, once
in float32 and once with `--mixed_precision=bfloat16`, and `evaluate.py` scores
both (the shipped classifier's FID, IS and KID of 10,000 samples). Equal steps,
not equal time: the question is what each step is worth; the speed-up is
`make bench`'s. The runs resume (a rerun continues an interrupted one), each
finished pair is one JSON row, and the Markdown table is rebuilt from the rows.
"""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from bench import rows as bench_rows  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402

# Steps of each family's 20-minute `make bench-quality` run (bench/results/quality.json).
TWENTY_MINUTE_STEPS = {
    "vanilla_gan": 99_535, "dcgan": 7_109, "wgan_gp": 1_259, "progan": 6_221, "sagan": 11_430,
    "stylegan": 4_114,
}  # fmt: skip
# ProGAN grows through its phases within the run, as in bench-quality, with the fused
# resampling its catalogue entry trains (bench/results/variants_progan.md).
MODEL_KWARGS = {"progan": "images_per_phase=40000,fused_upsampling=True,fused_downsampling=True"}
PRECISIONS = ("float32", "bfloat16")
METRICS = "fid10k,is10k,kid10k"

flags.DEFINE_list("families", ["sagan"], f"Families: {', '.join(TWENTY_MINUTE_STEPS)}.")
flags.DEFINE_integer("steps", None, "Steps of each run (default: the family's 20-minute count).")
flags.DEFINE_integer("seed", 0, "Seed of every run.")
flags.DEFINE_string("output", "bench/results/precision.md", "Markdown table written here.")
FLAGS = flags.FLAGS


def run(family, precision, steps, runs_dir):
    """Trains (or resumes) one run and scores it; returns `(train_summary, report)`."""
    workdir = runs_dir / f"{family}_{precision}"
    command = [
        sys.executable, str(ROOT / "train.py"), f"--model={family}", f"--steps={steps}",
        f"--seed={FLAGS.seed}", f"--workdir={workdir}", "--sample_every=1000",
        "--checkpoint_every=1000",
    ]  # fmt: skip
    if precision != "float32":
        command.append(f"--mixed_precision={precision}")
    if family in MODEL_KWARGS:
        command.append(f"--model_kwargs={MODEL_KWARGS[family]}")
    _check(subprocess.run(command, cwd=ROOT), "train.py", workdir)
    report_path = workdir / "metrics.json"
    _check(
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "evaluate.py"),
                f"--workdir={workdir}",
                f"--metrics={METRICS}",
                f"--metrics_json={report_path}",
                f"--seed={FLAGS.seed}",
            ],
            cwd=ROOT,
        ),  # fmt: skip
        "evaluate.py",
        workdir,
    )
    summary = json.loads((workdir / "train_summary.json").read_text())
    return summary, json.loads(report_path.read_text())


def _check(result, what, workdir):
    if result.returncode != 0:
        raise ZooError(f"{what} failed on {workdir} (exit {result.returncode}); rerun to resume")


def table(rows):
    lines = [
        "| family | steps | precision | fid10k | is10k | kid10k |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for row in rows:
        for precision in PRECISIONS:
            m = row[precision]["metrics"]
            lines.append(
                f"| {row['family']} | {row['steps']:,} | {precision} | {m['fid10k']:.2f} | "
                f"{m['is10k']:.2f} | {m['kid10k']:.3f} |"
            )
    floor = rows[-1]["real_floor"] if rows else None
    if floor:
        lines.append(
            f"| real test images (floor) | | | {floor['fid10k']:.2f} | {floor['is10k']:.2f} | "
            f"{floor['kid10k']:.3f} |"
        )
    return "\n".join(lines)


def write_results(rows, output):
    text = (
        f"bfloat16 against float32 at equal steps, Fashion-MNIST 32x32, batch 64, seed "
        f"{FLAGS.seed}; scored by `evaluate.py` (shipped classifier)\n\n{table(rows)}\n"
    )
    return bench_rows.write_rows(rows, output, text)


def main():
    bench_rows.check_families(FLAGS.families, TWENTY_MINUTE_STEPS)
    output, rows = bench_rows.read_rows(FLAGS.output)
    for family in FLAGS.families:
        steps = FLAGS.steps or TWENTY_MINUTE_STEPS[family]
        row = {"family": family, "steps": steps, "seed": FLAGS.seed}
        for precision in PRECISIONS:
            summary, report = run(family, precision, steps, output.parent / "precision_runs")
            row[precision] = {
                "metrics": report["metrics"],
                "images_per_second": summary["images_per_second"],
                "samples": summary["samples"],
            }
            row["real_floor"] = report["real_floor"]
        key = (family, steps, FLAGS.seed)
        rows = [r for r in rows if (r["family"], r["steps"], r["seed"]) != key] + [row]
        print(write_results(rows, output), flush=True)


if __name__ == "__main__":
    cli.run(main)
