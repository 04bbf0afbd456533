"""Training callbacks: sample grids, TensorBoard scalars, checkpoints, NaN guard.

Each callback counts steps by the generator optimizer's `iterations`, which a
resumed run restores, so step numbers continue across restarts. The pictures
they write are drawn by `zoo.drawing.pictures`.
"""

import os
import pathlib
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from zoo import data, drawing
from zoo.drawing.pictures import image_grid, samples_picture, write_png


def training_step(model):
    """Generator updates so far: one per training batch."""
    return int(model.g_optimizer.iterations.numpy())


# --------------------------------------------------------------- callbacks


# Latents of the pictures of progress beside the sample grids (one row each).
PROGRESS_LATENTS = 8


class SampleGrid(keras.callbacks.Callback):
    """Every `every` steps, samples fixed latents and writes a PNG + TensorBoard image.

    Fixed latents show one set of samples evolving over training. A training
    run passes `zoo.core.latents.seeded_latents(seed, N, latent_dim)` of its
    `--seed`, so each grid is `model.generate(N, seed=seed)` at that step: what
    `evaluate.py --seed` shows and scores first. The draw is stateless, so it
    never shifts the training noise.

    Args:
        directory: where `step_XXXXXXX.png` files go.
        latents: float array `(N, latent_dim)`, fixed for the run.
        every: steps between grids.
        writer: a `tf.summary` writer, or `None`.
        dataset_name: for 2-D data, which mixture's means to draw.

    A conditional model's grid has one row per class (`samples_picture`).
    """

    def __init__(self, directory, latents, every, writer=None, dataset_name=None):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.latents = latents
        self.every = every
        self.writer = writer
        self.dataset_name = dataset_name

    def write(self, step):
        picture = samples_picture(
            self.model.generate(latents=self.latents), self.dataset_name, self.model.num_classes
        )
        path = self.directory / f"step_{step:07d}.png"
        self._publish("samples", path, picture, step)
        # What a family shows beside its samples (StyleGAN's truncation,
        # ProGAN's fade-in): one row per picture of its first latents.
        latents = self.latents[:PROGRESS_LATENTS]
        for name, images in drawing.progress_pictures(self.model, latents).items():
            grid = image_grid(data.to_uint8(images).numpy(), num_rows=len(images) // len(latents))
            self._publish(name, self.directory / f"{name}_step_{step:07d}.png", grid, step)
        return path

    def _publish(self, name, path, picture, step):
        write_png(path, picture)
        if self.writer is not None:
            with self.writer.as_default():
                tf.summary.image(name, picture[np.newaxis], step=step)

    def on_train_batch_end(self, batch, logs=None):
        step = training_step(self.model)
        if step % self.every == 0 and not self.model.stop_training:
            self.write(step)


class ScalarLogger(keras.callbacks.Callback):
    """Every `every` steps, writes the loss trackers and images/s to TensorBoard.

    The trackers are reset when the next window starts, so both TensorBoard
    and the progress bar show means over the last window, not since the start.

    Args:
        writer: a `tf.summary` writer.
        every: steps per window.
        examples_per_step: real examples consumed per step (batch * d_steps).
    """

    def __init__(self, writer, every, examples_per_step):
        super().__init__()
        self.writer = writer
        self.every = every
        self.examples_per_step = examples_per_step
        self.window_rates = []  # images/s of each completed window

    def on_train_begin(self, logs=None):
        self._window_start = time.perf_counter()
        self._reset_pending = False

    def on_train_batch_begin(self, batch, logs=None):
        if self._reset_pending:
            for tracker in self.model.metrics:
                tracker.reset_state()
            self._reset_pending = False

    def on_train_batch_end(self, batch, logs=None):
        step = training_step(self.model)
        if step % self.every or self.model.stop_training:
            return
        now = time.perf_counter()
        rate = self.every * self.examples_per_step / (now - self._window_start)
        self._window_start = now
        # The first window of a process includes tracing; it is not a rate.
        if batch + 1 > self.every:
            self.window_rates.append(rate)
        with self.writer.as_default():
            for name, value in (logs or {}).items():
                tf.summary.scalar(name, float(value), step=step)
            tf.summary.scalar("images_per_second", rate, step=step)
        self._reset_pending = True

    def median_rate(self):
        """Median images/s over the completed windows, `None` if none."""
        return float(np.median(self.window_rates)) if self.window_rates else None


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite logged value or checkpointed weight.

    It runs before the checkpointer, which then skips the poisoned state, so
    the last checkpoint on disk stays the last good one. The losses logged at
    step k were computed before step k's update, so the weights can already be
    NaN while those losses are finite: on every step that gets a checkpoint (each
    `checkpoint_every`-th, and the last, which `zoo.training.train` saves) the
    guard also checks every weight, the optimizers' included, and reports
    `"weights"` as the name of what diverged.

    Args:
        checkpoint_every: the checkpointer's interval in steps.
    """

    def __init__(self, checkpoint_every):
        super().__init__()
        self.checkpoint_every = checkpoint_every
        self.diverged = None  # (step, name) once a value is not finite

    def on_train_batch_end(self, batch, logs=None):
        step = training_step(self.model)
        for name, value in (logs or {}).items():
            if not np.isfinite(float(value)):
                self._stop(step, name)
                return
        if step % self.checkpoint_every == 0:
            self._check_weights(step)

    def on_train_end(self, logs=None):
        step = training_step(self.model)
        if self.diverged is None and step % self.checkpoint_every:
            self._check_weights(step)

    def _check_weights(self, step):
        # Every variable is read back from the device, so only when saved.
        if not weights_are_finite(self.model):
            self._stop(step, "weights")

    def _stop(self, step, name):
        self.diverged = (step, name)
        self.model.stop_training = True


class Checkpointer(keras.callbacks.Callback):
    """Saves a `tf.train.CheckpointManager` checkpoint every `every` steps.

    TensorFlow writes a checkpoint's files to temporaries and then renames
    them, and updates the `checkpoint` index file last, so a crash mid-save
    leaves the previous checkpoint as the latest.
    """

    def __init__(self, manager, every, on_save=None):
        super().__init__()
        self.manager = manager
        self.every = every
        # Called with the step after each checkpoint is written.
        self.on_save = on_save

    def save(self, step):
        if self.manager.latest_checkpoint != self._path(step):
            self.manager.save(checkpoint_number=step)
            if self.on_save is not None:
                self.on_save(step)

    def _path(self, step):
        return os.path.join(self.manager.directory, f"ckpt-{step}")

    def on_train_batch_end(self, batch, logs=None):
        step = training_step(self.model)
        if step % self.every == 0 and not self.model.stop_training:
            self.save(step)


def weights_are_finite(model):
    """Whether every float variable of the model (networks, EMA copy, optimizers) is finite."""
    return all(
        bool(tf.reduce_all(tf.math.is_finite(v)))
        for v in model.weights + _optimizer_variables(model)
        if keras.backend.is_float_dtype(v.dtype)
    )


def _optimizer_variables(model):
    return [
        v
        for name in ("d_optimizer", "g_optimizer")
        if getattr(model, name, None) is not None
        for v in getattr(model, name).variables
    ]


class TimeBudget(keras.callbacks.Callback):
    """Stops training at the first step that ends after `seconds` of wall-clock time.

    The clock starts at the first `fit` it sees and runs on across a run's
    phases. `spent` tells the training library why training stopped.
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.started = None
        self.spent = False

    def on_train_begin(self, logs=None):
        if self.started is None:
            self.started = time.perf_counter()

    def remaining(self):
        """Seconds left of the budget."""
        return max(0.0, self.seconds - (time.perf_counter() - self.started))

    def on_train_batch_end(self, batch, logs=None):
        if self.remaining() == 0.0:
            self.spent = True
            self.model.stop_training = True


class ProgressLines(keras.callbacks.Callback):
    """Every `every` steps, prints one line of progress: for logs, not terminals.

    `step 200/3000  d_loss 0.693  g_loss 0.712  ...  412 images/s  6m48s left`;
    the losses are the trackers' means over the window (`ScalarLogger` resets
    them), the rate and the time left come from the window's wall time.

    Args:
        every: steps between lines.
        total_steps: the run's `steps`.
        examples_per_step: real examples consumed per step (batch * d_steps).
        print_fn: where lines go. Defaults to `print`.
        budget: the run's `TimeBudget`, which can end it sooner, or `None`.
    """

    def __init__(self, every, total_steps, examples_per_step, print_fn=print, budget=None):
        super().__init__()
        self.every = every
        self.total_steps = total_steps
        self.examples_per_step = examples_per_step
        self.print_fn = print_fn
        self.budget = budget

    def on_train_begin(self, logs=None):
        self._window_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = training_step(self.model)
        if step % self.every:
            return
        now = time.perf_counter()
        steps_per_second = self.every / max(now - self._window_start, 1e-9)
        self._window_start = now
        values = "  ".join(f"{name} {float(value):.4g}" for name, value in (logs or {}).items())
        left = (self.total_steps - step) / steps_per_second
        if self.budget is not None:
            left = min(left, self.budget.remaining())
        self.print_fn(
            f"step {step}/{self.total_steps}  {values}  "
            f"{steps_per_second * self.examples_per_step:.0f} images/s  {_duration(left)} left"
        )


class ProgressBar(keras.callbacks.Callback):
    """A terminal's progress bar over the run's global steps, redrawn in place.

    `step 1200/3000 [#########-----------]  d_loss 0.69  g_loss 0.71  412 images/s  4m12s left`:
    one bar for the whole run, across ProGAN's phases and from a resumed
    step; the rate counts the steps since the bar's first (so a resumed run's
    earlier steps do not count as fast ones), and the time left is also
    bounded by the run's `TimeBudget`.

    Args:
        total_steps: the run's `steps`.
        examples_per_step: real examples consumed per step (batch * d_steps).
        budget: the run's `TimeBudget`, or `None`.
        stream: where the bar goes. Defaults to `sys.stdout`.
        redraw_seconds: least time between redraws. Defaults to 0.2.
    """

    WIDTH = 20

    def __init__(self, total_steps, examples_per_step, budget=None, stream=None,
                 redraw_seconds=0.2):  # fmt: skip
        super().__init__()
        self.total_steps = total_steps
        self.examples_per_step = examples_per_step
        self.budget = budget
        self.stream = stream or sys.stdout
        self.redraw_seconds = redraw_seconds
        self._first = None  # (step, time) of the first step the bar saw
        self._drawn_at = 0.0

    def on_train_batch_end(self, batch, logs=None):
        step, now = training_step(self.model), time.perf_counter()
        if self._first is None:
            self._first = (step, now)
        if now - self._drawn_at < self.redraw_seconds and step < self.total_steps:
            return
        self._drawn_at = now
        done = int(self.WIDTH * step / max(self.total_steps, 1))
        values = "  ".join(f"{name} {float(value):.4g}" for name, value in (logs or {}).items())
        line = f"step {step}/{self.total_steps} [{'#' * done}{'-' * (self.WIDTH - done)}]  {values}"
        steps, seconds = step - self._first[0], now - self._first[1]
        if steps > 0 and seconds > 0:
            left = (self.total_steps - step) * seconds / steps
            if self.budget is not None:
                left = min(left, self.budget.remaining())
            line += (
                f"  {steps / seconds * self.examples_per_step:.0f} images/s  {_duration(left)} left"
            )
        self.stream.write(f"\r{line}\033[K")
        self.stream.flush()

    def on_train_end(self, logs=None):
        if self._first is not None and training_step(self.model) >= self.total_steps:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds):
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
