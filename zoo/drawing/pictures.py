"""Pictures of samples: grids, scatter plots, attention maps, written as PNG.

Training callbacks, `evaluate.py`, `generate.py` and the benchmarks draw with
these; all take samples in the model's [-1, 1] range or uint8 images and
return uint8 `(H, W, C)` arrays.
"""

import contextlib
import math
import os
import pathlib

import numpy as np
import tensorflow as tf

from zoo import data
from zoo.core.errors import ZooError


def image_grid(images, num_rows=None, padding=2):
    """Tiles uint8 images `(N, H, W, C)` into one uint8 image, row-major.

    Args:
        images: uint8 array `(N, H, W, C)`.
        num_rows: rows of the grid. Defaults to the closest square.
        padding: pixels of black between tiles. Defaults to `2`.

    Returns:
        uint8 array `(rows * (H + p) + p, cols * (W + p) + p, C)`.
    """
    images = np.asarray(images)
    count, height, width, channels = images.shape
    num_rows = num_rows or max(1, int(math.floor(math.sqrt(count))))
    num_cols = math.ceil(count / num_rows)
    grid = np.zeros(
        (num_rows * (height + padding) + padding, num_cols * (width + padding) + padding, channels),
        np.uint8,
    )
    for index, image in enumerate(images):
        row, col = divmod(index, num_cols)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def scatter_image(points, means, size=256):
    """Renders 2-D samples as a uint8 image: samples white, mixture means red squares.

    The view spans the means plus a margin of a quarter of their extent, so
    samples far outside the modes fall off the picture, as they should.
    """
    means = np.asarray(means, np.float32)
    low, high = means.min(axis=0), means.max(axis=0)
    margin = 0.25 * float(np.max(high - low))
    low, high = low - margin, high + margin

    def to_pixels(xy):
        scaled = (np.asarray(xy, np.float32) - low) / (high - low) * (size - 1)
        pixels = np.round(scaled).astype(int)
        # Image rows grow downwards, y grows upwards.
        return np.stack([size - 1 - pixels[:, 1], pixels[:, 0]], axis=1)

    image = np.zeros((size, size, 3), np.uint8)
    # Hollow red squares around the means, drawn first: the samples at a mode
    # stay visible inside its square.
    for row, col in to_pixels(means):
        top, left = max(row - 3, 0), max(col - 3, 0)
        image[top : row + 4, left : col + 4] = (255, 0, 0)
        image[top + 1 : row + 3, left + 1 : col + 3] = 0
    for row, col in to_pixels(points):
        if 0 <= row < size and 0 <= col < size:
            image[row, col] = 255
    return image


def samples_picture(samples, dataset_name=None, num_classes=0):
    """What a person looks at: an image grid, or a scatter plot for 2-D points.

    Args:
        samples: images `(N, H, W, C)` in [-1, 1], or 2-D points `(N, 2)`.
        dataset_name: for 2-D points, which mixture's means to draw.
        num_classes: for samples of a conditional model drawn with the
            classes in turn (`zoo.core.latents.class_labels`: sample i is of class
            `i % num_classes`), the grid shows one row per class; the last
            `N % num_classes` samples are left out.
    """
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        means = data.mixture_means(dataset_name) if dataset_name in data.MIXTURE_STDDEV else samples
        return scatter_image(samples, means)
    images = data.to_uint8(samples).numpy()
    if num_classes and len(images) >= num_classes:
        per_class = len(images) // num_classes
        # Sample r + num_classes * j is the j-th of class r: row r, column j.
        order = [r + num_classes * j for r in range(num_classes) for j in range(per_class)]
        return image_grid(images[order], num_rows=num_classes)
    return image_grid(images)


def class_grid_size(num_samples, num_classes):
    """Samples of a grid with one full row per class, at least `num_samples`."""
    if not num_classes:
        return num_samples
    return num_classes * max(1, math.ceil(num_samples / num_classes))


def write_png(path, image):
    """Writes a uint8 `(H, W, C)` image as PNG, atomically."""
    with _writing(path) as temporary:
        tf.io.write_file(str(temporary), tf.io.encode_png(image))


@contextlib.contextmanager
def _writing(path):
    """Yields a temporary path beside `path`, renamed to it at the end; one line on failure."""
    path = pathlib.Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield temporary
        os.replace(temporary, path)
    except (OSError, tf.errors.OpError) as e:
        reason = getattr(e, "strerror", None) or getattr(e, "message", None) or e
        raise ZooError(f"cannot write {path} ({reason}); pass a path you can write to") from None


