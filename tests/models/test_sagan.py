"""SAGAN: the shared harness (conditional and not), labels, projection, spectral norm."""

import keras
import numpy as np
import pytest

from models import layers
from models.sagan import SAGAN
from tests.harness import random_dataset, run_gan_test
from tests.helpers import assert_one_line_error, run_script
from zoo import training
from zoo.core.errors import ZooError
from zoo.data import DatasetInfo

TINY = {"latent_dim": 8, "base_filters": 8}


@pytest.mark.parametrize(
    "kwargs",
    [{"num_classes": 3}, {"num_classes": 0}, {"num_classes": 3, "residual": True}],
    ids=["conditional", "unconditional", "residual"],
)
def test_sagan_harness_passes(kwargs):
    run_gan_test(SAGAN, {**TINY, **kwargs}, (16, 16, 1))


def _conditional(**kwargs):
    keras.utils.set_random_seed(0)
    return SAGAN(image_shape=(16, 16, 1), num_classes=3, **{**TINY, **kwargs})


def test_sagan_label_changes_the_generators_output_for_the_same_latent():
    gan = _conditional()
    # Conditional batch norm starts at gain 1, bias 0 for every class: make
    # the classes differ, as training does.
    for layer in gan.generator.layers:
        if isinstance(layer, layers.ConditionalBatchNormalization):
            layer.set_weights([w + np.random.default_rng(1).normal(size=w.shape) * 0.5
                               for w in layer.get_weights()])  # fmt: skip
    z = np.random.default_rng(0).normal(size=(1, 8)).astype("float32")

    outputs = [gan.generator([z, np.array([label], "int32")]) for label in range(3)]

    assert not np.allclose(outputs[0], outputs[1], atol=1e-4)
    assert not np.allclose(outputs[1], outputs[2], atol=1e-4)


def test_sagan_projection_term_changes_the_logit_with_the_label():
    gan = _conditional()
    images = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 1)).astype("float32")

    logits = [float(gan.discriminate(images, np.array([c], "int32"))[0, 0]) for c in range(3)]
    embedding = next(
        layer
        for layer in gan.discriminator.layers
        if isinstance(layer, layers.SpectralNormalization)
        and isinstance(layer.layer, keras.layers.Embedding)
    )
    embedding.layer.embeddings.assign(keras.ops.zeros_like(embedding.layer.embeddings))
    without_projection = [
        float(gan.discriminate(images, np.array([c], "int32"))[0, 0]) for c in range(3)
    ]

    assert len(set(np.round(logits, 6))) == 3
    # With the class embeddings at zero the label no longer matters.
    np.testing.assert_allclose(without_projection, without_projection[0], atol=1e-6)


def test_unconditional_sagan_has_no_label_inputs_nor_projection():
    gan = SAGAN(image_shape=(16, 16, 1), num_classes=0, **TINY)

    assert len(gan.generator.inputs) == 1 and len(gan.discriminator.inputs) == 1
    assert not any(
        isinstance(getattr(layer, "layer", None), keras.layers.Embedding)
        for layer in gan.discriminator.layers
    )


def _spectral_norm_vectors(network):
    found = [
        layer
        for layer in network._flatten_layers()
        if isinstance(layer, layers.SpectralNormalization)
    ]
    return [layer.u.numpy().copy() for layer in found]


def test_every_weight_layer_of_both_networks_is_spectrally_normalized():
    gan = _conditional()
    for network in (gan.generator, gan.discriminator):
        wrapped = {
            id(layer.layer)
            for layer in network._flatten_layers()
            if isinstance(layer, layers.SpectralNormalization)
        }
        plain = [
            layer
            for layer in network._flatten_layers(include_self=False)
            if isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Embedding))
            and id(layer) not in wrapped
        ]
        assert plain == [] and wrapped


def _top_level_kernels(gan):
    """The kernels of both networks' spectral-normalized layers (not attention's own)."""
    return [
        np.asarray(layer.layer.kernel)
        for network in (gan.generator, gan.discriminator)
        for layer in network.layers
        if isinstance(layer, layers.SpectralNormalization) and hasattr(layer.layer, "kernel")
    ]


def test_sagan_kernels_start_at_init_stddev():
    kernels = _top_level_kernels(_conditional(init_stddev=0.004))

    pooled = np.concatenate([kernel.ravel() for kernel in kernels])
    assert len(kernels) >= 6 and pooled.size > 2000
    assert np.std(pooled) == pytest.approx(0.004, rel=0.1)
    assert abs(np.mean(pooled)) < 4e-4


def test_sagan_init_stddev_zero_keeps_glorot_init():
    for kernel in _top_level_kernels(_conditional(init_stddev=0.0)):
        receptive = int(np.prod(kernel.shape[:-2]))  # 1 for a dense kernel
        fan_in, fan_out = receptive * kernel.shape[-2], receptive * kernel.shape[-1]
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(kernel).max() <= limit
        if kernel.size >= 100:
            assert np.std(kernel) == pytest.approx(limit / np.sqrt(3.0), rel=0.2)


