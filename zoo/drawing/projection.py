"""Projection: the latent whose sample is closest to a given image (GAN inversion).

`project(model, targets)` optimizes one latent per target image, in the manner
of NVIDIA's stylegan2-ada `projector.py` (Karras et al. 2020, Section 5): it
starts at the average latent, takes Adam steps on a distance between the
latent's sample and the target, adds Gaussian noise to the latent that fades
out over the first three quarters of the steps (early steps explore, late ones
settle), and ramps the learning rate up over the first 5% of the steps and
down, along half a cosine, over the last 25%.

The choices, each visible in a constant or an argument below:

- **Latent space.** Style-based families (`capabilities.styles`) are projected
  in w, from the mean of the mapping's outputs over 10,000 z: one w shared by
  every layer, or, with `per_layer=True`, one w per layer (w+, Abdal et al.
  2019), which reaches more images but leaves the space the generator was
  trained to draw from. Other families are projected in z, from z = 0, the
  mode of N(0, I).
- **StyleGAN's noise inputs are fixed.** The per-layer noise is the constant
  buffer that sampling uses (`NoiseInjection` outside training, NVIDIA's
  `noise_mode='const'`). stylegan2-ada also optimizes the noise buffers, with
  a regularizer that keeps them Gaussian; at the zoo's 32x32 they hold little
  that the styles cannot, and a projection that is a latent alone is redrawn
  exactly by anything that samples the model (`generate.py --from_latent`).
- **Latent noise.** Its standard deviation is `0.05 * spread * max(0, 1 -
  t / 0.75)^2` at the fraction `t` of the steps; `spread` is the latents'
  root-mean-square distance from their mean (stylegan2-ada's `w_std`),
  estimated from the same 10,000 w, and `sqrt(latent_dim)` for z ~ N(0, I).
- **Distance.** The mean squared pixel error plus `perceptual_weight` times
  `PerceptualDistance`: LPIPS's recipe (Zhang et al. 2018) on the
  convolutional features of the zoo's Fashion-MNIST classifier instead of
  VGG's, without learned weights.
- **Classes.** A conditional model draws each target with the label given.
  Without one, each target is projected with every class for the first
  `class_search` of the steps; the class whose sample is then closest goes
  on, with its latent and Adam's moments, through the rest of the schedule.

Every random draw is a pure function of `seed` and the step, so the same call
finds the same latents.

    >>> target = gan.generate(1, seed=7)
    >>> (found,) = zoo.drawing.projection.project(gan, target, steps=500)
    >>> found.latent, found.pixel_distance

Targets and saved latents are files (`zoo.drawing.projection_files`);
`interpolation_from_latent` walks from a saved projection to a seed's sample.

Reference:
    Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958 (Section 5);
    Abdal et al. 2019 (Image2StyleGAN), https://arxiv.org/abs/1904.03189;
    Zhang et al. 2018 (LPIPS), https://arxiv.org/abs/1801.03924;
    Kingma & Ba 2015 (Adam), https://arxiv.org/abs/1412.6980
"""

import collections
import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf

from zoo.core import latents
from zoo.core.errors import ZooError
from zoo.drawing import drawings

# z whose mapping gives the style space's mean and spread (stylegan2-ada's w_avg_samples).
NUM_STATISTICS_SAMPLES = 10_000
# z per forward pass of the mapping network while estimating them.
STATISTICS_BATCH = 1000
INITIAL_LEARNING_RATE = 0.1
# Fractions of the steps over which the learning rate ramps up (linearly) and down (half a cosine).
LEARNING_RATE_RAMPUP = 0.05
LEARNING_RATE_RAMPDOWN = 0.25
# The latent noise starts at this fraction of the latents' spread and is gone after
# NOISE_RAMP of the steps.
INITIAL_NOISE_FACTOR = 0.05
NOISE_RAMP = 0.75
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8
PERCEPTUAL_WEIGHT = 1.0
CLASS_SEARCH = 0.2
NUM_SNAPSHOTS = 8
# The image shapes `ClassifierExtractor.preprocess` takes as they are (32x32: center-cropped).
_EXTRACTOR_SHAPES = ((28, 28, 1), (32, 32, 1))


