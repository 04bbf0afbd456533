"""Drawing a trained GAN: grids, interpolations, style mixes, truncation sweeps,
attribute walks and attention maps, as pictures.

Each drawing is a function of a model and explicit arguments that returns a
`Drawing` (a uint8 picture, animation frames where it has some, and a line to
report); `generate.py` parses flags, calls one and writes the files. Style-based
families are drawn through their style interface, `model.styles(z, labels, psi,
cutoff)` and `model.synthesize(ws)`, the path their sampling and their export take.

    >>> drawing = zoo.drawing.style_mix(gan, row_seeds=[0, 1], col_seeds=[2, 3, 4])
    >>> zoo.drawing.pictures.write_png("mix.png", drawing.picture)
"""

import collections

import numpy as np
import tensorflow as tf

from zoo import data
from zoo.core import latents
from zoo.core.errors import ZooError
from zoo.drawing import pictures

# Images per forward pass of the synthesis network.
BATCH_SIZE = 64
# Samples the classifier of an attribute walk needs in each of the two classes.
MIN_CLASS_SAMPLES = 5
# The psis of the truncation pictures beside a style-based model's training grids.
PROGRESS_PSIS = (1.0, 0.7, 0.5, 0.0)

Drawing = collections.namedtuple("Drawing", ["picture", "frames", "note"], defaults=[None, None])
Drawing.__doc__ = """A uint8 picture `(H, W, C)`, GIF frames if any, and a line worth reporting."""


# ------------------------------------------------------------------ helpers


def seed_latents(seeds, latent_dim):
    """One latent per seed: `seeded_latents(s, 1, latent_dim)`, the first of `seed=s`."""
    return tf.concat([latents.seeded_latents(seed, 1, latent_dim) for seed in seeds], axis=0)


def labels_for(model, count, label=None):
    """The labels of `count` samples: `label` for all, else the classes in turn; `None`
    for unconditional models (which refuse a label)."""
    if not model.conditional:
        if label is not None:
            raise ZooError(f"{type(model).__name__} is unconditional: drop the label")
        return None
    if label is not None and not 0 <= label < model.num_classes:
        raise ZooError(f"label must be in [0, {model.num_classes}), got {label}")
    if label is None:
        return latents.class_labels(count, model.num_classes).numpy()
    return np.full([count], label, np.int32)


def require_styles(model, what):
    """`(num_ws, w_dim)` of a style-based model; one line for the others."""
    styles = model.capabilities.styles
    if styles is None:
        raise ZooError(
            f"{type(model).__name__} has no style space: {what} is for style-based families "
            f"(StyleGAN)"
        )
    return styles


def synthesize(model, ws):
    """Images in [-1, 1] of ws from the sampling generator, in batches (numpy)."""
    ws = tf.convert_to_tensor(ws, tf.float32)
    parts = [np.asarray(model.synthesize(ws[i : i + BATCH_SIZE]))
             for i in range(0, int(ws.shape[0]), BATCH_SIZE)]  # fmt: skip
    return np.clip(np.concatenate(parts), -1.0, 1.0)


def truncate(model, ws, truncation_psi=None, truncation_cutoff=None):
    """ws truncated as `generate` would truncate them (unchanged when neither is given)."""
    if truncation_psi in (None, 1.0) and truncation_cutoff is None:
        return ws
    psi = 1.0 if truncation_psi is None else truncation_psi
    return model.truncate(ws, psi, truncation_cutoff, generator=model.sampling_generator)


# ----------------------------------------------------------------- drawings


def grid(model, *, seed=0, num_samples=64, seeds=None, label=None, truncation_psi=None,
         truncation_cutoff=None):  # fmt: skip
    """Samples in a grid: `generate(num_samples, seed=seed)`, or one per seed of `seeds`.

    A conditional model draws the classes in turn, one row per class, unless
    `label` is given. The sample of seed `s` in `seeds` is the first sample of
    `seed=s`.
    """
    options = {"truncation_psi": truncation_psi, "truncation_cutoff": truncation_cutoff}
    if seeds is not None:
        z = seed_latents(seeds, model.latent_dim)
        samples = model.generate(latents=z, labels=labels_for(model, len(seeds), label), **options)
        return Drawing(pictures.samples_picture(samples))
    rows_by_class = model.conditional and label is None
    if rows_by_class:
        num_samples = pictures.class_grid_size(num_samples, model.num_classes)
    labels = labels_for(model, num_samples, label)
    samples = model.generate(num_samples, labels=labels, seed=seed, **options)
    return Drawing(
        pictures.samples_picture(samples, None, model.num_classes if rows_by_class else 0)
    )


