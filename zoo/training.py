"""The training library behind `train.py`: a frozen config and `train(config)`.

A workdir holds everything a run leaves:

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
"""

import contextlib
import dataclasses
import json
import os
import pathlib
import shutil
import signal
import sys
import threading
import time

import keras
import tensorflow as tf

from zoo import callbacks as zoo_callbacks
from zoo import data, distribute, latents, pictures, registry
from zoo.errors import TrainingInterrupted, ZooError
from zoo.phases import single_phase

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
# Fashion-MNIST trains at 32x32 (zero-padded) unless asked otherwise: a power of
# two, which the families that grow from 4x4 (DCGAN, ProGAN, StyleGAN) need.
TRAINING_IMAGE_SIZES = {"fashion_mnist": 32}


LR_DECAYS = ("none", "linear")
# `--mixed_precision` values and the Keras policies they set.
MIXED_PRECISION_POLICIES = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; written to `workdir/config.json`.

    Attributes:
        model: registered model name (`zoo.list_models()`).
        dataset: dataset spec (`zoo.data`): `fashion_mnist`, `ring8`, `grid25`,
            `tfds:<name>`, `folder:<path>`.
        workdir: where the run's files go; rerunning resumes from it.
            `None` means `runs/<model>`.
        steps: total generator updates of the run, counting resumed ones.
        max_seconds: wall-clock budget of this invocation: training stops at
            the first step after it (and saves everything, as at the end of
            the run); a rerun resumes with a new budget. `None`: no limit.
        batch_size: real examples per discriminator update.
        image_size: side of the images; `None` takes the training default:
            32 for Fashion-MNIST (`TRAINING_IMAGE_SIZES`), the dataset's own
            otherwise (64 for folders and TFDS; none for 2-D mixtures).
        seed: seeds weights, data order and latents: the same seed and config
            give the same run.
        model_kwargs: constructor arguments of the model (`zoo.build`).
        d_learning_rate: overrides the family's discriminator learning rate.
            May change when a run resumes (e.g. lower after a divergence);
            the new rate takes effect and `config.json`'s history records it.
        g_learning_rate: overrides the family's generator learning rate; the
            same.
        lr_decay: `"none"` keeps the learning rates constant; `"linear"` takes
            both linearly to 0 at step `steps` (the discriminator's over its
            `steps * d_steps` updates), which settles the samples at the end
            of the run. A resumed run with more `steps` decays over the new
            total, so its rates rise again.
        data_dir: Fashion-MNIST IDX folder or TFDS data dir.
        sample_every: steps between PNG sample grids.
        checkpoint_every: steps between checkpoints.
        log_every: steps between TensorBoard scalars (and tracker resets).
        keep_checkpoints: how many checkpoints to keep.
        num_samples: samples in each grid.
        eval_every: steps between metric evaluations logged to TensorBoard
            (`zoo.metrics`); `None` evaluates only with `evaluate.py`.
        eval_metrics: protocol names evaluated every `eval_every` steps.
        steps_per_execution: training steps per call into the compiled graph
            (`keras.Model.compile`); more than 1 amortizes Python dispatch for
            tiny models (2-D MLPs). Keras runs whole executions and callbacks
            see every n-th step only, so `steps`, the intervals above and a
            resumed run's start step must be multiples of it.
        strategy: `tf.distribute` strategy (`zoo.distribute.STRATEGIES`):
            `"default"` (one device), `"mirrored"` (the local GPUs),
            `"multi_worker"` (the `TF_CONFIG` cluster) or `"tpu"`.
            `batch_size` is the global batch, split over the replicas. A run
            may resume under another strategy (train on 2 GPUs, resume on 1).
        tpu: the TPU's name or address with `strategy="tpu"`.
        mixed_precision: `None` (float32), `"bfloat16"` or `"float16"`: the
            networks compute in that type, their weights, losses and outputs
            stay float32; float16 adds loss scaling to both optimizers.
        deterministic: TensorFlow's op determinism: the same config gives
            bit-identical weights, at some cost in speed.
        init_from: a catalogue name or preset folder (`zoo.load`) whose
            weights a new run starts from (fine-tuning); the model takes the
            preset's constructor arguments, which `model_kwargs` may
            override. `None` starts from random weights.
    """

    model: str = "dcgan"
    dataset: str = "fashion_mnist"
    workdir: str | None = None
    steps: int = 3000
    max_seconds: float | None = None
    batch_size: int = 64
    image_size: int | None = None
    seed: int = 0
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    d_learning_rate: float | None = None
    g_learning_rate: float | None = None
    lr_decay: str = "none"
    data_dir: str | None = None
    sample_every: int = 500
    checkpoint_every: int = 500
    log_every: int = 100
    keep_checkpoints: int = 3
    num_samples: int = 64
    eval_every: int | None = None
    eval_metrics: str = "fid10k,is10k,kid10k"
    steps_per_execution: int = 1
    strategy: str = "default"
    tpu: str | None = None
    mixed_precision: str | None = None
    deterministic: bool = False
    init_from: str | None = None

    def __post_init__(self):
        self._resolve_defaults()
        for name in ("steps", "batch_size", "sample_every", "checkpoint_every", "log_every",
                     "keep_checkpoints", "num_samples", "steps_per_execution"):  # fmt: skip
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ZooError(f"{name} must be a positive integer, got {value!r}")
        if self.eval_every is not None and (
            not isinstance(self.eval_every, int) or self.eval_every < 1
        ):
            raise ZooError(f"eval_every must be a positive integer, got {self.eval_every!r}")
        spe = self.steps_per_execution
        if self.steps % spe:
            lower, higher = self.steps - self.steps % spe, self.steps + spe - self.steps % spe
            raise ZooError(
                f"steps={self.steps} is not a multiple of steps_per_execution={spe}; Keras runs "
                f"whole executions and would stop at step {higher}: pass --steps="
                + (f"{lower} or --steps={higher}" if lower else f"{higher}")
            )
        for name in ("sample_every", "checkpoint_every", "log_every", "eval_every"):
            value = getattr(self, name)
            if value is not None and value % spe:
                raise ZooError(
                    f"{name}={value} is not a multiple of steps_per_execution="
                    f"{spe}; callbacks only see every {spe}-th step"
                )
        for name in ("d_learning_rate", "g_learning_rate", "max_seconds"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ZooError(f"{name} must be positive, got {value!r}")
        if self.lr_decay not in LR_DECAYS:
            raise ZooError(f"lr_decay must be one of {', '.join(LR_DECAYS)}, got {self.lr_decay!r}")
        if self.strategy not in distribute.STRATEGIES:
            raise ZooError(
                f"strategy must be one of {', '.join(distribute.STRATEGIES)}, got {self.strategy!r}"
            )
        if self.tpu and self.strategy != "tpu":
            raise ZooError(f"tpu={self.tpu!r} needs strategy='tpu', got {self.strategy!r}")
        if self.mixed_precision is not None and self.mixed_precision not in (
            MIXED_PRECISION_POLICIES
        ):
            raise ZooError(
                f"mixed_precision must be one of {', '.join(MIXED_PRECISION_POLICIES)}, got "
                f"{self.mixed_precision!r}"
            )
        if self.strategy == "tpu" and self.mixed_precision == "float16":
            raise ZooError(
                "TPUs compute in bfloat16, not float16; use --mixed_precision=bfloat16 on a TPU"
            )
        if self.strategy == "multi_worker" and self.max_seconds:
            # Workers would stop at different steps and wait for each other forever.
            raise ZooError(
                "max_seconds cannot stop the workers of a multi-worker run at the same step; "
                "drop --max_seconds and set --steps"
            )

    def _resolve_defaults(self):
        # Frozen: the resolved values are written in place once, here, so that
        # config.json holds what the run really uses.
        if self.workdir is None:
            object.__setattr__(self, "workdir", str(pathlib.Path("runs", self.model)))
        if self.image_size is None and self.dataset in TRAINING_IMAGE_SIZES:
            object.__setattr__(self, "image_size", TRAINING_IMAGE_SIZES[self.dataset])

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)


def _native_image_size(dataset):
    """What `image_size=None` meant before training defaults: the dataset's own size."""
    if dataset in data.MIXTURE_STDDEV:
        return None
    return 28 if dataset == "fashion_mnist" else data.DEFAULT_IMAGE_SIZE


