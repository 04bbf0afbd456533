"""Equal-time A/Bs of a family's variants: which of NVIDIA's choices pay on 2 CPU cores?

    python bench/variants.py --family=stylegan                     # every StyleGAN2 variant
    python bench/variants.py --family=progan --variants=baseline,fused --minutes=10
    python bench/variants.py --family=progan --probe_only     # the probes alone, quiet machine

Each variant is the family with some constructor arguments changed (`VARIANTS`),
trained by train.py from the same seed for the same wall-clock budget: `--minutes`
at the rate the variant measures in a `--probe_seconds` probe (the probes need a
quiet machine; their rates are kept in `<output>_rates.json`, so a rerun does not
probe again), turned into steps, so the runs resume exactly and keep their fair
share on a busy machine. ProGAN's rate changes with every phase it grows through,
so its probe times each phase (`--probe_phase_steps` steps of each, one run), and
its budget is the steps its run's phases (40,000 images each) take to fill
`--minutes` at those rates. `evaluate.py` scores each; StyleGAN2's runs are scored a
second time with per-sample noise (`--noise_mode=random`, NVIDIA's protocol). One
JSON row per finished variant in `<output>.json` (a finished variant is skipped)
and a Markdown table.
"""

import json
import math
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from bench import rows as bench_rows  # noqa: E402
from bench import timed  # noqa: E402
from models import progan  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402

# ProGAN as bench-quality trains it: 40k images per phase.
_PROGAN = {"images_per_phase": 40_000}
# Where each differs from NVIDIA's code (StyleGAN2: stylegan2-ada-pytorch's networks.py;
# ProGAN: progressive_growing_of_gans' networks.py, loss.py, train.py), one change at a
# time, then the changes that pay together.
VARIANTS = {
    "stylegan": {
        "baseline": {},
        "filtered": {"resampling": "filtered"},
        "scalar_noise": {"noise_per_channel": False},
        "filtered_wider": {"resampling": "filtered", "channel_base": 1024},
        "filtered_widest": {"resampling": "filtered", "max_channels": 128, "channel_base": 2048},
    },
    "progan": {
        "baseline": _PROGAN,
        "fused_upsampling": {**_PROGAN, "fused_upsampling": True},
        "fused": {**_PROGAN, "fused_upsampling": True, "fused_downsampling": True},
        "every_step_penalty": {**_PROGAN, "penalty_every": 1},
        "restarted_optimizers": {**_PROGAN, "restart_optimizers": True},
        "official_wider": {
            **_PROGAN,
            "fused_upsampling": True,
            "fused_downsampling": True,
            "restart_optimizers": True,
            "filter_base": 256,
        },  # fmt: skip
    },
}

# Families whose rate changes as they grow: probed phase by phase.
GROWING = ("progan",)
IMAGE_SIZE = 32

flags.DEFINE_enum("family", "stylegan", list(VARIANTS), "The family whose variants run.")
flags.DEFINE_list("variants", None, "Variants to run (default: all of the family's).")
flags.DEFINE_float("minutes", 20.0, "Wall-clock training budget per variant.", lower_bound=0.1)
flags.DEFINE_float("probe_seconds", 90.0, "Seconds of each throughput probe.", lower_bound=10)
flags.DEFINE_bool("probe_only", False, "Probe the variants' rates (a quiet machine) and stop.")
flags.DEFINE_integer("probe_phase_steps", 100, "Steps of each phase in a growing family's probe.",
                     lower_bound=40)  # fmt: skip
flags.DEFINE_integer("batch_size", 64, "Batch size.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of every run.")
flags.DEFINE_string("output", None, "Markdown table; default bench/results/variants_<family>.md.")
FLAGS = flags.FLAGS


def run_variant(name, output_dir, steps_per_second):
    """Trains (or resumes) one variant for the budget's steps and scores it; returns its row."""
    family, model_kwargs = FLAGS.family, VARIANTS[FLAGS.family][name]
    workdir = output_dir / "variant_runs" / f"{family}_{name}"
    if isinstance(steps_per_second, list):  # a growing family: one rate per phase
        lengths = _phase_lengths(model_kwargs["images_per_phase"])
        steps = timed.steps_for_seconds(FLAGS.minutes * 60, lengths, steps_per_second)
        steps_per_second = steps / (FLAGS.minutes * 60)
    else:
        steps = math.ceil(FLAGS.minutes * 60 * steps_per_second)
    summary = timed.train_py(
        workdir, *_arguments(name), f"--steps={steps}", "--sample_every=1000",
        "--checkpoint_every=500",
    )  # fmt: skip
    report = timed.score(workdir, FLAGS.seed)
    row = {
        "variant": name, "model_kwargs": model_kwargs, "minutes": FLAGS.minutes,
        "batch_size": FLAGS.batch_size, "seed": FLAGS.seed, "steps": steps,
        "steps_per_second": steps_per_second, "samples": summary["samples"],
        "metrics": report["metrics"], "real_floor": report["real_floor"],
    }  # fmt: skip
    if family == "stylegan":
        report = timed.score(workdir, FLAGS.seed, ["--noise_mode=random"], "metrics_random.json")
        row["metrics_random_noise"] = report["metrics"]
    return row


