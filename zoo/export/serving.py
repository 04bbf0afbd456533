"""SavedModel export of a GAN's generator in TF Serving's layout `NAME/VERSION/`.

    serving/            --export_dir
      dcgan/            --name (default: the workdir's or catalogue name)
        1/              a version: TF Serving serves the highest number
          saved_model.pb
          variables/
          assets/model_card.json

The export holds the generator that samples are drawn from (its EMA copy when
the model keeps one), not the discriminator nor the optimizers, and three
signatures:

- `serving_default`: `latents` float32 `[B, latent_dim]` (plus `labels` int32
  `[B]` for conditional models) -> `samples` float32 `[B, *image_shape]` in
  [-1, 1] and, for image models, `images_uint8` uint8 `[B, H, W, C]`;
- `generate`: `seed` int64 `[]`, `num_samples` int32 `[]` (plus `labels` int32
  `[num_samples]`, and `truncation_psi` float32 `[]` where the model's `call`
  takes one) -> the same outputs and the `latents` used, a pure function of the
  seed: `zoo.core.latents.seeded_latents`, the latents of `GAN.generate(num_samples,
  seed=seed)` in Keras, of a training run's grids and of `evaluate.py`'s
  scored samples for the same seed;
- `interpolate`: `start`, `end` float32 `[latent_dim]`, `num_steps` int32 `[]`
  (plus `label` int32 `[]`) -> the images along the slerp between the two
  latents (`zoo.core.latents.interpolation_path`) and those latents.

Families steered by per-layer styles (StyleGAN: `GAN.capabilities.styles` is
`(num_ws, w_dim)`) get two more, so a server can mix styles:

- `mapping`: `latents` float32 `[B, latent_dim]`, `truncation_psi` float32
  `[]` -> `ws` float32 `[B, num_ws, w_dim]`, every layer's w pulled towards
  the average w by psi (1: not at all);
- `synthesis`: `ws` float32 `[B, num_ws, w_dim]` -> `samples` and
  `images_uint8`; feed it rows of ws taken from different latents to mix.

2-D point models (`image_shape=(2,)`) have no `images_uint8` output: their
samples are coordinates, not pixels.

A version is written to a hidden sibling directory and renamed into place, so
a server watching the model directory never sees a half-written version. With
`overwrite`, the old version is set aside and deleted only once the new one is
in place; if that rename fails, the old one is put back.
"""

import json
import os
import pathlib
import re
import shutil
import tempfile
import uuid

import tensorflow as tf

from zoo import data
from zoo.core import latents
from zoo.core.errors import ZooError

SIGNATURES = ("serving_default", "generate", "interpolate")
MODEL_CARD_FILE = "model_card.json"
METRICS_FILE = "metrics.json"
# Largest batch `generate` and `interpolate` make on request: a typo in a
# request should get an error, not take the server's memory.
MAX_SAMPLES = 1024
# TF Serving takes the model name from the URL path; keep it URL-safe.
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# ------------------------------------------------------------- signatures


def signature_names(model):
    """The names of the export's signatures for `model`."""
    styles = model.capabilities.styles is not None
    return SIGNATURES + (("mapping", "synthesis") if styles else ())


