"""train.py and evaluate.py as a user runs them: bad input gives one-line errors."""

import pytest

from tests.helpers import assert_one_line_error, run_script

run = run_script


def test_train_cli_unknown_model_lists_valid_names(tmp_path):
    result = run("train.py", "--model=nope", f"--workdir={tmp_path}")
    assert_one_line_error(result, "--model=nope", "dcgan", "vanilla_gan")


def test_train_cli_unknown_dataset_lists_valid_specs(tmp_path):
    result = run("train.py", "--dataset=nope", f"--workdir={tmp_path}")
    assert_one_line_error(result, "unknown dataset 'nope'", "fashion_mnist", "folder:")


def test_train_cli_non_positive_batch_size_rejected(tmp_path):
    result = run("train.py", "--batch_size=0", f"--workdir={tmp_path}")
    assert_one_line_error(result, "--batch_size=0")


def test_train_cli_missing_image_folder_says_so(tmp_path):
    result = run("train.py", f"--dataset=folder:{tmp_path / 'absent'}", f"--workdir={tmp_path}")
    assert_one_line_error(result, "does not exist")


def test_train_cli_corrupt_image_names_the_file(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    result = run("train.py", f"--dataset=folder:{folder}", f"--workdir={tmp_path / 'w'}")
    assert_one_line_error(result, "broken.png")


def test_train_cli_missing_fashion_mnist_says_how_to_install(tmp_path):
    result = run("train.py", f"--data_dir={tmp_path}", f"--workdir={tmp_path / 'w'}")
    assert_one_line_error(result, "apt-get install dataset-fashion-mnist")


def test_train_cli_bad_model_kwargs_lists_valid_arguments(tmp_path):
    result = run("train.py", "--model_kwargs=filters=3", f"--workdir={tmp_path}", "--dataset=ring8",
                 "--model=vanilla_gan")  # fmt: skip
    assert_one_line_error(result, "no argument filters", "hidden_dims")


@pytest.mark.usefixtures("fashion_mnist_files")
def test_train_cli_trains_resumes_and_evaluate_writes_grid(tmp_path):
    workdir = tmp_path / "run"
    common = [f"--workdir={workdir}", "--batch_size=4", "--model_kwargs=base_filters=4",
              "--sample_every=2", "--checkpoint_every=2", "--log_every=2"]  # fmt: skip
    first = run("train.py", "--steps=2", *common)
    assert first.returncode == 0, first.stderr
    second = run("train.py", "--steps=4", *common)
    assert second.returncode == 0, second.stderr
    assert "resuming from step 2" in second.stdout
    assert (workdir / "samples" / "step_0000004.png").exists()

    (workdir / "checkpoints" / "ckpt-4.index").write_bytes(b"garbage")
    corrupt = run("train.py", "--steps=6", *common)
    assert_one_line_error(corrupt, "ckpt-4", "corrupt")

    grid = tmp_path / "grid.png"
    evaluated = run("evaluate.py", f"--model_path={workdir / 'model.keras'}", f"--output={grid}",
                    "--num_samples=9", "--metrics=")  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    assert grid.stat().st_size > 0
