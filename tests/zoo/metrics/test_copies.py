"""Nearest-neighbour copy statistics: a copying generator stands out, a new one does not."""

import numpy as np
import pytest

from zoo.metrics import copies


def test_nearest_neighbours_matches_a_brute_force_search_across_chunks():
    rng = np.random.default_rng(0)
    queries, keys = rng.normal(size=(50, 8)), rng.normal(size=(300, 8))

    indices, distances = copies.nearest_neighbours(queries, keys, chunk=7)

    brute = np.linalg.norm(queries[:, None] - keys[None], axis=-1)
    np.testing.assert_array_equal(indices, brute.argmin(axis=1))
    np.testing.assert_allclose(distances, brute.min(axis=1), rtol=1e-4)


def _gaussian_sets(rng, dim=16):
    train = rng.normal(size=(2000, dim))
    test = rng.normal(size=(500, dim))
    return train, test


def test_samples_drawn_like_the_data_read_as_new():
    rng = np.random.default_rng(1)
    train, test = _gaussian_sets(rng)
    samples = rng.normal(size=(500, 16))

    stats = copies.copy_statistics(samples, test, train, quantile=0.05)

    assert stats.median_ratio == pytest.approx(1.0, abs=0.1)
    assert stats.near_share < 0.12


def test_copies_of_training_images_read_as_copies_and_point_at_their_originals():
    rng = np.random.default_rng(2)
    train, test = _gaussian_sets(rng)
    originals = rng.choice(len(train), size=500, replace=False)
    samples = train[originals] + rng.normal(scale=0.01, size=(500, 16))

    stats = copies.copy_statistics(samples, test, train, quantile=0.05)

    assert stats.median_ratio < 0.1
    assert stats.near_share > 0.95
    np.testing.assert_array_equal(stats.sample_neighbours, originals)
