"""Latent-space helpers shared by the Keras side and the serving export.

`seeded_latents` is the one map from `(seed, count)` to latents: the noise of
`GAN.generate(seed=...)`, of a training run's sample grids, of the samples
`evaluate.py` scores and of the exported `generate` signature. `class_labels`
gives conditional models their labels, the classes in turn. `slerp` is the
path of the `interpolate` signature. The export traces these very functions,
so a Keras-side call with the same arguments gives the latents (and, through
the model, the images) that a server returns. `attribute_direction` is the
latent arithmetic of `generate.py --mode=attribute`.
"""

import threading

import numpy as np
import tensorflow as tf

from zoo.core import distribute
from zoo.core.errors import ZooError

# |cos(omega)| above which slerp falls back to a straight line (about 1.8 degrees).
_PARALLEL_COSINE = 0.9995


def seeded_latents(seed, num_samples, latent_dim):
    """Draws `num_samples` latents z ~ N(0, I) as a pure function of `seed`.

    Every seeded sample of the zoo comes from here: `GAN.generate(n, seed=s)`,
    a training run's sample grids (`seed=config.seed`), the samples
    `evaluate.py --seed=s` scores (`zoo.metrics.generated_batches`) and the
    exported `generate` signature, which traces this function. The generator
    is stateless (`tf.random.stateless_normal`, Philox, key `[seed, 0]`), so a
    server needs no state and a seed means the same latents in every process.

    A longer draw extends a shorter one: the first `n` rows of
    `seeded_latents(s, N, d)` are `seeded_latents(s, n, d)`. So a grid of `n`
    samples shows the first `n` samples that were scored for the same seed.

    Args:
        seed: int seed (int64 range).
        num_samples: number of latents.
        latent_dim: size of each latent.

    Returns:
        float32 tensor `(num_samples, latent_dim)`.

    Example:
        >>> z = seeded_latents(3, 16, gan.latent_dim)
        >>> images = gan(z)  # = gan.generate(16, seed=3), and the export's generate(seed=3, ...)
    """
    key = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    # Philox is counter based: each block of four values of the flat output
    # comes from its own counter, whatever the shape, hence the prefix
    # property. "auto_select" may pick another algorithm on another device
    # (ThreeFry on TPUs); pinned, a server draws what Keras draws.
    return tf.random.stateless_normal(
        tf.stack([num_samples, latent_dim]), seed=key, dtype=tf.float32, alg="philox"
    )


# Draws one training step may make; a step's key is `step * _DRAWS_PER_STEP + draw`.
_DRAWS_PER_STEP = 2**16


