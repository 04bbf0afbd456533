"""The catalogue: how each entry is trained (`recipes`) and published as a preset (`publishing`)."""

from zoo.catalogue.publishing import learning_curve, model_card, publish

__all__ = ["learning_curve", "model_card", "publish"]
