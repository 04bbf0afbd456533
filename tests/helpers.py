"""Helpers the test modules share: running entry points, writing IDX files,
training a family beside Goodfellow's VanillaGAN, a tiny class-conditional GAN."""

import contextlib
import gzip
import importlib
import io
import os
import pathlib
import struct
import subprocess
import sys

import keras
import numpy as np

from models import arguments
from models.base import GAN
from models.vanilla_gan import VanillaGAN

ROOT = pathlib.Path(__file__).resolve().parents[1]


@keras.saving.register_keras_serializable(package="gan_zoo_tests")
class TinyConditionalGAN(GAN):
    """A class-conditional MLP GAN for tests: z and a label embedding, one dense layer.

    Registered with Keras, so its `.keras` files load in any process that
    imports this module (`run_script_with_test_models`).
    """

    argument_specs = {"image_shape": arguments.shape}

    def __init__(self, image_shape=(28, 28, 1), latent_dim=4, num_classes=10, **kwargs):
        image_shape = tuple(int(d) for d in image_shape)
        latent_input = keras.Input((latent_dim,), name="latents")
        label_input = keras.Input((), dtype="int32", name="labels")
        embedded = keras.layers.Embedding(num_classes, latent_dim)(label_input)
        x = keras.layers.Concatenate()([latent_input, embedded])
        x = keras.layers.Dense(int(np.prod(image_shape)), activation="tanh")(x)
        generator = keras.Model(
            [latent_input, label_input], keras.layers.Reshape(image_shape)(x), name="generator"
        )
        sample_input = keras.Input(image_shape, name="samples")
        scores = keras.layers.Dense(1)(keras.layers.Flatten()(sample_input))
        discriminator = keras.Model([sample_input, label_input], scores, name="discriminator")
        super().__init__(
            generator, discriminator, latent_dim=latent_dim, num_classes=num_classes, **kwargs
        )

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape}


def run_script_with_test_models(script, *args, env=None):
    """`run_script`, in a process that first imports this module: its test GANs load there."""
    path = ROOT / script
    code = (
        "import os, runpy, sys\n"
        "os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import tests.helpers\n"
        f"sys.argv[0] = {str(path)!r}\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


def run_script(script, *args, env=None):
    """Runs an entry point (`train.py`, ...) as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


def run_command_in_process(command, *args, env=None):
    """Runs a command line (`"generate"` for `zoo.commands.generate`) in this process.

    The same parsing, error handling and exit codes as the script (`cli.run`),
    without paying TensorFlow's import again: flags start from their defaults,
    `env` is set for the call only. Returns a `CompletedProcess` with the
    captured stdout and stderr.
    """
    module = importlib.import_module(f"zoo.commands.{command}")
    from absl import flags

    flags.FLAGS.unparse_flags()
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = [f"{command}.py", *args]
    saved_argv, saved_env = sys.argv, dict(os.environ)
    sys.argv = argv
    os.environ.update(env or {})
    returncode = 0
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            module.run()
    except SystemExit as e:
        returncode = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        flags.FLAGS.unparse_flags()
    return subprocess.CompletedProcess(argv, returncode, stdout.getvalue(), stderr.getvalue())


def assert_one_line_error(result, *fragments):
    """The process exited with 1 and its whole stderr is one line holding every fragment.

    Any other line on stderr (a traceback, a TensorFlow or absl warning, a Keras
    message) fails: a user should see the error and nothing else.
    """
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{result.stderr}"
    for fragment in fragments:
        assert fragment in lines[0], result.stderr


def write_idx(path, array, magic_type=0x08):
    """Writes `array` (uint8) as an IDX file, gzipped if `path` ends in .gz."""
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    payload = header + np.asarray(array, np.uint8).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)


def fit_beside_vanilla_gan(model, dataset):
    """Fits `model` and a VanillaGAN that plays Algorithm 1 on copies of its networks.

    The VanillaGAN gets copies of `model`'s generator and discriminator (same
    weights), its loss, `d_steps`, penalties and seed, copies of its compiled
    optimizers, and the same data. A family whose training is Goodfellow's
    loop on other networks and settings logs the same losses and ends with
    the same weights.

    Args:
        model: a GAN without EMA, built with a fixed `seed`.
        dataset: the training batches of both models.

    Returns:
        `(history, vanilla_history, vanilla)`: both `fit` histories and the
        trained VanillaGAN.
    """
    assert model.seed is not None and model.ema_generator is None
    settings = ("loss", "num_classes", "d_steps", "gp_weight", "r1_gamma", "r2_gamma",
                "clip_value", "penalty_every", "seed")  # fmt: skip
    config = model.get_config()
    vanilla = VanillaGAN(
        image_shape=(1,), latent_dim=model.latent_dim, hidden_dims=(1,),
        **{name: config[name] for name in settings},
    )  # fmt: skip
    vanilla.generator = _copy_network(model.generator)
    vanilla.discriminator = _copy_network(model.discriminator)
    model.compile()
    vanilla.compile(
        d_optimizer=_copy_optimizer(model.d_optimizer),
        g_optimizer=_copy_optimizer(model.g_optimizer),
    )
    history = model.fit(dataset, epochs=1, verbose=0).history
    vanilla_history = vanilla.fit(dataset, epochs=1, verbose=0).history
    return history, vanilla_history, vanilla


def _copy_network(network):
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


def _copy_optimizer(optimizer):
    return type(optimizer).from_config(optimizer.get_config())
