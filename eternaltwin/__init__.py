"""Explore the Eternaltwin API from Python and Jupyter."""
from eternaltwin._version import __version__

__all__ = ["__version__"]