@dataclasses.dataclass(frozen=True)
class Projection:
    """One target's projection.

    Attributes:
        latent: float32 numpy: z `(latent_dim,)`; for style-based families w
            `(w_dim,)`, or per-layer ws `(num_ws, w_dim)` (space `"w+"`).
        space: `"z"`, `"w"` or `"w+"`.
        label: the class the sample is drawn with (given or searched); `None`
            for unconditional models.
        image: float32 `(H, W, C)` in [-1, 1], the latent's sample.
        snapshots: float32 `(S, H, W, C)`: the sample at evenly spaced steps,
            the start first and `image` last.
        pixel_distance: mean squared error between `image` and the target.
        perceptual_distance: `PerceptualDistance` between them.
    """

    latent: np.ndarray
    space: str
    label: int | None
    image: np.ndarray
    snapshots: np.ndarray
    pixel_distance: float
    perceptual_distance: float


# The optimizer's state travels with the latents, so a class search can keep the
# winner's moments by indexing (a Keras optimizer holds them in variables of one shape).
AdamState = collections.namedtuple("AdamState", ["latent", "m", "v"])

# The batch being optimized: each target once, or once per class (target-major) while a
# conditional model's class is searched.
_Candidates = collections.namedtuple("_Candidates", ["targets", "labels", "per_target"])


# ----------------------------------------------------------------- schedules


def learning_rate_at(t, initial=INITIAL_LEARNING_RATE, rampup=LEARNING_RATE_RAMPUP,
                     rampdown=LEARNING_RATE_RAMPDOWN):  # fmt: skip
    """The learning rate at the fraction `t` of the steps.

    It rises linearly from 0 over the first `rampup` of the steps and falls
    to 0 along half a cosine over the last `rampdown` (stylegan2-ada's
    projector schedule): the ramp-up keeps Adam's first, poorly estimated
    steps short; the ramp-down lets the latent settle once the noise is gone.

    Args:
        t: float in [0, 1].
        initial: the peak learning rate. Defaults to `0.1`.
        rampup: fraction of the steps of the rise. Defaults to `0.05`.
        rampdown: fraction of the steps of the fall. Defaults to `0.25`.
    """
    rise = min(1.0, t / rampup) if rampup else 1.0
    fall = min(1.0, max(0.0, 1.0 - t) / rampdown) if rampdown else 1.0
    return initial * rise * 0.5 * (1.0 - math.cos(math.pi * fall))


def noise_scale_at(t, spread, factor=INITIAL_NOISE_FACTOR, ramp=NOISE_RAMP):
    """The standard deviation of the latent noise at the fraction `t` of the steps.

    `factor * spread` at the start, falling quadratically to 0 at `t = ramp`
    and 0 after it: the last steps optimize the latent itself.

    Args:
        t: float in [0, 1].
        spread: the latents' root-mean-square distance from their mean
            (`latent_statistics`).
        factor: the start as a fraction of `spread`. Defaults to `0.05`.
        ramp: fraction of the steps the noise lasts. Defaults to `0.75`.
    """
    return spread * factor * max(0.0, 1.0 - t / ramp) ** 2


# ----------------------------------------------------------------- distances


def pixel_distance(images, targets):
    """Mean squared error per image, in [-1, 1] units: `(B,)` float32."""
    difference = tf.cast(images, tf.float32) - tf.cast(targets, tf.float32)
    return tf.reduce_mean(tf.square(difference), axis=[1, 2, 3])


