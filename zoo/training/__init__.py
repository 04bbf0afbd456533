"""Training: the library behind `train.py`, in three rooms.

- `zoo.training.config`: the run's `TrainConfig` (validation, precision,
  strategy) and how it compiles a model;
- `zoo.training.workdir`: the run's directory (file names, config history,
  resumability checks, checkpoints);
- `zoo.training.loop`: `train(config)`, the phase plan, the callbacks, the fit.
"""

from zoo.training.config import (
    LR_DECAYS,
    MIXED_PRECISION_POLICIES,
    TRAINING_IMAGE_SIZES,
    TrainConfig,
    apply_learning_rates,
    compile_model,
    dtype_policy,
    resolve_precision,
)
from zoo.training.loop import (
    PlannedPhase,
    RunCallbacks,
    build_model,
    fixed_latents,
    initialize_from_preset,
    phase_plan,
    run_training,
    train,
)
from zoo.training.workdir import (
    CONFIG_FILE,
    ELAPSED_FILE,
    METRICS_HISTORY_FILE,
    MODEL_CONFIG_FILE,
    MODEL_FILE,
    RESUMABLE_CHANGES,
    SUMMARY_FILE,
    forget_missing_checkpoints,
    make_checkpoint,
    read_config,
    restore_latest,
)

__all__ = [
    "CONFIG_FILE", "ELAPSED_FILE", "LR_DECAYS", "METRICS_HISTORY_FILE", "MIXED_PRECISION_POLICIES",
    "MODEL_CONFIG_FILE", "MODEL_FILE", "PlannedPhase", "RESUMABLE_CHANGES", "RunCallbacks",
    "SUMMARY_FILE", "TRAINING_IMAGE_SIZES", "TrainConfig", "apply_learning_rates", "build_model",
    "compile_model", "dtype_policy", "fixed_latents", "forget_missing_checkpoints",
    "initialize_from_preset", "make_checkpoint", "phase_plan", "read_config", "restore_latest",
    "resolve_precision", "run_training", "train",
]  # fmt: skip
