"""The Eternaltwin clients: :mod:`~eternaltwin.clients.sync.clients` and
:mod:`~eternaltwin.clients.asyncio.clients` (both ``Eternaltwin``), on one request core.

Layout: :mod:`~eternaltwin.clients.endpoints` (paths), ``_calls`` (each endpoint as a pure request
description and parser), ``_flows`` (retries, token refresh, multi-request operations as generators),
``_operations`` (one method definition serving both clients), ``abc`` (the shared bases, no I/O),
``sync`` and ``asyncio`` (the two drivers and the pooled httpx clients).
"""
