"""ADA: StyleGAN2-ADA's bgc pipeline at probability p, and p adapting to the discriminator."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests import test_scale_out as scale_out
from zoo.core import ada, augment, distribute
from zoo.core.errors import ZooError
from zoo.core.latents import TrainingNoise
from zoo.training import workdir


def _images(batch=6, side=16, channels=1, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (batch, side, side, channels)),
                       tf.float32)  # fmt: skip


def _keyed(seed=0, step=5):
    noise = TrainingNoise(seed)
    noise.start_step(tf.constant(step))
    return noise


def _pipeline(p):
    pipeline = ada.AdaptiveAugment()
    pipeline.p.assign(p)
    return pipeline


@pytest.mark.parametrize("channels", [1, 3])
def test_p_zero_is_the_identity(channels):
    images = _images(channels=channels)

    np.testing.assert_allclose(_pipeline(0.0)(images, _keyed()), images, atol=1e-6)


@pytest.mark.parametrize("channels", [1, 3])
def test_at_p_one_it_keeps_shape_and_dtype_passes_gradients_and_varies_per_sample(channels):
    images = tf.Variable(tf.tile(_images(batch=1, channels=channels), [6, 1, 1, 1]))

    with tf.GradientTape() as tape:
        seen = _pipeline(1.0)(images, _keyed())
        total = tf.reduce_sum(seen * seen)
    gradient = tape.gradient(total, images)

    assert seen.shape == images.shape and seen.dtype == tf.float32
    assert np.isfinite(seen.numpy()).all()
    assert gradient is not None and float(tf.reduce_sum(tf.abs(gradient))) > 0
    assert len({seen[i].numpy().tobytes() for i in range(6)}) == 6


def test_the_same_noise_key_gives_the_same_augmentation_and_another_key_another():
    images, pipeline = _images(), _pipeline(0.5)

    first = pipeline(images, _keyed(step=5))

    np.testing.assert_array_equal(first, pipeline(images, _keyed(step=5)))
    assert not np.array_equal(first, pipeline(images, _keyed(step=6)))


def test_geometric_transforms_keep_the_range_of_the_image():
    images = _images(batch=32)
    every = {name: tf.ones([32], tf.bool) for name in ada._GATES}
    noise = _keyed()
    uniforms = dict(zip(ada._UNIFORMS, tf.unstack(noise.uniform((32, len(ada._UNIFORMS))), axis=1),
                        strict=True))  # fmt: skip
    normals = dict(zip(ada._NORMALS, tf.unstack(noise.normal((32, len(ada._NORMALS))), axis=1),
                       strict=True))  # fmt: skip

    moved = ada.resample(images, ada.geometric_matrix(every, uniforms, normals, 16, 16)).numpy()

    # Bilinear reads of a reflected image mix its own pixels, nothing else.
    assert moved.min() >= images.numpy().min() - 1e-6
    assert moved.max() <= images.numpy().max() + 1e-6
    assert not np.allclose(moved, images)


def _matrix(*rows):
    return tf.constant([rows], tf.float32)


def test_flips_quarter_turns_and_whole_pixel_shifts_are_exact_with_the_border_reflected():
    image = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    pixels = image[0, :, :, 0].numpy()

    def moved(*rows):
        return ada.resample(image, _matrix(*rows))[0, :, :, 0].numpy()

    np.testing.assert_array_equal(moved([-1, 0, 0], [0, 1, 0], [0, 0, 1]), pixels[:, ::-1])
    np.testing.assert_array_equal(moved([0, -1, 0], [1, 0, 0], [0, 0, 1]), np.rot90(pixels))
    # Each output pixel reads one to its right: the last column reads the reflection.
    shifted = moved([1, 0, 1], [0, 1, 0], [0, 0, 1])
    np.testing.assert_array_equal(shifted[:, :3], pixels[:, 1:])
    np.testing.assert_array_equal(shifted[:, 3], pixels[:, 3])


def test_grey_images_get_brightness_contrast_and_the_luma_flip_as_negation():
    grey = _images(batch=2, channels=1)
    gates = {name: tf.constant([name == "lumaflip"] * 2) for name in ada._GATES}
    uniforms = {name: tf.constant([0.75, 0.75]) for name in ada._UNIFORMS}  # flip drawn: 1
    normals = {name: tf.constant([1.0, 1.0]) for name in ada._NORMALS}

    np.testing.assert_allclose(ada.colour(grey, gates, uniforms, normals), -grey.numpy())
    gates = {name: tf.constant([name in ("brightness", "contrast")] * 2) for name in ada._GATES}
    expected = (grey.numpy() + ada.BRIGHTNESS_STD) * 2**ada.CONTRAST_STD
    np.testing.assert_allclose(ada.colour(grey, gates, uniforms, normals), expected, rtol=1e-6)


def test_hue_and_saturation_leave_grey_pixels_alone_and_change_coloured_ones():
    gates = {name: tf.constant([name in ("hue", "saturation")] * 2) for name in ada._GATES}
    uniforms = {name: tf.constant([0.3, 0.9]) for name in ada._UNIFORMS}
    normals = {name: tf.constant([1.0, -1.0]) for name in ada._NORMALS}
    grey = tf.tile(_images(batch=2, channels=1), [1, 1, 1, 3])
    coloured = _images(batch=2, channels=3)

    np.testing.assert_allclose(ada.colour(grey, gates, uniforms, normals), grey, atol=1e-5)
    changed = ada.colour(coloured, gates, uniforms, normals).numpy()
    assert not np.allclose(changed, coloured)
    # Both keep each pixel's luma (the mean of its channels).
    np.testing.assert_allclose(changed.mean(-1), coloured.numpy().mean(-1), atol=1e-5)


def _observe(pipeline, logits, steps):
    for _ in range(steps):
        logged = pipeline.observe(tf.constant(logits, tf.float32))
    return float(pipeline.p.numpy()), logged


def test_p_rises_every_interval_when_the_discriminator_is_overconfident_on_reals():
    pipeline = ada.AdaptiveAugment(speed=1000)

    p, logged = _observe(pipeline, [[2.0]] * 10, ada.INTERVAL - 1)
    assert p == 0.0  # not due yet
    p, logged = _observe(pipeline, [[2.0]] * 10, 1)
    assert p == pytest.approx(10 * ada.INTERVAL / 1000)  # the interval's images / speed
    assert float(logged["augment_p"]) == pytest.approx(p)
    assert float(logged["augment_rt"]) == pytest.approx(1.0)


def test_p_falls_when_the_discriminator_is_not_overconfident_and_stays_in_zero_one():
    pipeline = _pipeline(0.5)
    pipeline.speed = 100.0

    # Half the reals scored positive: r_t = 0 < 0.6.
    p, _ = _observe(pipeline, [[1.0], [-1.0]] * 5, ada.INTERVAL)
    assert p == pytest.approx(0.5 - 10 * ada.INTERVAL / 100)
    assert _observe(pipeline, [[1.0], [-1.0]] * 5, 10 * ada.INTERVAL)[0] == 0.0
    assert _observe(pipeline, [[3.0]] * 10, 100 * ada.INTERVAL)[0] == 1.0


@pytest.mark.parametrize(
    "spec, fragment",
    [("ada:target=2", r"target must be in \[0, 1\]"), ("ada:p=3", "ada or ada:target=T"),
     ("ada:target=x", "target must be a number"), ("ada:speed=0", "speed must be a positive")],
)  # fmt: skip
def test_a_bad_ada_spec_is_one_line(spec, fragment):
    with pytest.raises(ZooError, match=fragment):
        augment.from_spec(spec)


def test_a_compiled_gan_logs_p_and_its_checkpoint_holds_it(tmp_path):
    gan = zoo.build("dcgan", image_shape=(16, 16, 1), latent_dim=4, base_filters=2)
    gan.compile(augment="ada:target=0.5")
    assert gan.augment.spec == "ada:target=0.5"
    assert augment.from_spec("ada:speed=1e5,target=0.6").spec == "ada:speed=100000"
    gan.augment.p.assign(0.37)
    gan.augment.sign_sum.assign(3.0)
    workdir.make_checkpoint(gan).save(str(tmp_path / "ckpt"))

    fresh = zoo.build("dcgan", image_shape=(16, 16, 1), latent_dim=4, base_filters=2)
    fresh.compile(augment="ada:target=0.5")
    workdir.make_checkpoint(fresh).restore(str(tmp_path / "ckpt-1")).assert_consumed()
    assert float(fresh.augment.p.numpy()) == pytest.approx(0.37)
    assert float(fresh.augment.sign_sum.numpy()) == 3.0

    history = fresh.fit(_images(batch=8), batch_size=4, epochs=1, verbose=0).history
    assert {"augment_p", "augment_rt"} <= set(history)


def test_a_mirrored_adaptive_step_is_one_devices():
    """p, its sums and the weights: two replicas take the one-device step."""
    runs = []
    for strategy, replicas in ((None, 1), (distribute.make_strategy("mirrored"), 2)):
        gan = scale_out._build("dcgan", strategy)
        with (strategy or tf.distribute.get_strategy()).scope():
            gan.compile(d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer, augment="ada")
        gan.augment.p.assign(0.5)
        gan.augment.steps.assign(ada.INTERVAL - 1)  # this step adjusts p
        weights = scale_out._fit_one_step(gan, replicas)
        runs.append((weights, [keras.ops.convert_to_numpy(v) for v in gan.augment.state.values()]))

    (one_weights, one_state), (two_weights, two_state) = runs
    assert one_state[0] != 0.5  # p moved
    np.testing.assert_allclose(two_state, one_state, rtol=1e-6)
    for a, b in zip(two_weights, one_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
