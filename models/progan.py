"""ProGAN: Karras et al. 2018, progressive growing of GANs.

Both networks start at 4x4 and double the resolution stage by stage. A new
stage is faded in: during its transition phase the new block's output is
blended with the previous stage's output, upsampled (generator) or fed the
downsampled image (discriminator), with a weight alpha rising linearly from 0
to 1 over `images_per_phase` images; a stable phase at the new resolution
follows. The real images are downsampled to the current resolution and blended
the same way.

Every block of the final resolution exists from the start, so checkpoints
always hold the same variables and the optimizers carry their state across
growth. The stage a step trains is static (the resolution of its real batch),
so `train_step` is traced once per stage; alpha is a function of the step
(`schedule_at`), and the generator keeps both in non-trainable variables that
its EMA copy follows, so samples and exports use the stage reached.
"""

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.core import distribute, losses
from zoo.core.errors import ZooError
from zoo.core.optimizers import RestartableAdam
from zoo.core.phases import TrainingPhase

from . import arguments
from .base import GAN, register_family, to_float32
from .layers import (
    Downsample2D,
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    PixelNormalization,
    Upsample2D,
    max_leaky_relu,
)

START_RESOLUTION = 4


def num_stages_for(resolution):
    """Stages needed to grow from 4x4 to `resolution` (4 -> 1, 8 -> 2, 32 -> 4)."""
    stages = math.log2(resolution / START_RESOLUTION) + 1 if resolution >= 1 else 0
    if resolution < START_RESOLUTION or stages != int(stages):
        raise ZooError(
            f"ProGAN grows from 4x4 by doubling: the image side must be 4 * 2^n "
            f"(8, 16, 32, 64, 128, 256, ...), got {resolution}; for Fashion-MNIST use "
            f"--image_size=32"
        )
    return int(stages)


def resolution_of(stage):
    return START_RESOLUTION * 2**stage


