"""zoo.metrics.modes: the VEEGAN/PacGAN mode-coverage protocol on ring8 and grid25."""

import math

import numpy as np
import pytest

from zoo.core.errors import ZooError
from zoo.data import MIXTURE_STDDEV, load_dataset, mixture_means
from zoo.metrics.modes import as_json, format_report, mode_statistics, real_data_statistics

# Share of a 2-D Gaussian within 3 standard deviations: P(chi2_2 <= 9).
REAL_HIGH_QUALITY = 1.0 - math.exp(-9.0 / 2.0)


def _real_samples(name, num_samples=2500, seed=0):
    dataset, _ = load_dataset(name, batch_size=num_samples, seed=seed)
    samples, _ = next(iter(dataset))
    return samples


@pytest.mark.parametrize("name, num_modes", [("ring8", 8), ("grid25", 25)])
def test_mode_statistics_of_real_samples_cover_every_mode_at_98_9_percent(name, num_modes):
    stats = mode_statistics(_real_samples(name), name)

    assert (stats.num_modes_covered, stats.num_modes) == (num_modes, num_modes)
    # Binomial standard error at 2,500 samples: about 0.002.
    assert stats.high_quality_fraction == pytest.approx(REAL_HIGH_QUALITY, abs=0.01)
    assert stats.kl_to_uniform < 0.02
    assert stats.samples_per_mode.sum() == round(stats.high_quality_fraction * 2500)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mode_statistics_of_samples_at_one_mean_cover_one_mode(name):
    means = mixture_means(name)
    samples = np.repeat(means[3:4], 100, axis=0)

    stats = mode_statistics(samples, name)

    assert stats.num_modes_covered == 1
    assert stats.high_quality_fraction == 1.0
    assert stats.samples_per_mode[3] == 100
    # All mass on one of K modes: KL(p || uniform) = log K, its maximum.
    assert stats.kl_to_uniform == pytest.approx(math.log(len(means)))


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mode_statistics_of_uniform_assignment_has_zero_kl(name):
    samples = np.repeat(mixture_means(name), 7, axis=0)

    stats = mode_statistics(samples, name)

    assert stats.num_modes_covered == stats.num_modes
    assert stats.kl_to_uniform == pytest.approx(0.0, abs=1e-12)


def test_mode_statistics_golden_values_on_grid25():
    means = mixture_means("grid25")
    stddev = MIXTURE_STDDEV["grid25"]
    samples = np.concatenate(
        [
            np.repeat(means[:1], 3, axis=0),  # 3 high-quality samples at mode 0
            means[1:2] + [2.9 * stddev, 0.0],  # 1 high-quality sample at mode 1
            means[2:3] + [3.1 * stddev, 0.0],  # low quality: beyond 3 std
            [[1.0, 1.0]],  # low quality: halfway between four modes
        ]
    )

    stats = mode_statistics(samples, "grid25")

    assert stats.num_modes_covered == 2
    assert stats.high_quality_fraction == pytest.approx(4 / 6)
    # p = (3/4, 1/4, 0, ...): sum p log(25 p), empty modes contribute 0.
    expected = 0.75 * math.log(25 * 0.75) + 0.25 * math.log(25 * 0.25)
    assert stats.kl_to_uniform == pytest.approx(expected)


def test_mode_statistics_without_high_quality_samples_has_nan_kl():
    stats = mode_statistics(np.full((10, 2), 1.0), "grid25")

    assert (stats.num_modes_covered, stats.high_quality_fraction) == (0, 0.0)
    assert math.isnan(stats.kl_to_uniform)


@pytest.mark.parametrize(
    "samples, name",
    [
        (np.zeros((4, 2)), "fashion_mnist"),
        (np.zeros((4, 3)), "grid25"),
        (np.zeros((4,)), "ring8"),
        (np.zeros((0, 2)), "ring8"),
    ],
    ids=["not_a_mixture", "3d_points", "rank_1", "empty"],
)
def test_mode_statistics_bad_input_raises_zoo_error(samples, name):
    with pytest.raises(ZooError):
        mode_statistics(samples, name)


@pytest.mark.parametrize("name, num_modes", [("ring8", 8), ("grid25", 25)])
def test_real_data_statistics_is_the_floor_and_depends_on_its_seed(name, num_modes):
    floor = real_data_statistics(name)
    other = real_data_statistics(name, seed=1)

    assert floor.num_modes_covered == num_modes
    assert floor.high_quality_fraction == pytest.approx(REAL_HIGH_QUALITY, abs=0.01)
    assert floor.samples_per_mode.sum() == round(floor.high_quality_fraction * 2500)
    assert not np.array_equal(floor.samples_per_mode, other.samples_per_mode)


def test_format_report_puts_model_beside_floor_and_as_json_is_plain():
    means = mixture_means("ring8")
    collapsed = mode_statistics(np.repeat(means[:1], 100, axis=0), "ring8")
    floor = real_data_statistics("ring8")

    report = format_report(collapsed, floor)

    lines = report.splitlines()
    assert "real data (floor)" in lines[0]
    assert lines[1].split()[-2:] == ["1/8", "8/8"]
    assert lines[2].split()[-2] == "100.0%"
    assert lines[3].split()[-2] == f"{math.log(8):.3f}"
    assert as_json(collapsed)["samples_per_mode"] == [100, 0, 0, 0, 0, 0, 0, 0]
    assert "floor" not in format_report(collapsed)
