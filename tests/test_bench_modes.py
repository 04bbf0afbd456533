"""bench/modes.py: runs, tables and resumes (with runs far too short to learn)."""

import json

from tests.helpers import assert_one_line_error, run_script

TINY = ["--steps=50", "--seeds=0,1", "--configs=gan_ns", "--datasets=ring8", "--num_samples=100",
        "--batch_size=32"]  # fmt: skip


def test_mode_benchmark_writes_rows_and_table_and_skips_finished_runs(tmp_path):
    output = tmp_path / "modes.md"

    first = run_script("bench/modes.py", *TINY, f"--output={output}")

    assert first.returncode == 0, first.stderr
    rows = json.loads(output.with_suffix(".json").read_text())
    assert sorted((r["config"], r["dataset"], r["seed"]) for r in rows) == [
        ("gan_ns", "ring8", 0),
        ("gan_ns", "ring8", 1),
    ]
    for row in rows:
        assert row["num_modes"] == 8
        assert 0 <= row["num_modes_covered"] <= 8
        assert sum(row["samples_per_mode"]) == round(100 * row["high_quality_fraction"])
    table = output.read_text()
    assert "GAN, non-saturating (ours, 2 seeds)" in table
    assert "PacGAN4 (PacGAN Table 1)" in table
    assert "| real data (floor) | 8 |" in table
    assert (tmp_path / "logs" / "gan_ns_ring8_0.log").exists()
    assert (tmp_path / "logs" / "gan_ns_ring8_0.png").stat().st_size > 0

    # Seed 0 of gan_ns is done; its seed 2 is new, and so are a configuration
    # with packing and a learning-rate decay and one trained twice as long.
    more = ["--seeds=0,2", "--configs=gan_ns,gan_pac2_ema_decay,gan_ns_ema_decay_2x"]
    again = run_script("bench/modes.py", *TINY, *more, f"--output={output}")

    assert again.returncode == 0, again.stderr
    assert "5 runs to train (2 already in" in again.stdout
    rows = json.loads(output.with_suffix(".json").read_text())
    assert sorted((r["config"], r["seed"], r["steps"]) for r in rows[2:]) == [
        ("gan_ns", 2, 50),
        ("gan_ns_ema_decay_2x", 0, 100),
        ("gan_ns_ema_decay_2x", 2, 100),
        ("gan_pac2_ema_decay", 0, 50),
        ("gan_pac2_ema_decay", 2, 50),
    ]
    table = output.read_text()
    assert "linear lr decay (ours, 2 seeds)" in table
    assert "twice the steps (ours, 2 seeds)" in table
    assert "GAN, non-saturating (ours, 3 seeds)" in table


def test_mode_benchmark_rejects_unknown_configurations():
    result = run_script("bench/modes.py", "--configs=gan_ns,pacgan")

    assert_one_line_error(result, "pacgan", "gan_minimax")
