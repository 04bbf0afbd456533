"""The training loop: builds the run's model, lays its phases over the steps, fits.

`train(config)` is what `train.py` runs: it reads and writes the run's
directory (`zoo.training.workdir`), builds the model of the config
(`zoo.training.config`) in the strategy's scope, and fits it phase by phase
with the run's callbacks; Ctrl-C, a time budget and a diverged loss each stop
it at a step a checkpoint can hold.
"""

import contextlib
import dataclasses
import json
import pathlib
import shutil
import signal
import sys
import threading
import time

import keras
import tensorflow as tf

from zoo import data
from zoo.core import distribute, latents, registry
from zoo.core.errors import TrainingInterrupted, ZooError
from zoo.core.files import save_model_atomically, write_json_atomically
from zoo.core.phases import single_phase
from zoo.drawing import pictures
from zoo.training import callbacks as zoo_callbacks
from zoo.training import workdir as run_files
from zoo.training.config import (
    apply_learning_rates,
    compile_model,
    divergence_error,
    dtype_policy,
    emulated_bfloat16_warning,
    resolve_precision,
)


def _say(message):
    print(message, flush=True)


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
    from zoo.loading import presets, pretrained  # The catalogue loads models through this module.

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
    from zoo.loading import pretrained

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


def fixed_latents(model, count, seed):
    """The latents of the run's sample grids: `seeded_latents(seed, count)`.

    Each grid of a run with `--seed=S` is then `model.generate(count, seed=S)`
    at its step, the grid that `evaluate.py --seed=S` writes of that model.
    The draw is stateless: it never shifts the training noise.

    Returns:
        numpy float32 `(count, latent_dim)`.
    """
    return latents.seeded_latents(seed, count, model.latent_dim).numpy()


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
    run_files.check_workdir(workdir)
    previous = run_files.read_previous_config(workdir)
    config, precision_choice = resolve_precision(config, previous)
    for line in (precision_choice, emulated_bfloat16_warning(config)):
        if line:
            _say(line)
    changes = run_files.check_resumable(config, workdir, previous)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    model, info, plan = _build_in_scope(config, strategy)
    # Every worker of a multi-worker run runs all of this; only the chief's
    # files are kept, the others write to a scratch folder deleted at the end.
    chief = distribute.is_chief(strategy)
    output_dir = workdir if chief else workdir / f".worker-{distribute.worker_id(strategy)}"
    run_files.make_workdir(output_dir)
    manager, restored = _restore(model, config, workdir, output_dir, chief)
    start_step = zoo_callbacks.training_step(model)
    _check_start_step(start_step, config)
    run_files.write_config(config, output_dir, previous, changes if restored else {}, start_step)
    write_json_atomically(output_dir / run_files.MODEL_CONFIG_FILE, model.get_config(), indent=2)
    _announce(config, info, restored, changes, start_step)

    run = RunCallbacks(model, config, output_dir, manager)
    started = time.perf_counter()
    earlier_seconds = run_files.previous_seconds(output_dir, restored)
    run.checkpointer.on_save = lambda step: write_json_atomically(
        output_dir / run_files.ELAPSED_FILE,
        {"step": step, "total_seconds": earlier_seconds + time.perf_counter() - started},
    )
    _fit(model, plan, start_step, config, run)
    seconds = time.perf_counter() - started
    summary = _finish(model, config, run, output_dir, start_step, seconds, earlier_seconds)
    summary["replicas"] = strategy.num_replicas_in_sync
    write_json_atomically(output_dir / run_files.SUMMARY_FILE, summary, indent=2)
    if not chief:
        shutil.rmtree(output_dir, ignore_errors=True)
    return model, summary


def _build_in_scope(config, strategy):
    """The model, its dataset's info and its phase plan, compiled: the model, its
    optimizers and every variable made in the strategy's scope (mirrored), in the
    run's compute type."""
    with strategy.scope(), dtype_policy(config.mixed_precision):
        model, info = _build_for_data(config)
        plan = phase_plan(model, config)
        _check_replicas(config, plan, strategy.num_replicas_in_sync)
        compile_model(model, config)
    return model, info, plan


