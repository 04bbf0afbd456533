"""Projection (zoo.drawing.projection): the latent of an image, its distances and files."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import models
from tests.helpers import TinyConditionalGAN
from zoo.core import latents
from zoo.core.errors import ZooError
from zoo.drawing import pictures, projection, projection_files

SIDE = 16
LATENT_DIM = 8
PAD = 2  # pixels between the tiles of a strip


@pytest.fixture(scope="module")
def distance():
    return projection.PerceptualDistance()


@pytest.fixture(scope="module")
def dcgan():
    keras.utils.set_random_seed(0)
    return models.DCGAN(image_shape=(SIDE, SIDE, 1), latent_dim=LATENT_DIM, base_filters=4)


@pytest.fixture(scope="module")
def styled():
    keras.utils.set_random_seed(0)
    return models.StyleGAN(
        image_shape=(SIDE, SIDE, 1), latent_dim=8, w_dim=8, max_channels=16, channel_base=64,
        seed=0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def conditional():
    """A class-conditional MLP GAN whose classes draw visibly different images."""
    keras.utils.set_random_seed(0)
    gan = TinyConditionalGAN(image_shape=(SIDE, SIDE, 1), latent_dim=4, num_classes=4)
    # Keras' embeddings start within 0.05 of 0, where every class draws nearly the
    # same image; as large as z, a class is a direction that z cannot imitate.
    for layer in gan.generator.layers:
        if isinstance(layer, keras.layers.Embedding):
            layer.embeddings.assign(40.0 * layer.embeddings)
    return gan


# ------------------------------------------------------------------ schedules


def test_learning_rate_ramps_up_then_down_along_half_a_cosine():
    rate = projection.learning_rate_at

    assert rate(0.0) == 0.0
    assert rate(0.025) == pytest.approx(0.05)  # half way up the linear ramp
    assert rate(0.05) == pytest.approx(0.1)
    assert rate(0.5) == pytest.approx(0.1)
    assert rate(0.875) == pytest.approx(0.05)  # half way down the cosine
    assert rate(1.0) == pytest.approx(0.0)


def test_latent_noise_fades_quadratically_and_is_gone_after_three_quarters():
    scale = projection.noise_scale_at

    assert scale(0.0, spread=2.0) == pytest.approx(0.1)
    assert scale(0.375, spread=2.0) == pytest.approx(0.1 * 0.25)
    assert scale(0.75, spread=2.0) == 0.0
    assert scale(0.9, spread=2.0) == 0.0


# ------------------------------------------------------------------ distances


@pytest.mark.parametrize("shape", [(32, 32, 1), (28, 28, 1), (SIDE, SIDE, 1), (SIDE, SIDE, 3)])
def test_perceptual_distance_is_zero_for_equal_images_and_positive_for_others(distance, shape):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1.0, 1.0, (2, *shape)).astype(np.float32)
    others = rng.uniform(-1.0, 1.0, (2, *shape)).astype(np.float32)

    same = distance(images, images).numpy()
    different = distance(images, others).numpy()

    assert same.shape == different.shape == (2,)
    np.testing.assert_allclose(same, 0.0, atol=1e-6)
    assert (different > 1e-3).all()


def test_perceptual_distance_has_finite_gradients_even_on_flat_images(distance):
    # A flat black image leaves whole ReLU maps at 0, where a plain x / |x| has no gradient.
    images = tf.Variable(tf.fill((1, SIDE, SIDE, 1), -1.0))
    target = tf.zeros((1, SIDE, SIDE, 1))

    with tf.GradientTape() as tape:
        value = distance(images, target)
    gradient = tape.gradient(value, images).numpy()

    assert np.isfinite(gradient).all()
    assert np.abs(gradient).max() > 0.0


def test_pixel_distance_is_the_mean_squared_error():
    images = np.zeros((2, 2, 2, 1), np.float32)
    targets = np.stack([np.zeros((2, 2, 1)), np.full((2, 2, 1), 0.5)]).astype(np.float32)

    np.testing.assert_allclose(projection.pixel_distance(images, targets), [0.0, 0.25])


# ----------------------------------------------------------------- projection


def test_project_recovers_an_image_the_model_drew(dcgan, distance):
    target = dcgan(latents.seeded_latents(7, 1, LATENT_DIM)).numpy()
    start = dcgan(tf.zeros((1, LATENT_DIM))).numpy()  # where a z projection starts
    start_distance = float(np.mean(np.square(start - target)))

    (found,) = projection.project(dcgan, target, steps=60, distance=distance)

    assert (found.space, found.label, found.latent.shape) == ("z", None, (LATENT_DIM,))
    assert found.pixel_distance < 0.25 * start_distance
    assert found.pixel_distance < 1e-2
    # The latent draws the image; the snapshots run from the start to it.
    np.testing.assert_allclose(dcgan(found.latent[None]).numpy()[0], found.image, atol=1e-5)
    assert found.snapshots.shape == (projection.NUM_SNAPSHOTS, SIDE, SIDE, 1)
    np.testing.assert_allclose(found.snapshots[0], start[0], atol=1e-5)
    np.testing.assert_array_equal(found.snapshots[-1], found.image)


def test_project_is_a_pure_function_of_the_seed(dcgan, distance):
    target = dcgan(latents.seeded_latents(3, 2, LATENT_DIM)).numpy()

    first = projection.project(dcgan, target, steps=5, seed=1, distance=distance)
    again = projection.project(dcgan, target, steps=5, seed=1, distance=distance)
    other = projection.project(dcgan, target, steps=5, seed=2, distance=distance)

    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.latent, b.latent)
    assert not np.array_equal(first[0].latent, other[0].latent)


def test_project_style_model_finds_one_w_or_one_per_layer(styled, distance):
    gan = styled
    num_ws = gan.capabilities.styles[0]
    target = gan.generate(1, seed=5)

    (shared,) = projection.project(gan, target, steps=3, distance=distance)
    (per_layer,) = projection.project(gan, target, steps=3, per_layer=True, distance=distance)

    assert (shared.space, shared.latent.shape) == ("w", (8,))
    assert (per_layer.space, per_layer.latent.shape) == ("w+", (num_ws, 8))
    ws = np.repeat(shared.latent[None, None], num_ws, axis=1)
    np.testing.assert_allclose(np.asarray(gan.synthesize(ws))[0], shared.image, atol=1e-5)
    np.testing.assert_allclose(
        np.asarray(gan.synthesize(per_layer.latent[None]))[0], per_layer.image, atol=1e-5
    )


def test_project_searches_the_class_of_a_conditional_model(conditional, distance):
    z = latents.seeded_latents(11, 1, 4)
    target = conditional.generate(latents=z, labels=[2])

    (searched,) = projection.project(
        conditional, target, steps=60, class_search=0.4, distance=distance
    )
    (given,) = projection.project(conditional, target, steps=2, labels=1, distance=distance)

    assert searched.label == 2
    assert searched.pixel_distance < 1e-2
    assert given.label == 1
    np.testing.assert_allclose(
        conditional.generate(latents=searched.latent[None], labels=[2])[0], searched.image,
        atol=1e-5,
    )  # fmt: skip


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ({"targets": np.zeros((1, 8, 8, 1), np.float32)}, "targets must be images (N, 16, 16, 1)"),
        ({"per_layer": True}, "has no per-layer styles"),
        ({"labels": 3}, "unconditional"),
        ({"steps": 0}, "steps must be"),
    ],
    ids=["wrong_shape", "per_layer_without_styles", "label_of_unconditional", "no_steps"],
)
def test_project_refuses_bad_arguments_in_one_line(dcgan, distance, arguments, fragment):
    arguments = {"targets": np.zeros((1, SIDE, SIDE, 1), np.float32), **arguments}

    with pytest.raises(ZooError) as error:
        projection.project(dcgan, distance=distance, **arguments)

    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


# ---------------------------------------------------------------------- files


def test_fit_target_brings_an_image_to_the_models_channels_and_side():
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: luma 0.299 * 255 = 76

    gray = projection_files.fit_target(rgb, (SIDE, SIDE, 1))
    color = projection_files.fit_target(np.full((8, 8, 1), 255, np.uint8), (SIDE, SIDE, 3))

    assert gray.shape == (SIDE, SIDE, 1) and gray.dtype == np.float32
    np.testing.assert_allclose(gray, 76 / 127.5 - 1.0, atol=1e-6)
    assert color.shape == (SIDE, SIDE, 3)
    np.testing.assert_allclose(color, 1.0)


def test_read_image_file_keeps_gray_files_gray_and_refuses_bad_files(tmp_path):
    Image.fromarray(np.full((5, 6), 9, np.uint8)).save(tmp_path / "gray.png")
    Image.fromarray(np.full((5, 6, 4), 9, np.uint8)).save(tmp_path / "rgba.png")
    (tmp_path / "broken.png").write_text("not a picture")

    assert projection_files.read_image_file(tmp_path / "gray.png").shape == (5, 6, 1)
    assert projection_files.read_image_file(tmp_path / "rgba.png").shape == (5, 6, 3)
    for name in ("broken.png", "absent.png"):
        with pytest.raises(ZooError, match=name):
            projection_files.read_image_file(tmp_path / name)


def test_a_saved_latent_loads_with_its_label_and_space(tmp_path):
    found = projection.Projection(
        latent=np.arange(4, dtype=np.float32), space="z", label=3,
        image=np.zeros((SIDE, SIDE, 1), np.float32), snapshots=np.zeros((2, SIDE, SIDE, 1)),
        pixel_distance=0.5, perceptual_distance=0.25,
    )  # fmt: skip
    path = tmp_path / "proj00_latent.npy"

    projection_files.save_latent(path, found, target="shirt.png")
    saved = projection_files.load_latent(path)
    record = json.loads((tmp_path / "proj00_latent.json").read_text())

    np.testing.assert_array_equal(saved.latent, found.latent)
    assert (saved.label, saved.space) == (3, "z")
    assert record["target"] == "shirt.png" and record["pixel_distance"] == 0.5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(ZooError, match="absent.npy"):
        projection_files.load_latent(tmp_path / "absent.npy")


def test_interpolation_from_latent_starts_at_its_sample_and_ends_at_the_seeds(dcgan):
    start = 0.5 * latents.seeded_latents(4, 1, LATENT_DIM).numpy()[0]

    drawing = projection.interpolation_from_latent(dcgan, start, 9, steps=4)

    def tile(col):
        left = PAD + col * (SIDE + PAD)
        return drawing.picture[PAD : PAD + SIDE, left : left + SIDE].astype(int)

    first = pictures.to_images(dcgan(start[None]).numpy())[0].astype(int)
    last = pictures.to_images(dcgan.generate(1, seed=9))[0].astype(int)
    np.testing.assert_allclose(tile(0), first, atol=1)
    np.testing.assert_allclose(tile(3), last, atol=1)
    assert len(drawing.frames) == 4
    with pytest.raises(ZooError, match="walks from z"):
        projection.interpolation_from_latent(dcgan, np.zeros(3, np.float32), 9)


def test_interpolation_from_a_w_runs_straight_in_w_to_the_seeds_styles(styled):
    gan = styled
    num_ws = gan.capabilities.styles[0]
    w = np.linspace(-1.0, 1.0, 8, dtype=np.float32)

    drawing = projection.interpolation_from_latent(gan, w, 9, steps=3, space="w")

    def tile(col):
        left = PAD + col * (SIDE + PAD)
        return drawing.picture[PAD : PAD + SIDE, left : left + SIDE].astype(int)

    start = np.broadcast_to(w, (1, num_ws, 8))
    end = np.asarray(gan.styles(latents.seeded_latents(9, 1, 8)))
    for col, ws in enumerate((start, (start + end) / 2, end)):
        expected = pictures.to_images(np.asarray(gan.synthesize(ws)))[0].astype(int)
        np.testing.assert_allclose(tile(col), expected, atol=1)
    with pytest.raises(ZooError, match="projection in z"):
        projection.interpolation_from_latent(gan, w, 9, space="z")
