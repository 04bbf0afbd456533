"""Running on `tf.distribute`: the strategies `train.py --strategy` names, and the
replica-aware helpers that the models' training steps use.

Keras runs `train_step` once per replica (`strategy.run`) on the replica's
share of the global batch, and its TensorFlow optimizers *sum* the replicas'
gradients. The helpers here keep a step's result the same whatever the number
of replicas:

- `replica_scale()` is the factor `1 / replicas` that `GAN.minimize` puts on
  each replica's gradients, so their sum is the gradient of the global batch's
  mean loss;
- `replica_mean(x)` averages a value over the replicas (a batch statistic
  that a state update needs, such as StyleGAN's mean path length);
- `assign_state(pairs)` writes state that the training step keeps besides the
  optimizers' (the EMA generator, spectral-norm vectors, running averages) once,
  with the same value on every replica, where a plain `assign` on a mirrored
  variable inside a replica fails;
- `replica_slice(draw, per_replica_rows)` takes this replica's rows of a draw
  made for the global batch (`zoo.core.latents.TrainingNoise`).

Without a strategy (or with one replica) each of them is the plain operation.
"""

import json
import os

import tensorflow as tf

from zoo.core.errors import ZooError

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def make_strategy(name, tpu=None):
    """The `tf.distribute.Strategy` that `--strategy=name` asks for.

    Args:
        name: `"default"` (no distribution: one device), `"mirrored"` (every
            local GPU, or every logical CPU device), `"multi_worker"` (the
            cluster of `TF_CONFIG`, one process per worker) or `"tpu"`.
        tpu: the TPU's name or `grpc://` address for `"tpu"`; `None` or `""`
            looks for a local TPU (a TPU VM).

    Returns:
        the strategy; `tf.distribute.get_strategy()` for `"default"`.

    Raises:
        ZooError: an unknown name, a TPU that cannot be reached, or a
            `TF_CONFIG` that is not JSON.
    """
    check_strategy(name, tpu)
    if name == "default":
        return tf.distribute.get_strategy()
    # One strategy of a kind per process: a second one would number its
    # collective ops from the start again, and TensorFlow's runtime matches
    # them with the first one's (a shape mismatch between replicas).
    if (name, tpu) not in _STRATEGIES_MADE:
        _STRATEGIES_MADE[name, tpu] = _new_strategy(name, tpu)
    return _STRATEGIES_MADE[name, tpu]


_STRATEGIES_MADE = {}


def check_strategy(name, tpu=None):
    """Refuses an unknown strategy, or a TPU address without the TPU strategy, in one line."""
    if name not in STRATEGIES:
        raise ZooError(f"strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
    if tpu and name != "tpu":
        raise ZooError(f"tpu={tpu!r} needs strategy='tpu', got strategy={name!r}")


def _new_strategy(name, tpu):
    if name == "mirrored":
        # MirroredStrategy alone takes one CPU when there is no GPU; the
        # logical CPU devices a test (or a user) configured are replicas too.
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if name == "multi_worker":
        _check_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    return _tpu_strategy(tpu)


def _check_tf_config():
    raw = os.environ.get("TF_CONFIG")
    if raw is None:
        return  # one worker: the strategy still works, on this machine alone
    try:
        config = json.loads(raw)
    except json.JSONDecodeError:
        raise ZooError(
            "TF_CONFIG is not valid JSON; see the README's multi-worker section"
        ) from None
    if "cluster" not in config or "task" not in config:
        raise ZooError(
            'TF_CONFIG needs "cluster" and "task" ({"cluster": {"worker": [...]}, "task": '
            '{"type": "worker", "index": i}}); see the README\'s multi-worker section'
        )


def _tpu_strategy(tpu):
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError, RuntimeError) as e:
        reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        where = f"at --tpu={tpu}" if tpu else "on this machine (no --tpu given)"
        raise ZooError(
            f"no TPU found {where} ({reason}); pass --tpu=<name or grpc://host:port> of a "
            f"reachable TPU, or use --strategy=mirrored or default"
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy):
    """Whether this process writes the run's files: always, but for the
    non-chief workers of a multi-worker run (task index > 0 in `TF_CONFIG`)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None:
        return True
    return task_type == "chief" or (task_type == "worker" and task_id == 0 and not _has_chief())


def _has_chief():
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return bool(cluster.get("chief"))


def worker_id(strategy):
    """`task_id` of this process in a multi-worker run, `0` otherwise."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", 0) or 0)


