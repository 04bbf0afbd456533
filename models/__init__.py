"""The GAN families. Importing this package registers every one of them."""

from models import dcgan, vanilla_gan  # noqa: F401  (imported to register)
from models.base import GAN
from models.dcgan import DCGAN
from models.vanilla_gan import VanillaGAN

__all__ = ["DCGAN", "GAN", "VanillaGAN"]
