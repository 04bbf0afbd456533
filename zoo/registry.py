"""Finds GAN families by name.

The registry imports nothing from `models/`: `models/__init__.py` imports every
family module, and each family registers itself with `@register_model`.
"""

import importlib
import inspect

import keras

from zoo.errors import ZooError

_MODELS = {}


def register_model(name):
    """Class decorator that registers a GAN family under `name`.

    Also registers the class with Keras (package `gan_zoo`) so `.keras` files
    that contain it load with `keras.saving.load_model`.

    Args:
        name: registry key, the snake_case of the class name (`"wgan_gp"`).

    Raises:
        ValueError: if `name` is already taken.
    """

    def decorator(cls):
        if name in _MODELS:
            raise ValueError(
                f"model name {name!r} is already registered by {_MODELS[name].__name__}"
            )
        keras.saving.register_keras_serializable(package="gan_zoo")(cls)
        _MODELS[name] = cls
        return cls

    return decorator


def _import_families():
    # Registration happens when `models` is imported; importing it here, lazily,
    # lets `zoo.build("dcgan")` work without the caller importing `models` first
    # while this module stays free of an import-time dependency on it.
    importlib.import_module("models")


def list_models():
    """Returns the registered model names, sorted."""
    _import_families()
    return sorted(_MODELS)


def get_model_class(name):
    """Returns the class registered under `name`.

    Raises:
        ZooError: for an unknown name; the message lists the valid ones.
    """
    _import_families()
    try:
        return _MODELS[name]
    except KeyError:
        raise ZooError(
            f"unknown model {name!r}; valid models: {', '.join(list_models())}"
        ) from None


def constructor_arguments(cls):
    """Returns the keyword arguments `cls(...)` accepts, along its class chain.

    A family's constructor forwards `**kwargs` to its parent, so the valid
    names are the union of the explicit parameters of every `__init__` up to
    (not including) `keras.Model`.
    """
    names = []
    for klass in cls.__mro__:
        if klass is keras.Model or "__init__" not in vars(klass):
            continue
        if not issubclass(klass, keras.Model):
            continue
        for parameter in inspect.signature(klass.__init__).parameters.values():
            explicit = parameter.kind in (
                parameter.POSITIONAL_OR_KEYWORD,
                parameter.KEYWORD_ONLY,
            )
            if explicit and parameter.name != "self" and parameter.name not in names:
                names.append(parameter.name)
    return names


def build(name, /, **kwargs):
    """Builds the registered model `name` with constructor arguments `kwargs`.

    Example:
        >>> gan = zoo.build("dcgan", image_shape=(32, 32, 1), latent_dim=64)

    Raises:
        ZooError: for an unknown model or an argument its constructor does not
            take; the message lists the valid names.
    """
    cls = get_model_class(name)
    valid = constructor_arguments(cls)
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise ZooError(
            f"model {name!r} takes no argument {', '.join(unknown)}; "
            f"valid arguments: {', '.join(valid)}"
        )
    return cls(**kwargs)
