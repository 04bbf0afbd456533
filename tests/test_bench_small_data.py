"""bench/small_data.py: its table (the runs themselves are a benchmark, not a test)."""

from bench import small_data


def _row(family, size, augment, fid, minutes=10.0):
    metrics = {"fid10k": fid, "is10k": 7.0, "kid10k": 0.01}
    floor = {"fid10k": 0.07, "is10k": 8.58, "kid10k": 0.001}
    return {"family": family, "size": size, "augment": augment, "steps": 1000,
            "minutes": minutes, "precision": "float32", "metrics": metrics,
            "real_floor": floor}  # fmt: skip


def test_the_table_orders_rows_and_compares_each_augmentation_with_none_at_its_budget():
    rows = [
        _row("sagan", 1000, "ada", 12.0),
        _row("dcgan", 1000, "ada", 9.0, minutes=30.0),
        _row("dcgan", 1000, "diffaugment", 6.0),
        _row("dcgan", 1000, "none", 10.0),
        _row("dcgan", 1000, "none", 15.0, minutes=30.0),
        _row("dcgan", 5000, "none", 4.0),
        _row("sagan", 1000, "none", 20.0),
    ]

    copying = {1000: {"fid10k": 3.5, "is10k": 8.1, "kid10k": 0.004}}
    lines = small_data.table(rows, copying).splitlines()

    body = [line for line in lines[2:] if not line.startswith(("| real", "| copying"))]
    assert [line.split(" | ")[:4] for line in body] == [
        ["| DCGAN", "1,000", "10", "none"], ["| DCGAN", "1,000", "10", "diffaugment"],
        ["| DCGAN", "1,000", "30", "none"], ["| DCGAN", "1,000", "30", "ada"],
        ["| DCGAN", "5,000", "10", "none"],
        ["| SAGAN", "1,000", "10", "none"], ["| SAGAN", "1,000", "10", "ada"],
    ]  # fmt: skip
    assert body[1].endswith("| -40% |") and body[3].endswith("| -40% |")
    assert body[6].endswith("| -40% |")
    assert body[0].endswith("|  |")
    assert lines[-2].startswith("| real test images (floor) |")
    assert body[0].split(" | ")[4:7] == ["1,000", "float32", "10.00"]
    copied = "| copying the 1,000 training images | 1,000 | | | | | 3.50 | 8.10 | 0.004 | |"
    assert lines[-1] == copied


def test_the_grids_figure_shows_each_setting_of_its_size_at_the_longest_budget(tmp_path):
    import numpy as np
    from PIL import Image

    rows = [_row("dcgan", 1000, "none", 10.0), _row("dcgan", 1000, "ada", 6.0, minutes=30.0),
            _row("dcgan", 1000, "none", 9.0, minutes=30.0), _row("dcgan", 5000, "none", 4.0),
            _row("sagan", 1000, "none", 20.0, minutes=30.0)]  # fmt: skip
    for row in rows:
        pixels = np.full((34, 34), 40 * len(row["augment"]), np.uint8)
        name = small_data.grid_name(row["family"], row["size"], row["augment"], row["minutes"])
        Image.fromarray(pixels).save(tmp_path / name)
    output = tmp_path / "grids.png"

    small_data.grids_figure(rows, tmp_path, output, 1000)

    width, height = Image.open(output).size
    assert (width, height) == (2 * 260, 2 * 280)  # 2 families x 2 settings, 1,000 images, 30 min


def test_the_summary_shows_each_sizes_longest_budget_and_marks_the_best_augmentation():
    rows = [
        _row("dcgan", 1000, "none", 10.0, minutes=30.0),
        _row("dcgan", 1000, "diffaugment", 8.0, minutes=30.0),
        _row("dcgan", 1000, "ada", 5.0, minutes=30.0),
        _row("dcgan", 1000, "ada", 1.0),  # a shorter budget: not shown
        _row("dcgan", 5000, "none", 4.0),  # 5,000 images ran for 10 minutes only
        _row("sagan", 1000, "none", 20.0, minutes=30.0),
    ]

    copying = {1000: {"fid10k": 3.5}, 5000: {"fid10k": 1.25}}
    lines = small_data.summary(rows, copying).splitlines()

    assert lines[0].startswith("| fid10k | 1,000, 30 min: none | 1,000, 30 min: diffaugment |")
    assert "| 5,000, 10 min: none |" in lines[0]
    assert lines[2] == "| DCGAN | 10.00 | 8.00 | 5.00 (-50%) | 4.00 |  |  |"
    assert lines[3] == "| SAGAN | 20.00 |  |  |  |  |  |"
    assert lines[4] == "| copying the training images | 3.50 |  |  | 1.25 |  |  |"
    assert len(small_data.summary(rows).splitlines()) == 4  # no copying row without floors


def test_a_pass_over_one_size_keeps_the_copying_floor_of_every_size_in_the_table():
    rows = [_row("dcgan", 1000, "none", 10.0), _row("dcgan", 5000, "none", 4.0)]

    assert small_data.floor_sizes(rows, ["5000"]) == [1000, 5000]
    assert small_data.floor_sizes([], ["5000", "1000"]) == [1000, 5000]
