"""generate.py as a user runs it: grids and attention maps from a saved model, no dataset."""

import numpy as np
import pytest
from PIL import Image

import models
from tests.helpers import assert_one_line_error, run_script
from zoo import pictures

SIDE = 16


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("generate")
    sagan = models.SAGAN(image_shape=(SIDE, SIDE, 1), latent_dim=8, base_filters=8, num_classes=3)
    dcgan = models.DCGAN(image_shape=(SIDE, SIDE, 1), latent_dim=8, base_filters=4)
    for name, gan in (("sagan", sagan), ("dcgan", dcgan)):
        gan.compile()
        gan.save(root / f"{name}.keras")
    return root, {"sagan": sagan, "dcgan": dcgan}


def _png(path):
    return np.asarray(Image.open(path))


def test_generate_grid_of_a_conditional_model_has_one_row_per_class(saved, tmp_path):
    root, gans = saved
    output = tmp_path / "grid.png"

    result = run_script(
        "generate.py", f"--model_path={root / 'sagan.keras'}", "--num_samples=6", "--seed=2",
        f"--output={output}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    samples = gans["sagan"].generate(6, seed=2)  # classes 0, 1, 2, 0, 1, 2
    expected = pictures.samples_picture(samples, None, num_classes=3)
    picture = _png(output)
    assert picture.shape[0] == 3 * (SIDE + 2) + 2 and picture.shape[1] == 2 * (SIDE + 2) + 2
    np.testing.assert_allclose(picture.astype(int), expected[..., 0].astype(int), atol=1)


def test_generate_grid_of_one_label(saved, tmp_path):
    root, gans = saved
    output = tmp_path / "shirts.png"

    result = run_script(
        "generate.py", f"--model_path={root / 'sagan.keras'}", "--num_samples=4", "--label=2",
        f"--output={output}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    samples = gans["sagan"].generate(4, labels=[2, 2, 2, 2], seed=0)
    np.testing.assert_allclose(
        _png(output).astype(int), pictures.samples_picture(samples)[..., 0].astype(int), atol=1
    )


def test_generate_attention_draws_each_sample_beside_its_map(saved, tmp_path):
    root, _ = saved
    output = tmp_path / "attention.png"

    result = run_script(
        "generate.py", f"--model_path={root / 'sagan.keras'}", "--mode=attention",
        "--num_samples=2", "--query=1,2", f"--output={output}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    tile = 4 * SIDE + 2  # each image drawn 4x, plus padding
    assert _png(output).shape == (2 * tile + 2, 2 * tile + 2, 3)


@pytest.mark.parametrize(
    "model, flags, fragment",
    [
        ("dcgan", ["--label=1"], "unconditional"),
        ("sagan", ["--label=3"], "--label must be in [0, 3)"),
        ("dcgan", ["--mode=attention"], "no attention layer"),
        ("sagan", ["--mode=attention", "--query=8,0"], "--query must be row,col"),
        ("sagan", ["--mode=attention", "--query=a"], "--query must be row,col"),
    ],
    ids=["label_unconditional", "label_range", "attention_dcgan", "query_range", "query_form"],
)
def test_generate_bad_request_fails_in_one_line(saved, tmp_path, model, flags, fragment):
    root, _ = saved

    result = run_script(
        "generate.py", f"--model_path={root / f'{model}.keras'}", *flags,
        f"--output={tmp_path / 'x.png'}",
    )  # fmt: skip

    assert_one_line_error(result, fragment)
    assert not (tmp_path / "x.png").exists()
