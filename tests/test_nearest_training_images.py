"""scripts/nearest_training_images.py as a user runs it: a model and its training set in,
the nearest-image distances printed and the pairs drawn."""

import re

import keras
import numpy as np
from PIL import Image

import models
from tests.helpers import assert_one_line_error, run_script

SCRIPT = "scripts/nearest_training_images.py"


def test_prints_how_near_the_samples_lie_and_draws_the_pairs(tmp_path, fake_fashion_mnist):
    keras.utils.set_random_seed(0)
    gan = models.DCGAN(image_shape=(32, 32, 1), latent_dim=8, base_filters=4)
    gan.compile()
    gan.save(tmp_path / "dcgan.keras")
    output = tmp_path / "pairs.png"

    result = run_script(
        SCRIPT, f"--network={tmp_path / 'dcgan.keras'}", "--num_samples=100", "--pairs=3",
        f"--output={output}", env={"GAN_ZOO_FASHION_MNIST_DIR": str(fake_fashion_mnist)},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    assert "100 samples against 120 training images (test images: 40)" in result.stdout
    ratio = float(re.search(r"\(ratio ([0-9.]+);", result.stdout).group(1))
    near = float(re.search(r"test images: ([0-9.]+)%", result.stdout).group(1))
    assert ratio > 0 and 0 <= near <= 100
    # Four rows (samples, their nearest training images, twice) of three pairs, at 110 dpi.
    assert np.asarray(Image.open(output)).shape[:2] == (550, 363)


def test_without_a_network_it_says_which_flag_in_one_line():
    assert_one_line_error(run_script(SCRIPT), "network")
