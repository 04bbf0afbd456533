"""Trains, scores and publishes the catalogue's entries, one at a time (`make pretrained`).

    python scripts/train_pretrained.py                               # every entry
    python scripts/train_pretrained.py --entries=dcgan_fashion_mnist # one entry
    python scripts/train_pretrained.py --entries=dcgan_fashion_mnist --skip_training

For each entry: its recorded `train.py` command (zoo/catalogue/recipes.py) in
`runs/pretrained/<name>/`, which resumes where an interrupted run stopped;
`evaluate.py` on the finished run; then the preset `pretrained/<name>/`, whose
model card records the command, the machine, the wall time, the code's commit,
every metric with its protocol and the learning curve, and a sample strip in
`docs/catalogue/<name>.png`.
"""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

from zoo import catalogue  # noqa: E402
from zoo.catalogue import recipes  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402
from zoo.loading import presets  # noqa: E402

flags.DEFINE_list("entries", list(recipes.RECIPES), "Catalogue entries to make, in this order.")
flags.DEFINE_bool("skip_training", False, "Publish finished runs only (score and write presets).")
flags.DEFINE_string("output_dir", str(ROOT / "pretrained"), "Where the preset folders go.")
flags.DEFINE_string("strips_dir", str(ROOT / "docs" / "catalogue"), "Where sample strips go.")
FLAGS = flags.FLAGS


def main():
    unknown = sorted(set(FLAGS.entries) - set(recipes.RECIPES))
    if unknown:
        raise ZooError(f"unknown entries {', '.join(unknown)}; valid: {', '.join(recipes.RECIPES)}")
    for name in FLAGS.entries:
        recipe = recipes.RECIPES[name]
        if not FLAGS.skip_training:
            print(f"{name}: {recipe.command()}", flush=True)
            _run([sys.executable, str(ROOT / "train.py"), *recipe.train_args()], name)
        folder = catalogue.publish(recipe, FLAGS.output_dir, FLAGS.strips_dir)
        card = presets.read_card(folder)
        size = sum(f["bytes"] for f in card["files"].values()) / 1e6
        print(f"{name}: {folder} ({size:.1f} MB) {card['metrics']}", flush=True)


def _run(command, what):
    # Unbuffered: `make pretrained > log` then shows each run's progress lines as they
    # come, not in 8 KB blocks an hour late.
    unbuffered = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(command, cwd=ROOT, env=unbuffered)
    if result.returncode != 0:
        raise ZooError(f"{what}: {pathlib.Path(command[1]).name} failed (exit "
                       f"{result.returncode}); rerun to resume")  # fmt: skip


if __name__ == "__main__":
    cli.run(main)
