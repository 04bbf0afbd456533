"""Training speed of every family on this machine: `make bench`.

    python bench/train_speed.py                        # all six families, about 20 min on 2 cores
    python bench/train_speed.py --models=dcgan,stylegan --steps=200
    python bench/train_speed.py --models=dcgan,stylegan --deterministic \
        --output=bench/results/speed_deterministic

For each family, in a process of its own (so that peak memory is the family's):

- **train.py images/s**: `zoo.training.train` at batch 64 on Fashion-MNIST 32x32,
  exactly what `python train.py --model=<family>` runs (data pipeline, logging,
  sample grids, checkpoints), the median over `--window`-step windows, the
  first (tracing) window excluded. ProGAN grows one step per phase here, so its
  windows time 32x32 steps.
- **bare step images/s**: the same networks, batch and optimizers (built and
  compiled by the same library functions) trained by `tf.function(train_step)`
  on one in-memory batch in a Python loop: no `fit`, callbacks, logging or
  pipeline. The ratio train.py / bare is what the library costs.
- **bfloat16**: the train.py run and the bare step again under Keras'
  `mixed_bfloat16` policy: bfloat16 / float32 of each, and train.py / bare
  in bfloat16, which shows whether the library keeps what bfloat16 gains.
- **score 10k**: seconds to score the trained model's 10k samples with
  fid10k, is10k and kid10k (`zoo.metrics.evaluate_model`: generation,
  extraction and the maths; the cached train-split reference is not timed).
- **peak memory**: the process's peak resident set (`ru_maxrss`) at the end of
  the train.py run, and at the end of everything.

Bare and library steps are timed in the same process, one after the other, so
their ratio holds across machines that differ in speed. Writes
`bench/results/speed.json` and the table `bench/results/speed.md`.
"""

import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

import models  # noqa: E402,F401  (registers the families)
from zoo import data, training  # noqa: E402
from zoo.loading import sources  # noqa: E402

FAMILIES = ("vanilla_gan", "dcgan", "wgan_gp", "progan", "sagan", "stylegan")
# Reach the final resolution after one step per phase.
MODEL_KWARGS = {"progan": {"images_per_phase": 1}}

flags.DEFINE_list("models", list(FAMILIES), "Families to time.")
flags.DEFINE_integer("steps", 300, "train.py steps per family.", lower_bound=2)
flags.DEFINE_integer("window", 50, "Steps per timing window (and bare steps / 2).", lower_bound=1)
flags.DEFINE_integer("batch_size", 64, "Batch size.", lower_bound=1)
flags.DEFINE_string("output", str(REPO / "bench" / "results" / "speed"), "Results path stem.")
flags.DEFINE_bool("deterministic", False, "Time with TensorFlow's op determinism on.")
flags.DEFINE_string("one", None, "Internal: time this family in this process, print JSON.")
FLAGS = flags.FLAGS


def _config(model, workdir, mixed_precision=None):
    return training.TrainConfig(
        model=model, dataset="fashion_mnist", workdir=workdir, steps=FLAGS.steps,
        batch_size=FLAGS.batch_size, model_kwargs=MODEL_KWARGS.get(model, {}),
        log_every=FLAGS.window, sample_every=FLAGS.steps, checkpoint_every=FLAGS.steps,
        mixed_precision=mixed_precision, deterministic=FLAGS.deterministic,
    )  # fmt: skip


def bare_step_rate(config, steps):
    """Images/s of `tf.function(model.train_step)` on one in-memory batch.

    The model is built and compiled as `zoo.training.train` builds it (same
    networks, optimizers, dtype policy); tracing and 5 warm-up steps are
    excluded.
    """
    _, info = data.load_dataset(config.dataset, batch_size=8, image_size=config.image_size)
    with training.dtype_policy(config.mixed_precision):
        model = training.build_model(config, info)
        training.compile_model(model, config)
    if model.capabilities.phases:
        model.enter_phase(model.training_phases(config.batch_size)[-1])
    count = config.batch_size * model.d_steps
    images = tf.random.stateless_uniform((count, *model.image_shape), (0, 0), -1.0, 1.0)
    labels = tf.range(count) % max(model.num_classes, 1)
    step = tf.function(model.train_step)
    for _ in range(5):
        outputs = step((images, labels))
    _sync(outputs)
    started = time.perf_counter()
    for _ in range(steps):
        outputs = step((images, labels))
    _sync(outputs)
    return steps * count / (time.perf_counter() - started)


