"""StyleGAN and StyleGAN2: a mapping network, a style-driven synthesis network.

The mapping network turns z into an intermediate latent w; the synthesis
network starts from a learned constant and is steered at every layer by its
own copy of w (one per entry of `ws`, so copies can differ: style mixing),
with noise added per layer. StyleGAN2 (the default) modulates and
demodulates the convolution weights instead of AdaIN, regularizes lazily
(R1 every 16 discriminator steps) and may add path-length regularization.

The generator is the wiring `z -> mapping -> w_avg tracker -> ws -> synthesis`:
one Keras model whose parts the family reaches by name, so the base's EMA
copy, checkpoints and exports need no StyleGAN special case.
"""

import contextlib
import dataclasses
import math

import keras
import tensorflow as tf
from keras import ops

from zoo.core import distribute
from zoo.core.errors import ZooError

from . import arguments, stylegan_networks
from .base import GAN, register_family, split_real_batches, to_float32
from .layers import NoiseInjection


@keras.saving.register_keras_serializable(package="gan_zoo")
class TrackedAverage(keras.layers.Layer):
    """Passes w through and keeps `w_avg`, its running average over generator steps.

    The average is a non-trainable weight of the generator, so the EMA copy,
    checkpoints, `.keras` files and exports carry it. It moves only when the
    family calls `track` (on generator steps), never in `call`.

    Args:
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).
    """

    def build(self, input_shape):
        self.average = self.add_weight(
            shape=(input_shape[-1],), initializer="zeros", trainable=False, name="average"
        )

    def call(self, inputs):
        return inputs

    def track(self, w, beta):
        """`w_avg <- lerp(mean(w), w_avg, beta)`, StyleGAN's w_avg_beta; the mean
        is the global batch's under `tf.distribute`."""
        batch_mean = ops.cast(distribute.replica_mean(ops.mean(w, axis=0)), self.average.dtype)
        distribute.assign_state([(self.average, beta * self.average + (1.0 - beta) * batch_mean)])

    def compute_output_shape(self, input_shape):
        return input_shape


def stylegan_generator(mapping, synthesis, latent_dim, num_ws):
    """`z -> mapping -> w_avg tracker -> ws (num_ws copies) -> synthesis`."""
    latents = keras.Input((latent_dim,), name="latents")
    w = TrackedAverage(name="w_avg")(mapping(latents))
    ws = keras.layers.RepeatVector(num_ws, name="broadcast")(w)  # (B, num_ws, w_dim)
    return keras.Model(latents, synthesis(ws), name="generator")


# How sampling draws the synthesis layers' noise (`StyleGAN.sampling_noise`).
NOISE_MODES = ("const", "random")


