"""Mode coverage of samples from the 2-D mixtures `ring8` and `grid25`.

The protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018):
each sample is assigned to its nearest mixture mean; it is high quality when it
lies within 3 standard deviations of that mean; a mode is covered when at least
one high-quality sample is assigned to it. Papers report these over 2,500
samples, as mean and standard error over >= 5 seeds.

On real data 1 - exp(-9/2) = 98.9% of the samples are high quality: the squared
distance of a 2-D Gaussian sample from its mean, in units of the standard
deviation, is chi-squared with 2 degrees of freedom, and
P(chi2_2 <= 3^2) = 1 - exp(-3^2 / 2).
"""

import dataclasses
import math

import numpy as np

from zoo.core.errors import ZooError
from zoo.data import MIXTURE_STDDEV, load_dataset, mixture_means

# A sample further than this many standard deviations from its nearest mean is
# low quality (VEEGAN, PacGAN).
NUM_STDDEVS = 3.0
# Samples scored per run in the papers' protocol.
NUM_SAMPLES = 2_500


# eq=False: the array field has no single truth value.
@dataclasses.dataclass(frozen=True, eq=False)
class ModeStatistics:
    """The mode-coverage numbers of one set of samples.

    Attributes:
        num_modes_covered: modes with at least one high-quality sample.
        num_modes: modes of the mixture (8 or 25).
        high_quality_fraction: share of the samples within 3 standard
            deviations of their nearest mean, in [0, 1].
        kl_to_uniform: KL(p || uniform), where p is the share of the
            high-quality samples at each mode; in [0, log(num_modes)], 0 when
            the modes are hit equally, log(num_modes) when all samples sit at
            one mode. Modes with no sample contribute 0 (0 log 0 = 0), so the
            value stays finite; it is NaN when no sample is high quality, as p
            is then undefined.
        samples_per_mode: int array `(num_modes,)`, the high-quality samples
            assigned to each mode, in the order of `zoo.data.mixture_means`.
    """

    num_modes_covered: int
    num_modes: int
    high_quality_fraction: float
    kl_to_uniform: float
    samples_per_mode: np.ndarray


def mode_statistics(samples, dataset_name):
    """Scores 2-D samples against the mixture `dataset_name`.

    Args:
        samples: float array `(N, 2)` (numpy or tensor), in the data's
            coordinates, as the mixture pipelines of `zoo.data` produce them.
        dataset_name: `"ring8"` or `"grid25"`.

    Returns:
        A `ModeStatistics`.

    Raises:
        ZooError: for another dataset or samples that are not `(N, 2)`, N > 0.

    Example:
        >>> stats = mode_statistics(gan.generate(2500, seed=0), "grid25")
        >>> stats.num_modes_covered, stats.high_quality_fraction

    Reference:
        Srivastava et al. 2017 (VEEGAN), https://arxiv.org/abs/1705.07761;
        Lin et al. 2018 (PacGAN), https://arxiv.org/abs/1712.04086
    """
    if dataset_name not in MIXTURE_STDDEV:
        raise ZooError(
            f"mode statistics need a 2-D mixture ({', '.join(sorted(MIXTURE_STDDEV))}), "
            f"got {dataset_name!r}"
        )
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ZooError(f"samples must have shape (N, 2) with N > 0, got {samples.shape}")
    means = mixture_means(dataset_name).astype(np.float64)

    distances = np.linalg.norm(samples[:, None, :] - means[None, :, :], axis=-1)  # (N, K)
    nearest = np.argmin(distances, axis=1)
    high_quality = distances[np.arange(len(samples)), nearest] <= (
        NUM_STDDEVS * MIXTURE_STDDEV[dataset_name]
    )
    counts = np.bincount(nearest[high_quality], minlength=len(means))

    return ModeStatistics(
        num_modes_covered=int(np.count_nonzero(counts)),
        num_modes=len(means),
        high_quality_fraction=float(np.mean(high_quality)),
        kl_to_uniform=_kl_to_uniform(counts),
        samples_per_mode=counts,
    )


def _kl_to_uniform(counts):
    """KL(counts / sum || uniform) with 0 log 0 = 0; NaN for no counts."""
    total = counts.sum()
    if total == 0:
        return math.nan
    p = counts[counts > 0] / total
    return float(np.sum(p * np.log(p * len(counts))))


def real_data_statistics(dataset_name, num_samples=NUM_SAMPLES, seed=0):
    """The floor: `num_samples` points of the mixture itself, scored like samples.

    Every mode covered, about 98.9% high quality and a KL near 0 (it is not
    exactly 0 for a finite sample).
    """
    batches, _ = load_dataset(dataset_name, batch_size=num_samples, seed=seed)
    points, _ = next(iter(batches))
    return mode_statistics(points.numpy(), dataset_name)


def as_json(stats):
    """A `ModeStatistics` as plain JSON types."""
    return {**dataclasses.asdict(stats), "samples_per_mode": stats.samples_per_mode.tolist()}


def format_report(stats, floor=None):
    """The three numbers of `stats` as a small table, beside `floor` if given."""
    columns = [("model", stats)] + ([("real data (floor)", floor)] if floor else [])
    rows = [
        ("modes covered", lambda s: f"{s.num_modes_covered}/{s.num_modes}"),
        ("high-quality samples", lambda s: f"{100 * s.high_quality_fraction:.1f}%"),
        ("KL(modes || uniform)", lambda s: f"{s.kl_to_uniform:.3f}"),
    ]
    lines = [f"{'':22}" + "".join(f"{name:>20}" for name, _ in columns)]
    for label, cell in rows:
        lines.append(f"{label:22}" + "".join(f"{cell(s):>20}" for _, s in columns))
    return "\n".join(lines)
