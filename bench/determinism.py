"""Same maths after a refactor: a `--deterministic` run of every family on two commits.

    python bench/determinism.py --old=82b8ef1            # every family, 12 steps each
    python bench/determinism.py --old=HEAD~3 --families=stylegan,progan

Each family trains the same short run (`train.py --deterministic`, batch 16,
seed 0, a checkpoint at the last step) once with the code of `--old`, checked
out into a temporary git worktree, and once with this checkout's code; then
every variable of the two final checkpoints (generator, discriminator, EMA
generator, optimizer slots) is compared: bit for bit, or by the largest
absolute difference where a refactor reordered floating-point work. ProGAN
grows through all its phases within the run. Runs use the Fashion-MNIST files
of `--data_dir` (default: the zoo's) and leave nothing in the checkout.
"""

import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags  # noqa: E402

from bench import rows as bench_rows  # noqa: E402
from zoo.core.errors import ZooError  # noqa: E402

FAMILIES = ("vanilla_gan", "dcgan", "wgan_gp", "progan", "sagan", "stylegan")
# ProGAN walks every phase of a 32x32 run in 12 steps of 16 images.
MODEL_KWARGS = {"progan": "images_per_phase=32"}

flags.DEFINE_string("old", None, "The commit to compare with (any git revision).")
flags.DEFINE_list("families", list(FAMILIES), f"Families: {', '.join(FAMILIES)}.")
flags.DEFINE_integer("steps", 12, "Steps of each run.", lower_bound=1)
flags.DEFINE_string("data_dir", None, "Fashion-MNIST folder (train.py's --data_dir).")
FLAGS = flags.FLAGS


def train(code_dir, family, workdir):
    """One deterministic run of `family` with the code in `code_dir`."""
    command = [
        sys.executable, "train.py", f"--model={family}", f"--steps={FLAGS.steps}",
        "--batch_size=16", "--seed=0", "--deterministic", f"--workdir={workdir}",
        f"--checkpoint_every={FLAGS.steps}", f"--sample_every={FLAGS.steps}",
    ]  # fmt: skip
    if family in MODEL_KWARGS:
        command.append(f"--model_kwargs={MODEL_KWARGS[family]}")
    if _defaults_to_auto_precision(code_dir):
        command.append("--mixed_precision=float32")
    if FLAGS.data_dir:
        command.append(f"--data_dir={FLAGS.data_dir}")
    result = subprocess.run(command, cwd=code_dir, capture_output=True, text=True)
    if result.returncode != 0:
        raise ZooError(f"{family} failed in {code_dir}: {result.stderr.strip().splitlines()[-1]}")


def _defaults_to_auto_precision(code_dir):
    """Whether that code's train.py picks its precision by machine (`auto`), so float32 must
    be asked for; older code trained in float32 unless told otherwise and knows no `float32`."""
    command = pathlib.Path(code_dir, "zoo", "commands", "train.py")
    return command.exists() and '"mixed_precision", "auto"' in command.read_text()


def checkpoint_tensors(workdir):
    """Every saved variable of the run's latest checkpoint, by its checkpoint key."""
    path = tf.train.latest_checkpoint(str(pathlib.Path(workdir) / "checkpoints"))
    reader = tf.train.load_checkpoint(path)
    return {
        name: reader.get_tensor(name)
        for name, _ in tf.train.list_variables(path)
        if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
    }


def compare(old, new):
    """`(identical, largest absolute difference, variables)`; raises on different layouts."""
    if old.keys() != new.keys():
        missing = sorted(old.keys() ^ new.keys())[:3]
        raise ZooError(f"the checkpoints hold different variables, e.g. {missing}")
    identical, largest = True, 0.0
    for name, value in old.items():
        if value.dtype.kind not in "fiu":
            continue
        if not np.array_equal(value, new[name]):
            identical = False
            diff = np.abs(value.astype(np.float64) - new[name].astype(np.float64))
            largest = max(largest, float(diff.max()))
    return identical, largest, len(old)


def main():
    if not FLAGS.old:
        raise ZooError("pass --old=REVISION, the code to compare this checkout with")
    bench_rows.check_families(FLAGS.families, FAMILIES)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        old_code = scratch / "old"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old_code), FLAGS.old],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        try:
            for family in FLAGS.families:
                train(old_code, family, scratch / f"{family}_old")
                train(ROOT, family, scratch / f"{family}_new")
                identical, largest, count = compare(
                    checkpoint_tensors(scratch / f"{family}_old"),
                    checkpoint_tensors(scratch / f"{family}_new"),
                )
                verdict = "bit-identical" if identical else f"max |difference| {largest:.3g}"
                print(f"{family:12s} {count} variables after {FLAGS.steps} steps: {verdict}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_code)], cwd=ROOT)


if __name__ == "__main__":
    cli.run(main)
