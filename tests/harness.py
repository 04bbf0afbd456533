"""The one test every GAN family runs: `run_gan_test(cls, init_kwargs, image_shape)`.

It checks what `models/base.py` promises for every family, so a family's own
test file only adds what is special about it:

1. `get_config`/`from_config` round trip, also through JSON (as `.keras` does);
2. `generate(n, seed=...)` and `model(latents)` shapes, images in [-1, 1];
3. a 2-step `fit` logs finite `d_loss`/`g_loss`, takes `d_steps` discriminator
   steps per generator step and changes both networks;
4. `.keras` save + `keras.saving.load_model` restores the class, the compile
   state (both optimizers' iterations and slots) and the samples of a seed;
5. `generate` is a function of its seed and leaves the training noise alone;
6. a training checkpoint restores every weight into a fresh model.

SavedModel signatures are checked by tests/zoo/test_export.py.
"""

import json
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.core.errors import ZooError

BATCH_SIZE = 4
FIT_STEPS = 2
NUM_SAMPLES = 3


def run_gan_test(cls, init_kwargs, image_shape):
    """Builds `cls(image_shape=image_shape, **init_kwargs)` and checks the GAN contract.

    Args:
        cls: the GAN subclass under test.
        init_kwargs: constructor arguments other than `image_shape`; keep the
            networks tiny (few filters, small `latent_dim`).
        image_shape: shape of one sample, `(H, W, C)` or `(2,)` for points.

    Returns:
        The trained model, for family tests that want to look further.
    """
    image_shape = tuple(image_shape)
    model = cls(image_shape=image_shape, **init_kwargs)
    assert model.image_shape == image_shape

    check_config_round_trip(cls, model)
    check_outputs(model, image_shape)
    check_generate_seeding(model)
    check_fit(model)
    with tempfile.TemporaryDirectory() as directory:
        check_save_and_load(cls, model, f"{directory}/m.keras")
        check_checkpoint_restores_every_weight(cls, model, f"{directory}/ckpt")
    return model


def check_config_round_trip(cls, model):
    config = model.get_config()
    assert cls.from_config(config).get_config() == config
    # `.keras` files hold the config as JSON: tuples come back as lists.
    assert cls.from_config(json.loads(json.dumps(config))).get_config() == config


def check_outputs(model, image_shape):
    latents = np.random.default_rng(0).normal(size=(NUM_SAMPLES, model.latent_dim))
    latents = latents.astype("float32")
    labels = _labels(model, NUM_SAMPLES)

    samples = model.generate(NUM_SAMPLES, labels=labels, seed=1)
    called = model((latents, labels) if model.conditional else latents)

    for output in (samples, np.asarray(called)):
        assert output.shape == (NUM_SAMPLES, *image_shape)
        assert output.dtype == np.float32
        assert np.all(np.isfinite(output))
        if len(image_shape) == 3:
            assert output.min() >= -1.0 and output.max() <= 1.0
    np.testing.assert_allclose(model.generate(latents=latents, labels=labels), called)

    with pytest.raises(ZooError):
        model.generate()
    with pytest.raises(ZooError):
        model.generate(latents=np.zeros((2, model.latent_dim + 1), "float32"), labels=labels)


def check_generate_seeding(model):
    labels = _labels(model, NUM_SAMPLES)
    training_latents = _next_training_latents(model)

    first = model.generate(NUM_SAMPLES, labels=labels, seed=5)
    again = model.generate(NUM_SAMPLES, labels=labels, seed=5)
    other = model.generate(NUM_SAMPLES, labels=labels, seed=6)

    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    # Seeded sampling leaves the training noise alone: it is keyed to the step.
    np.testing.assert_array_equal(_next_training_latents(model), training_latents)


def _next_training_latents(model):
    """The latents the next training step would draw first."""
    model.noise.start_step(model.g_optimizer.iterations if model.compiled else 0)
    try:
        return model.sample_latents(4).numpy()
    finally:
        model.noise.end_step()


def check_fit(model):
    model.compile()
    generator_before = _values(model.generator.trainable_variables)
    discriminator_before = _values(model.discriminator.trainable_variables)

    history = model.fit(random_dataset(model), epochs=1, verbose=0)

    for name in ("d_loss", "g_loss"):
        assert np.all(np.isfinite(history.history[name])), (name, history.history[name])
    assert int(model.g_optimizer.iterations) == FIT_STEPS
    assert int(model.d_optimizer.iterations) == FIT_STEPS * model.d_steps
    assert _any_changed(generator_before, model.generator.trainable_variables)
    assert _any_changed(discriminator_before, model.discriminator.trainable_variables)


def check_save_and_load(cls, model, path):
    model.save(path)
    loaded = keras.saving.load_model(path)

    assert type(loaded) is cls
    assert loaded.get_config() == model.get_config()
    assert loaded.compiled
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(model, name), getattr(loaded, name)
        assert type(restored) is type(original), name
        assert int(restored.iterations) == int(original.iterations) > 0, name
        assert len(restored.variables) == len(original.variables), name
        for a, b in zip(original.variables, restored.variables, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"{name} {a.path}")
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)

    labels = _labels(model, NUM_SAMPLES)
    np.testing.assert_array_equal(
        loaded.generate(NUM_SAMPLES, labels=labels, seed=3),
        model.generate(NUM_SAMPLES, labels=labels, seed=3),
    )


def check_checkpoint_restores_every_weight(cls, model, prefix):
    """A training checkpoint (`zoo.training.make_checkpoint`) holds every weight.

    Including those no optimizer holds (the EMA copy, batch-norm statistics),
    which the checkpoint only reaches through the networks' attributes.
    """
    from zoo import training

    path = training.make_checkpoint(model).save(prefix)
    fresh = cls.from_config(model.get_config())
    fresh.compile()
    training.make_checkpoint(fresh).restore(path).assert_existing_objects_matched()
    for a, b in zip(model.weights, fresh.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)


def random_dataset(model, steps=FIT_STEPS):
    """`steps` batches of `BATCH_SIZE * d_steps` uniform samples (and labels)."""
    batch_size = BATCH_SIZE * model.d_steps
    rng = np.random.default_rng(0)
    samples = rng.uniform(-1, 1, (steps * batch_size, *model.image_shape)).astype("float32")
    if model.conditional:
        labels = rng.integers(0, model.num_classes, steps * batch_size).astype("int32")
        return tf.data.Dataset.from_tensor_slices((samples, labels)).batch(batch_size)
    return tf.data.Dataset.from_tensor_slices(samples).batch(batch_size)


def _labels(model, n):
    return np.arange(n, dtype="int32") % model.num_classes if model.conditional else None


def _values(variables):
    return [v.numpy().copy() for v in variables]


def _any_changed(before, variables):
    return any(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables, strict=True))
