"""models.layers: ProGAN's building blocks against plain Keras layers and numpy."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import layers
from zoo.core.errors import ZooError


def _normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# ------------------------------------------------------ equalized learning rate


def _equalized_and_plain(kind, gain=layers.RELU_GAIN, lr_multiplier=1.0):
    """An equalized layer, a plain Keras twin, an input, and the He constant."""
    if kind == "dense":
        inputs = _normal((5, 6))
        equalized = layers.EqualizedDense(4, gain=gain, lr_multiplier=lr_multiplier)
        plain = keras.layers.Dense(4)
        fan_in = 6
    else:
        inputs = _normal((2, 6, 6, 3))
        equalized = layers.EqualizedConv2D(4, 3, strides=2, gain=gain, lr_multiplier=lr_multiplier)
        plain = keras.layers.Conv2D(4, 3, strides=2, padding="same")
        fan_in = 3 * 3 * 3
    equalized.build(inputs.shape)
    plain.build(inputs.shape)
    # A nonzero bias, so the test sees how it is scaled.
    equalized.bias.assign(_normal(equalized.bias.shape, seed=1))
    return equalized, plain, inputs, gain / math.sqrt(fan_in)


@pytest.mark.parametrize(
    "make_layer, input_shape",
    [(lambda: layers.EqualizedDense(256), (None, 256)),
     (lambda: layers.EqualizedConv2D(32, 3), (None, 8, 8, 32))],
    ids=["dense", "conv"],
)  # fmt: skip
def test_equalized_layer_kernel_at_init_is_standard_normal_not_he_scaled(make_layer, input_shape):
    layer = make_layer()
    layer.build(input_shape)
    kernel = layer.kernel.numpy()

    # 65,536 / 9,216 draws: N(0, 1)'s std within 2%, far from He's sqrt(2 / 256) ~ 0.09.
    assert np.std(kernel) == pytest.approx(1.0, abs=0.02)
    assert abs(np.mean(kernel)) < 0.03
    np.testing.assert_array_equal(layer.bias.numpy(), 0.0)


@pytest.mark.parametrize("kind", ["dense", "conv"])
@pytest.mark.parametrize("gain", [layers.RELU_GAIN, 1.0], ids=["relu_gain", "linear_gain"])
def test_equalized_layer_output_equals_plain_layer_with_he_scaled_kernel(kind, gain):
    equalized, plain, inputs, he_constant = _equalized_and_plain(kind, gain)
    plain.set_weights([equalized.kernel.numpy() * he_constant, equalized.bias.numpy()])

    np.testing.assert_allclose(equalized(inputs), plain(inputs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_equalized_layer_kernel_gradient_is_plain_gradient_times_he_constant(kind):
    equalized, plain, inputs, he_constant = _equalized_and_plain(kind)
    plain.set_weights([equalized.kernel.numpy() * he_constant, equalized.bias.numpy()])
    # A loss that weighs every output differently, so no gradient entry vanishes.
    weights = tf.constant(_normal(plain(inputs).shape, seed=2))

    gradients = []
    for layer in (equalized, plain):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(inputs) * weights)
        gradients.append(tape.gradient(loss, layer.kernel).numpy())

    np.testing.assert_allclose(gradients[0], he_constant * gradients[1], rtol=1e-5, atol=1e-6)
    assert not np.allclose(gradients[0], gradients[1], rtol=0.1)


@pytest.mark.parametrize("kind", ["dense", "conv"])
def test_equalized_layer_lr_multiplier_scales_init_kernel_and_bias(kind):
    equalized, plain, inputs, he_constant = _equalized_and_plain(kind, lr_multiplier=0.01)
    kernel, bias = equalized.kernel.numpy(), equalized.bias.numpy()
    plain.set_weights([kernel * he_constant * 0.01, bias * 0.01])

    np.testing.assert_allclose(equalized(inputs), plain(inputs), rtol=1e-5, atol=1e-5)
    big = layers.EqualizedDense(256, lr_multiplier=0.01)
    big.build((None, 256))
    # Drawn from N(0, 1 / 0.01^2): the effective weights start as with lr_multiplier=1.
    assert np.std(big.kernel.numpy()) == pytest.approx(100.0, rel=0.02)


def test_equalized_layer_nonpositive_lr_multiplier_raises_zoo_error():
    with pytest.raises(ZooError, match="lr_multiplier"):
        layers.EqualizedDense(4, lr_multiplier=0.0)


def test_equalized_conv2d_valid_padding_and_no_bias_match_plain_conv():
    inputs = _normal((2, 7, 7, 2))
    equalized = layers.EqualizedConv2D(3, (3, 2), padding="valid", use_bias=False, gain=1.0)
    plain = keras.layers.Conv2D(3, (3, 2), padding="valid", use_bias=False)
    equalized.build(inputs.shape)
    plain.build(inputs.shape)
    plain.set_weights([equalized.kernel.numpy() / math.sqrt(3 * 2 * 2)])

    assert len(equalized.weights) == 1
    np.testing.assert_allclose(equalized(inputs), plain(inputs), rtol=1e-5, atol=1e-5)


# -------------------------------------------------------- pixel normalization


@pytest.mark.parametrize("shape", [(3, 4, 4, 8), (5, 16)], ids=["feature_maps", "vectors"])
def test_pixel_normalization_gives_unit_mean_square_per_pixel(shape):
    # Pixels of scales from 0.1 to 100 all come out at unit mean square.
    scales = 10 ** np.random.default_rng(1).uniform(-1, 2, (*shape[:-1], 1))
    inputs = (_normal(shape) * scales).astype("float32")

    outputs = layers.PixelNormalization()(inputs).numpy()

    np.testing.assert_allclose(np.mean(outputs**2, axis=-1), 1.0, rtol=1e-5)
    # Only the length changes: each feature vector keeps its direction.
    lengths = np.sqrt(np.mean(inputs**2, axis=-1, keepdims=True))
    np.testing.assert_allclose(outputs * lengths, inputs, rtol=1e-4, atol=1e-5)


def test_pixel_normalization_of_zero_pixel_is_zero():
    assert np.all(layers.PixelNormalization()(np.zeros((1, 2, 2, 3), "float32")).numpy() == 0.0)


def test_pixel_normalization_in_float16_keeps_its_epsilon():
    # 1e-8 is 0 in float16: computed there, a zero pixel would give NaN.
    layer = layers.PixelNormalization(dtype="mixed_float16")
    outputs = layer(np.zeros((1, 2, 2, 3), "float16")).numpy()
    assert outputs.dtype == np.float16 and np.all(outputs == 0.0)


# -------------------------------------------------------- minibatch stddev


def _group_stddev(inputs, group_size):
    """Numpy: per group of consecutive samples, the mean over features and
    pixels of each feature's population std (sqrt(var + 1e-8))."""
    groups = inputs.reshape(-1, group_size, *inputs.shape[1:]).astype(np.float64)
    std = np.sqrt(groups.var(axis=1) + 1e-8)
    return std.reshape(len(groups), -1).mean(axis=1)