class PerceptualDistance:
    """LPIPS's distance (Zhang et al. 2018) on the zoo's Fashion-MNIST classifier.

    Both images go through the classifier's convolution blocks; the outputs
    read are their ReLUs (28x28x32, 14x14x64 and 14x14x64 for the shipped
    classifier). At each position the feature vector is scaled to unit length
    over the channels, which makes a layer's contribution independent of its
    activations' scale; the distance is the squared difference summed over
    channels, averaged over positions, summed over the layers: 0 for equal
    images, at most 4 per layer. LPIPS learns a weight per channel on top;
    here every channel counts alike.

    Images reach the classifier as the evaluation extractor brings them
    (32x32 center-cropped to 28x28); other sizes are resized to its 28x28
    (bilinear, antialiased) and RGB becomes luma, so any image model can be
    projected, with features of garments that may not be its domain. Every
    step is differentiable.

    Args:
        extractor: a `zoo.metrics.extractors.ClassifierExtractor`. Defaults to
            the shipped classifier.

    Raises:
        ZooError: a classifier without convolutional ReLU outputs, or images
            with other than 1 or 3 channels.

    Example:
        >>> distance = PerceptualDistance()
        >>> distance(images, targets)  # (B,) float32

    Reference:
        Zhang et al. 2018, https://arxiv.org/abs/1801.03924
    """

    def __init__(self, extractor=None):
        from zoo.metrics import extractors  # Heavy, and zoo.metrics draws with this package.

        self.extractor = extractor or extractors.ClassifierExtractor()
        classifier = self.extractor.model
        conv_outputs = [
            layer.output for layer in classifier.layers
            if isinstance(layer, keras.layers.ReLU) and len(layer.output.shape) == 4
        ]  # fmt: skip
        if not conv_outputs:
            raise ZooError(f"{self.extractor.name} has no convolutional ReLU layers to compare")
        self.network = keras.Model(classifier.inputs, conv_outputs)
        self.input_shape = tuple(classifier.inputs[0].shape[1:])  # (28, 28, 1) for the shipped one

    def classifier_view(self, images):
        """Images `(B, H, W, C)` in [-1, 1] as the classifier takes them."""
        images = tf.convert_to_tensor(images, tf.float32)
        if images.shape[-1] == 3:
            images = tf.image.rgb_to_grayscale(images)
        if images.shape[-1] != 1:
            raise ZooError(
                f"the perceptual distance takes 1- or 3-channel images, got {tuple(images.shape)}"
            )
        if tuple(images.shape[1:]) in _EXTRACTOR_SHAPES:
            return self.extractor.preprocess(images)
        return tf.image.resize(images, self.input_shape[:2], antialias=True)

    def features(self, images):
        """Each conv block's features, unit length over channels: a list of `(B, h, w, c)`."""
        outputs = tf.nest.flatten(self.network(self.classifier_view(images), training=False))
        # l2_normalize scales by rsqrt(max(sum of squares, epsilon)): a position where
        # every ReLU is 0 stays 0, with finite gradients (x / |x| has none there).
        return [tf.math.l2_normalize(tf.cast(x, tf.float32), axis=-1) for x in outputs]

    def __call__(self, images, targets):
        """`(B,)` float32 distances between `images` and `targets`, both `(B, H, W, C)`."""
        count = tf.shape(images)[0]
        # One pass over both: half the calls of the network.
        both = tf.concat([tf.cast(images, tf.float32), tf.cast(targets, tf.float32)], axis=0)
        per_layer = [
            tf.reduce_mean(tf.reduce_sum(tf.square(x[:count] - x[count:]), axis=-1), axis=[1, 2])
            for x in self.features(both)
        ]
        return tf.add_n(per_layer)


# ---------------------------------------------------------------- projection


def latent_space(model, per_layer=False):
    """The space a projection of `model` moves in: `"w"` or `"w+"` (style-based), else `"z"`.

    Raises:
        ZooError: `per_layer` for a model without per-layer styles.
    """
    if model.capabilities.styles is not None:
        return "w+" if per_layer else "w"
    if per_layer:
        raise ZooError(
            f"{type(model).__name__} has no per-layer styles: per-layer w is for style-based "
            f"families (StyleGAN)"
        )
    return "z"


def latent_statistics(model, space, seed=0, num_samples=NUM_STATISTICS_SAMPLES):
    """Where a projection starts and how far its noise reaches: `(mean, spread)`.

    The spread is the root-mean-square distance of a latent from the mean
    (stylegan2-ada's `w_std`). For z ~ N(0, I) both are known: 0 and
    `sqrt(latent_dim)`. For w they are estimated from the mapping of
    `num_samples` z of `seed`, through the sampling generator. (StyleGAN's
    tracked `w_avg` would do for the mean, but the spread needs the samples,
    and a short run's tracked average still lags behind its mapping.)

    Args:
        model: the GAN.
        space: `latent_space(model, ...)`.
        seed: seed of the z. Defaults to `0`.
        num_samples: z mapped. Defaults to `10000`.

    Returns:
        `(mean, spread)`: float32 numpy `(dim,)` and a float.
    """
    if space == "z":
        return np.zeros(model.latent_dim, np.float32), math.sqrt(model.latent_dim)
    z = latents.seeded_latents(seed, num_samples, model.latent_dim)
    # Every layer holds the same w: the first is w.
    w = np.concatenate([
        np.asarray(model.styles(z[start : start + STATISTICS_BATCH])[:, 0])
        for start in range(0, num_samples, STATISTICS_BATCH)
    ])  # fmt: skip
    mean = w.mean(axis=0)
    spread = float(np.sqrt(np.mean(np.sum(np.square(w - mean), axis=1))))
    return mean.astype(np.float32), spread


