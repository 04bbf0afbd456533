"""Constructor-argument checks that every GAN family gets without writing them.

A family states the type and range of each of its constructor arguments once,
in a class attribute, and the base class checks the arguments a caller passes
before the family's `__init__` builds a single layer:

    class DCGAN(GAN):
        argument_specs = {"base_filters": positive_int, "kernel_size": positive_int, ...}

`@register_family` (and `@checked_family` on `GAN`) wraps each family's
`__init__` with `checked_init`, so `zoo.build`, `from_config`, `--model_kwargs`
and a direct `DCGAN(...)` all fail the same way: one `ZooError` line naming the
family, the argument, what it must be and what it got. A family that forgets an
argument's spec fails at import. Checks that relate several arguments live here
too (`square_image_shape`, `single_discriminator_step`).

A spec is a function `(value) -> None` that raises `_Invalid(expected)`; the
wrapper turns that into the user's message.
"""

import functools
import inspect
import math
import numbers

from zoo.core.errors import ZooError


class _Invalid(Exception):
    """Raised by a spec; carries what the argument must be."""


# ---------------------------------------------------- checks across arguments


def square_image_shape(family, image_shape):
    """`image_shape` as ints; one line for anything but square images `(R, R, C)`."""
    image_shape = tuple(int(d) for d in image_shape)
    if len(image_shape) != 3 or image_shape[0] != image_shape[1]:
        raise ZooError(f"{family} makes square images (R, R, C), got image_shape={image_shape}")
    return image_shape


def single_discriminator_step(family, kwargs, why=""):
    """Refuses `d_steps` other than 1 for a family whose step alternates one of each."""
    if kwargs.get("d_steps", 1) != 1:
        raise ZooError(
            f"{family} takes one {why or 'discriminator'} step per generator step; drop d_steps"
        )


# ------------------------------------------------------------------ specs


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_int(value):
    if not (_is_int(value) and value >= 1):
        raise _Invalid("a positive integer")


def non_negative_int(value):
    if not (_is_int(value) and value >= 0):
        raise _Invalid("an integer >= 0")


def non_negative_float(value):
    if not (_is_real(value) and math.isfinite(value) and value >= 0):
        raise _Invalid("a finite number >= 0")


def positive_float(value):
    if not (_is_real(value) and math.isfinite(value) and value > 0):
        raise _Invalid("a finite number > 0")


def probability(value):
    if not (_is_real(value) and 0 <= value <= 1):
        raise _Invalid("a number in [0, 1]")


def unit_interval(value):
    """A decay: in [0, 1)."""
    if not (_is_real(value) and 0 <= value < 1):
        raise _Invalid("a number in [0, 1)")


def boolean(value):
    if not isinstance(value, bool):
        raise _Invalid("True or False")


def shape(value):
    """A sample shape: `(H, W, C)` or `(D,)` of positive integers."""
    if not (_is_sequence(value) and len(value) in (1, 3) and all(_positive(d) for d in value)):
        raise _Invalid("a shape (H, W, C) or (D,) of positive integers")


def layer_widths(value):
    """Widths of hidden layers: positive integers, e.g. `(128, 128)`."""
    if not (_is_sequence(value) and all(_positive(d) for d in value)):
        raise _Invalid("a tuple of positive layer widths, e.g. (128, 128)")


def activation(value):
    """A Keras activation name (`"relu"`, `"leaky_relu"`, `"tanh"`, ...)."""
    import keras  # Only the check of a name needs Keras' table.

    if not isinstance(value, str):
        raise _Invalid("a Keras activation name such as 'relu' or 'tanh'")
    try:
        keras.activations.get(value)
    except ValueError:
        raise _Invalid("a Keras activation name such as 'relu' or 'tanh'") from None


def model_name(value):
    """A Keras model name: non-empty, no '/' (Keras uses it in variable paths)."""
    if not (isinstance(value, str) and value and "/" not in value):
        raise _Invalid("a non-empty name without '/'")


