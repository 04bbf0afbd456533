"""Sample-quality metrics named by protocol: activation extraction + TF-GAN's maths.

A protocol name fixes everything that changes a number: the metric, how many
generated samples (`fid10k` = 10,000), and what they are compared with (the
real train split, all of it). Registered protocols (`PROTOCOLS`):

    fid1k  fid10k  fid50k   Frechet distance of the pooled activations
                            (Heusel et al. 2017), lower is better
    is1k   is10k   is50k    classifier ("Inception") score over 10 splits,
                            mean and std (Salimans et al. 2016), higher is better
    kid1k  kid10k  kid50k   kernel distance, unbiased, with TF-GAN's block
                            estimate of its standard error (Binkowski et al. 2018)
    pr1k3  pr10k3  pr50k3   precision and recall with k=3 nearest-neighbour
                            manifolds (Kynkaanniemi et al. 2019)

The `1k` protocols are for quick looks during training: FID's bias grows as
the sample shrinks, so never compare a `1k` number with a `10k` one.

The maths of FID, IS and KID is TF-GAN's (`*_from_activations`, loaded by
`zoo.metrics.tfgan`); precision and recall, which TF-GAN lacks, are computed here.
The networks that turn images into activations live in `zoo.metrics.extractors`.
The real data's activations (and their mean and covariance) are computed
once per dataset, split, image shape and extractor and cached on disk
(`reference_activations`), with the examples' class labels (`labelled_reference`).

Class-conditional models get two more numbers (`score_conditional`), from the
same generated samples (sample `i` is of class `i % num_classes`):

    intra_fid        FID of each class's samples against the real train
                     images of that class, and its mean over classes (Miyato
                     & Koyama 2018); lower is better. The samples are those of
                     the largest FID protocol asked for, divided over the
                     classes (`fid10k`: 1,000 per class for 10 classes).
    class_accuracy   share of samples that the classifier assigns (argmax of
                     its logits) to the class they were made for; only where
                     the classifier's classes are the dataset's (the shipped
                     Fashion-MNIST classifier on Fashion-MNIST).

The package splits along those seams: `protocols` (names and their registry),
`maths` (the metrics on activations), `reference` (the cached real-data
activations), `scoring` (a model's samples through an extractor, the tables)
and `callback` (TensorBoard during training); everything public is here too.
"""

from zoo.core.cache import CACHE_ENV as CACHE_ENV  # re-exported: older code and tests read it here
from zoo.metrics.callback import (  # noqa: F401
    MetricsCallback,
)
from zoo.metrics.maths import (  # noqa: F401
    class_accuracy,
    class_labels_of,
    conditional_sample_count,
    conditional_skips,
    frechet_distance,
    inception_score,
    intra_class_fid,
    kernel_distance,
    precision_recall,
    score_conditional,
    split_by_class,
)
from zoo.metrics.protocols import (  # noqa: F401
    CACHE_VERSION,
    CLASSIFIER_DATASETS,
    CONDITIONAL_RESULT_NAMES,
    DEFAULT_METRICS,
    IS_SPLITS,
    PR_NEIGHBOURS,
    PROTOCOLS,
    REFERENCE_SHUFFLE_SEED,
    Protocol,
    get_protocols,
)
from zoo.metrics.reference import (  # noqa: F401
    LabelledReference,
    check_image_shape,
    labelled_reference,
    reference_activations,
    reference_key,
    reference_path,
    reference_statistics,
)
from zoo.metrics.scoring import (  # noqa: F401
    copying_floor,
    evaluate_model,
    format_class_table,
    format_table,
    generated_activations,
    generated_batches,
    real_data_floor,
    score,
)