def seed_images(model, seeds, *, label=None, truncation_psi=None, truncation_cutoff=None):
    """One uint8 image per seed, the sample of seed `s` being the first of `seed=s`.

    Returns:
        `(images, labels)`: images `(len(seeds), H, W, C)` and the class of each
        (`label`, else the classes in turn), `None` for unconditional models.
    """
    z = seed_latents(seeds, model.latent_dim)
    labels = labels_for(model, len(seeds), label)
    samples = model.generate(
        latents=z, labels=labels, truncation_psi=truncation_psi,
        truncation_cutoff=truncation_cutoff,
    )  # fmt: skip
    return pictures.to_images(samples), labels


def attention(model, *, seed=0, num_samples=4, label=None, query=None):
    """Each sample beside a heat map of where one query location of its attention looks.

    Args:
        query: `(row, col)` on the attention grid; default its centre.
    """
    if not model.capabilities.attention_maps:
        raise ZooError(f"{type(model).__name__} has no attention layer; attention maps are SAGAN's")
    z = latents.seeded_latents(seed, num_samples, model.latent_dim)
    images, attention_maps = model.attention_maps(z, labels_for(model, num_samples, label))
    side = model.attention_side
    query = (side // 2, side // 2) if query is None else tuple(query)
    if len(query) != 2 or not all(0 <= v < side for v in query):
        raise ZooError(f"query must be row,col on the {side}x{side} attention grid, got {query}")
    return Drawing(pictures.attention_picture(images, attention_maps, query))


def interpolate(model, start, end, num_steps, label=None):
    """Images along the spherical interpolation (slerp) between two latents z.

    The Keras-side twin of the export's `interpolate` signature: the same path
    through the same model gives the same images.

    Returns:
        numpy float32 `(num_steps, *image_shape)` in [-1, 1].

    Raises:
        ZooError: latents of the wrong size, fewer than 2 steps, or a missing
            label on a conditional model.
    """
    if int(num_steps) != num_steps or num_steps < 2:
        raise ZooError(f"num_steps must be an integer >= 2, got {num_steps!r}")
    for name, latent in (("start", start), ("end", end)):
        shape = tuple(tf.convert_to_tensor(latent).shape)
        if shape != (model.latent_dim,):
            raise ZooError(f"{name} must have shape ({model.latent_dim},), got {shape}")
    path = latents.interpolation_path(start, end, int(num_steps))
    if not model.conditional:
        return model(path).numpy()
    if label is None:
        raise ZooError(f"{type(model).__name__} is conditional: pass label=<class id>")
    return model((path, tf.fill([int(num_steps)], tf.cast(label, tf.int32)))).numpy()


def interpolation(model, start_seed, end_seed, *, steps=8, label=None, truncation_psi=None,
                  truncation_cutoff=None):  # fmt: skip
    """A strip (and GIF frames) from one seed's sample to another's.

    The path is the great circle in z (slerp), except for style-based
    families, whose w is interpolated on a straight line: w is where their
    generator is meant to be smooth (Karras et al. 2019, Section 4). A
    conditional model draws every step with `label` (default 0).
    """
    z = seed_latents([start_seed, end_seed], model.latent_dim)
    labels_for(model, 1, label)  # refuses a bad label
    if model.capabilities.styles is not None:
        ws = model.styles(z)
        return latent_walk(model, ws[0:1], ws[1:2], steps, label, truncation_psi, truncation_cutoff)
    return latent_walk(model, z[0], z[1], steps, label, truncation_psi, truncation_cutoff)


def latent_walk(model, start, end, steps, label, truncation_psi, truncation_cutoff):
    """The strip (and GIF frames) of `steps` images from latent `start` to `end`: for
    style-based families per-layer ws `(1, num_ws, w_dim)` joined by a straight line,
    (1 - t) w_a + t w_b, which is w_a at t = 0 and w_b at t = 1 exactly; for the others
    z's `(latent_dim,)` joined by the slerp, every step with `label` if conditional."""
    if model.capabilities.styles is not None:
        t = tf.constant(np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None, None])
        walk = truncate(model, (1.0 - t) * start + t * end, truncation_psi, truncation_cutoff)
        images = synthesize(model, walk)
    else:
        model.capabilities.sampling_options(type(model).__name__, truncation_psi, truncation_cutoff)
        images = interpolate(model, start, end, steps, (label or 0) if model.conditional else None)
    images = pictures.to_images(images)
    return Drawing(pictures.image_strip(images), pictures.animation_frames(images))