# --------------------------------------------------- inside a training step


def _replica_context():
    """The replica context of a distributed step, or `None` without one.

    `tf.distribute.get_replica_context()` is also non-`None` for the default
    strategy; only a real strategy's context needs the helpers' care.
    """
    if not tf.distribute.has_strategy():
        return None
    return tf.distribute.get_replica_context()


def num_replicas():
    """Replicas that run the step in sync (all workers'), `1` without a strategy."""
    context = _replica_context()
    if context is not None:
        return context.num_replicas_in_sync
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_id():
    """This replica's index among all replicas (an int tensor or `0`)."""
    context = _replica_context()
    return 0 if context is None else context.replica_id_in_sync_group


def replica_scale():
    """`1 / replicas`: the factor on each replica's gradient of its mean loss."""
    return 1.0 / num_replicas()


def minimize(optimizer, tape, loss, network):
    """One optimizer step on `network`'s trainable weights, under any strategy.

    `loss` is this replica's mean over its share of the batch. The optimizer
    sums the replicas' gradients, so each is scaled by `1 / replicas`: the step
    is the global batch's. With a `keras.optimizers.LossScaleOptimizer`
    (float16) the backward pass starts from the loss scale, which keeps small
    gradients from flushing to zero, and the optimizer unscales them (and
    skips the step and lowers the scale when they overflow).
    """
    variables = network.trainable_variables
    seed = optimizer.scale_loss(tf.constant(replica_scale(), tf.float32))
    gradients = tape.gradient(loss, variables, output_gradients=tf.cast(seed, loss.dtype))
    # Blocks a growing network does not use yet get no gradient.
    pairs = [(g, v) for g, v in zip(gradients, variables, strict=True) if g is not None]
    optimizer.apply_gradients(pairs)


def replica_mean(value):
    """The mean of `value` over the replicas (the value itself without any)."""
    context = _replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)


def replica_slice(draw, rows):
    """This replica's `rows` rows of `draw`, a draw made for all replicas' rows."""
    if num_replicas() == 1:
        return draw
    start = replica_id() * rows
    return draw[start : start + rows]


def step_outputs_for_keras(outputs):
    """A training step's logged scalars, shaped for Keras' reduction over workers.

    Keras reduces a step's outputs under a multi-worker strategy with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on scalars; as
    vectors of one value they reduce to the scalar mean. Elsewhere the
    outputs pass unchanged.
    """
    strategy = tf.distribute.get_strategy()
    if not (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    ):
        return outputs
    return {name: tf.reshape(value, (1,)) for name, value in outputs.items()}


def assign_state(pairs, mean_over_replicas=False):
    """Assigns `[(variable, value), ...]` once per step, the same on every replica.

    Args:
        pairs: Keras variables and their new values.
        mean_over_replicas: average each value over the replicas first; for
            values computed from a replica's share of the batch (running
            averages of batch statistics). Values that every replica computes
            alike (an EMA of synchronized weights, a power iteration on them)
            need no averaging.
    """
    pairs = list(pairs)
    if not pairs:
        return
    context = _replica_context()
    if context is None:
        for variable, value in pairs:
            variable.assign(value)
        return
    variables = [variable for variable, _ in pairs]
    values = [tf.cast(value, variable.dtype) for variable, value in pairs]
    if mean_over_replicas and context.num_replicas_in_sync > 1:
        values = context.all_reduce(tf.distribute.ReduceOp.MEAN, values)

    def update(strategy, values):
        # Each replica's value goes to its own copy of the mirrored variable.
        for variable, value in zip(variables, values, strict=True):
            strategy.extended.update(
                _distributed(variable), lambda copy, new: copy.assign(new), args=(value,)
            )

    context.merge_call(update, args=(values,))


def _distributed(variable):
    """The `tf.Variable` (a mirrored one under a strategy) behind a Keras variable."""
    return getattr(variable, "_value", variable)
