"""The mode-collapse benchmark on ring8 and grid25 (VEEGAN / PacGAN protocol).

    python bench/modes.py                                   # the full table: about 2.5 h on 2 cores
    python bench/modes.py --seeds=0 --steps=5000 --configs=wgan_gp --datasets=grid25

Each configuration trains with the published small setting (latent 256, MLPs
of two tanh layers of 128, batch 512, Adam beta1 0.5 with generator lr 1e-3 and
discriminator lr 1e-4; WGAN-GP keeps its own Adam(1e-4, 0, 0.9)) for `--steps`
generator steps, then draws 2,500 samples and scores them with
`zoo.modes.mode_statistics`: modes covered, share of high-quality samples (within
3 std of the nearest mean) and KL(modes' share || uniform). It prints mean and
standard error over seeds, the real-data floor beside them, and writes the
Markdown table to `--output`.
"""

import dataclasses
import json
import math
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # noqa: E402

cli.import_tensorflow_quietly()

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from zoo import data, modes, training  # noqa: E402
from zoo.errors import ZooError  # noqa: E402

# The published small setting (VEEGAN Section 5.1, PacGAN Appendix).
_MLP = {"latent_dim": 256, "hidden_dims": (128, 128), "activation": "tanh"}
_PUBLISHED_LEARNING_RATES = {"d_learning_rate": 1e-4, "g_learning_rate": 1e-3}


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    label: str
    model: str
    model_kwargs: dict
    learning_rates: dict


CONFIGS = {
    "gan_minimax": BenchConfig(
        "GAN, minimax", "vanilla_gan", {**_MLP, "loss": "minimax"}, _PUBLISHED_LEARNING_RATES
    ),
    "gan_ns": BenchConfig(
        "GAN, non-saturating",
        "vanilla_gan",
        {**_MLP, "loss": "non_saturating"},
        _PUBLISHED_LEARNING_RATES,
    ),  # fmt: skip
    # WGAN-GP's point networks are ReLU MLPs (Gulrajani et al.'s toy setting).
    "wgan_gp": BenchConfig(
        "WGAN-GP", "wgan_gp", {"latent_dim": 256, "hidden_dims": (128, 128)}, {}
    ),
    "gan_r1": BenchConfig(
        "GAN + R1 (gamma 1)",
        "vanilla_gan",
        {**_MLP, "loss": "non_saturating", "r1_gamma": 1.0},
        _PUBLISHED_LEARNING_RATES,
    ),  # fmt: skip
}

# Published rows: (modes, high-quality %) on ring8 and on grid25.
PUBLISHED = [
    ("GAN (VEEGAN Table 1)", (1.0, 99.3), (3.3, 0.5)),
    ("Unrolled GAN (VEEGAN Table 1)", (7.6, 35.6), (23.6, 16.0)),
    ("VEEGAN (VEEGAN Table 1)", (8.0, 52.9), (24.6, 40.0)),
    ("WGAN-GP (GDPP Table 1)", (6.8, 59.6), (24.2, 28.7)),
    ("PacGAN4 (PacGAN Table 1)", (7.8, 95.9), (24.8, 93.6)),
]

flags.DEFINE_list("configs", list(CONFIGS), f"Configurations: {', '.join(CONFIGS)}.")
flags.DEFINE_list("datasets", ["ring8", "grid25"], "Mixtures.")
flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "Seeds (>= 5 for the published protocol).")
flags.DEFINE_integer("steps", 25_000, "Generator steps per run (25k in the papers).", lower_bound=1)
flags.DEFINE_integer("batch_size", 512, "Batch size.", lower_bound=1)
flags.DEFINE_integer("num_samples", 2_500, "Samples scored per run.", lower_bound=1)
flags.DEFINE_string("output", "bench/results/modes.md", "Markdown table written here.")
FLAGS = flags.FLAGS


