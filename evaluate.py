"""Scores a trained GAN (FID, IS, KID, ...) and writes a grid of its samples.

The command line lives in zoo/commands/evaluate.py, installed as `gan-zoo-evaluate`.
"""

from zoo.commands import evaluate as _command

__doc__ = _command.__doc__  # absl's --help shows the command's own usage

if __name__ == "__main__":
    _command.run()
