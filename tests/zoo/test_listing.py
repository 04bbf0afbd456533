"""`python -m zoo`: the families, the catalogue and a family's arguments."""

import importlib
import subprocess
import sys

import pytest

import zoo
from tests.helpers import ROOT
from zoo.core.errors import ZooError
from zoo.loading import pretrained

listing = importlib.import_module("zoo.__main__")


def test_families_lists_every_family_with_its_summary():
    lines = listing.families().splitlines()[1:]

    assert [line.split()[0] for line in lines] == zoo.list_models()
    assert any("StyleGAN2" in line for line in lines)


def test_args_lists_defaults_accepted_values_and_docs():
    text = listing.arguments("stylegan")

    assert "  w_dim = 128    (a positive integer)" in text
    assert "  modulation = 'demodulate'    (one of demodulate, adain)" in text
    assert "  seed = None    (an integer >= 0, or None for a random seed)" in text
    assert "size of w. Defaults to `128`." in text
    assert "**kwargs" not in text


def test_catalogue_shows_size_and_metrics_beside_the_floor(tmp_path, monkeypatch):
    monkeypatch.setenv(pretrained.PRETRAINED_DIR_ENV, str(tmp_path))
    gan = zoo.build("dcgan", image_shape=(16, 16, 1), latent_dim=4, base_filters=2)
    card = {"metrics": {"fid10k": 3.25, "is10k": 7.5}, "real_floor": {"fid10k": 0.07}}
    zoo.save_preset(gan, tmp_path / "dcgan_fashion_mnist", card=card)

    text = listing.catalogue()

    entry = next(line for line in text.splitlines() if "dcgan_fashion_mnist" in line)
    assert "MB" in entry and "3.25" in entry and "7.50" in entry
    assert "0.07" in next(line for line in text.splitlines() if "floor" in line)


def test_empty_catalogue_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(pretrained.PRETRAINED_DIR_ENV, str(tmp_path))

    assert "empty" in listing.catalogue()


def test_unknown_command_and_family_fail_in_one_line():
    with pytest.raises(ZooError, match=r"unknown command 'nope'; usage: python -m zoo"):
        listing.main(["nope"])
    with pytest.raises(ZooError, match="unknown model 'nope'"):
        listing.main(["args", "nope"])


def test_python_m_zoo_prints_families_and_catalogue():
    result = subprocess.run(
        [sys.executable, "-m", "zoo"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert "Families" in result.stdout and "Pretrained catalogue" in result.stdout
