"""The model a command reads: `--network`, or one of the older flags it replaces.

`evaluate.py`, `export.py` and `generate.py` import this module, so the four
flags are defined once, with one meaning, whichever commands a process loads.
"""

from absl import flags

from zoo.loading import sources

flags.DEFINE_string(
    "network", None, "The model: a catalogue name (python -m zoo catalogue), a preset folder, "
    "a .keras file or a training run directory.",
)  # fmt: skip
flags.DEFINE_string("workdir", None, "A training run directory (older form of --network).")
flags.DEFINE_string("model_path", None, "A .keras file (older form of --network).")
flags.DEFINE_string(
    "pretrained", None, "A catalogue name or preset folder (older form of --network)."
)

FLAGS = flags.FLAGS


def load():
    """Loads the model the flags name and says in one line what it loaded.

    Returns:
        A `sources.LoadedModel`.
    """
    loaded = sources.load_from_source(
        network=FLAGS.network, workdir=FLAGS.workdir, model_path=FLAGS.model_path,
        pretrained=FLAGS.pretrained,
    )  # fmt: skip
    print(f"loaded {type(loaded.model).__name__} from {loaded.description}")
    return loaded
