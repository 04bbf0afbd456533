"""The GAN families. Importing this package registers every one of them."""

from . import dcgan, progan, sagan, stylegan, vanilla_gan, wgan_gp  # noqa: F401  (registers)
from .base import GAN
from .dcgan import DCGAN
from .progan import ProGAN
from .sagan import SAGAN
from .stylegan import StyleGAN
from .vanilla_gan import VanillaGAN
from .wgan_gp import WGANGP

__all__ = ["DCGAN", "GAN", "ProGAN", "SAGAN", "StyleGAN", "VanillaGAN", "WGANGP"]
