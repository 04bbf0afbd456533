"""Publishing catalogue entries: a finished training run becomes a scored preset.

The library behind `make pretrained` (scripts/train_pretrained.py): `publish`
scores a recipe's finished run with `evaluate.py`, writes its preset with a
model card (the command, the machine, the wall time, the code's commit, every
metric with its protocol, the learning curve) and a sample strip for the README.
"""

import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys

from zoo import data, training
from zoo.core.errors import ZooError
from zoo.drawing import pictures
from zoo.loading import presets, sources

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE_METRICS = "fid10k,is10k,kid10k,pr10k3,fid2k,is2k,kid2k"
STRIP_SAMPLES = 10
INTENDED_USE = (
    "Sampling, latent-space exploration, fine-tuning and teaching: a small GAN of the zoo's "
    "family trained on a CPU budget, to compare families and start from."
)
LIMITATIONS = (
    "Trained on {dataset} only, at {shape}; it knows nothing else. Scores use the zoo's "
    "Fashion-MNIST classifier, not Inception: they rank models of this catalogue, they are not "
    "comparable with published FIDs. {budget}, far from the papers' schedules."
)


def budget_words(recipe):
    """The card's words for a recipe's budget: "A two-hour CPU budget", "A 30-minute
    CPU budget", or the step count of an entry without a time budget."""
    if recipe.budget_seconds is None:
        return f"A budget of {recipe.steps:,} steps on a CPU"
    minutes = round(recipe.budget_seconds / 60)
    length = "two-hour" if minutes == 120 else f"{minutes}-minute"
    return f"A {length} CPU budget"


def publish(recipe, output_dir, strips_dir, root=ROOT, workdir=None):
    """Scores a recipe's finished run; writes its preset and its sample strip.

    Args:
        recipe: a `zoo.catalogue.recipes.Recipe` whose run (`root / recipe.workdir`) finished.
        output_dir: where the preset folder `<name>/` goes.
        strips_dir: where the sample strip `<name>.png` goes.
        root: the checkout whose `evaluate.py` scores the run.
        workdir: the run's folder. Defaults to `root / recipe.workdir`.

    Returns:
        `pathlib.Path` of the preset folder.
    """
    workdir = pathlib.Path(workdir or pathlib.Path(root) / recipe.workdir)
    config = training.read_config(workdir)
    summary = json.loads((workdir / training.SUMMARY_FILE).read_text())
    if summary["step"] < recipe.steps:
        raise ZooError(
            f"{recipe.name}: the run stopped at step {summary['step']} of {recipe.steps}; "
            f"rerun without --skip_training to finish it"
        )
    report = _evaluate(recipe, workdir, root)
    gan = sources.load_workdir_model(workdir)
    card = model_card(recipe, config, summary, report, gan, workdir, root)
    folder = presets.save_preset(gan, pathlib.Path(output_dir) / recipe.name, card=card)
    write_strip(gan, recipe, pathlib.Path(strips_dir) / f"{recipe.name}.png")
    return folder


def _evaluate(recipe, workdir, root):
    """`evaluate.py`'s report of the run, as a user would score it."""
    report_path = workdir / "catalogue_metrics.json"
    command = [sys.executable, str(pathlib.Path(root) / "evaluate.py"), f"--workdir={workdir}",
               f"--metrics_json={report_path}", "--seed=0"]  # fmt: skip
    if recipe.dataset == "fashion_mnist":
        command.append(f"--metrics={IMAGE_METRICS}")
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ZooError(f"{recipe.name}: evaluate.py failed ({reason})")
    return json.loads(report_path.read_text())


def images_seen(gan, config):
    """Real images the discriminator saw: every phase's steps times its batch."""
    plan = training.phase_plan(gan, config)
    return sum((p.end - p.start) * p.phase.batch_size * gan.d_steps for p in plan)


def learning_curve(workdir, gan, config):
    """The run's `--eval_every` points: `[{"step", "images", "results"}]`, a step's last."""
    path = workdir / training.METRICS_HISTORY_FILE
    if not path.exists():
        return []
    points = {}
    for line in path.read_text().splitlines():
        point = json.loads(line)
        points[point["step"]] = point["results"]
    per_step = images_seen(gan, config) / config.steps
    return [
        {"step": s, "images": round(s * per_step), "results": points[s]} for s in sorted(points)
    ]


def machine(config):
    cpu = platform.processor() or platform.machine()
    if pathlib.Path("/proc/cpuinfo").exists():
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "accelerator": None,
        "precision": config.mixed_precision or "float32",
    }


def _commit(root):
    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    return result.stdout.strip() or None


def model_card(recipe, config, summary, report, gan, workdir, root=ROOT):
    """The card fields of a published entry, beside what `presets.describe` finds."""
    labels = list(data.FASHION_MNIST_CLASSES) if config.dataset == "fashion_mnist" else []
    card = {
        "name": recipe.name,
        "dataset": config.dataset,
        "split": "train" if config.dataset == "fashion_mnist" else "generated (2-D mixture)",
        "labels": labels if gan.num_classes else [],
        "dataset_classes": labels,
        "images_seen": images_seen(gan, config),
        "steps": summary["step"],
        "batch_size": config.batch_size,
        "d_steps": gan.d_steps,
        "training_command": recipe.command(),
        "recipe_notes": recipe.notes,
        "budget": {
            "seconds_of_bench_throughput": recipe.budget_seconds,
            "bench_images_per_second": recipe.images_per_second,
        }
        if recipe.images_per_second
        else None,
        "wall_time_seconds": summary.get("total_seconds", summary["seconds"]),
        "machine": machine(config),
        "commit": _commit(root),
        # Images: FID/IS/KID/PR by protocol; 2-D mixtures: mode coverage.
        "metrics": report.get("metrics") or report.get("modes"),
        "real_floor": report.get("real_floor"),
        "evaluation": {
            k: v for k, v in report.items() if k not in ("metrics", "modes", "real_floor", "model")
        },
        "learning_curve": learning_curve(workdir, gan, config),
        "intended_use": INTENDED_USE,
        "limitations": LIMITATIONS.format(
            dataset=config.dataset, shape=tuple(gan.image_shape), budget=budget_words(recipe)
        ),
        "published": datetime.date.today().isoformat(),
    }
    return card


def write_strip(gan, recipe, path):
    """One row of samples (seed 0) for the README's catalogue table; a scatter for points."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(gan.image_shape) == 1:
        samples = gan.generate(2500, seed=0)
        means = data.mixture_means(recipe.dataset)
        pictures.write_png(path, pictures.scatter_image(samples, means, size=256))
        return
    images = gan.generate(STRIP_SAMPLES, seed=0)
    pictures.write_png(path, pictures.image_strip(pictures.to_images(images)))
