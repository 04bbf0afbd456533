"""A run's directory: its files, its config history, its checkpoints.

    config.json          the resolved TrainConfig (a rerun must match it), and
                         the history of the settings changed at each resume
    model_config.json    the model's get_config(), to rebuild it without data
    checkpoints/         the last few tf.train checkpoints (weights, both
                         optimizers)
    samples/             PNG sample grids from fixed latents, step_XXXXXXX.png
    logs/                TensorBoard scalars and image grids
    model.keras          the final model (whole GAN, compile state included)
    train_summary.json   steps, seconds, images/s of the last invocation; seconds
                         of all of them (total_seconds)
    metrics_history.jsonl  one line per `eval_every` evaluation (step, results)
    elapsed.json         training seconds up to the latest checkpoint

Every file is written atomically (`zoo.core.files`). Loading a trained model
(`zoo.loading.sources`) reads this module, not the training loop.
"""

import dataclasses
import json
import os
import pathlib

import tensorflow as tf

from zoo.core.errors import ZooError
from zoo.core.files import write_json_atomically, write_text_atomically
from zoo.training.config import TrainConfig, native_image_size

CONFIG_FILE = "config.json"

MODEL_CONFIG_FILE = "model_config.json"

MODEL_FILE = "model.keras"

SUMMARY_FILE = "train_summary.json"

# Training seconds up to the latest checkpoint, over all invocations.
ELAPSED_FILE = "elapsed.json"

# One JSON line per `--eval_every` evaluation: the run's learning curve.
METRICS_HISTORY_FILE = "metrics_history.jsonl"

# Fields a rerun in the same workdir may change; any other change would mix
# two different runs in one set of checkpoints.
RESUMABLE_CHANGES = frozenset(
    {"steps", "sample_every", "checkpoint_every", "log_every", "keep_checkpoints", "data_dir",
     "eval_every", "eval_metrics", "steps_per_execution", "workdir", "d_learning_rate",
     "g_learning_rate", "max_seconds", "strategy", "tpu", "deterministic"}
)  # fmt: skip

HISTORY_KEY = "history"