def _say(message):
    print(message, flush=True)


# ---------------------------------------------------------------- building


def build_model(config, info):
    """Builds the model of `config` for a dataset described by `info`."""
    kwargs = {**_preset_arguments(config), **config.model_kwargs}
    image_shape = tuple(kwargs.pop("image_shape", info.sample_shape))
    if image_shape != tuple(info.sample_shape):
        raise ZooError(
            f"model_kwargs image_shape={image_shape} does not match the dataset's "
            f"{tuple(info.sample_shape)}; drop image_shape or pass a matching --image_size"
        )
    kwargs.setdefault("seed", config.seed)
    if registry.get_model_class(config.model).class_conditional:
        _check_labels(config, kwargs.get("num_classes"), info)
        kwargs.setdefault("num_classes", info.num_classes)
    return registry.build(config.model, image_shape=image_shape, **kwargs)


def _preset_arguments(config):
    """The constructor arguments of `config.init_from`'s preset (none without one)."""
    if not config.init_from:
        return {}
    from zoo import presets, pretrained  # The catalogue loads models through this module.

    folder = pretrained.resolve(config.init_from)
    family = presets.read_card(folder).get("family")
    if family != config.model:
        raise ZooError(
            f"--init_from={config.init_from} is a {family}, not a {config.model}; pass "
            f"--model={family} (or drop --model)"
        )
    stored = json.loads((folder / presets.CONFIG_FILE).read_text())["config"]
    # The run's own seed keys its noise; the name is the run's.
    return {k: v for k, v in stored.items() if k not in ("name", "seed")}


