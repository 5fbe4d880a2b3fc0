"""Shared bases of the sync and async clients (everything that does no I/O)."""
