"""export.py as a user runs it: from a training workdir to a served model directory."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.helpers import assert_one_line_error, run_script
from zoo import training


def run_export(*args, env=None):
    return run_script("export.py", *args, env=env)


@pytest.fixture(scope="module")
def dcgan_workdir(tmp_path_factory):
    """A finished two-step DCGAN run on a folder of 16x16 images, as `make train` leaves."""
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    (root / "images").mkdir()
    for i in range(4):
        pixels = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "images" / f"{i}.png")
    workdir = root / "runs" / "dcgan"
    training.train(
        training.TrainConfig(
            model="dcgan",
            dataset=f"folder:{root / 'images'}",
            image_size=16,
            workdir=str(workdir),
            steps=2,
            batch_size=4,
            model_kwargs={"base_filters": 4, "latent_dim": 8, "ema_decay": 0.9},
            num_samples=4,
        )
    )
    return workdir


def test_export_cli_workdir_writes_next_version_then_refuses_to_overwrite(dcgan_workdir, tmp_path):
    serving = tmp_path / "serving"

    result = run_export(f"--workdir={dcgan_workdir}", f"--export_dir={serving}")

    assert result.returncode == 0, result.stderr
    version = serving / "dcgan" / "1"
    assert f"to {version}" in result.stdout
    assert "EMA generator" in result.stdout
    assert (version / "saved_model.pb").exists()
    assert (version / "variables").is_dir()
    card = json.loads((version / "assets" / "model_card.json").read_text())
    assert (card["model"], card["training_steps"], card["ema"]) == ("dcgan", 2, True)
    assert card["dataset"].startswith("folder:")
    assert sorted(p.name for p in (serving / "dcgan").iterdir()) == ["1"]

    again = run_export(
        f"--workdir={dcgan_workdir}", f"--export_dir={serving}", "--version=1", "--name=dcgan"
    )

    assert_one_line_error(again, "already exists; pass --overwrite")
    assert sorted(p.name for p in (serving / "dcgan").iterdir()) == ["1"]


@pytest.mark.parametrize(
    "args, fragments",
    [
        ([], ["pass the model as --network=NAME_OR_PATH"]),
        (["--pretrained=no_such_model"], ["unknown pretrained model 'no_such_model'"]),
    ],
    ids=["no_source", "unknown_pretrained"],
)
def test_export_cli_bad_source_gives_one_line_error(args, fragments, tmp_path):
    result = run_export(*args, f"--export_dir={tmp_path}")

    assert_one_line_error(result, *fragments)
    assert list(tmp_path.iterdir()) == []