def style_mix(model, row_seeds, col_seeds, *, crossover=None, truncation_psi=None,
              truncation_cutoff=None):  # fmt: skip
    """StyleGAN's style-mixing figure.

    The top row shows the samples of `col_seeds`, the left column those of
    `row_seeds`; cell `(r, c)` takes the styles of the layers before
    `crossover` (coarse: pose, shape; default half of them) from row `r` and
    the rest (fine: texture) from column `c`.
    """
    num_ws, _ = require_styles(model, "a style mix")
    crossover = num_ws // 2 if crossover is None else crossover
    if not 1 <= crossover < num_ws:
        raise ZooError(
            f"crossover must be in [1, {num_ws}) for {type(model).__name__}'s {num_ws} styles "
            f"(layers before it take the row seed's), got {crossover}"
        )

    def seed_styles(seeds):
        z = seed_latents(seeds, model.latent_dim)
        psi = 1.0 if truncation_psi is None else truncation_psi
        return model.styles(z, None, psi, truncation_cutoff)

    row_ws, col_ws = seed_styles(row_seeds), seed_styles(col_seeds)
    mixed = latents.crossed_styles(row_ws, col_ws, crossover)
    images = pictures.to_images(synthesize(model, tf.concat([row_ws, col_ws, mixed], axis=0)))
    num_rows, num_cols = len(row_seeds), len(col_seeds)
    row_images, col_images = images[:num_rows], images[num_rows : num_rows + num_cols]
    cells = images[num_rows + num_cols :].reshape(num_rows, num_cols, *images.shape[1:])
    return Drawing(pictures.labelled_grid(cells, row_images, col_images))


def truncation_images(model, z, psis, labels=None, truncation_cutoff=None):
    """`(len(z) * len(psis), H, W, C)` floats: row r, column c is latent r at psi c."""
    if not model.capabilities.truncation:
        raise ZooError(
            f"{type(model).__name__} has no truncation trick: a truncation sweep is for "
            f"families with it (StyleGAN)"
        )
    columns = [
        model.generate(latents=z, labels=labels, truncation_psi=psi,
                       truncation_cutoff=truncation_cutoff)
        for psi in psis
    ]  # fmt: skip
    return np.stack(columns, axis=1).reshape(-1, *model.image_shape)


def truncation_sweep(model, seeds, psis, *, label=None, truncation_cutoff=None):
    """One row per seed, one column per psi, from 1 (no truncation) to 0 (the average w)."""
    z = seed_latents(seeds, model.latent_dim)
    labels = labels_for(model, len(seeds), label)
    images = truncation_images(model, z, psis, labels, truncation_cutoff)
    return Drawing(pictures.image_grid(pictures.to_images(images), num_rows=len(seeds)))


def progress_pictures(model, z):
    """Pictures beside a training run's sample grids, `{name: images in [-1, 1]}`:
    a truncation sweep for families with the trick, the fade-in for growing ones."""
    extra = {}
    if model.capabilities.truncation:
        rows = truncation_images(model, z, PROGRESS_PSIS)
        # Psi-major, as the grid rows run: every latent at psi 1, then at 0.7, ...
        per_psi = rows.reshape(len(z), len(PROGRESS_PSIS), *model.image_shape).swapaxes(0, 1)
        extra["truncation"] = per_psi.reshape(-1, *model.image_shape)
    if model.capabilities.phases:
        extra.update(model.progress_pictures(z))
    return extra