def _sync(outputs):
    # Reading a value waits for the step that made it.
    next(iter(outputs.values())).numpy()


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def time_family(model):
    """Every measurement of one family, as a dict (run in a process of its own)."""
    from zoo import metrics  # TF-GAN's maths; loaded after training
    from zoo.metrics import extractors

    with tempfile.TemporaryDirectory() as workdir:
        summary = training.train(_config(model, workdir))
        train_peak = _peak_rss_mb()
        trained = sources.load_workdir_model(workdir)
    with tempfile.TemporaryDirectory() as workdir:
        summary_bf16 = training.train(_config(model, workdir, "bfloat16"))
    bare = bare_step_rate(_config(model, "unused"), 2 * FLAGS.window)
    bare_bf16 = bare_step_rate(_config(model, "unused", "bfloat16"), 2 * FLAGS.window)

    names = ("fid10k", "is10k", "kid10k")
    extractor = extractors.get_extractor()
    reference = metrics.reference_activations(
        "fashion_mnist", "train", trained.image_shape, extractor
    )
    started = time.perf_counter()
    scores = metrics.evaluate_model(trained, names, extractor=extractor, reference=reference)
    score_seconds = time.perf_counter() - started
    return {
        "model": model,
        "train_images_per_second": summary["images_per_second"],
        "bare_images_per_second": bare,
        "ratio": summary["images_per_second"] / bare,
        "bare_bfloat16_images_per_second": bare_bf16,
        "bfloat16_speedup": bare_bf16 / bare,
        "train_bfloat16_images_per_second": summary_bf16["images_per_second"],
        "train_bfloat16_speedup": summary_bf16["images_per_second"] / summary["images_per_second"],
        "bfloat16_ratio": summary_bf16["images_per_second"] / bare_bf16,
        "score_10k_seconds": score_seconds,
        "fid10k_after_steps": scores["fid10k"],
        "train_peak_rss_mb": train_peak,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _table(rows, meta):
    lines = [
        f"Measured {meta['date']} on {meta['cpus']} CPU cores ({meta['machine']}), batch "
        f"{meta['batch_size']}, Fashion-MNIST 32x32, {meta['steps']} train.py steps per family "
        f"(`make bench`{', --deterministic' if meta['deterministic'] else ''}).",
        "",
        "| family | train.py images/s | bare step images/s | ratio | bfloat16: train.py | bare | "
        "ratio | bfloat16 / float32: train.py | bare | score 10k (s) | "
        "peak memory, training (MB) | peak memory (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['train_images_per_second']:.0f} | "
            f"{r['bare_images_per_second']:.0f} | {r['ratio']:.2f} | "
            f"{r['train_bfloat16_images_per_second']:.0f} | "
            f"{r['bare_bfloat16_images_per_second']:.0f} | {r['bfloat16_ratio']:.2f} | "
            f"{r['train_bfloat16_speedup']:.2f} | {r['bfloat16_speedup']:.2f} | "
            f"{r['score_10k_seconds']:.0f} | {r['train_peak_rss_mb']:.0f} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main():
    if FLAGS.one:
        print("RESULT " + json.dumps(time_family(FLAGS.one)), flush=True)
        return
    unknown = sorted(set(FLAGS.models) - set(FAMILIES))
    if unknown:
        raise SystemExit(
            f"unknown --models {', '.join(unknown)}; choose from {', '.join(FAMILIES)}"
        )
    rows = []
    for model in FLAGS.models:
        print(f"--- {model}", flush=True)
        result = subprocess.run(
            [sys.executable, __file__, f"--one={model}", f"--steps={FLAGS.steps}",
             f"--window={FLAGS.window}", f"--batch_size={FLAGS.batch_size}",
             f"--deterministic={FLAGS.deterministic}"],
            capture_output=True, text=True, cwd=REPO,
        )  # fmt: skip
        found = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
        if result.returncode or not found:
            raise SystemExit(f"{model} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        rows.append(json.loads(found[-1][len("RESULT ") :]))
        print(json.dumps(rows[-1]), flush=True)
    meta = {
        "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "batch_size": FLAGS.batch_size, "steps": FLAGS.steps, "deterministic": FLAGS.deterministic,
    }  # fmt: skip
    output = pathlib.Path(FLAGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    table = _table(rows, meta)
    output.with_suffix(".md").write_text(table)
    print("\n" + table)


if __name__ == "__main__":
    cli.run(main)
