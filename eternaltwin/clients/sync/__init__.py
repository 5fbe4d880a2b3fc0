"""The synchronous client (``httpx.Client``)."""
