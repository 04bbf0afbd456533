"""Batch normalization, plain and class-conditional, synchronized under a strategy."""

import keras
import tensorflow as tf
from keras import ops

from zoo.core.errors import ZooError

from .checks import require_positive


def batch_normalization(**kwargs):
    """`keras.layers.BatchNormalization`, synchronized across replicas under a strategy.

    Built inside a `tf.distribute` scope, the batch statistics are the global
    batch's (an all-reduce per layer), so a step on `N` replicas normalizes as
    one device would; outside a scope the layer is the plain one and pays
    nothing for it.

    Args:
        **kwargs: `keras.layers.BatchNormalization` arguments.
    """
    return keras.layers.BatchNormalization(synchronized=tf.distribute.has_strategy(), **kwargs)


@keras.saving.register_keras_serializable(package="gan_zoo")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization whose gain and bias are chosen by a class label.

    Called as `layer([x, labels])` with `x` of shape `(B, ..., C)` and integer
    `labels` of shape `(B,)`. `x` goes through a `keras.layers.BatchNormalization`
    without its own affine (`center=False, scale=False`), so batch statistics in
    training and moving statistics in inference are exactly Keras's, and is
    then scaled and shifted per channel by the rows of a `(num_classes, C)` gain
    (initialised to 1) and bias (initialised to 0) that its label picks. This
    is how SAGAN's and BigGAN's generators condition every block on the class
    (de Vries et al. 2017; Miyato & Koyama 2018).

    Args:
        num_classes: number of labels, `0 .. num_classes - 1`.
        momentum: momentum of the moving statistics. Defaults to `0.99`.
        epsilon: added to the variance. Defaults to `1e-5`, as the papers'
            PyTorch batch norm.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Example:
        >>> x = ConditionalBatchNormalization(10)([x, labels], training=True)

    Reference:
        de Vries et al. 2017, https://arxiv.org/abs/1707.00683;
        Zhang et al. 2018 (SAGAN), https://arxiv.org/abs/1805.08318 (Section 5).
    """

    def __init__(self, num_classes, momentum=0.99, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        require_positive("ConditionalBatchNormalization", "num_classes", num_classes)
        require_positive("ConditionalBatchNormalization", "epsilon", epsilon)
        if not 0 <= momentum <= 1:
            raise ZooError(
                f"ConditionalBatchNormalization needs 0 <= momentum <= 1, got momentum={momentum!r}"
            )
        self.num_classes = int(num_classes)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        features_shape = input_shape[0]
        channels = int(features_shape[-1])
        self.batch_norm = batch_normalization(
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=False,
            scale=False,
            name="batch_norm",
        )
        self.batch_norm.build(features_shape)
        self.gain = self.add_weight(
            shape=(self.num_classes, channels), initializer="ones", name="gain"
        )
        self.bias = self.add_weight(
            shape=(self.num_classes, channels), initializer="zeros", name="bias"
        )

    def call(self, inputs, training=None):
        features, labels = inputs
        normalized = self.batch_norm(features, training=training)
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        # (B, C) rows broadcast over the spatial axes of a (B, H, W, C) input.
        per_sample = (-1,) + (1,) * (len(features.shape) - 2) + (normalized.shape[-1],)
        gain = ops.reshape(ops.take(self.gain, labels, axis=0), per_sample)
        bias = ops.reshape(ops.take(self.bias, labels, axis=0), per_sample)
        return normalized * ops.cast(gain, normalized.dtype) + ops.cast(bias, normalized.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }


def batch_norm_inputs(model):
    """The batch-norm layers of a functional model, each with the tensor it normalizes.

    A `keras.layers.BatchNormalization` normalizes its input; a
    `ConditionalBatchNormalization` its first input, through its inner batch
    norm. Used to re-estimate a generator's statistics from its own
    activations (`GAN.refresh_sampling_statistics`).

    Returns:
        list of `(BatchNormalization layer, symbolic tensor)`, in graph order.
    """
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append((layer, layer.input))
        elif isinstance(layer, ConditionalBatchNormalization):
            found.append((layer.batch_norm, layer.input[0]))
    return found