def stage_filters(stage, max_filters, filter_base):
    """Feature maps at a stage: `filter_base` halved per doubling, at most `max_filters`."""
    return max(1, min(max_filters, filter_base // 2**stage))


# ------------------------------------------------------------- the schedule


@dataclasses.dataclass(frozen=True)
class StageWindow:
    """Where a stage's steps lie: its fade-in starts at `start` and lasts `fade_steps`."""

    stage: int
    start: int
    fade_steps: int


def growth_phases(num_stages, images_per_phase, batch_sizes):
    """The phases of a run: 4x4, then a fade-in and a stable phase per stage.

    Args:
        num_stages: stages up to the final resolution.
        images_per_phase: real images shown in each phase.
        batch_sizes: real batch of each stage.

    Returns:
        list of `TrainingPhase`; the last (the final resolution's stable
        phase) has `steps=None`: it runs until the end of the run.
    """
    phases = []
    for stage in range(num_stages):
        size, batch = resolution_of(stage), batch_sizes[stage]
        steps = max(1, round(images_per_phase / batch))
        if stage > 0:
            phases.append(TrainingPhase(f"{size}x{size} fade-in", steps, size, batch))
        last = stage == num_stages - 1
        phases.append(TrainingPhase(f"{size}x{size}", None if last else steps, size, batch))
    return phases


def stage_windows(phases):
    """`{stage: StageWindow}` of the phases `growth_phases` returns."""
    windows, start, stage = {}, 0, 0
    for phase in phases:
        stage = num_stages_for(phase.image_size) - 1
        if stage not in windows:
            # A stage's first phase is its fade-in; 4x4 has none.
            windows[stage] = StageWindow(stage, start, phase.steps if stage > 0 else 0)
        start += phase.steps or 0
    return windows


def schedule_at(step, window):
    """`(stage, alpha)` at a generator step inside a stage's window.

    Alpha rises linearly over the fade-in, from 0 at its first step, and is 1
    in the stable phase (and at 4x4, which has no fade-in). A pure function of
    the step, i.e. of the images shown: TF-GAN's `compute_progress` in steps.
    """
    if window.fade_steps == 0:
        return window.stage, ops.convert_to_tensor(1.0)
    progress = (ops.cast(step, "float32") - window.start) / window.fade_steps
    return window.stage, ops.clip(progress, 0.0, 1.0)


def stage_and_alpha(step, phases):
    """`(stage, alpha)` at a generator step of a run's phases, as Python numbers.

    The schedule as a table: what `train_step` computes in the graph from the
    stage's window (`schedule_at`).
    """
    windows = stage_windows(phases)
    start = 0
    for phase in phases:
        end = None if phase.steps is None else start + phase.steps
        if end is None or step < end:
            stage, alpha = schedule_at(step, windows[num_stages_for(phase.image_size) - 1])
            return stage, float(alpha)
        start = end
    raise AssertionError("the last phase has no end")


def lerp(old, new, alpha):
    return old + alpha * (new - old)


def blend_reals(images, alpha):
    """Real images during a fade-in: the previous resolution's, upsampled, fading into these.

    At alpha 0 the discriminator sees what the previous stage saw (2x2 means,
    repeated); at 1 the images themselves (Section 3, "we blend the real
    images similarly").
    """
    means = ops.average_pool(images, 2, 2, padding="valid")  # (B, H/2, W/2, C)
    previous = ops.repeat(ops.repeat(means, 2, axis=1), 2, axis=2)
    return lerp(previous, images, alpha)


# ----------------------------------------------------------------- networks


@keras.saving.register_keras_serializable(package="gan_zoo")
class ProgressiveGenerator(keras.Model):
    """ProGAN's generator, every stage built; `call` runs up to a stage.

    Args:
        latent_dim: size of z.
        image_shape: `(R, R, C)` at the final stage.
        max_filters: most feature maps of a block.
        filter_base: feature maps at stage s are `min(max_filters, filter_base / 2^s)`.
        fused_upsampling: run each block's upsampling and first convolution as
            one transposed convolution (`_run_up_block`): the same function in
            fewer multiply-adds, equal to float rounding, not bit for bit.
            Defaults to `False`.
    """

    def __init__(self, latent_dim, image_shape, max_filters, filter_base, fused_upsampling=False,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.fused_upsampling = bool(fused_upsampling)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.max_filters, self.filter_base = int(max_filters), int(filter_base)
        self.num_stages = num_stages_for(self.image_shape[0])
        widths = [stage_filters(s, max_filters, filter_base) for s in range(self.num_stages)]
        self.blocks = [_first_generator_block(widths[0])] + [
            _up_block(width, name=f"block_{resolution_of(s)}")
            for s, width in enumerate(widths) if s > 0
        ]  # fmt: skip
        # toRGB is linear (gain 1), as in the paper.
        self.to_rgb = [
            EqualizedConv2D(self.image_shape[-1], 1, gain=1.0, name=f"to_rgb_{resolution_of(s)}")
            for s in range(self.num_stages)
        ]
        self.upsample = Upsample2D()
        _name_in_checkpoints(self, self.blocks + self.to_rgb)
        # Where training is: the EMA copy and the export follow these.
        self.stage = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="stage"
        )
        self.alpha = self.add_weight(shape=(), initializer="ones", trainable=False, name="alpha")
        self._build_every_stage(widths)

    def _build_every_stage(self, widths):
        self.blocks[0].build((None, self.latent_dim))
        for s in range(self.num_stages):
            size = resolution_of(s)
            if s > 0:
                self.blocks[s].build((None, size // 2, size // 2, widths[s - 1]))
            self.to_rgb[s].build((None, size, size, widths[s]))
        self.built = True

    def call(self, latents, stage=None, alpha=None, training=False):
        """Images at stage `stage` (a Python int; default the final one).

        With `alpha`, the stage's block is faded in over the previous stage's
        output, upsampled; without, it is the block's output alone.
        """
        stage = self.num_stages - 1 if stage is None else stage
        x = self.blocks[0](latents, training=training)
        for s in range(1, stage):
            x = self._up_block(s, x, training)
        if stage == 0:
            return self.to_rgb[0](x)
        new = self.to_rgb[stage](self._up_block(stage, x, training))
        if alpha is None:
            return new
        return lerp(self.upsample(self.to_rgb[stage - 1](x)), new, alpha)

    def _up_block(self, stage, x, training):
        if self.fused_upsampling:
            return _run_up_block(self.blocks[stage], x)
        return self.blocks[stage](x, training=training)

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "image_shape": self.image_shape,
            "max_filters": self.max_filters,
            "filter_base": self.filter_base,
            "fused_upsampling": self.fused_upsampling,
        }


@keras.saving.register_keras_serializable(package="gan_zoo")
class ProgressiveDiscriminator(keras.Model):
    """ProGAN's discriminator, every stage built; `call` starts at a stage.

    Args:
        image_shape: `(R, R, C)` at the final stage.
        max_filters: most feature maps of a block.
        filter_base: as in `ProgressiveGenerator`.
        group_size: minibatch standard deviation group (Section 3).
        fused_downsampling: each block's second convolution and its average
            pooling run as one stride-2 convolution, the activation after the
            pooling (`_run_down_block`): the official code's order, another
            function than pooling the activations. Defaults to `False`.
    """

    def __init__(self, image_shape, max_filters, filter_base, group_size,
                 fused_downsampling=False, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.fused_downsampling = bool(fused_downsampling)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.max_filters, self.filter_base = int(max_filters), int(filter_base)
        self.group_size = int(group_size)
        self.num_stages = num_stages_for(self.image_shape[0])
        widths = [stage_filters(s, max_filters, filter_base) for s in range(self.num_stages)]
        self.from_rgb = [
            EqualizedConv2D(w, 1, activation=max_leaky_relu, name=f"from_rgb_{resolution_of(s)}")
            for s, w in enumerate(widths)
        ]
        self.blocks = [_last_discriminator_block(widths[0], self.group_size)] + [
            _down_block(widths[s], widths[s - 1], name=f"block_{resolution_of(s)}")
            for s in range(1, self.num_stages)
        ]  # fmt: skip
        self.downsample = Downsample2D()
        _name_in_checkpoints(self, self.blocks + self.from_rgb)
        for s in range(self.num_stages):
            size = resolution_of(s)
            self.from_rgb[s].build((None, size, size, self.image_shape[-1]))
            self.blocks[s].build((None, size, size, widths[s]))
        self.built = True

    def call(self, images, stage=None, alpha=None, training=False):
        """One score per image of stage `stage`'s resolution (default: the final one)."""
        stage = self.num_stages - 1 if stage is None else stage
        x = self.from_rgb[stage](images)
        if stage > 0:
            x = self._down_block(stage, x, training)
            if alpha is not None:
                x = lerp(self.from_rgb[stage - 1](self.downsample(images)), x, alpha)
        for s in range(stage - 1, 0, -1):
            x = self._down_block(s, x, training)
        return self.blocks[0](x, training=training)  # (B, 1)

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "max_filters": self.max_filters,
            "filter_base": self.filter_base,
            "group_size": self.group_size,
            "fused_downsampling": self.fused_downsampling,
        }

    def _down_block(self, stage, x, training):
        if self.fused_downsampling:
            return _run_down_block(self.blocks[stage], x)
        return self.blocks[stage](x, training=training)


def _name_in_checkpoints(network, layers):
    # tf.train.Checkpoint follows attributes, not the lists Keras tracks: the
    # EMA copy's weights, which no optimizer holds, would be left out.
    for layer in layers:
        setattr(network, layer.name, layer)


def _first_generator_block(width):
    """z -> 4x4: pixel norm, a dense layer to 4x4 maps, a 3x3 conv (Table 2)."""
    return keras.Sequential(
        [
            PixelNormalization(),
            # The paper's gain for this layer: sqrt(2) / 4 per output pixel.
            EqualizedDense(16 * width, gain=math.sqrt(2) / 4, activation=max_leaky_relu),
            keras.layers.Reshape((4, 4, width)),  # (B, 4, 4, C)
            PixelNormalization(),
            EqualizedConv2D(width, 3, activation=max_leaky_relu),
            PixelNormalization(),
        ],
        name="block_4",
    )


def _up_block(width, name):
    return keras.Sequential(
        [
            Upsample2D(),
            EqualizedConv2D(width, 3, activation=max_leaky_relu),
            PixelNormalization(),
            EqualizedConv2D(width, 3, activation=max_leaky_relu),
            PixelNormalization(),
        ],
        name=name,
    )


def _run_up_block(block, x):
    """`block(x)` (`_up_block`'s layers), its upsampling and first convolution fused
    into one transposed convolution (`EqualizedConv2D.call_upsampled`): the same
    function for fewer multiply-adds. The block keeps its layers, so its weights,
    checkpoints and saved files are unchanged."""
    _upsample, first, *rest = block.layers
    x = first.call_upsampled(x)
    for layer in rest:
        x = layer(x)
    return x


def _down_block(width, next_width, name):
    return keras.Sequential(
        [
            EqualizedConv2D(width, 3, activation=max_leaky_relu),
            EqualizedConv2D(next_width, 3, activation=max_leaky_relu),
            Downsample2D(),
        ],
        name=name,
    )


def _run_down_block(block, x):
    """`_down_block`'s layers with its second convolution and the pooling fused
    (`EqualizedConv2D.call_downsampled`); the block keeps its layers and weights."""
    first, second, _downsample = block.layers
    return second.call_downsampled(first(x))


def _last_discriminator_block(width, group_size):
    """4x4 -> score: minibatch stddev, a 3x3 conv, a 4x4 'conv' as dense, the score."""
    return keras.Sequential(
        [
            MinibatchStdDev(group_size),
            EqualizedConv2D(width, 3, activation=max_leaky_relu),
            keras.layers.Flatten(),
            EqualizedDense(width, activation=max_leaky_relu),
            EqualizedDense(1, gain=1.0),
        ],
        name="block_4",
    )


# ---------------------------------------------------------------- the GAN


class _Growth:
    """Which phase the training loop runs, kept out of Keras' attribute tracking.

    `phase` is the loop's current `TrainingPhase` (`enter_phase`); without one
    (a plain `fit` on full-size images) every step trains the final stage at
    alpha 1. `train_functions` caches Keras' traced step per resolution.
    """

    def __init__(self):
        self.phase = None
        self.train_functions = {}


@register_family("progan")
class ProGAN(GAN):
    """Progressive growing of GANs, from 4x4 to `image_shape`.

    Defaults fit a CPU and Fashion-MNIST padded to 32x32: feature maps halve
    from 64 at 8x8 to 16 at 32x32, and the gradient penalty is lazy
    (`penalty_every=4`, StyleGAN2's regularization schedule), each of which
    doubles the throughput at 32x32. The paper's CIFAR-10 run (its Theano
    branch) is `max_filters=128, filter_base=8192, latent_dim=128,
    images_per_phase=400_000, stage_batch_sizes=(16, 16, 16, 16),
    penalty_every=1` with the default loss and optimizers.

    Args:
        image_shape: `(R, R, C)` with `R = 4 * 2^n`. Defaults to `(32, 32, 1)`.
        latent_dim: size of z. Defaults to `128`.
        max_filters: most feature maps of a block. Defaults to `64`.
        filter_base: feature maps at stage s (resolution 4 * 2^s) are
            `min(max_filters, filter_base / 2^s)`. Defaults to `128`.
        images_per_phase: real images shown in each stable and each
            transition phase. Defaults to `20_000`.
        stage_batch_sizes: real batch of each stage, from 4x4 (the paper
            lowers it as the resolution grows); `None` uses the run's
            `--batch_size` throughout. Defaults to `None`.
        drift_weight: epsilon_drift, the weight of the critic's drift term
            (Section A.1; `zoo.core.losses.drift_penalty`). Defaults to `0.001`.
        group_size: minibatch standard deviation group size. Defaults to `4`.
        loss: adversarial loss. Defaults to `"wasserstein"`.
        gp_weight: WGAN-GP's lambda. Defaults to `10`.
        ema_decay: generator EMA used for samples and export. Defaults to `0.999`.
        penalty_every: the gradient penalty runs on every n-th critic step,
            n times as strong (`GAN`). Defaults to `4`.
        fused_upsampling: the generator doubles and convolves in one
            transposed convolution, as the official code (`ProgressiveGenerator`).
            Defaults to `False`.
        fused_downsampling: the discriminator convolves and halves in one
            strided convolution, activating after the pooling, as the official
            code (`ProgressiveDiscriminator`). Defaults to `False`.
        restart_optimizers: both Adams start afresh (moments and bias
            correction) at the beginning of every phase, as the official code
            resets them at each new level of detail
            (`zoo.core.optimizers.RestartableAdam`). Defaults to `False`.
        **kwargs: other `GAN` arguments (`seed`, `name`, ...); `d_steps` must stay 1.

    Example:
        >>> gan = zoo.build("progan", image_shape=(32, 32, 1))

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196
    """

    argument_specs = {
        "image_shape": arguments.shape,
        "max_filters": arguments.positive_int,
        "filter_base": arguments.positive_int,
        "images_per_phase": arguments.positive_int,
        "stage_batch_sizes": arguments.optional(arguments.layer_widths),
        "drift_weight": arguments.non_negative_float,
        "group_size": arguments.positive_int,
        "fused_upsampling": arguments.boolean,
        "fused_downsampling": arguments.boolean,
        "restart_optimizers": arguments.boolean,
    }
    metric_names = GAN.metric_names + ("stage", "alpha")

    def __init__(
        self,
        image_shape=(32, 32, 1),
        latent_dim=128,
        max_filters=64,
        filter_base=128,
        images_per_phase=20_000,
        stage_batch_sizes=None,
        drift_weight=0.001,
        group_size=4,
        loss="wasserstein",
        gp_weight=10.0,
        ema_decay=0.999,
        penalty_every=4,
        fused_upsampling=False,
        fused_downsampling=False,
        restart_optimizers=False,
        **kwargs,
    ):
        image_shape = arguments.square_image_shape("ProGAN", image_shape)
        # The official code alternates one critic and one generator step (its
        # n_critic is 1); a phase's images are counted in those steps.
        arguments.single_discriminator_step("ProGAN", kwargs, "critic")
        num_stages = num_stages_for(image_shape[0])
        if stage_batch_sizes is not None and len(stage_batch_sizes) != num_stages:
            raise ZooError(
                f"stage_batch_sizes needs one batch size per stage ({num_stages} from 4x4 to "
                f"{image_shape[0]}x{image_shape[0]}), got {tuple(stage_batch_sizes)}"
            )
        super().__init__(
            ProgressiveGenerator(latent_dim, image_shape, max_filters, filter_base,
                                 fused_upsampling, name="generator"),
            ProgressiveDiscriminator(image_shape, max_filters, filter_base, group_size,
                                     fused_downsampling, name="discriminator"),
            latent_dim=latent_dim, loss=loss, gp_weight=gp_weight, ema_decay=ema_decay,
            penalty_every=penalty_every, **kwargs,
        )  # fmt: skip
        self.max_filters, self.filter_base = int(max_filters), int(filter_base)
        self.images_per_phase = int(images_per_phase)
        self.stage_batch_sizes = (
            None if stage_batch_sizes is None else tuple(int(b) for b in stage_batch_sizes)
        )
        self.drift_weight = float(drift_weight)
        self.group_size = int(group_size)
        self.fused_upsampling = bool(fused_upsampling)
        self.fused_downsampling = bool(fused_downsampling)
        self.restart_optimizers = bool(restart_optimizers)
        self.num_stages = num_stages
        self._growth = _Growth()

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "max_filters": self.max_filters,
            "filter_base": self.filter_base,
            "images_per_phase": self.images_per_phase,
            "fused_upsampling": self.fused_upsampling,
            "fused_downsampling": self.fused_downsampling,
            "restart_optimizers": self.restart_optimizers,
            "stage_batch_sizes": self.stage_batch_sizes,
            "drift_weight": self.drift_weight,
            "group_size": self.group_size,
        }

    @property
    def image_shape(self):
        return self.generator.image_shape

    def default_optimizers(self):
        # Section A.1: Adam(1e-3, beta1 = 0, beta2 = 0.99).
        adam = RestartableAdam if self.restart_optimizers else keras.optimizers.Adam
        return (
            adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
            adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8),
        )

    # ---------------------------------------------------------- schedule

    @property
    def capabilities(self):
        """Grows through phases (`training_phases`)."""
        return dataclasses.replace(super().capabilities, phases=True)

    def training_phases(self, batch_size):
        """The run's phases (`growth_phases`): a pure function of the constructor's
        arguments and the run's batch, which sizes every stage without `stage_batch_sizes`."""
        batches = self.stage_batch_sizes or (int(batch_size),) * self.num_stages
        return growth_phases(self.num_stages, self.images_per_phase, batches)

    def enter_phase(self, phase, begins=False):
        """The training loop's phase from now on: its resolution picks the traced step.
        When the phase `begins` (rather than resumes in its middle) and
        `restart_optimizers`, both optimizers start afresh."""
        self._growth.phase = phase
        if begins and self.restart_optimizers:
            for optimizer in (self.d_optimizer, self.g_optimizer):
                # A float16 run's loss-scale optimizer wraps the Adam.
                getattr(optimizer, "inner_optimizer", optimizer).restart()

    def make_train_function(self, force=False):
        # One traced step per resolution: Keras keeps one function and, shown
        # a second image shape, relaxes it to None, but the stage must be
        # static. A stage's fade-in and stable phases share their function.
        functions = self._growth.train_functions
        key = None if self._growth.phase is None else self._growth.phase.image_size
        if key not in functions or force:
            self.train_function = None
            super().make_train_function(force=True)
            functions[key] = self.train_function
        self.train_function = functions[key]
        return self.train_function

    def progress_summary(self):
        return {
            "stage": self.stage,
            "resolution": resolution_of(self.stage),
            "final_resolution": self.image_shape[0],
            "alpha": float(self.sampling_generator.alpha.numpy()),
        }

    @property
    def stage(self):
        """The stage training has reached (0 is 4x4), as a Python int."""
        return int(self.sampling_generator.stage.numpy())

    # ---------------------------------------------------------- sampling

    def call(self, inputs, training=False):
        """Samples of the stage reached, upsampled to the final size, in [-1, 1]."""
        generator = self.sampling_generator

        def at_stage(stage):
            def sample(latents):
                images = to_float32(
                    generator(latents, stage=stage, alpha=generator.alpha, training=False)
                )
                factor = 2 ** (self.num_stages - 1 - stage)
                return ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2)

            return sample

        branches = [at_stage(s) for s in range(self.num_stages)]
        images = ops.switch(generator.stage, branches, inputs)
        # The generator's output is linear (no tanh): clip for [-1, 1] images.
        return ops.clip(images, -1.0, 1.0)

    def progress_pictures(self, latents):
        """`{"fade_in": ...}`: the same latents at alpha 0, 0.25, ..., 1 of the stage reached."""
        stage = self.stage
        if stage == 0:
            return {}
        generator = self.sampling_generator
        rows = [
            to_float32(generator(latents, stage=stage, alpha=alpha, training=False))
            for alpha in np.linspace(0.0, 1.0, 5, dtype="float32")
        ]
        factor = 2 ** (self.num_stages - 1 - stage)
        images = ops.clip(ops.concatenate(rows, axis=0), -1.0, 1.0)
        return {"fade_in": ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2)}

    # ---------------------------------------------------------- training

    def generate_images(
        self, latents, labels=None, training=False, generator=None, stage=None, alpha=None
    ):
        """Images of `stage` (default: the final one), faded in by `alpha` (`None`: none)."""
        stage = self.num_stages - 1 if stage is None else stage
        generator = generator or self.generator
        return to_float32(generator(latents, stage=stage, alpha=alpha, training=training))

    def discriminate(self, samples, labels=None, training=False, stage=None, alpha=None):
        """Scores at `stage` (default: the final one), faded in by `alpha` (`None`: none)."""
        stage = self.num_stages - 1 if stage is None else stage
        samples = self.augmented(samples, training)
        return to_float32(self.discriminator(samples, stage=stage, alpha=alpha, training=training))

    def step_schedule(self, resolution, step):
        """`(stage, alpha)` of a training step on images of side `resolution`.

        The stage is static (one traced step per resolution); alpha is a tensor
        of the step inside the stage's fade-in window, or `None` outside a
        phased run (a plain `fit`) and where the stage has no fade-in.
        """
        stage = num_stages_for(resolution) - 1
        phase = self._growth.phase
        if phase is None:
            return stage, None
        window = stage_windows(self.training_phases(phase.batch_size)).get(stage)
        if window is None or not window.fade_steps:
            return stage, None
        return schedule_at(step, window)

    def train_step(self, data):
        real_images = data[0] if isinstance(data, (tuple, list)) else data
        if real_images.shape[1] is None:
            raise ZooError(
                "ProGAN trains one resolution per traced step: call enter_phase(phase) before "
                "fitting on images of another size (zoo.training does)"
            )
        stage, alpha = self.step_schedule(real_images.shape[1], self.g_optimizer.iterations)
        at = {"stage": stage, "alpha": alpha}  # every network call of this step runs there
        # The same on every replica: functions of the synchronized step count.
        distribute.assign_state(
            [(self.generator.stage, stage), (self.generator.alpha, 1.0 if alpha is None else alpha)]
        )
        if alpha is not None:
            real_images = blend_reals(real_images, alpha)
        batch_size = ops.shape(real_images)[0]

        # Discriminator (critic) update: WGAN-GP plus the drift term.
        fake_images = self.generate_images(self.sample_latents(batch_size), training=True, **at)
        with tf.GradientTape() as tape:
            real_logits = self.discriminate(real_images, training=True, **at)
            fake_logits = self.discriminate(fake_images, training=True, **at)
            d_penalty = self.penalties(
                lambda samples, labels: self.discriminate(samples, training=True, **at),
                (real_images, None), (fake_images, None), self.d_optimizer.iterations, self.noise,
            )  # fmt: skip
            d_penalty += self.drift_weight * losses.drift_penalty(real_logits)
            d_loss = self.d_loss_fn(real_logits, fake_logits) + d_penalty
        distribute.minimize(self.d_optimizer, tape, d_loss, self.discriminator)

        # Generator update, on fresh noise.
        with tf.GradientTape() as tape:
            fake_images = self.generate_images(self.sample_latents(batch_size), training=True, **at)
            g_loss = self.g_loss_fn(self.discriminate(fake_images, training=True, **at))
        distribute.minimize(self.g_optimizer, tape, g_loss, self.generator)
        self.update_ema()

        return self.update_metrics(
            d_loss, g_loss, real_logits, fake_logits, d_penalty,
            stage=ops.cast(stage, "float32"), alpha=1.0 if alpha is None else alpha,
        )  # fmt: skip