def initialize_from_preset(model, name_or_folder):
    """Copies a preset's network weights into `model` (a new run's first state).

    Raises:
        ZooError: a preset whose networks do not fit the model.
    """
    from zoo import pretrained

    preset = pretrained.load(name_or_folder)
    for network in ("generator", "discriminator", "ema_generator"):
        target = getattr(model, network, None)
        source = getattr(preset, network, None) or (
            preset.sampling_generator if network == "ema_generator" else None
        )
        if target is None or source is None:
            continue
        try:
            target.set_weights(source.get_weights())
        except ValueError as e:
            raise ZooError(
                f"--init_from={name_or_folder}: its {network} does not fit the model "
                f"({str(e).splitlines()[0][:100]}); drop the --model_kwargs that change the "
                f"architecture"
            ) from None


def _check_labels(config, num_classes, info):
    """A conditional model needs the dataset's labels, all of them.

    `num_classes` is the one asked for in `model_kwargs`; `None` asks for
    the dataset's, and `0` for the unconditional model.
    """
    if num_classes == 0 or num_classes == info.num_classes:
        return
    if num_classes is None and info.num_classes:
        return
    family = registry.get_model_class(config.model).__name__
    if not info.num_classes:
        raise ZooError(
            f"{family} is class-conditional but {config.dataset} has no labels; give the "
            f"folder one subfolder per class, or train unconditionally with "
            f"--model_kwargs=num_classes=0"
        )
    raise ZooError(
        f"model_kwargs num_classes={num_classes} does not match the {info.num_classes} classes "
        f"of {config.dataset}; drop num_classes (or 0 for an unconditional model)"
    )


def compile_model(model, config):
    """Compiles with the family's optimizers and the config's learning rates."""
    d_optimizer, g_optimizer = model.default_optimizers()
    if config.d_learning_rate:
        d_optimizer.learning_rate = config.d_learning_rate
    if config.g_learning_rate:
        g_optimizer.learning_rate = config.g_learning_rate
    if config.lr_decay == "linear":
        d_optimizer = _linearly_decayed(d_optimizer, config.steps * model.d_steps)
        g_optimizer = _linearly_decayed(g_optimizer, config.steps)
    if config.mixed_precision == "float16":
        # float16 gradients underflow without a loss scale; the optimizer
        # lowers it when a step overflows and skips that step.
        d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
        g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
    model.compile(
        d_optimizer=d_optimizer,
        g_optimizer=g_optimizer,
        steps_per_execution=config.steps_per_execution,
    )


def _linearly_decayed(optimizer, updates):
    """A copy of `optimizer` whose learning rate falls linearly to 0 over `updates`.

    The schedule reads the optimizer's own update count, which checkpoints
    restore, so a resumed run continues the same decay. A new optimizer rather
    than a new `learning_rate`: swapping the variable for a schedule breaks the
    optimizer's checkpoint tracking.
    """
    config = optimizer.get_config()
    config["learning_rate"] = keras.optimizers.schedules.PolynomialDecay(
        config["learning_rate"], updates, end_learning_rate=0.0
    )
    return type(optimizer).from_config(config)


