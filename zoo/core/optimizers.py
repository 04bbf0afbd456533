"""An Adam whose state can restart in the middle of a run (ProGAN's new levels of detail)."""

import keras
from keras import ops

from zoo.core.errors import ZooError


@keras.saving.register_keras_serializable(package="gan_zoo")
class RestartableAdam(keras.optimizers.Adam):
    """Adam that `restart` puts back to a fresh start without resetting its step count.

    The official ProGAN code resets both optimizers whenever the level of
    detail changes (each fade-in and each stable phase): the moments start
    again from 0, and so does Adam's bias correction. Keras' Adam counts its
    bias correction in `iterations`, which here is also the run's global step
    (checkpoints, schedules and the training noise read it), so it cannot be
    reset. This Adam counts the correction from the last restart instead
    (`restarted_at`, a variable that checkpoints keep); with that, a restarted
    variable's first update has the size of the learning rate, where keeping
    the old moments of a block that just started learning (their `v` still 0)
    gives it updates of `lr / sqrt(1 - beta_2)`: 10 x for ProGAN's 0.99.

    Args:
        **kwargs: `keras.optimizers.Adam` arguments; `amsgrad` is not supported.

    Raises:
        ZooError: `amsgrad=True`.

    Example:
        >>> optimizer = RestartableAdam(1e-3, beta_1=0.0, beta_2=0.99)
        >>> optimizer.restart()  # at a phase boundary, outside a training step

    Reference:
        Karras et al. 2018, https://arxiv.org/abs/1710.10196 (the code's
        `reset_opt_for_new_lod`); Kingma & Ba 2015, https://arxiv.org/abs/1412.6980.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad:
            raise ZooError("RestartableAdam does not support amsgrad")

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.restarted_at = self.add_variable(
            shape=(), initializer="zeros", dtype="int64", aggregation="only_first_replica",
            name="restarted_at",
        )  # fmt: skip

    def restart(self):
        """Zeroes every moment and counts the bias correction from the current step."""
        for slot in self._momentums + self._velocities:
            slot.assign(ops.zeros_like(slot))
        self.restarted_at.assign(self.iterations)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        steps = ops.cast(self.iterations + 1 - self.restarted_at, dtype)
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, (gradient - m) * (1 - beta_1))
        self.assign_add(v, (ops.square(gradient) - v) * (1 - beta_2))
        step_size = (
            ops.cast(learning_rate, dtype)
            * ops.sqrt(1 - ops.power(beta_2, steps))
            / (1 - ops.power(beta_1, steps))
        )
        self.assign_sub(variable, m * step_size / (ops.sqrt(v) + self.epsilon))
