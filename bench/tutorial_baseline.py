"""The TensorFlow DCGAN tutorial's recipe, trained for a fixed wall-clock budget.

    python bench/tutorial_baseline.py --seconds=600 --output=runs/tutorial_600s.png

The yardstick for `make train`: the same CPU time spent on the recipe of the
TensorFlow tutorial (tensorflow.org/tutorials/generative/dcgan): 28x28 images,
a dense projection to 7x7x256, transposed 5x5 convolutions (stride 1, 2, 2) with
batch norm and LeakyReLU, a discriminator of two 5x5 strided convolutions with
dropout 0.3, Adam(1e-4) for both players, batch 256, non-saturating loss. It
runs through the zoo's own training step (`VanillaGAN.train_step`, which is the
same game) so only the recipe differs, and writes a grid from 64 fixed latents.
"""

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo.commands import cli  # noqa: E402

cli.import_tensorflow_quietly()

import keras  # noqa: E402
from absl import flags  # noqa: E402

from models.base import GAN  # noqa: E402
from models.vanilla_gan import VanillaGAN  # noqa: E402
from zoo import data  # noqa: E402
from zoo.drawing import pictures  # noqa: E402

flags.DEFINE_integer("seconds", 600, "Wall-clock training budget.", lower_bound=1)
flags.DEFINE_string("output", "runs/tutorial_baseline.png", "PNG of the final samples.")
flags.DEFINE_integer("seed", 0, "Seed.")
FLAGS = flags.FLAGS


class TutorialDCGAN(GAN):
    """The tutorial's networks and optimizers; Goodfellow's game."""

    train_step = VanillaGAN.train_step

    def __init__(self, latent_dim=100, **kwargs):
        super().__init__(_generator(latent_dim), _discriminator(), latent_dim=latent_dim, **kwargs)

    def default_optimizers(self):
        return keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)


def _generator(latent_dim):
    layers = keras.layers
    z = keras.Input((latent_dim,))
    x = layers.Dense(7 * 7 * 256, use_bias=False)(z)
    x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((7, 7, 256))(x)
    for filters, stride in ((128, 1), (64, 2)):
        x = layers.Conv2DTranspose(filters, 5, stride, "same", use_bias=False)(x)
        x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    images = layers.Conv2DTranspose(1, 5, 2, "same", use_bias=False, activation="tanh")(x)
    return keras.Model(z, images, name="generator")


def _discriminator():
    layers = keras.layers
    images = keras.Input((28, 28, 1))
    x = images
    for filters in (64, 128):
        x = layers.Dropout(0.3)(layers.LeakyReLU()(layers.Conv2D(filters, 5, 2, "same")(x)))
    return keras.Model(images, layers.Dense(1)(layers.Flatten()(x)), name="discriminator")


class StopAfter(keras.callbacks.Callback):
    def __init__(self, seconds):
        super().__init__()
        self.deadline = time.perf_counter() + seconds

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() > self.deadline:
            self.model.stop_training = True


def main():
    keras.utils.set_random_seed(FLAGS.seed)
    dataset, _ = data.load_dataset("fashion_mnist", batch_size=256, seed=FLAGS.seed)
    model = TutorialDCGAN(seed=FLAGS.seed)
    model.compile()
    started = time.perf_counter()
    model.fit(dataset, steps_per_epoch=10**6, epochs=1, verbose=2, shuffle=False,
              callbacks=[StopAfter(FLAGS.seconds)])  # fmt: skip
    seconds = time.perf_counter() - started
    steps = int(model.g_optimizer.iterations)
    latents = keras.random.normal((64, model.latent_dim), seed=FLAGS.seed + 1)
    pictures.write_png(FLAGS.output, pictures.samples_picture(model.generate(latents=latents)))
    print(f"tutorial recipe: {steps} steps of batch 256 in {seconds:.0f} s "
          f"({steps * 256 / seconds:.0f} images/s); samples {FLAGS.output}")  # fmt: skip


if __name__ == "__main__":
    cli.run(main)