def make_checkpoint(model):
    """What a checkpoint holds: the GAN (networks, EMA copy, both optimizers,
    whose step counts key the training noise, `zoo.latents.TrainingNoise`).

    Checkpoints of earlier versions also hold a `seed_state`; restoring
    ignores it.
    """
    return tf.train.Checkpoint(model=model)


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
    _write_text_atomically(directory / "checkpoint", text_format.MessageToString(state))


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


HISTORY_KEY = "history"


def _check_workdir(workdir):
    if workdir.exists() and not workdir.is_dir():
        raise ZooError(
            f"--workdir={workdir} is a file, not a directory; pass a new or existing run directory"
        )


def _read_previous_config(workdir):
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


def _check_resumable(config, workdir, previous):
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
        previous["image_size"] = _native_image_size(previous.get("dataset", config.dataset))
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


def _write_config(config, workdir, previous, changes, step):
    """Writes config.json: the config, and the history of changes at resumes."""
    history = list((previous or {}).get(HISTORY_KEY, []))
    if changes:
        history.append({"step": step, "changed": changes})
    record = {**json.loads(config.to_json()), **({HISTORY_KEY: history} if history else {})}
    _write_text_atomically(workdir / CONFIG_FILE, json.dumps(record, indent=2, sort_keys=True))


def _write_text_atomically(path, text):
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text + "\n")
    os.replace(temporary, path)


def fixed_latents(model, count, seed):
    """The latents of the run's sample grids: `seeded_latents(seed, count)`.

    Each grid of a run with `--seed=S` is then `model.generate(count, seed=S)`
    at its step, the grid that `evaluate.py --seed=S` writes of that model.
    The draw is stateless: it never shifts the training noise.

    Returns:
        numpy float32 `(count, latent_dim)`.
    """
    return latents.seeded_latents(seed, count, model.latent_dim).numpy()


def _save_model_atomically(model, path):
    # Keras insists on the `.keras` suffix, so the temporary keeps it.
    temporary = path.with_name(f"tmp-{path.name}")
    model.save(temporary)
    os.replace(temporary, path)


# ---------------------------------------------------------------- training


def train(config):
    """Trains (or resumes) the run described by `config`.

    Returns:
        dict: the run summary also written to `workdir/train_summary.json`
        (`start_step`, `step`, `seconds`, `images_per_second`, paths).

    Raises:
        ZooError: bad config, data, checkpoint, or diverged (NaN) losses.
        TrainingInterrupted: Ctrl-C; a checkpoint of the step reached was saved.
    """
    return run_training(config)[1]


