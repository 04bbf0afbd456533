"""The model card an export carries as `assets/model_card.json`, and loading a model
with what its card needs (`--network` or the older flags)."""

import datetime
import json
import pathlib

import keras
import tensorflow as tf

from zoo.core import registry
from zoo.core.errors import ZooError
from zoo.export.serving import METRICS_FILE, signature_names
from zoo.loading import sources

# -------------------------------------------------------------- model card


def model_card(
    model, *, name=None, dataset=None, steps=None, metrics=None, evaluation=None, source=None
):
    """What the export says about itself, written to `assets/model_card.json`.

    Args:
        model: the exported GAN.
        name: registry name of the model; looked up from its class if `None`.
        dataset: dataset spec it was trained on, if known.
        steps: generator steps trained; read from the optimizer if `None`.
        metrics: evaluation results by protocol, e.g. `{"fid10k": 23.1}`;
            taken from `evaluation["metrics"]` if `None`.
        evaluation: the report `evaluate.py` writes to `metrics.json`
            (extractor, reference sizes, real-data floor), kept whole.
        source: where the model came from (workdir, file or catalogue name).

    Returns:
        A JSON-serializable dict.
    """
    if steps is None and getattr(model, "g_optimizer", None) is not None:
        steps = int(model.g_optimizer.iterations.numpy())
    if metrics is None and isinstance(evaluation, dict):
        metrics = evaluation.get("metrics")
    return {
        "model": name or registry_name(model),
        "class": type(model).__name__,
        "config": json.loads(json.dumps(model.get_config(), default=str)),
        "dataset": dataset,
        "image_shape": list(model.image_shape),
        "latent_dim": model.latent_dim,
        "num_classes": model.num_classes,
        "ema": model.ema_generator is not None,
        "generator_params": int(model.sampling_generator.count_params()),
        "training_steps": steps,
        "metrics": metrics or {},
        "evaluation": evaluation,
        "source": source,
        "signatures": list(signature_names(model)),
        "truncation": model.capabilities.truncation,
        # ProGAN: the stage reached (the export serves it, at the final size).
        "progress": model.progress_summary() if model.capabilities.phases else {},
        "exported_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }


def registry_name(model):
    """The registry key of the model's class, or its class name if unregistered."""
    for name in registry.list_models():
        if registry.get_model_class(name) is type(model):
            return name
    return type(model).__name__


# ------------------------------------------------------------------ sources


def load_for_export(*, network=None, workdir=None, model_path=None, pretrained=None):
    """Loads the model of one source with what its model card needs.

    Args:
        network: a catalogue name, preset folder, `.keras` file or run
            directory (`sources.network_kind`).
        workdir: a training workdir (its latest checkpoint).
        model_path: a `.keras` file.
        pretrained: a catalogue name (`zoo.list_pretrained()`) or a preset folder.

    Returns:
        `(model, card, default_name)`: the GAN, its model card and the serving
        name used when none is given (`sources.LoadedModel.name`).

    Raises:
        ZooError: not exactly one source, or a source that cannot be loaded.
    """
    loaded = sources.load_from_source(
        network=network, workdir=workdir, model_path=model_path, pretrained=pretrained
    )
    return export_card(loaded)


def export_card(loaded):
    """`(model, card, default_name)` of a `sources.LoadedModel` (`load_for_export`)."""
    if loaded.pretrained is not None:
        preset_card = loaded.pretrained
        card = model_card(
            loaded.model, name=preset_card.get("family"), dataset=preset_card.get("dataset"),
            steps=preset_card.get("steps"), metrics=dict(preset_card.get("metrics", {})),
            source=loaded.source,
        )  # fmt: skip
        card["preset_card"] = preset_card
    else:
        evaluation = _read_evaluation(loaded.run_dir / METRICS_FILE) if loaded.run_dir else None
        card = model_card(
            loaded.model, name=loaded.config.model if loaded.config else None,
            dataset=loaded.dataset, evaluation=evaluation, source=loaded.source,
        )  # fmt: skip
    return loaded.model, card, loaded.name


def _read_evaluation(path):
    path = pathlib.Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ZooError(f"{path} is not valid JSON ({e}); fix or delete it") from None
