"""The plumbing every GAN family shares, and Algorithm 1 as the default step.

A family builds its `generator` and `discriminator` as functional Keras models,
passes them to `GAN.__init__` and declares itself with `@register_family`. Its
algorithm is `GAN.train_step` (Goodfellow et al.'s Algorithm 1) unless it
overrides it with the helpers below: latent and label sampling, conditional
calls, the discriminator's penalties, one optimizer step, the generator's
moving average (`models/averaging.py`) and the loss trackers. What a family
offers beyond sampling is declared once, in `capabilities`.
"""

import dataclasses
import functools
import random

import keras
import tensorflow as tf

from zoo.core import augment as augment_pipelines
from zoo.core import distribute, losses
from zoo.core.errors import ZooError
from zoo.core.latents import TrainingNoise, class_labels, seeded_latents
from zoo.core.registry import register_model

from . import arguments, averaging


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What a GAN offers beyond sampling from latents (`GAN.capabilities`).

    Each family declares its own in one place; the tools (export, drawing,
    evaluation) ask for them here rather than probe for methods.

    Attributes:
        num_classes: classes of a class-conditional model; `0` unconditional.
        styles: `(num_ws, w_dim)` when the generator is steered by per-layer
            styles (`styles`, `synthesize`; the export's `mapping` and
            `synthesis`); `None` otherwise.
        truncation: sampling takes `truncation_psi` and `truncation_cutoff`.
        attention_maps: `attention_maps(latents, labels)` shows where the
            generator's attention looks.
        phases: trains through several `training_phases` (progressive growing).
        noise_inputs: the generator adds per-pixel noise, a constant image when
            sampling unless `sampling_noise("random", seed)` draws it per sample.
    """

    num_classes: int = 0
    styles: tuple | None = None
    truncation: bool = False
    attention_maps: bool = False
    phases: bool = False
    noise_inputs: bool = False

    def sampling_options(self, family, truncation_psi=None, truncation_cutoff=None):
        """The keyword arguments of `GAN.call` for a sampling request; `{}` for none.

        Raises:
            ZooError: truncation asked of a family without it.
        """
        options = {}
        if truncation_psi is not None:
            options["truncation_psi"] = float(truncation_psi)
        if truncation_cutoff is not None:
            options["truncation_cutoff"] = int(truncation_cutoff)
        if options and not self.truncation:
            raise ZooError(
                f"{family} has no truncation trick; drop truncation_psi (StyleGAN has it)"
            )
        return options


def checked_family(cls):
    """Declares a GAN class: visible at the class, nothing installed silently.

    - Every argument of its constructor is checked against `argument_specs`
      (`models/arguments.py`) before a layer is built; an argument without a
      spec fails at import.
    - The random draws of its `train_step` are keyed to the generator step
      (`zoo.core.latents.TrainingNoise`), so a resumed or distributed run draws
      what a straight run draws.
    """
    if "__init__" in vars(cls):
        arguments.require_specs(cls)
        cls.__init__ = arguments.checked_init(cls.__init__, cls)
    if "train_step" in vars(cls):
        cls.train_step = _keying_training_noise(cls.train_step)
    return cls


def _keying_training_noise(train_step):
    """Wraps a family's `train_step` so its random draws are keyed to the step
    (`zoo.core.latents.TrainingNoise`): the generator step it starts at."""
    if getattr(train_step, "keys_training_noise", False):
        return train_step

    @functools.wraps(train_step)
    def keyed_train_step(self, data):
        self.noise.start_step(self.g_optimizer.iterations)
        try:
            return distribute.step_outputs_for_keras(train_step(self, data))
        finally:
            self.noise.end_step()

    keyed_train_step.keys_training_noise = True
    return keyed_train_step


def register_family(name):
    """`@checked_family`, then `zoo.register_model(name)`: how a family is declared.

    Example:
        >>> @register_family("my_gan")
        ... class MyGAN(GAN): ...
    """

    def declare(cls):
        return register_model(name)(checked_family(cls))

    return declare


@checked_family
class GAN(keras.Model):
    """Base class of every GAN family.

    Args:
        generator: functional model mapping latents (and, when `num_classes > 0`,
            int labels) to samples in [-1, 1].
        discriminator: functional model mapping samples (and labels) to one
            logit per sample.
        latent_dim: size of the latent vector z.
        loss: adversarial loss, a name of `zoo.core.losses.ADVERSARIAL_LOSSES`.
            Defaults to `"non_saturating"`.
        num_classes: number of classes for class-conditional models;
            `0` means unconditional. Defaults to `0`.
        d_steps: discriminator updates per generator update (Algorithm 1's `k`),
            each on its own real minibatch of the batch. Defaults to `1`.
        ema_decay: decay of the generator's moving average `ema_generator`, which
            samples and exports use; `0` keeps none. Defaults to `0`.
        gp_weight, r1_gamma, r2_gamma, penalty_every: the discriminator's
            gradient penalties (WGAN-GP's, R1 on reals, R2 on fakes), `0` for
            off, and their lazy schedule (`zoo.core.losses.Penalties`). Default to
            `0`, `0`, `0` and `1`.
        clip_value: the original WGAN's weight clipping bound, with
            `loss="wasserstein"` and no `gp_weight`; `0` for off. Defaults to `0`.
        seed: seed of the generator of training latents and labels; `None`
            draws one. Defaults to `None`.
        name: model name. Defaults to the class name in snake_case.
    """

    # The Mean trackers `train_step` reports; families that log more extend it.
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake", "d_penalty")

    # Whether training gives the family the dataset's `num_classes` by default.
    class_conditional = False

    # Type and range of each constructor argument (`checked_family`); families add theirs.
    argument_specs = {
        "generator": arguments.network, "discriminator": arguments.network,
        "latent_dim": arguments.positive_int, "loss": arguments.one_of(*losses.ADVERSARIAL_LOSSES),
        "num_classes": arguments.non_negative_int, "d_steps": arguments.positive_int,
        "ema_decay": arguments.unit_interval, "gp_weight": arguments.non_negative_float,
        "r1_gamma": arguments.non_negative_float, "r2_gamma": arguments.non_negative_float,
        "clip_value": arguments.non_negative_float, "penalty_every": arguments.positive_int,
        "seed": arguments.optional(arguments.seed),
        "name": arguments.optional(arguments.model_name),
    }  # fmt: skip

    def __init__(
        self, generator, discriminator, /, *,
        latent_dim, loss="non_saturating", num_classes=0, d_steps=1, ema_decay=0.0,
        gp_weight=0.0, r1_gamma=0.0, r2_gamma=0.0, clip_value=0.0, penalty_every=1,
        seed=None, name=None,
    ):  # fmt: skip
        super().__init__(name=name)
        self.d_loss_fn, self.g_loss_fn = losses.get_adversarial_loss(loss)
        # Not `self.loss`: keras.Model.compile owns that attribute.
        self.adversarial_loss = loss
        if num_classes and len(generator.inputs) != 2:
            raise ZooError(f"{type(self).__name__} is unconditional here; leave num_classes at 0")
        self.penalties = losses.Penalties(
            float(gp_weight), float(r1_gamma), float(r2_gamma), int(penalty_every)
        )
        self.penalties.check(type(self).__name__, loss, clip_value, _has_batch_norm(discriminator))
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes)
        self.d_steps = int(d_steps)
        self.ema_decay = float(ema_decay)
        self.clip_value = float(clip_value)
        self.seed = seed
        self.generator = generator
        self.discriminator = discriminator
        self.ema_generator = averaging.copy_generator(generator) if self.ema_decay else None
        self._standing_statistics = averaging.StandingStatistics(self.latent_dim, self.num_classes)
        # Without a seed the run still needs one key for all its draws.
        self.noise = TrainingNoise(random.randrange(2**31) if seed is None else seed)
        # What the discriminator's training inputs go through; `compile` sets it.
        self.augment = None
        self.trackers = {n: keras.metrics.Mean(name=n) for n in self.metric_names}
        # The logged values are the same on every replica (`update_metrics`).
        self.distribute_reduction_method = "first"
        # The networks are built functional models, so the GAN's variables all
        # exist now; Keras needs to know, e.g. to load weights into a fresh one.
        self.built = True

    def get_config(self):
        """The constructor arguments; families add their own."""
        return {
            "name": self.name, "latent_dim": self.latent_dim, "loss": self.adversarial_loss,
            "num_classes": self.num_classes, "d_steps": self.d_steps,
            "ema_decay": self.ema_decay, "clip_value": self.clip_value, "seed": self.seed,
            "gp_weight": self.penalties.gp_weight, "r1_gamma": self.penalties.r1_gamma,
            "r2_gamma": self.penalties.r2_gamma, "penalty_every": self.penalties.every,
        }  # fmt: skip

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def image_shape(self):
        """Shape of one sample, without the batch dimension."""
        return tuple(self.generator.output_shape[1:])

    @property
    def conditional(self):
        return self.num_classes > 0

    # ---------------------------------------------------------------- compile

    def default_optimizers(self):
        """`(d_optimizer, g_optimizer)` when `compile` gets none; families set their paper's."""
        return keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)

    def compile(self, d_optimizer=None, g_optimizer=None, augment=None, **kwargs):
        """Sets both optimizers (default: `default_optimizers()`) and what the
        discriminator's inputs go through while training (`augment`: a
        `zoo.core.augment` spec such as `"diffaugment"`, or `None`); `kwargs` go to
        Keras' `compile` (e.g. `steps_per_execution`)."""
        self.augment = augment_pipelines.from_spec(augment)
        if self.augment is not None and len(self.image_shape) != 3:
            raise ZooError(f"{type(self).__name__} makes 2-D points: augmentation is for images")
        d_default, g_default = self.default_optimizers()
        self.d_optimizer = d_optimizer or d_default
        self.g_optimizer = g_optimizer or g_default
        # Building the slots now makes saved optimizer state loadable into a
        # fresh model and lets tf.distribute mirror them.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        # Keras' own `optimizer` would otherwise be an unused RMSprop; making it
        # the generator's gives `model.optimizer.iterations` = generator steps,
        # the step count that callbacks and TensorBoard read.
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def get_compile_config(self):
        # Without this pair, `keras.saving.load_model` silently returns the
        # model without its optimizers.
        if not self.compiled:
            return None
        config = {name: keras.optimizers.serialize(getattr(self, name)) for name in _OPTIMIZERS}
        if self.augment is not None:
            config["augment"] = self.augment.spec
        return config

    def compile_from_config(self, config):
        self.compile(
            **{name: _as_optimizer(config[name]) for name in _OPTIMIZERS},
            augment=config.get("augment"),  # absent from files saved before augmentation
        )

    # ------------------------------------------------------ sampling helpers

    def sample_latents(self, batch_size):
        """Draws training latents z ~ N(0, I) (`self.noise`: this replica's share)."""
        return self.noise.normal((batch_size, self.latent_dim))

    def sample_labels(self, batch_size):
        """Draws uniform class labels for conditional models; `None` otherwise."""
        if not self.conditional:
            return None
        return self.noise.integers((batch_size,), self.num_classes)

    def generate_images(self, latents, labels=None, training=False, generator=None):
        """`generator`'s (default: the trained one's) float32 images, also in mixed precision."""
        inputs = [latents, labels] if self.conditional else latents
        return to_float32((generator or self.generator)(inputs, training=training))

    def discriminate(self, samples, labels=None, training=False):
        """The discriminator's float32 logits, shape `(batch, 1)`; in training, of the
        samples through `augment` (`compile`)."""
        samples = self.augmented(samples, training)
        inputs = [samples, labels] if self.conditional else samples
        return to_float32(self.discriminator(inputs, training=training))

    def augmented(self, samples, training):
        """`samples` through the compiled augmentation while training, else unchanged:
        every image the discriminator sees in training, real or generated, in either
        network's step and inside the penalties, goes through here."""
        if not training or self.augment is None:
            return samples
        return self.augment(samples, self.noise)

    @property
    def sampling_generator(self):
        """The generator that samples and exports use: the EMA copy if kept, which read
        eagerly first gets batch-norm statistics of its own (`refresh_sampling_statistics`)."""
        if self.ema_generator is None:
            return self.generator
        if tf.executing_eagerly():
            self.refresh_sampling_statistics()
        return self.ema_generator

    def refresh_sampling_statistics(self):
        """Gives the EMA generator batch-norm statistics of its own activations
        (`averaging.StandingStatistics`), once per generator step; a no-op
        without EMA or batch norm."""
        if self.ema_generator is None:
            return
        optimizer = getattr(self, "g_optimizer", None)
        step = None if optimizer is None else int(optimizer.iterations.numpy())
        self._standing_statistics.refresh(self.ema_generator, step)

    def call(self, inputs, training=False):
        """Latents (or `(latents, labels)`) -> samples in [-1, 1] of `sampling_generator`."""
        latents, labels = (inputs, None) if not self.conditional else inputs
        return self.generate_images(latents, labels, training, self.sampling_generator)

    @property
    def capabilities(self):
        """What this GAN offers beyond sampling (`Capabilities`); families extend it."""
        return Capabilities(num_classes=self.num_classes)

    def generate(
        self, num_samples=None, latents=None, labels=None, seed=None, truncation_psi=None,
        truncation_cutoff=None,
    ):  # fmt: skip
        """Samples images in [-1, 1] as a numpy array.

        Args:
            num_samples: how many samples to draw when `latents` is `None`.
            latents: float array `(n, latent_dim)`; drawn from `seed` if `None`.
            labels: int array `(n,)` for conditional models; defaults to the
                classes in turn (`zoo.core.latents.class_labels`), so a grid shows
                every class.
            seed: int seed of the latents when `latents` is `None`:
                `zoo.core.latents.seeded_latents(seed, num_samples, latent_dim)`, as
                in sample grids, `evaluate.py` and the export's `generate`.
                `None` draws fresh latents on each call.
            truncation_psi, truncation_cutoff: the truncation trick, for
                families with `capabilities.truncation` (StyleGAN).

        Example:
            >>> images = gan.generate(16, seed=0)  # (16, H, W, C) in [-1, 1]
        """
        options = self.capabilities.sampling_options(
            type(self).__name__, truncation_psi, truncation_cutoff
        )
        latents, labels = sampling_inputs(
            self.latent_dim, self.num_classes, num_samples, latents, labels, seed
        )
        return self((latents, labels) if self.conditional else latents, **options).numpy()

    # ---------------------------------------------------------------- training

    def train_step(self, data):
        """Algorithm 1 of Goodfellow et al. 2014, the families' default: `d_steps`
        discriminator updates, each on its own real minibatch and fresh noise, then one
        generator update. ProGAN and StyleGAN, with algorithms of their own, override it."""
        for real_images, real_labels in split_real_batches(data, self.d_steps, self.conditional):
            # Discriminator update.
            self.begin_discriminator_update()
            batch_size = tf.shape(real_images)[0]
            fake_labels = self.sample_labels(batch_size)
            fake_images = self.generate_images(
                self.sample_latents(batch_size), fake_labels, training=True
            )
            with tf.GradientTape() as tape:
                real_logits = self.discriminate(real_images, real_labels, training=True)
                fake_logits = self.discriminate(fake_images, fake_labels, training=True)
                d_penalty = self.discriminator_penalty(
                    real_images, real_labels, fake_images, fake_labels
                )
                d_loss = self.d_loss_fn(real_logits, fake_logits) + d_penalty
            distribute.minimize(self.d_optimizer, tape, d_loss, self.discriminator)
            if self.clip_value:
                # The original WGAN clips after every critic update.
                losses.clip_weights(self.discriminator.trainable_variables, self.clip_value)

        # Generator update, on fresh noise.
        self.begin_generator_update()
        fake_labels = self.sample_labels(batch_size)
        latents = self.sample_latents(batch_size)
        with tf.GradientTape() as tape:
            fake_images = self.generate_images(latents, fake_labels, training=True)
            g_loss = self.g_loss_fn(self.discriminate(fake_images, fake_labels, training=True))
        distribute.minimize(self.g_optimizer, tape, g_loss, self.generator)
        self.update_ema()
        return self.update_metrics(d_loss, g_loss, real_logits, fake_logits, d_penalty)

    def begin_discriminator_update(self):
        """Once per discriminator update (SAGAN's power iterations); nothing by default."""

    def begin_generator_update(self):
        """Called once before each generator update; nothing by default."""

    def discriminator_penalty(self, real_images, real_labels, fake_images, fake_labels):
        """The weighted, scheduled penalties (`zoo.core.losses.Penalties`), inside D's tape."""
        # The step only matters to a lazy schedule (an uncompiled model has none).
        d_step = self.d_optimizer.iterations if self.penalties.every > 1 else None
        return self.penalties(
            lambda samples, labels: self.discriminate(samples, labels, training=True),
            (real_images, real_labels), (fake_images, fake_labels), d_step, self.noise,
        )  # fmt: skip

    def update_ema(self):
        """Moves `ema_generator` towards the generator (`averaging.update_average`)."""
        if self.ema_generator is not None:
            averaging.update_average(
                self.ema_generator, self.generator, self.ema_decay, self.g_optimizer.iterations
            )

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras would call the model on a (worker-reduced) real batch, which fails under
        # MultiWorkerMirrored; the networks are built in __init__, nothing is left to build.
        return

    def update_metrics(self, d_loss, g_loss, real_logits, fake_logits, d_penalty, **extra):
        """Updates the trackers with a step's values (the losses, D's mean scores on reals
        and fakes, the penalty, a family's `extra`), replica means (one all-reduce, so every
        replica logs the global batch's); returns every tracker's mean, and what an adaptive
        augmentation logs after it has seen `real_logits` (`zoo.core.ada`)."""
        score = functools.partial(losses.discriminator_score, self.adversarial_loss)
        values = {"d_loss": d_loss, "g_loss": g_loss, "d_real": score(real_logits),
                  "d_fake": score(fake_logits), "d_penalty": d_penalty, **extra}  # fmt: skip
        names = list(values)
        averaged = distribute.replica_mean([tf.cast(values[n], tf.float32) for n in names])
        for name, value in zip(names, averaged, strict=True):
            self.trackers[name].update_state(value)
        adapted = {} if self.augment is None else self.augment.observe(real_logits)
        return {**{name: tracker.result() for name, tracker in self.trackers.items()}, **adapted}


def sampling_inputs(latent_dim, num_classes, num_samples, latents, labels, seed):
    """`GAN.generate`'s `(latents, labels)` as tensors, drawn or checked.

    Raises:
        ZooError: neither `num_samples` nor `latents`, or latents of the wrong shape.
    """
    if latents is None:
        if num_samples is None:
            raise ZooError("generate needs num_samples or latents")
        if seed is None:
            latents = keras.random.normal((num_samples, latent_dim))
        else:
            latents = seeded_latents(seed, num_samples, latent_dim)
    latents = tf.convert_to_tensor(latents, tf.float32)
    if latents.shape.rank != 2 or latents.shape[-1] != latent_dim:
        raise ZooError(f"latents must have shape (n, {latent_dim}), got {tuple(latents.shape)}")
    if num_classes and labels is None:
        labels = class_labels(tf.shape(latents)[0], num_classes)
    return latents, (None if labels is None else tf.cast(labels, tf.int32))


def split_real_batches(data, d_steps, conditional):
    """Splits a training batch into `d_steps` (images, labels) minibatches.

    `data` is images or `(images, labels)`; labels are `None` for
    unconditional models.
    """
    images, labels = data if isinstance(data, (tuple, list)) else (data, None)
    if not conditional:
        labels = None
    if d_steps == 1:
        return [(images, labels)]
    image_chunks = tf.split(images, d_steps)
    label_chunks = tf.split(labels, d_steps) if labels is not None else [None] * d_steps
    return list(zip(image_chunks, label_chunks, strict=True))


def to_float32(tensor):
    return tf.cast(tensor, tf.float32) if tensor.dtype != tf.float32 else tensor


def _has_batch_norm(model):
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            return True
        if isinstance(layer, keras.Model) and _has_batch_norm(layer):
            return True
    return False


_OPTIMIZERS = ("d_optimizer", "g_optimizer")


def _as_optimizer(config):
    if isinstance(config, keras.optimizers.Optimizer):
        return config
    return keras.optimizers.deserialize(config)
