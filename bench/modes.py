"""The mode-collapse benchmark on ring8 and grid25 (VEEGAN / PacGAN protocol).

    python bench/modes.py                       # the full table: about 4 h on 2 cores
    python bench/modes.py --seeds=0 --steps=5000 --configs=wgan_gp --datasets=grid25

Each configuration trains for `--steps` generator steps (a multiple of it where
its label says so) in the published small setting (latent 256, MLPs of two tanh
layers of 128, batch 512, Adam beta1 0.5 with generator lr 1e-3 and
discriminator lr 1e-4; WGAN-GP keeps its own ReLU MLPs and Adam(1e-4, 0, 0.9))
or in our variation of it, then draws 2,500 samples
and scores them with `zoo.metrics.modes.mode_statistics`: modes covered, share of
high-quality samples (within 3 std of the nearest mean) and KL(modes' share ||
uniform). The table gives mean and standard error over seeds, the real-data
floor and the published rows.

Runs go seed by seed (every configuration's seed 0 first), `--jobs` at a time,
each in its own single-threaded process: the tiny MLPs do not use two cores
well, two processes train 1.8x faster than one. Every finished run is appended
to `<output>.json` and the table rewritten, and runs already there are skipped:
an interrupted benchmark resumes where it stopped, and a table can be
completed seed by seed. Each run's training log and a scatter plot of its
samples are in `<output dir>/logs/`.
"""

import concurrent.futures
import dataclasses
import json
import math
import multiprocessing
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

import numpy as np  # noqa: E402
from absl import flags  # noqa: E402

from zoo import data, training  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402
from zoo.drawing import pictures  # noqa: E402
from zoo.loading import sources  # noqa: E402
from zoo.metrics import modes  # noqa: E402

