"""Wall-clock budgets: one family trained for minutes of time, then scored by
evaluate.py (`make bench-quality`; run it on a quiet machine, time is the budget),
and the probes that turn a budget into steps at a measured rate, so that the runs of
bench/variants.py and bench/small_data.py may share the machine and resume.
"""

import json
import math
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf

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


def probe_phase_steps_per_second(workdir, phase_steps, num_phases, batch_size, *args,
                                 log_every=20):  # fmt: skip
    """Generator steps per second in each phase of a growing family's `train.py *args`
    run (ProGAN's fade-ins and stable phases): one run from scratch whose `args` make
    every phase `phase_steps` long (a step's cost depends on its phase's resolution,
    not on how long the phase lasts), timed in `log_every`-step windows from its
    TensorBoard log. Each phase's first window (its tracing) is left out and the
    median of the others kept. Assumes every phase trains at `batch_size`.

    Raises:
        ZooError: a phase too short for a timed window after its first.
    """
    if phase_steps % log_every or phase_steps < 2 * log_every:
        raise ZooError(f"phase_steps={phase_steps} must be a multiple of {log_every}, "
                       f"at least {2 * log_every}")  # fmt: skip
    shutil.rmtree(workdir, ignore_errors=True)
    train_py(
        workdir, *args, f"--batch_size={batch_size}", f"--steps={phase_steps * num_phases}",
        f"--log_every={log_every}", "--sample_every=100000000", "--checkpoint_every=100000000",
    )  # fmt: skip
    windows = logged_values(pathlib.Path(workdir) / "logs", "images_per_second")
    rates = []
    for phase in range(num_phases):
        start = phase * phase_steps
        timed_windows = [v for step, v in windows.items()
                         if start + log_every < step <= start + phase_steps]  # fmt: skip
        if not timed_windows:
            raise ZooError(f"phase {phase} of the probe in {workdir} logged no timed window")
        rates.append(float(np.median(timed_windows)) / batch_size)
    return rates


def logged_values(logdir, tag):
    """`{step: value}` of the scalar `tag` in the TensorBoard event files in `logdir`."""
    values = {}
    for path in sorted(pathlib.Path(logdir).glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == tag:
                    values[event.step] = float(tf.make_ndarray(value.tensor))
    return values


def steps_for_seconds(seconds, phase_lengths, phase_rates):
    """Steps a run spends in `seconds` when its phases last `phase_lengths` steps (the
    last `None`: until the run ends) at `phase_rates` steps per second; a run that
    finishes every phase sooner stops at their end."""
    steps = 0
    for length, rate in zip(phase_lengths, phase_rates, strict=True):
        if length is None or seconds < length / rate:
            return steps + math.ceil(seconds * rate)
        seconds -= length / rate
        steps += length
    return steps


def probed_rates(rates_path, probes, seconds, batch_size, probe=None):
    """Steps per second of each `{key: (workdir, train.py arguments)}` in `probes`: read
    from the JSON at `rates_path`, probing (and adding there) the ones not measured yet,
    with `probe(workdir, *args)` if given, else a `seconds` run
    (`probe_steps_per_second`). Benchmarks call it for their whole grid before the
    first run, so only the probes need a quiet machine and a rerun does not probe again."""
    rates_path = pathlib.Path(rates_path)
    rates = json.loads(rates_path.read_text()) if rates_path.exists() else {}
    for key, (workdir, args) in probes.items():
        if key not in rates:
            if probe is None:
                rates[key] = probe_steps_per_second(workdir, seconds, batch_size, *args)
            else:
                rates[key] = probe(workdir, *args)
            write_text_atomically(rates_path, json.dumps(rates, indent=1) + "\n")
    return rates


def model_kwargs_flag(model_kwargs):
    """`--model_kwargs=` for train.py (bare strings, Python literals without spaces)."""
    values = [f"{k}={v if isinstance(v, str) else repr(v).replace(' ', '')}"
              for k, v in model_kwargs.items()]  # fmt: skip
    return [f"--model_kwargs={','.join(values)}"] if values else []
