"""StyleGAN's layers (models.layers) and networks (models.stylegan_networks), tiny and fast."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import layers
from models import stylegan_networks as networks
from zoo.core.errors import ZooError

CHANNELS_AT = networks.default_channels(max_channels=8, channel_base=64)
W_DIM = 8


def _normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _one_line_zoo_error(build):
    with pytest.raises(ZooError) as raised:
        build()
    assert "\n" not in str(raised.value)
    return str(raised.value)


# ---------------------------------------------------------------- ModulatedConv2D


def _twin_modulated_convs(**kwargs):
    """A `"scaled"` and a `"grouped"` ModulatedConv2D with the same kernel, and inputs."""
    features, styles = _normal((3, 6, 6, 5)), _normal((3, 5), seed=1) + 1.0
    scaled = layers.ModulatedConv2D(4, 3, implementation="scaled", **kwargs)
    grouped = layers.ModulatedConv2D(4, 3, implementation="grouped", **kwargs)
    scaled.build([features.shape, styles.shape])
    grouped.build([features.shape, styles.shape])
    grouped.set_weights(scaled.get_weights())
    return scaled, grouped, [features, styles]


@pytest.mark.parametrize(
    "demodulate, upsample", [(True, False), (False, False), (True, True)],
    ids=["demodulated", "modulated_only", "upsampled"],
)  # fmt: skip
def test_modulated_conv_scaled_implementation_equals_grouped(demodulate, upsample):
    scaled, grouped, inputs = _twin_modulated_convs(demodulate=demodulate, upsample=upsample)

    expected = scaled(inputs)
    side = 12 if upsample else 6
    assert expected.shape == (3, side, side, 4)
    np.testing.assert_allclose(grouped(inputs), expected, rtol=1e-5, atol=1e-5)


def test_modulated_conv_implementations_agree_on_gradients_in_a_traced_step():
    # A batch unknown at trace time, as in a train step: the grouped form
    # folds it into the channels at run time.
    scaled, grouped, (features, styles) = _twin_modulated_convs(upsample=True)
    weights = tf.constant(_normal((3, 12, 12, 4), seed=2))
    signature = [tf.TensorSpec((None, 6, 6, 5)), tf.TensorSpec((None, 5))]

    def gradients(layer):
        @tf.function(input_signature=signature)
        def step(features, styles):
            with tf.GradientTape() as tape:
                tape.watch(styles)
                loss = tf.reduce_sum(layer([features, styles]) * weights)
            return tape.gradient(loss, [layer.kernel, styles])

        return step(features, styles)

    for expected, actual in zip(gradients(scaled), gradients(grouped), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def _interior_variance_per_channel(layer, style_scale):
    features = _normal((4, 16, 16, 64))
    styles = _normal((4, 64), seed=1) * style_scale
    outputs = np.asarray(layer([features, styles]))
    # The border pixels see zero padding, which lowers their variance.
    return outputs[:, 1:-1, 1:-1, :].var(axis=(0, 1, 2))


def test_modulated_conv_demodulation_gives_unit_variance_whatever_the_styles():
    demodulated = layers.ModulatedConv2D(8, 3)
    for style_scale in (0.3, 1.0, 5.0):
        variance = _interior_variance_per_channel(demodulated, style_scale)
        assert np.all((variance > 0.7) & (variance < 1.3)), (style_scale, variance)

    # Without demodulation the output scales with the styles (variance ~ 25).
    modulated = layers.ModulatedConv2D(8, 3, demodulate=False)
    modulated.build([(None, 16, 16, 64), (None, 64)])
    modulated.set_weights(demodulated.get_weights())
    assert np.all(_interior_variance_per_channel(modulated, 5.0) > 10.0)


def test_modulated_conv_without_demodulation_differs_and_scales_with_styles():
    demodulated, _, inputs = _twin_modulated_convs()
    modulated = layers.ModulatedConv2D(4, 3, demodulate=False)
    modulated.build([inputs[0].shape, inputs[1].shape])
    modulated.set_weights(demodulated.get_weights())

    assert not np.allclose(modulated(inputs), demodulated(inputs), atol=1e-3)
    # Demodulation cancels a common scale of the styles; plain modulation keeps it.
    doubled = [inputs[0], 2.0 * inputs[1]]
    np.testing.assert_allclose(demodulated(doubled), demodulated(inputs), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(modulated(doubled), 2.0 * modulated(inputs), rtol=1e-4, atol=1e-5)


def test_modulated_conv_bad_arguments_raise_one_line_zoo_error():
    assert "implementation" in _one_line_zoo_error(
        lambda: layers.ModulatedConv2D(4, 3, implementation="fft")
    )
    assert "filters" in _one_line_zoo_error(lambda: layers.ModulatedConv2D(0, 3))
    layer = layers.ModulatedConv2D(4, 3)
    assert "style" in _one_line_zoo_error(lambda: layer([_normal((1, 4, 4, 5)), _normal((1, 3))]))


# ----------------------------------------------------------------- NoiseInjection


def test_noise_injection_starts_as_identity_then_adds_fresh_or_constant_noise():
    features = _normal((2, 4, 4, 3))
    layer = layers.NoiseInjection(seed=7)
    for training in (True, False):
        np.testing.assert_array_equal(layer(features, training=training), features)

    strength = np.array([0.5, 1.0, 2.0], "float32")
    layer.strength.assign(strength)
    first, second = (np.asarray(layer(features, training=True)) for _ in range(2))
    assert first.shape == features.shape
    assert not np.allclose(first, second)
    # One noise image per sample, shared by the channels, times each strength.
    noise = (first - features) / strength
    np.testing.assert_allclose(noise[..., 1:], np.repeat(noise[..., :1], 2, axis=-1), atol=1e-5)

    inference = np.asarray(layer(features, training=False))
    np.testing.assert_array_equal(layer(features, training=False), inference)
    np.testing.assert_array_equal(layer(features), inference)
    np.testing.assert_allclose(
        inference, features + np.asarray(layer.noise)[None] * strength, atol=1e-6
    )


def test_noise_injection_layers_get_different_constant_noise():
    first, second = layers.NoiseInjection(), layers.NoiseInjection()
    for layer in (first, second):
        layer.build((None, 4, 4, 2))
    assert not np.allclose(first.noise, second.noise)
    assert [w.name for w in first.trainable_weights] == ["strength"]


# ----------------------------------------------------------------------- AdaIN


def test_adain_gives_each_feature_map_the_style_mean_and_std():
    rng = np.random.default_rng(3)
    # Feature maps with means and scales far from 0 and 1.
    features = (_normal((2, 5, 5, 3)) * rng.uniform(0.1, 10, (2, 1, 1, 3)) + 5).astype("float32")
    scale = rng.uniform(0.5, 2.0, (2, 3)).astype("float32")
    shift = rng.standard_normal((2, 3)).astype("float32")

    outputs = np.asarray(
        layers.AdaptiveInstanceNormalization()([features, np.concatenate([scale, shift], -1)])
    )

    assert outputs.shape == features.shape
    np.testing.assert_allclose(outputs.mean(axis=(1, 2)), shift, atol=1e-3)
    np.testing.assert_allclose(outputs.std(axis=(1, 2)), scale, atol=1e-3)


def test_adain_needs_two_styles_per_channel():
    layer = layers.AdaptiveInstanceNormalization()
    assert "2 * channels" in _one_line_zoo_error(
        lambda: layer([_normal((1, 4, 4, 3)), _normal((1, 3))])
    )


# ------------------------------------------------------------------------ networks


def test_default_channels_is_nvidia_rule():
    channels_at = networks.default_channels(max_channels=64, channel_base=1024)
    assert [channels_at(r) for r in (4, 8, 16, 32, 64)] == [64, 64, 64, 32, 16]


def test_style_affine_reads_its_w_and_starts_scales_at_one():
    ws = _normal((2, 3, W_DIM))
    affine = networks.StyleAffine(6, w_index=1, bias_ones=4)
    outputs = np.asarray(affine(ws))
    np.testing.assert_array_equal(affine.bias.numpy(), [1, 1, 1, 1, 0, 0])

    other = ws.copy()
    other[:, [0, 2]] = 0.0
    np.testing.assert_allclose(affine(other), outputs)
    other[:, 1] = 0.0
    np.testing.assert_allclose(affine(other), np.broadcast_to([1, 1, 1, 1, 0, 0], (2, 6)))


def test_mapping_network_maps_z_to_w_whatever_the_scale_of_z():
    mapping = networks.mapping_network(latent_dim=6, w_dim=W_DIM, num_layers=3)
    z = _normal((5, 6))

    w = np.asarray(mapping(z))

    assert w.shape == (5, W_DIM)
    assert mapping.input_shape == (None, 6)
    np.testing.assert_allclose(mapping(3.0 * z), w, rtol=1e-5, atol=1e-6)
    assert not np.allclose(mapping(_normal((5, 6), seed=1)), w)


@pytest.mark.parametrize("side, num_ws", [(8, 4), (16, 6), (32, 8), (256, 14)])
def test_num_ws_for(side, num_ws):
    assert networks.num_ws_for(side) == num_ws


@pytest.mark.parametrize("side", [4, 24, 0, 2])
def test_synthesis_network_bad_side_raises_one_line_zoo_error(side):
    message = _one_line_zoo_error(lambda: networks.num_ws_for(side))
    assert "4 * 2^n" in message
    _one_line_zoo_error(lambda: networks.synthesis_network((side, side, 3), W_DIM, CHANNELS_AT))
    _one_line_zoo_error(lambda: networks.stylegan_discriminator((side, side, 3), CHANNELS_AT))


def test_synthesis_network_bad_shape_or_modulation_raises_one_line_zoo_error():
    assert "square" in _one_line_zoo_error(
        lambda: networks.synthesis_network((16, 8, 3), W_DIM, CHANNELS_AT)
    )
    assert "modulation" in _one_line_zoo_error(
        lambda: networks.synthesis_network((16, 16, 3), W_DIM, CHANNELS_AT, modulation="none")
    )


def _synthesis(side, modulation, implementation="scaled", resampling="nearest"):
    return networks.synthesis_network(
        (side, side, 3), W_DIM, CHANNELS_AT, modulation=modulation, implementation=implementation,
        resampling=resampling,
    )  # fmt: skip


@pytest.mark.parametrize("modulation", networks.MODULATIONS)
@pytest.mark.parametrize("side", [16, 32])
def test_synthesis_network_output_shape(side, modulation):
    synthesis = _synthesis(side, modulation)
    num_ws = networks.num_ws_for(side)
    assert synthesis.input_shape == (None, num_ws, W_DIM)

    images = synthesis(_normal((2, num_ws, W_DIM)), training=True)

    assert images.shape == (2, side, side, 3)
    assert np.all(np.isfinite(images))


@pytest.mark.parametrize("modulation", networks.MODULATIONS)
def test_synthesis_network_uses_every_w(modulation):
    synthesis = _synthesis(16, modulation)
    ws = _normal((2, 6, W_DIM))
    images = np.asarray(synthesis(ws, training=False))

    changed = []
    for index in range(6):
        other = ws.copy()
        other[:, index] = _normal((2, W_DIM), seed=10 + index)
        if not np.allclose(synthesis(other, training=False), images, atol=1e-5):
            changed.append(index)

    assert changed == list(range(6))


@pytest.mark.parametrize("side", [16, 32])
def test_discriminator_gives_one_logit_per_sample(side):
    discriminator = networks.stylegan_discriminator((side, side, 3), CHANNELS_AT)

    logits = discriminator(_normal((4, side, side, 3)))

    assert logits.shape == (4, 1)
    assert np.all(np.isfinite(logits))
    assert discriminator.get_layer(f"b{side}_fromrgb") is not None


@pytest.mark.parametrize(
    "modulation, implementation, resampling",
    [("demodulate", "grouped", "nearest"), ("adain", "scaled", "nearest"),
     ("demodulate", "scaled", "filtered")],
)  # fmt: skip
def test_networks_with_every_new_layer_round_trip_through_keras_file(
    tmp_path, modulation, implementation, resampling
):
    synthesis = _synthesis(8, modulation, implementation, resampling)
    for layer in synthesis.layers:
        if isinstance(layer, layers.NoiseInjection):
            layer.strength.assign(np.full(layer.strength.shape, 0.5, "float32"))
        if isinstance(layer, networks.BiasActivation):
            layer.bias.assign(_normal(layer.bias.shape, seed=4))
    mapping = networks.mapping_network(latent_dim=4, w_dim=W_DIM, num_layers=2)
    discriminator = networks.stylegan_discriminator(
        (8, 8, 3), CHANNELS_AT, mbstd_group_size=2, resampling=resampling
    )
    latents = keras.Input((4,), name="latents")
    w = mapping(latents)
    ws = keras.layers.RepeatVector(networks.num_ws_for(8))(w)
    model = keras.Model(latents, discriminator(synthesis(ws)))
    z = _normal((2, 4))
    path = tmp_path / "stylegan.keras"

    model.save(path)
    loaded = keras.models.load_model(path)

    np.testing.assert_allclose(loaded(z, training=False), model(z, training=False), atol=1e-6)
    loaded_synthesis = loaded.get_layer("synthesis")
    assert loaded_synthesis.get_layer("b8_torgb").implementation == implementation
    noise = loaded_synthesis.get_layer("b8_conv1_noise")
    np.testing.assert_array_equal(noise.noise, synthesis.get_layer("b8_conv1_noise").noise)


def test_synthesis_network_clone_with_copied_weights_gives_same_images():
    # How models.base.GAN makes its EMA generator: clone_model, then set_weights.
    synthesis = _synthesis(8, "demodulate")
    for layer in synthesis.layers:
        if isinstance(layer, layers.NoiseInjection):
            layer.strength.assign(np.full(layer.strength.shape, 0.5, "float32"))
    clone = keras.models.clone_model(synthesis)
    ws = _normal((2, 4, W_DIM))
    assert not np.allclose(clone(ws, training=False), synthesis(ws, training=False))

    clone.set_weights(synthesis.get_weights())

    np.testing.assert_allclose(clone(ws, training=False), synthesis(ws, training=False), atol=1e-6)


# ---------------------------------------------------------------- filtered resampling


def test_filtered_resampling_keeps_flat_images_flat_and_halves_or_doubles_the_side():
    flat = np.full((1, 8, 8, 2), 0.5, "float32")

    up = np.asarray(layers.FilteredUpsample2D()(flat))
    down = np.asarray(layers.FilteredDownsample2D()(flat))

    assert up.shape == (1, 16, 16, 2) and down.shape == (1, 4, 4, 2)
    # Away from the zero padding, the gain makes up for the inserted zeros.
    np.testing.assert_allclose(up[:, 2:-2, 2:-2], 0.5, rtol=1e-6)
    np.testing.assert_allclose(down[:, 1:-1, 1:-1], 0.5, rtol=1e-6)
    assert layers.Blur2D((2, 2))(flat).shape == (1, 9, 9, 2)


def test_filtered_upsampling_removes_the_highest_frequency():
    checkerboard = np.indices((8, 8)).sum(0) % 2 * 2.0 - 1.0  # +-1, the Nyquist frequency
    image = checkerboard[None, :, :, None].astype("float32")

    smoothed = np.asarray(layers.FilteredUpsample2D()(image))[0, 4:-4, 4:-4, 0]
    copied = np.asarray(layers.Upsample2D()(image))[0, 4:-4, 4:-4, 0]

    assert np.abs(smoothed).max() < 0.3 * np.abs(copied).max()


def test_filtered_modulated_conv_doubles_and_demodulates():
    features, styles = _normal((8, 6, 6, 16)), _normal((8, 16), seed=1) + 1.0
    conv = layers.ModulatedConv2D(32, 3, upsample=True, resampling="filtered")

    outputs = np.asarray(conv([features, styles]))

    assert outputs.shape == (8, 12, 12, 32)
    # Demodulated: of the order of the inputs' unit variance, whatever the styles.
    assert 0.2 < outputs[:, 2:-2, 2:-2].std() < 3.0
    message = _one_line_zoo_error(
        lambda: layers.ModulatedConv2D(4, 3, resampling="filtered", implementation="grouped")
    )
    assert "needs implementation 'scaled'" in message


def test_filtered_modulated_conv_with_a_centred_kernel_is_the_filtered_upsampling():
    # Its transposed convolution and filter padding put each pixel where
    # FilteredUpsample2D (the toRGB skips' upsampling) puts it, half a pixel in.
    ramp = np.add.outer(10.0 * np.arange(6), np.arange(6)).astype("float32")[None, :, :, None]
    conv = layers.ModulatedConv2D(1, 3, demodulate=False, upsample=True, resampling="filtered")
    conv([ramp, np.ones((1, 1), "float32")])
    centred = np.zeros((3, 3, 1, 1), "float32")
    centred[1, 1] = 3.0  # the equalized learning rate divides by sqrt(3 * 3 * 1)
    conv.weights[0].assign(centred)

    outputs = np.asarray(conv([ramp, np.ones((1, 1), "float32")]))

    np.testing.assert_allclose(outputs, layers.FilteredUpsample2D()(ramp), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("side", [8, 16])
def test_filtered_networks_have_the_nearest_ones_weights_and_shapes(side):
    nearest = networks.stylegan_discriminator((side, side, 3), CHANNELS_AT, mbstd_group_size=2)
    filtered = networks.stylegan_discriminator(
        (side, side, 3), CHANNELS_AT, mbstd_group_size=2, resampling="filtered"
    )
    images = _normal((2, side, side, 3))

    assert [w.shape for w in filtered.weights] == [w.shape for w in nearest.weights]
    assert filtered(images).shape == (2, 1)
    synthesis = _synthesis(side, "demodulate", resampling="filtered")
    assert synthesis(_normal((2, networks.num_ws_for(side), W_DIM))).shape == (2, side, side, 3)
    assert "resampling 'nearest' or 'filtered'" in _one_line_zoo_error(
        lambda: _synthesis(side, "demodulate", resampling="bilinear")
    )
