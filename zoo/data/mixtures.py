"""The 2-D mixtures of Gaussians of the mode-collapse studies: `ring8` and `grid25`."""

import numpy as np
import tensorflow as tf

from zoo.core.errors import ZooError


def mixture_means(name):
    """The component means of `ring8` or `grid25`, float32 `(K, 2)`.

    ring8 has 8 distinct means on the unit circle at angles 2*pi*k/8, k < 8
    (no repeated endpoint); grid25 the 25 points of {-4, -2, 0, 2, 4}^2.
    """
    if name == "ring8":
        angles = 2.0 * np.pi * np.arange(8) / 8
        return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    if name == "grid25":
        axis = np.arange(-4.0, 5.0, 2.0)
        return np.array([(x, y) for x in axis for y in axis], dtype=np.float32)
    raise ZooError(f"unknown mixture {name!r}; valid: ring8, grid25")


# Standard deviation of each component (VEEGAN / PacGAN setting).
MIXTURE_STDDEV = {"ring8": 0.01, "grid25": 0.05}


def mixture_batches(name, batch_size, seed):
    """An infinite stream of `(points, component)` batches, a pure function of seed."""
    means = tf.constant(mixture_means(name))
    stddev = MIXTURE_STDDEV[name]

    def draw(index):
        # Batch i uses seed (seed, i): the stream is reproducible and skipping
        # to batch n (on resume) costs nothing.
        # Split keys, not seed + 1: neighbouring seeds must not share draws.
        component_key, noise_key = tf.unstack(
            tf.random.experimental.stateless_split(tf.stack([tf.cast(seed, tf.int64), index]), 2)
        )
        component = tf.random.stateless_uniform(
            [batch_size], component_key, maxval=len(mixture_means(name)), dtype=tf.int32
        )
        noise = tf.random.stateless_normal([batch_size, 2], noise_key, stddev=stddev)
        return tf.gather(means, component) + noise, component

    return tf.data.Dataset.counter().map(draw)
