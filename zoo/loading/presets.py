"""Presets: a trained GAN as a folder anyone can load (keras-hub's layout).

    my_gan/
        config.json                  the GAN's Keras config, with `registered_name`
        ema_generator.weights.h5     the averaged generator (families with EMA)
        generator.weights.h5         the trained generator
        discriminator.weights.h5     the discriminator, for fine-tuning
        model_card.json              what it is, how it was made and scored, and
                                     each file's size and sha256

    >>> zoo.save_preset(gan, "my_gan", card={"dataset": "folder:shoes"})
    >>> gan = zoo.load("my_gan")

No optimizer state is kept: a loaded preset is compiled with its family's
default optimizers, ready to sample or to fine-tune. `load_preset` checks every
file against the card before reading it, so a missing, truncated or altered
file is a one-line error naming it. A preset is written to a scratch folder
and swapped in with renames: the previous one survives a crash.
"""

import datetime
import hashlib
import json
import os
import pathlib
import shutil

import keras

from zoo.core import registry
from zoo.core.errors import ZooError

CONFIG_FILE = "config.json"
CARD_FILE = "model_card.json"
FORMAT_VERSION = 1
# The networks a preset keeps, in the order a card lists them.
NETWORKS = ("ema_generator", "generator", "discriminator")
VALUE_RANGE = (-1.0, 1.0)


def weights_file(network):
    return f"{network}.weights.h5"


def is_preset(folder):
    """Whether `folder` holds a preset (a directory with a model card)."""
    return (pathlib.Path(folder) / CARD_FILE).is_file()


def describe(gan):
    """What a card says of any GAN without knowing how it was trained.

    Returns:
        dict: family, image shape, value range, latent size and distribution,
        labels and parameter counts.
    """
    family = registry.registered_name(type(gan))
    return {
        "family": family,
        "image_shape": list(gan.image_shape),
        "value_range": list(VALUE_RANGE),
        "latent_dim": int(gan.latent_dim),
        "latent_distribution": "standard normal N(0, I)",
        "num_classes": int(gan.num_classes),
        "parameters": {
            network: int(getattr(gan, network).count_params())
            for network in NETWORKS
            if getattr(gan, network, None) is not None
        },
    }


def save_preset(gan, folder, card=None):
    """Writes `gan` as a preset folder.

    Args:
        gan: a GAN of the zoo (trained or not).
        folder: the preset's folder; a preset already there is replaced.
        card: more model-card fields (dataset, metrics, training command,
            intended use, ...); they override what `describe(gan)` finds.

    Returns:
        `pathlib.Path` of the folder.

    Example:
        >>> zoo.save_preset(gan, "presets/my_gan", card={"dataset": "folder:shoes"})
    """
    folder = pathlib.Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ZooError(f"{folder} is a file; pass a folder for the preset")
    if folder.exists() and any(folder.iterdir()) and not is_preset(folder):
        raise ZooError(
            f"{folder} is a folder that is not a preset; pass a new folder or an existing preset"
        )
    # The averaged generator's own batch-norm statistics go into the file.
    gan.refresh_sampling_statistics()
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = folder.with_name(f".{folder.name}.writing-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        _write_config(gan, scratch / CONFIG_FILE)
        files = [CONFIG_FILE]
        for network in NETWORKS:
            layer = getattr(gan, network, None)
            if layer is not None:
                layer.save_weights(scratch / weights_file(network))
                files.append(weights_file(network))
        record = {
            "format": FORMAT_VERSION,
            **describe(gan),
            "keras_version": keras.__version__,
            "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            **(card or {}),
            "files": {name: file_record(scratch / name) for name in files},
        }
        (scratch / CARD_FILE).write_text(json.dumps(record, indent=2) + "\n")
        _swap_in(scratch, folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _write_config(gan, path):
    config = keras.saving.serialize_keras_object(gan)
    # Optimizer state is not kept, nor the compile config that would name it.
    config.pop("compile_config", None)
    config.pop("build_config", None)
    path.write_text(json.dumps(config, indent=2) + "\n")


def _swap_in(scratch, folder):
    """Replaces `folder` by `scratch` with renames; a crash leaves one of them whole."""
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(scratch, folder)
    shutil.rmtree(old, ignore_errors=True)


def file_record(path):
    """`{"bytes": ..., "sha256": ...}` of a file."""
    return {"bytes": path.stat().st_size, "sha256": sha256(path)}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(folder):
    """The model card of a preset folder, as a dict.

    Raises:
        ZooError: no folder, no card, or a card that is not JSON.
    """
    folder = pathlib.Path(folder)
    path = folder / CARD_FILE
    if not folder.is_dir():
        raise ZooError(f"no preset folder {folder}")
    if not path.is_file():
        raise ZooError(f"{folder} is not a preset: {CARD_FILE} is missing")
    try:
        card = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ZooError(f"{path} is not valid JSON; restore the preset's card") from None
    if not isinstance(card, dict) or not isinstance(card.get("files"), dict):
        raise ZooError(f"{path} lists no files; restore the preset's card")
    return card


def verify_files(folder, card):
    """Checks each file the card lists: present, of its size, of its sha256.

    Raises:
        ZooError: naming the first file that is missing, truncated or altered.
    """
    folder = pathlib.Path(folder)
    for name, expected in card["files"].items():
        path = folder / name
        if not path.is_file():
            raise ZooError(f"preset {folder}: {name} is missing; download the preset again")
        size = path.stat().st_size
        if size != expected.get("bytes"):
            raise ZooError(
                f"preset {folder}: {name} has {size} bytes, the card says {expected.get('bytes')} "
                f"(truncated or replaced); download the preset again"
            )
        if sha256(path) != expected.get("sha256"):
            raise ZooError(
                f"preset {folder}: {name} does not match its sha256 in {CARD_FILE} (altered); "
                f"download the preset again"
            )


def load_preset(folder, verify=True):
    """Loads a preset folder as a compiled GAN.

    Args:
        folder: a folder written by `save_preset`.
        verify: check every file's size and sha256 against the card first.
            Defaults to `True`.

    Returns:
        The GAN, compiled with its family's default optimizers.

    Raises:
        ZooError: a bad folder or file (named in the message), or a model whose
            parameter counts differ from the card's (the family's code changed).
    """
    folder = pathlib.Path(folder)
    card = read_card(folder)
    if verify:
        verify_files(folder, card)
    registry.import_families()
    config = json.loads((folder / CONFIG_FILE).read_text())
    try:
        gan = keras.saving.deserialize_keras_object(config)
    except Exception as e:  # Keras raises many types for a config it cannot rebuild.
        reason = str(e).splitlines()[0][:120]
        raise ZooError(f"preset {folder}: {CONFIG_FILE} does not rebuild a GAN ({reason})") from e
    _check_parameters(folder, gan, card)
    for network in NETWORKS:
        name = weights_file(network)
        if name in card["files"]:
            try:
                getattr(gan, network).load_weights(folder / name)
            except Exception as e:  # h5py and Keras raise many types for a bad file.
                raise ZooError(
                    f"preset {folder}: cannot load {name} ({str(e).splitlines()[0][:120]})"
                ) from None
    gan.compile()
    return gan


def _check_parameters(folder, gan, card):
    found = describe(gan)["parameters"]
    stated = card.get("parameters", {})
    for network, count in stated.items():
        if found.get(network) != count:
            raise ZooError(
                f"preset {folder}: the {network} has {found.get(network)} parameters, the card "
                f"says {count}; the {card.get('family')} code changed since the preset was saved"
            )
