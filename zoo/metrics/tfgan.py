"""TF-GAN's metric maths, imported without the `tensorflow_gan` package `__init__`.

`import tensorflow_gan` fails on TensorFlow >= 2.16 because the package
`__init__` imports the removed `tf.estimator` (tensorflow/gan#55). The module we
need, `tensorflow_gan.python.eval.classifier_metrics`, only needs TensorFlow,
TensorFlow Probability and its sibling `eval_utils`. So we register empty
package modules for `tensorflow_gan`, `tensorflow_gan.python` and
`tensorflow_gan.python.eval` (with `__path__` pointing into the installed
package, so their submodules stay importable) and import the module itself.
This is the one place that knows about the workaround; everything else uses
`zoo.metrics.tfgan.classifier_metrics()` (and the tests `zoo.metrics.tfgan.losses_impl()`).
"""

import contextlib
import functools
import importlib
import importlib.machinery
import importlib.util
import logging
import pathlib
import sys
import types

from zoo.core.errors import ZooError


def _package_root():
    """The installed `tensorflow_gan` folder, found without importing it."""
    registered = sys.modules.get("tensorflow_gan")
    if registered is not None and getattr(registered, "__path__", None):
        return pathlib.Path(next(iter(registered.__path__)))
    spec = importlib.util.find_spec("tensorflow_gan")
    if spec is None or not spec.submodule_search_locations:
        raise ZooError(
            "tensorflow-gan is not installed; "
            "pip install tensorflow-gan tensorflow-probability tf-keras"
        )
    return pathlib.Path(next(iter(spec.submodule_search_locations)))


def _import_without_package_init(module_name):
    """Imports `tensorflow_gan.python.<...>.<module>` with empty parent packages."""
    root = _package_root()
    parts = module_name.split(".")
    for depth in range(1, len(parts)):
        name = ".".join(parts[:depth])
        if name in sys.modules:
            continue
        path = str(root.joinpath(*parts[1:depth]))
        package = types.ModuleType(name)
        package.__path__ = [path]
        # A spec keeps importlib.util.find_spec working on the stand-in.
        package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.__spec__.submodule_search_locations = [path]
        sys.modules[name] = package
    try:
        return importlib.import_module(module_name)
    except ImportError as e:
        raise ZooError(
            f"cannot import TF-GAN's {parts[-1]} ({e}); pip install tensorflow-probability tf-keras"
        ) from None


@functools.cache
def classifier_metrics():
    """Returns the module `tensorflow_gan.python.eval.classifier_metrics`.

    Raises:
        ZooError: when tensorflow-gan (or tensorflow-probability) is not installed.
    """
    return _import_without_package_init("tensorflow_gan.python.eval.classifier_metrics")


@functools.cache
def losses_impl():
    """Returns the module `tensorflow_gan.python.losses.losses_impl` (tests compare
    `zoo.core.losses` with it).

    Raises:
        ZooError: when tensorflow-gan is not installed.
    """
    return _import_without_package_init("tensorflow_gan.python.losses.losses_impl")


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