class TrainingNoise:
    """The random draws of training: latents, labels, penalty weights, image noise.

    Each draw is a pure function of `(seed, step, draw)`: the generator step
    the training step starts at, and the draw's place among the step's draws
    (counted when the step is traced, so the same code draws the same numbers).
    Nothing is stateful, so:

    - a resumed run draws what a straight run draws, with no noise state in
      its checkpoints;
    - under `tf.distribute` a replica draws the rows of the global batch and
      keeps its own share (`zoo.core.distribute.replica_slice`): replicas get
      different latents, and a run on `N` replicas draws the numbers a run on
      one device draws (keras-team/keras#20611: a `keras.random.SeedGenerator`
      cannot be advanced inside a replica, and each replica would draw alike).

    `GAN` calls `start_step` at the start of every `train_step` and `end_step`
    at its end. Draws outside a training step (a test calling
    `sample_latents`) take keys of their own, new at each call.

    Args:
        seed: int seed of the run.

    Example:
        >>> noise = TrainingNoise(seed=0)
        >>> noise.start_step(optimizer.iterations)
        >>> z = noise.normal((batch_size, latent_dim))  # this replica's rows
    """

    def __init__(self, seed):
        self.seed = int(seed)
        # MirroredStrategy traces each replica's step in a thread of its own:
        # each thread counts its own draws.
        self._trace = threading.local()
        self._draws_outside = 0

    def start_step(self, step):
        """Keys the draws that follow to the training step `step` (a tensor)."""
        self._trace.step = tf.cast(step, tf.int64)
        self._trace.draws = 0

    def end_step(self):
        """Ends the step's keys; later draws are outside training."""
        self._trace.step = None

    def _next_key(self):
        step = getattr(self._trace, "step", None)
        if step is None:
            # Negative counters never meet a training step's.
            self._draws_outside += 1
            counter = tf.constant(-self._draws_outside, tf.int64)
        else:
            draw = self._trace.draws
            self._trace.draws += 1
            if draw >= _DRAWS_PER_STEP:
                raise ZooError(f"a training step drew more than {_DRAWS_PER_STEP} random tensors")
            counter = step * _DRAWS_PER_STEP + draw
        return tf.stack([tf.constant(self.seed, tf.int64), counter])

    def _per_replica(self, draw_fn, shape):
        """`draw_fn(global_shape, key)` for all replicas' rows, sliced to this replica's."""
        key = self._next_key()
        rows = shape[0]
        global_shape = tf.stack([rows * distribute.num_replicas(), *shape[1:]])
        return distribute.replica_slice(draw_fn(global_shape, key), rows)

    def normal(self, shape, dtype="float32"):
        """Standard normal draws of `shape` (first axis: this replica's batch)."""
        return self._per_replica(
            lambda s, key: tf.random.stateless_normal(s, key, dtype=dtype, alg="philox"), shape
        )

    def uniform(self, shape, dtype="float32"):
        """Uniform draws in [0, 1) of `shape` (first axis: this replica's batch)."""
        return self._per_replica(
            lambda s, key: tf.random.stateless_uniform(s, key, dtype=dtype, alg="philox"), shape
        )

    def integers(self, shape, maxval):
        """Uniform int32 draws in [0, maxval) of `shape` (first axis: the batch)."""
        return self._per_replica(
            lambda s, key: tf.random.stateless_uniform(
                s, key, minval=0, maxval=maxval, dtype=tf.int32, alg="philox"
            ),
            shape,
        )

    def shared_uniform(self, shape):
        """Uniform draws in [0, 1) that every replica shares (one per step, not per sample)."""
        return tf.random.stateless_uniform(shape, self._next_key(), alg="philox")


def class_labels(num_samples, num_classes):
    """The labels of seeded samples of a conditional model: the classes in turn.

    Sample `i` gets class `i % num_classes`, so a grid shows every class and a
    scored set holds them equally.

    Args:
        num_samples: number of labels.
        num_classes: number of classes, at least 1.

    Returns:
        int32 tensor `(num_samples,)`.
    """
    return tf.range(num_samples, dtype=tf.int32) % num_classes


def slerp(start, end, t):
    """Spherical linear interpolation between two latents.

    Gaussian latents of high dimension concentrate near a sphere; a straight
    line between two of them passes through the low-norm interior, which the
    generator rarely saw in training. Slerp follows the great circle instead
    (Shoemake 1985, applied to GAN latents by White 2016). Nearly parallel or
    opposite latents, where the circle is ill-defined, fall back to a straight line.

    Args:
        start: float tensor `(latent_dim,)`, the latent at `t = 0`.
        end: float tensor `(latent_dim,)`, the latent at `t = 1`.
        t: float tensor `(num_steps,)` of positions, usually in [0, 1].

    Returns:
        float32 tensor `(num_steps, latent_dim)`.

    Reference:
        White 2016, "Sampling Generative Networks", https://arxiv.org/abs/1609.04468
    """
    start = tf.convert_to_tensor(start, tf.float32)
    end = tf.convert_to_tensor(end, tf.float32)
    t = tf.convert_to_tensor(t, tf.float32)[:, tf.newaxis]  # (S, 1)
    cosine = tf.reduce_sum(tf.math.l2_normalize(start) * tf.math.l2_normalize(end))
    # Within a few hundredths of a radian of parallel or opposite, float32
    # rounding of the cosine dominates sin(omega) (an error of 6e-8 in the
    # cosine is 3e-4 in the angle) and the weights blow up. Near parallel the
    # arc and the chord coincide; near opposite no great circle is preferred.
    degenerate = tf.abs(cosine) > _PARALLEL_COSINE
    omega = tf.acos(tf.clip_by_value(cosine, -1.0, 1.0))
    sine = tf.where(degenerate, 1.0, tf.sin(omega))
    start_weight = tf.where(degenerate, 1.0 - t, tf.sin((1.0 - t) * omega) / sine)
    end_weight = tf.where(degenerate, t, tf.sin(t * omega) / sine)
    return start_weight * start[tf.newaxis] + end_weight * end[tf.newaxis]


