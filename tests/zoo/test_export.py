"""SavedModel export (`zoo/export/`) and the `.keras` round trip of every model.

Three tiny exports cover the cases: a DCGAN with an EMA generator (images), a
conditional GAN whose `call` takes `truncation_psi` and reads a variable outside
its generator (what StyleGAN will do), and a 2-D point model (no uint8 output).
A fresh Python process that imports only TensorFlow loads them, once through
the TF 2 loader and once through the TF 1 session loader that TF Serving uses.
"""

import dataclasses
import errno
import json
import os
import pathlib
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import models
import zoo
from tests.harness import random_dataset
from tests.helpers import TinyConditionalGAN
from zoo import drawing, export, metrics, training
from zoo.core import latents
from zoo.core.errors import ZooError

TOLERANCE = 1e-5
# The console script TensorFlow installs beside the interpreter; its module otherwise.
_CLI_SCRIPT = pathlib.Path(sys.executable).with_name("saved_model_cli")
SAVED_MODEL_CLI = (
    [str(_CLI_SCRIPT)]
    if _CLI_SCRIPT.exists()
    else [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]
)


class TruncatedConditionalGAN(TinyConditionalGAN):
    """The tiny conditional GAN, 4x4, whose `call` takes `truncation_psi`.

    The truncation pulls z towards `latent_center`, a variable of the GAN, not
    of its generator: the export must find and keep it.
    """

    def __init__(self, image_shape=(4, 4, 1), latent_dim=4, num_classes=3, **kwargs):
        super().__init__(image_shape, latent_dim, num_classes, **kwargs)
        self.latent_center = self.add_weight(
            shape=(latent_dim,), initializer="ones", trainable=False, name="latent_center"
        )

    @property
    def capabilities(self):
        return dataclasses.replace(super().capabilities, truncation=True)

    def call(self, inputs, training=False, truncation_psi=1.0):
        z, labels = inputs
        z = self.latent_center + truncation_psi * (z - self.latent_center)
        return self.generate_images(z, labels, training, self.sampling_generator)


def _fit(model):
    model.compile()
    model.fit(random_dataset(model), epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def gans():
    keras.utils.set_random_seed(0)
    dcgan = _fit(models.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=4, ema_decay=0.5))
    # Two steps barely move the average; push it away so that serving the
    # raw generator by mistake shows.
    dcgan.ema_generator.set_weights([w * 0.8 for w in dcgan.ema_generator.get_weights()])
    return {
        "dcgan": dcgan,
        "conditional": TruncatedConditionalGAN(),
        "sagan": _fit(
            models.SAGAN(
                image_shape=(16, 16, 1), latent_dim=8, base_filters=8, num_classes=3, ema_decay=0.5
            )
        ),  # fmt: skip
        "points": models.VanillaGAN(image_shape=(2,), latent_dim=4, hidden_dims=(8,)),
        "stylegan": _fit(
            models.StyleGAN(
                image_shape=(16, 16, 1),
                latent_dim=8,
                w_dim=8,
                max_channels=16,
                channel_base=64,
                ema_decay=0.5,
            )
        ),  # fmt: skip
    }