class ServingModule(tf.Module):
    """The sampling generator and the three serving functions of a GAN.

    The functions call the model itself, so a family that overrides `call` is
    served as it samples in Keras; the module keeps only the variables they
    read (the sampling generator's, and any other that `call` uses), not the
    discriminator nor the optimizers.

    It tracks those variables as the plain `tf.Variable`s that the traced
    functions capture, not the Keras model: tracking the model saves each
    Keras variable a second time, and TF Serving's session loader then
    restores one copy while the graph reads the other, uninitialized one (the
    TF 2 loader hides this). `keras.export.ExportArchive` does the same.

    Args:
        model: a zoo GAN.

    Attributes:
        serving_default, generate, interpolate: `tf.function`s with named
            input signatures (module docstring); `signatures()` maps the
            serving names to their concrete functions.
    """

    def __init__(self, model):
        super().__init__(name="gan_zoo_generator")
        # The traced functions read the EMA generator's statistics as they are
        # now: make them its own first, as `model.generate` does.
        model.refresh_sampling_statistics()
        # A plain function, not the model: the module must not track it.
        self._sample = _sampler(model)
        self._latent_dim, self._num_classes = model.latent_dim, model.num_classes
        self._conditional, self._truncation = model.conditional, model.capabilities.truncation

        latent_dim = model.latent_dim
        labels = [tf.TensorSpec([None], tf.int32, name="labels")] if self._conditional else []
        psi = [tf.TensorSpec([], tf.float32, name="truncation_psi")] if self._truncation else []
        label = [tf.TensorSpec([], tf.int32, name="label")] if self._conditional else []
        self.serving_default = tf.function(
            self._serving_default,
            input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="latents")]
            + labels,
        )
        self.generate = tf.function(
            self._generate,
            input_signature=[
                tf.TensorSpec([], tf.int64, name="seed"),
                tf.TensorSpec([], tf.int32, name="num_samples"),
            ]
            + labels
            + psi,
        )
        self.interpolate = tf.function(
            self._interpolate,
            input_signature=[
                tf.TensorSpec([latent_dim], tf.float32, name="start"),
                tf.TensorSpec([latent_dim], tf.float32, name="end"),
                tf.TensorSpec([], tf.int32, name="num_steps"),
            ]
            + label,
        )
        self.signature_names = signature_names(model)
        if model.capabilities.styles is not None:
            self._add_style_signatures(model, latent_dim, *model.capabilities.styles)
        self.model_variables = _captured_variables(
            getattr(self, name) for name in self.signature_names
        )

    def _add_style_signatures(self, model, latent_dim, num_ws, w_dim):
        generator = model.sampling_generator
        images = len(model.image_shape) == 3

        def mapping(latents_in, truncation_psi):
            checks = _check_shape("latents", latents_in, [None, latent_dim])
            checks.append(
                tf.debugging.assert_all_finite(truncation_psi, "truncation_psi must be finite")
            )
            with tf.control_dependencies(checks):
                ws = model.styles(tf.identity(latents_in), None, truncation_psi, None, generator)
                return {"ws": tf.cast(ws, tf.float32)}

        def synthesis(ws):
            with tf.control_dependencies(_check_shape("ws", ws, [None, num_ws, w_dim])):
                samples = tf.cast(model.synthesize(tf.identity(ws), generator), tf.float32)
            if not images:
                return {"samples": samples}
            return {"samples": samples, "images_uint8": data.to_uint8(samples)}

        self.mapping = tf.function(mapping, input_signature=[
            tf.TensorSpec([None, latent_dim], tf.float32, name="latents"),
            tf.TensorSpec([], tf.float32, name="truncation_psi"),
        ])  # fmt: skip
        self.synthesis = tf.function(
            synthesis, input_signature=[tf.TensorSpec([None, num_ws, w_dim], tf.float32, name="ws")]
        )

    def signatures(self):
        """`{name: concrete function}` for `tf.saved_model.save`."""
        return {name: getattr(self, name).get_concrete_function() for name in self.signature_names}

    def _serving_default(self, latents_in, *labels):
        labels = labels[0] if self._conditional else None
        checks = _check_shape("latents", latents_in, [None, self._latent_dim])
        # The batch size below is only defined once the rank is checked.
        with tf.control_dependencies(checks):
            if self._conditional:
                checks += _check_labels(labels, tf.shape(latents_in)[0], self._num_classes)
        with tf.control_dependencies(checks):
            return self._sample(tf.identity(latents_in), labels)

    def _generate(self, seed, num_samples, *extra):
        extra = list(extra)
        labels = extra.pop(0) if self._conditional else None
        psi = extra.pop(0) if self._truncation else None
        checks = _check_count("num_samples", num_samples, 1)
        if self._conditional:
            checks += _check_labels(labels, num_samples, self._num_classes)
        if self._truncation:
            checks.append(tf.debugging.assert_all_finite(psi, "truncation_psi must be finite"))
        with tf.control_dependencies(checks):
            z = latents.seeded_latents(seed, num_samples, self._latent_dim)
        return {**self._sample(z, labels, psi), "latents": z}

    def _interpolate(self, start, end, num_steps, *label):
        checks = _check_count("num_steps", num_steps, 2)
        checks += _check_shape("start", start, [self._latent_dim])
        checks += _check_shape("end", end, [self._latent_dim])
        labels = None
        if self._conditional:
            labels = tf.fill([num_steps], label[0])
            checks += _check_labels(labels, num_steps, self._num_classes)
        with tf.control_dependencies(checks):
            z = latents.interpolation_path(start, end, num_steps)
        return {**self._sample(z, labels), "latents": z}


