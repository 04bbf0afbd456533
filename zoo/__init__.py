"""gan-zoo: GAN families for Keras 3, with their data, losses, training,
evaluation, export and pretrained catalogue.

    >>> import zoo
    >>> gan = zoo.load("dcgan_fashion_mnist")      # a catalogue name or a preset folder
    >>> images = gan.generate(16, seed=0)          # (16, 32, 32, 1) in [-1, 1]

Importing `zoo` registers every family with Keras, so
`keras.saving.load_model("some_gan.keras")` works after `import zoo` alone.
Other attributes load lazily (PEP 562).
"""

import importlib

from zoo import cli as _cli

# TensorFlow's C++ start-up lines stay hidden (GAN_ZOO_VERBOSE=1 shows them).
_cli.import_tensorflow_quietly(initialize_devices=False)

from zoo import registry as _registry  # noqa: E402

_registry.import_families()

_EXPORTS = {
    "ZooError": "zoo.errors",
    "build": "zoo.registry",
    "get_model_class": "zoo.registry",
    "list_models": "zoo.registry",
    "list_pretrained": "zoo.pretrained",
    "load": "zoo.pretrained",
    "load_preset": "zoo.presets",
    "register_model": "zoo.registry",
    "save_preset": "zoo.presets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
