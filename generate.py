"""Draws pictures from a trained GAN; needs no dataset.

The command line lives in zoo/commands/generate.py, installed as `gan-zoo-generate`.
"""

from zoo.commands import generate as _command

__doc__ = _command.__doc__  # absl's --help shows the command's own usage

if __name__ == "__main__":
    _command.run()
