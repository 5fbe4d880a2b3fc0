"""The asynchronous client (``httpx.AsyncClient``)."""
