"""The catalogue's learning curves: FID against images seen, and against CPU time.

    python scripts/plot_learning_curves.py          # -> docs/catalogue/learning_curves.png

Each image entry's card holds its run's `--eval_every` points (fid10k of 10,000
samples, the shipped classifier). The left panel puts every family on one
axis of images seen (log scale); the right one converts images to CPU-minutes
at each family's `make bench` throughput (the rate its budget was counted at),
which answers "which family for my budget?". The real-data floor is the
dashed line.
"""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402
import matplotlib.ticker  # noqa: E402

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


if __name__ == "__main__":
    main()
