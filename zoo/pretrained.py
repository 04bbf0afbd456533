"""The catalogue of pretrained GANs: one dict, name -> `PretrainedModel`.

    >>> zoo.list_pretrained()
    >>> gan = zoo.load("dcgan_fashion_mnist")   # compiled, ready to sample or fine-tune

An entry names a registered model, its constructor arguments and a weights
file (`model.save_weights`) under the pretrained directory: `$GAN_ZOO_PRETRAINED_DIR`,
else `pretrained/` at the repository root. Names follow
`<model>_<dataset>[_<resolution>]`, without hyperparameters.

Real weights come later. Until then the catalogue holds only the test entry
`vanilla_gan_ring8_test`, whose weights `tests/zoo/test_pretrained.py` trains
for a few steps in a temporary directory, so the loading path is exercised
before real weights exist; `list_pretrained()` leaves test entries out.
"""

import dataclasses
import os
import pathlib

from zoo import registry
from zoo.errors import ZooError

PRETRAINED_DIR_ENV = "GAN_ZOO_PRETRAINED_DIR"
DEFAULT_PRETRAINED_DIR = pathlib.Path(__file__).resolve().parents[1] / "pretrained"


@dataclasses.dataclass(frozen=True)
class PretrainedModel:
    """One catalogue entry.

    Attributes:
        model: registered model name (`zoo.list_models()`).
        config: constructor arguments of the model (`zoo.build(model, **config)`).
        weights: weights file name (`*.weights.h5`) in the pretrained directory.
        dataset: dataset spec it was trained on (`zoo.data`).
        image_shape: shape of one sample, `(H, W, C)` or `(2,)`.
        params: parameters of the generator, checked on load. `None` skips the
            check.
        steps: generator steps trained.
        metrics: evaluation results named by protocol, e.g. `{"fid10k": 23.1}`.
        description: one line for `list_pretrained`.
        test_only: an entry whose weights only tests make; hidden from
            `list_pretrained()`.
    """

    model: str
    config: dict
    weights: str
    dataset: str
    image_shape: tuple
    params: int | None = None
    steps: int | None = None
    metrics: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    test_only: bool = False


CATALOGUE = {
    "vanilla_gan_ring8_test": PretrainedModel(
        model="vanilla_gan",
        config={
            "image_shape": (2,),
            "latent_dim": 4,
            "hidden_dims": (16, 16),
            "ema_decay": 0.9,
            "seed": 0,
        },
        weights="vanilla_gan_ring8_test.weights.h5",
        dataset="ring8",
        image_shape=(2,),
        params=386,
        steps=2,
        description="tiny test entry; tests/zoo/test_pretrained.py trains its weights",
        test_only=True,
    ),
}


def list_pretrained(include_test=False):
    """Returns the catalogue's names, sorted.

    Args:
        include_test: also list the entries whose weights only tests make.
            Defaults to `False`.
    """
    return sorted(n for n, e in CATALOGUE.items() if include_test or not e.test_only)


def get_entry(name):
    """Returns the `PretrainedModel` named `name`.

    Raises:
        ZooError: for an unknown name; the message lists the valid ones.
    """
    try:
        return CATALOGUE[name]
    except KeyError:
        valid = ", ".join(list_pretrained()) or "none yet (real weights come later)"
        raise ZooError(f"unknown pretrained model {name!r}; valid names: {valid}") from None


def pretrained_dir(root=None):
    """Where weights files live: `root`, else `$GAN_ZOO_PRETRAINED_DIR`, else
    `pretrained/` at the repository root."""
    return pathlib.Path(root or os.environ.get(PRETRAINED_DIR_ENV) or DEFAULT_PRETRAINED_DIR)


def weights_path(name, root=None):
    """The path of the weights file of entry `name`."""
    return pretrained_dir(root) / get_entry(name).weights


def build(name):
    """Builds entry `name`'s model with random weights, checking it against the entry.

    Raises:
        ZooError: unknown name, or a model whose image shape or generator size
            no longer matches the entry (the family's code changed).
    """
    entry = get_entry(name)
    model = registry.build(entry.model, **entry.config)
    if tuple(model.image_shape) != tuple(entry.image_shape):
        raise ZooError(
            f"pretrained {name!r}: the model's image_shape {model.image_shape} is not the "
            f"catalogue's {tuple(entry.image_shape)}; fix the entry"
        )
    params = model.generator.count_params()
    if entry.params is not None and params != entry.params:
        raise ZooError(
            f"pretrained {name!r}: the generator has {params} parameters, the catalogue "
            f"says {entry.params}; the {entry.model} code changed since the weights were made"
        )
    return model


def load(name, load_weights=True, root=None):
    """Builds the catalogue model `name` and loads its weights.

    The model comes compiled with its family's default optimizers, whose
    state (iterations, moments) the weights file restores when it holds one,
    ready to sample, export or fine-tune with `fit`.

    Args:
        name: catalogue name (`list_pretrained()`).
        load_weights: load the weights file; `False` gives the same
            architecture with random weights. Defaults to `True`.
        root: directory of the weights files. Defaults to `pretrained_dir()`.

    Returns:
        The compiled GAN.

    Example:
        >>> gan = zoo.load("dcgan_fashion_mnist")
        >>> images = gan.generate(16, seed=0)

    Raises:
        ZooError: unknown name, missing or unreadable weights file.
    """
    model = build(name)
    model.compile()
    if load_weights:
        path = weights_path(name, root)
        if not path.exists():
            raise ZooError(
                f"no weights file {path} for pretrained {name!r}; put it there, or point "
                f"${PRETRAINED_DIR_ENV} at the folder that holds {path.name}"
            )
        try:
            model.load_weights(path)
        except Exception as e:  # h5py and Keras raise many types for a bad file.
            raise ZooError(f"cannot load {path}: {str(e).splitlines()[0][:160]}") from None
    return model


def save_weights(model, name, root=None):
    """Writes `model`'s weights as the weights file of entry `name`.

    The file holds every network (the EMA copy too) and, for a compiled
    model, both optimizers' state. This is how a trained run becomes a
    catalogue entry (and how the tests make the test entry's weights).

    Returns:
        `pathlib.Path` of the written file.

    Raises:
        ZooError: for a model that is not the entry's architecture.
    """
    entry = get_entry(name)
    if registry.get_model_class(entry.model) is not type(model):
        raise ZooError(f"pretrained {name!r} is a {entry.model}, got a {type(model).__name__}")
    path = weights_path(name, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(path)
    return path
