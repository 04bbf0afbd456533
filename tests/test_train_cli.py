"""train.py and evaluate.py as a user runs them: bad input gives one-line errors."""

import json
import re
import signal
import subprocess
import sys

import pytest

from tests.helpers import ROOT, assert_one_line_error, run_script

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


POINTS = ["--model=vanilla_gan", "--dataset=ring8", "--model_kwargs=hidden_dims=(8,)"]


def test_train_cli_workdir_that_is_a_file_gives_one_line(tmp_path):
    path = tmp_path / "file"
    path.write_text("")
    assert_one_line_error(run("train.py", *POINTS, f"--workdir={path}"), "is a file")


def test_train_cli_steps_not_multiple_of_steps_per_execution_gives_one_line(tmp_path):
    result = run("train.py", *POINTS, "--steps=10", "--steps_per_execution=3", "--log_every=3",
                 "--sample_every=3", "--checkpoint_every=3", f"--workdir={tmp_path}")  # fmt: skip
    assert_one_line_error(result, "steps=10 is not a multiple of steps_per_execution=3")


def test_train_cli_ctrl_c_saves_the_step_reached_and_rerun_resumes_there(tmp_path):
    workdir = tmp_path / "run"
    # Checkpoints and grids far apart: only the interruption saves anything.
    args = [*POINTS, "--steps=100000", "--log_every=10", "--checkpoint_every=50000",
            "--sample_every=50000", f"--workdir={workdir}"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "train.py"), *args], cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        # Piped output gets a progress line every --log_every steps.
        progress = next(line for line in process.stdout if line.startswith("step "))
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()  # a run that ignored Ctrl-C must not outlive the test

    assert re.match(r"step 10/100000  .*d_loss [-\d.e+]+ .* images/s  \d+h\d\dm left", progress)

    assert process.returncode == 130, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    step = int(re.search(r"interrupted at step (\d+); rerun the same command to resume from step "
                         r"\1 \(", stderr).group(1))  # fmt: skip
    assert step >= 10
    assert (workdir / "checkpoints" / f"ckpt-{step}.index").exists()
    rerun = run("train.py", *[a for a in args if "--steps=" not in a], f"--steps={step + 10}")
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming from step {step}" in rerun.stdout


def test_train_cli_stray_argument_gives_one_line_not_the_usage(tmp_path):
    result = run("train.py", "extra", f"--workdir={tmp_path}")
    assert_one_line_error(result, "unexpected arguments: extra")


def test_train_cli_init_from_a_preset_takes_its_family_and_says_so(tmp_path):
    import zoo

    gan = zoo.build("vanilla_gan", image_shape=(2,), latent_dim=4, hidden_dims=(8,), seed=0)
    zoo.save_preset(gan, tmp_path / "preset")

    result = run_script(
        "train.py", f"--init_from={tmp_path / 'preset'}", "--dataset=ring8", "--steps=1",
        "--batch_size=8", f"--workdir={tmp_path / 'run'}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert f"starting from the weights of {tmp_path / 'preset'}" in result.stdout
    assert json.loads((tmp_path / "run" / "config.json").read_text())["model"] == "vanilla_gan"