def attention_picture(images, attention, query, scale=4, padding=2):
    """Samples beside where one query location of their attention looks.

    One row per sample: the sample with the query pixel framed in red, then
    the sample under a red heat map of the query's attention weights over the
    keys (nearest-neighbour upsampled from the key grid to the image; the
    brightest red is the key it weighs most).

    Args:
        images: samples `(N, H, W, C)` in [-1, 1], `C` 1 or 3.
        attention: weights `(N, queries, keys)` on square grids
            (`SAGAN.attention_maps`).
        query: `(row, col)` of the query on the queries' grid.
        scale: each image pixel becomes `scale x scale`. Defaults to `4`.
        padding: pixels of black between tiles. Defaults to `2`.

    Returns:
        uint8 array: a grid of `N` rows and 2 columns.
    """
    images = data.to_uint8(images).numpy()
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    attention = np.asarray(attention, np.float32)
    count, height, width, _ = images.shape
    query_side = math.isqrt(attention.shape[1])
    key_side = math.isqrt(attention.shape[2])
    row, col = query
    weights = attention[:, row * query_side + col].reshape(count, key_side, key_side)
    weights = weights / np.maximum(weights.max(axis=(1, 2), keepdims=True), 1e-12)
    heat = np.repeat(np.repeat(weights, height // key_side, 1), width // key_side, 2)
    red = np.zeros_like(images, dtype=np.float32)
    red[..., 0] = 255.0
    overlay = 0.4 * images + 0.6 * heat[..., None] * red
    marked = images.copy()
    # The query's cell of the image, framed.
    cell = height // query_side
    top, left = row * cell, col * cell
    marked[:, top : top + cell, left, :] = marked[:, top : top + cell, left + cell - 1, :] = (
        255, 0, 0,
    )  # fmt: skip
    marked[:, top, left : left + cell, :] = marked[:, top + cell - 1, left : left + cell, :] = (
        255, 0, 0,
    )  # fmt: skip
    tiles = np.stack([marked, overlay.astype(np.uint8)], axis=1).reshape(-1, height, width, 3)
    tiles = np.repeat(np.repeat(tiles, scale, axis=1), scale, axis=2)
    return image_grid(tiles, num_rows=count, padding=padding)


def to_images(samples):
    """Samples in about [-1, 1] (clipped: StyleGAN has no tanh) -> uint8 numpy images."""
    return data.to_uint8(np.clip(np.asarray(samples, np.float32), -1.0, 1.0)).numpy()


def image_strip(images, padding=2):
    """Tiles uint8 images `(N, H, W, C)` side by side: one row of `N` tiles."""
    return image_grid(images, num_rows=1, padding=padding)


def labelled_grid(cells, row_heads, col_heads, padding=2):
    """A table of images with its sources along the edges, as StyleGAN's style-mixing figure.

    The top row shows `col_heads`, the left column `row_heads`, the top-left
    corner is left blank (black), and cell `(r, c)` sits under column head `c`
    and right of row head `r`.

    Args:
        cells: uint8 `(R, C, H, W, Ch)`.
        row_heads: uint8 `(R, H, W, Ch)`.
        col_heads: uint8 `(C, H, W, Ch)`.
        padding: pixels of black between tiles. Defaults to `2`.

    Returns:
        uint8 array: a grid of `R + 1` rows and `C + 1` columns.
    """
    cells = np.asarray(cells, np.uint8)
    num_rows, num_cols = cells.shape[:2]
    blank = np.zeros((1, *cells.shape[2:]), np.uint8)
    top = np.concatenate([blank, np.asarray(col_heads, np.uint8)])
    rows = [
        np.concatenate([np.asarray(row_heads, np.uint8)[r : r + 1], cells[r]])
        for r in range(num_rows)
    ]
    return image_grid(np.concatenate([top, *rows]), num_rows=num_rows + 1, padding=padding)


def animation_frames(images, min_side=128, bar_height=2):
    """Frames of a GIF: images enlarged and underlined by a progress bar.

    Each image is enlarged by the whole factor that brings its side to at
    least `min_side` (nearest neighbour: small samples stay sharp), and under
    frame `i` of `N` a white bar runs `(i + 1) / N` of the width. The bar
    shows where a looping animation restarts, and it keeps consecutive
    frames distinct, so a GIF writer never merges two equal frames (Pillow
    does): the file holds `N` frames as long as `N` is at most the width.

    Args:
        images: uint8 `(N, H, W, C)`.
        min_side: the least side of an enlarged frame. Defaults to `128`.
        bar_height: rows of the progress bar. Defaults to `2`.

    Returns:
        uint8 `(N, k * H + bar_height, k * W, C)`.
    """
    images = np.asarray(images, np.uint8)
    count, height, width, channels = images.shape
    scale = max(1, math.ceil(min_side / min(height, width)))
    large = np.repeat(np.repeat(images, scale, axis=1), scale, axis=2)
    bars = np.zeros((count, bar_height, width * scale, channels), np.uint8)
    for index in range(count):
        bars[index, :, : round((index + 1) * width * scale / count)] = 255
    return np.concatenate([large, bars], axis=1)


def write_gif(path, frames, frame_ms=100):
    """Writes uint8 frames `(N, H, W, C)`, `C` 1 or 3, as a looping GIF, atomically.

    GIF stores durations in hundredths of a second: `frame_ms` is rounded to
    10 ms. Pillow merges consecutive equal frames (their durations add up);
    `animation_frames` keeps them apart.
    """
    from PIL import Image

    frames = np.asarray(frames, np.uint8)
    pictures = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in frames]
    with _writing(path) as temporary:
        pictures[0].save(
            temporary, format="GIF", save_all=True, append_images=pictures[1:],
            duration=int(frame_ms), loop=0,
        )  # fmt: skip
