"""Projects images into a trained GAN: the latent whose sample is closest to each.

The command line lives in zoo/commands/project.py.
"""

from zoo.commands import project as _command

__doc__ = _command.__doc__  # absl's --help shows the command's own usage

if __name__ == "__main__":
    _command.run()
