"""Image datasets of TensorFlow Datasets already prepared on disk (`tfds:<name>`)."""

import tensorflow as tf

from zoo.core.errors import ZooError
from zoo.data.folders import center_crop_resize


def tfds_examples(name, split, size, data_dir):
    builder = _tfds_builder(name, data_dir)
    split_info = _tfds_split(builder, name, split)
    features = builder.info.features
    if "image" not in features:
        raise ZooError(f"TFDS dataset {name!r} has no 'image' feature")
    class_names = tuple(features["label"].names) if "label" in features else ()
    num_classes = len(class_names)
    channels = features["image"].shape[-1] or 3
    try:
        dataset = builder.as_dataset(split=split)
    except (OSError, ValueError, tf.errors.OpError) as e:
        reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise ZooError(f"cannot read TFDS dataset {name!r} split {split!r}: {reason}") from None

    def convert(example):
        image = center_crop_resize(example["image"], size)
        label = tf.cast(example["label"], tf.int32) if num_classes else tf.constant(0, tf.int32)
        return image, label

    return (
        dataset.map(convert, num_parallel_calls=tf.data.AUTOTUNE),
        class_names,
        channels,
        split_info.num_examples,
    )


def _tfds_builder(name, data_dir):
    """The builder of a prepared TFDS dataset, never downloading.

    `tfds.load(download=False)` would do, but it says the same for a
    misspelt name and for a dataset not built yet; the builder tells them
    apart, and reading it never touches the network.
    """
    import tensorflow_datasets as tfds  # Heavy; only TFDS users pay for it.

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ZooError(
            f"TFDS has no dataset {name!r}; list the names with: python -c "
            '"import tensorflow_datasets as tfds; print(tfds.list_builders())"'
        ) from None
    except ValueError as e:  # e.g. a config the dataset does not have
        raise ZooError(f"TFDS cannot open {name!r}: {str(e).splitlines()[0][:140]}") from None
    if not builder.is_prepared():
        root = builder.data_dir_root
        raise ZooError(
            f"TFDS dataset {name!r} is not prepared; with a network run once: "
            f"tfds build {name} --data_dir={root} (or pass the --data_dir that has it)"
        )
    return builder


def _tfds_split(builder, name, split):
    """The `SplitInfo` of `split` (TFDS syntax, e.g. `train[:10%]`), or a ZooError."""
    try:
        return builder.info.splits[split]
    except (KeyError, ValueError):
        splits = ", ".join(builder.info.splits) or "none"
        raise ZooError(f"TFDS dataset {name!r} has no split {split!r}; it has: {splits}") from None
