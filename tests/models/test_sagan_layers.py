"""models.layers: SAGAN's spectral norm, self-attention and conditional batch norm."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from models import layers
from zoo.core.errors import ZooError


def _normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _unit(vector):
    return vector / np.linalg.norm(vector)


# ------------------------------------------------------------ spectral normalization


def _raw(normalized):
    if isinstance(normalized.layer, keras.layers.Embedding):
        return normalized.layer.embeddings
    return normalized.layer.kernel


def _spectral(kind):
    """A built spectral-normalized layer of `kind`, an input for it and its plain twin."""
    if kind == "dense":
        make, inputs = lambda: keras.layers.Dense(5, activation="tanh"), _normal((3, 7))
    elif kind == "conv":
        make = lambda: keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")
        inputs = _normal((2, 6, 6, 3))
    else:
        make, inputs = lambda: keras.layers.Embedding(6, 4), np.array([[0, 5, 2], [3, 3, 1]])
    inner, twin = make(), make()
    normalized = layers.SpectralNormalization(inner)
    normalized.build(inputs.shape)
    twin.build(inputs.shape)
    # Standard normal draws: a largest singular value of several, far from 1.
    kernel = _raw(normalized)
    kernel.assign(_normal(kernel.shape, seed=3))
    if kind != "embedding":
        # A nonzero bias, so the test sees that it is kept and not normalized.
        inner.bias.assign(_normal(inner.bias.shape, seed=1))
    return normalized, twin, inputs


def _matrix(normalized):
    """The raw kernel as the `(fan_in, units)` matrix the layer normalizes."""
    kernel = np.asarray(_raw(normalized))
    return kernel.reshape(-1, kernel.shape[-1])


def _numpy_power_step(matrix, u):
    return _unit(matrix.T @ _unit(matrix @ u))


@pytest.mark.parametrize("kind", ["dense", "conv", "embedding"])
def test_spectral_norm_kernel_has_unit_largest_singular_value_after_power_iterations(kind):
    normalized, _, _ = _spectral(kind)
    raw_sigma = np.linalg.svd(_matrix(normalized), compute_uv=False)[0]
    for _ in range(20):
        normalized.advance_power_iteration()

    kernel = np.asarray(normalized.normalized_kernel)
    sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]

    assert sigma == pytest.approx(1.0, abs=1e-2)
    assert abs(raw_sigma - 1.0) > 0.1  # the normalization had work to do
    np.testing.assert_allclose(kernel, np.asarray(_raw(normalized)) / raw_sigma, atol=1e-3)


@pytest.mark.parametrize("kind", ["dense", "conv", "embedding"])
def test_spectral_norm_output_is_plain_layer_with_normalized_kernel(kind):
    normalized, twin, inputs = _spectral(kind)
    normalized.advance_power_iteration()
    weights = [np.asarray(normalized.normalized_kernel)]
    if kind != "embedding":
        weights.append(np.asarray(normalized.layer.bias))
    twin.set_weights(weights)

    expected = np.asarray(twin(inputs))
    np.testing.assert_allclose(normalized(inputs), expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(normalized.layer(inputs), expected, atol=1e-3)


@pytest.mark.parametrize("kind", ["dense", "conv", "embedding"])
def test_spectral_norm_output_does_not_depend_on_the_kernels_scale(kind):
    normalized, _, inputs = _spectral(kind)
    normalized.advance_power_iteration()
    before = np.asarray(normalized(inputs))

    kernel = _raw(normalized)
    kernel.assign(kernel * 50.0)

    np.testing.assert_allclose(normalized(inputs), before, rtol=1e-4, atol=1e-5)


def _adam_step_change(scale):
    """How far one Adam step moves `W / sigma(W)` of a dense layer whose kernel is scaled."""
    normalized, _, inputs = _spectral("dense")
    kernel = _raw(normalized)
    kernel.assign(kernel * scale)
    normalized.advance_power_iteration()
    before = np.asarray(normalized.normalized_kernel)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(normalized(inputs) * _normal((3, 5), seed=2))
    keras.optimizers.Adam(1e-3).apply_gradients([(tape.gradient(loss, kernel), kernel)])
    return np.abs(np.asarray(normalized.normalized_kernel) - before).max()


def test_one_adam_step_turns_a_smaller_spectral_normalized_kernel_further():
    # Why SAGAN's init_stddev is a step size: Adam's step has a fixed size,
    # the layer sees only the kernel's direction.
    assert _adam_step_change(0.1) > 5 * _adam_step_change(1.0)


def test_spectral_norm_sigma_is_estimated_from_stored_u():
    normalized, _, _ = _spectral("dense")
    matrix, u = _matrix(normalized), np.asarray(normalized.u)
    v = _unit(matrix @ u)

    np.testing.assert_allclose(np.linalg.norm(u), 1.0, rtol=1e-6)
    np.testing.assert_allclose(
        normalized.normalized_kernel, matrix / (v @ matrix @ u), rtol=1e-5, atol=1e-6
    )


def test_spectral_norm_kernel_gradient_is_quotient_gradient_with_u_v_constant():
    normalized, _, inputs = _spectral("dense")
    normalized.layer.activation = keras.activations.linear
    weights = _normal((3, 5), seed=2)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(weights * normalized(inputs))
    gradient = tape.gradient(loss, normalized.layer.kernel).numpy()

    # loss = <C, W / sigma> + const with C = x^T c; sigma = v^T W u, d sigma / dW = v u^T.
    kernel, u = _matrix(normalized), np.asarray(normalized.u)
    v = _unit(kernel @ u)
    sigma = v @ kernel @ u
    upstream = inputs.T @ weights
    expected = upstream / sigma - np.sum(upstream * kernel) / sigma**2 * np.outer(v, u)

    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-5)
    # Not the gradient with sigma a constant: the rank-one term is there.
    assert not np.allclose(gradient, upstream / sigma, atol=1e-3)


@pytest.mark.parametrize("training", [True, False])
def test_spectral_norm_call_leaves_u_unchanged(training):
    normalized, _, inputs = _spectral("conv")
    before = np.asarray(normalized.u).copy()
    kernel = np.asarray(normalized.layer.kernel).copy()

    for _ in range(3):
        normalized(inputs, training=training)
    tf.function(lambda x: normalized(x, training=training))(inputs)

    np.testing.assert_array_equal(normalized.u, before)
    np.testing.assert_array_equal(normalized.layer.kernel, kernel)


@pytest.mark.parametrize("kind", ["dense", "conv", "embedding"])
def test_spectral_norm_each_advance_is_exactly_one_power_iteration(kind):
    normalized, _, _ = _spectral(kind)
    matrix = _matrix(normalized)
    expected = np.asarray(normalized.u).copy()

    for _ in range(3):
        normalized.advance_power_iteration()
        expected = _numpy_power_step(matrix, expected)
        np.testing.assert_allclose(normalized.u, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(expected, _numpy_power_step(matrix, expected), atol=1e-6)


def test_advance_spectral_norms_in_tf_function_steps_once_per_call():
    normalized, _, _ = _spectral("dense")
    model = keras.Sequential([keras.Input((7,)), normalized])
    matrix = _matrix(normalized)
    expected = np.asarray(normalized.u).copy()
    advance = tf.function(lambda: layers.advance_spectral_norms(model))

    for _ in range(2):
        advance()
        expected = _numpy_power_step(matrix, expected)
        np.testing.assert_allclose(normalized.u, expected, rtol=1e-5, atol=1e-6)


def test_advance_spectral_norms_finds_layers_nested_in_attention_and_sub_models():
    inner = keras.Sequential([keras.Input((4, 4, 8)), layers.SelfAttention(reduction=4)])
    inputs = keras.Input((4, 4, 8))
    x = inner(inputs)
    x = layers.SelfAttention(reduction=4, spectral_norm=False)(x)
    x = keras.layers.Flatten()(x)
    outputs = layers.SpectralNormalization(keras.layers.Dense(2))(x)
    model = keras.Model(inputs, outputs)
    found = [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, layers.SpectralNormalization)
    ]
    before = [np.asarray(layer.u).copy() for layer in found]
    expected = [
        _numpy_power_step(_matrix(layer), u) for layer, u in zip(found, before, strict=True)
    ]

    assert layers.advance_spectral_norms(model) == 5  # four 1x1 convs and the dense layer
    for layer, u in zip(found, expected, strict=True):
        np.testing.assert_allclose(layer.u, u, rtol=1e-5, atol=1e-6)


def test_spectral_norm_refuses_other_layers_in_one_line():
    with pytest.raises(ZooError, match="Dense, Conv2D or Embedding") as error:
        layers.SpectralNormalization(keras.layers.Conv1D(4, 3))
    assert "\n" not in str(error.value)


# -------------------------------------------------------------------- self-attention


@pytest.mark.parametrize("pooled, keys", [(True, 6), (False, 24)], ids=["pooled", "full"])
def test_attention_keeps_shape_and_map_is_softmax_over_keys(pooled, keys):
    attention = layers.SelfAttention(reduction=4, pooled=pooled, return_attention=True)
    outputs, weights = attention(_normal((2, 4, 6, 8)))

    assert tuple(outputs.shape) == (2, 4, 6, 8)
    assert tuple(weights.shape) == (2, 24, keys)
    np.testing.assert_allclose(np.sum(weights, axis=-1), 1.0, rtol=1e-5)
    assert np.all(np.asarray(weights) > 0)
    assert np.std(np.asarray(weights)) > 1e-3  # not uniform: the queries matter


@pytest.mark.parametrize("spectral_norm", [True, False])
def test_attention_is_identity_with_gamma_zero_and_not_after(spectral_norm):
    attention = layers.SelfAttention(reduction=4, spectral_norm=spectral_norm)
    inputs = _normal((2, 4, 4, 8))

    np.testing.assert_array_equal(attention(inputs), inputs)
    attention.gamma.assign(0.5)
    assert not np.allclose(attention(inputs), inputs, atol=1e-3)


def test_attention_output_is_gamma_times_attended_values_plus_input():
    attention = layers.SelfAttention(reduction=4, pooled=False, spectral_norm=False)
    inputs = _normal((1, 2, 2, 8))
    attention.build(inputs.shape)
    attention.gamma.assign(0.7)
    pixels = inputs.reshape(4, 8)
    weight = lambda conv: np.asarray(conv.kernel)[0, 0]
    query, key = pixels @ weight(attention.query), pixels @ weight(attention.key)
    logits = query @ key.T
    softmax = np.exp(logits - logits.max(-1, keepdims=True))
    softmax /= softmax.sum(-1, keepdims=True)
    attended = softmax @ (pixels @ weight(attention.value)) @ weight(attention.attention_output)

    expected = inputs + 0.7 * attended.reshape(1, 2, 2, 8)
    np.testing.assert_allclose(attention(inputs), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, shape, message",
    [({}, (1, 4, 4, 12), "multiple of reduction=8"),
     ({"reduction": 3}, (1, 4, 4, 9), "and of 2"),
     ({}, (1, 5, 4, 16), "even height and width")],
    ids=["reduction", "odd_channels", "odd_side"],
)  # fmt: skip
def test_attention_refuses_bad_shapes_in_one_line(kwargs, shape, message):
    with pytest.raises(ZooError, match=message) as error:
        layers.SelfAttention(**kwargs)(np.zeros(shape, "float32"))
    assert "\n" not in str(error.value)


def test_attention_unpooled_accepts_odd_sides():
    outputs = layers.SelfAttention(pooled=False)(_normal((1, 3, 5, 16)))
    assert tuple(outputs.shape) == (1, 3, 5, 16)


# ------------------------------------------------------- conditional batch normalization


@pytest.mark.parametrize("shape", [(4, 3, 3, 5), (4, 5)], ids=["maps", "vectors"])
@pytest.mark.parametrize("training", [True, False])
def test_conditional_batch_norm_at_init_is_batch_norm_without_affine(shape, training):
    inputs, labels = _normal(shape) * 3.0 + 1.0, np.array([0, 1, 2, 1])
    conditional = layers.ConditionalBatchNormalization(3)
    plain = keras.layers.BatchNormalization(epsilon=1e-5, center=False, scale=False)
    plain.build(shape)
    # Moving statistics away from (0, 1), so inference differs from identity.
    for layer in (conditional, plain):
        for _ in range(2):
            outputs = layer([inputs, labels] if layer is conditional else inputs, training=True)

    outputs = conditional([inputs, labels], training=training)
    expected = plain(inputs, training=training)

    assert tuple(outputs.shape) == shape
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(outputs, inputs, atol=1e-2)


def test_conditional_batch_norm_labels_pick_gain_and_bias_rows():
    inputs = _normal((2, 2, 2, 3))
    conditional = layers.ConditionalBatchNormalization(4)
    conditional.build([inputs.shape, (2,)])
    gain, bias = _normal((4, 3), seed=1), _normal((4, 3), seed=2)
    conditional.gain.assign(gain)
    conditional.bias.assign(bias)
    normalized = np.asarray(conditional.batch_norm(inputs, training=False))

    outputs = np.asarray(conditional([inputs, np.array([3, 1])], training=False))
    swapped = np.asarray(conditional([inputs, np.array([1, 3])], training=False))

    np.testing.assert_allclose(outputs[0], normalized[0] * gain[3] + bias[3], rtol=1e-5)
    np.testing.assert_allclose(outputs[1], normalized[1] * gain[1] + bias[1], rtol=1e-5)
    assert not np.allclose(outputs, swapped, atol=1e-3)


# ---------------------------------------------------------------------------- saving


def test_model_with_all_three_layers_round_trips_through_keras_file(tmp_path):
    images = keras.Input((4, 4, 8))
    labels = keras.Input((), dtype="int32")
    x = layers.SpectralNormalization(keras.layers.Conv2D(8, 3, padding="same"))(images)
    # Arguments off their defaults, so a `get_config` that drops one shows.
    x = layers.ConditionalBatchNormalization(3, momentum=0.9, epsilon=1e-2)([x, labels])
    x, attention = layers.SelfAttention(reduction=4, pooled=False, return_attention=True)(x)
    embedded = layers.SpectralNormalization(keras.layers.Embedding(3, 8))(labels)
    x = keras.layers.Flatten()(x)
    outputs = layers.SpectralNormalization(keras.layers.Dense(8))(x) + embedded
    model = keras.Model([images, labels], [outputs, attention])
    for layer in model._flatten_layers():
        if isinstance(layer, layers.SelfAttention):
            layer.gamma.assign(0.3)
    for _ in range(2):
        layers.advance_spectral_norms(model)
    batch = [_normal((2, 4, 4, 8)), np.array([2, 0], dtype="int32")]

    path = tmp_path / "sagan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    # Through JSON, as the file stores it: a nested layer's build shape comes back a list.
    config = lambda m: json.dumps(m.get_config(), sort_keys=True)
    assert config(loaded) == config(model)
    for expected, got in zip(model(batch), loaded(batch), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    us = lambda m: [
        np.asarray(layer.u)
        for layer in m._flatten_layers()
        if isinstance(layer, layers.SpectralNormalization)
    ]
    for expected, got in zip(us(model), us(loaded), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert len(us(loaded)) == 7
