"""gan-zoo: GAN families for Keras 3, with their data, losses, training,
evaluation, export and pretrained catalogue.

    >>> import zoo
    >>> gan = zoo.load("dcgan_fashion_mnist")      # a catalogue name or a preset folder
    >>> images = gan.generate(16, seed=0)          # (16, 32, 32, 1) in [-1, 1]

Importing `zoo` registers every family with Keras, so
`keras.saving.load_model("some_gan.keras")` works after `import zoo` alone.
Other attributes load lazily (PEP 562).

The package shows its layers. Below `models/`, what a family may use:
`zoo.core` (errors, registry, losses, latents, replica helpers, phases, files).
Above it, the tools that drive families: `zoo.data`, `zoo.training`,
`zoo.metrics` (evaluation), `zoo.loading` (run directories, presets, the
catalogue), `zoo.catalogue` (how entries are trained and published),
`zoo.export`, `zoo.drawing` and `zoo.commands` (the command lines).
"""

import importlib
import sys

from zoo.commands import cli as _cli

# TensorFlow's C++ start-up lines stay hidden (GAN_ZOO_VERBOSE=1 shows them).
_cli.import_tensorflow_quietly(initialize_devices=False)

from zoo.core import registry as _registry  # noqa: E402

_registry.import_families()

# The floor's modules keep their short names (`zoo.losses`, `from zoo.latents
# import seeded_latents`): code written before the layers were drawn still runs.
_FLOOR = ("cache", "distribute", "errors", "files", "latents", "losses", "phases", "registry")
for _name in _FLOOR:
    sys.modules[f"zoo.{_name}"] = importlib.import_module(f"zoo.core.{_name}")
    globals()[_name] = sys.modules[f"zoo.{_name}"]

# Above the floor, the old short names load lazily as attributes
# (`from zoo import extractors`).
_MOVED = {
    "callbacks": "zoo.training.callbacks",
    "cli": "zoo.commands.cli",
    "extractors": "zoo.metrics.extractors",
    "modes": "zoo.metrics.modes",
    "pictures": "zoo.drawing.pictures",
    "presets": "zoo.loading.presets",
    "pretrained": "zoo.loading.pretrained",
    "recipes": "zoo.catalogue.recipes",
    "sources": "zoo.loading.sources",
    "tfgan": "zoo.metrics.tfgan",
}

_EXPORTS = {
    "ZooError": "zoo.core.errors",
    "build": "zoo.core.registry",
    "get_model_class": "zoo.core.registry",
    "list_models": "zoo.core.registry",
    "list_pretrained": "zoo.loading.pretrained",
    "load": "zoo.loading.pretrained",
    "load_preset": "zoo.loading.presets",
    "register_model": "zoo.core.registry",
    "save_preset": "zoo.loading.presets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _MOVED:
        return importlib.import_module(_MOVED[name])
    if name not in _EXPORTS:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