def _sampler(model):
    """`sample(z, labels, psi) -> outputs`: the model's samples, and pixels for images."""
    images = len(model.image_shape) == 3

    def sample(z, labels=None, truncation_psi=None):
        inputs = (z, labels) if model.conditional else z
        kwargs = {} if truncation_psi is None else {"truncation_psi": truncation_psi}
        samples = tf.cast(model(inputs, training=False, **kwargs), tf.float32)
        if not images:
            return {"samples": samples}
        return {"samples": samples, "images_uint8": data.to_uint8(samples)}

    return sample


def _captured_variables(functions):
    """The `tf.Variable`s that the functions read, each once."""
    variables, seen = [], set()
    for function in functions:
        for variable in function.get_concrete_function().variables:
            if id(variable) not in seen:
                seen.add(id(variable))
                variables.append(variable)
    return variables


# Input checks run in the graph, so a server answers a bad request with
# INVALID_ARGUMENT and this message. The signatures' static shapes do not bind a
# server that feeds the graph directly (a flat list sent as REST "instances"
# arrives as rank 1); raw Shape and Rank ops keep Python from folding the checks
# away on the static shape.


def _check_shape(name, tensor, expected):
    dims = tf.concat([tf.raw_ops.Shape(input=tensor), [0] * len(expected)], axis=0)
    valid = tf.equal(tf.raw_ops.Rank(input=tensor), len(expected))
    for axis, size in enumerate(expected):
        if size is not None:
            valid = tf.logical_and(valid, tf.equal(dims[axis], size))
    shape = "[" + ", ".join("batch" if d is None else str(d) for d in expected) + "]"
    message = f"{name} must have shape {shape}, got"
    return [tf.debugging.Assert(valid, [message, tf.raw_ops.Shape(input=tensor)])]


def _check_count(name, count, minimum):
    return [
        tf.debugging.assert_greater_equal(count, minimum, message=f"{name} must be >= {minimum}"),
        tf.debugging.assert_less_equal(
            count, MAX_SAMPLES, message=f"{name} must be <= {MAX_SAMPLES}"
        ),
    ]


def _check_labels(labels, count, num_classes):
    return [
        tf.debugging.assert_equal(
            tf.size(labels), count, message="labels must have one entry per sample"
        ),
        tf.debugging.assert_non_negative(labels, message="labels must be >= 0"),
        tf.debugging.assert_less(
            labels, num_classes, message=f"labels must be < num_classes = {num_classes}"
        ),
    ]


# ------------------------------------------------------------------ writing


def next_version(model_dir):
    """One more than the highest version under `model_dir`; 1 when there is none."""
    model_dir = pathlib.Path(model_dir)
    versions = [int(p.name) for p in model_dir.glob("*") if p.is_dir() and p.name.isdigit()]
    return max(versions, default=0) + 1