def test_one_train_step_advances_each_networks_power_iteration_once():
    gan = _conditional()
    twin = _conditional()
    twin.set_weights(gan.get_weights())
    gan.compile()

    gan.fit(random_dataset(gan, steps=1), epochs=1, verbose=0)
    # The power iteration runs before the update, on the weights before it.
    layers.advance_spectral_norms(twin.discriminator)
    layers.advance_spectral_norms(twin.generator)

    for network in ("discriminator", "generator"):
        trained = _spectral_norm_vectors(getattr(gan, network))
        once = _spectral_norm_vectors(getattr(twin, network))
        before = _spectral_norm_vectors(getattr(_conditional(), network))
        for u_trained, u_once, u_before in zip(trained, once, before, strict=True):
            np.testing.assert_allclose(u_trained, u_once, atol=1e-5)
            if u_before.size > 1:  # a one-unit layer's u is +-1 for ever
                assert not np.allclose(u_trained, u_before, atol=1e-6)


def test_sagan_attention_maps_sum_to_one_over_keys():
    gan = _conditional()
    z = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")

    images, attention = gan.attention_maps(z, [0, 1])

    assert images.shape == (2, 16, 16, 1)
    # Queries on the 8x8 maps, keys on their 2x2-pooled 4x4 grid.
    assert attention.shape == (2, 64, 16)
    np.testing.assert_allclose(np.sum(attention, axis=-1), 1.0, atol=1e-5)


def test_sagan_defaults_follow_the_paper():
    gan = SAGAN()
    gan.compile()

    assert gan.adversarial_loss == "hinge" and gan.d_steps == 1 and gan.ema_decay == 0.999
    assert gan.attention_side == 16 and gan.image_shape == (32, 32, 1)
    d, g = gan.d_optimizer, gan.g_optimizer
    assert (float(d.learning_rate), float(g.learning_rate)) == pytest.approx((4e-4, 1e-4))
    assert (d.beta_1, d.beta_2, g.beta_1, g.beta_2) == (0.0, 0.9, 0.0, 0.9)
    assert gan.generator.get_layer("attention").output.shape[1:3] == (16, 16)
    assert gan.discriminator.get_layer("attention").output.shape[1:3] == (16, 16)


@pytest.mark.parametrize("side", [4, 32, 12])
def test_sagan_attention_side_that_is_no_inner_map_raises_one_line(side):
    with pytest.raises(ZooError, match="attention_side") as raised:
        SAGAN(image_shape=(32, 32, 1), attention_side=side, **TINY)
    assert "\n" not in str(raised.value)


def test_sagan_without_attention_builds_and_refuses_attention_maps():
    gan = SAGAN(image_shape=(16, 16, 1), attention_side=0, **TINY)

    with pytest.raises(ZooError, match="no attention"):
        gan.attention_maps(np.zeros((1, 8), "float32"))


# --------------------------------------------------------------- labels in training


def _config(**kwargs):
    return training.TrainConfig(model="sagan", dataset="folder:/x", image_size=16, **kwargs)


def test_training_gives_sagan_the_datasets_classes():
    info = DatasetInfo("folder:/x", (16, 16, 1), 4, 100, ("a", "b", "c", "d"))

    model = training.build_model(_config(model_kwargs=TINY), info)

    assert model.num_classes == 4 and model.conditional


def test_training_sagan_on_unlabelled_data_raises_one_line():
    info = DatasetInfo("folder:/x", (16, 16, 1), 0, 100)

    with pytest.raises(ZooError, match="no labels") as raised:
        training.build_model(_config(model_kwargs=TINY), info)
    assert "\n" not in str(raised.value) and "num_classes=0" in str(raised.value)


def test_training_sagan_unconditionally_on_unlabelled_data_when_asked():
    info = DatasetInfo("folder:/x", (16, 16, 1), 0, 100)

    model = training.build_model(_config(model_kwargs={**TINY, "num_classes": 0}), info)

    assert not model.conditional


def test_training_sagan_with_a_class_count_the_data_lacks_raises_one_line():
    info = DatasetInfo("folder:/x", (16, 16, 1), 4, 100, ("a", "b", "c", "d"))

    with pytest.raises(ZooError, match="does not match"):
        training.build_model(_config(model_kwargs={**TINY, "num_classes": 3}), info)


def test_train_cli_sagan_on_a_folder_without_class_subfolders_fails_in_one_line(
    image_folder, tmp_path
):
    result = run_script(
        "train.py", "--model=sagan", f"--dataset=folder:{image_folder}", "--image_size=16",
        f"--workdir={tmp_path / 'run'}", "--steps=1",
    )  # fmt: skip

    assert_one_line_error(result, "no labels", "num_classes=0")
    assert not (tmp_path / "run").exists()
