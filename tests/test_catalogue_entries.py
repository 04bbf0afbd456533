"""Each shipped catalogue entry scores as its card says (slow: `make test-slow`).

The card's metrics came from `evaluate.py` on the entry's samples of seed 0.
Here the loaded preset is scored again on 2,000 samples of another seed: the
same model, other samples, so the numbers agree within 2,000 samples' noise.
The 2-D entries cover every mode of their mixture.
"""

import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from zoo.loading import pretrained

pytestmark = pytest.mark.slow


def _entries(kind):
    if not pretrained._CHECKOUT_DIR.is_dir():
        return []
    names = pretrained.list_pretrained()
    return [
        n
        for n in names
        if ("fid2k" in (pretrained.card(n).get("metrics") or {})) == (kind == "images")
    ]


def _evaluate(name, tmp_path, *flags):
    report = tmp_path / "metrics.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "evaluate.py"), f"--pretrained={name}", "--seed=1",
         f"--metrics_json={report}", f"--output={tmp_path / 'grid.png'}", *flags],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(report.read_text())


@pytest.mark.parametrize("name", _entries("images"))
def test_image_entry_rescored_on_2000_samples_matches_its_card(name, tmp_path):
    card = pretrained.card(name)["metrics"]

    scored = _evaluate(name, tmp_path, "--metrics=fid2k,is2k,kid2k")["metrics"]

    # Other samples of the same model: FID within 15% (and 0.3), IS within 3 of its std.
    assert scored["fid2k"] == pytest.approx(card["fid2k"], rel=0.15, abs=0.3)
    assert abs(scored["is2k"] - card["is2k"]) <= 3 * max(card["is2k_std"], 0.05)
    assert scored["kid2k"] == pytest.approx(card["kid2k"], abs=3 * card["kid2k_std"] + 0.005)


@pytest.mark.parametrize("name", _entries("points"))
def test_mixture_entry_covers_every_mode(name, tmp_path):
    modes = _evaluate(name, tmp_path)["modes"]

    assert modes["num_modes_covered"] == modes["num_modes"]
