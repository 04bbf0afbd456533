"""DiffAugment: differentiable, per sample, keyed to the training noise; how training uses it."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests import test_scale_out as scale_out
from zoo.core import augment
from zoo.core.errors import ZooError
from zoo.core.latents import TrainingNoise


def _images(batch=6, side=16, channels=1, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (batch, side, side, channels)),
                       tf.float32)  # fmt: skip


def _keyed(seed=0, step=5):
    noise = TrainingNoise(seed)
    noise.start_step(tf.constant(step))
    return noise


@pytest.mark.parametrize("policies", [("color",), ("translation",), ("cutout",), augment.POLICIES])
def test_each_policy_keeps_shape_and_dtype_passes_gradients_and_varies_per_sample(policies):
    images = tf.Variable(tf.tile(_images(batch=1, channels=3), [6, 1, 1, 1]))  # six equal images
    pipeline = augment.DiffAugment(policies)

    with tf.GradientTape() as tape:
        seen = pipeline(images, _keyed())
        total = tf.reduce_sum(seen * seen)
    gradient = tape.gradient(total, images)

    assert seen.shape == images.shape and seen.dtype == tf.float32
    assert gradient is not None and float(tf.reduce_sum(tf.abs(gradient))) > 0
    different = {seen[i].numpy().tobytes() for i in range(6)}
    assert len(different) > 1  # the same image, augmented differently per sample


def test_the_same_noise_key_gives_the_same_augmentation_and_another_key_another():
    images = _images()
    pipeline = augment.DiffAugment()

    first = pipeline(images, _keyed(step=5))
    again = pipeline(images, _keyed(step=5))
    later = pipeline(images, _keyed(step=6))

    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.array_equal(first.numpy(), later.numpy())


def test_translation_shifts_whole_pixels_and_fills_with_mid_grey():
    images = tf.reshape(tf.range(1.0, 17.0), [1, 4, 4, 1])

    shifted = augment.translation(images, tf.constant([[1, -2]]))[0, :, :, 0].numpy()

    expected = np.zeros((4, 4), np.float32)  # FILL = 0
    expected[1:, :2] = images[0, :3, 2:, 0].numpy()
    np.testing.assert_array_equal(shifted, expected)
    np.testing.assert_array_equal(augment.translation(images, tf.zeros([1, 2], tf.int32)), images)


def test_cutout_blanks_a_square_of_half_the_side_cut_at_the_border():
    images = tf.ones([2, 16, 16, 1])

    cut = augment.cutout(images, tf.constant([[8, 8], [0, 15]])).numpy()[..., 0]

    assert (cut[0] == augment.FILL).sum() == 8 * 8  # inside the image
    assert (cut[1] == augment.FILL).sum() == 4 * 5  # rows 0-3, columns 11-15
    assert set(np.unique(cut)) == {0.0, 1.0}


def test_colour_leaves_one_channel_saturation_alone_and_shifts_brightness_per_sample():
    images = _images(batch=2)
    u = tf.constant([0.0, 1.0])

    np.testing.assert_array_equal(augment.saturation(images, u), images)
    shifted = augment.brightness(images, u) - images
    np.testing.assert_allclose(shifted[0].numpy(), -0.5, atol=1e-6)
    np.testing.assert_allclose(shifted[1].numpy(), 0.5, atol=1e-6)


@pytest.mark.parametrize(
    "spec, fragment",
    [("diffaugment:color,blur", "got color,blur"), ("adb", "augment must be none, diffaugment")],
)
def test_a_bad_spec_is_one_line(spec, fragment):
    with pytest.raises(ZooError, match=fragment):
        augment.from_spec(spec)


def test_a_compiled_gan_augments_only_in_training_and_saves_its_augmentation(tmp_path):
    gan = zoo.build("dcgan", image_shape=(16, 16, 1), latent_dim=4, base_filters=2)
    gan.compile(augment="diffaugment:translation,cutout")
    images = _images(batch=4)
    gan.noise.start_step(tf.constant(3))

    np.testing.assert_array_equal(gan.augmented(images, training=False), images)
    assert not np.array_equal(gan.augmented(images, training=True), images)
    gan.save(tmp_path / "gan.keras")
    restored = keras.saving.load_model(tmp_path / "gan.keras")
    assert restored.augment.spec == "diffaugment:translation,cutout"
    assert json.loads(json.dumps(restored.get_compile_config()))["augment"] == restored.augment.spec


class _Recording:
    """A pipeline that notes the shape of what it augments."""

    def __init__(self, pipeline):
        self.pipeline, self.seen = pipeline, []
        self.state, self.observe = pipeline.state, pipeline.observe

    def __call__(self, images, noise):
        self.seen.append(images.shape)
        return self.pipeline(images, noise)


# The base's `discriminate` augments for every family but ProGAN, which has its own:
# those two in the fast suite, the other families with the slow tests.
@pytest.mark.parametrize("spec", ["diffaugment", "ada"])
@pytest.mark.parametrize(
    "family",
    ["dcgan", "progan", *(pytest.param(f, marks=pytest.mark.slow) for f in ("wgan_gp", "sagan",
                                                                        "stylegan"))],
)  # fmt: skip
def test_every_image_family_trains_a_step_with_augmentation(family, spec):
    gan = scale_out._build(family)
    before = scale_out._weights(gan)
    gan.compile(d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer, augment=spec)
    if spec == "ada":
        gan.augment.p.assign(0.8)
    gan.augment = recording = _Recording(gan.augment)

    after = scale_out._fit_one_step(gan, replicas=1)
    seen = recording.seen

    # Traced once: the reals and fakes of the discriminator's step, the fakes of the
    # generator's, and the penalties' inputs where the family has penalties.
    assert len(seen) >= 3 and all(len(shape) == 4 for shape in seen)
    assert all(np.isfinite(w).all() for w in after)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_points_refuse_augmentation():
    gan = zoo.build("vanilla_gan", image_shape=(2,), latent_dim=4, hidden_dims=(8,))

    with pytest.raises(ZooError, match="makes 2-D points: augmentation is for images"):
        gan.compile(augment="diffaugment")
