"""One family trained for a wall-clock budget, then scored by evaluate.py: the run that
`make bench-quality` and the equal-time A/Bs (bench/variants.py) share.

Run it on a quiet machine: time is the budget.
"""

import json
import pathlib
import shutil
import subprocess
import sys
import time

from zoo import training
from zoo.core.errors import ZooError
from zoo.core.files import write_text_atomically

ROOT = pathlib.Path(__file__).resolve().parents[1]
METRICS = "fid10k,is10k,kid10k"


def train_and_score(family, workdir, minutes, batch_size, seed, model_kwargs=None,
                    g_learning_rate=None, evaluate_flags=()):  # fmt: skip
    """Trains `family` from scratch in `workdir` for `minutes` (`zoo.training.train` with
    `max_seconds`: data pipeline, logging and checkpoints included), scores it with
    evaluate.py (`evaluate_flags` added), and returns the JSON row."""
    workdir = pathlib.Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    config = training.TrainConfig(
        model=family, dataset="fashion_mnist", image_size=32, workdir=str(workdir),
        steps=10_000_000, max_seconds=minutes * 60, batch_size=batch_size, seed=seed,
        model_kwargs=dict(model_kwargs or {}), g_learning_rate=g_learning_rate,
        sample_every=500, checkpoint_every=500, log_every=100,
    )  # fmt: skip
    summary = training.train(config)
    started = time.perf_counter()
    report = score(workdir, seed, evaluate_flags)
    return {
        "family": family,
        "minutes": minutes,
        "batch_size": batch_size,
        "seed": seed,
        "steps": summary["step"],
        "train_seconds": summary["seconds"],
        "images_per_second": summary["images_per_second"],
        "score_seconds": round(time.perf_counter() - started, 1),
        "metrics": report["metrics"],
        "real_floor": report["real_floor"],
        "samples": str(summary["samples"]),
    }


def score(workdir, seed, evaluate_flags=(), report_name="metrics.json"):
    """evaluate.py's report (`METRICS`, seed `seed`) of the run in `workdir`."""
    report_path = pathlib.Path(workdir) / report_name
    result = subprocess.run(
        [sys.executable, str(ROOT / "evaluate.py"), f"--network={workdir}",
         f"--metrics={METRICS}", f"--metrics_json={report_path}", f"--seed={seed}",
         *evaluate_flags],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise ZooError(f"evaluate.py failed on {workdir}: {result.stderr.strip()[-300:]}")
    return json.loads(report_path.read_text())


def train_py(workdir, *args):
    """Runs (or resumes) `train.py --workdir=workdir *args`; returns its train_summary.json.

    Raises:
        ZooError: train.py failed, in one line saying to rerun.
    """
    command = [sys.executable, str(ROOT / "train.py"), f"--workdir={workdir}", *args]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        raise ZooError(f"train.py failed on {workdir} (exit {result.returncode}); rerun to resume")
    return json.loads((pathlib.Path(workdir) / "train_summary.json").read_text())


def probe_steps_per_second(workdir, seconds, batch_size, *args):
    """Generator steps per second of `train.py *args` over a `seconds` run from scratch
    (its timing windows after the first, which includes tracing): what turns a wall-clock
    budget into steps, so the timed runs themselves need not have the machine alone.

    Raises:
        ZooError: a probe too short to finish one timed window.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    summary = train_py(
        workdir, *args, f"--batch_size={batch_size}", f"--max_seconds={seconds}",
        "--steps=100000000", "--log_every=20", "--sample_every=100000000",
        "--checkpoint_every=100000000",
    )  # fmt: skip
    if summary["images_per_second"] is None:
        raise ZooError(f"the probe in {workdir} finished no timed window; give it more seconds")
    d_steps = json.loads((pathlib.Path(workdir) / "model_config.json").read_text()).get(
        "d_steps", 1
    )
    return summary["images_per_second"] / (batch_size * d_steps)


def probed_rates(rates_path, probes, seconds, batch_size):
    """Steps per second of each `{key: (workdir, train.py arguments)}` in `probes`: read
    from the JSON at `rates_path`, probing (and adding there) the ones not measured yet.
    Benchmarks call it for their whole grid before the first run, so only the probes
    need a quiet machine and a rerun does not probe again."""
    rates_path = pathlib.Path(rates_path)
    rates = json.loads(rates_path.read_text()) if rates_path.exists() else {}
    for key, (workdir, args) in probes.items():
        if key not in rates:
            rates[key] = probe_steps_per_second(workdir, seconds, batch_size, *args)
            write_text_atomically(rates_path, json.dumps(rates, indent=1) + "\n")
    return rates


def model_kwargs_flag(model_kwargs):
    """`--model_kwargs=` for train.py (bare strings, Python literals without spaces)."""
    values = [f"{k}={v if isinstance(v, str) else repr(v).replace(' ', '')}"
              for k, v in model_kwargs.items()]  # fmt: skip
    return [f"--model_kwargs={','.join(values)}"] if values else []