def run_training(config):
    """`train(config)`, returning `(model, summary)`: the trained model as
    this process holds it (a multi-worker run's worker has no files of its own)."""
    # First: a multi-worker strategy must configure the runtime before it starts.
    strategy = distribute.make_strategy(config.strategy, config.tpu)
    workdir = pathlib.Path(config.workdir)
    _check_workdir(workdir)
    previous = _read_previous_config(workdir)
    changes = _check_resumable(config, workdir, previous)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()

    # The model, its optimizers and every variable are made in the strategy's
    # scope (mirrored), in the run's compute type.
    with strategy.scope(), dtype_policy(config.mixed_precision):
        model, info = _build_for_data(config)
        plan = phase_plan(model, config)
        _check_replicas(config, plan, strategy.num_replicas_in_sync)
        compile_model(model, config)
    # Every worker of a multi-worker run runs all of this; only the chief's
    # files are kept, the others write to a scratch folder deleted at the end.
    chief = distribute.is_chief(strategy)
    output_dir = workdir if chief else workdir / f".worker-{distribute.worker_id(strategy)}"
    output_dir.mkdir(parents=True, exist_ok=True)
    manager = _checkpoint_manager(model, output_dir, config.keep_checkpoints, forget=chief)
    source = manager if chief else _checkpoint_manager(model, workdir, 1, forget=False)
    restored = restore_latest(source.checkpoint, source)
    if not restored and config.init_from:
        initialize_from_preset(model, config.init_from)
        _say(f"starting from the weights of {config.init_from}")
    # Checkpoints hold the optimizers' rates too; the config's (possibly
    # changed on this resume) win.
    apply_learning_rates(model, config)
    start_step = zoo_callbacks.training_step(model)
    _check_start_step(start_step, config)
    _write_config(config, output_dir, previous, changes if restored else {}, start_step)
    _write_text_atomically(output_dir / MODEL_CONFIG_FILE, json.dumps(model.get_config(), indent=2))
    if restored:
        _say(f"resuming from step {start_step} ({restored})")
        for name, (old, new) in sorted(changes.items()):
            _say(f"  {name}: {old!r} -> {new!r}")
    else:
        _say(f"training {config.model} on {config.dataset} {info.sample_shape} in {workdir}")
    _say(f"config: {json.dumps(dataclasses.asdict(config), sort_keys=True)}")

    run = _RunCallbacks(model, config, output_dir, manager)
    started = time.perf_counter()
    earlier_seconds = _previous_seconds(output_dir, restored)
    run.checkpointer.on_save = lambda step: _write_text_atomically(
        output_dir / ELAPSED_FILE,
        json.dumps(
            {"step": step, "total_seconds": earlier_seconds + time.perf_counter() - started}
        ),
    )
    _fit(model, plan, start_step, config, run)
    seconds = time.perf_counter() - started
    step = zoo_callbacks.training_step(model)
    if run.guard.diverged:
        raise _divergence_error(model, run.guard.diverged, manager)
    if run.budget_spent() and step < config.steps:
        _say(f"time budget of {config.max_seconds:g} s spent at step {step}; rerun to continue")
    run.checkpointer.save(step)
    grid_path = run.samples.write(step)
    # model.keras keeps the EMA generator's own batch-norm statistics (already
    # estimated for the grid above at this step, so this costs nothing).
    model.refresh_sampling_statistics()
    _save_model_atomically(model, output_dir / MODEL_FILE)
    summary = {
        "start_step": start_step,
        "step": step,
        "seconds": round(seconds, 2),
        # Over every invocation of the run (each resume adds its own).
        "total_seconds": round(earlier_seconds + seconds, 2),
        "images_per_second": run.logger.median_rate(),
        "samples": str(grid_path),
        "model": str(workdir / MODEL_FILE),
        "replicas": strategy.num_replicas_in_sync,
    }
    _write_text_atomically(output_dir / SUMMARY_FILE, json.dumps(summary, indent=2))
    if not chief:
        shutil.rmtree(output_dir, ignore_errors=True)
    rate = summary["images_per_second"]
    _say(
        f"done: step {step}, {seconds:.0f} s"
        + (f", {rate:.0f} images/s (median over {config.log_every}-step windows)" if rate else "")
        + f"; samples {grid_path}, model {workdir / MODEL_FILE}"
    )
    return model, summary


def _previous_seconds(workdir, restored):
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


def _build_for_data(config):
    """The model of `config` and the `DatasetInfo` it was built for."""
    _, info = data.load_dataset(
        config.dataset, batch_size=config.batch_size, image_size=config.image_size,
        seed=config.seed, data_dir=config.data_dir,
    )  # fmt: skip
    return build_model(config, info), info


@dataclasses.dataclass(frozen=True)
class PlannedPhase:
    """A `TrainingPhase` of the model placed on the run's steps: `[start, end)`."""

    index: int
    phase: object
    start: int
    end: int


def phase_plan(model, config):
    """The model's phases laid over the run's `steps`: its `training_phases` when it
    grows (`capabilities.phases`), else one phase (`zoo.phases.single_phase`).

    The last phase runs until `steps`; a budget that ends earlier cuts the
    plan there (a ProGAN run that stops before its final resolution).

    Raises:
        ZooError: a phase boundary off `steps_per_execution`.
    """
    if model.capabilities.phases:
        phases = model.training_phases(config.batch_size)
    else:
        phases = single_phase(config.batch_size)
    plan, start = [], 0
    for index, phase in enumerate(phases):
        last = index == len(phases) - 1
        end = (
            config.steps if last or phase.steps is None else min(start + phase.steps, config.steps)
        )
        if end <= start:
            break
        if start % config.steps_per_execution:
            raise ZooError(
                f"{config.model}'s phase {phase.name!r} starts at step {start}, not a multiple of "
                f"steps_per_execution={config.steps_per_execution}; use --steps_per_execution=1"
            )
        plan.append(PlannedPhase(index, phase, start, end))
        start = end
    return plan


