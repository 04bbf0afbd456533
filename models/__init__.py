"""The GAN families. Importing this package registers every one of them."""

from models import dcgan, progan, sagan, stylegan, vanilla_gan, wgan_gp  # noqa: F401  (registers)
from models.base import GAN
from models.dcgan import DCGAN
from models.progan import ProGAN
from models.sagan import SAGAN
from models.stylegan import StyleGAN
from models.vanilla_gan import VanillaGAN
from models.wgan_gp import WGANGP

__all__ = ["DCGAN", "GAN", "ProGAN", "SAGAN", "StyleGAN", "VanillaGAN", "WGANGP"]
