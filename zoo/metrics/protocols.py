"""Protocol names, their registry and the settings that fix a number."""

import dataclasses

from zoo.core.cache import CACHE_ENV as CACHE_ENV  # re-exported: older code and tests read it here
from zoo.core.errors import ZooError

# Bump when the cached file's content changes meaning; old files are then ignored.
# 2: a folder's "train" split no longer holds its held-out test images.
# 3: the file holds the examples' class labels and the class names too.
# 4: rows in an order of REFERENCE_SHUFFLE_SEED alone, not of the process's global seed.
CACHE_VERSION = 4
IS_SPLITS = 10
PR_NEIGHBOURS = 3
# Seed of the order of the real examples' rows (`reference.reference_order`): KID's
# block estimator assumes random order (TF-GAN's note), and pr*k3 takes the first rows.
REFERENCE_SHUFFLE_SEED = 0
# Seed of the order KID reads generated samples in (`scoring.in_random_order`).
KID_ORDER_SEED = 0
# Result names of the class-conditional metrics (`score_conditional`).
CONDITIONAL_RESULT_NAMES = (
    "intra_fid", "intra_fid_per_class", "class_accuracy", "class_accuracy_per_class",
)  # fmt: skip
# Dataset specs whose labels are those the shipped classifier was trained on.
CLASSIFIER_DATASETS = ("fashion_mnist", "tfds:fashion_mnist")


@dataclasses.dataclass(frozen=True)
class Protocol:
    """A metric with its sample count.

    Attributes:
        name: registered name, e.g. `fid10k`.
        kind: `"fid"`, `"is"`, `"kid"` or `"pr"`.
        num_samples: generated samples scored.
    """

    name: str
    kind: str
    num_samples: int

    @property
    def result_names(self):
        """Keys this protocol adds to a result dict."""
        return {
            "fid": (self.name,),
            "is": (self.name, f"{self.name}_std"),
            "kid": (self.name, f"{self.name}_std"),
            "pr": (f"{self.name}_precision", f"{self.name}_recall"),
        }[self.kind]


def _register():
    protocols = {}
    # 2k: the catalogue's cheap re-check of an entry's card (tests/test_catalogue_entries.py).
    for count, suffix in ((1_000, "1k"), (2_000, "2k"), (10_000, "10k"), (50_000, "50k")):
        for kind in ("fid", "is", "kid"):
            protocols[f"{kind}{suffix}"] = Protocol(f"{kind}{suffix}", kind, count)
        name = f"pr{suffix}{PR_NEIGHBOURS}"
        protocols[name] = Protocol(name, "pr", count)
    return protocols


PROTOCOLS = _register()
DEFAULT_METRICS = ("fid10k", "is10k", "kid10k")


def get_protocols(metric_names):
    """Parses `"fid10k,is10k"` (or a list of names or `Protocol`s) into `Protocol`s.

    Raises:
        ZooError: for an unknown or repeated name.
    """
    if isinstance(metric_names, str):
        metric_names = [n.strip() for n in metric_names.split(",") if n.strip()]
    protocols = []
    for name in metric_names:
        if isinstance(name, Protocol):
            name = name.name
        if name not in PROTOCOLS:
            raise ZooError(f"unknown metric {name!r}; valid: {', '.join(PROTOCOLS)}")
        if PROTOCOLS[name] in protocols:
            raise ZooError(f"metric {name!r} is asked for twice")
        protocols.append(PROTOCOLS[name])
    return protocols
