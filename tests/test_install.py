"""`pip install .` into a fresh virtual environment: the zoo works from any directory.

Slow (a venv and a wheel build per test): `make test-slow`. The new environment
reaches TensorFlow and the other dependencies through a `.pth` line pointing at
this environment's site-packages, so nothing is downloaded; the zoo itself comes
only from the installed wheel (or the editable install).
"""

import os
import shutil
import site
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def _copy_checkout(target):
    """The tracked files of the checkout (what a fresh clone holds), plus a tiny preset."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    import zoo

    gan = zoo.build("vanilla_gan", image_shape=(2,), latent_dim=4, hidden_dims=(8,), seed=0)
    zoo.save_preset(gan, target / "pretrained" / "vanilla_gan_tiny")
    gan.save(target / "tiny.keras")
    return gan


def _venv(path):
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    deps = [p for p in site.getsitepackages() if "site-packages" in p]
    (path / purelib / "zz_gan_zoo_test_deps.pth").write_text("\n".join(deps) + "\n")
    return python


@pytest.mark.parametrize("editable", [False, True], ids=["wheel", "editable"])
def test_pip_install_loads_the_catalogue_and_keras_files_from_another_directory(tmp_path, editable):
    checkout = tmp_path / "checkout"
    gan = _copy_checkout(checkout)
    python = _venv(tmp_path / "venv")
    install = ["-e", str(checkout)] if editable else [str(checkout)]
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         *install],
        check=True, capture_output=True,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sys, keras, numpy as np, zoo\n"
        "assert 'models' not in sys.modules or " + repr(editable) + "\n"
        "print(zoo.list_pretrained())\n"
        "g = zoo.load('vanilla_gan_tiny')\n"
        "k = keras.saving.load_model(sys.argv[1])\n"
        "np.save(sys.argv[2], np.stack([g.generate(3, seed=0), k.generate(3, seed=0)]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GAN_ZOO_PRETRAINED_DIR")}
    result = subprocess.run(
        [str(python), "-c", code, str(checkout / "tiny.keras"), str(tmp_path / "out.npy")],
        cwd=elsewhere, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "vanilla_gan_tiny" in result.stdout
    import numpy as np

    samples = np.load(tmp_path / "out.npy")
    np.testing.assert_array_equal(samples[0], gan.generate(3, seed=0))
    np.testing.assert_array_equal(samples[1], gan.generate(3, seed=0))
    script = tmp_path / "venv" / "bin" / "gan-zoo-train"
    usage = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env)
    assert "Trains a GAN of the zoo" in usage.stdout, usage.stderr
