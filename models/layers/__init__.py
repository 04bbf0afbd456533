"""Layers that two or more families share, one module per family of layers.

- `progressive`: ProGAN's equalized learning rate, pixel normalization and
  minibatch standard deviation (Karras et al. 2018), which StyleGAN reuses.
- `resampling`: up- and downsampling, ProGAN's plain and StyleGAN2's filtered.
- `spectral`: spectral normalization (Miyato et al. 2018), advanced once per
  update of its network.
- `attention`: SAGAN's self-attention (Zhang et al. 2018).
- `normalization`: batch norm synchronized under a strategy, and the
  class-conditional batch norm of SAGAN and BigGAN.
- `activations`: the leaky ReLU that Grappler does not try to fuse.
- `style`: StyleGAN's modulated convolution, noise injection and AdaIN.

Every layer is written with `keras.ops` and registered under the `gan_zoo`
package, so a model holding one saves to and loads from `.keras`; the names
are re-exported here, so `from models import layers` is the one import a
family needs.
"""

from .activations import MaxLeakyReLU, max_leaky_relu
from .attention import SelfAttention
from .normalization import (
    ConditionalBatchNormalization,
    batch_norm_inputs,
    batch_normalization,
)
from .progressive import (
    RELU_GAIN,
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    PixelNormalization,
)
from .resampling import (
    Blur2D,
    Downsample2D,
    FilteredDownsample2D,
    FilteredUpsample2D,
    Upsample2D,
)
from .spectral import SpectralNormalization, advance_spectral_norms
from .style import AdaptiveInstanceNormalization, ModulatedConv2D, NoiseInjection

__all__ = [
    "RELU_GAIN",
    "AdaptiveInstanceNormalization",
    "Blur2D",
    "ConditionalBatchNormalization",
    "Downsample2D",
    "EqualizedConv2D",
    "EqualizedDense",
    "FilteredDownsample2D",
    "FilteredUpsample2D",
    "MaxLeakyReLU",
    "max_leaky_relu",
    "MinibatchStdDev",
    "ModulatedConv2D",
    "NoiseInjection",
    "PixelNormalization",
    "SelfAttention",
    "SpectralNormalization",
    "Upsample2D",
    "advance_spectral_norms",
    "batch_norm_inputs",
    "batch_normalization",
]
