"""Training phases: stretches of a run with one input pipeline (progressive growing).

A growing family (ProGAN) declares its phases (`capabilities.phases`); the
training loop lays them over the run's steps. Every other family trains in
`single_phase`.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class TrainingPhase:
    """A stretch of training with one input pipeline (`GAN.training_phases`).

    Attributes:
        name: shown in the logs, e.g. `"8x8 fade-in"`.
        steps: generator steps of the phase; `None` for the last phase, which
            runs until the run's step budget.
        image_size: side of the phase's real images, average-pooled down from
            the dataset's; `None` keeps the dataset's.
        batch_size: real examples per discriminator update.
    """

    name: str
    steps: int | None
    image_size: int | None
    batch_size: int


def single_phase(batch_size):
    """The one phase of a family that does not grow: the dataset's resolution, the run's batch."""
    return [TrainingPhase("train", None, None, int(batch_size))]
