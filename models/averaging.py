"""The generator's exponential moving average, and the batch-norm statistics of its own.

A GAN with `ema_decay > 0` keeps `ema_generator`, a copy of the generator whose
weights trail the trained ones (Karras et al. 2018; Yazici et al. 2019); it is
what samples, evaluation and exports use. Averaging weights does not give
averaged batch-norm statistics, so the copy's are re-estimated from its own
activations before it samples (BigGAN's "standing statistics").
"""

import keras
import tensorflow as tf

from zoo.core import distribute
from zoo.core.latents import class_labels, seeded_latents

from . import layers

# The draw that re-estimates the EMA generator's batch-norm statistics: fixed,
# so a model saved and loaded again samples the same images.
STATISTICS_SEED = 20190928
STATISTICS_SAMPLES = 4096
_STATISTICS_BATCH = 512


def copy_generator(generator):
    """A frozen copy of `generator` (same weights), named `ema_generator`."""
    # A subclassed network (ProGAN's) is cloned through its config.
    copy = keras.models.clone_model(generator)
    copy.name = "ema_generator"
    copy.set_weights(generator.get_weights())
    copy.trainable = False
    return copy


def update_average(average, network, decay, step):
    """Moves `average`'s weights towards `network`'s.

    The decay warms up as `min(decay, (1 + t) / (10 + t))` over the steps t
    (the `num_updates` rule of `tf.train.ExponentialMovingAverage`), so the
    average does not drag the random initial weights along for thousands of
    steps. Non-trainable weights (batch-norm statistics) are copied, not
    averaged; `StandingStatistics` replaces them before sampling.
    """
    step = tf.cast(step, tf.float32)
    decay = tf.minimum(decay, (1.0 + step) / (10.0 + step))
    distribute.assign_state(
        (mean, decay * mean + (1.0 - decay) * weight if weight.trainable else weight)
        for mean, weight in zip(average.weights, network.weights, strict=True)
    )


class StandingStatistics:
    """Re-estimates the EMA generator's batch-norm statistics from its own activations.

    Each batch-norm layer's mean and variance come from the generator's
    activations on `STATISTICS_SAMPLES` fixed latents, layer by layer in
    inference mode, so each layer gets the statistics of the inputs it sees
    when sampling (Brock et al. 2019, https://arxiv.org/abs/1809.11096). A
    plain object, so Keras does not track the probe models as layers of the GAN.

    Args:
        latent_dim: size of the generator's latents.
        num_classes: its classes (`0`: unconditional).
    """

    def __init__(self, latent_dim, num_classes):
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.step = self._unset = object()
        self._probes = None

    def stale(self, step):
        """Whether the statistics were last estimated at another step."""
        return self.step is self._unset or step != self.step

    def refresh(self, generator, step):
        """Estimates the statistics of `generator` for `step` (a no-op if fresh)."""
        if not self.stale(step):
            return
        probes = self._targets(generator)
        if probes:
            inputs = [seeded_latents(STATISTICS_SEED, STATISTICS_SAMPLES, self.latent_dim)]
            if self.num_classes:
                inputs.append(class_labels(STATISTICS_SAMPLES, self.num_classes))
            for norm, probe in probes:
                mean, variance = moments(probe, inputs)
                norm.moving_mean.assign(mean)
                norm.moving_variance.assign(variance)
        self.step = step

    def _targets(self, generator):
        """`(batch-norm layer, tf.function of the generator's inputs -> that layer's input)`."""
        if self._probes is None:
            self._probes = [
                (norm, tf.function(keras.Model(generator.inputs, features)))
                for norm, features in layers.batch_norm_inputs(generator)
            ]
        return self._probes


def moments(probe, inputs):
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
