"""Loading a trained GAN from what the entry points accept: a training workdir,
a `.keras` file, or a catalogue name or preset folder.

`evaluate.py`, `export.py` and `generate.py` share `load_from_source`; a
workdir's model comes back from its latest checkpoint (so an interrupted run
loads too), compiled as its run compiled it.
"""

import dataclasses
import json
import pathlib

import keras
import tensorflow as tf

from zoo import registry
from zoo.errors import ZooError
from zoo.training.config import TrainConfig, compile_model
from zoo.training.workdir import (
    CONFIG_FILE,
    MODEL_CONFIG_FILE,
    MODEL_FILE,
    make_checkpoint,
    read_config,
    restore_latest,
)


def load_workdir_model(workdir):
    """Rebuilds a workdir's model and restores its latest checkpoint.

    Works on finished and on interrupted runs; falls back to `model.keras`
    when there is no checkpoint.
    """
    workdir = pathlib.Path(workdir)
    config = read_config(workdir)
    manager_dir = workdir / "checkpoints"
    if tf.train.latest_checkpoint(str(manager_dir)) is None:
        if (workdir / MODEL_FILE).exists():
            return load_model_file(workdir / MODEL_FILE)
        raise ZooError(f"{workdir} has neither checkpoints nor {MODEL_FILE}; train first")
    model_class = registry.get_model_class(config.model)
    model = model_class.from_config(json.loads((workdir / MODEL_CONFIG_FILE).read_text()))
    compile_model(model, config)
    checkpoint = make_checkpoint(model)
    restore_latest(checkpoint, tf.train.CheckpointManager(checkpoint, str(manager_dir), 1))
    return model


@dataclasses.dataclass(frozen=True)
class LoadedModel:
    """A GAN loaded from one of the three sources the entry points accept.

    Attributes:
        model: the GAN.
        name: the run's name: the workdir's folder, a `.keras` file's stem
            (its folder's name for a workdir's `model.keras`), or the
            catalogue name (a preset folder's name).
        run_dir: the training workdir the model came from, if any; its
            `config.json` and `metrics.json` describe the model.
        config: that workdir's `TrainConfig`, or `None`.
        pretrained: the model card of a catalogue entry or preset, or `None`.
        source: a short description (`runs/dcgan`, `x.keras`, `pretrained:NAME`).
    """

    model: object
    name: str
    run_dir: pathlib.Path | None
    config: TrainConfig | None
    pretrained: object
    source: str

    @property
    def dataset(self):
        """The dataset spec the model learned, `None` when unknown."""
        if self.config is not None:
            return self.config.dataset
        return self.pretrained.get("dataset") if self.pretrained is not None else None

    @property
    def data_dir(self):
        return self.config.data_dir if self.config is not None else None

    @property
    def home(self):
        """Where outputs (grids, metrics.json) go by default: the run's folder,
        the `.keras` file's, or `runs/NAME` for a catalogue model or preset (never
        the preset's own folder, whose files its card checksums)."""
        if self.run_dir is not None:
            return self.run_dir
        if self.pretrained is not None:
            return pathlib.Path("runs", self.name)
        return pathlib.Path(self.source).parent


def load_from_source(*, workdir=None, model_path=None, pretrained=None):
    """Loads a GAN from exactly one of a workdir, a `.keras` file or a catalogue name.

    Raises:
        ZooError: not exactly one source, or a source that cannot be loaded.
    """
    given = [s for s in (workdir, model_path, pretrained) if s]
    if len(given) != 1:
        raise ZooError("pass exactly one of --workdir, --model_path or --pretrained")
    if workdir:
        run_dir = pathlib.Path(workdir)
        return LoadedModel(
            load_workdir_model(run_dir), run_dir.resolve().name, run_dir, read_config(run_dir),
            None, str(run_dir),
        )  # fmt: skip
    if model_path:
        path = pathlib.Path(model_path)
        model = load_model_file(path)
        # A workdir's model.keras: its folder has the config and the metrics.
        if path.name == MODEL_FILE and (path.parent / CONFIG_FILE).exists():
            return LoadedModel(
                model, path.resolve().parent.name, path.parent, read_config(path.parent),
                None, str(path),
            )  # fmt: skip
        return LoadedModel(model, path.stem, None, None, None, str(path))
    from zoo import pretrained as catalogue  # The catalogue loads through this module.

    folder = catalogue.resolve(pretrained)
    return LoadedModel(
        catalogue.load(folder), folder.name, None, None, catalogue.card(folder),
        f"pretrained:{pretrained}",
    )  # fmt: skip


def load_model_file(path):
    """Loads a `.keras` GAN file with a one-line error for bad files."""
    registry.import_families()  # registers the families that the file names
    path = pathlib.Path(path)
    if not path.exists():
        raise ZooError(f"no model file {path}")
    try:
        return keras.saving.load_model(path)
    except Exception as e:  # Keras raises many types for a bad file.
        raise ZooError(f"cannot load {path}: {str(e).splitlines()[0][:160]}") from None
