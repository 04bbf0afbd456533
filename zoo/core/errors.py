"""The one exception type for bad input from a user."""


class ZooError(ValueError):
    """Bad input from a user: an unknown name, a missing file, a wrong shape.

    Entry points print its message as a single line and exit non-zero, so the
    message must say what was wrong and what to do about it.
    """


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training, after the step reached was saved.

    Its message says where a rerun resumes; entry points print it and exit 130.
    """