def test_minibatch_stddev_appends_one_channel_of_each_groups_mean_std():
    inputs = _normal((8, 3, 3, 2))

    outputs = layers.MinibatchStdDev(group_size=4)(inputs).numpy()

    assert outputs.shape == (8, 3, 3, 3)
    np.testing.assert_array_equal(outputs[..., :2], inputs)
    expected = np.repeat(_group_stddev(inputs, 4), 4)  # samples 0-3, then 4-7
    expected = np.broadcast_to(expected[:, None, None], (8, 3, 3))
    np.testing.assert_allclose(outputs[..., 2], expected, rtol=1e-5)


def test_minibatch_stddev_groups_do_not_see_each_other():
    inputs = _normal((8, 2, 2, 3))
    # Group 0: four copies of one sample, so no spread; group 1 random.
    inputs[:4] = inputs[0]
    changed = inputs.copy()
    changed[4:] *= 10.0

    before = layers.MinibatchStdDev(4)(inputs).numpy()[..., -1]
    after = layers.MinibatchStdDev(4)(changed).numpy()[..., -1]

    # sqrt(0 + 1e-8) in group 0 whatever group 1 holds.
    np.testing.assert_allclose(before[:4], 1e-4, rtol=1e-3)
    np.testing.assert_array_equal(after[:4], before[:4])
    np.testing.assert_allclose(after[4:], 10.0 * before[4:], rtol=1e-3)


def test_minibatch_stddev_batch_smaller_than_group_is_one_group():
    inputs = _normal((3, 2, 2, 2))

    outputs = layers.MinibatchStdDev(group_size=4)(inputs).numpy()

    np.testing.assert_allclose(outputs[..., -1], _group_stddev(inputs, 3)[0], rtol=1e-5)


def test_minibatch_stddev_known_batch_not_multiple_of_group_raises_one_line_zoo_error():
    inputs = keras.Input((2, 2, 1))
    model = keras.Model(inputs, layers.MinibatchStdDev(group_size=4)(inputs))

    with pytest.raises(ZooError, match="multiple of 4") as error:
        model(_normal((6, 2, 2, 1)))

    assert "\n" not in str(error.value)


