"""Where the zoo keeps what it computes once: `$GAN_ZOO_CACHE` or `~/.cache/gan_zoo`.

`zoo.metrics` caches reference activations under `reference/`, `zoo.data` the
decode checks of image folders under `image_checks/`. Everything there can be
deleted; it is computed again when needed.
"""

import os
import pathlib

CACHE_ENV = "GAN_ZOO_CACHE"
DEFAULT_CACHE_DIR = "~/.cache/gan_zoo"


def cache_dir():
    """The zoo's cache folder: `$GAN_ZOO_CACHE`, else `~/.cache/gan_zoo`.

    Returns:
        A `pathlib.Path`; it may not exist yet.
    """
    return pathlib.Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR).expanduser()
