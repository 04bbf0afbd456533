"""Latent-space helpers: the seeded noise of `generate` and the slerp of `interpolate`."""

import numpy as np
import pytest
import tensorflow as tf

import models
from zoo import drawing, training
from zoo.core import latents
from zoo.core.errors import ZooError
from zoo.drawing import pictures
from zoo.loading import sources


def numpy_slerp(start, end, t):
    """Shoemake's formula, written out."""
    omega = np.arccos(np.dot(start / np.linalg.norm(start), end / np.linalg.norm(end)))
    return (np.sin((1 - t) * omega) * start + np.sin(t * omega) * end) / np.sin(omega)


def test_seeded_latents_are_a_pure_function_of_the_seed():
    first = latents.seeded_latents(3, 5, 7).numpy()

    np.testing.assert_array_equal(first, latents.seeded_latents(3, 5, 7).numpy())
    assert first.shape == (5, 7) and first.dtype == np.float32
    assert not np.allclose(first, latents.seeded_latents(4, 5, 7).numpy())


@pytest.mark.parametrize("latent_dim", [1, 3, 8, 100])
def test_seeded_latents_of_a_longer_draw_start_with_the_shorter_draw(latent_dim):
    longer = latents.seeded_latents(3, 37, latent_dim).numpy()

    for count in (1, 2, 5, 36):
        np.testing.assert_array_equal(
            longer[:count], latents.seeded_latents(3, count, latent_dim).numpy()
        )


def test_seeded_latents_traced_with_tensor_arguments_equal_the_eager_draw():
    traced = tf.function(latents.seeded_latents)

    drawn = traced(tf.constant(3, tf.int64), tf.constant(5, tf.int32), 7)

    np.testing.assert_array_equal(drawn, latents.seeded_latents(3, 5, 7))


def test_class_labels_are_the_classes_in_turn():
    np.testing.assert_array_equal(latents.class_labels(7, 3), [0, 1, 2, 0, 1, 2, 0])
    assert latents.class_labels(2, 3).dtype == tf.int32


def test_gan_generate_with_a_seed_is_the_model_on_seeded_latents():
    gan = models.VanillaGAN(image_shape=(2,), latent_dim=4, hidden_dims=(8,))

    samples = gan.generate(6, seed=11)

    np.testing.assert_allclose(samples, gan(latents.seeded_latents(11, 6, 4)), atol=1e-6)
    # Without a seed, each call draws fresh latents.
    assert not np.allclose(gan.generate(6), gan.generate(6))


def test_training_grid_of_a_seeded_run_is_generate_of_its_model_with_that_seed(tmp_path):
    summary = training.train(training.TrainConfig(
        model="vanilla_gan", dataset="ring8", workdir=str(tmp_path / "run"), steps=2,
        batch_size=8, seed=5, model_kwargs={"latent_dim": 4, "hidden_dims": (8,)},
        num_samples=6,
    ))  # fmt: skip
    model = sources.load_workdir_model(tmp_path / "run")

    grid = tf.io.decode_png(tf.io.read_file(summary["samples"])).numpy()

    expected = pictures.samples_picture(model.generate(6, seed=5), "ring8")
    np.testing.assert_array_equal(grid, expected)
    other_seed = pictures.samples_picture(model.generate(6, seed=6), "ring8")
    assert not np.array_equal(grid, other_seed)


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

    walk = drawing.interpolate(gan, z[0], z[1], 5)

    assert walk.shape == (5, 2)
    np.testing.assert_allclose(walk, gan(latents.interpolation_path(z[0], z[1], 5)), atol=1e-6)
    with pytest.raises(ZooError, match="num_steps"):
        drawing.interpolate(gan, z[0], z[1], 1)
    with pytest.raises(ZooError, match=r"start must have shape \(4,\)"):
        drawing.interpolate(gan, np.zeros(5, "float32"), z[1], 3)
