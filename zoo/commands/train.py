"""Trains a GAN of the zoo; rerunning the same command resumes it.

    python train.py                       # DCGAN on Fashion-MNIST 32x32, 3000 steps, runs/dcgan
    python train.py --model=wgan_gp       # -> runs/wgan_gp
    python train.py --model=vanilla_gan --dataset=ring8 --steps=5000 --workdir=runs/ring8

Model hyperparameters are the constructor's (see `--helpfull` for the model
list); override any with `--model_kwargs=name=value,...`.
"""

from zoo.commands import cli

cli.import_tensorflow_quietly()

from absl import flags  # noqa: E402

import zoo  # noqa: E402  (registers the families)
from zoo import training  # noqa: E402
from zoo.core import distribute  # noqa: E402

_DEFAULTS = training.TrainConfig()

flags.DEFINE_enum("model", _DEFAULTS.model, zoo.list_models(), "Which GAN to train.")
flags.DEFINE_string(
    "dataset", _DEFAULTS.dataset,
    "fashion_mnist, ring8, grid25, tfds:<name> (prepared TFDS dataset) or folder:<path>.",
)  # fmt: skip
flags.DEFINE_string(
    "workdir", None, "Run directory (default: runs/<model>); rerunning resumes from it."
)
flags.DEFINE_integer("steps", _DEFAULTS.steps, "Total generator steps of the run.", lower_bound=1)
flags.DEFINE_float(
    "max_seconds", None, "Wall-clock budget of this invocation; rerun to continue.", lower_bound=0
)
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "Real examples per D step.", lower_bound=1)
flags.DEFINE_integer(
    "image_size", None, "Image side (fashion_mnist: 28 or 32, default 32; folders/TFDS: 64).",
    lower_bound=1,
)  # fmt: skip
flags.DEFINE_integer("seed", _DEFAULTS.seed, "Seed of weights, data order and noise.")
flags.DEFINE_string(
    "model_kwargs", "",
    "Model constructor overrides: key=value,... (Python literals) or a JSON object, "
    "e.g. loss=minimax,d_steps=2.",
)  # fmt: skip
flags.DEFINE_float("d_learning_rate", None, "Discriminator learning rate (default: the model's).")
flags.DEFINE_float("g_learning_rate", None, "Generator learning rate (default: the model's).")
flags.DEFINE_enum(
    "lr_decay",
    _DEFAULTS.lr_decay,
    training.LR_DECAYS,
    "linear: both learning rates fall linearly to 0 at --steps.",
)
flags.DEFINE_string("data_dir", None, "Fashion-MNIST IDX folder, or TFDS data dir.")
flags.DEFINE_string(
    "augment",
    _DEFAULTS.augment,
    "What the discriminator sees in training goes through: none, "
    "diffaugment (color, translation and cutout), diffaugment:POLICY,... (a subset), or ada "
    "(StyleGAN2-ADA's adaptive pipeline; ada:target=T,speed=IMAGES change its overfitting "
    "target, 0.6, and the images p takes to go from 0 to 1, 500000).",
)
flags.DEFINE_integer(
    "train_images", None, "Train on this many images of the train split, the same ones for the "
    "same --seed (a small-data experiment); default: all.", lower_bound=1,
)  # fmt: skip
flags.DEFINE_integer(
    "sample_every", _DEFAULTS.sample_every, "Steps between sample PNGs.", lower_bound=1
)
flags.DEFINE_integer(
    "checkpoint_every", _DEFAULTS.checkpoint_every, "Steps between checkpoints.", lower_bound=1
)
flags.DEFINE_integer(
    "log_every", _DEFAULTS.log_every, "Steps between TensorBoard scalars.", lower_bound=1
)
flags.DEFINE_integer(
    "eval_every", None, "Steps between FID/IS/KID evaluations logged to TensorBoard.",
    lower_bound=1,
)  # fmt: skip
flags.DEFINE_string(
    "metrics", _DEFAULTS.eval_metrics, "Metrics of --eval_every (evaluate.py's protocol names)."
)
flags.DEFINE_alias("eval_metrics", "metrics")
flags.DEFINE_integer(
    "steps_per_execution", _DEFAULTS.steps_per_execution,
    "Steps per graph call; >1 speeds up tiny models (intervals must be multiples).",
    lower_bound=1,
)  # fmt: skip
flags.DEFINE_integer(
    "keep_checkpoints", _DEFAULTS.keep_checkpoints, "Checkpoints kept.", lower_bound=1
)
flags.DEFINE_enum(
    "strategy", _DEFAULTS.strategy, distribute.STRATEGIES,
    "tf.distribute strategy: mirrored (local GPUs), multi_worker (TF_CONFIG cluster) or tpu; "
    "--batch_size is the global batch.",
)  # fmt: skip
flags.DEFINE_string("tpu", None, "TPU name or grpc:// address for --strategy=tpu.")
flags.DEFINE_enum(
    "mixed_precision", "auto", ["auto", "float32", *training.MIXED_PRECISION_POLICIES],
    "Compute in half precision (weights, losses and outputs stay float32). auto: bfloat16 for "
    "the families that measured no worse in it, on hardware with native bfloat16 (CPUs with "
    "AVX512_BF16 or AMX, GPUs from compute capability 8.0, TPUs), else float32; a resumed run "
    "keeps its precision. The run prints and records the choice.",
)  # fmt: skip
flags.DEFINE_bool(
    "deterministic", _DEFAULTS.deterministic,
    "Op determinism: the same command gives bit-identical weights (slower).",
)  # fmt: skip

flags.DEFINE_string(
    "init_from", None,
    "Start from the weights of a catalogue name or preset folder (fine-tuning); the model "
    "takes its constructor arguments.",
)  # fmt: skip

FLAGS = flags.FLAGS


def _model_name():
    """--model, or the family of --init_from's preset when --model is not given."""
    if FLAGS.init_from and not FLAGS["model"].present:
        from zoo.loading import pretrained

        return pretrained.card(FLAGS.init_from).get("family") or FLAGS.model
    return FLAGS.model


def main():
    config = training.TrainConfig(
        model=_model_name(),
        dataset=FLAGS.dataset,
        workdir=FLAGS.workdir,
        steps=FLAGS.steps,
        max_seconds=FLAGS.max_seconds,
        batch_size=FLAGS.batch_size,
        image_size=FLAGS.image_size,
        seed=FLAGS.seed,
        model_kwargs=cli.parse_kwargs(FLAGS.model_kwargs),
        d_learning_rate=FLAGS.d_learning_rate,
        g_learning_rate=FLAGS.g_learning_rate,
        lr_decay=FLAGS.lr_decay,
        data_dir=FLAGS.data_dir,
        sample_every=FLAGS.sample_every,
        checkpoint_every=FLAGS.checkpoint_every,
        log_every=FLAGS.log_every,
        keep_checkpoints=FLAGS.keep_checkpoints,
        eval_every=FLAGS.eval_every,
        eval_metrics=FLAGS.metrics,
        steps_per_execution=FLAGS.steps_per_execution,
        strategy=FLAGS.strategy,
        tpu=FLAGS.tpu,
        mixed_precision=None if FLAGS.mixed_precision == "float32" else FLAGS.mixed_precision,
        deterministic=FLAGS.deterministic,
        init_from=FLAGS.init_from,
        train_images=FLAGS.train_images,
        augment=FLAGS.augment,
    )
    training.train(config)


def run():
    """The entry point: parses the flags and runs `main`, errors in one line."""
    cli.run(main, usage=__doc__)


if __name__ == "__main__":
    run()