def project(model, targets, *, steps=1000, per_layer=False, labels=None, seed=0,
            perceptual_weight=PERCEPTUAL_WEIGHT, class_search=CLASS_SEARCH,
            num_snapshots=NUM_SNAPSHOTS, distance=None, progress=None):  # fmt: skip
    """Finds, for each target image, the latent whose sample is closest to it.

    The method and its choices are in the module docstring. All targets are
    optimized together, as one batch of independent latents.

    Args:
        model: a GAN that makes images.
        targets: float `(N, H, W, C)` in [-1, 1], the model's image shape.
        steps: Adam steps. Defaults to `1000`.
        per_layer: style-based families: one w per layer (w+) instead of one
            w for all. Defaults to `False`.
        labels: conditional models: one class for every target, or one per
            target `(N,)`; `None` searches each target's class. Defaults to `None`.
        seed: seed of the latent noise and of the z that give w's mean and
            spread. Defaults to `0`.
        perceptual_weight: weight of the perceptual distance beside the mean
            squared pixel error; `0` fits pixels alone. Defaults to `1.0`.
        class_search: fraction of the steps during which every class is
            tried, when the class is searched. Defaults to `0.2`.
        num_snapshots: samples kept along the way, the start and the end
            included. Defaults to `8`.
        distance: a `PerceptualDistance`; `None` builds one on the shipped
            classifier.
        progress: called as `progress(steps done, steps)` after each step
            (`zoo.commands.cli.Progress` is one).

    Returns:
        A list of `Projection`, one per target, in order.

    Raises:
        ZooError: a model without images, targets of another shape, labels
            out of range or for an unconditional model, bad counts.

    Example:
        >>> target = gan.generate(1, seed=7)
        >>> (found,) = project(gan, target, steps=500)
        >>> found.pixel_distance  # small: seed 7's sample is one the model draws

    Reference:
        Karras et al. 2020 (StyleGAN2), https://arxiv.org/abs/1912.04958 (Section 5)
    """
    targets = _checked_targets(model, targets)
    space = latent_space(model, per_layer)
    _check_settings(steps, num_snapshots, class_search, perceptual_weight)
    candidates = _candidates(model, targets, labels)
    distance = distance or PerceptualDistance()

    def objective(images, candidate_targets):
        return pixel_distance(images, candidate_targets) + perceptual_weight * distance(
            images, candidate_targets
        )

    render = _renderer(model, space)
    mean, spread = latent_statistics(model, space, seed)
    state = _start(mean, space, model, len(candidates.targets))
    step = _step_function(render, objective)
    search_steps = steps
    if candidates.per_target > 1:
        search_steps = min(steps, max(1, round(class_search * steps)))
    snapshot_steps = _snapshot_steps(steps, num_snapshots)
    snapshots = []
    for index in range(steps + 1):
        if candidates.per_target > 1 and index == search_steps:
            state, candidates, snapshots = _keep_closest(
                state, candidates, snapshots, render, objective
            )
        if index in snapshot_steps:
            snapshots.append(_sample(render, state.latent, candidates.labels))
        if index == steps:
            break
        t = index / steps
        state = step(
            state, candidates.targets, candidates.labels, tf.constant(index, tf.int64),
            tf.constant(learning_rate_at(t), tf.float32),
            tf.constant(noise_scale_at(t, spread), tf.float32), tf.constant(seed, tf.int64),
        )  # fmt: skip
        if progress is not None:
            progress(index + 1, steps)
    return _projections(state, candidates, snapshots, space, distance)


