"""TF-GAN's metric maths, imported without the `tensorflow_gan` package `__init__`.

`import tensorflow_gan` fails on TensorFlow >= 2.16 because the package
`__init__` imports the removed `tf.estimator` (tensorflow/gan#55). The module we
need, `tensorflow_gan.python.eval.classifier_metrics`, only needs TensorFlow,
TensorFlow Probability and its sibling `eval_utils`. So we register empty
package modules for `tensorflow_gan`, `tensorflow_gan.python` and
`tensorflow_gan.python.eval` (with `__path__` pointing into the installed
package, so their submodules stay importable) and import the module itself.
This is the one place that knows about the workaround; everything else uses
`zoo.tfgan.classifier_metrics()`.
"""

import contextlib
import functools
import importlib
import importlib.util
import logging
import pathlib
import sys
import types

from zoo.errors import ZooError

_PACKAGES = ("tensorflow_gan", "tensorflow_gan.python", "tensorflow_gan.python.eval")


@functools.cache
def classifier_metrics():
    """Returns the module `tensorflow_gan.python.eval.classifier_metrics`.

    Raises:
        ZooError: when tensorflow-gan (or tensorflow-probability) is not installed.
    """
    spec = importlib.util.find_spec("tensorflow_gan")
    if spec is None or not spec.submodule_search_locations:
        raise ZooError(
            "tensorflow-gan is not installed; "
            "pip install tensorflow-gan tensorflow-probability tf-keras"
        )
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    for name in _PACKAGES:
        if name in sys.modules:
            continue
        package = types.ModuleType(name)
        package.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
        sys.modules[name] = package
    try:
        return importlib.import_module("tensorflow_gan.python.eval.classifier_metrics")
    except ImportError as e:
        raise ZooError(
            f"cannot import TF-GAN's classifier_metrics ({e}); "
            "pip install tensorflow-probability tf-keras"
        ) from None


@contextlib.contextmanager
def quiet():
    """Hides TensorFlow's deprecation warnings about TF-GAN's own calls.

    TF-GAN 2.1's KID calls `tf.map_fn(..., back_prop=False)`, which TensorFlow
    2.21 warns about in eight lines; the warning is about TF-GAN's code, not
    ours, and says nothing a user can act on.
    """
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
