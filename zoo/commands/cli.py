"""What the absl entry points share: quiet start-up, one-line errors, flag parsing.

This module must not import TensorFlow at import time: entry points call
`import_tensorflow_quietly()` first.
"""

import logging as python_logging
import os
import pathlib
import re
import sys
import time

from absl import app, flags, logging

from zoo.core.errors import ZooError

# The largest seed a latent generator takes (a signed 64-bit integer).
MAX_SEED = 2**63 - 1


def import_tensorflow_quietly(initialize_devices=True):
    """Imports TensorFlow with its C++ start-up lines (no GPU, oneDNN notes) hidden.

    They are written to the stderr file descriptor before TensorFlow's log
    settings apply, so `TF_CPP_MIN_LOG_LEVEL` cannot hide them; the descriptor
    is muted only for the import and the device set-up. Set `GAN_ZOO_VERBOSE=1`
    to see them.

    Args:
        initialize_devices: also set up the devices (the entry points do);
            `import zoo` does not, so a user can still configure them
            (memory growth, logical devices) afterwards.
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

        # A multi-worker strategy configures the runtime before it starts.
        if initialize_devices and "TF_CONFIG" not in os.environ:
            tf.config.list_logical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_logging():
    """Keeps stderr for errors: absl at WARNING, TensorFlow's Python logger at ERROR.

    TensorFlow's savers log at INFO on every checkpoint, and a checkpoint that
    failed to restore logs its unmatched values at WARNING when it is garbage
    collected, after the one-line error (`checkpoint.py`'s restore-coordinator
    deleter). `GAN_ZOO_VERBOSE=1` keeps TensorFlow's warnings.
    """
    logging.set_verbosity(logging.WARNING)
    tf_logger = python_logging.getLogger("tensorflow")
    verbose = os.environ.get("GAN_ZOO_VERBOSE")
    tf_logger.setLevel(python_logging.WARNING if verbose else python_logging.ERROR)
    # TensorFlow gives its logger a stderr handler of its own when it is
    # imported before absl's; propagating to absl's root handler too would
    # print every record twice.
    tf_logger.propagate = not tf_logger.handlers


def run(main, usage=None):
    """`app.run(main)` where every user error is one line on stderr and exit code 1.

    A bad flag (absl prints two lines and exits 1 itself), a stray argument
    (absl prints the whole usage) and a `ZooError` all become
    `<program>: error: <what to do>`. Ctrl-C exits 130 with its message.

    Args:
        main: the command's function of no arguments.
        usage: what `--help` prints when the running `__main__` has no
            docstring of its own (a console script's generated wrapper).
    """
    program = os.path.basename(sys.argv[0])
    main_module = sys.modules.get("__main__")
    if usage and main_module is not None and not main_module.__doc__:
        main_module.__doc__ = usage  # absl's usage text

    def fail(message):
        print(f"{program}: error: {message}", file=sys.stderr)
        sys.exit(1)

    def parse_flags(argv):
        try:
            return flags.FLAGS(argv)
        except flags.Error as e:
            fail(f"{' '.join(str(e).split())}; see --helpshort")

    def guarded(argv):
        if len(argv) > 1:
            fail(f"unexpected arguments: {' '.join(argv[1:])}; flags take the form --name=value")
        quiet_logging()
        try:
            main()
        except ZooError as e:
            fail(e)
        except Exception as e:
            if type(e).__name__ != "ResourceExhaustedError":  # TensorFlow's, not imported here
                raise
            shape = re.search(r"tensor with shape\[[^\]]*\]", str(e))
            fail(
                f"out of memory{' allocating a ' + shape.group(0) if shape else ''}; ask for less "
                f"at once (fewer --num_samples or seeds, a smaller --batch_size)"
            )
        except KeyboardInterrupt as e:
            # Training says which step it saved; elsewhere nothing was lost.
            message = str(e) or "interrupted; rerun the same command to resume"
            print(f"{program}: {message}", file=sys.stderr)
            sys.exit(130)

    app.run(guarded, flags_parser=parse_flags)


class Progress:
    """Progress of counted work, stage by stage: on a terminal a bar redrawn in
    place, in a log one line per stage and its time.

        >>> progress = Progress()
        >>> progress.stage("10,000 generated samples")
        >>> progress(2500, 10000)  # as often as wanted; drawn at most every 0.2 s

    Args:
        stream: where it writes. Defaults to `sys.stdout`.
    """

    WIDTH = 20

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.terminal = self.stream.isatty()
        self._stage = None
        self._drawn_at = 0.0

    def stage(self, text):
        """Ends the stage before (with its time) and starts the next."""
        self.finish()
        self._stage = (text, time.perf_counter())
        if not self.terminal:
            self.stream.write(f"{text} ...\n")
            self.stream.flush()

    def __call__(self, done, total):
        if not self.terminal or self._stage is None:
            return
        now = time.perf_counter()
        if now - self._drawn_at < 0.2 and (total is None or done < total):
            return
        self._drawn_at = now
        bar = ""
        if total:
            filled = int(self.WIDTH * min(done, total) / total)
            bar = f" [{'#' * filled}{'-' * (self.WIDTH - filled)}] {done:,}/{total:,}"
        self.stream.write(f"\r{self._stage[0]}{bar}\033[K")
        self.stream.flush()

    def finish(self):
        """Ends the running stage, if any, with its time."""
        if self._stage is None:
            return
        text, started = self._stage
        seconds = time.perf_counter() - started
        self.stream.write(
            f"\r{text}: {seconds:.1f} s\033[K\n" if self.terminal else f"{text}: {seconds:.1f} s\n"
        )
        self.stream.flush()
        self._stage = None


def check_file_output(flag, value):
    """One line, before any work, for a file output flag that names a folder."""
    if value and pathlib.Path(value).is_dir():
        raise ZooError(f"--{flag}={value} is a folder; pass a file path")


def parse_seeds(text, flag="--seeds"):
    """Seeds as stylegan2-ada writes them: `0-35,40,42-44` (ranges inclusive, in order).

    Args:
        text: the flag's value, a string or a list of comma-separated parts.
        flag: the flag's name for the error.

    Returns:
        A list of ints >= 0, repeats kept.

    Raises:
        ZooError: on anything else, in one line naming the flag.
    """
    parts = text if isinstance(text, (list, tuple)) else str(text).split(",")
    seeds = []
    for part in (str(p).strip() for p in parts):
        low, dash, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            first, last = -1, -1
        if first < 0 or last < first or last > MAX_SEED:
            raise ZooError(
                f"{flag} must be seeds and ranges like 0-35,40,42-44 (integers >= 0, each "
                f"range low-high), got {','.join(str(p) for p in parts)!r}"
            )
        seeds.extend(range(first, last + 1))
    if not seeds:
        raise ZooError(f"{flag} must name at least one seed, e.g. 0-15")
    return seeds


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


def parse_class(text):
    """A `--class` value as a class index: digits as they are (the model checks the
    range), else a Fashion-MNIST name; `None` stays `None`.

    Raises:
        ZooError: an unknown name, in one line naming the flag.
    """
    if text is None:
        return None
    if text.strip().isdigit():
        return int(text)
    from zoo import drawing  # Only a name needs the class list.

    try:
        return drawing.class_index(text)
    except ZooError as e:
        raise ZooError(f"--class={e}") from None