def _checked_targets(model, targets):
    name = type(model).__name__
    if len(model.image_shape) != 3:
        raise ZooError(f"{name} makes 2-D points: there is no image to project into it")
    targets = tf.convert_to_tensor(targets, tf.float32)
    if targets.shape.rank != 4 or tuple(targets.shape[1:]) != tuple(model.image_shape):
        raise ZooError(
            f"targets must be images (N, {', '.join(map(str, model.image_shape))}) in [-1, 1] "
            f"for {name}, got shape {tuple(targets.shape)}"
        )
    if targets.shape[0] == 0:
        raise ZooError("no targets to project")
    return targets


def _check_settings(steps, num_snapshots, class_search, perceptual_weight):
    if int(steps) != steps or steps < 1:
        raise ZooError(f"steps must be an integer >= 1, got {steps!r}")
    if int(num_snapshots) != num_snapshots or num_snapshots < 2:
        raise ZooError(f"num_snapshots must be an integer >= 2, got {num_snapshots!r}")
    if not 0.0 < class_search <= 1.0:
        raise ZooError(
            f"class_search must be a fraction of the steps in (0, 1], got {class_search}"
        )
    if not perceptual_weight >= 0.0:
        raise ZooError(f"perceptual_weight must be >= 0, got {perceptual_weight}")


def _candidates(model, targets, labels):
    """The batch the optimization starts with (`_Candidates`)."""
    count = int(targets.shape[0])
    if not model.conditional:
        if labels is not None:
            raise ZooError(f"{type(model).__name__} is unconditional: drop the labels")
        return _Candidates(targets, None, 1)
    if labels is None:
        classes = model.num_classes
        every_class = tf.tile(tf.range(classes, dtype=tf.int32), [count])
        return _Candidates(tf.repeat(targets, classes, axis=0), every_class, classes)
    labels = np.asarray(labels)
    if labels.ndim == 0:
        labels = np.full([count], labels)
    if labels.shape != (count,) or not np.issubdtype(labels.dtype, np.integer):
        raise ZooError(f"labels must be one class or one per target ({count}), got {labels!r}")
    if labels.min() < 0 or labels.max() >= model.num_classes:
        raise ZooError(f"labels must be in [0, {model.num_classes}), got {labels.tolist()}")
    return _Candidates(targets, tf.constant(labels, tf.int32), 1)


def _renderer(model, space):
    """`render(latents, labels)`: the sampling generator's images, differentiable in the latents."""
    if space == "z":
        if model.conditional:
            return lambda z, labels: model((z, labels))
        return lambda z, labels: model(z)
    num_ws = model.capabilities.styles[0]

    def render(w, labels):
        ws = w if space == "w+" else tf.repeat(w[:, None, :], num_ws, axis=1)  # (B, num_ws, w_dim)
        return model.synthesize(ws)

    return render


def _start(mean, space, model, count):
    """Every candidate at the mean latent (per layer for w+), Adam's moments at 0."""
    shape = (count, *mean.shape)
    if space == "w+":
        shape = (count, model.capabilities.styles[0], *mean.shape)  # (B, num_ws, w_dim)
    latent = tf.constant(np.broadcast_to(mean, shape), tf.float32)
    return AdamState(latent, tf.zeros_like(latent), tf.zeros_like(latent))


def _step_function(render, objective):
    """The traced step: Adam on the objective of the noisy latents' samples."""

    @tf.function(reduce_retracing=True)
    def step(state, targets, labels, index, learning_rate, noise_scale, seed):
        # Keyed to (seed, step), never (seed, 0), seeded_latents' key: a projection
        # is repeatable, and its noise is no seed's latents.
        key = tf.stack([seed, index + 1])
        noise = tf.random.stateless_normal(tf.shape(state.latent), key, alg="philox")
        with tf.GradientTape() as tape:
            tape.watch(state.latent)
            losses = objective(render(state.latent + noise_scale * noise, labels), targets)
            # The sum: each latent's gradient is its own target's.
            total = tf.reduce_sum(losses)
        gradient = tape.gradient(total, state.latent)
        return _adam(state, gradient, index, learning_rate)

    return step


def _adam(state, gradient, index, learning_rate):
    """One Adam step (Kingma & Ba 2015, Algorithm 1), the `index`-th, on every latent."""
    beta_1, beta_2 = ADAM_BETAS
    m = beta_1 * state.m + (1.0 - beta_1) * gradient
    v = beta_2 * state.v + (1.0 - beta_2) * tf.square(gradient)
    count = tf.cast(index + 1, tf.float32)
    m_hat = m / (1.0 - tf.pow(beta_1, count))
    v_hat = v / (1.0 - tf.pow(beta_2, count))
    latent = state.latent - learning_rate * m_hat / (tf.sqrt(v_hat) + ADAM_EPSILON)
    return AdamState(latent, m, v)


