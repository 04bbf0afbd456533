"""bench/timed.py: the probed rates that turn a wall-clock budget into steps."""

import json

from bench import timed


def test_probed_rates_probe_only_the_keys_not_measured_and_keep_them(tmp_path, monkeypatch):
    rates_path = tmp_path / "rates.json"
    rates_path.write_text(json.dumps({"dcgan_none": 7.5}))
    probed = []

    def fake_probe(workdir, seconds, batch_size, *args):
        probed.append((workdir, seconds, batch_size, args))
        return 3.25

    monkeypatch.setattr(timed, "probe_steps_per_second", fake_probe)
    probes = {"dcgan_none": ("w1", ["--model=dcgan"]), "sagan_ada": ("w2", ["--model=sagan"])}

    rates = timed.probed_rates(rates_path, probes, 90.0, 64)

    assert rates == {"dcgan_none": 7.5, "sagan_ada": 3.25}
    assert probed == [("w2", 90.0, 64, ("--model=sagan",))]
    assert json.loads(rates_path.read_text()) == rates
    assert timed.probed_rates(rates_path, probes, 90.0, 64) == rates and len(probed) == 1
