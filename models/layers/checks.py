"""Argument checks and error marking that the layer modules (and StyleGAN's networks) share."""

from zoo.core.errors import ZooError


def one_line(error):
    """Marks a `ZooError` raised inside a layer call to keep its one-line message.

    Keras rewrites an exception raised in `call` into a multi-line message
    listing the call's arguments, unless it carries this mark, which Keras sets
    on an exception it has already rewritten.
    """
    error._keras_call_info_injected = True
    return error


def require_positive(layer, name, value):
    if not value > 0:
        raise ZooError(f"{layer} needs {name} > 0, got {name}={value!r}")


def pair(value):
    """An int or a pair of ints as a pair of ints."""
    if isinstance(value, int):
        return (value, value)
    return tuple(int(v) for v in value)