def _snapshot_steps(steps, num_snapshots):
    """The steps after which a snapshot is taken: evenly spaced, 0 and `steps` included."""
    return set(np.round(np.linspace(0, steps, num_snapshots)).astype(int).tolist())


def _sample(render, latent, labels):
    """The noise-free latents' images, numpy float32 in [-1, 1]."""
    return np.clip(np.asarray(render(latent, labels), np.float32), -1.0, 1.0)


def _keep_closest(state, candidates, snapshots, render, objective):
    """Ends a class search: each target keeps its closest candidate, with its Adam moments
    and its snapshots so far."""
    samples = render(state.latent, candidates.labels)
    losses = np.asarray(objective(samples, candidates.targets)).reshape(-1, candidates.per_target)
    chosen = np.arange(len(losses)) * candidates.per_target + losses.argmin(axis=1)
    state = AdamState(*(tf.gather(part, chosen) for part in state))
    kept = _Candidates(
        tf.gather(candidates.targets, chosen), tf.gather(candidates.labels, chosen), 1
    )
    return state, kept, [snapshot[chosen] for snapshot in snapshots]


def _projections(state, candidates, snapshots, space, distance):
    images = snapshots[-1]  # the last snapshot is the end
    pixel = pixel_distance(images, candidates.targets).numpy()
    perceptual = distance(images, candidates.targets).numpy()
    labels = None if candidates.labels is None else candidates.labels.numpy()
    per_target = np.stack(snapshots, axis=1)  # (N, S, H, W, C)
    return [
        Projection(
            latent=state.latent[i].numpy(),
            space=space,
            label=None if labels is None else int(labels[i]),
            image=images[i],
            snapshots=per_target[i],
            pixel_distance=float(pixel[i]),
            perceptual_distance=float(perceptual[i]),
        )
        for i in range(len(images))
    ]


# ------------------------------------------------------------------ drawing


def interpolation_from_latent(model, latent, end_seed, *, steps=8, label=None, space=None,
                              truncation_psi=None, truncation_cutoff=None):  # fmt: skip
    """A strip (and GIF frames) from a saved latent's sample to a seed's.

    The path is `drawings.interpolation`'s: a straight line in w for
    style-based families (`latent` is w `(w_dim,)` or per-layer ws `(num_ws,
    w_dim)`), the slerp in z for the others (`latent` is z `(latent_dim,)`).
    Without truncation the first frame is the projection's image. A
    conditional model draws every frame with `label` (default 0). `space`,
    where known (`projection_files.load_latent`), tells a z from a w of the same size.

    Raises:
        ZooError: a latent of the wrong shape or space, a bad label, or
            truncation asked of a family without it.
    """
    name = type(model).__name__
    latent = np.asarray(latent, np.float32)
    z_end = drawings.seed_latents([end_seed], model.latent_dim)
    drawings.labels_for(model, 1, label)  # refuses a bad label
    styles = model.capabilities.styles
    expected = ("w", "w+") if styles is not None else ("z",)
    if space is not None and space not in expected:
        raise ZooError(
            f"the latent is a projection in {space}; {name} walks from {' or '.join(expected)}"
        )
    if styles is not None:
        num_ws, w_dim = styles
        if latent.shape not in ((w_dim,), (num_ws, w_dim)):
            raise ZooError(
                f"{name} walks from w ({w_dim},) or per-layer ws ({num_ws}, {w_dim}); the latent "
                f"has shape {latent.shape}"
            )
        start = np.broadcast_to(latent, (num_ws, w_dim))[None]  # (1, num_ws, w_dim)
        end = model.styles(z_end)
    else:
        model.capabilities.sampling_options(name, truncation_psi, truncation_cutoff)
        if latent.shape != (model.latent_dim,):
            raise ZooError(
                f"{name} walks from z ({model.latent_dim},); the latent has shape {latent.shape}"
            )
        start, end = latent, z_end[0]
    return drawings.latent_walk(model, start, end, steps, label, truncation_psi, truncation_cutoff)
