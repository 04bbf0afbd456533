"""The command lines (absl): train, evaluate, export, generate.

Each module parses its flags and calls the library; `run()` is its entry point,
installed as a console script (`gan-zoo-train`, ...) and called by the
checkout's `train.py`, `evaluate.py`, `export.py` and `generate.py`.
"""
