"""gan-zoo: what the GAN families share (registry, data, losses, training)."""

from zoo.errors import ZooError
from zoo.registry import build, get_model_class, list_models, register_model

__all__ = ["ZooError", "build", "get_model_class", "list_models", "register_model"]