@pytest.fixture(scope="module")
def exports(gans, tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    return {name: export.export(gan, root, name) for name, gan in gans.items()}


# ------------------------------------------------------------- signatures


def documented_signatures(
    latent_dim, image_shape, conditional=False, truncation=False, style_shape=None
):
    """The table of docs/serving.md: {signature: (inputs, outputs)}, each
    {name: (dtype, shape)} as saved_model_cli prints them (-1: any size)."""
    batch = (-1,)
    outputs = {"samples": ("DT_FLOAT", batch + image_shape)}
    if len(image_shape) == 3:
        outputs["images_uint8"] = ("DT_UINT8", batch + image_shape)
    labels = {"labels": ("DT_INT32", batch)} if conditional else {}
    with_latents = {**outputs, "latents": ("DT_FLOAT", (-1, latent_dim))}
    styles = {}
    if style_shape is not None:
        ws = ("DT_FLOAT", (-1, *style_shape))
        styles = {
            "mapping": (
                {"latents": ("DT_FLOAT", (-1, latent_dim)), "truncation_psi": ("DT_FLOAT", ())},
                {"ws": ws},
            ),
            "synthesis": ({"ws": ws}, outputs),
        }
    return {
        **styles,
        "serving_default": ({"latents": ("DT_FLOAT", (-1, latent_dim)), **labels}, outputs),
        "generate": (
            {
                "seed": ("DT_INT64", ()),
                "num_samples": ("DT_INT32", ()),
                **labels,
                **({"truncation_psi": ("DT_FLOAT", ())} if truncation else {}),
            },
            with_latents,
        ),
        "interpolate": (
            {
                "start": ("DT_FLOAT", (latent_dim,)),
                "end": ("DT_FLOAT", (latent_dim,)),
                "num_steps": ("DT_INT32", ()),
                **({"label": ("DT_INT32", ())} if conditional else {}),
            },
            with_latents,
        ),
    }


def parse_saved_model_cli(text):
    """`saved_model_cli show --all` output -> {signature: (inputs, outputs)}."""
    signatures = {}
    for block in re.split(r"\nsignature_def\['", text)[1:]:
        name = block.split("'", 1)[0]
        if name.startswith("__"):
            continue
        tables = ({}, {})
        for kind, key, dtype, shape in re.findall(
            r"(inputs|outputs)\['(\w+)'\] tensor_info:\s+dtype: (\w+)\s+shape: \(([^)]*)\)", block
        ):
            dims = tuple(int(d) for d in shape.replace(" ", "").split(",") if d)
            tables[kind == "outputs"][key] = (dtype, dims)
        signatures[name] = tables
    return signatures


def test_export_signatures_read_back_with_saved_model_cli_are_documented(exports):
    shown = subprocess.run(
        [*SAVED_MODEL_CLI, "show", "--all", "--dir", str(exports["dcgan"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert parse_saved_model_cli(shown) == documented_signatures(8, (16, 16, 1))
    assert "Method name is: tensorflow/serving/predict" in shown


@pytest.mark.parametrize(
    "name, conditional, truncation",
    [
        ("conditional", True, True),
        ("sagan", True, False),
        ("stylegan", False, True),
        ("points", False, False),
    ],
)
def test_export_signatures_of_conditional_and_point_models_are_documented(
    exports, gans, name, conditional, truncation
):
    from tensorflow.python.tools import saved_model_utils

    meta = saved_model_utils.get_meta_graph_def(str(exports[name]), "serve")
    found = {}
    for key, signature in meta.signature_def.items():
        if key.startswith("__"):
            continue
        found[key] = tuple(
            {
                k: (_dtype_name(v.dtype), tuple(d.size for d in v.tensor_shape.dim))
                for k, v in table.items()
            }
            for table in (signature.inputs, signature.outputs)
        )
    gan = gans[name]
    assert found == documented_signatures(
        gan.latent_dim, gan.image_shape, conditional, truncation, gan.capabilities.styles
    )


def _dtype_name(enum):
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(enum)


# ------------------------------------------------------- a fresh process

# Runs with `python -I` from a temporary directory: nothing of the project is
# importable, only TensorFlow. "session" calls take TF Serving's path: the TF 1
# session loader, fed through a raw callable, i.e. without the Python client's
# shape check.
FRESH_PROCESS_SCRIPT = r"""
import importlib.util
import json
import sys

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2

calls = json.load(open(sys.argv[1]))
report = {"importable": [m for m in ("zoo", "models") if importlib.util.find_spec(m)]}
loaded, sessions = {}, {}


def tf2_call(directory, signature, inputs):
    if directory not in loaded:
        loaded[directory] = tf.saved_model.load(directory)
    function = loaded[directory].signatures[signature]
    outputs = function(**{k: tf.constant(v) for k, v in inputs.items()})
    return {k: v.numpy() for k, v in outputs.items()}


def session_call(directory, signature, inputs):
    if directory not in sessions:
        graph = tf.Graph()
        session = tf.compat.v1.Session(graph=graph)
        with graph.as_default():
            meta = tf.compat.v1.saved_model.loader.load(session, ["serve"], directory)
        sessions[directory] = session, meta
    session, meta = sessions[directory]
    definition = meta.signature_def[signature]
    feeds, fetches = sorted(inputs), sorted(definition.outputs)
    options = config_pb2.CallableOptions(
        feed=[definition.inputs[k].name for k in feeds],
        fetch=[definition.outputs[k].name for k in fetches],
    )
    values = session._make_callable_from_options(options)(*[inputs[k] for k in feeds])
    return dict(zip(fetches, values))


for call in calls:
    inputs = dict(np.load(call["inputs"]))
    run = session_call if call["loader"] == "session" else tf2_call
    try:
        outputs = run(call["dir"], call["signature"], inputs)
    except Exception as e:
        report[call["id"]] = {"error": type(e).__name__, "message": str(e)}
        continue
    np.savez(call["outputs"], **outputs)
    report[call["id"]] = {"outputs": sorted(outputs)}
json.dump(report, open(sys.argv[2], "w"))
"""


def _latents(gan, n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, gan.latent_dim)).astype("float32")


def fresh_process_calls(gans):
    """{id: (export name, signature, inputs, loader)} of the calls the fresh
    process makes; ids starting with `bad_` must fail."""
    z, z_points = _latents(gans["dcgan"], 3), _latents(gans["points"], 2)
    z_conditional = _latents(gans["conditional"], 3)
    z_sagan = _latents(gans["sagan"], 3, seed=1)
    z_style = _latents(gans["stylegan"], 2, seed=2)
    mixed_ws = mixed_styles(gans["stylegan"], z_style)
    labels = np.array([0, 2, 1], "int32")
    seed = lambda s: np.int64(s)  # noqa: E731
    count = lambda n: np.int32(n)  # noqa: E731
    path = {"start": z[0], "end": z[1], "num_steps": count(5)}
    return {
        "default": ("dcgan", "serving_default", {"latents": z}, "tf2"),
        "default_session": ("dcgan", "serving_default", {"latents": z}, "session"),
        "generate": ("dcgan", "generate", {"seed": seed(7), "num_samples": count(4)}, "tf2"),
        "generate_again": ("dcgan", "generate", {"seed": seed(7), "num_samples": count(4)}, "tf2"),
        "generate_other": ("dcgan", "generate", {"seed": seed(8), "num_samples": count(4)}, "tf2"),
        "interpolate": ("dcgan", "interpolate", path, "tf2"),
        "c_default": (
            "conditional",
            "serving_default",
            {"latents": z_conditional, "labels": labels},
            "tf2",
        ),
        "c_generate": (
            "conditional",
            "generate",
            {
                "seed": seed(3),
                "num_samples": count(3),
                "labels": labels,
                "truncation_psi": np.float32(0.5),
            },
            "tf2",
        ),
        "c_interpolate": (
            "conditional",
            "interpolate",
            {**_path(z_conditional), "label": np.int32(2)},
            "tf2",
        ),
        "s_default": ("sagan", "serving_default", {"latents": z_sagan, "labels": labels}, "tf2"),
        "s_default_session": (
            "sagan",
            "serving_default",
            {"latents": z_sagan, "labels": labels},
            "session",
        ),
        "s_generate": (
            "sagan",
            "generate",
            {"seed": seed(4), "num_samples": count(3), "labels": labels},
            "tf2",
        ),
        "st_mapping": (
            "stylegan",
            "mapping",
            {"latents": z_style, "truncation_psi": np.float32(0.5)},
            "tf2",
        ),
        "st_synthesis": ("stylegan", "synthesis", {"ws": mixed_ws}, "session"),
        "st_generate": (
            "stylegan",
            "generate",
            {"seed": seed(5), "num_samples": count(2), "truncation_psi": np.float32(0.7)},
            "tf2",
        ),
        "p_default": ("points", "serving_default", {"latents": z_points}, "tf2"),
        "p_generate": ("points", "generate", {"seed": seed(1), "num_samples": count(2)}, "tf2"),
        "bad_size": ("dcgan", "serving_default", {"latents": _latents(gans["points"], 2)}, "tf2"),
        "bad_dtype": ("dcgan", "serving_default", {"latents": z.astype("float64")}, "tf2"),
        "bad_size_session": ("dcgan", "serving_default", {"latents": z[0]}, "session"),
        "bad_dtype_session": (
            "dcgan",
            "serving_default",
            {"latents": z.astype("int32")},
            "session",
        ),
        "bad_count": ("dcgan", "generate", {"seed": seed(1), "num_samples": count(0)}, "tf2"),
        "bad_steps": ("dcgan", "interpolate", {**path, "num_steps": count(1)}, "tf2"),
        "bad_label": (
            "conditional",
            "serving_default",
            {"latents": z_conditional, "labels": np.array([0, 1, 3], "int32")},
            "tf2",
        ),
    }


def mixed_styles(gan, z):
    """ws whose first half of the layers come from z[0] and the rest from z[1], twice."""
    ws = gan.mapping(z, gan.sampling_generator).numpy()
    half = gan.num_ws // 2
    mixed = np.concatenate([ws[:1, :half], ws[1:, half:]], axis=1)
    return np.concatenate([mixed, ws[1:]], axis=0)


def test_fresh_process_style_signatures_map_and_mix_as_keras(fresh_process, gans):
    calls, _, outputs = fresh_process
    gan = gans["stylegan"]
    generator = gan.sampling_generator
    z = calls["st_mapping"][2]["latents"]
    ws = gan.truncate(gan.mapping(z, generator), 0.5, None, generator)

    np.testing.assert_allclose(outputs["st_mapping"]["ws"], ws, atol=TOLERANCE)
    mixed = calls["st_synthesis"][2]["ws"]
    np.testing.assert_allclose(
        outputs["st_synthesis"]["samples"], gan.synthesize(mixed, generator), atol=TOLERANCE
    )
    # The mixed sample differs from both of its sources.
    unmixed = gan.synthesize(gan.mapping(z, generator), generator).numpy()
    assert not np.allclose(outputs["st_synthesis"]["samples"][0], unmixed[0], atol=1e-4)
    np.testing.assert_allclose(outputs["st_synthesis"]["samples"][1], unmixed[1], atol=TOLERANCE)
    np.testing.assert_allclose(
        outputs["st_generate"]["samples"],
        gan.generate(2, seed=5, truncation_psi=0.7),
        atol=TOLERANCE,
    )


def _path(z):
    return {"start": z[0], "end": z[1], "num_steps": np.int32(4)}


@pytest.fixture(scope="module")
def fresh_process(gans, exports, tmp_path_factory):
    """Runs every call in one fresh process; returns (calls, report, outputs)."""
    work = tmp_path_factory.mktemp("fresh")
    calls = fresh_process_calls(gans)
    spec = []
    for call_id, (name, signature, inputs, loader) in calls.items():
        np.savez(work / f"{call_id}_in.npz", **inputs)
        spec.append(
            {
                "id": call_id,
                "dir": str(exports[name]),
                "signature": signature,
                "inputs": str(work / f"{call_id}_in.npz"),
                "outputs": str(work / f"{call_id}_out.npz"),
                "loader": loader,
            }
        )
    (work / "calls.json").write_text(json.dumps(spec))
    (work / "script.py").write_text(FRESH_PROCESS_SCRIPT)
    subprocess.run(
        [sys.executable, "-I", "script.py", "calls.json", "report.json"],
        cwd=work,
        check=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    report = json.loads((work / "report.json").read_text())
    failed = {k: v for k, v in report.items() if isinstance(v, dict) and "error" in v}
    assert sorted(failed) == sorted(k for k in calls if k.startswith("bad_")), failed
    outputs = {
        call_id: dict(np.load(work / f"{call_id}_out.npz"))
        for call_id in calls
        if (work / f"{call_id}_out.npz").exists()
    }
    return calls, report, outputs


def test_fresh_process_imports_only_tensorflow(fresh_process):
    _, report, _ = fresh_process
    assert report["importable"] == []


@pytest.mark.parametrize(
    "call_id", ["default", "default_session", "c_default", "s_default", "s_default_session",
                "p_default"],
)  # fmt: skip
def test_fresh_process_serving_default_equals_in_memory_generator(fresh_process, gans, call_id):
    calls, report, outputs = fresh_process
    name, _, inputs, _ = calls[call_id]
    gan = gans[name]

    expected = gan((inputs["latents"], inputs["labels"]) if gan.conditional else inputs["latents"])

    np.testing.assert_allclose(outputs[call_id]["samples"], expected, atol=TOLERANCE)
    if len(gan.image_shape) == 3:
        pixels = np.clip(np.round((np.asarray(expected) + 1) * 127.5), 0, 255)
        assert outputs[call_id]["images_uint8"].dtype == np.uint8
        # A sample within 1e-5 of a rounding boundary may land on either side.
        assert np.abs(outputs[call_id]["images_uint8"].astype(int) - pixels).max() <= 1
    else:
        assert report[call_id]["outputs"] == ["samples"]


def test_export_serves_the_ema_generator(fresh_process, gans):
    calls, _, outputs = fresh_process
    gan, z = gans["dcgan"], calls["default"][2]["latents"]
    ema = gan.ema_generator(z, training=False)
    raw = gan.generator(z, training=False)

    np.testing.assert_allclose(outputs["default"]["samples"], ema, atol=TOLERANCE)
    assert not np.allclose(outputs["default"]["samples"], raw, atol=1e-2)


def test_fresh_process_generate_equals_model_on_seeded_latents(fresh_process, gans):
    calls, _, outputs = fresh_process
    gan = gans["dcgan"]
    z = latents.seeded_latents(7, 4, gan.latent_dim)

    np.testing.assert_allclose(outputs["generate"]["latents"], z, atol=TOLERANCE)
    np.testing.assert_allclose(outputs["generate"]["samples"], gan(z), atol=TOLERANCE)
    np.testing.assert_allclose(
        outputs["generate"]["samples"], gan.generate(4, seed=7), atol=TOLERANCE
    )
    conditional, inputs = gans["conditional"], calls["c_generate"][2]
    z = latents.seeded_latents(3, 3, conditional.latent_dim)
    expected = conditional((z, inputs["labels"]), truncation_psi=0.5)
    np.testing.assert_allclose(outputs["c_generate"]["samples"], expected, atol=TOLERANCE)
    assert not np.allclose(expected, conditional((z, inputs["labels"])), atol=1e-3)
    sagan, labels = gans["sagan"], calls["s_generate"][2]["labels"]
    np.testing.assert_allclose(
        outputs["s_generate"]["samples"],
        sagan.generate(3, labels=labels, seed=4),
        atol=TOLERANCE,
    )
    np.testing.assert_allclose(
        outputs["p_generate"]["samples"],
        gans["points"](latents.seeded_latents(1, 2, 4)),
        atol=TOLERANCE,
    )


@pytest.mark.parametrize("name", ["dcgan", "conditional", "sagan"])
def test_one_seed_gives_the_same_samples_to_generate_scoring_and_the_export(gans, exports, name):
    gan, seed, count = gans[name], 3, 5
    inputs = {"seed": tf.constant(seed, tf.int64), "num_samples": tf.constant(count)}
    if gan.conditional:
        inputs["labels"] = tf.constant([0, 1, 2, 0, 1])
    if gan.capabilities.truncation:
        inputs["truncation_psi"] = tf.constant(1.0)

    grid = gan.generate(count, seed=seed)  # evaluate.py --seed=3's grid
    # More samples than the grid, in batches that do not line up with it.
    scored = np.concatenate(list(metrics.generated_batches(gan, 12, 4, seed=seed)))
    served = tf.saved_model.load(str(exports[name])).signatures["generate"](**inputs)

    assert scored.shape == (12, *gan.image_shape)
    np.testing.assert_allclose(scored[:count], grid, atol=TOLERANCE)
    np.testing.assert_allclose(served["samples"], grid, atol=TOLERANCE)
    np.testing.assert_array_equal(
        served["latents"], latents.seeded_latents(seed, count, gan.latent_dim)
    )


def test_fresh_process_generate_is_deterministic_for_a_seed(fresh_process):
    _, _, outputs = fresh_process
    for key in ("samples", "images_uint8", "latents"):
        np.testing.assert_array_equal(outputs["generate"][key], outputs["generate_again"][key])
    assert not np.allclose(outputs["generate"]["samples"], outputs["generate_other"]["samples"])


def test_fresh_process_interpolate_equals_keras_side_slerp_walk(fresh_process, gans):
    calls, _, outputs = fresh_process
    inputs = calls["interpolate"][2]
    expected = drawing.interpolate(gans["dcgan"], inputs["start"], inputs["end"], 5)

    assert outputs["interpolate"]["samples"].shape == (5, 16, 16, 1)
    np.testing.assert_allclose(outputs["interpolate"]["samples"], expected, atol=TOLERANCE)
    np.testing.assert_allclose(outputs["interpolate"]["latents"][0], inputs["start"], atol=1e-6)
    np.testing.assert_allclose(outputs["interpolate"]["latents"][-1], inputs["end"], atol=1e-5)
    inputs = calls["c_interpolate"][2]
    expected = drawing.interpolate(gans["conditional"], inputs["start"], inputs["end"], 4, label=2)
    np.testing.assert_allclose(outputs["c_interpolate"]["samples"], expected, atol=TOLERANCE)


@pytest.mark.parametrize(
    "call_id, message",
    [
        ("bad_size", "latents must have shape [batch, 8], got] [2 4]"),
        ("bad_dtype", "expected to be a float tensor but is a double tensor"),
        ("bad_size_session", "latents must have shape [batch, 8], got] [8]"),
        ("bad_dtype_session", "Type mismatch: actual int32 vs. expect float"),
        ("bad_count", "num_samples must be >= 1"),
        ("bad_steps", "num_steps must be >= 2"),
        ("bad_label", "labels must be < num_classes = 3"),
    ],
)
def test_fresh_process_bad_input_gives_invalid_argument_with_clear_message(
    fresh_process, call_id, message
):
    _, report, _ = fresh_process
    assert report[call_id]["error"] == "InvalidArgumentError", report[call_id]
    assert message in report[call_id]["message"]


# -------------------------------------------- the documented client requests


def test_rest_row_format_request_of_the_docs_returns_images(exports, gans):
    # TF Serving's "instances" (row) format stacks the instances on axis 0.
    z = _latents(gans["dcgan"], 2)
    body = json.loads(json.dumps({"signature_name": "serving_default", "instances": z.tolist()}))
    loaded = tf.saved_model.load(str(exports["dcgan"]))
    signature = loaded.signatures[body["signature_name"]]

    outputs = signature(latents=tf.constant(body["instances"], tf.float32))

    assert outputs["images_uint8"].shape == (2, 16, 16, 1)
    columnar = {"seed": 7, "num_samples": 4}
    generated = loaded.signatures["generate"](
        seed=tf.constant(columnar["seed"], tf.int64),
        num_samples=tf.constant(columnar["num_samples"], tf.int32),
    )
    assert generated["images_uint8"].shape == (4, 16, 16, 1)


def test_grpc_predict_request_of_the_docs_carries_named_inputs(exports, gans):
    predict_pb2 = pytest.importorskip("tensorflow_serving.apis.predict_pb2")
    z = _latents(gans["dcgan"], 2)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "dcgan"
    request.model_spec.signature_name = "serving_default"
    request.inputs["latents"].CopyFrom(tf.make_tensor_proto(z))

    # What the server does with it: the named tensors feed the signature.
    signature = tf.saved_model.load(str(exports["dcgan"])).signatures["serving_default"]
    feeds = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
    outputs = signature(**{k: tf.constant(v) for k, v in feeds.items()})

    np.testing.assert_allclose(outputs["samples"], gans["dcgan"](z), atol=TOLERANCE)


# ------------------------------------------------------- every model


def tiny_kwargs(name):
    """Small versions of whatever size arguments the family takes."""
    small = {
        "latent_dim": 4,
        "base_filters": 4,
        "hidden_dims": (8,),
        "d_steps": 1,
        "ema_decay": 0.5,
    }
    accepted = zoo.core.registry.constructor_arguments(zoo.get_model_class(name))
    return {k: v for k, v in small.items() if k in accepted}


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_registered_model_exports_and_serves_its_samples(name, tmp_path):
    gan = zoo.build(name, image_shape=(16, 16, 1), **tiny_kwargs(name))
    path = export.export(gan, tmp_path, name)
    z = _latents(gan, 2)

    served = tf.saved_model.load(str(path)).signatures["serving_default"](latents=tf.constant(z))

    assert path == tmp_path / name / "1"
    np.testing.assert_allclose(served["samples"], gan(z), atol=TOLERANCE)


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_registered_model_keras_round_trip_keeps_samples_and_trains_on(name, tmp_path):
    gan = _fit(zoo.build(name, image_shape=(16, 16, 1), **tiny_kwargs(name)))
    gan.save(tmp_path / "gan.keras")

    loaded = keras.saving.load_model(tmp_path / "gan.keras")  # safe_mode stays on
    np.testing.assert_array_equal(loaded.generate(3, seed=1), gan.generate(3, seed=1))
    assert int(loaded.g_optimizer.iterations) == 2
    history = loaded.fit(random_dataset(loaded, steps=1), epochs=1, verbose=0)

    assert int(loaded.g_optimizer.iterations) == 3
    assert np.isfinite(history.history["g_loss"]).all()
    assert not np.array_equal(loaded.generate(3, seed=1), gan.generate(3, seed=1))


# ------------------------------------------------ versions and atomicity


def test_export_takes_the_next_free_version_and_ignores_other_entries(gans, tmp_path):
    (tmp_path / "m" / "7").mkdir(parents=True)
    (tmp_path / "m" / "notes").mkdir()
    (tmp_path / "m" / "12.txt").write_text("")

    path = export.export(gans["points"], tmp_path, "m")

    assert path == tmp_path / "m" / "8"
    # Readable like any new folder: a server may run as another user.
    (tmp_path / "probe").mkdir()
    assert path.stat().st_mode & 0o777 == (tmp_path / "probe").stat().st_mode & 0o777
    assert export.export(gans["points"], tmp_path, "m") == tmp_path / "m" / "9"
    assert export.next_version(tmp_path / "missing") == 1


def test_export_to_an_existing_version_refuses_unless_overwrite(gans, tmp_path):
    first = export.export(gans["points"], tmp_path, "m", version=3)
    stamp = (first / "saved_model.pb").stat().st_mtime_ns

    with pytest.raises(ZooError, match="already exists; pass --overwrite"):
        export.export(gans["points"], tmp_path, "m", version=3)
    assert (first / "saved_model.pb").stat().st_mtime_ns == stamp

    again = export.export(gans["dcgan"], tmp_path, "m", version=3, overwrite=True)
    assert again == first
    card = json.loads((again / "assets" / export.MODEL_CARD_FILE).read_text())
    assert card["class"] == "DCGAN"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["3"]


def test_interrupted_export_leaves_no_version_directory(gans, tmp_path, monkeypatch):
    def save_then_die(module, directory, signatures):
        (pathlib.Path(directory) / "saved_model.pb").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(tf.saved_model, "save", save_then_die)

    with pytest.raises(KeyboardInterrupt):
        export.export(gans["points"], tmp_path, "m")
    assert list((tmp_path / "m").iterdir()) == []


def test_export_dir_that_is_a_file_is_refused_in_one_line(gans, tmp_path):
    a_file = tmp_path / "serving"
    a_file.write_text("not a folder")

    with pytest.raises(ZooError, match="cannot create .* under --export_dir=.*Not a directory"):
        export.export(gans["dcgan"], a_file, "m")
    assert a_file.read_text() == "not a folder"


def test_interrupted_overwrite_keeps_the_old_version(gans, tmp_path, monkeypatch):
    old = export.export(gans["points"], tmp_path, "m", version=1)

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(tf.saved_model, "save", disk_full)

    with pytest.raises(OSError):
        export.export(gans["dcgan"], tmp_path, "m", version=1, overwrite=True)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["1"]
    assert json.loads((old / "assets" / "model_card.json").read_text())["class"] == "VanillaGAN"


def _files(directory):
    return {p.relative_to(directory): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def _served(directory, z):
    signature = tf.saved_model.load(str(directory)).signatures["serving_default"]
    return signature(latents=tf.constant(z))["samples"].numpy()


def test_overwrite_whose_final_rename_fails_puts_the_old_version_back(gans, tmp_path, monkeypatch):
    old = export.export(gans["points"], tmp_path, "m", version=1)
    files, z = _files(old), _latents(gans["points"], 3)
    samples = _served(old, z)
    real_rename = os.rename

    def rename(source, target):
        if pathlib.Path(source).name.startswith(".tmp-") and pathlib.Path(target) == old:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(ZooError) as raised:
        export.export(gans["dcgan"], tmp_path, "m", version=1, overwrite=True)
    monkeypatch.undo()

    message = str(raised.value)
    assert "No space left on device" in message and "previous version is kept" in message
    assert "\n" not in message
    # Neither the new version's temporary nor the retired copy is left.
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["1"]
    assert _files(old) == files
    np.testing.assert_array_equal(_served(old, z), samples)
    np.testing.assert_allclose(samples, gans["points"](z), atol=TOLERANCE)


@pytest.mark.parametrize("name", ["", "../up", "a/b", "has space", ".hidden"])
def test_export_name_that_is_not_url_safe_raises_zoo_error(gans, tmp_path, name):
    with pytest.raises(ZooError, match="model name"):
        export.export(gans["points"], tmp_path, name)


@pytest.mark.parametrize("version", [0, -1, 1.5])
def test_export_version_that_is_not_positive_integer_raises_zoo_error(gans, tmp_path, version):
    with pytest.raises(ZooError, match="version must be a positive integer"):
        export.export(gans["points"], tmp_path, "m", version=version)


# ------------------------------------------------------------- model card


@pytest.fixture(scope="module")
def points_workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("runs") / "ring"
    training.train(
        training.TrainConfig(
            model="vanilla_gan",
            dataset="ring8",
            workdir=str(workdir),
            steps=2,
            batch_size=8,
            model_kwargs={"latent_dim": 4, "hidden_dims": (8,)},
            num_samples=4,
        )
    )
    return workdir


def test_export_from_workdir_writes_model_card_asset(points_workdir, tmp_path):
    report = {"model": "vanilla_gan", "extractor": {"name": "none"}, "metrics": {"modes": 3.0}}
    (points_workdir / export.METRICS_FILE).write_text(json.dumps(report))
    model, card, name = export.load_for_export(workdir=points_workdir)

    path = export.export(model, tmp_path, name, card=card)

    assert path == tmp_path / "ring" / "1"
    written = json.loads((path / "assets" / "model_card.json").read_text())
    assert written["model"] == "vanilla_gan"
    assert written["class"] == "VanillaGAN"
    assert written["dataset"] == "ring8"
    assert written["image_shape"] == [2]
    assert written["training_steps"] == 2
    assert written["metrics"] == {"modes": 3.0}
    assert written["evaluation"] == report
    assert written["version"] == 1
    assert written["config"]["hidden_dims"] == [8]
    asset = tf.saved_model.load(str(path)).model_card.asset_path
    assert json.loads(tf.io.read_file(asset).numpy()) == written


def test_load_for_export_of_model_keras_uses_the_folder_name(points_workdir):
    model, card, name = export.load_for_export(model_path=points_workdir / "model.keras")

    assert name == "ring"
    assert card["dataset"] == "ring8"
    assert card["training_steps"] == 2


@pytest.mark.parametrize(
    "sources",
    [{}, {"workdir": "a", "model_path": "b"}, {"workdir": "a", "pretrained": "b"}],
    ids=["none", "workdir_and_model_path", "workdir_and_pretrained"],
)
def test_load_for_export_needs_exactly_one_source(sources):
    with pytest.raises(ZooError, match="pass the model as --network=NAME_OR_PATH"):
        export.load_for_export(**sources)


def test_load_for_export_with_invalid_metrics_json_raises_zoo_error(points_workdir, tmp_path):
    (points_workdir / export.METRICS_FILE).write_text("{not json")
    try:
        with pytest.raises(ZooError, match="metrics.json is not valid JSON"):
            export.load_for_export(workdir=points_workdir)
    finally:
        (points_workdir / export.METRICS_FILE).unlink()
