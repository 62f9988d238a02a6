"""The version of scratchnn, in one place (the package, the command and model files read it)."""

__version__ = "0.1.0"
