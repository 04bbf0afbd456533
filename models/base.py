"""The plumbing every GAN family shares; no algorithm of its own.

A family builds its `generator` and `discriminator` as functional Keras models,
passes them to `GAN.__init__`, and states its algorithm in `train_step` with the
helpers below: latent and label sampling, conditional calls, the discriminator's penalties,
one optimizer step, the generator's moving average and the loss trackers.
"""

import dataclasses
import functools
import inspect
import random

import keras
import tensorflow as tf

from zoo import distribute, losses
from zoo.errors import ZooError
from zoo.latents import TrainingNoise, class_labels, seeded_latents

from . import arguments, layers

# The draw that re-estimates the EMA generator's batch-norm statistics
# (`GAN.refresh_sampling_statistics`): fixed, so a model saved and loaded
# again samples the same images.
STATISTICS_SEED = 20190928
STATISTICS_SAMPLES = 4096
_STATISTICS_BATCH = 512

# Losses whose discriminator output is the logit of a probability: D(x) is
# reported as sigmoid(logit). For the others (Wasserstein, hinge, least
# squares) the raw output is the meaningful score.
_PROBABILITY_LOSSES = ("minimax", "non_saturating")


@dataclasses.dataclass(frozen=True)
class TrainingPhase:
    """A stretch of training with one input pipeline (`GAN.training_phases`).

    Attributes:
        name: shown in the logs, e.g. `"8x8 fade-in"`.
        steps: generator steps of the phase; `None` for the last phase, which
            runs until the run's step budget.
        image_size: side of the phase's real images, average-pooled down from
            the dataset's; `None` keeps the dataset's.
        batch_size: real examples per discriminator update.
    """

    name: str
    steps: int | None
    image_size: int | None
    batch_size: int