# The published small setting (VEEGAN Section 5.1, PacGAN Appendix).
_MLP = {"latent_dim": 256, "hidden_dims": (128, 128), "activation": "tanh"}
_PUBLISHED_LEARNING_RATES = {"d_learning_rate": 1e-4, "g_learning_rate": 1e-3}
# With the discriminator 10x slower than the generator it never separates the
# samples from the data (D(x) stays at 0.5); equal rates let it keep up.
_EQUAL_LEARNING_RATES = {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3}


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    label: str
    model: str
    model_kwargs: dict
    # TrainConfig settings of the run: learning rates, their decay.
    train_settings: dict
    # Runs train steps_multiplier * --steps generator steps: a configuration
    # given a longer budget than the published one says so in its label.
    steps_multiplier: int = 1


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
        "GAN, non-saturating + R1 (gamma 0.1), D lr 1e-3",
        "vanilla_gan",
        {**_MLP, "loss": "non_saturating", "r1_gamma": 0.1},
        _EQUAL_LEARNING_RATES,
    ),  # fmt: skip
    "gan_ns_ema": BenchConfig(
        "GAN, non-saturating, D lr 1e-3, EMA 0.999",
        "vanilla_gan",
        {**_MLP, "loss": "non_saturating", "ema_decay": 0.999},
        _EQUAL_LEARNING_RATES,
    ),  # fmt: skip
    # Packing (PacGAN) against dropped modes; the decay against the end-of-run
    # oscillation that scatters an EMA run's samples in some seeds.
    "gan_pac2_ema_decay": BenchConfig(
        "GAN, non-saturating, packing 2, D lr 1e-3, EMA 0.999, linear lr decay",
        "vanilla_gan",
        {**_MLP, "loss": "non_saturating", "packing": 2, "ema_decay": 0.999},
        {**_EQUAL_LEARNING_RATES, "lr_decay": "linear"},
    ),  # fmt: skip
    # Without packing no seed's samples settled on the grid lines in our runs;
    # twice the steps let the decayed run find the rows and columns it missed.
    "gan_ns_ema_decay_2x": BenchConfig(
        "GAN, non-saturating, D lr 1e-3, EMA 0.999, linear lr decay, twice the steps",
        "vanilla_gan",
        {**_MLP, "loss": "non_saturating", "ema_decay": 0.999},
        {**_EQUAL_LEARNING_RATES, "lr_decay": "linear"},
        steps_multiplier=2,
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
DATASETS = ("ring8", "grid25")

flags.DEFINE_list("configs", list(CONFIGS), f"Configurations: {', '.join(CONFIGS)}.")
flags.DEFINE_list("datasets", list(DATASETS), "Mixtures.")
flags.DEFINE_list("seeds", ["0", "1", "2", "3", "4"], "Seeds (>= 5 for the published protocol).")
flags.DEFINE_integer("steps", 25_000, "Generator steps per run (25k in the papers).", lower_bound=1)
flags.DEFINE_integer("batch_size", 512, "Batch size.", lower_bound=1)
flags.DEFINE_integer("num_samples", modes.NUM_SAMPLES, "Samples scored per run.", lower_bound=1)
flags.DEFINE_integer("jobs", 2, "Runs trained at once, one process each.", lower_bound=1)
flags.DEFINE_string("output", "bench/results/modes.md", "Markdown table written here.")
FLAGS = flags.FLAGS


@dataclasses.dataclass(frozen=True)
class RunSpec:
    config: str
    dataset: str
    seed: int
    steps: int
    batch_size: int
    num_samples: int

    def key(self):
        return dataclasses.astuple(self)

    def describe(self):
        return f"{self.config} {self.dataset} seed {self.seed}"


def run_one(spec, log_path):
    """Trains one configuration on one mixture in this process; returns a JSON row.

    Meant for a worker process: its output goes to `log_path`.
    """
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    config = CONFIGS[spec.config]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        train_config = training.TrainConfig(
            model=config.model, dataset=spec.dataset, workdir=workdir, steps=spec.steps,
            batch_size=spec.batch_size, seed=spec.seed, model_kwargs=config.model_kwargs,
            sample_every=spec.steps, checkpoint_every=spec.steps, log_every=spec.steps,
            # Several steps per graph call amortize Python dispatch for the tiny
            # MLPs; intervals must be multiples of it.
            steps_per_execution=math.gcd(spec.steps, 25),
            **config.train_settings,
        )  # fmt: skip
        training.train(train_config)
        model = sources.load_workdir_model(workdir)
    samples = model.generate(spec.num_samples, seed=10_000 + spec.seed)
    stats = modes.mode_statistics(samples, spec.dataset)
    picture = pictures.scatter_image(samples, data.mixture_means(spec.dataset), size=512)
    pictures.write_png(pathlib.Path(log_path).with_suffix(".png"), picture)
    return {**dataclasses.asdict(spec), "seconds": round(time.perf_counter() - started, 1),
            **modes.as_json(stats)}  # fmt: skip


def summary(row):
    return (f"{row['num_modes_covered']}/{row['num_modes']} modes, "
            f"{100 * row['high_quality_fraction']:.1f}% high quality, "
            f"KL {row['kl_to_uniform']:.3f} ({row['seconds']:.0f} s)")  # fmt: skip


def mean_and_error(values):
    values = np.asarray(values, np.float64)
    error = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return values.mean(), error


def table(rows, floors):
    """The Markdown table of `rows` (JSON rows of `run_one`), published rows and floor."""
    lines = [
        "| configuration | ring8 modes (of 8) | ring8 high quality % | ring8 KL | "
        "grid25 modes (of 25) | grid25 high quality % | grid25 KL |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in CONFIGS:
        cells, seeds = [], set()
        for dataset in DATASETS:
            runs = [r for r in rows if r["config"] == name and r["dataset"] == dataset]
            seeds.add(len(runs))
            if not runs:
                cells += ["", "", ""]
                continue
            covered = mean_and_error([r["num_modes_covered"] for r in runs])
            quality = mean_and_error([100 * r["high_quality_fraction"] for r in runs])
            # KL is undefined (NaN) for a run without a high-quality sample.
            defined = [r["kl_to_uniform"] for r in runs if not math.isnan(r["kl_to_uniform"])]
            fewest = min(r["num_modes_covered"] for r in runs)
            cells.append(f"{covered[0]:.1f} ± {covered[1]:.1f} (min {fewest})")
            cells.append(f"{quality[0]:.1f} ± {quality[1]:.1f}")
            if defined:
                kl = mean_and_error(defined)
                undefined = len(runs) - len(defined)
                cells.append(
                    f"{kl[0]:.3f} ± {kl[1]:.3f}" + (f" ({undefined} n/a)" if undefined else "")
                )
            else:
                cells.append("n/a")
        if max(seeds):
            count = "/".join(str(n) for n in sorted(seeds - {0}))
            lines.append(
                f"| {CONFIGS[name].label} (ours, {count} seeds) | " + " | ".join(cells) + " |"
            )
    for label, ring, grid in PUBLISHED:
        lines.append(f"| {label} | {ring[0]} | {ring[1]} | | {grid[0]} | {grid[1]} | |")
    floor_cells = []
    for dataset in DATASETS:
        stats = floors[dataset]
        floor_cells += [str(stats.num_modes_covered), f"{100 * stats.high_quality_fraction:.1f}",
                        f"{stats.kl_to_uniform:.3f}"]  # fmt: skip
    lines.append("| real data (floor) | " + " | ".join(floor_cells) + " |")
    return "\n".join(lines)


def planned_runs():
    """The runs the flags ask for, seed by seed, so a partial table is even."""
    unknown = sorted(set(FLAGS.configs) - set(CONFIGS))
    if unknown:
        raise ZooError(f"unknown configs {unknown}; valid: {', '.join(CONFIGS)}")
    unknown = sorted(set(FLAGS.datasets) - set(DATASETS))
    if unknown:
        raise ZooError(f"unknown datasets {unknown}; valid: {', '.join(DATASETS)}")
    return [
        RunSpec(
            name, dataset, int(seed), configured_steps(name), FLAGS.batch_size, FLAGS.num_samples
        )  # fmt: skip
        for seed in FLAGS.seeds
        for name in FLAGS.configs
        for dataset in FLAGS.datasets
    ]


def configured_steps(config_name):
    return FLAGS.steps * CONFIGS[config_name].steps_multiplier


def load_rows(path):
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ZooError(f"{path} is not valid JSON ({e}); move it away to start afresh") from None


def write_results(rows, floors, output):
    """Writes the JSON rows and the table of the current settings, atomically."""
    current = [r for r in rows if r["config"] in CONFIGS and
               (r["steps"], r["batch_size"], r["num_samples"]) ==
               (configured_steps(r["config"]), FLAGS.batch_size, FLAGS.num_samples)]  # fmt: skip
    note = (f"{FLAGS.steps} steps (a multiple where a label says so), batch {FLAGS.batch_size}, "
            f"{FLAGS.num_samples} samples per run\n\n")  # fmt: skip
    for path, text in ((output.with_suffix(".json"), json.dumps(rows, indent=1) + "\n"),
                       (output, note + table(current, floors) + "\n")):  # fmt: skip
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text)
        partial.replace(path)
    return note + table(current, floors)


def main():
    output = pathlib.Path(FLAGS.output)
    logs = output.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    rows = load_rows(output.with_suffix(".json"))
    done = {RunSpec(**{f.name: r[f.name] for f in dataclasses.fields(RunSpec)}).key() for r in rows}
    todo = [spec for spec in planned_runs() if spec.key() not in done]
    floors = {name: modes.real_data_statistics(name, FLAGS.num_samples) for name in DATASETS}
    print(f"{len(todo)} runs to train ({len(done)} already in {output.with_suffix('.json')})")
    # Workers inherit the environment: one thread each, so jobs share the cores.
    threads = str(max(1, (os.cpu_count() or 1) // FLAGS.jobs))
    os.environ.update(TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=threads)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(FLAGS.jobs, mp_context=context) as pool:
        futures = {
            pool.submit(
                run_one, spec, str(logs / f"{spec.config}_{spec.dataset}_{spec.seed}.log")
            ): spec
            for spec in todo
        }
        for future in concurrent.futures.as_completed(futures):
            spec = futures[future]
            try:
                row = future.result()
            except Exception as e:  # one failed run must not lose the others
                print(f"{spec.describe()}: failed ({e}); see {logs}", flush=True)
                continue
            rows.append(row)
            write_results(rows, floors, output)
            print(f"{spec.describe()}: {summary(row)}", flush=True)
    if rows:
        print("\n" + write_results(rows, floors, output))


if __name__ == "__main__":
    cli.run(main)
