"""Does a generator copy its training images? Nearest-neighbour distances in the
extractor's feature space.

FID, KID and IS compare a model's samples with the training split, so a model that
reproduced its training images would score as well as the data itself. Unseen real
images (the test split) say how far a new image usually lies from its nearest
training image; a model whose samples lie much nearer than that is copying. The
reading is the one of Meehan et al. 2020's data-copying test, simplified to two
numbers: the ratio of the median distances, and the share of samples nearer to the
training set than all but `quantile` of the test images are.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class CopyStatistics:
    """Nearest-training-image distances of samples against those of unseen real images.

    Attributes:
        median_ratio: median sample distance / median test distance (about 1 for a
            model that makes new images like the data's; well under 1 when it copies).
        near_share: share of samples nearer than the test images' `quantile`
            distance (about `quantile` for new images).
        quantile: the test quantile `near_share` counts below.
        sample_distances, test_distances: each image's distance to its nearest
            training image.
        sample_neighbours: index of each sample's nearest training image.
    """

    median_ratio: float
    near_share: float
    quantile: float
    sample_distances: np.ndarray
    test_distances: np.ndarray
    sample_neighbours: np.ndarray


def nearest_neighbours(queries, keys, chunk=2048):
    """`(indices, distances)`: each query row's nearest row of `keys` (Euclidean).

    Computed in chunks of queries from squared norms and one matrix product each,
    so 10,000 queries against 60,000 keys stay within a few hundred MB.
    """
    queries = np.asarray(queries, np.float32)
    keys = np.asarray(keys, np.float32)
    key_norms = np.einsum("ij,ij->i", keys, keys)
    indices, distances = [], []
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk]
        block_norms = np.einsum("ij,ij->i", block, block)
        squared = block_norms[:, None] + key_norms[None] - 2 * block @ keys.T
        nearest = np.argmin(squared, axis=1)
        indices.append(nearest)
        # Rounding can make a copy's squared distance slightly negative.
        distances.append(np.sqrt(np.maximum(squared[np.arange(len(block)), nearest], 0)))
    return np.concatenate(indices), np.concatenate(distances)


def copy_statistics(samples, test, train, quantile=0.01):
    """`CopyStatistics` of `samples`' and `test`'s features against `train`'s.

    Args:
        samples: float `(N, D)` features of generated images.
        test: float `(M, D)` features of real images the model never saw.
        train: float `(K, D)` features of the training images.
        quantile: the test distance below which a sample counts as near.
    """
    sample_neighbours, sample_distances = nearest_neighbours(samples, train)
    _, test_distances = nearest_neighbours(test, train)
    threshold = np.quantile(test_distances, quantile)
    return CopyStatistics(
        median_ratio=float(np.median(sample_distances) / np.median(test_distances)),
        near_share=float(np.mean(sample_distances < threshold)),
        quantile=quantile,
        sample_distances=sample_distances,
        test_distances=test_distances,
        sample_neighbours=sample_neighbours,
    )
