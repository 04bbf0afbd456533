"""Finds GAN families by name.

The registry imports nothing from `models/` at import time: `models/__init__.py`
imports every family module, and each family registers itself with
`@register_model`; `import_families()` imports that package when a name is
first looked up.

Where the families live: in a checkout, `models/` beside `zoo/`; installed
(`pip install .`), the same files as `zoo.families`, so that no top-level
package named `models` is installed to collide with other projects'. The
families import each other relatively and work under either name.
"""

import dataclasses
import importlib
import importlib.util
import inspect
import pathlib
import sys

import keras

from zoo.core.errors import ZooError

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


INSTALLED_FAMILIES = "zoo.families"
_CHECKOUT_FAMILIES = pathlib.Path(__file__).resolve().parents[2] / "models"


def import_families():
    """Imports (once) the package of the families, which registers them all.

    Lazily, so that `zoo.build("dcgan")` and `keras.saving.load_model` work
    after `import zoo` alone, while this module stays free of an import-time
    dependency on the families.

    Returns:
        The families' package module.
    """
    if "models" in sys.modules and _is_checkout_families(sys.modules["models"]):
        return sys.modules["models"]
    if (_CHECKOUT_FAMILIES / "__init__.py").is_file():
        # Loaded from its file, not from `sys.path`: a checkout imported from
        # another directory (`pip install -e .`) finds its families too.
        spec = importlib.util.spec_from_file_location(
            "models", _CHECKOUT_FAMILIES / "__init__.py",
            submodule_search_locations=[str(_CHECKOUT_FAMILIES)],
        )  # fmt: skip
        module = importlib.util.module_from_spec(spec)
        sys.modules["models"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules["models"]
            raise
        return module
    return importlib.import_module(INSTALLED_FAMILIES)


def _is_checkout_families(module):
    location = getattr(module, "__file__", None)
    return location is not None and pathlib.Path(location).resolve().parent == _CHECKOUT_FAMILIES


def registered_name(cls):
    """The registry key of a family class (`"dcgan"` for `DCGAN`).

    Raises:
        ZooError: for a class that is not a registered family.
    """
    import_families()
    for name, registered in _MODELS.items():
        if registered is cls:
            return name
    raise ZooError(f"{cls.__name__} is not a registered GAN family (use @register_model)")


def list_models():
    """Returns the registered model names, sorted."""
    import_families()
    return sorted(_MODELS)


def get_model_class(name):
    """Returns the class registered under `name`.

    Raises:
        ZooError: for an unknown name; the message lists the valid ones.
    """
    import_families()
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


@dataclasses.dataclass(frozen=True)
class Argument:
    """One constructor argument of a family, for listings and help.

    Attributes:
        name: the keyword.
        default: its default value (`inspect.Parameter.empty` when required).
        accepts: what it accepts, in words, from the family's argument specs.
        doc: the first line of its `Args:` entry in the class docstrings.
    """

    name: str
    default: object
    accepts: str
    doc: str


def family_arguments(name):
    """The constructor arguments of family `name`, the family's own first.

    Returns:
        list of `Argument`.
    """
    cls = get_model_class(name)
    arguments = importlib.import_module(f"{import_families().__name__}.arguments")
    specs = arguments.specs_of(cls)
    defaults, docs = {}, {}
    for klass in cls.__mro__:
        if klass is keras.Model or not issubclass(klass, keras.Model):
            continue
        if "__init__" in vars(klass):
            for parameter in inspect.signature(klass.__init__).parameters.values():
                defaults.setdefault(parameter.name, parameter.default)
        for key, text in _documented_arguments(klass.__doc__).items():
            docs.setdefault(key, text)
    return [
        Argument(
            key,
            defaults.get(key, inspect.Parameter.empty),
            arguments.describe(specs[key]) if key in specs else "",
            docs.get(key, ""),
        )  # fmt: skip
        for key in constructor_arguments(cls)
    ]


def _documented_arguments(docstring):
    """`{name: first line}` of a Keras-style docstring's `Args:` section."""
    lines = inspect.cleandoc(docstring or "").splitlines()
    found, inside, key = {}, False, None
    for line in lines:
        if line.strip() == "Args:":
            inside = True
            continue
        if not inside:
            continue
        if line and not line.startswith(" "):
            break
        stripped = line.strip()
        head, _, text = stripped.partition(":")
        if line.startswith("    ") and not line.startswith("     "):
            key = head if head.isidentifier() else None  # `**kwargs:` ends the last entry
            if key:
                found[key] = text.strip()
        elif key and stripped:
            found[key] += " " + stripped  # the entry's continuation lines
    return found


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
