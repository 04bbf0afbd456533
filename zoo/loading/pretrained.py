"""The catalogue of pretrained GANs: preset folders, one per entry.

    >>> zoo.list_pretrained()
    ['dcgan_fashion_mnist', ...]
    >>> gan = zoo.load("dcgan_fashion_mnist")   # compiled, ready to sample or fine-tune
    >>> gan = zoo.load("path/to/my_preset")      # any folder `zoo.save_preset` wrote

An entry is a preset folder (`zoo.loading.presets`) named `<model>_<dataset>[_<size>]`
in the catalogue directory: `$GAN_ZOO_PRETRAINED_DIR` when set, else
`pretrained/` of the checkout, else the copy installed with the package.
"""

import os
import pathlib

from zoo.core.errors import ZooError
from zoo.loading import presets

PRETRAINED_DIR_ENV = "GAN_ZOO_PRETRAINED_DIR"
_CHECKOUT_DIR = pathlib.Path(__file__).resolve().parents[2] / "pretrained"
# `pip install .` copies the checkout's pretrained/ here (pyproject.toml).
_INSTALLED_DIR = pathlib.Path(__file__).resolve().parents[1] / "pretrained_presets"


def pretrained_dir():
    """Where catalogue entries are looked up: `$GAN_ZOO_PRETRAINED_DIR`, else the
    checkout's `pretrained/`, else the installed copy."""
    if os.environ.get(PRETRAINED_DIR_ENV):
        return pathlib.Path(os.environ[PRETRAINED_DIR_ENV])
    return _CHECKOUT_DIR if _CHECKOUT_DIR.is_dir() else _INSTALLED_DIR


def list_pretrained():
    """The catalogue's names, sorted."""
    root = pretrained_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if presets.is_preset(p))


def entry_dir(name):
    """The preset folder of catalogue entry `name`.

    Raises:
        ZooError: for an unknown name, the message lists the valid ones; for a
            name whose recipe exists but whose entry is not trained, it says how
            to train it.
    """
    folder = pretrained_dir() / name
    if not presets.is_preset(folder) or name != folder.name:
        valid = ", ".join(list_pretrained()) or f"none in {pretrained_dir()}"
        if _has_recipe(name):
            raise ZooError(
                f"pretrained model {name!r} has a recipe but is not trained yet; train it with "
                f"`make pretrained ENTRIES={name}` in a checkout; trained: {valid}"
            )
        raise ZooError(f"unknown pretrained model {name!r}; valid names: {valid}")
    return folder


def _has_recipe(name):
    # Imported here, on the error path only: the catalogue's recipes sit a layer above
    # loading (publishing loads presets), and a plain lookup must not need them.
    from zoo.catalogue import recipes

    return name in recipes.RECIPES


def resolve(name_or_folder):
    """The preset folder of a catalogue name or of a folder path.

    A folder that exists wins over a catalogue entry of the same name.

    Raises:
        ZooError: neither a preset folder nor a catalogue name.
    """
    path = pathlib.Path(name_or_folder)
    if path.is_dir():
        if not presets.is_preset(path):
            raise ZooError(
                f"{path} is a folder but not a preset ({presets.CARD_FILE} is missing); pass a "
                f"folder written by zoo.save_preset, or a catalogue name"
            )
        return path
    if os.sep in str(name_or_folder) or "/" in str(name_or_folder):
        raise ZooError(f"no preset folder {name_or_folder}")
    return entry_dir(str(name_or_folder))


def card(name_or_folder):
    """The model card (a dict) of a catalogue name or preset folder."""
    return presets.read_card(resolve(name_or_folder))


def load(name_or_folder, verify=True):
    """Loads a catalogue entry or a preset folder as a compiled GAN.

    The files are checked against the card's sizes and sha256 first; the model
    comes compiled with its family's default optimizers, ready to sample,
    export or fine-tune with `fit`.

    Args:
        name_or_folder: a catalogue name (`list_pretrained()`) or the path of
            a folder written by `zoo.save_preset`.
        verify: check the files' sizes and sha256. Defaults to `True`.

    Returns:
        The compiled GAN.

    Example:
        >>> gan = zoo.load("dcgan_fashion_mnist")
        >>> images = gan.generate(16, seed=0)

    Raises:
        ZooError: an unknown name, or a missing, truncated or altered file
            (named in the message).
    """
    return presets.load_preset(resolve(name_or_folder), verify=verify)


def catalogue_table():
    """One dict per entry: name, family, size in bytes and the card's metrics."""
    rows = []
    for name in list_pretrained():
        entry = presets.read_card(pretrained_dir() / name)
        rows.append(
            {
                "name": name,
                "family": entry.get("family"),
                "dataset": entry.get("dataset"),
                "bytes": sum(f.get("bytes", 0) for f in entry["files"].values()),
                "metrics": entry.get("metrics", {}),
                "real_floor": entry.get("real_floor", {}),
            }
        )
    return rows
