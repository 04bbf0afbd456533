"""The catalogue's learning curves: FID against images seen, and against CPU time.

    python scripts/plot_learning_curves.py          # -> docs/catalogue/learning_curves.png

Each image entry's card holds its run's `--eval_every` points (fid10k of 10,000
samples, the shipped classifier). The left panel puts every family on one
axis of images seen (log scale); the right one converts images to CPU-minutes
at each family's `make bench` throughput (the rate its budget was counted at),
which answers "which family for my budget?". The real-data floor is the
dashed line. It also prints, for every pair of families, where their curves
cross on each axis within the range both cover (`crossings`), and which leads
at the end of that range.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import itertools  # noqa: E402

import matplotlib  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from zoo.loading import pretrained  # noqa: E402


def curves():
    """`[(name, images, minutes, fids)]` of the entries with a learning curve, and the floor."""
    found, floor = [], None
    for name in pretrained.list_pretrained():
        card = pretrained.card(name)
        points = [p for p in card.get("learning_curve") or [] if "fid10k" in p["results"]]
        rate = (card.get("budget") or {}).get("bench_images_per_second")
        if not points or not rate:
            continue
        images = [p["images"] for p in points]
        found.append((name, images, [i / rate / 60 for i in images],
                      [p["results"]["fid10k"] for p in points]))  # fmt: skip
        floor = floor or (card.get("real_floor") or {}).get("fid10k")
    return found, floor


def crossings(first, second, points=400):
    """Where two curves `(x, fid)` cross, and which is lower at the end of the x range
    both cover: `(xs, leader)`, `leader` 0 for `first`, 1 for `second`, `None` without
    a common range. Both are read on log-log axes, linearly between their points."""
    (x1, y1), (x2, y2) = ((np.log(np.asarray(x, float)), np.log(np.asarray(y, float)))
                          for x, y in (first, second))  # fmt: skip
    low, high = max(x1.min(), x2.min()), min(x1.max(), x2.max())
    if low >= high:
        return [], None
    grid = np.linspace(low, high, points)
    gap = np.interp(grid, x1, y1) - np.interp(grid, x2, y2)  # > 0: second is lower
    changes = np.nonzero(np.diff(np.sign(gap)))[0]
    # Linear between the two grid points around each change of sign.
    xs = [float(np.exp(grid[i] - gap[i] * (grid[i + 1] - grid[i]) / (gap[i + 1] - gap[i])))
          for i in changes]  # fmt: skip
    return xs, int(gap[-1] > 0)


def describe_crossings(found):
    """One line per pair of entries: where they cross in images seen and in CPU-minutes."""
    lines = []
    for first, second in itertools.combinations(found, 2):  # (name, images, minutes, fids)
        parts = []
        for unit, axis in (("images", 1), ("CPU-minutes", 2)):
            xs, leader = crossings((first[axis], first[3]), (second[axis], second[3]))
            if leader is None:
                parts.append(f"no common range of {unit}")
                continue
            where = f"cross at {', '.join(f'{x:,.0f}' for x in xs)}" if xs else "no crossing"
            parts.append(f"by {unit}: {where}; {(first, second)[leader][0]} lower at the end")
        lines.append(f"{first[0]} vs {second[0]}: " + "; ".join(parts))
    return lines


def main(output=ROOT / "docs" / "catalogue" / "learning_curves.png"):
    found, floor = curves()
    if not found:
        raise SystemExit("no catalogue entry has a learning curve yet")
    figure, (by_images, by_minutes) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for name, images, minutes, fids in found:
        by_images.plot(images, fids, marker=".", label=name)
        by_minutes.plot(minutes, fids, marker=".", label=name)
    for axes, label in ((by_images, "real images seen"), (by_minutes, "CPU-minutes (2 cores)")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axes.set_xlabel(label)
        axes.grid(True, which="both", alpha=0.3)
        if floor:
            axes.axhline(floor, color="gray", linestyle="--", label="real data (floor)")
    by_images.set_ylabel("fid10k (shipped classifier)")
    by_minutes.legend(fontsize=8)
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=110)
    print(f"wrote {output}")
    print("\n".join(describe_crossings(found)))


if __name__ == "__main__":
    main()