def run_one(config, dataset, seed):
    """Trains one configuration on one mixture; returns its ModeStatistics."""
    with tempfile.TemporaryDirectory() as workdir:
        train_config = training.TrainConfig(
            model=config.model, dataset=dataset, workdir=workdir, steps=FLAGS.steps,
            batch_size=FLAGS.batch_size, seed=seed, model_kwargs=config.model_kwargs,
            sample_every=FLAGS.steps, checkpoint_every=FLAGS.steps, log_every=1000,
            # Several steps per graph call amortize Python dispatch for the tiny
            # MLPs (same results; measured no faster at batch 512 on a quiet
            # machine, 2x faster on a busy one); intervals must be multiples.
            steps_per_execution=math.gcd(FLAGS.steps, 1000, 25),
            **config.learning_rates,
        )  # fmt: skip
        training.train(train_config)
        model = training.load_workdir_model(workdir)
    samples = model.generate(FLAGS.num_samples, seed=10_000 + seed)
    return modes.mode_statistics(samples, dataset)


def real_floor(dataset):
    batches, _ = data.load_dataset(dataset, batch_size=FLAGS.num_samples, seed=123)
    points, _ = next(iter(batches))
    return modes.mode_statistics(points.numpy(), dataset)


def mean_and_error(values):
    values = np.asarray(values, np.float64)
    error = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return values.mean(), error


def table(results, floors):
    lines = [
        "| configuration | ring8 modes (of 8) | ring8 high quality % | ring8 KL | "
        "grid25 modes (of 25) | grid25 high quality % | grid25 KL |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, per_dataset in results.items():
        cells = []
        for dataset in ("ring8", "grid25"):
            runs = per_dataset.get(dataset)
            if not runs:
                cells += ["", "", ""]
                continue
            covered = mean_and_error([r.num_modes_covered for r in runs])
            quality = mean_and_error([100 * r.high_quality_fraction for r in runs])
            kl = mean_and_error([r.kl_to_uniform for r in runs])
            cells += [f"{m:.1f} ± {e:.1f}" for m, e in (covered, quality)] + [
                f"{kl[0]:.3f} ± {kl[1]:.3f}"
            ]
        num_seeds = len(next(iter(per_dataset.values())))
        label = f"{CONFIGS[name].label} (ours, {num_seeds} seeds)"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for label, ring, grid in PUBLISHED:
        lines.append(f"| {label} | {ring[0]} | {ring[1]} | | {grid[0]} | {grid[1]} | |")
    floor_cells = []
    for dataset in ("ring8", "grid25"):
        stats = floors.get(dataset)
        floor_cells += (
            [str(stats.num_modes_covered), f"{100 * stats.high_quality_fraction:.1f}",
             f"{stats.kl_to_uniform:.3f}"] if stats else ["", "", ""]
        )  # fmt: skip
    lines.append("| real data (floor) | " + " | ".join(floor_cells) + " |")
    return "\n".join(lines)


def _plain(value):
    """JSON for numpy values in ModeStatistics."""
    return value.tolist() if hasattr(value, "tolist") else float(value)


def main():
    unknown = sorted(set(FLAGS.configs) - set(CONFIGS))
    if unknown:
        raise ZooError(f"unknown configs {unknown}; valid: {', '.join(CONFIGS)}")
    floors = {dataset: real_floor(dataset) for dataset in FLAGS.datasets}
    results, raw = {}, []
    for name in FLAGS.configs:
        for dataset in FLAGS.datasets:
            for seed in map(int, FLAGS.seeds):
                started = time.perf_counter()
                stats = run_one(CONFIGS[name], dataset, seed)
                seconds = time.perf_counter() - started
                results.setdefault(name, {}).setdefault(dataset, []).append(stats)
                raw.append({"config": name, "dataset": dataset, "seed": seed,
                            "seconds": round(seconds, 1), **dataclasses.asdict(stats)})  # fmt: skip
                print(f"{name} {dataset} seed {seed}: {stats.num_modes_covered}/{stats.num_modes} "
                      f"modes, {100 * stats.high_quality_fraction:.1f}% high quality, "
                      f"KL {stats.kl_to_uniform:.3f} ({seconds:.0f} s)", flush=True)  # fmt: skip
    markdown = table(results, floors)
    output = pathlib.Path(FLAGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    note = f"{FLAGS.steps} steps, batch {FLAGS.batch_size}, {FLAGS.num_samples} samples per run\n\n"
    output.write_text(note + markdown + "\n")
    output.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=_plain) + "\n")
    print("\n" + note + markdown)


if __name__ == "__main__":
    cli.run(main)
