"""What the zoo holds, from the command line.

python -m zoo                  # the families and the pretrained catalogue
python -m zoo families         # one line per family
python -m zoo catalogue        # each entry's size and metrics beside the real-data floor
python -m zoo args stylegan    # a family's constructor arguments: default, accepted values
python -m zoo download fashion_mnist [--url=MIRROR] [--to=FOLDER]
                               # the default dataset, for users without Debian's package
"""

import inspect
import pathlib
import sys
import textwrap

from zoo.core import registry
from zoo.core.errors import ZooError
from zoo.loading import pretrained

USAGE = (
    "usage: python -m zoo [families | catalogue | args FAMILY | download fashion_mnist "
    "[--url=MIRROR] [--to=FOLDER]]"
)
CATALOGUE_METRICS = (("fid10k", "{:.2f}"), ("is10k", "{:.2f}"), ("kid10k", "{:.3f}"),
                     ("pr10k3_precision", "{:.2f}"), ("pr10k3_recall", "{:.2f}"))  # fmt: skip


def families():
    lines = ["Families (python train.py --model=NAME; python -m zoo args NAME):"]
    for name in registry.list_models():
        summary = inspect.getdoc(registry.get_model_class(name)).splitlines()[0]
        lines.append(f"  {name:<12} {summary}")
    return "\n".join(lines)


def catalogue():
    rows = pretrained.catalogue_table()
    if not rows:
        return f"Pretrained catalogue: empty ({pretrained.pretrained_dir()} holds no preset)."
    names = [name for name, _ in CATALOGUE_METRICS]
    header = f"  {'name':<28} {'size':>8}  " + "  ".join(f"{n:>8}" for n in _short(names))
    lines = ["Pretrained catalogue (zoo.load(NAME)):", header]
    floor = None
    for row in rows:
        metrics = row["metrics"] or {}
        if "num_modes" in metrics:
            cells = f"modes {metrics['num_modes_covered']}/{metrics['num_modes']}, " + (
                f"{100 * metrics['high_quality_fraction']:.1f}% high quality"
            )
        else:
            cells = "  ".join(_cell(metrics, n, f) for n, f in CATALOGUE_METRICS)
            floor = floor or (row["real_floor"] if "fid10k" in (row["real_floor"] or {}) else None)
        lines.append(f"  {row['name']:<28} {row['bytes'] / 1e6:>6.1f}MB  {cells}")
    if floor:
        cells = "  ".join(_cell(floor, n, f) for n, f in CATALOGUE_METRICS)
        lines.append(f"  {'real test images (floor)':<28} {'':>8}  {cells}")
    return "\n".join(lines)


def _short(names):
    return [n.replace("pr10k3_", "") for n in names]


def _cell(metrics, name, fmt):
    value = metrics.get(name)
    return f"{fmt.format(value):>8}" if isinstance(value, (int, float)) else f"{'':>8}"


def arguments(family):
    lines = [f"{family} ({registry.get_model_class(family).__name__}) constructor arguments "
             f"(--model_kwargs=NAME=VALUE,...):"]  # fmt: skip
    for argument in registry.family_arguments(family):
        default = "required" if argument.default is inspect.Parameter.empty else argument.default
        lines.append(f"  {argument.name} = {default!r}    ({argument.accepts})")
        if argument.doc:
            lines += textwrap.wrap(argument.doc, 96, initial_indent=" " * 6,
                                   subsequent_indent=" " * 6)  # fmt: skip
    return "\n".join(lines)


def download(options):
    """`download fashion_mnist [--url=...] [--to=...]`: the files, checked, where the zoo looks."""
    from zoo.data import download as downloads  # urllib only; no TensorFlow work
    from zoo.data import fashion_mnist

    values = dict(option.removeprefix("--").partition("=")[::2] for option in options)
    if not set(values) <= {"url", "to"} or not all(values.values()):
        raise ZooError(f"download takes --url=MIRROR and --to=FOLDER; {USAGE}")
    folder = pathlib.Path(values.get("to") or fashion_mnist.download_dir())
    downloads.download_fashion_mnist(folder, values.get("url", downloads.MIRROR))
    note = "" if folder == fashion_mnist.fashion_mnist_dir() else (
        f"; point ${fashion_mnist.FASHION_MNIST_ENV} or --data_dir at it"
    )  # fmt: skip
    return f"Fashion-MNIST is in {folder}{note}"


def main(argv):
    if not argv:
        return families() + "\n\n" + catalogue()
    command, rest = argv[0], argv[1:]
    if command == "families" and not rest:
        return families()
    if command == "catalogue" and not rest:
        return catalogue()
    if command == "args" and len(rest) == 1:
        return arguments(rest[0])
    if command == "download" and rest[:1] == ["fashion_mnist"]:
        return download(rest[1:])
    raise ZooError(f"unknown command {' '.join(argv)!r}; {USAGE}")


if __name__ == "__main__":
    try:
        print(main(sys.argv[1:]))
    except ZooError as e:
        print(f"python -m zoo: error: {e}", file=sys.stderr)
        sys.exit(1)
