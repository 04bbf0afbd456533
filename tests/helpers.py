"""Helpers the test modules share: running entry points, writing IDX files."""

import gzip
import os
import pathlib
import struct
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_script(script, *args, env=None):
    """Runs an entry point (`train.py`, ...) as a user would; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


def assert_one_line_error(result, *fragments):
    """The process failed with exactly one error line holding every fragment, no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(error_lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in error_lines[0], result.stderr


def write_idx(path, array, magic_type=0x08):
    """Writes `array` (uint8) as an IDX file, gzipped if `path` ends in .gz."""
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    payload = header + np.asarray(array, np.uint8).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)
