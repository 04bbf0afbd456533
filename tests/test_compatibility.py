"""Files users saved keep loading: every fixture in tests/fixtures/compat/ reproduces
what the code that saved it computed, bit for bit on the machine that made it and
within 1e-6 elsewhere (another CPU may order floating-point work differently)."""

import contextlib
import json

import keras
import numpy as np
import pytest
from tensorflow.python.framework import config as tf_config

import models  # noqa: F401  (registers the families, as users import them)
from tests.fixtures import compat
from zoo.core import registry

NAMES = sorted(compat.FIXTURES)
# Another CPU's kernels (AVX2 against AVX-512) move StyleGAN's fixture samples by up to 1.2e-6.
TOLERANCE_ELSEWHERE = 1e-5


def _load(name):
    folder = compat.FIXTURE_DIR / name
    meta = json.loads((folder / "meta.json").read_text())
    expected = dict(np.load(folder / "expected.npz"))
    model = keras.saving.load_model(folder / "model.keras")
    return model, expected, meta["machine"] == compat.machine()


def _assert_reproduces(actual, expected, same_machine, what):
    assert actual.shape == expected.shape, what
    if same_machine:
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    else:
        np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE_ELSEWHERE, err_msg=what)


@contextlib.contextmanager
def _op_determinism():
    """TensorFlow's op determinism for one block (the fixtures were trained under it)."""
    was_enabled = tf_config.is_op_determinism_enabled()
    tf_config.enable_op_determinism()
    try:
        yield
    finally:
        if not was_enabled:
            tf_config.disable_op_determinism()


def test_every_family_has_a_fixture():
    families = {family for family, _ in compat.FIXTURES.values()}
    assert families == {"vanilla_gan", "dcgan", "wgan_gp", "progan", "sagan", "stylegan"}
    for name in NAMES:
        assert (compat.FIXTURE_DIR / name / "model.keras").is_file(), name


@pytest.mark.parametrize("name", NAMES)
def test_saved_fixture_loads_and_generates_the_same_images(name):
    model, expected, same_machine = _load(name)
    family, _ = compat.FIXTURES[name]
    assert type(model) is registry.get_model_class(family)
    assert model.compiled
    for key, images in compat.samples(model).items():
        _assert_reproduces(images, expected[key], same_machine, f"{name} {key}")


@pytest.mark.parametrize("name", NAMES)
def test_saved_fixture_trains_three_steps_to_the_same_weights(name):
    model, expected, same_machine = _load(name)
    batches = [(expected[f"real_{k}"], expected[f"labels_{k}"]) for k in range(compat.TRAIN_STEPS)]
    with _op_determinism():
        compat.train(model, batches)
    weights = compat.network_weights(model)
    expected_weights = {
        k[len("after/") :]: v for k, v in expected.items() if k.startswith("after/")
    }
    assert sorted(weights) == sorted(expected_weights)
    for key, value in expected_weights.items():
        _assert_reproduces(weights[key], value, same_machine, f"{name} {key}")
    # The steps moved the weights: the check above compares trained networks.
    before = compat.network_weights(
        keras.saving.load_model(compat.FIXTURE_DIR / name / "model.keras")
    )
    assert any(not np.array_equal(before[k], weights[k]) for k in weights)


@pytest.mark.parametrize("name", NAMES)
def test_saved_preset_fixture_loads_verified_and_generates_the_same_images(name):
    import zoo

    folder = compat.FIXTURE_DIR / "presets" / name
    expected = dict(np.load(folder.with_suffix(".npz")))
    meta = json.loads((compat.FIXTURE_DIR / name / "meta.json").read_text())

    model = zoo.load(folder)

    assert type(model) is registry.get_model_class(compat.FIXTURES[name][0])
    for key, images in compat.samples(model).items():
        _assert_reproduces(images, expected[key], meta["machine"] == compat.machine(), key)
