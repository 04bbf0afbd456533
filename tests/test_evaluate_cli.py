"""evaluate.py as a user runs it: metrics table, real floor, metrics.json, errors."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.helpers import (
    TinyConditionalGAN,
    assert_one_line_error,
    run_script,
    run_script_with_test_models,
)
from zoo import data, metrics, training
from zoo.metrics import extractors


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
    assert "at most 40) scored as if generated" in result.stdout
    assert "120 train images" in result.stdout

    report = json.loads((workdir / "metrics.json").read_text())
    assert report["dataset"] == "fashion_mnist"
    assert report["extractor"]["name"] == "fashion_mnist_classifier"
    assert report["extractor"]["weights_sha256"] == extractors.file_sha256(
        extractors.CLASSIFIER_FILE
    )
    assert set(report["metrics"]) == set(report["real_floor"])
    assert report["metrics"]["fid1k"] > 0
    assert (report["num_real_train"], report["num_real_test"]) == (120, 40)
    # An unconditional model: no class-conditional numbers anywhere.
    assert "conditional" not in report and "intra_fid" not in result.stdout
    assert not set(metrics.CONDITIONAL_RESULT_NAMES) & set(report["metrics"])
    assert (workdir / "samples" / "eval_seed0.png").exists()
    # Train and test references, cached for the next run.
    assert len(list((cache / "reference").glob("fashion_mnist-*.npz"))) == 2


@pytest.mark.skipif(not extractors.CLASSIFIER_FILE.exists(), reason="no shipped classifier")
def test_evaluate_cli_conditional_model_prints_and_writes_per_class_metrics(
    fake_fashion_mnist, tmp_path
):
    model = TinyConditionalGAN(image_shape=(28, 28, 1), latent_dim=4, num_classes=10)
    model_path = tmp_path / "cgan" / "cgan.keras"
    model_path.parent.mkdir()
    model.save(model_path)
    common = (f"--model_path={model_path}", f"--data_dir={fake_fashion_mnist}")

    result = run_script_with_test_models("evaluate.py", *common, "--metrics=fid1k,kid1k")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (header,) = [line for line in lines if line.startswith("class ")]
    assert header.split() == ["class", "intra_fid", "real", "floor", "class_accuracy", "real",
                              "floor"]  # fmt: skip
    rows = lines[lines.index(header) + 1 : lines.index(header) + 12]
    assert rows[0].startswith("0 T-shirt/top") and rows[9].startswith("9 Ankle boot")
    assert rows[10].startswith("mean")
    assert "each class's 100 (of 1,000) samples" in result.stdout

    report = json.loads((model_path.parent / "metrics.json").read_text())
    for results in (report["metrics"], report["real_floor"]):
        assert set(metrics.CONDITIONAL_RESULT_NAMES) <= set(results)
        assert len(results["intra_fid_per_class"]) == len(results["class_accuracy_per_class"]) == 10
        assert results["intra_fid"] == pytest.approx(np.mean(results["intra_fid_per_class"]))
        assert 0 <= results["class_accuracy"] <= 1
    assert report["metrics"]["intra_fid"] > 0
    assert report["conditional"] == {
        "num_classes": 10, "num_samples": 1000,
        "class_names": list(data.FASHION_MNIST_CLASSES), "skipped": {},
    }  # fmt: skip

    result = run_script_with_test_models(
        "evaluate.py", *common, "--metrics=kid1k", "--noreal_floor", "--noconditional_metrics"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((model_path.parent / "metrics.json").read_text())
    assert set(report["metrics"]) == {"kid1k", "kid1k_std"} and "conditional" not in report
    assert "intra_fid" not in result.stdout


def test_evaluate_cli_unknown_metric_lists_valid_names(tmp_path):
    result = run_evaluate(f"--model_path={tmp_path / 'absent.keras'}", "--metrics=fid10k,fid3")
    assert_one_line_error(result, "unknown metric 'fid3'", "fid10k", "pr50k3")


def test_evaluate_cli_refuses_a_folder_as_an_output_file(tmp_path):
    result = run_evaluate("--network=dcgan_fashion_mnist", f"--metrics_json={tmp_path}")
    assert_one_line_error(result, f"--metrics_json={tmp_path} is a folder; pass a file path")


def test_evaluate_cli_needs_exactly_one_source(tmp_path):
    result = run_evaluate(f"--workdir={tmp_path}", "--pretrained=dcgan_fashion_mnist")
    assert_one_line_error(result, "pass the model as --network=NAME_OR_PATH")


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


def _saved(tmp_path, name, **kwargs):
    import zoo

    gan = zoo.build(name, image_shape=(32, 32, 1), latent_dim=8, **kwargs)
    gan.compile()
    gan.save(tmp_path / f"{name}.keras")
    return tmp_path / f"{name}.keras", gan


@pytest.mark.skipif(not extractors.CLASSIFIER_FILE.exists(), reason="no shipped classifier")
def test_evaluate_cli_truncation_psi_samples_and_is_recorded_with_the_metrics(
    fake_fashion_mnist, tmp_path
):
    path, gan = _saved(tmp_path, "stylegan", w_dim=8, max_channels=8, channel_base=32)
    gan.w_average().assign(np.ones(8, "float32"))  # psi 0 then draws one image
    gan.sampling_generator.get_layer("w_avg").average.assign(gan.w_average())
    gan.save(path)

    result = run_evaluate(
        f"--model_path={path}", "--truncation_psi=0", "--metrics=fid1k",
        f"--data_dir={fake_fashion_mnist}", f"--output={tmp_path / 'grid.png'}",
        f"--metrics_json={tmp_path / 'metrics.json'}", env={"GAN_ZOO_CACHE": str(tmp_path)},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["truncation_psi"] == 0.0
    grid = np.asarray(Image.open(tmp_path / "grid.png"))
    tile = grid[2:34, 2:34]
    assert np.array_equal(grid[2:34, 36:68], tile)  # psi 0: every sample the same


def test_evaluate_cli_truncation_psi_on_a_family_without_it_fails_in_one_line(tmp_path):
    path, _ = _saved(tmp_path, "dcgan", base_filters=2)

    result = run_evaluate(f"--model_path={path}", "--truncation_psi=0.5", "--metrics=")

    assert_one_line_error(result, "no truncation")
