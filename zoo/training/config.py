"""A training run's config: `TrainConfig`, its validation, and the compute precision.

`TrainConfig` is everything that defines a run; `zoo.training.workdir` writes
it to `config.json` and refuses to resume a workdir that holds another one.
"""

import contextlib
import dataclasses
import json
import pathlib

import keras

from zoo import data
from zoo.core import augment as augment_pipelines
from zoo.core import distribute
from zoo.core.errors import ZooError

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
        strategy: `tf.distribute` strategy (`zoo.core.distribute.STRATEGIES`):
            `"default"` (one device), `"mirrored"` (the local GPUs),
            `"multi_worker"` (the `TF_CONFIG` cluster) or `"tpu"`.
            `batch_size` is the global batch, split over the replicas. A run
            may resume under another strategy (train on 2 GPUs, resume on 1).
        tpu: the TPU's name or address with `strategy="tpu"`.
        mixed_precision: `None` (float32), `"bfloat16"` or `"float16"`: the
            networks compute in that type, their weights, losses and outputs
            stay float32; float16 adds loss scaling to both optimizers.
            `"auto"` (`train.py`'s default) is resolved when the run starts
            (`resolve_precision`) and config.json records the choice.
        deterministic: TensorFlow's op determinism: the same config gives
            bit-identical weights, at some cost in speed.
        init_from: a catalogue name or preset folder (`zoo.load`) whose
            weights a new run starts from (fine-tuning); the model takes the
            preset's constructor arguments, which `model_kwargs` may
            override. `None` starts from random weights.
        train_images: train on this many examples of the train split, the
            same ones for the same `seed` (`zoo.data.subset`): a small-data
            experiment. `None` trains on all of it.
        augment: what every image the discriminator sees in training goes
            through (`zoo.core.augment`): `"none"`, `"diffaugment"` (all three
            policies), `"diffaugment:color,translation,cutout"` (a subset) or
            `"ada"` (`zoo.core.ada`; `"ada:target=0.6"` sets its target).
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
    train_images: int | None = None
    augment: str = "none"

    def __post_init__(self):
        self._resolve_defaults()
        if augment_pipelines.from_spec(self.augment) and self.dataset in data.MIXTURE_STDDEV:
            raise ZooError(f"{self.dataset} is 2-D points: augmentation is for images")
        if self.train_images is not None:
            if not isinstance(self.train_images, int) or self.train_images < 1:
                raise ZooError(
                    f"train_images must be a positive integer, got {self.train_images!r}"
                )
            if self.dataset in data.MIXTURE_STDDEV:
                raise ZooError(f"{self.dataset} is an endless stream of points: drop train_images")
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
        distribute.check_strategy(self.strategy, self.tpu)
        if self.mixed_precision not in (None, AUTO, *MIXED_PRECISION_POLICIES):
            raise ZooError(
                f"mixed_precision must be one of {AUTO}, {', '.join(MIXED_PRECISION_POLICIES)} "
                f"or None (float32), got {self.mixed_precision!r}"
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


# `mixed_precision="auto"`: bfloat16 for the families whose bfloat16 run scored
# no worse than float32 at equal steps (bench/results/precision.md), on hardware
# that computes it natively; float32 elsewhere.
AUTO = "auto"
# SAGAN measured worse (fid10k 3.17 vs 2.90); WGAN-GP's 18.83 vs 18.34 is within the
# 0.30 that two float32 runs of it differ by, StyleGAN2's 11.72 vs 11.57 within its 0.46
# (docs/training.md#mixed-precision).
BFLOAT16_FAMILIES = ("dcgan", "wgan_gp", "stylegan")
# CPU instruction sets with native bfloat16 arithmetic (/proc/cpuinfo's names).
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def resolve_precision(config, previous=None):
    """`config` with `mixed_precision="auto"` made concrete, and a line saying why.

    A resumed run keeps the precision it started with; a new one takes
    bfloat16 for `BFLOAT16_FAMILIES` where `native_bfloat16()`, float32
    otherwise.

    Args:
        config: a `TrainConfig`.
        previous: the workdir's config.json as a dict, `None` for a new run.

    Returns:
        `(config, line)`; `line` is `None` when nothing was "auto".
    """
    if config.mixed_precision != AUTO:
        return config, None
    if previous is not None:
        chosen = previous.get("mixed_precision")
        why = "as the run started"
    elif config.model not in BFLOAT16_FAMILIES:
        chosen, why = None, f"{config.model} has no bfloat16 measurement that says no worse"
    elif native_bfloat16(config.strategy):
        chosen, why = "bfloat16", "this machine computes bfloat16 natively"
    else:
        chosen, why = None, "this machine has no native bfloat16"
    line = f"mixed precision auto: {chosen or 'float32'} ({why})"
    return dataclasses.replace(config, mixed_precision=chosen), line


def emulated_bfloat16_warning(config):
    """A line warning that `config` computes in bfloat16 where the machine only
    emulates it, `None` otherwise.

    A recipe or a resumed run can ask for bfloat16 on a machine without it: on
    a CPU without AVX512_BF16 or AMX, WGAN-GP's bfloat16 step took 9x as long as
    its float32 one, so a run the user expects to take two hours takes most of a day.
    """
    if config.mixed_precision != "bfloat16" or native_bfloat16(config.strategy):
        return None
    return (
        "warning: this machine has no native bfloat16 (AVX512_BF16, AMX, GPUs from compute "
        "capability 8.0, TPUs) and emulates it, several times slower than float32; for a "
        "new run, pass --mixed_precision=auto or float32"
    )


def native_bfloat16(strategy="default"):
    """Whether this machine computes bfloat16 natively: a TPU, GPUs of compute
    capability 8.0 or above, or a CPU with AVX512_BF16 or AMX."""
    if strategy == "tpu":
        return True
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = [tf.config.experimental.get_device_details(gpu) for gpu in gpus]
        return all(d.get("compute_capability", (0, 0)) >= (8, 0) for d in details)
    return bool(set(BFLOAT16_CPU_FLAGS) & cpu_flags())


def cpu_flags():
    """The CPU's instruction-set flags (`/proc/cpuinfo`); empty where unknown."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def native_image_size(dataset):
    """What `image_size=None` meant before training defaults: the dataset's own size."""
    if dataset in data.MIXTURE_STDDEV:
        return None
    return 28 if dataset == "fashion_mnist" else data.DEFAULT_IMAGE_SIZE


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
        augment=config.augment,
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


def divergence_error(model, diverged, manager):
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
