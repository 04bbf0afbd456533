"""Every family's constructor arguments are checked before a layer is built.

The checks come from `models/arguments.py` through the base class, so a new
family gets them by declaring `argument_specs`; these tests feed every
argument of every registered family bad values and expect one `ZooError` line.
"""

import inspect
import math

import keras
import pytest

import models
from models import arguments, base
from tests.helpers import assert_one_line_error, run_script
from zoo.core import registry
from zoo.core.errors import ZooError

# Tiny networks, so the values a family accepts build in milliseconds.
TINY_KWARGS = {
    "dcgan": {"image_shape": (16, 16, 1), "base_filters": 2, "latent_dim": 4},
    "progan": {"image_shape": (8, 8, 1), "max_filters": 2, "filter_base": 2, "latent_dim": 4},
    "sagan": {"image_shape": (16, 16, 1), "base_filters": 2, "latent_dim": 4, "num_classes": 3},
    "stylegan": {
        "image_shape": (8, 8, 1),
        "latent_dim": 4,
        "w_dim": 4,
        "max_channels": 4,
        "channel_base": 16,
    },
    "vanilla_gan": {"image_shape": (2,), "hidden_dims": (4,), "latent_dim": 4},
    "wgan_gp": {"image_shape": (2,), "hidden_dims": (4,), "latent_dim": 4},
}


def family_arguments():
    for name in registry.list_models():
        for argument in registry.constructor_arguments(registry.get_model_class(name)):
            yield name, argument


def default_of(cls, argument):
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            parameters = inspect.signature(klass.__init__).parameters
            if argument in parameters:
                return parameters[argument].default
    raise AssertionError(f"{cls.__name__} has no argument {argument}")


def wrong_type(default):
    """A value of another type than the argument's: a number for names, a string otherwise."""
    return 1.5 if default is None or isinstance(default, str) else "abc"


def build(family, /, **overrides):
    return registry.build(family, **{**TINY_KWARGS[family], **overrides})


def test_every_family_has_tiny_arguments_for_these_tests():
    assert sorted(TINY_KWARGS) == registry.list_models()


@pytest.mark.parametrize("name, argument", list(family_arguments()))
def test_family_argument_of_wrong_type_or_non_finite_raises_one_line(name, argument):
    cls = registry.get_model_class(name)
    for value in (wrong_type(default_of(cls, argument)), math.nan, math.inf):
        with pytest.raises(ZooError) as error:
            build(name, **{argument: value})
        message = str(error.value)
        assert "\n" not in message
        assert message.startswith(f"{cls.__name__}: {argument} must be "), message


@pytest.mark.parametrize("name, argument", list(family_arguments()))
def test_family_argument_zero_or_negative_builds_or_raises_one_line(name, argument):
    for value in (0, -1):
        try:
            model = build(name, **{argument: value})
        except ZooError as e:
            assert "\n" not in str(e) and argument in str(e)
        else:
            assert getattr(model, argument, value) == value


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("dcgan", {"latent_dim": "abc"}),
        ("dcgan", {"latent_dim": -5}),
        ("dcgan", {"latent_dim": ""}),
        ("dcgan", {"kernel_size": 0}),
        ("dcgan", {"base_filters": 0}),
        ("wgan_gp", {"hidden_dims": (0,)}),
        ("dcgan", {"ema_decay": "0.9"}),
        ("vanilla_gan", {"activation": "no_such_activation"}),
        ("vanilla_gan", {"loss": "nope"}),
        ("wgan_gp", {"layer_norm": "yes"}),
        ("dcgan", {"seed": -1}),
    ],
)
def test_bad_argument_rejected_before_any_layer_is_built(name, overrides, monkeypatch):
    def no_networks_yet(*args, **kwargs):
        raise AssertionError("a network was built before the arguments were checked")

    # Every network of the zoo starts from keras.Input.
    monkeypatch.setattr(keras, "Input", no_networks_yet)
    with pytest.raises(ZooError, match=f"{next(iter(overrides))} must be"):
        build(name, **overrides)


def test_checks_run_on_from_config_too():
    config = build("vanilla_gan").get_config()
    with pytest.raises(ZooError, match="latent_dim must be a positive integer, got 0"):
        models.VanillaGAN.from_config({**config, "latent_dim": 0})


def test_family_without_spec_for_an_argument_fails_when_declared():
    with pytest.raises(TypeError, match="'width' has no entry in argument_specs"):

        @base.checked_family
        class _Forgetful(models.VanillaGAN):
            def __init__(self, width=3, **kwargs):
                super().__init__(**kwargs)


def test_register_family_checks_arguments_keys_noise_and_registers(monkeypatch):
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))

    @base.register_family("wide_gan")
    class _Wide(models.VanillaGAN):
        argument_specs = {"width": arguments.positive_int}

        def __init__(self, width=3, **kwargs):
            super().__init__(**kwargs)

    assert registry.get_model_class("wide_gan") is _Wide
    assert _Wide.train_step is models.VanillaGAN.train_step  # the base's, keyed once
    with pytest.raises(ZooError, match="_Wide: width must be a positive integer, got 0"):
        _Wide(width=0, image_shape=(2,))


def test_subclass_without_own_init_is_checked_by_its_parent():
    class _Quiet(models.VanillaGAN):
        pass

    with pytest.raises(ZooError, match="_Quiet: latent_dim must be"):
        _Quiet(image_shape=(2,), latent_dim=0)


def test_optional_spec_accepts_none_and_names_it_in_the_message():
    check = arguments.optional(arguments.positive_int)
    check(None)
    with pytest.raises(arguments._Invalid, match="a positive integer or None"):
        check(0)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ('latent_dim="abc"', "latent_dim must be a positive integer, got 'abc'"),
        ("latent_dim=", "latent_dim must be a positive integer, got ''"),
    ],
)
def test_train_cli_bad_model_argument_gives_one_line(tmp_path, kwargs, fragment):
    result = run_script(
        "train.py", "--model=vanilla_gan", "--dataset=ring8", f"--model_kwargs={kwargs}",
        f"--workdir={tmp_path / 'run'}",
    )  # fmt: skip
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "run").exists()
