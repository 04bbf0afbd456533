"""What the absl entry points share: quiet start-up, one-line errors, flag parsing.

This module must not import TensorFlow at import time: entry points call
`import_tensorflow_quietly()` first.
"""

import logging as python_logging
import os
import sys

from absl import app, logging

from zoo.errors import ZooError


def import_tensorflow_quietly():
    """Imports TensorFlow with its C++ start-up lines (no GPU, oneDNN notes) hidden.

    They are written to the stderr file descriptor before TensorFlow's log
    settings apply, so `TF_CPP_MIN_LOG_LEVEL` cannot hide them; the descriptor
    is muted only for the import and the device set-up. Set `GAN_ZOO_VERBOSE=1`
    to see them.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get("GAN_ZOO_VERBOSE"):
        import tensorflow  # noqa: F401

        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_logical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run(main):
    """`app.run(main)`, printing a `ZooError` as one line and exiting with 1."""
    program = os.path.basename(sys.argv[0])

    def guarded(argv):
        if len(argv) > 1:
            raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
        # TensorFlow's savers log at INFO on every checkpoint; keep the
        # progress bar readable.
        logging.set_verbosity(logging.WARNING)
        python_logging.getLogger("tensorflow").setLevel(python_logging.WARNING)
        try:
            main()
        except ZooError as e:
            print(f"{program}: error: {e}", file=sys.stderr)
            sys.exit(1)
        except KeyboardInterrupt:
            print(f"{program}: interrupted; rerun the same command to resume", file=sys.stderr)
            sys.exit(130)

    app.run(guarded)


def parse_kwargs(text):
    """Parses `--model_kwargs`: `key=value,...` (Python literals) or a JSON object.

    `"loss=hinge,hidden_dims=(128, 128),ema_decay=0.999"` gives
    `{"loss": "hinge", "hidden_dims": (128, 128), "ema_decay": 0.999}`; a value
    that is no Python literal is kept as a string.

    Raises:
        ZooError: for an item without `=`.
    """
    import ast
    import json

    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ZooError(f"--model_kwargs is not valid JSON: {e}") from None
    kwargs = {}
    for item in _split_top_level(text):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ZooError(f"--model_kwargs item {item!r} is not key=value (e.g. loss=hinge)")
        try:
            kwargs[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            kwargs[key.strip()] = value.strip()
    return kwargs


def _split_top_level(text):
    """Splits on commas outside brackets: `a=(1, 2),b=3` -> `a=(1, 2)`, `b=3`."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return [item for item in items + [current] if item.strip()]