def test_minibatch_stddev_unknown_batch_not_multiple_of_group_is_one_group():
    layer = layers.MinibatchStdDev(group_size=4)
    call = tf.function(layer, input_signature=[tf.TensorSpec((None, 2, 2, 2))])
    inputs = _normal((6, 2, 2, 2))

    np.testing.assert_allclose(call(inputs)[..., -1], _group_stddev(inputs, 6)[0], rtol=1e-5)
    # A batch that divides still splits into groups under the same trace.
    inputs = _normal((8, 2, 2, 2))
    expected = np.repeat(_group_stddev(inputs, 4), 4)
    np.testing.assert_allclose(call(inputs)[:, 0, 0, -1], expected, rtol=1e-5)


# --------------------------------------------------------------- resampling


def test_upsample2d_repeats_each_pixel_into_a_2x2_block():
    inputs = np.array([[1, 2], [3, 4]], "float32")[None, :, :, None]

    outputs = layers.Upsample2D()(inputs).numpy()[0, :, :, 0]

    np.testing.assert_array_equal(outputs, [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


def test_downsample2d_averages_each_2x2_block():
    inputs = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)

    outputs = layers.Downsample2D()(inputs).numpy()[0, :, :, 0]

    # Block means: (0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, ...
    np.testing.assert_array_equal(outputs, [[2.5, 4.5], [10.5, 12.5]])


def test_downsample2d_undoes_upsample2d():
    inputs = _normal((2, 3, 3, 4))

    restored = layers.Downsample2D()(layers.Upsample2D()(inputs))

    np.testing.assert_allclose(restored, inputs, rtol=1e-6)


def test_downsample2d_odd_side_raises_one_line_zoo_error():
    with pytest.raises(ZooError, match="multiples of 2") as error:
        layers.Downsample2D()(keras.Input((5, 4, 1)))

    assert "\n" not in str(error.value)


# ------------------------------------------------------------ serialization

_LAYERS = {
    "equalized_dense": lambda: layers.EqualizedDense(
        5, gain=1.0, lr_multiplier=0.1, activation="leaky_relu"
    ),
    "equalized_dense_no_bias": lambda: layers.EqualizedDense(5, use_bias=False),
    "equalized_conv2d": lambda: layers.EqualizedConv2D(
        5, (3, 1), strides=2, padding="valid", lr_multiplier=0.5, activation="relu"
    ),
    "pixel_normalization": lambda: layers.PixelNormalization(epsilon=1e-6),
    "minibatch_stddev": lambda: layers.MinibatchStdDev(group_size=2),
    "upsample2d": lambda: layers.Upsample2D(),
    "downsample2d": lambda: layers.Downsample2D(),
}


def _randomize(layer):
    """Random weights (including biases), so a lost weight shows."""
    for i, weight in enumerate(layer.weights):
        weight.assign(_normal(weight.shape, seed=10 + i))


@pytest.mark.parametrize("make_layer", _LAYERS.values(), ids=_LAYERS.keys())
def test_layer_config_round_trip_gives_identical_outputs(make_layer):
    layer = make_layer()
    inputs = _normal((4, 6, 6, 3))
    layer.build(inputs.shape)
    _randomize(layer)

    copy = type(layer).from_config(layer.get_config())
    copy.build(inputs.shape)
    copy.set_weights(layer.get_weights())

    assert copy.get_config() == layer.get_config()
    np.testing.assert_array_equal(copy(inputs), layer(inputs))


@pytest.mark.parametrize("make_layer", _LAYERS.values(), ids=_LAYERS.keys())
def test_layer_in_functional_model_survives_keras_save_and_load(make_layer, tmp_path):
    inputs = keras.Input((6, 6, 3))
    layer = make_layer()
    model = keras.Model(inputs, layer(inputs))
    _randomize(layer)
    samples = _normal((4, 6, 6, 3))
    path = tmp_path / "model.keras"

    model.save(path)
    loaded = keras.saving.load_model(path)

    loaded_layer = loaded.layers[-1]
    assert type(loaded_layer) is type(layer)
    assert loaded_layer.get_config() == layer.get_config()
    np.testing.assert_array_equal(loaded(samples), model(samples))


def test_fused_resampling_of_an_equalized_conv_is_the_unfused_function():
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 3)).astype("float32")
    conv = layers.EqualizedConv2D(4, 3)
    conv.build(x.shape)
    conv.bias.assign(np.arange(4, dtype="float32"))

    np.testing.assert_allclose(
        conv.call_upsampled(x), conv(layers.Upsample2D()(x)), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        conv.call_downsampled(x), layers.Downsample2D()(conv(x)), rtol=1e-5, atol=1e-5
    )
    with pytest.raises(ZooError, match="needs a 3x3 convolution of stride 1"):
        layers.EqualizedConv2D(4, 1).call_upsampled(x)
