"""Latent-space helpers: the seeded noise of `generate` and the slerp of `interpolate`."""

import numpy as np
import pytest

import models
from zoo import latents
from zoo.errors import ZooError


def numpy_slerp(start, end, t):
    """Shoemake's formula, written out."""
    omega = np.arccos(np.dot(start / np.linalg.norm(start), end / np.linalg.norm(end)))
    return (np.sin((1 - t) * omega) * start + np.sin(t * omega) * end) / np.sin(omega)


def test_seeded_latents_are_a_pure_function_of_the_seed():
    first = latents.seeded_latents(3, 5, 7).numpy()

    np.testing.assert_array_equal(first, latents.seeded_latents(3, 5, 7).numpy())
    assert first.shape == (5, 7) and first.dtype == np.float32
    assert not np.allclose(first, latents.seeded_latents(4, 5, 7).numpy())
    # A larger batch of the same seed is a different draw, not an extension:
    # stateless noise depends on the shape.
    assert latents.seeded_latents(3, 6, 7).shape == (6, 7)


def test_slerp_matches_shoemake_formula_and_hits_both_ends():
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=16).astype("float32"), rng.normal(size=16).astype("float32")
    t = np.array([0.0, 0.25, 0.5, 1.0], "float32")

    path = latents.slerp(start, end, t).numpy()

    np.testing.assert_allclose(path[0], start, atol=1e-6)
    np.testing.assert_allclose(path[-1], end, atol=1e-5)
    np.testing.assert_allclose(path[1], numpy_slerp(start, end, 0.25), atol=1e-5)


def test_slerp_of_two_unit_vectors_stays_on_the_sphere():
    start, end = np.array([1.0, 0.0, 0.0], "float32"), np.array([0.0, 0.0, 1.0], "float32")

    path = latents.interpolation_path(start, end, 9).numpy()

    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)
    # Equal angular steps: pi/2 over 8 steps.
    np.testing.assert_allclose(path[4], [np.sqrt(0.5), 0.0, np.sqrt(0.5)], atol=1e-6)


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["parallel", "opposite"])
def test_slerp_of_parallel_or_opposite_latents_falls_back_to_a_line(sign):
    start = np.array([1.0, 2.0], "float32")
    end = sign * 3.0 * start

    path = latents.interpolation_path(start, end, 3).numpy()

    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path[1], (start + end) / 2, atol=1e-5)


def test_interpolate_walks_the_model_along_the_slerp():
    gan = models.VanillaGAN(image_shape=(2,), latent_dim=4, hidden_dims=(8,))
    z = latents.seeded_latents(0, 2, 4)

    walk = latents.interpolate(gan, z[0], z[1], 5)

    assert walk.shape == (5, 2)
    np.testing.assert_allclose(walk, gan(latents.interpolation_path(z[0], z[1], 5)), atol=1e-6)
    with pytest.raises(ZooError, match="num_steps"):
        latents.interpolate(gan, z[0], z[1], 1)
    with pytest.raises(ZooError, match=r"start must have shape \(4,\)"):
        latents.interpolate(gan, np.zeros(5, "float32"), z[1], 3)
