"""VanillaGAN: the shared harness, plus Goodfellow et al.'s Algorithm 1 and losses."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import arguments, base
from models.base import GAN
from models.vanilla_gan import VanillaGAN
from tests.harness import random_dataset, run_gan_test
from zoo.core.errors import ZooError

TINY = {"latent_dim": 4, "hidden_dims": (8, 8)}


@pytest.mark.parametrize(
    "init_kwargs, image_shape",
    [
        ({**TINY, "loss": "minimax", "d_steps": 2}, (2,)),
        ({**TINY, "ema_decay": 0.5}, (2,)),
        (TINY, (8, 8, 1)),
        ({**TINY, "packing": 2, "r1_gamma": 1.0}, (2,)),
        ({**TINY, "discriminator_hidden_dims": (16, 8, 4)}, (2,)),
    ],
    ids=[
        "points_minimax_d_steps_2",
        "points_ema",
        "images",
        "points_packing_2_r1",
        "points_wider_d",
    ],
)
def test_vanilla_gan_harness_passes(init_kwargs, image_shape):
    run_gan_test(VanillaGAN, init_kwargs, image_shape)


def test_discriminator_widths_default_to_generator_widths_reversed_or_follow_their_own():
    def dense_widths(network):
        return [layer.units for layer in network.layers if isinstance(layer, keras.layers.Dense)]

    mirrored = VanillaGAN(image_shape=(2,), latent_dim=4, hidden_dims=(8, 16))
    own = VanillaGAN(
        image_shape=(2,), latent_dim=4, hidden_dims=(8, 16), discriminator_hidden_dims=(32,)
    )

    assert dense_widths(mirrored.generator) == [8, 16, 2]
    assert dense_widths(mirrored.discriminator) == [16, 8, 1]
    assert dense_widths(own.generator) == [8, 16, 2]
    assert dense_widths(own.discriminator) == [32, 1]
    assert VanillaGAN.from_config(own.get_config()).discriminator_hidden_dims == (32,)


def test_vanilla_gan_output_activation_default_is_tanh_for_images_linear_for_points():
    assert VanillaGAN(image_shape=(8, 8, 1), **TINY).output_activation == "tanh"
    assert VanillaGAN(image_shape=(2,), **TINY).output_activation == "linear"


@pytest.mark.parametrize(
    "bad_kwargs",
    [
        {"d_steps": 0},
        {"d_steps": 1.5},
        {"latent_dim": 0},
        {"ema_decay": 1.0},
        {"ema_decay": -0.1},
        {"num_classes": -1},
        {"num_classes": 3},  # the MLP networks take no labels
        {"loss": "wasserstein_gp"},
        {"packing": 0},
        {"packing": 1.5},
        {"hidden_dims": (8, 0)},
        {"discriminator_hidden_dims": (16, -1)},
    ],
)
def test_vanilla_gan_bad_argument_raises_zoo_error(bad_kwargs):
    with pytest.raises(ZooError):
        VanillaGAN(image_shape=(2,), **{**TINY, **bad_kwargs})


# ------------------------------------------------------------ PacGAN packing


def test_packed_discriminator_gives_one_logit_per_pack_that_depends_on_its_samples_only():
    model = VanillaGAN(image_shape=(2,), packing=4, **TINY)
    samples = tf.random.stateless_normal((8, 2), seed=(1, 2))

    with tf.GradientTape() as tape:
        tape.watch(samples)
        logits = model.discriminate(samples)
        first_pack_logit = logits[0, 0]
    gradient = tape.gradient(first_pack_logit, samples).numpy()

    assert logits.shape == (2, 1)
    # Every sample of the first pack moves its logit; the second pack's none.
    assert np.all(np.abs(gradient[:4]).sum(axis=1) > 0)
    np.testing.assert_array_equal(gradient[4:], 0.0)


def test_packed_discriminator_sees_order_within_a_pack_as_one_input():
    model = VanillaGAN(image_shape=(2,), packing=2, **TINY)
    pair = tf.constant([[0.5, -1.0], [2.0, 0.25]])

    concatenated = model.discriminator(tf.reshape(pair, (1, 2, 2)))

    np.testing.assert_allclose(model.discriminate(pair), concatenated, rtol=1e-6)


def test_packing_with_a_batch_that_does_not_split_into_packs_raises_zoo_error():
    model = VanillaGAN(image_shape=(2,), packing=4, **TINY)
    with pytest.raises(ZooError, match="multiple of packing"):
        model.discriminate(tf.zeros((6, 2)))


# ------------------------------------------------------- Algorithm 1 (d_steps)


def test_vanilla_gan_fit_with_d_steps_3_takes_3_discriminator_steps_per_generator_step():
    model = VanillaGAN(image_shape=(2,), d_steps=3, **TINY)
    model.compile()

    model.fit(random_dataset(model, steps=2), verbose=0)

    assert int(model.d_optimizer.iterations) == 3 * 2
    assert int(model.g_optimizer.iterations) == 2
    # Callbacks and TensorBoard count steps through `model.optimizer`.
    assert int(model.optimizer.iterations) == 2


def test_vanilla_gan_train_step_gives_each_discriminator_step_its_own_real_minibatch():
    model = VanillaGAN(image_shape=(2,), d_steps=3, **TINY)
    model.compile(run_eagerly=True)
    seen = []
    discriminate = model.discriminate

    def recording_discriminate(samples, labels=None, training=False):
        seen.append(np.asarray(samples))
        return discriminate(samples, labels, training)

    model.discriminate = recording_discriminate
    batch = np.arange(3 * 4 * 2, dtype="float32").reshape(12, 2)

    model.train_step(tf.constant(batch))

    # Per discriminator step: real, then fake; then one fake for the generator.
    assert len(seen) == 2 * 3 + 1
    for step, chunk in enumerate(np.split(batch, 3)):
        np.testing.assert_array_equal(seen[2 * step], chunk)
    fakes = seen[1::2]
    assert not np.allclose(fakes[0], fakes[1]) and not np.allclose(fakes[1], fakes[2])


def test_vanilla_gan_split_real_batches_drops_labels_of_unconditional_model():
    model = VanillaGAN(image_shape=(2,), d_steps=2, **TINY)
    images = tf.reshape(tf.range(16, dtype=tf.float32), (8, 2))

    chunks = base.split_real_batches((images, tf.zeros(8, tf.int32)), model.d_steps, False)

    assert len(chunks) == 2
    for (chunk, labels), expected in zip(chunks, np.split(images.numpy(), 2), strict=True):
        np.testing.assert_array_equal(chunk, expected)
        assert labels is None


# ------------------------------------------------------------ loss direction


def test_vanilla_gan_discriminator_only_training_on_separable_points_lowers_d_loss():
    model = VanillaGAN(image_shape=(2,), latent_dim=4, hidden_dims=(16, 16))
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-2),
        # A zero learning rate freezes the generator: only D learns.
        g_optimizer=keras.optimizers.Adam(0.0),
    )
    rng = np.random.default_rng(0)
    # The untrained generator's outputs sit near the origin; real data far away.
    real = (np.array([4.0, 4.0]) + 0.1 * rng.normal(size=(48, 2))).astype("float32")
    latents = rng.normal(size=(48, 4)).astype("float32")
    generator_before = [w.copy() for w in model.generator.get_weights()]

    def d_loss():
        fake = model.generate(latents=latents)
        return float(model.d_loss_fn(model.discriminate(real), model.discriminate(fake)))

    before = d_loss()
    model.fit(tf.data.Dataset.from_tensor_slices(real).batch(8), verbose=0)
    after = d_loss()

    for old, new in zip(generator_before, model.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert after < 0.75 * before, (before, after)


# ------------------------------------------- minimax vs non-saturating gradients


def _generator_loss_gradient(loss, fake_logits):
    g_loss_fn = VanillaGAN(image_shape=(2,), loss=loss, **TINY).g_loss_fn
    fake_logits = tf.constant(fake_logits, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(fake_logits)
        g_loss = g_loss_fn(fake_logits)
    return tape.gradient(g_loss, fake_logits).numpy()


def test_minimax_generator_gradient_when_discriminator_rejects_fakes_vanishes():
    # Logits of -20: D(G(z)) = sigmoid(-20) ~ 2e-9, the start of training.
    gradient = _generator_loss_gradient("minimax", [[-20.0]] * 4)

    assert np.all(np.abs(gradient) < 1e-8)


def test_non_saturating_generator_gradient_when_discriminator_rejects_fakes_is_minus_1_over_n():
    gradient = _generator_loss_gradient("non_saturating", [[-20.0]] * 4)

    np.testing.assert_allclose(gradient, -1.0 / 4, atol=1e-6)


def test_generator_gradients_when_discriminator_accepts_fakes_swap_roles():
    # At D(G(z)) ~ 1 the minimax loss pushes at full strength and the
    # non-saturating one has nothing left to gain: same fixed point.
    minimax = _generator_loss_gradient("minimax", [[20.0]] * 4)
    non_saturating = _generator_loss_gradient("non_saturating", [[20.0]] * 4)

    np.testing.assert_allclose(minimax, -1.0 / 4, atol=1e-6)
    assert np.all(np.abs(non_saturating) < 1e-8)


# ------------------------------------------------------------------ saving


def test_vanilla_gan_save_before_compile_loads_uncompiled(tmp_path):
    model = VanillaGAN(image_shape=(2,), **TINY)

    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")

    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.generate(3, seed=0), model.generate(3, seed=0))


# ------------------------------------------------ conditional plumbing of GAN

# No family is conditional yet; this one puts VanillaGAN's train_step on MLPs
# that take labels, so the base's label handling and the harness's are tested.


@keras.saving.register_keras_serializable(package="gan_zoo_tests")
class ConditionalMLPGAN(GAN):
    argument_specs = {"image_shape": arguments.shape}

    def __init__(self, image_shape=(2,), latent_dim=4, num_classes=3, **kwargs):
        self._image_shape = tuple(image_shape)
        super().__init__(
            _conditional_mlp((latent_dim,), num_classes, self._image_shape[0]),
            _conditional_mlp(self._image_shape, num_classes, 1),
            latent_dim=latent_dim,
            num_classes=num_classes,
            **kwargs,
        )

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape}


def _conditional_mlp(input_shape, num_classes, output_dim):
    inputs = keras.Input(input_shape)
    labels = keras.Input((), dtype="int32")
    x = keras.layers.Concatenate()([inputs, keras.layers.Embedding(num_classes, 2)(labels)])
    x = keras.layers.Dense(8, activation="leaky_relu")(x)
    return keras.Model([inputs, labels], keras.layers.Dense(output_dim)(x))


def test_conditional_gan_harness_passes():
    run_gan_test(ConditionalMLPGAN, {"latent_dim": 4, "num_classes": 3, "d_steps": 2}, (2,))


def test_conditional_gan_generate_defaults_labels_to_classes_in_turn():
    model = ConditionalMLPGAN(latent_dim=4, num_classes=3)
    latents = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")

    np.testing.assert_allclose(
        model.generate(latents=latents),
        model.generate(latents=latents, labels=[0, 1, 2, 0, 1]),
    )
    assert not np.allclose(
        model.generate(latents=latents), model.generate(latents=latents, labels=[2] * 5)
    )


def test_vanilla_gan_penalty_every_n_applies_scaled_penalty_on_every_nth_step():
    gan = VanillaGAN(
        image_shape=(2,), latent_dim=4, hidden_dims=(8,), r1_gamma=2.0, penalty_every=3
    )
    gan.compile()
    real = tf.random.stateless_normal((16, 2), seed=(1, 2))
    fake = tf.random.stateless_normal((16, 2), seed=(3, 4))
    eager = VanillaGAN.from_config({**gan.get_config(), "penalty_every": 1})
    eager.set_weights(gan.get_weights())
    full = float(eager.discriminator_penalty(real, None, fake, None))
    assert full > 0
    penalties = []
    for _ in range(4):
        penalties.append(float(gan.discriminator_penalty(real, None, fake, None)))
        gan.d_optimizer.iterations.assign_add(1)
    np.testing.assert_allclose(penalties, [3 * full, 0.0, 0.0, 3 * full], rtol=1e-5)
