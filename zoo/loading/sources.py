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

from zoo.core import registry
from zoo.core.errors import ZooError
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
    def description(self):
        """What was loaded, for a line of output: `the run runs/dcgan`, `the catalogue
        entry dcgan_fashion_mnist`, `the preset folder x`, `the model file x.keras`."""
        if self.pretrained is not None:
            where = self.source.removeprefix("pretrained:")
            if pathlib.Path(where).is_dir():
                return f"the preset folder {where}"
            return f"the catalogue entry {where}"
        if self.run_dir is not None and not self.source.endswith(".keras"):
            return f"the run {self.source}"
        return f"the model file {self.source}"

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


def network_kind(network):
    """What `--network` names: `"run"`, `"file"`, `"preset"` or `"catalogue"`.

    A path that exists decides by what it is: a folder with a model card is a
    preset, a folder with a run's `config.json` a training run, a `.keras`
    file a model file; anything else without a path separator is looked up
    in the catalogue.

    Raises:
        ZooError: a path that exists but is none of these, or a path that does
            not exist.
    """
    path = pathlib.Path(network)
    if path.is_dir():
        from zoo.loading import presets

        if presets.is_preset(path):
            return "preset"
        if (path / CONFIG_FILE).exists():
            return "run"
        raise ZooError(
            f"--network={network} is a folder but neither a training run (no {CONFIG_FILE}) nor "
            f"a preset (no {presets.CARD_FILE})"
        )
    if path.is_file():
        if path.suffix != ".keras":
            raise ZooError(f"--network={network} is a file but not a .keras model file")
        return "file"
    if "/" in str(network) or path.suffix:
        raise ZooError(f"--network={network}: no such file or folder")
    return "catalogue"


def load_from_source(*, network=None, workdir=None, model_path=None, pretrained=None):
    """Loads a GAN from `--network` or from one of the older flags.

    Args:
        network: a catalogue name, a preset folder, a `.keras` file or a
            training run directory (`network_kind` tells which).
        workdir, model_path, pretrained: the older, explicit flags.

    Raises:
        ZooError: not exactly one source, or a source that cannot be loaded.
    """
    given = [s for s in (network, workdir, model_path, pretrained) if s]
    if len(given) != 1:
        raise ZooError(
            "pass the model as --network=NAME_OR_PATH (a catalogue name, a preset folder, a "
            ".keras file or a run directory)" + (", and only once" if given else "")
        )
    if network:
        kind = network_kind(network)
        if kind == "run":
            workdir = network
        elif kind == "file":
            model_path = network
        else:
            pretrained = network
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
    from zoo.loading import pretrained as catalogue  # The catalogue loads through this module.

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
