"""bench/timed.py: the probed rates that turn a wall-clock budget into steps."""

import json

import pytest
import tensorflow as tf

from bench import timed
from zoo.core.errors import ZooError


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


def test_steps_for_seconds_fills_each_phase_at_its_own_rate():
    # 100 steps at 10/s (10 s), 50 at 5/s (10 s), then 2/s until the end.
    lengths, rates = [100, 50, None], [10.0, 5.0, 2.0]
    assert timed.steps_for_seconds(5, lengths, rates) == 50
    assert timed.steps_for_seconds(15, lengths, rates) == 125
    assert timed.steps_for_seconds(30, lengths, rates) == 150 + 20
    # A run whose phases all end in time stops at their end.
    assert timed.steps_for_seconds(100, [100, 50], [10.0, 5.0]) == 150


def _write_rates(logdir, rates_by_step):
    writer = tf.summary.create_file_writer(str(logdir))
    with writer.as_default():
        for step, rate in rates_by_step.items():
            tf.summary.scalar("images_per_second", rate, step=step)
            tf.summary.scalar("d_loss", 1.0, step=step)
    writer.close()


def test_phase_probe_takes_each_phases_median_without_its_first_window(tmp_path, monkeypatch):
    # Two phases of 60 steps logged every 20: each phase's first window (tracing) is slow.
    logged = {20: 1.0, 40: 640.0, 60: 660.0, 80: 2.0, 100: 320.0, 120: 320.0}
    calls = []

    def fake_train_py(workdir, *args):
        calls.append(args)
        _write_rates(tmp_path / "run" / "logs", logged)

    monkeypatch.setattr(timed, "train_py", fake_train_py)
    rates = timed.probe_phase_steps_per_second(tmp_path / "run", 60, 2, 64, "--model=progan")

    assert rates == [650.0 / 64, 320.0 / 64]
    assert "--steps=120" in calls[0] and "--log_every=20" in calls[0]
    assert timed.logged_values(tmp_path / "run" / "logs", "d_loss") == dict.fromkeys(logged, 1.0)


def test_phase_probe_refuses_phases_too_short_to_time(tmp_path):
    with pytest.raises(ZooError, match="multiple of 20"):
        timed.probe_phase_steps_per_second(tmp_path, 30, 7, 64)
