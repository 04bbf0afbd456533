"""project.py as a user runs it: image files in, projections and their latents out; and
generate.py walking from a saved projection.

project.py runs as a subprocess (`run_script`), not in this process: its flags
(`--seed`, `--class`, `--steps`, `--outdir`) share names with generate.py's,
and absl refuses a flag defined twice in one process, where
`run_command_in_process("generate", ...)` has defined them already.
"""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import models
from tests.helpers import assert_one_line_error, run_command_in_process, run_script
from zoo import drawing
from zoo.core import latents
from zoo.drawing import pictures

SIDE = 16
LATENT_DIM = 8


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny DCGAN as a .keras file, a grayscale PNG it drew and the same image in RGB, larger."""
    root = tmp_path_factory.mktemp("project")
    keras.utils.set_random_seed(0)
    gan = models.DCGAN(image_shape=(SIDE, SIDE, 1), latent_dim=LATENT_DIM, base_filters=4)
    gan.compile()
    gan.save(root / "dcgan.keras")
    target = pictures.to_images(gan.generate(1, seed=3))[0]  # (16, 16, 1) uint8
    Image.fromarray(target[..., 0]).save(root / "gray.png")
    Image.fromarray(np.repeat(target, 3, axis=-1)).resize((32, 32)).save(root / "rgb.png")
    return root, gan, target


def _project(root, *flags):
    """project.py on the saved DCGAN, where no Fashion-MNIST is to be found."""
    return run_script(
        "project.py", f"--network={root / 'dcgan.keras'}", *flags,
        env={"GAN_ZOO_FASHION_MNIST_DIR": str(root / "no-fashion-mnist-here")},
    )  # fmt: skip


def _png(path):
    picture = np.asarray(Image.open(path))
    return picture[..., None] if picture.ndim == 2 else picture


def test_project_writes_each_targets_files_the_pairs_and_the_distances(saved, tmp_path):
    root, gan, target = saved
    outdir = tmp_path / "out"
    targets = [str(root / "gray.png"), str(root / "rgb.png")]

    result = _project(
        root, f"--target={','.join(targets)}", "--steps=20", "--snapshots=4", "--save_video",
        f"--outdir={outdir}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "wrote 2 projections of DCGAN" in result.stdout
    for stem in ("00", "01"):
        for name in ("target{}.png", "proj{}.png", "proj{}_steps.png", "proj{}_steps.gif",
                     "proj{}_latent.npy", "proj{}_latent.json"):  # fmt: skip
            assert (outdir / name.format(stem)).is_file(), name.format(stem)
    # The target as the model sees it: the gray file as it is (a resize to its own size).
    np.testing.assert_allclose(_png(outdir / "target00.png").astype(int), target, atol=1)
    # The saved latent draws the saved projection.
    latent = np.load(outdir / "proj00_latent.npy")
    assert latent.shape == (LATENT_DIM,) and latent.dtype == np.float32
    drawn = pictures.to_images(gan.generate(latents=latent[None]))[0]
    np.testing.assert_allclose(_png(outdir / "proj00.png").astype(int), drawn.astype(int), atol=1)
    record = json.loads((outdir / "proj00_latent.json").read_text())
    assert (record["space"], record["label"], record["target"]) == ("z", None, targets[0])
    # Strips of 4 snapshots, the two pairs in one row.
    tile = SIDE + 2
    assert _png(outdir / "proj00_steps.png").shape == (tile + 2, 4 * tile + 2, 1)
    assert _png(outdir / "pairs.png").shape == (tile + 2, 4 * tile + 2, 1)
    distances = json.loads((outdir / "distances.json").read_text())
    assert [row["target"] for row in distances["targets"]] == targets
    pixel = [row["pixel_distance"] for row in distances["targets"]]
    assert distances["mean"]["pixel_distance"] == pytest.approx(np.mean(pixel))
    assert pixel[0] == pytest.approx(record["pixel_distance"])


def test_project_a_missing_target_is_one_line(saved, tmp_path):
    root, _, _ = saved

    result = _project(root, f"--target={tmp_path / 'absent.png'}", f"--outdir={tmp_path / 'o'}")

    assert_one_line_error(result, "absent.png")
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------- generate --from_latent


def _generate(root, *flags):
    return run_command_in_process(
        "generate", f"--model_path={root / 'dcgan.keras'}", *flags,
        env={"GAN_ZOO_FASHION_MNIST_DIR": str(root / "no-fashion-mnist-here")},
    )  # fmt: skip


def test_generate_interpolates_from_a_saved_projection_to_a_seed(saved, tmp_path):
    root, gan, _ = saved
    start = 0.5 * latents.seeded_latents(5, 1, LATENT_DIM).numpy()[0]
    latent_file = tmp_path / "proj00_latent.npy"
    np.save(latent_file, start)
    output = tmp_path / "walk.png"

    result = _generate(
        root, "--mode=interpolate", f"--from_latent={latent_file}", "--seeds=9", "--frames=4",
        f"--output={output}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    end = latents.seeded_latents(9, 1, LATENT_DIM)[0]
    walk = drawing.interpolate(gan, start, end, 4)  # slerp in z, from the saved latent
    np.testing.assert_allclose(
        _png(output).astype(int),
        pictures.image_strip(pictures.to_images(walk)).astype(int),
        atol=1,
    )
    assert (tmp_path / "walk.gif").is_file()


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--mode=interpolate", "--seeds=1,2"], "pass the end as one seed"),
        (["--mode=grid", "--seeds=1"], "takes no --from_latent"),
    ],
    ids=["two_seeds", "not_interpolate"],
)
def test_generate_from_latent_refuses_in_one_line(saved, tmp_path, flags, fragment):
    root, _, _ = saved
    latent_file = tmp_path / "z.npy"
    np.save(latent_file, np.zeros(LATENT_DIM, np.float32))

    result = _generate(root, *flags, f"--from_latent={latent_file}")

    assert_one_line_error(result, fragment)


def test_generate_from_a_missing_latent_is_one_line(saved, tmp_path):
    root, _, _ = saved
    missing = tmp_path / "absent.npy"

    result = _generate(root, "--mode=interpolate", f"--from_latent={missing}", "--seeds=1")

    assert_one_line_error(result, "absent.npy")