def interpolation_path(start, end, num_steps):
    """`num_steps` latents along the slerp from `start` to `end`, both included.

    Returns:
        float32 tensor `(num_steps, latent_dim)`.
    """
    return slerp(start, end, tf.linspace(0.0, 1.0, num_steps))


def attribute_direction(latents, predicted, from_class, to_class, min_count=5, class_names=None):
    """The latent arithmetic of the lectures: the mean latent of one class minus another's.

    Samples are drawn, a classifier names each one's class, and the latents
    (z, or w for style-based families) of the samples of each class are
    averaged. Walking a latent along `mean(to_class) - mean(from_class)`
    turns what it draws from the one towards the other (Radford et al. 2015,
    Section 6.3, with classes instead of hand-picked samples).

    Args:
        latents: float `(N, latent_dim)`, the latents of the samples.
        predicted: int `(N,)`, the class the classifier gave each sample.
        from_class: int class the direction starts from.
        to_class: int class the direction leads to.
        min_count: fewest samples a class needs for its mean. Defaults to `5`.
        class_names: names of the classes for the error message; `None`
            names them by index.

    Returns:
        numpy float32 `(latent_dim,)`.

    Raises:
        ZooError: a class with fewer than `min_count` samples.

    Reference:
        Radford et al. 2015, https://arxiv.org/abs/1511.06434
    """
    latents = np.asarray(latents, np.float32)
    predicted = np.asarray(predicted).reshape(-1)
    if latents.ndim != 2 or len(latents) != len(predicted):
        raise ZooError(
            f"latents (N, latent_dim) and predicted (N,) must match, got {latents.shape} "
            f"and {predicted.shape}"
        )
    means = []
    for cls in (from_class, to_class):
        members = predicted == cls
        count = int(members.sum())
        if count < min_count:
            name = class_names[cls] if class_names is not None else f"class {cls}"
            raise ZooError(
                f"only {count} of the {len(predicted)} samples were classified as {name}, "
                f"fewer than {min_count}: draw a larger pool or pick another class"
            )
        means.append(latents[members].mean(axis=0))
    return (means[1] - means[0]).astype(np.float32)


def crossed_styles(row_ws, col_ws, crossover):
    """The ws of a style-mixing table: coarse styles from the rows, fine from the columns.

    Entry `r * C + c` takes the layers before `crossover` (the coarse
    resolutions: pose, shape) from `row_ws[r]` and the rest (the fine ones:
    texture, colour) from `col_ws[c]`, as in the style-mixing figure of
    StyleGAN (Karras et al. 2019, Figure 3).

    Args:
        row_ws: float `(R, num_ws, w_dim)`.
        col_ws: float `(C, num_ws, w_dim)`.
        crossover: the first layer taken from the columns, in `[1, num_ws)`.

    Returns:
        float32 tensor `(R * C, num_ws, w_dim)`, row-major.

    Raises:
        ZooError: a crossover outside `[1, num_ws)`.
    """
    row_ws = tf.convert_to_tensor(row_ws, tf.float32)
    col_ws = tf.convert_to_tensor(col_ws, tf.float32)
    num_rows, num_ws = row_ws.shape[0], row_ws.shape[1]
    num_cols = col_ws.shape[0]
    if not 1 <= int(crossover) < num_ws:
        raise ZooError(f"crossover must be in [1, {num_ws}), got {crossover}")
    coarse = tf.repeat(row_ws[:, :crossover], num_cols, axis=0)  # entry r * C + c: row r
    fine = tf.tile(col_ws[:, crossover:], [num_rows, 1, 1])  # entry r * C + c: column c
    return tf.concat([coarse, fine], axis=1)
