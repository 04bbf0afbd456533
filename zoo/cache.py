"""Where the zoo keeps what it computes once: `$GAN_ZOO_CACHE` or `~/.cache/gan_zoo`.

`zoo.metrics` caches reference activations under `reference/`, `zoo.data` the
decode checks of image folders under `image_checks/`. Everything there can be
deleted; it is computed again when needed.
"""

import os
import pathlib
import tempfile

CACHE_ENV = "GAN_ZOO_CACHE"
DEFAULT_CACHE_DIR = "~/.cache/gan_zoo"


def cache_dir():
    """The zoo's cache folder: `$GAN_ZOO_CACHE`, else `~/.cache/gan_zoo`.

    Returns:
        A `pathlib.Path`; it may not exist yet.
    """
    return pathlib.Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR).expanduser()


def write_text_atomically(path, text):
    """Writes `text` to `path` so that readers see the old file or the new, never half.

    The text goes to a temporary file in the same folder (so the rename stays
    on one file system), then `os.replace` puts it in place; two processes
    writing at once each leave a whole file.

    Args:
        path: the file to write; its folder is created if missing.
        text: the content.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