def export(model, export_dir, name, *, version=None, overwrite=False, card=None):
    """Exports the sampling generator as `<export_dir>/<name>/<version>/`.

    Args:
        model: a zoo GAN.
        export_dir: the serving root (TF Serving's `--model_base_path` is
            `<export_dir>/<name>`).
        name: the served model's name: letters, digits, `_`, `.`, `-`.
        version: positive int; `None` takes the next free version.
        overwrite: replace an existing version directory instead of refusing.
        card: the model card dict (`model_card`); a minimal one if `None`.

    Returns:
        `pathlib.Path` of the version directory.

    Raises:
        ZooError: bad name or version, or an existing version without
            `overwrite`.
    """
    if not _NAME_PATTERN.match(name or ""):
        raise ZooError(
            f"model name {name!r} must start with a letter or digit and hold only "
            f"letters, digits, '_', '.' and '-' (it becomes part of the serving URL)"
        )
    model_dir = pathlib.Path(export_dir) / name
    if version is None:
        version = next_version(model_dir)
    elif int(version) != version or version < 1:
        raise ZooError(f"version must be a positive integer, got {version!r}")
    final = model_dir / str(version)
    if final.exists() and not overwrite:
        raise ZooError(
            f"{final} already exists; pass --overwrite to replace it, or leave out "
            f"--version to write the next free version ({next_version(model_dir)})"
        )
    card = card or _default_card(model)
    module = ServingModule(model)
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ZooError(
            f"cannot create {model_dir} under --export_dir={export_dir} ({e.strerror or e}); "
            f"pass a folder you can write to"
        ) from None
    # TF Serving only loads directories named by an integer: the hidden
    # temporary is invisible to it until the rename. (Not mkdtemp: its mode
    # 0700 would survive the rename and hide the version from a server running
    # as another user.)
    temporary = model_dir / f".tmp-{version}-{uuid.uuid4().hex}"
    temporary.mkdir()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            card_path = pathlib.Path(scratch) / MODEL_CARD_FILE
            card_path.write_text(json.dumps({**card, "version": version}, indent=2) + "\n")
            module.model_card = tf.saved_model.Asset(str(card_path))
            tf.saved_model.save(module, str(temporary), signatures=module.signatures())
        _move_into_place(temporary, final, overwrite)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return final


def _default_card(model):
    from zoo.export.cards import model_card  # cards.py imports this module

    return model_card(model)


def _move_into_place(temporary, final, overwrite):
    if overwrite and final.exists():
        # Between these two renames the version is briefly absent, never
        # half-written: a server keeps serving what it has loaded.
        retired = pathlib.Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
        previous = retired / final.name
        try:
            os.rename(final, previous)
        except OSError as e:
            retired.rmdir()
            raise ZooError(f"cannot replace {final}: {e.strerror or e}; it is unchanged") from None
        try:
            os.rename(temporary, final)
        except BaseException as e:
            # The last good version stays until the new one is in place.
            reason = (e.strerror or str(e)) if isinstance(e, OSError) else type(e).__name__
            _put_back(previous, final, reason)
            retired.rmdir()
            if isinstance(e, OSError):
                raise ZooError(
                    f"cannot write {final}: {reason}; the previous version is kept"
                ) from None
            raise
        shutil.rmtree(retired, ignore_errors=True)
        return
    try:
        # Refuses a non-empty target, so a concurrent export of the same
        # version is not overwritten.
        os.rename(temporary, final)
    except OSError as e:
        raise ZooError(f"cannot write {final}: {e.strerror}; rerun, or pass --overwrite") from None


def _put_back(previous, final, reason):
    try:
        os.rename(previous, final)
    except OSError as e:
        # Keep the hidden copy rather than lose the only good version.
        raise ZooError(
            f"cannot write {final} ({reason}) nor put the previous version back "
            f"({e.strerror or e}); it is in {previous}"
        ) from None