def _restore(model, config, workdir, output_dir, chief):
    """`(checkpoint manager, restored checkpoint path or None)`; a new run starts from
    `config.init_from`'s weights when it names a preset."""
    manager = run_files.checkpoint_manager(model, output_dir, config.keep_checkpoints, chief)
    source = manager if chief else run_files.checkpoint_manager(model, workdir, 1, forget=False)
    restored = run_files.restore_latest(source.checkpoint, source)
    if not restored and config.init_from:
        initialize_from_preset(model, config.init_from)
        _say(f"starting from the weights of {config.init_from}")
    # Checkpoints hold the optimizers' rates too; the config's (possibly
    # changed on this resume) win.
    apply_learning_rates(model, config)
    return manager, restored


def _announce(config, info, restored, changes, start_step):
    if restored:
        _say(f"resuming from step {start_step} ({restored})")
        for name, (old, new) in sorted(changes.items()):
            _say(f"  {name}: {old!r} -> {new!r}")
    else:
        _say(f"training {config.model} on {config.dataset} {info.sample_shape} in {config.workdir}")
    _say(f"config: {json.dumps(dataclasses.asdict(config), sort_keys=True)}")


def _finish(model, config, run, output_dir, start_step, seconds, earlier_seconds):
    """After the fit: the last checkpoint, grid and `model.keras`; returns the summary."""
    step = zoo_callbacks.training_step(model)
    if run.guard.diverged:
        raise divergence_error(model, run.guard.diverged, run.checkpointer.manager)
    if run.budget_spent() and step < config.steps:
        _say(f"time budget of {config.max_seconds:g} s spent at step {step}; rerun to continue")
    run.checkpointer.save(step)
    grid_path = run.samples.write(step)
    # model.keras keeps the EMA generator's own batch-norm statistics (already
    # estimated for the grid above at this step, so this costs nothing).
    model.refresh_sampling_statistics()
    workdir = pathlib.Path(config.workdir)
    save_model_atomically(model, output_dir / run_files.MODEL_FILE)
    rate = run.logger.median_rate()
    _say(
        f"done: step {step}, {seconds:.0f} s"
        + (f", {rate:.0f} images/s (median over {config.log_every}-step windows)" if rate else "")
        + f"; samples {grid_path}, model {workdir / run_files.MODEL_FILE}"
    )
    return {
        "start_step": start_step,
        "step": step,
        "seconds": round(seconds, 2),
        # Over every invocation of the run (each resume adds its own).
        "total_seconds": round(earlier_seconds + seconds, 2),
        "images_per_second": rate,
        "samples": str(grid_path),
        "model": str(workdir / run_files.MODEL_FILE),
    }


def _build_for_data(config):
    """The model of `config` and the `DatasetInfo` it was built for."""
    _, info = data.load_dataset(
        config.dataset, batch_size=config.batch_size, image_size=config.image_size,
        seed=config.seed, data_dir=config.data_dir, train_images=config.train_images,
        subset_seed=config.seed,
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
    grows (`capabilities.phases`), else one phase (`zoo.core.phases.single_phase`).

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
        train_images=config.train_images, subset_seed=config.seed,
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


class RunCallbacks:
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
                history_path=workdir / run_files.METRICS_HISTORY_FILE,
            ))  # fmt: skip
        # Keras' own bar counts each phase's steps from 0, and prints nothing per
        # step to a log file: the run's bar on a terminal, lines in a log.
        if sys.stdout.isatty():
            self.progress = zoo_callbacks.ProgressBar(config.steps, examples_per_step, self.budget)
        else:
            self.progress = zoo_callbacks.ProgressLines(
                config.log_every, config.steps, examples_per_step, _say, self.budget
            )
        self.all.append(self.progress)
        # `fit` hands them the model; a rerun of a finished run never calls it,
        # yet still writes its last grid.
        for callback in self.all:
            callback.set_model(model)

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
                model.enter_phase(planned.phase, begins=first == planned.start)
            run.enter_phase(planned.phase, model.d_steps)
            if len(plan) > 1:
                _say(f"phase {planned.phase.name}: steps {first} to {planned.end}")
            try:
                model.fit(
                    dataset,
                    steps_per_epoch=planned.end - first,
                    epochs=1,
                    shuffle=False,  # the pipeline shuffles
                    verbose=0,
                    callbacks=run.all,
                )
            except tf.errors.ResourceExhaustedError:
                # The last checkpoint is untouched: a rerun with a smaller batch
                # is refused as a changed setting, so say how to start afresh.
                raise ZooError(
                    f"out of memory at --batch_size={planned.phase.batch_size}: lower "
                    f"--batch_size (in a new --workdir), or --model_kwargs widths"
                ) from None
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