class GAN(keras.Model):
    """Base class of every GAN family.

    Args:
        generator: functional model mapping latents (and, when `num_classes > 0`,
            int labels) to samples in [-1, 1].
        discriminator: functional model mapping samples (and labels) to one
            logit per sample.
        latent_dim: size of the latent vector z.
        loss: adversarial loss, a name from `zoo.losses.ADVERSARIAL_LOSSES`
            (`"minimax"`, `"non_saturating"`, `"wasserstein"`, `"hinge"`,
            `"least_squares"`). Defaults to `"non_saturating"`.
        num_classes: number of classes for class-conditional models;
            `0` means unconditional. Defaults to `0`.
        d_steps: discriminator updates per generator update (`k` in Goodfellow
            et al. 2014, Algorithm 1). A training batch holds `d_steps` real
            minibatches, one per discriminator update. Defaults to `1`.
        ema_decay: decay of an exponential moving average of the generator's
            weights, kept in `ema_generator` and used for sampling and export;
            `0` keeps no average. Defaults to `0`.
        gp_weight: weight of the WGAN-GP gradient penalty
            (`zoo.losses.gradient_penalty`); `0` turns it off. Defaults to `0`.
        r1_gamma: gamma of the R1 penalty on real data
            (`zoo.losses.r1_penalty`); `0` turns it off. Defaults to `0`.
        r2_gamma: gamma of the R2 penalty on generated data
            (`zoo.losses.r2_penalty`); `0` turns it off. Defaults to `0`.
        clip_value: the original WGAN's weight clipping bound
            (`zoo.losses.clip_weights`), only with `loss="wasserstein"` and
            without `gp_weight`; `0` turns it off. Defaults to `0`.
        penalty_every: lazy regularization (StyleGAN2, Karras et al. 2020,
            Section 3.1): the gradient penalties run on every
            `penalty_every`-th discriminator step only, scaled by
            `penalty_every` to keep their strength. Defaults to `1`.
        seed: seed of the generator of training latents and labels; `None`
            draws one. Defaults to `None`.
        name: model name. Defaults to the class name in snake_case.
    """

    # Names of the Mean trackers that `train_step` reports; families that log
    # more (a penalty, a fade-in alpha) extend this tuple.
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake", "d_penalty")

    # `(num_ws, w_dim)` for families whose generator is steered by per-layer
    # styles (StyleGAN): the export then adds `mapping` and `synthesis`.
    style_shape = None

    # Whether training gives the family the dataset's number of classes
    # (`num_classes`) by default: the class-conditional families say so.
    class_conditional = False

    # Type and range of each constructor argument (models/arguments.py);
    # families add theirs, and every family's arguments are checked before its
    # networks are built.
    argument_specs = {
        "generator": arguments.network,
        "discriminator": arguments.network,
        "latent_dim": arguments.positive_int,
        "loss": arguments.one_of(*losses.ADVERSARIAL_LOSSES),
        "num_classes": arguments.non_negative_int,
        "d_steps": arguments.positive_int,
        "ema_decay": arguments.unit_interval,
        "gp_weight": arguments.non_negative_float,
        "r1_gamma": arguments.non_negative_float,
        "r2_gamma": arguments.non_negative_float,
        "clip_value": arguments.non_negative_float,
        "penalty_every": arguments.positive_int,
        "seed": arguments.optional(arguments.seed),
        "name": arguments.optional(arguments.model_name),
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            arguments.require_specs(cls)
            cls.__init__ = arguments.checked_init(cls.__init__, cls)
        if "train_step" in vars(cls):
            cls.train_step = _keying_training_noise(cls.train_step)

    def __init__(
        self,
        generator,
        discriminator,
        /,
        *,
        latent_dim,
        loss="non_saturating",
        num_classes=0,
        d_steps=1,
        ema_decay=0.0,
        gp_weight=0.0,
        r1_gamma=0.0,
        r2_gamma=0.0,
        clip_value=0.0,
        penalty_every=1,
        seed=None,
        name=None,
    ):
        super().__init__(name=name)
        self.d_loss_fn, self.g_loss_fn = losses.get_adversarial_loss(loss)
        # Not `self.loss`: keras.Model.compile owns that attribute.
        self.adversarial_loss = loss
        if num_classes and len(generator.inputs) != 2:
            raise ZooError(f"{type(self).__name__} is unconditional here; leave num_classes at 0")
        _check_regularization(
            type(self).__name__, discriminator, loss, gp_weight, clip_value,
            r1_gamma=r1_gamma, r2_gamma=r2_gamma,
        )  # fmt: skip
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes)
        self.d_steps = int(d_steps)
        self.ema_decay = float(ema_decay)
        self.gp_weight = float(gp_weight)
        self.r1_gamma = float(r1_gamma)
        self.r2_gamma = float(r2_gamma)
        self.clip_value = float(clip_value)
        self.penalty_every = int(penalty_every)
        self.seed = seed
        self.generator = generator
        self.discriminator = discriminator
        self.ema_generator = self._copy_generator() if self.ema_decay else None
        self._sampling_statistics = _SamplingStatistics()
        # Without a seed the run still needs one key for all its draws.
        self.noise = TrainingNoise(random.randrange(2**31) if seed is None else seed)
        self.trackers = {n: keras.metrics.Mean(name=n) for n in self.metric_names}
        # The logged values are the same on every replica (`update_metrics`).
        self.distribute_reduction_method = "first"
        # The networks are built functional models, so the GAN's variables all
        # exist now; Keras needs to know, e.g. to load weights into a fresh one.
        self.built = True

    # ----------------------------------------------------------------- config

    def get_config(self):
        """The constructor arguments; families add their own."""
        return {
            "name": self.name,
            "latent_dim": self.latent_dim,
            "loss": self.adversarial_loss,
            "num_classes": self.num_classes,
            "d_steps": self.d_steps,
            "ema_decay": self.ema_decay,
            "gp_weight": self.gp_weight,
            "r1_gamma": self.r1_gamma,
            "r2_gamma": self.r2_gamma,
            "clip_value": self.clip_value,
            "penalty_every": self.penalty_every,
            "seed": self.seed,
        }

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

    def training_phases(self, batch_size):
        """The phases a run trains in turn; families that grow declare several.

        Args:
            batch_size: the run's `--batch_size`.

        Returns:
            list of `TrainingPhase`, the last with `steps=None`. The default
            is one phase at the dataset's resolution and the run's batch.
        """
        return [TrainingPhase("train", None, None, int(batch_size))]

    def enter_phase(self, phase):
        """Called by the training library before each phase; nothing by default."""

    def progress_summary(self):
        """How far a growing family has grown, for model cards; `{}` by default."""
        return {}

    def progress_pictures(self, latents):
        """Extra pictures of training progress, `{name: images in [-1, 1]}`.

        Sample grids write each beside the samples (ProGAN's fade-in). None
        by default.
        """
        return {}

    def default_optimizers(self):
        """Returns `(d_optimizer, g_optimizer)` used when `compile` gets none.

        Families override this with their paper's settings.
        """
        return keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures the two optimizers.

        Args:
            d_optimizer: optimizer of the discriminator. Defaults to the
                family's `default_optimizers()`.
            g_optimizer: optimizer of the generator. Defaults likewise.
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`).
        """
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
        return {
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
        }

    def compile_from_config(self, config):
        self.compile(
            d_optimizer=_as_optimizer(config["d_optimizer"]),
            g_optimizer=_as_optimizer(config["g_optimizer"]),
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
        """Runs `generator` (default: the trained one) on latents and labels.

        Returns float32 images, also under a mixed-precision policy.
        """
        generator = generator or self.generator
        if self.conditional:
            return to_float32(generator([latents, labels], training=training))
        return to_float32(generator(latents, training=training))

    def discriminate(self, samples, labels=None, training=False):
        """Returns the discriminator's float32 logits, shape `(batch, 1)`."""
        if self.conditional:
            return to_float32(self.discriminator([samples, labels], training=training))
        return to_float32(self.discriminator(samples, training=training))

    @property
    def sampling_generator(self):
        """The generator that samples and exports use: the EMA copy if kept.

        Read eagerly, the EMA copy first gets batch-norm statistics of its own
        (`refresh_sampling_statistics`) if the generator has trained since they
        were last estimated.
        """
        if self.ema_generator is None:
            return self.generator
        if tf.executing_eagerly():
            self.refresh_sampling_statistics()
        return self.ema_generator

    def refresh_sampling_statistics(self):
        """Gives the EMA generator batch-norm statistics of its own activations.

        `update_ema` averages the generator's weights but copies its moving
        statistics, which describe the trained generator's activations: the
        EMA generator would normalize its own with another network's mean and
        variance. This re-estimates each batch-norm layer's mean and variance
        from the EMA generator's activations on `STATISTICS_SAMPLES` fixed
        latents (BigGAN's "standing statistics", Brock et al. 2019), layer by
        layer in inference mode, so each layer's statistics are those of the
        inputs it gets when sampling. Runs once per generator step (reading
        `sampling_generator` calls it); a no-op without EMA or batch norm.

        Reference:
            Brock et al. 2019, https://arxiv.org/abs/1809.11096
        """
        step = self.g_optimizer.iterations if getattr(self, "g_optimizer", None) else None
        step = None if step is None else int(step.numpy())
        if self.ema_generator is None or not self._sampling_statistics.stale(step):
            return
        targets = self._sampling_statistics.targets(self.ema_generator)
        if targets:
            inputs = [seeded_latents(STATISTICS_SEED, STATISTICS_SAMPLES, self.latent_dim)]
            if self.conditional:
                inputs.append(class_labels(STATISTICS_SAMPLES, self.num_classes))
            for norm, probe in targets:
                mean, variance = _moments(probe, inputs)
                norm.moving_mean.assign(mean)
                norm.moving_variance.assign(variance)
        self._sampling_statistics.step = step

    def call(self, inputs, training=False):
        """Maps latents (or `(latents, labels)`) to samples in [-1, 1].

        Uses the EMA generator when the model keeps one: this is what exports
        and `generate` serve.
        """
        latents, labels = (inputs, None) if not self.conditional else inputs
        return self.generate_images(latents, labels, training, self.sampling_generator)

    @property
    def supports_truncation(self):
        """Whether `call` takes `truncation_psi` (StyleGAN's truncation trick)."""
        return "truncation_psi" in inspect.signature(self.call).parameters

    def sampling_options(self, truncation_psi=None, truncation_cutoff=None):
        """The keyword arguments of `call` for a sampling request; `{}` for none.

        Raises:
            ZooError: truncation asked of a family without it.
        """
        options = {}
        if truncation_psi is not None:
            options["truncation_psi"] = float(truncation_psi)
        if truncation_cutoff is not None:
            options["truncation_cutoff"] = int(truncation_cutoff)
        if options and not self.supports_truncation:
            raise ZooError(
                f"{type(self).__name__} has no truncation trick; drop truncation_psi "
                f"(StyleGAN has it)"
            )
        return options

    def generate(
        self, num_samples=None, latents=None, labels=None, seed=None, truncation_psi=None,
        truncation_cutoff=None,
    ):  # fmt: skip
        """Samples images in [-1, 1] as a numpy array.

        Args:
            num_samples: how many samples to draw when `latents` is `None`.
            latents: float array `(n, latent_dim)`; drawn from `seed` if `None`.
            labels: int array `(n,)` for conditional models; defaults to the
                classes in turn (`zoo.latents.class_labels`), so a grid shows
                every class.
            seed: int seed of the latents when `latents` is `None`: they are
                `zoo.latents.seeded_latents(seed, num_samples, latent_dim)`,
                the latents of a training run's sample grids, of the samples
                `evaluate.py` scores and of the export's `generate` for the
                same seed, without touching the training generator's state.
                `None` draws fresh random latents on each call.
            truncation_psi: for families with the truncation trick
                (`supports_truncation`), how far w is pulled towards its
                average: 1 not at all, 0 all the way. `None` leaves the
                family's default.
            truncation_cutoff: truncate only the first layers' styles.

        Example:
            >>> images = gan.generate(16, seed=0)  # (16, H, W, C) in [-1, 1]
        """
        if latents is None:
            if num_samples is None:
                raise ZooError("generate needs num_samples or latents")
            if seed is None:
                latents = keras.random.normal((num_samples, self.latent_dim))
            else:
                latents = seeded_latents(seed, num_samples, self.latent_dim)
        options = self.sampling_options(truncation_psi, truncation_cutoff)
        latents = tf.convert_to_tensor(latents, tf.float32)
        if latents.shape.rank != 2 or latents.shape[-1] != self.latent_dim:
            raise ZooError(
                f"latents must have shape (n, {self.latent_dim}), got {tuple(latents.shape)}"
            )
        if self.conditional:
            if labels is None:
                labels = class_labels(tf.shape(latents)[0], self.num_classes)
            return self((latents, tf.cast(labels, tf.int32)), **options).numpy()
        return self(latents, **options).numpy()

    # ------------------------------------------------------ training helpers

    def split_real_batches(self, data):
        """Splits a training batch into `d_steps` (images, labels) minibatches.

        `data` is images or `(images, labels)`; labels are `None` for
        unconditional models.
        """
        images, labels = data if isinstance(data, (tuple, list)) else (data, None)
        if not self.conditional:
            labels = None
        if self.d_steps == 1:
            return [(images, labels)]
        image_chunks = tf.split(images, self.d_steps)
        label_chunks = (
            tf.split(labels, self.d_steps) if labels is not None else [None] * self.d_steps
        )
        return list(zip(image_chunks, label_chunks, strict=True))

    def begin_discriminator_update(self):
        """Called once before each discriminator update; nothing by default.

        State that must move once per update rather than once per call (the
        power iterations of spectral normalization) moves here.
        """

    def begin_generator_update(self):
        """Called once before each generator update; nothing by default."""

    def minimize(self, optimizer, tape, loss, network):
        """One optimizer step on `network`'s trainable weights.

        `loss` is this replica's mean over its share of the batch. Under
        `tf.distribute` the optimizer sums the replicas' gradients, so each
        is scaled by `1 / replicas`: the step is the global batch's. With a
        `keras.optimizers.LossScaleOptimizer` (float16) the backward pass
        starts from the loss scale, which keeps small gradients from flushing
        to zero, and the optimizer unscales them (and skips the step and
        lowers the scale when they overflow).
        """
        variables = network.trainable_variables
        seed = optimizer.scale_loss(tf.constant(distribute.replica_scale(), tf.float32))
        gradients = tape.gradient(loss, variables, output_gradients=tf.cast(seed, loss.dtype))
        # Blocks a growing network does not use yet get no gradient.
        pairs = [(g, v) for g, v in zip(gradients, variables, strict=True) if g is not None]
        optimizer.apply_gradients(pairs)

    def discriminator_penalty(self, real_images, real_labels, fake_images, fake_labels):
        """The weighted sum of the active gradient penalties; `0.0` if none.

        Call it inside the discriminator's tape: the penalties depend on the
        discriminator's weights through its input gradients. With
        `penalty_every = n > 1` it is `n` times the penalty on every n-th
        discriminator step and `0` on the others.
        """
        if not (self.gp_weight or self.r1_gamma or self.r2_gamma):
            return 0.0
        penalty = lambda: self._weighted_penalties(  # noqa: E731
            real_images, real_labels, fake_images, fake_labels
        )
        if self.penalty_every == 1:
            return penalty()
        due = tf.equal(self.d_optimizer.iterations % self.penalty_every, 0)
        return tf.cond(due, lambda: self.penalty_every * penalty(), lambda: 0.0)

    def _weighted_penalties(self, real_images, real_labels, fake_images, fake_labels):
        def discriminator_fn(labels):
            return lambda samples: self.discriminate(samples, labels, training=True)

        penalty = 0.0
        if self.gp_weight:
            # Labels cannot be interpolated; the real ones follow the data.
            penalty += self.gp_weight * losses.gradient_penalty(
                discriminator_fn(real_labels), real_images, fake_images, self.noise
            )
        if self.r1_gamma:
            penalty += self.r1_gamma * losses.r1_penalty(discriminator_fn(real_labels), real_images)
        if self.r2_gamma:
            penalty += self.r2_gamma * losses.r2_penalty(discriminator_fn(fake_labels), fake_images)
        return penalty

    def discriminator_score(self, logits):
        """The batch mean of D's output as logged: D(x) as a probability for
        the minimax and non-saturating losses, the raw score otherwise."""
        if self.adversarial_loss in _PROBABILITY_LOSSES:
            return tf.reduce_mean(tf.sigmoid(logits))
        return tf.reduce_mean(logits)

    def update_ema(self):
        """Moves `ema_generator` towards the generator (no-op without EMA).

        The decay warms up as `min(ema_decay, (1 + t) / (10 + t))` over the
        generator steps t (the `num_updates` rule of
        `tf.train.ExponentialMovingAverage`), so the average does not drag the
        random initial weights along for thousands of steps.
        """
        if self.ema_generator is None:
            return
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        # Batch-norm statistics are copied, not averaged; sampling replaces them
        # with the EMA generator's own (`refresh_sampling_statistics`).
        distribute.assign_state(
            (average, decay * average + (1.0 - decay) * weight if weight.trainable else weight)
            for average, weight in zip(
                self.ema_generator.weights, self.generator.weights, strict=True
            )
        )

    def _copy_generator(self):
        # A subclassed network (ProGAN's) is cloned through its config.
        copy = keras.models.clone_model(self.generator)
        copy.name = "ema_generator"
        copy.set_weights(self.generator.get_weights())
        copy.trainable = False
        return copy

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras builds a model under tf.distribute by calling it on the first
        # batch, here real images where `call` takes latents, after reducing
        # that batch over the workers, which fails under MultiWorkerMirrored.
        # A GAN's networks are built in __init__: nothing is left to build.
        return

    def update_metrics(self, **values):
        """Updates the named trackers and returns every tracker's mean.

        Under `tf.distribute` the values are first averaged over the replicas
        (one all-reduce), so every replica logs the global batch's values.
        """
        names = list(values)
        averaged = distribute.replica_mean([tf.cast(values[n], tf.float32) for n in names])
        for name, value in zip(names, averaged, strict=True):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


# GAN itself, built directly from two networks, is checked the same way.
GAN.__init__ = arguments.checked_init(GAN.__init__, GAN)


def to_float32(tensor):
    return tf.cast(tensor, tf.float32) if tensor.dtype != tf.float32 else tensor


class _SamplingStatistics:
    """When the EMA generator's batch-norm statistics were last estimated, and how.

    A plain object, so Keras does not track the probe models as layers of the GAN.
    """

    def __init__(self):
        self.step = self._unset = object()
        self._targets = None

    def stale(self, step):
        return self.step is self._unset or step != self.step

    def targets(self, generator):
        """`(batch-norm layer, tf.function of the generator's inputs -> that layer's input)`."""
        if self._targets is None:
            self._targets = [
                (norm, tf.function(keras.Model(generator.inputs, features)))
                for norm, features in layers.batch_norm_inputs(generator)
            ]
        return self._targets


def _moments(probe, inputs):
    """Per-channel mean and variance of `probe`'s output over all of `inputs`, in float64."""
    total = total_squares = 0.0
    count = 0
    for start in range(0, STATISTICS_SAMPLES, _STATISTICS_BATCH):
        batch = [x[start : start + _STATISTICS_BATCH] for x in inputs]
        features = tf.cast(probe(batch if len(batch) > 1 else batch[0]), tf.float64)
        axes = list(range(features.shape.rank - 1))
        total += tf.reduce_sum(features, axes)
        total_squares += tf.reduce_sum(tf.square(features), axes)
        count += features.shape.num_elements() // features.shape[-1]
    mean = total / count
    variance = tf.maximum(total_squares / count - tf.square(mean), 0.0)
    return tf.cast(mean, tf.float32), tf.cast(variance, tf.float32)


def _keying_training_noise(train_step):
    """Wraps a family's `train_step` so its random draws are keyed to the step
    (`zoo.latents.TrainingNoise`): the generator step it starts at."""
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


def _check_regularization(family, discriminator, loss, gp_weight, clip_value, **gammas):
    """Rejects the combinations of penalties that make no sense.

    The weights' types and ranges are checked before (`argument_specs`).
    """
    weights = {"gp_weight": gp_weight, **gammas}
    if clip_value and loss != "wasserstein":
        raise ZooError(
            f"clip_value is the weight clipping of the original WGAN and needs "
            f"loss='wasserstein', got loss={loss!r}; set loss='wasserstein' or clip_value=0"
        )
    if clip_value and gp_weight:
        raise ZooError(
            "clip_value and gp_weight both keep the critic Lipschitz; "
            "use one: gp_weight=0 for weight clipping, or clip_value=0 for the gradient penalty"
        )
    active = [name for name, value in weights.items() if value]
    if active and _has_batch_norm(discriminator):
        # Gulrajani et al. 2017, Section 4: batch norm makes D(x) depend on the
        # whole batch, so per-sample input gradients are no longer D's own.
        raise ZooError(
            f"{', '.join(active)} penalize D's per-sample input gradients, but {family}'s "
            f"discriminator uses batch norm, which mixes the batch's samples; use a family "
            f"without batch norm in the discriminator (e.g. wgan_gp, vanilla_gan)"
        )


def _has_batch_norm(model):
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            return True
        if isinstance(layer, keras.Model) and _has_batch_norm(layer):
            return True
    return False


def _as_optimizer(config):
    if isinstance(config, keras.optimizers.Optimizer):
        return config
    return keras.optimizers.deserialize(config)
