"""The drawing helpers of generate.py: strips, labelled grids, GIF frames and files."""

import numpy as np
from PIL import Image

from zoo.drawing import pictures


def _tiles(count, side=4, channels=1):
    """uint8 tiles `(count, side, side, channels)`, tile i filled with 10 * (i + 1)."""
    values = 10 * (np.arange(count, dtype=np.uint8) + 1)
    return np.broadcast_to(values[:, None, None, None], (count, side, side, channels)).copy()


def test_to_images_clips_samples_outside_the_unit_range():
    samples = np.array([-3.0, -1.0, 0.0, 1.0, 2.5], np.float32).reshape(1, 1, 5, 1)

    images = pictures.to_images(samples)

    assert images.dtype == np.uint8
    np.testing.assert_array_equal(images.reshape(-1), [0, 0, 128, 255, 255])


def test_image_strip_is_one_row():
    strip = pictures.image_strip(_tiles(5), padding=1)

    assert strip.shape == (1 * 5 + 1, 5 * 5 + 1, 1)
    assert strip[1, 1 + 4 * 5, 0] == 50  # the fifth tile, last in the row


def test_labelled_grid_puts_heads_on_the_edges_and_leaves_the_corner_blank():
    cells = _tiles(6).reshape(2, 3, 4, 4, 1)
    row_heads, col_heads = _tiles(2) + 100, _tiles(3) + 200

    grid = pictures.labelled_grid(cells, row_heads, col_heads, padding=1)

    assert grid.shape == (3 * 5 + 1, 4 * 5 + 1, 1)

    def tile(row, col):
        return grid[1 + 5 * row : 5 + 5 * row, 1 + 5 * col : 5 + 5 * col]

    assert not tile(0, 0).any()
    for col in range(3):
        np.testing.assert_array_equal(tile(0, col + 1), col_heads[col])
    for row in range(2):
        np.testing.assert_array_equal(tile(row + 1, 0), row_heads[row])
        for col in range(3):
            np.testing.assert_array_equal(tile(row + 1, col + 1), cells[row, col])


def test_animation_frames_enlarge_and_keep_equal_images_apart():
    images = np.zeros((4, 8, 8, 3), np.uint8)  # four equal images

    frames = pictures.animation_frames(images, min_side=20, bar_height=2)

    assert frames.shape == (4, 3 * 8 + 2, 3 * 8, 3)  # enlarged 3x, a bar below
    bars = frames[:, -1, :, 0]
    np.testing.assert_array_equal((bars > 0).sum(axis=1), [6, 12, 18, 24])
    assert len({frame.tobytes() for frame in frames}) == 4


def test_write_gif_writes_every_frame_and_loops(tmp_path):
    frames = pictures.animation_frames(np.zeros((5, 4, 4, 1), np.uint8), min_side=16)
    path = tmp_path / "out" / "walk.gif"

    pictures.write_gif(path, frames, frame_ms=70)

    with Image.open(path) as gif:
        assert gif.n_frames == 5
        assert gif.size == (16, 18)
        assert gif.info["loop"] == 0 and gif.info["duration"] == 70
    assert [p.name for p in path.parent.iterdir()] == ["walk.gif"]  # no temporary left
