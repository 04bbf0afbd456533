"""gan-zoo: what the GAN families share (registry, data, losses, training).

Attributes load lazily (PEP 562), so `import zoo.cli` stays free of
TensorFlow until an entry point has quieted its start-up logs.
"""

import importlib

_EXPORTS = {
    "ZooError": "zoo.errors",
    "build": "zoo.registry",
    "get_model_class": "zoo.registry",
    "list_models": "zoo.registry",
    "list_pretrained": "zoo.pretrained",
    "load": "zoo.pretrained",
    "register_model": "zoo.registry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'zoo' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