def _arguments(name, **override):
    model_kwargs = {**VARIANTS[FLAGS.family][name], **override}
    return [f"--model={FLAGS.family}", f"--seed={FLAGS.seed}", f"--batch_size={FLAGS.batch_size}",
            *timed.model_kwargs_flag(model_kwargs)]  # fmt: skip


def _phase_lengths(images_per_phase):
    """Steps of each phase of a growing run (the last `None`: until the end)."""
    stages = progan.num_stages_for(IMAGE_SIZE)
    phases = progan.growth_phases(stages, images_per_phase, [FLAGS.batch_size] * stages)
    return [phase.steps for phase in phases]


def measured_rates(names, output):
    """Steps per second of each variant in `names`, all probed before the first run
    (`timed.probed_rates`, kept in `<output>_rates.json`), so the runs may share the
    machine."""
    probe, override = None, {}
    if FLAGS.family in GROWING:
        # Every phase the same short length: one probe run times them all.
        override = {"images_per_phase": FLAGS.probe_phase_steps * FLAGS.batch_size}
        phases = len(_phase_lengths(override["images_per_phase"]))

        def probe(workdir, *args):
            return timed.probe_phase_steps_per_second(
                workdir, FLAGS.probe_phase_steps, phases, FLAGS.batch_size, *args
            )

    probes = {
        _rate_key(name): (output.parent / "variant_runs" / "probes" / _rate_key(name),
                          _arguments(name, **override))
        for name in names
    }  # fmt: skip
    return timed.probed_rates(
        output.with_name(output.stem + "_rates.json"), probes, FLAGS.probe_seconds,
        FLAGS.batch_size, probe,
    )  # fmt: skip


def _rate_key(name):
    return f"{FLAGS.family}_{name}_batch{FLAGS.batch_size}"


def table(rows):
    lines = [
        "| variant | constructor arguments | steps | images/s | fid10k | is10k | kid10k | "
        "fid10k, per-sample noise |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        m, random = row["metrics"], row.get("metrics_random_noise")
        arguments = ", ".join(f"{k}={v}" for k, v in row["model_kwargs"].items()) or "defaults"
        lines.append(
            f"| {row['variant']} | {arguments} | {row['steps']:,} | "
            f"{row['steps_per_second'] * FLAGS.batch_size:.0f} | {m['fid10k']:.2f} | "
            f"{m['is10k']:.2f} | "
            f"{m['kid10k']:.3f} | {'' if random is None else format(random['fid10k'], '.2f')} |"
        )
    if rows:
        floor = rows[-1]["real_floor"]
        lines.append(
            f"| real test images (floor) | | | | {floor['fid10k']:.2f} | {floor['is10k']:.2f} | "
            f"{floor['kid10k']:.3f} | |"
        )
    return "\n".join(lines)


def main():
    known = VARIANTS[FLAGS.family]
    names = FLAGS.variants or list(known)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ZooError(f"unknown {FLAGS.family} variants {unknown}; valid: {', '.join(known)}")
    output = FLAGS.output or f"bench/results/variants_{FLAGS.family}.md"
    output, rows = bench_rows.read_rows(output)
    pending = [n for n in names if not any(_key(r) == _key_of(n) for r in rows)]
    rates = measured_rates(pending, output)
    if FLAGS.probe_only:
        print(json.dumps({n: rates[_rate_key(n)] for n in pending}, indent=1), flush=True)
        return
    for name in names:
        if any(_key(r) == _key_of(name) for r in rows):
            print(f"{FLAGS.family} {name}: in the table already", flush=True)
            continue
        row = run_variant(name, output.parent, rates[_rate_key(name)])
        rows.append(row)
        text = (
            f"{FLAGS.family} variants, Fashion-MNIST 32x32, {FLAGS.minutes:g} minutes each at "
            f"each variant's measured rate, batch {FLAGS.batch_size}, seed {FLAGS.seed}; scored "
            f"by `evaluate.py` (shipped classifier)\n\n{table(rows)}\n"
        )
        print(bench_rows.write_rows(rows, output, text), flush=True)


def _key(row):
    return row["variant"], row["minutes"], row["batch_size"], row["seed"]


def _key_of(name):
    return name, FLAGS.minutes, FLAGS.batch_size, FLAGS.seed


if __name__ == "__main__":
    cli.run(main)
