"""What the benchmarks share: JSON rows beside the Markdown table made from them.

Each finished run is one row of `<output>.json`; the table `<output>` is rebuilt
from the rows after each, so a benchmark can run one family at a time and an
interrupted one keeps what it finished. Both files are written atomically.
"""

import json
import pathlib

from zoo.core.errors import ZooError
from zoo.core.files import write_text_atomically


def check_families(requested, known):
    """Refuses in one line a family the benchmark does not know."""
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise ZooError(f"unknown families {unknown}; valid: {', '.join(known)}")


def read_rows(output):
    """`(output path, the rows of <output>.json so far)`; makes the output's folder."""
    output = pathlib.Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    json_path = output.with_suffix(".json")
    return output, (json.loads(json_path.read_text()) if json_path.exists() else [])


def write_rows(rows, output, text):
    """Writes the rows to `<output>.json` and the table `text` to `output`; returns `text`."""
    output = pathlib.Path(output)
    write_text_atomically(output.with_suffix(".json"), json.dumps(rows, indent=1) + "\n")
    write_text_atomically(output, text)
    return text