def check_workdir(workdir):
    """Refuses in one line a run directory that cannot be made or written, before any work
    and without making it (a run refused later leaves nothing behind)."""
    if workdir.exists() and not workdir.is_dir():
        raise ZooError(
            f"--workdir={workdir} is a file, not a directory; pass a new or existing run directory"
        )
    existing = next(p for p in (workdir.absolute(), *workdir.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise ZooError(
            f"cannot create --workdir={workdir}: {existing} is a file; pass a folder you can "
            f"write to"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ZooError(
            f"cannot create --workdir={workdir}: {existing} is not writable; pass a folder you "
            f"can write to"
        )


def make_workdir(path):
    """Makes a run's directory (and its parents), with a one-line error."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ZooError(
            f"cannot create --workdir={path} ({e.strerror or e}); pass a folder you can write to"
        ) from None


def read_previous_config(workdir):
    """The config.json a workdir holds as a dict, or `None` for a new workdir."""
    path = workdir / CONFIG_FILE
    if not path.exists():
        return None
    try:
        previous = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise ZooError(f"{path} is not valid JSON; fix or delete it") from None
    if not isinstance(previous, dict):
        raise ZooError(f"{path} does not hold a training config; fix or delete it")
    return previous


def check_resumable(config, workdir, previous):
    """Refuses to resume a workdir that holds a different run.

    Returns:
        `{name: [old, new]}` of the settings a resume may change
        (`RESUMABLE_CHANGES`) that this rerun changes.
    """
    if previous is None:
        return {}
    previous = {k: v for k, v in previous.items() if k != HISTORY_KEY}
    if previous.get("image_size", 0) is None:
        # Written when None meant the dataset's own size.
        previous["image_size"] = native_image_size(previous.get("dataset", config.dataset))
    current = json.loads(config.to_json())
    # Settings added since the workdir was written held their defaults then.
    previous = {**json.loads(TrainConfig(workdir=str(workdir)).to_json()), **previous}
    changed = sorted(key for key in current.keys() | previous.keys()
                     if current.get(key) != previous.get(key))  # fmt: skip
    refused = [key for key in changed if key not in RESUMABLE_CHANGES]
    if refused:
        details = ", ".join(f"{k}: {previous.get(k)!r} -> {current.get(k)!r}" for k in refused)
        raise ZooError(
            f"workdir {workdir} holds a different run ({details}); "
            f"use a new --workdir or rerun with the same settings to resume"
        )
    return {key: [previous.get(key), current.get(key)] for key in changed if key != "workdir"}


def write_config(config, workdir, previous, changes, step):
    """Writes config.json: the config, and the history of changes at resumes."""
    history = list((previous or {}).get(HISTORY_KEY, []))
    if changes:
        history.append({"step": step, "changed": changes})
    record = {**json.loads(config.to_json()), **({HISTORY_KEY: history} if history else {})}
    write_json_atomically(workdir / CONFIG_FILE, record, indent=2, sort_keys=True)


def read_config(workdir):
    """The `TrainConfig` stored in a workdir."""
    path = pathlib.Path(workdir) / CONFIG_FILE
    if not path.exists():
        raise ZooError(
            f"{workdir} is not a training workdir (no {CONFIG_FILE}); pass --workdir of a run"
        )
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    stored = json.loads(path.read_text())
    return TrainConfig(**{k: v for k, v in stored.items() if k in fields})


def make_checkpoint(model):
    """What a checkpoint holds: the GAN (networks, EMA copy, both optimizers,
    whose step counts key the training noise, `zoo.core.latents.TrainingNoise`),
    and its augmentation's state (ADA's `p`), if any.

    Checkpoints of earlier versions also hold a `seed_state`; restoring
    ignores it.
    """
    augment_state = model.augment.state if model.augment is not None else {}
    if augment_state:
        return tf.train.Checkpoint(model=model, augment=tf.train.Checkpoint(**augment_state))
    return tf.train.Checkpoint(model=model)


def checkpoint_manager(model, workdir, keep, forget=True):
    directory = workdir / "checkpoints"
    if forget:
        forget_missing_checkpoints(directory)
    return tf.train.CheckpointManager(make_checkpoint(model), str(directory), max_to_keep=keep)


def forget_missing_checkpoints(directory):
    """Drops checkpoints whose files were deleted from the directory's index.

    The advice for a corrupt checkpoint is to delete its files; the index file
    (`checkpoint`) would still name it as the latest. Rewriting the index
    (atomically) makes the previous checkpoint the latest, or, when none is
    left, starts the run over.
    """
    directory = pathlib.Path(directory)
    state = tf.train.get_checkpoint_state(str(directory))
    if state is None:
        return
    kept = [p for p in state.all_model_checkpoint_paths if _checkpoint_exists(directory, p)]
    if len(kept) == len(state.all_model_checkpoint_paths) and _checkpoint_exists(
        directory, state.model_checkpoint_path
    ):
        return
    if not kept:
        (directory / "checkpoint").unlink()
        return
    from google.protobuf import text_format  # TensorFlow's own dependency.

    del state.all_model_checkpoint_paths[:]
    state.all_model_checkpoint_paths.extend(kept)
    del state.all_model_checkpoint_timestamps[:]
    state.model_checkpoint_path = kept[-1]
    write_text_atomically(directory / "checkpoint", text_format.MessageToString(state) + "\n")


def _checkpoint_exists(directory, path):
    return (directory / f"{pathlib.Path(path).name}.index").exists()


def restore_latest(checkpoint, manager):
    """Restores the latest checkpoint; returns its path or `None` if none.

    Raises:
        ZooError: when the checkpoint cannot be read or does not fit the model;
            the message says which files to delete to resume from the
            previous checkpoint.
    """
    path = manager.latest_checkpoint
    if path is None:
        return None
    try:
        checkpoint.restore(path).assert_existing_objects_matched()
    # A truncated file surfaces as IndexError from the reader.
    except (tf.errors.OpError, ValueError, AssertionError, IndexError) as e:
        reason = str(e).strip().splitlines()[0][:120]
        earlier = [p for p in manager.checkpoints if p != path]
        then = f"resume from {os.path.basename(earlier[-1])}" if earlier else "start over"
        raise ZooError(
            f"checkpoint {path} is corrupt or does not match the model ({reason}); "
            f"delete {path}.index and {path}.data-* to {then}, or use a new --workdir"
        ) from None
    return path


def previous_seconds(workdir, restored):
    """Training seconds that led to the checkpoint the run resumes from (0 for a new run).

    Each checkpoint writes them (`ELAPSED_FILE`), so an invocation that was
    killed still counts up to its last checkpoint: the steps after it are
    trained again, and counted again.
    """
    path = workdir / ELAPSED_FILE
    if not restored or not path.exists():
        return 0.0
    try:
        return float(json.loads(path.read_text())["total_seconds"])
    except (json.JSONDecodeError, TypeError, ValueError, KeyError):
        return 0.0
