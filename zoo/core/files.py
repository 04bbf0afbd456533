"""Writing files so that a crash or a second writer leaves the old file or the new, never half.

Every file the zoo writes for keeps (run configs and summaries, checkpoint
indexes, `.keras` models, cached checks) goes through these helpers.
"""

import json
import os
import pathlib
import tempfile


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


def write_json_atomically(path, value, **dumps):
    """`write_text_atomically` of `json.dumps(value, **dumps)` and a newline."""
    write_text_atomically(path, json.dumps(value, **dumps) + "\n")


def save_model_atomically(model, path):
    """`model.save(path)` (a `.keras` file) through a temporary beside it."""
    path = pathlib.Path(path)
    # Keras insists on the `.keras` suffix, so the temporary keeps it.
    temporary = path.with_name(f"tmp-{path.name}")
    model.save(temporary)
    os.replace(temporary, path)