@register_family("stylegan")
class StyleGAN(GAN):
    """StyleGAN2 (or StyleGAN with `modulation="adain"`) for square images.

    Defaults follow NVIDIA's 32x32 recipe (stylegan2-ada's `cifar` config)
    scaled down to 2 CPU cores: a 2-layer mapping network, R1 gamma 0.01 every
    16 discriminator steps, no path-length regularization and no style mixing,
    Adam(0.0025, 0, 0.99); far fewer feature maps (64 at 4x4 and 8x8, 16 at
    32x32, where the cifar config has 512: 244 images/s on 2 cores at batch
    64, against 21 with 128 maps up to 16x16), a 128-d z and w, and an EMA
    of 0.999 per step instead of a 500k-image half-life, which a CPU run
    never reaches. The paper's sizes: `latent_dim=512,
    w_dim=512, mapping_layers=8, max_channels=512, channel_base=16384,
    mixing_probability=0.9, pl_weight=2, r1_gamma=10` at 256x256 and up.

    Args:
        image_shape: `(R, R, C)` with `R = 4 * 2^n`, n >= 1. Defaults to `(32, 32, 1)`.
        latent_dim: size of z. Defaults to `128`.
        w_dim: size of w. Defaults to `128`.
        mapping_layers: dense layers of the mapping network. Defaults to `2`.
        mapping_lr_multiplier: learning-rate multiplier of the mapping
            network (equalized LR). Defaults to `0.01`.
        max_channels: most feature maps of any resolution. Defaults to `64`.
        channel_base: feature maps at resolution r are
            `min(max_channels, channel_base / r)`: 64, 64, 32, 16 from 4x4
            to 32x32. Defaults to `512`.
        modulation: `"demodulate"` (StyleGAN2's modulated convolutions) or
            `"adain"` (StyleGAN's). Defaults to `"demodulate"`.
        resampling: `"nearest"` (nearest-neighbour copies and average pooling,
            convolutions at the higher resolution) or `"filtered"` (StyleGAN2's
            transposed and strided convolutions with the [1, 3, 3, 1] low-pass
            filter; `stylegan_networks`). Defaults to `"nearest"`.
        noise_per_channel: each synthesis layer's noise strength per channel,
            or one scalar per layer as NVIDIA's code. Defaults to `True`.
        mixing_probability: share of training batches whose ws switch from
            one z's w to another's at a random layer. Defaults to `0`.
        pl_weight: path-length regularization weight; `0` turns it off.
            Defaults to `0`.
        pl_every: path-length regularization runs every n-th generator step,
            n times as strong. Defaults to `4`.
        pl_decay: decay of the running mean `pl_mean`. Defaults to `0.01`.
        w_avg_beta: decay of the running average of w. Defaults to `0.995`.
        loss: adversarial loss. Defaults to `"non_saturating"`.
        r1_gamma: R1 gamma. Defaults to `0.01`.
        penalty_every: R1 runs every n-th discriminator step. Defaults to `16`.
        ema_decay: generator EMA used for samples and export. Defaults to `0.999`.
        **kwargs: other `GAN` arguments (`seed`, `name`, ...).

    Example:
        >>> gan = zoo.build("stylegan")
        >>> images = gan.generate(16, seed=0, truncation_psi=0.7)

    Reference:
        Karras et al. 2019, https://arxiv.org/abs/1812.04948;
        Karras et al. 2020, https://arxiv.org/abs/1912.04958
    """

    metric_names = GAN.metric_names + ("pl_penalty", "pl_mean")
    argument_specs = {
        "image_shape": arguments.shape,
        "w_dim": arguments.positive_int,
        "mapping_layers": arguments.positive_int,
        "mapping_lr_multiplier": arguments.positive_float,
        "max_channels": arguments.positive_int,
        "channel_base": arguments.positive_int,
        "modulation": arguments.one_of("demodulate", "adain"),
        "resampling": arguments.one_of(*stylegan_networks.RESAMPLINGS),
        "noise_per_channel": arguments.boolean,
        "mixing_probability": arguments.probability,
        "pl_weight": arguments.non_negative_float,
        "pl_every": arguments.positive_int,
        "pl_decay": arguments.unit_interval,
        "w_avg_beta": arguments.unit_interval,
    }

    def __init__(
        self,
        image_shape=(32, 32, 1),
        latent_dim=128,
        w_dim=128,
        mapping_layers=2,
        mapping_lr_multiplier=0.01,
        max_channels=64,
        channel_base=512,
        modulation="demodulate",
        resampling="nearest",
        noise_per_channel=True,
        mixing_probability=0.0,
        pl_weight=0.0,
        pl_every=4,
        pl_decay=0.01,
        w_avg_beta=0.995,
        loss="non_saturating",
        r1_gamma=0.01,
        penalty_every=16,
        ema_decay=0.999,
        **kwargs,
    ):
        image_shape = arguments.square_image_shape("StyleGAN", image_shape)
        arguments.single_discriminator_step("StyleGAN", kwargs)
        channels_at = stylegan_networks.default_channels(max_channels, channel_base)
        self.num_ws = stylegan_networks.num_ws_for(image_shape[0])
        mapping = stylegan_networks.mapping_network(
            latent_dim, w_dim, mapping_layers, mapping_lr_multiplier
        )
        synthesis = stylegan_networks.synthesis_network(
            image_shape, w_dim, channels_at, modulation, resampling=resampling,
            noise_per_channel=noise_per_channel,
        )  # fmt: skip
        discriminator = stylegan_networks.stylegan_discriminator(
            image_shape, channels_at, resampling=resampling
        )
        super().__init__(
            stylegan_generator(mapping, synthesis, latent_dim, self.num_ws),
            discriminator,
            latent_dim=latent_dim, loss=loss, r1_gamma=r1_gamma, penalty_every=penalty_every,
            ema_decay=ema_decay, **kwargs,
        )  # fmt: skip
        self.w_dim = int(w_dim)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.max_channels, self.channel_base = int(max_channels), int(channel_base)
        self.modulation = modulation
        self.resampling = resampling
        self.noise_per_channel = bool(noise_per_channel)
        self.mixing_probability = float(mixing_probability)
        self.pl_weight, self.pl_every = float(pl_weight), int(pl_every)
        self.pl_decay, self.w_avg_beta = float(pl_decay), float(w_avg_beta)
        # Path-length regularization's running mean of |J^T y|: training
        # state, checkpointed with the model (a `.keras` file keeps it too).
        self.pl_mean = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="pl_mean"
        )
        # The training noise of the synthesis layers is the run's, keyed to the step.
        for layer in self.generator._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, NoiseInjection):
                layer.noise_source = self.noise

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "w_dim": self.w_dim,
            "mapping_layers": self.mapping_layers,
            "mapping_lr_multiplier": self.mapping_lr_multiplier,
            "max_channels": self.max_channels,
            "channel_base": self.channel_base,
            "modulation": self.modulation,
            "resampling": self.resampling,
            "noise_per_channel": self.noise_per_channel,
            "mixing_probability": self.mixing_probability,
            "pl_weight": self.pl_weight,
            "pl_every": self.pl_every,
            "pl_decay": self.pl_decay,
            "w_avg_beta": self.w_avg_beta,
        }

    def default_optimizers(self):
        # StyleGAN2 Appendix B: with a regularizer every k steps of a network,
        # its Adam runs at lr * c and betas ** c, c = k / (k + 1), so the
        # lazy schedule matches the per-step one.
        def adam(interval):
            c = interval / (interval + 1) if interval > 1 else 1.0
            return keras.optimizers.Adam(0.0025 * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8)

        lazy_r1 = self.penalties.every if self.penalties.r1_gamma else 1
        lazy_pl = self.pl_every if self.pl_weight else 1
        return adam(lazy_r1), adam(lazy_pl)

    # ------------------------------------------------- the generator's parts

    @property
    def capabilities(self):
        """Per-layer styles `(num_ws, w_dim)`, the truncation trick and noise inputs."""
        return dataclasses.replace(
            super().capabilities, styles=(self.num_ws, self.w_dim), truncation=True,
            noise_inputs=True,
        )  # fmt: skip

    @contextlib.contextmanager
    def sampling_noise(self, mode, seed=0):
        """Within the block, sampling draws the synthesis layers' noise so (`NOISE_MODES`):

        - `"const"`: one noise image per layer, shared by every sample
          (`NoiseInjection`'s buffer), what sampling, exports and grids use;
        - `"random"`: fresh noise per sample and per call, as NVIDIA's metrics
          draw it, from streams keyed to `seed`, so the same calls draw alike.

        Raises:
            ZooError: another mode.
        """
        if mode not in NOISE_MODES:
            raise ZooError(f"noise mode must be one of {', '.join(NOISE_MODES)}, got {mode!r}")
        layers = [
            layer
            for network in (self.generator, self.ema_generator) if network is not None
            for layer in network._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, NoiseInjection)
        ]  # fmt: skip
        saved = [(layer.fresh_noise, layer.seed_generator.state.numpy()) for layer in layers]
        for index, layer in enumerate(layers):
            layer.fresh_noise = mode == "random"
            # Each layer its own stream: [seed, layer], advanced by every draw.
            layer.seed_generator.state.assign(
                ops.cast([seed, index], layer.seed_generator.state.dtype)
            )
        try:
            yield
        finally:
            for layer, (fresh, state) in zip(layers, saved, strict=True):
                layer.fresh_noise = fresh
                layer.seed_generator.state.assign(state)

    def mapping_network(self, generator=None):
        """z -> w of `generator` (default: the trained one)."""
        return (generator or self.generator).get_layer("mapping")

    def synthesis_network(self, generator=None):
        """ws `(B, num_ws, w_dim)` -> images of `generator`."""
        return (generator or self.generator).get_layer("synthesis")

    def w_average(self, generator=None):
        """The running average of w, `(w_dim,)`, that truncation pulls towards."""
        return (generator or self.generator).get_layer("w_avg").average

    def mapping(self, latents, generator=None, training=False):
        """ws `(B, num_ws, w_dim)`: every layer's copy of w = mapping(z)."""
        w = to_float32(self.mapping_network(generator)(latents, training=training))
        return ops.repeat(w[:, None, :], self.num_ws, axis=1)

    def truncate(self, ws, truncation_psi=1.0, truncation_cutoff=None, generator=None):
        """Pulls ws towards `w_avg`: `w_avg + psi (w - w_avg)` on layers below the cutoff.

        Args:
            ws: `(B, num_ws, w_dim)`.
            truncation_psi: 1 leaves ws as they are, 0 gives `w_avg`.
            truncation_cutoff: only the first `cutoff` layers (the coarse
                styles) are truncated; `None` truncates every layer.
        """
        w_avg = ops.cast(self.w_average(generator), ws.dtype)
        truncated = w_avg + ops.cast(truncation_psi, ws.dtype) * (ws - w_avg)
        if truncation_cutoff is None:
            return truncated
        layer = ops.arange(self.num_ws)[None, :, None]
        return ops.where(layer < truncation_cutoff, truncated, ws)

    def synthesize(self, ws, generator=None, training=False):
        """The style interface's second half: per-layer ws `(B, num_ws, w_dim)` -> images.

        The synthesis network's output is linear, as in StyleGAN: the
        discriminator sees it raw in training; samples (`training=False`) are
        clipped to the zoo's [-1, 1]. `generator` defaults to the one the mode
        uses: the trained one in training, `sampling_generator` otherwise.
        """
        generator = self._network(generator, training)
        images = to_float32(self.synthesis_network(generator)(ws, training=training))
        return images if training else ops.clip(images, -1.0, 1.0)

    def styles(
        self, latents, labels=None, truncation_psi=1.0, truncation_cutoff=None, generator=None,
        training=False,
    ):  # fmt: skip
        """The style interface's first half: z -> ws `(B, num_ws, w_dim)`, truncated.

        Sampling, the export's `mapping` and `generate` signatures and every
        drawing compose `synthesize(styles(z, ...))`.

        Args:
            latents: z `(B, latent_dim)`.
            labels: unused (StyleGAN is unconditional here); part of the interface.
            truncation_psi: pulls w towards `w_avg`: 1 leaves it, 0 gives `w_avg`.
            truncation_cutoff: truncate only the first layers (coarse styles).
            generator: whose mapping; defaults to the one the mode uses (the
                trained one in training, `sampling_generator` otherwise).
            training: the mapping network's mode.
        """
        generator = self._network(generator, training)
        ws = self.mapping(latents, generator, training)
        # A tensor psi (the export's) always truncates; psi = 1 is the identity.
        if tf.is_tensor(truncation_psi) or truncation_psi != 1.0 or truncation_cutoff is not None:
            ws = self.truncate(ws, truncation_psi, truncation_cutoff, generator)
        return ws

    def _network(self, generator, training):
        return generator or (self.generator if training else self.sampling_generator)

    def generate_images(
        self, latents, labels=None, training=False, generator=None, truncation_psi=1.0,
        truncation_cutoff=None,
    ):  # fmt: skip
        """z -> ws -> (truncated) ws -> images, with `generator`'s parts (the trained one's)."""
        generator = generator or self.generator
        ws = self.styles(latents, labels, truncation_psi, truncation_cutoff, generator, training)
        return self.synthesize(ws, generator, training)

    def call(self, inputs, training=False, truncation_psi=1.0, truncation_cutoff=None):
        """Samples of the EMA generator; `truncation_psi` pulls w towards `w_avg`."""
        return self.generate_images(
            inputs, None, training, self.sampling_generator, truncation_psi, truncation_cutoff
        )

    # --------------------------------------------------------------- training

    def mix_styles(self, ws, other_ws):
        """Style mixing regularization: with `mixing_probability`, the layers from a
        random crossover on take their w from `other_ws` (one crossover per batch)."""
        if not self.mixing_probability:
            return ws
        draw = self.noise.shared_uniform((2,))
        crossover = ops.cast(draw[1] * (self.num_ws - 1), "int32") + 1  # in [1, num_ws)
        crossover = ops.where(draw[0] < self.mixing_probability, crossover, self.num_ws)
        layer = ops.arange(self.num_ws)[None, :, None]
        return ops.where(layer < crossover, ws, other_ws)

    def _training_styles(self, batch_size):
        """`(w, ws)` of fresh latents: w `(B, w_dim)` for `w_avg`, ws mixed for synthesis."""
        w = to_float32(self.mapping_network()(self.sample_latents(batch_size), training=True))
        ws = ops.repeat(w[:, None, :], self.num_ws, axis=1)
        if self.mixing_probability:
            ws = self.mix_styles(ws, self.mapping(self.sample_latents(batch_size), None, True))
        return w, ws

    def path_lengths(self, count):
        """`|J_w^T y|` of `count` fresh styles, `(count,)`: StyleGAN2's path lengths.

        `y` is image-sized Gaussian noise scaled by `1/sqrt(H W)`, so the
        lengths do not grow with the resolution.
        """
        _, ws = self._training_styles(count)
        with tf.GradientTape() as inner:
            inner.watch(ws)
            images = self.synthesize(ws, training=True)
            height, width = self.image_shape[0], self.image_shape[1]
            noise = self.noise.normal(ops.shape(images))
            noise = noise / math.sqrt(height * width)
            projected = ops.sum(images * ops.cast(noise, images.dtype))
        gradients = ops.cast(inner.gradient(projected, ws), "float32")  # (B, num_ws, w_dim)
        return ops.sqrt(ops.mean(ops.sum(ops.square(gradients), axis=2), axis=1))

    def _next_pl_mean(self, lengths):
        mean_length = distribute.replica_mean(ops.mean(lengths))
        return self.pl_mean + self.pl_decay * (mean_length - self.pl_mean)

    def train_step(self, data):
        ((real_images, _),) = split_real_batches(data, 1, self.conditional)
        batch_size = ops.shape(real_images)[0]

        # Discriminator: non-saturating loss, R1 on reals every `penalty_every` steps.
        fake_images = self.synthesize(self._training_styles(batch_size)[1], training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminate(real_images, training=True)
            fake_logits = self.discriminate(fake_images, training=True)
            d_penalty = self.discriminator_penalty(real_images, None, fake_images, None)
            d_loss = self.d_loss_fn(real_logits, fake_logits) + d_penalty
        distribute.minimize(self.d_optimizer, tape, d_loss, self.discriminator)

        # Generator; w_avg follows the ws of its steps only.
        with tf.GradientTape() as tape:
            w, ws = self._training_styles(batch_size)
            g_loss = self.g_loss_fn(
                self.discriminate(self.synthesize(ws, training=True), training=True)
            )
            g_penalty = self.path_length_penalty(batch_size)
            g_total = g_loss + g_penalty
        distribute.minimize(self.g_optimizer, tape, g_total, self.generator)
        self.generator.get_layer("w_avg").track(w, self.w_avg_beta)
        self.update_ema()

        return self.update_metrics(
            d_loss, g_loss, real_logits, fake_logits, d_penalty, pl_penalty=g_penalty,
            pl_mean=self.pl_mean,
        )  # fmt: skip

    def path_length_penalty(self, batch_size):
        """StyleGAN2's path-length regularizer (Section 3.2), lazily, and the new `pl_mean`.

        `|J_w^T y|` (`path_lengths`) should stay constant: the penalty is its
        squared deviation from the running mean `pl_mean`, on half the batch
        (NVIDIA's `pl_batch_shrink`). It runs on every `pl_every`-th generator
        step, `pl_every * pl_weight` times as strong, and is 0 on the others,
        where `pl_mean` stays.
        """
        if not self.pl_weight:
            return 0.0
        count = ops.maximum(batch_size // 2, 1)
        due = ops.equal(self.g_optimizer.iterations % self.pl_every, 0)
        lengths = tf.cond(due, lambda: self.path_lengths(count), lambda: ops.zeros((count,)))
        # Averaging over replicas and writing pl_mean synchronize the
        # replicas, which tf.distribute allows outside a branch only.
        pl_mean = ops.where(due, self._next_pl_mean(lengths), self.pl_mean)
        distribute.assign_state([(self.pl_mean, pl_mean)])
        penalty = ops.mean(ops.square(lengths - ops.stop_gradient(pl_mean)))
        return ops.where(due, self.pl_every * self.pl_weight * penalty, 0.0)
