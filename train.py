"""Trains a GAN of the zoo; rerunning the same command resumes it.

The command line lives in zoo/commands/train.py, installed as `gan-zoo-train`.
"""

from zoo.commands import train as _command

__doc__ = _command.__doc__  # absl's --help shows the command's own usage

if __name__ == "__main__":
    _command.run()