def _phase_dataset(config, planned, d_steps, skip):
    """The real batches of a phase from its `skip`-th on, at its resolution.

    The data order is a pure function of the seed and the phase; skipping the
    batches already used makes a resumed run see what a straight run would.
    """
    phase = planned.phase
    dataset, info = data.load_dataset(
        config.dataset, batch_size=phase.batch_size * d_steps, image_size=config.image_size,
        seed=config.seed + planned.index, data_dir=config.data_dir,
    )  # fmt: skip
    full_size = info.sample_shape[0] if len(info.sample_shape) == 3 else None
    if phase.image_size is not None and phase.image_size != full_size:
        if full_size is None or full_size % phase.image_size:
            raise ZooError(
                f"{config.model}'s phase {phase.name!r} needs {phase.image_size}x"
                f"{phase.image_size} images, which {config.dataset} at {full_size} does not divide"
            )
        factor = full_size // phase.image_size
        dataset = dataset.map(lambda images, labels: (data.downsample(images, factor), labels))
    # Under tf.distribute each worker keeps its share of every global batch
    # (files cannot be sharded: the datasets are in memory or generated).
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.skip(skip).with_options(options)


def _checkpoint_manager(model, workdir, keep, forget=True):
    directory = workdir / "checkpoints"
    if forget:
        forget_missing_checkpoints(directory)
    return tf.train.CheckpointManager(make_checkpoint(model), str(directory), max_to_keep=keep)


@contextlib.contextmanager
def dtype_policy(mixed_precision):
    """Keras' global dtype policy for `--mixed_precision` while a model is built.

    Layers keep the policy they were made with, so the global one is put
    back afterwards: nothing else in the process computes in half precision.
    """
    if mixed_precision is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(MIXED_PRECISION_POLICIES[mixed_precision])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _check_replicas(config, plan, replicas):
    """Each replica takes an equal share of every batch."""
    for planned in plan:
        batch_size = planned.phase.batch_size
        if batch_size % replicas:
            what = "--batch_size" if len(plan) == 1 else f"phase {planned.phase.name!r}'s batch"
            raise ZooError(
                f"{what} of {batch_size} does not split over {replicas} replicas; use a "
                f"multiple of {replicas}"
            )


def _check_start_step(start_step, config):
    spe = config.steps_per_execution
    if start_step % spe and start_step < config.steps:
        raise ZooError(
            f"the run resumes at step {start_step}, not a multiple of steps_per_execution={spe} "
            f"(Keras runs whole executions); rerun with --steps_per_execution=1 or a divisor of "
            f"{start_step}"
        )


def apply_learning_rates(model, config):
    """Sets the constant learning rates of `config` (or the family's defaults).

    Decayed rates are schedules of the config, rebuilt by `compile_model`; a
    constant rate is a variable that a checkpoint restores, so a resumed run
    with other `--*_learning_rate` flags needs them set again.
    """
    if config.lr_decay != "none":
        return
    d_default, g_default = model.default_optimizers()
    for optimizer, rate, default in (
        (model.d_optimizer, config.d_learning_rate, d_default),
        (model.g_optimizer, config.g_learning_rate, g_default),
    ):
        optimizer.learning_rate = rate or float(default.learning_rate)


def _initial_rate(optimizer):
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's
    rate = optimizer.get_config()["learning_rate"]
    return rate["config"]["initial_learning_rate"] if isinstance(rate, dict) else float(rate)


def _divergence_error(model, diverged, manager):
    """The NaN message, with advice that a rerun can follow to the letter."""
    bad_step, name = diverged
    d_rate, g_rate = _initial_rate(model.d_optimizer), _initial_rate(model.g_optimizer)
    last_good = manager.latest_checkpoint
    then = f"resume from {last_good}" if last_good else "start over (no checkpoint was saved)"
    return ZooError(
        f"{name} became NaN or infinite at step {bad_step}; training stopped. Rerun with lower "
        f"learning rates, e.g. --d_learning_rate={d_rate / 10:.3g} --g_learning_rate="
        f"{g_rate / 10:.3g} (now {d_rate:.3g} and {g_rate:.3g}), to {then}"
    )


