"""evaluate.py as a user runs it: metrics table, real floor, metrics.json, errors."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.helpers import assert_one_line_error, run_script
from zoo import extractors, training


def run_evaluate(*args, env=None):
    return run_script("evaluate.py", *args, env=env)


@pytest.mark.skipif(not extractors.CLASSIFIER_FILE.exists(), reason="no shipped classifier")
def test_evaluate_cli_workdir_prints_metrics_and_floor_and_writes_json(
    fake_fashion_mnist, tmp_path
):
    workdir = tmp_path / "run"
    training.train(training.TrainConfig(
        workdir=str(workdir), steps=1, batch_size=4, data_dir=str(fake_fashion_mnist),
        model_kwargs={"base_filters": 4, "latent_dim": 8}, num_samples=4,
    ))  # fmt: skip
    cache = tmp_path / "cache"
    result = run_evaluate(f"--workdir={workdir}", "--metrics=fid1k,is1k,kid1k,pr1k3",
                          env={"GAN_ZOO_CACHE": str(cache)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in ("fid1k", "is1k", "kid1k", "pr1k3_precision", "pr1k3_recall", "real floor"):
        assert name in result.stdout
    assert "40 test images" in result.stdout and "120 train images" in result.stdout

    report = json.loads((workdir / "metrics.json").read_text())
    assert report["dataset"] == "fashion_mnist"
    assert report["extractor"]["name"] == "fashion_mnist_classifier"
    assert report["extractor"]["weights_sha256"] == extractors.file_sha256(
        extractors.CLASSIFIER_FILE
    )
    assert set(report["metrics"]) == set(report["real_floor"])
    assert report["metrics"]["fid1k"] > 0
    assert (report["num_real_train"], report["num_real_test"]) == (120, 40)
    assert (workdir / "samples" / "eval_seed0.png").exists()
    # Train and test references, cached for the next run.
    assert len(list((cache / "reference").glob("fashion_mnist-*.npz"))) == 2


def test_evaluate_cli_unknown_metric_lists_valid_names(tmp_path):
    result = run_evaluate(f"--model_path={tmp_path / 'absent.keras'}", "--metrics=fid10k,fid3")
    assert_one_line_error(result, "unknown metric 'fid3'", "fid10k", "pr50k3")


def test_evaluate_cli_needs_exactly_one_source(tmp_path):
    result = run_evaluate(f"--workdir={tmp_path}", "--pretrained=dcgan_fashion_mnist")
    assert_one_line_error(result, "exactly one of --workdir, --model_path or --pretrained")


def test_evaluate_cli_pretrained_unknown_or_unavailable_says_so():
    result = run_evaluate("--pretrained=no_such_model", "--metrics=")
    assert_one_line_error(result, "pretrained")


def _tiny_ring8_run(workdir, seed=0):
    training.train(training.TrainConfig(
        model="vanilla_gan", dataset="ring8", workdir=str(workdir), steps=2, batch_size=16,
        model_kwargs={"latent_dim": 4, "hidden_dims": (8,)}, num_samples=16,
        sample_every=2, checkpoint_every=2, log_every=2, seed=seed,
    ))  # fmt: skip


def test_evaluate_cli_on_a_2d_mixture_runs_the_mode_benchmark(tmp_path):
    workdir = tmp_path / "run"
    _tiny_ring8_run(workdir)

    result = run_evaluate(f"--workdir={workdir}", "--mode_samples=500")

    assert result.returncode == 0, result.stderr
    assert "modes covered" in result.stdout and "real data (floor)" in result.stdout
    report = json.loads((workdir / "metrics.json").read_text())
    assert (report["dataset"], report["num_samples"]) == ("ring8", 500)
    assert report["real_floor"]["num_modes_covered"] == 8
    assert report["real_floor"]["high_quality_fraction"] > 0.97
    model = report["modes"]
    assert sum(model["samples_per_mode"]) == round(500 * model["high_quality_fraction"])
    assert (workdir / "samples" / "eval_seed0.png").exists()


def test_evaluate_cli_grid_of_a_seed_is_the_last_training_grid_of_a_run_with_that_seed(tmp_path):
    workdir = tmp_path / "run"
    _tiny_ring8_run(workdir, seed=3)

    result = run_evaluate(f"--workdir={workdir}", "--seed=3", "--mode_samples=16", "--metrics=")

    assert result.returncode == 0, result.stderr
    samples = workdir / "samples"
    np.testing.assert_array_equal(
        np.asarray(Image.open(samples / "eval_seed3.png")),
        np.asarray(Image.open(samples / "step_0000002.png")),
    )


def test_evaluate_cli_2d_model_refuses_image_metrics_and_image_datasets(tmp_path):
    workdir = tmp_path / "run"
    _tiny_ring8_run(workdir)

    with_metrics = run_evaluate(f"--workdir={workdir}", "--metrics=fid1k")
    images = run_evaluate(f"--model_path={workdir / 'model.keras'}", "--dataset=fashion_mnist")

    assert_one_line_error(with_metrics, "2-D mixture", "drop --metrics")
    assert_one_line_error(images, "2-D points", "--dataset=grid25")
