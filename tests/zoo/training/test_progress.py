"""Progress on a terminal and in a log: the training bar, scoring's stages."""

import io

import keras
import numpy as np

from zoo.commands import cli
from zoo.metrics import extractors
from zoo.training import callbacks


class Terminal(io.StringIO):
    def isatty(self):
        return True


class _Stepped:
    """What the bar reads of a GAN: its generator optimizer's step."""

    def __init__(self, step):
        self.g_optimizer = keras.optimizers.Adam()
        self.g_optimizer.iterations.assign(step)


def _drawn(stream):
    return [part for part in stream.getvalue().split("\r") if part]


def test_training_bar_counts_the_runs_global_steps_from_a_resumed_step():
    stream = Terminal()
    bar = callbacks.ProgressBar(100, examples_per_step=64, stream=stream, redraw_seconds=0)
    bar.set_model(_Stepped(60))  # resumed at step 60

    for step in (61, 80, 100):
        bar.model.g_optimizer.iterations.assign(step)
        bar.on_train_batch_end(0, {"d_loss": 0.5})
    bar.on_train_end()

    lines = _drawn(stream)
    assert lines[0].startswith("step 61/100 [############--------]  d_loss 0.5")
    assert lines[-1].startswith("step 100/100 [####################]") and lines[-1].endswith("\n")
    assert "images/s" in lines[1] and "left" in lines[1]


def test_scoring_progress_draws_a_bar_on_a_terminal_and_lines_in_a_log():
    terminal, log = Terminal(), io.StringIO()
    batches = [np.zeros((4, 28, 28, 1), np.float32)] * 3

    class Constant(extractors.Extractor):
        batch_size, feature_dim, num_classes, name = 4, 2, 2, "constant"

        def __call__(self, images):
            return np.ones((len(images), 2), np.float32), np.ones((len(images), 2), np.float32)

    for stream in (terminal, log):
        progress = cli.Progress(stream)
        with extractors.reporting(progress):
            progress.stage("12 samples")
            Constant().extract(iter(batches), 12)
            progress.finish()
    Constant().extract(iter(batches), 12)  # outside the block: nobody reports

    assert "12 samples [####################] 12/12" in terminal.getvalue()
    assert _drawn(terminal)[-1].startswith("12 samples: ") and terminal.getvalue().endswith("\n")
    log_lines = log.getvalue().splitlines()
    assert log_lines[0] == "12 samples ..." and log_lines[1].startswith("12 samples: ")
    assert len(log_lines) == 2 and "\r" not in log.getvalue()
