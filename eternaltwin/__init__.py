"""Explore the Eternaltwin API from Python and Jupyter."""

from __future__ import annotations

from typing import Any

from eternaltwin._version import __version__

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext eternaltwin``: register the magics and display hooks (IPython is imported only now)."""
    from eternaltwin._extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext eternaltwin``: remove what loading added."""
    from eternaltwin._extension import unload

    unload(ipython)
