"""What a wheel installs: the packaged notebooks, the ``eternaltwin`` command, the built artifacts.

These tests run the same from an editable install and from an installed wheel (with this repository's
tests): package data is found through :mod:`importlib.resources`, never next to ``tests/``.
"""