class _RunCallbacks:
    """The callbacks of a run, in the order Keras calls them."""

    def __init__(self, model, config, workdir, manager):
        writer = tf.summary.create_file_writer(str(workdir / "logs"))
        examples_per_step = config.batch_size * model.d_steps
        self.guard = zoo_callbacks.NaNGuard(config.checkpoint_every)
        self.logger = zoo_callbacks.ScalarLogger(writer, config.log_every, examples_per_step)
        grid_size = pictures.class_grid_size(config.num_samples, model.num_classes)
        self.samples = zoo_callbacks.SampleGrid(
            workdir / "samples", fixed_latents(model, grid_size, config.seed),
            config.sample_every, writer, config.dataset,
        )  # fmt: skip
        self.checkpointer = zoo_callbacks.Checkpointer(manager, config.checkpoint_every)
        self.all = [self.guard, self.logger, self.samples, self.checkpointer]
        self.budget = None
        if config.max_seconds:
            self.budget = zoo_callbacks.TimeBudget(config.max_seconds)
            self.all.insert(1, self.budget)
        if config.eval_every:
            from zoo import metrics  # Loads TF-GAN's maths; only runs that evaluate pay.

            self.all.insert(1, metrics.MetricsCallback(
                config.eval_every, config.eval_metrics, writer,
                dataset=config.dataset, data_dir=config.data_dir, seed=config.seed,
                history_path=workdir / METRICS_HISTORY_FILE,
            ))  # fmt: skip
        self.interactive = sys.stdout.isatty()
        self.progress = None
        if not self.interactive:
            # Keras prints nothing per step with one epoch and verbose=2: a log
            # file would stay silent until the end.
            self.progress = zoo_callbacks.ProgressLines(
                config.log_every, config.steps, examples_per_step, _say, self.budget
            )
            self.all.append(self.progress)

    def budget_spent(self):
        return self.budget is not None and self.budget.spent

    def enter_phase(self, phase, d_steps):
        """Images/s count the real images of the phase's batches."""
        for callback in (self.logger, self.progress):
            if callback is not None:
                callback.examples_per_step = phase.batch_size * d_steps


def _fit(model, plan, start_step, config, run):
    """Runs the phases of `plan` from `start_step` to `config.steps`.

    Ctrl-C stops training at the end of the running step; a checkpoint of
    that step is saved and `TrainingInterrupted` says where a rerun resumes.
    A second Ctrl-C interrupts at once.
    """
    if start_step >= config.steps:
        _say(f"already at step {start_step} >= --steps={config.steps}; nothing to train")
        return
    with _stop_on_ctrl_c(model) as interrupted:
        for planned in plan:
            if planned.end <= start_step:
                continue
            first = max(planned.start, start_step)
            dataset = _phase_dataset(config, planned, model.d_steps, first - planned.start)
            if model.capabilities.phases:
                model.enter_phase(planned.phase)
            run.enter_phase(planned.phase, model.d_steps)
            if len(plan) > 1:
                _say(f"phase {planned.phase.name}: steps {first} to {planned.end}")
            model.fit(
                dataset,
                steps_per_epoch=planned.end - first,
                epochs=1,
                shuffle=False,  # the pipeline shuffles
                verbose=1 if run.interactive else 0,
                callbacks=run.all,
            )
            if run.guard.diverged or interrupted or run.budget_spent():
                break
    if interrupted and not run.guard.diverged:
        step = zoo_callbacks.training_step(model)
        if step > start_step and zoo_callbacks.weights_are_finite(model):
            run.checkpointer.save(step)
        resume = run.checkpointer.manager.latest_checkpoint
        where = f"step {step} ({resume})" if resume else "the start (nothing was saved)"
        raise TrainingInterrupted(
            f"interrupted at step {step}; rerun the same command to resume from {where}"
        )


@contextlib.contextmanager
def _stop_on_ctrl_c(model):
    """Turns the first SIGINT into `model.stop_training`, which Keras checks after each step.

    Yields a list that holds the signal once it came. A KeyboardInterrupt
    raised inside TensorFlow's or Keras' machinery could leave it anywhere;
    a step boundary is a state a checkpoint can hold.
    """
    interrupted = []
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return

    def stop(signum, frame):
        interrupted.append(signum)
        model.stop_training = True
        signal.signal(signal.SIGINT, previous)  # a second Ctrl-C stops at once

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------------- loading


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
