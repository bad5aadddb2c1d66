"""The version of aksara."""

__version__ = "0.1.0"
