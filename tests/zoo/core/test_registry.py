"""zoo.core.registry: finding, building and registering GAN families by name."""

import keras
import pytest

import zoo
from models.base import GAN
from models.dcgan import DCGAN
from models.vanilla_gan import VanillaGAN
from zoo.core import registry
from zoo.core.errors import ZooError


def test_list_models_contains_every_family():
    names = zoo.list_models()

    assert {"vanilla_gan", "dcgan"} <= set(names)
    assert names == sorted(names)


def test_get_model_class_known_name_returns_family_class():
    assert zoo.get_model_class("vanilla_gan") is VanillaGAN
    assert zoo.get_model_class("dcgan") is DCGAN


def test_build_unknown_model_raises_zoo_error_listing_valid_names():
    with pytest.raises(ZooError, match="style_gan") as error:
        zoo.build("style_gan")

    assert "vanilla_gan" in str(error.value) and "dcgan" in str(error.value)


def test_build_known_model_passes_arguments_to_constructor():
    model = zoo.build("dcgan", image_shape=(16, 16, 1), latent_dim=8, base_filters=4, d_steps=2)

    assert isinstance(model, DCGAN)
    assert model.image_shape == (16, 16, 1)
    assert (model.latent_dim, model.base_filters, model.d_steps) == (8, 4, 2)


def test_build_unknown_argument_raises_zoo_error_listing_valid_arguments():
    with pytest.raises(ZooError, match="filters") as error:
        zoo.build("dcgan", filters=8)

    message = str(error.value)
    # The family's own arguments and the GAN base's, which reach it by **kwargs.
    for valid in ("image_shape", "base_filters", "latent_dim", "d_steps", "loss", "ema_decay"):
        assert valid in message


def test_build_network_argument_raises_zoo_error():
    # The families build their own networks: `generator` is not a valid
    # argument of `zoo.build("vanilla_gan")`, so it must be rejected like any
    # unknown argument, not crash in the constructor.
    with pytest.raises(ZooError) as error:
        zoo.build("vanilla_gan", generator=None)

    assert "generator" not in str(error.value).split("valid arguments:")[-1]


def test_register_model_duplicate_name_raises_and_keeps_first_class():
    class OtherGAN(GAN):
        pass

    with pytest.raises(ValueError, match="dcgan"):
        zoo.register_model("dcgan")(OtherGAN)

    assert zoo.get_model_class("dcgan") is DCGAN


def test_register_model_new_name_registers_with_zoo_and_keras(monkeypatch):
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))

    @zoo.register_model("registry_test_gan")
    class RegistryTestGAN(GAN):
        pass

    assert zoo.get_model_class("registry_test_gan") is RegistryTestGAN
    assert "registry_test_gan" in zoo.list_models()
    assert keras.saving.get_registered_object("gan_zoo>RegistryTestGAN") is RegistryTestGAN


def test_build_passes_a_name_argument_to_the_model():
    assert (
        registry.build("vanilla_gan", image_shape=(2,), hidden_dims=(4,), name="mine").name
        == "mine"
    )
