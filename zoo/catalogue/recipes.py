"""How each catalogue entry is trained: one `train.py` command per entry.

`make pretrained` (scripts/train_pretrained.py) runs these commands one at a
time; the model card of each entry records its command word for word.

Budgets are counted in images seen, not in seconds, so that a run slowed by
other work on the machine still gets its fair share: at most two hours of the
family's `make bench` throughput on 2 CPU cores (bfloat16's where the family
trains in it), `steps = seconds * images/s / (batch * d_steps)`, rounded to
the evaluation interval. Entries with a shorter budget say why in their notes.

This module imports nothing heavy: the listing command reads it without
TensorFlow.
"""

import dataclasses
import shlex

# Seconds of the family's measured throughput that an image entry's budget buys
# unless its recipe asks for fewer.
BUDGET_SECONDS = 7200
RUNS_DIR = "runs/pretrained"


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One entry's training run.

    Attributes:
        name: catalogue name, `<model>_<dataset>[_<size>]`.
        model: registered model name.
        dataset: dataset spec (`zoo.data`).
        steps: generator steps of the run.
        flags: the other `train.py` flags, in the order the command shows them.
        images_per_second: the `make bench` throughput the budget was counted
            at (`None` for the 2-D entries, whose budget is a fixed step count).
        budget_seconds: seconds of that throughput the budget buys.
        d_steps: the family's critic steps per generator step, whose real
            images the budget counts too.
        model_kwargs: constructor overrides (`--model_kwargs`).
        eval_every: steps between learning-curve evaluations (`--eval_every`).
        notes: why the recipe differs from the family's defaults.
    """

    name: str
    model: str
    dataset: str
    steps: int
    flags: dict = dataclasses.field(default_factory=dict)
    images_per_second: float | None = None
    budget_seconds: int | None = None
    d_steps: int = 1
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    eval_every: int | None = None
    notes: str = ""

    @property
    def workdir(self):
        return f"{RUNS_DIR}/{self.name}"

    def train_args(self):
        """`train.py`'s arguments for this run, the same on every rerun (it resumes)."""
        args = [f"--model={self.model}", f"--dataset={self.dataset}", f"--steps={self.steps}"]
        args += [f"--{key}={value}" for key, value in self.flags.items()]
        if self.model_kwargs:
            args.append(
                "--model_kwargs="
                + ",".join(f"{k}={_literal(v)}" for k, v in self.model_kwargs.items())
            )
        if self.eval_every:
            args.append(f"--eval_every={self.eval_every}")
        args.append(f"--workdir={self.workdir}")
        return args

    def command(self):
        """The command line a card records: `python train.py ...`."""
        return shlex.join(["python", "train.py", *self.train_args()])


def _literal(value):
    """A `--model_kwargs` value as `zoo.commands.cli.parse_kwargs` reads it: bare words for
    strings, Python literals without spaces otherwise."""
    return value if isinstance(value, str) else repr(value).replace(" ", "")


def _image_recipe(name, model, images_per_second, batch_size=64, d_steps=1, eval_every=2000,
                  budget_seconds=BUDGET_SECONDS, **kwargs):  # fmt: skip
    """An image entry whose steps are its image budget: `budget_seconds` of the
    family's bench throughput."""
    images = budget_seconds * images_per_second
    steps = max(eval_every, round(images / (batch_size * d_steps) / eval_every) * eval_every)
    flags = {"batch_size": batch_size, "seed": 0, "checkpoint_every": 1000,
             "sample_every": eval_every, "keep_checkpoints": 2}  # fmt: skip
    flags.update(kwargs.pop("flags", {}))
    return Recipe(
        name=name, model=model, dataset="fashion_mnist", steps=steps, flags=flags,
        images_per_second=images_per_second, budget_seconds=budget_seconds, d_steps=d_steps,
        eval_every=eval_every, **kwargs,
    )  # fmt: skip


def _mixture_recipe(dataset):
    """The mode benchmark's best configuration (bench/results/modes.md): the
    published small MLPs, equal learning rates, EMA and a linear decay over
    twice the published steps; all modes in every seed."""
    return Recipe(
        name=f"vanilla_gan_{dataset}", model="vanilla_gan", dataset=dataset, steps=50_000,
        flags={"batch_size": 512, "seed": 0, "d_learning_rate": 1e-3, "g_learning_rate": 1e-3,
               "lr_decay": "linear", "steps_per_execution": 25, "sample_every": 5000,
               "checkpoint_every": 5000},
        model_kwargs={"latent_dim": 256, "hidden_dims": (128, 128), "activation": "tanh",
                      "ema_decay": 0.999},
        notes="bench-modes' best row: 8/8 ring8 and 25/25 grid25 modes over 5 seeds",
    )  # fmt: skip