def seed(value):
    if not (_is_int(value) and value >= 0):
        raise _Invalid("an integer >= 0, or None for a random seed")


def network(value):
    import keras

    if not isinstance(value, keras.Model):
        raise _Invalid("a keras.Model")


def one_of(*choices):
    """A spec accepting exactly the given values (e.g. loss names)."""

    def check(value):
        if not isinstance(value, str) or value not in choices:
            raise _Invalid(f"one of {', '.join(choices)}")

    return check


def optional(spec):
    """`spec`, or `None`."""

    def check(value):
        if value is None:
            return
        try:
            spec(value)
        except _Invalid as e:
            raise _Invalid(str(e) if "None" in str(e) else f"{e} or None") from None

    return check


def _is_sequence(value):
    return isinstance(value, (tuple, list))


def _positive(value):
    return _is_int(value) and value >= 1


class _NoValue:
    """A value no spec accepts, to make a spec say what it expects."""


def describe(spec):
    """What `spec` accepts, in words (`"a positive integer"`)."""
    try:
        spec(_NoValue())
    except _Invalid as e:
        return str(e)
    return "any value"


# ---------------------------------------------------------------- checking


def specs_of(cls):
    """The argument specs of `cls` and its bases, subclasses overriding."""
    merged = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass).get("argument_specs", {}))
    return merged


def check_arguments(cls, arguments):
    """Checks `{name: value}` against `cls`'s specs.

    Names without a spec are left to the constructor, which rejects unknown
    names itself.

    Raises:
        ZooError: one line naming the family, the argument, what it must be
            and the value it got.
    """
    specs = specs_of(cls)
    for name, value in arguments.items():
        if name not in specs:
            continue
        try:
            specs[name](value)
        except _Invalid as e:
            raise ZooError(f"{cls.__name__}: {name} must be {e}, got {value!r}") from None


def require_specs(cls):
    """Raises `TypeError` if an argument of `cls.__init__` has no spec.

    A programming error, caught when the family's module is imported.
    """
    specs = specs_of(cls)
    for parameter in _explicit_parameters(inspect.signature(cls.__init__)):
        if parameter.name not in specs:
            raise TypeError(
                f"{cls.__name__}.__init__ argument {parameter.name!r} has no entry in "
                f"argument_specs; add one (models/arguments.py lists the specs)"
            )


def checked_init(init, owner):
    """Wraps `owner.__init__` so the outermost call checks every argument first.

    Only the class whose `__init__` runs first (the instance's own family, or
    the nearest ancestor that defines one) checks: the arguments its
    `super().__init__` passes on are its own choices, not the caller's.
    """
    signature = inspect.signature(init)

    @functools.wraps(init)
    def init_with_checks(self, *args, **kwargs):
        if _first_init_owner(type(self)) is owner:
            arguments = _passed_arguments(signature, self, args, kwargs)
            if arguments is not None:
                check_arguments(type(self), arguments)
        init(self, *args, **kwargs)

    # Keras reads the constructor's arguments with `getfullargspec`, which
    # ignores `functools.wraps` but honours an explicit signature.
    init_with_checks.__signature__ = signature
    return init_with_checks


def _first_init_owner(cls):
    return next(klass for klass in cls.__mro__ if "__init__" in vars(klass))


def _passed_arguments(signature, instance, args, kwargs):
    """`{name: value}` of what the caller passed, `**kwargs` flattened in."""
    try:
        bound = signature.bind(instance, *args, **kwargs)
    except TypeError:
        return None  # The constructor raises its own error for a bad call.
    passed = {}
    for i, (name, value) in enumerate(bound.arguments.items()):
        if i == 0:
            continue  # self
        if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            passed.update(value)
        else:
            passed[name] = value
    return passed


def _explicit_parameters(signature):
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return [p for i, p in enumerate(signature.parameters.values()) if i > 0 and p.kind in kinds]