def class_index(text):
    """A Fashion-MNIST class by index 0-9 or by name, any case or punctuation."""
    classes = data.FASHION_MNIST_CLASSES
    if text.strip().isdigit() and int(text) < len(classes):
        return int(text)

    def simple(words):
        return "".join(char for char in words.lower() if char.isalnum())

    for index, name in enumerate(classes):
        if simple(text) in {simple(name), *(simple(part) for part in name.split("/"))}:
            return index
    raise ZooError(
        f"{text!r} is no Fashion-MNIST class; pass an index 0-9 or one of {', '.join(classes)}"
    )


def attribute_walk(model, seeds, from_class, to_class, *, seed=0, pool=2000, steps=8,
                   strength=1.5, truncation_psi=None, truncation_cutoff=None):  # fmt: skip
    """The latent arithmetic of the lectures, one row per seed.

    `pool` samples of `seed` are classified by the shipped Fashion-MNIST
    classifier; the mean latent (w for style-based families) of those taken
    for `from_class` is subtracted from the mean of those taken for
    `to_class`, and each seed walks along that difference, `steps` points from
    0 to `strength` times it.
    """
    from zoo.metrics import extractors

    name, classes = type(model).__name__, data.FASHION_MNIST_CLASSES
    _check_attribute_model(model, name, from_class, to_class)
    classifier = extractors.get_extractor()
    style_based = model.capabilities.styles is not None
    codes, predicted = [], []
    for z in tf.split(latents.seeded_latents(seed, pool, model.latent_dim), _chunks(pool)):
        if style_based:
            ws = model.styles(z)
            codes.append(np.asarray(ws[:, 0]))  # every layer holds the same w
            images = synthesize(model, ws)
        else:
            codes.append(z.numpy())
            images = np.clip(model.generate(latents=z), -1.0, 1.0)
        predicted.append(np.argmax(classifier(images)[1], axis=-1))
    predicted = np.concatenate(predicted)
    counts = np.bincount(predicted, minlength=len(classes))
    direction = latents.attribute_direction(
        np.concatenate(codes), predicted, from_class, to_class, MIN_CLASS_SAMPLES, classes
    )
    z = seed_latents(seeds, model.latent_dim)
    base = np.asarray(model.styles(z)[:, 0]) if style_based else z.numpy()
    strengths = np.linspace(0.0, strength, steps, dtype=np.float32)
    # (seeds, steps, dim): row r walks from seed r's latent along the direction.
    walks = (base[:, None, :] + strengths[None, :, None] * direction).reshape(
        len(seeds) * steps, -1
    )
    if style_based:
        ws = np.repeat(walks[:, None, :], model.capabilities.styles[0], axis=1)
        images = synthesize(model, truncate(model, tf.convert_to_tensor(ws), truncation_psi,
                                            truncation_cutoff))  # fmt: skip
    else:
        images = model.generate(latents=walks, truncation_psi=truncation_psi,
                                truncation_cutoff=truncation_cutoff)  # fmt: skip
    note = (f"classified {pool} samples of seed {seed}: {counts[from_class]} "
            f"{classes[from_class]}, {counts[to_class]} {classes[to_class]}")  # fmt: skip
    return Drawing(pictures.image_grid(pictures.to_images(images), num_rows=len(seeds)), None, note)


def _chunks(pool):
    return [min(BATCH_SIZE, pool - start) for start in range(0, pool, BATCH_SIZE)]


def _check_attribute_model(model, name, from_class, to_class):
    classes = data.FASHION_MNIST_CLASSES
    if model.conditional:
        raise ZooError(
            f"{name} is class-conditional: their class is a label, not a direction in latent "
            f"space: draw a grid of the class you want"
        )
    if from_class == to_class:
        raise ZooError(f"from and to classes are both {classes[from_class]}: pick two classes")
    if tuple(model.image_shape) not in ((28, 28, 1), (32, 32, 1)):
        raise ZooError(
            f"an attribute walk classifies samples with the Fashion-MNIST classifier, which "
            f"takes 28x28 or 32x32 grayscale images; {name} makes {model.image_shape}"
        )
