"""Export: a GAN's generator as a SavedModel in TF Serving's layout (`serving`), with its
model card (`cards`)."""

from zoo.export.cards import export_card, load_for_export, model_card, registry_name
from zoo.export.serving import (
    MAX_SAMPLES,
    METRICS_FILE,
    MODEL_CARD_FILE,
    SIGNATURES,
    ServingModule,
    export,
    next_version,
    signature_names,
)

__all__ = [
    "MAX_SAMPLES", "METRICS_FILE", "MODEL_CARD_FILE", "SIGNATURES", "ServingModule", "export",
    "export_card", "load_for_export", "model_card", "next_version", "registry_name",
    "signature_names",
]  # fmt: skip