RECIPES = {
    recipe.name: recipe
    for recipe in (
        _mixture_recipe("ring8"),
        _mixture_recipe("grid25"),
        _image_recipe(
            "vanilla_gan_fashion_mnist",
            "vanilla_gan",
            images_per_second=3490,
            budget_seconds=1200,
            eval_every=5000,
            flags={
                "mixed_precision": "float32",
                "lr_decay": "linear",
                "steps_per_execution": 25,
                "checkpoint_every": 10_000,
            },
            model_kwargs={"ema_decay": 0.9999},
            notes="20 minutes of its throughput, not two hours, so that the three last entries "
            "trained in one three-hour sitting on 2 cores; float32 (bfloat16 is 1.08x faster for "
            "its dense layers, too little to risk the quality); 25 steps per call, since its step "
            "is short enough for the Python between steps to cost a quarter of the time; "
            "DCGAN's EMA horizon and linear decay",
        ),  # fmt: skip
        _image_recipe(
            "dcgan_fashion_mnist",
            "dcgan",
            images_per_second=535,
            flags={"mixed_precision": "bfloat16", "lr_decay": "linear"},
            model_kwargs={"ema_decay": 0.9999},
            notes="bfloat16 (1.32x, fid10k at equal steps 2.87 vs 2.75); an EMA generator "
            "and learning rates falling linearly to 0, which a 20-minute run leaves out",
        ),  # fmt: skip
        _image_recipe(
            "wgan_gp_fashion_mnist",
            "wgan_gp",
            images_per_second=550,
            budget_seconds=1200,
            d_steps=5,
            eval_every=500,
            flags={"mixed_precision": "auto"},
            model_kwargs={"ema_decay": 0.999},
            notes="20 minutes of its bfloat16 throughput, not two hours: the machine it "
            "trained on has no native bfloat16, so it trains in float32 there, at a third of "
            "the bench machine's rate (125 against 370 images/s), and this budget is what "
            "one three-hour sitting there allowed; precision auto: bfloat16 where the "
            "machine computes it natively (fid10k at equal steps 18.83 vs float32's 18.34, "
            "within the 0.30 two float32 runs differ by), float32 elsewhere, since emulated "
            "bfloat16 trained it 9x slower than float32; an EMA generator (0.999, whose "
            "warm-up keeps its horizon near a ninth of the steps run); a constant learning "
            "rate: a first run that decayed it linearly over 2,000 steps scored fid10k 20.37 "
            "(24.46 at 1,000 steps) where make bench-quality's constant rate gave 18.04 "
            "after 1,259",
        ),  # fmt: skip
        _image_recipe(
            "progan_fashion_mnist",
            "progan",
            images_per_second=296,
            budget_seconds=1800,
            eval_every=1000,
            flags={"mixed_precision": "float32"},
            model_kwargs={
                "images_per_phase": 40_000,
                "fused_upsampling": True,
                "fused_downsampling": True,
                "ema_decay": 0.999,
            },
            notes="30 minutes of its throughput, not two hours, so that the three last entries "
            "trained in one three-hour sitting on 2 cores; the rate is make bench's 238 images/s "
            "times the 1.25x the fused resampling gains at 32x32; the configuration that won the "
            "equal-time A/Bs (NVIDIA's fused resampling, 40,000 images a phase, so that 32x32 is "
            "faded in after 240,000 images; bench/results/variants_progan.md) at about its "
            "steps; a constant learning rate, as in the A/B: a first recipe that decayed it "
            "linearly over the whole run, with 60,000-image phases, scored fid10k 18.07 after "
            "12,000 steps (the decay leaves the last resolution's new layers about half the "
            "rate, the likelier cause; not isolated); float32 (bfloat16 is not yet "
            "compared at equal steps for ProGAN); the official EMA horizon",
        ),  # fmt: skip
        _image_recipe(
            "sagan_fashion_mnist",
            "sagan",
            images_per_second=668,
            flags={"mixed_precision": "float32", "lr_decay": "linear"},
            model_kwargs={"ema_decay": 0.9999},
            notes="float32 (bfloat16 scored fid10k 3.17 vs 2.90 at equal steps, "
            "bench/results/precision.md); DCGAN's EMA horizon and linear decay",
        ),  # fmt: skip
        _image_recipe(
            "stylegan_fashion_mnist",
            "stylegan",
            images_per_second=301,
            flags={"mixed_precision": "bfloat16", "lr_decay": "linear"},
            model_kwargs={"ema_decay": 0.9995},
            notes="bfloat16 (1.32x; fid10k at equal steps 11.72 vs 11.57, within the 0.46 two "
            "float32 runs of it differ by); the zoo's StyleGAN2, which beat NVIDIA's filtered "
            "resampling, its wider maps and one noise strength per layer at equal time "
            "(bench/results/variants_stylegan.md); an EMA half-life of about 1,400 steps, near "
            "what stylegan2-ada's CIFAR-10 setting (500k images, ramped up over the first 5% of "
            "the images seen) gives at two million images; learning rates falling linearly to 0",
        ),  # fmt: skip
    )
}
