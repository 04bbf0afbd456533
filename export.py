"""Exports a trained GAN's generator as a SavedModel for TF Serving.

The command line lives in zoo/commands/export.py, installed as `gan-zoo-export`.
"""

from zoo.commands import export as _command

__doc__ = _command.__doc__  # absl's --help shows the command's own usage

if __name__ == "__main__":
    _command.run()
