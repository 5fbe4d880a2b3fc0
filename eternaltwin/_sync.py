"""Run a coroutine to completion from synchronous code, whether or not an event loop is running.

In a plain script there is no running loop, and :func:`run_sync` runs the coroutine on a new loop, like
:func:`asyncio.run`. In Jupyter the
cell already runs inside the kernel's loop, which cannot be re-entered (without patching asyncio, which
this module does not do); the coroutine then runs on a private event loop in a worker thread while the
caller's thread waits. Either way the loop is new and closed afterwards, so the coroutine must not use
objects bound to another loop (an ``httpx.AsyncClient`` already used elsewhere, for instance): it should
open and close its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

__all__ = ["run_in_thread", "run_sync"]

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def run_sync(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine that ``coro_factory()`` returns and give back its result (or raise its error).

    Parameters
    ----------
    coro_factory : callable
        Called once, with no arguments, on the thread that runs the loop; returns the coroutine.

    Returns
    -------
    The coroutine's result.

    Notes
    -----
    With a loop running in this thread, the coroutine runs on a new loop in a worker thread, with a copy
    of the caller's context variables. If the wait is interrupted (``KeyboardInterrupt`` in a notebook),
    the coroutine is cancelled and the worker joined before the interruption propagates.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(coro_factory)
    return run_in_thread(coro_factory)


def run_in_thread(
    coro_factory: Callable[[], Coroutine[Any, Any, T]],
    *,
    debug: bool | None = None,
    loop_factory: LoopFactory | None = None,
    name: str = "eternaltwin-run-sync",
) -> T:
    """Run the coroutine on a new event loop in a worker thread, wait for it and give back its result.

    Parameters
    ----------
    coro_factory : callable
        Called once, with no arguments, on the worker thread; returns the coroutine.
    debug, loop_factory
        Passed to :class:`asyncio.Runner`.
    name : str
        The worker thread's name.

    Returns
    -------
    The coroutine's result (its error is raised again here).

    Notes
    -----
    The worker gets a copy of the caller's context variables. If the wait is interrupted
    (``KeyboardInterrupt`` in a notebook), the coroutine is cancelled and the worker joined before the
    interruption propagates.
    """
    return _WorkerRun(coro_factory, debug=debug, loop_factory=loop_factory, name=name).result()


def _run(
    coro_factory: Callable[[], Coroutine[Any, Any, T]],
    debug: bool | None = None,
    loop_factory: LoopFactory | None = None,
) -> T:
    # asyncio.Runner rather than asyncio.run, which nest-asyncio replaces (when a notebook or a library
    # applied it) by a version that reuses or leaves open the thread's loop, and that has no loop_factory
    # on Python 3.12+; a Runner always makes and closes its own.
    with asyncio.Runner(debug=debug, loop_factory=loop_factory) as runner:
        return runner.run(coro_factory())


class _WorkerRun(Generic[T]):
    """One coroutine on a private loop in a worker thread."""

    def __init__(
        self,
        coro_factory: Callable[[], Coroutine[Any, Any, T]],
        *,
        debug: bool | None = None,
        loop_factory: LoopFactory | None = None,
        name: str = "eternaltwin-run-sync",
    ) -> None:
        self._factory = coro_factory
        self._debug = debug
        self._loop_factory = loop_factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run,), name=name, daemon=True)

    def _run(self) -> None:
        try:
            _run(self._main, self._debug, self._loop_factory)
        except BaseException as error:  # re-raised on the caller's thread
            self._error = error
        finally:
            self._started.set()
            self._done.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._started.set()
        self._value = await self._factory()

    def _cancel(self) -> None:
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between: nothing to cancel
                loop.call_soon_threadsafe(task.cancel)

    def result(self) -> T:
        # Wait on an Event, not Thread.join: an interrupted join can leave the thread's lock held (in
        # Python < 3.13), after which every join hangs.
        try:
            # Inside the try: an interruption can land while start() still waits for the new thread, and
            # the worker must be cancelled then too.
            self._thread.start()
            while not self._done.wait(0.1):
                pass
        except BaseException:
            # The worker signals once its loop runs (or it failed); it never does if the interruption
            # came before the thread was created.
            if self._started.wait(2):
                self._cancel()
                self._done.wait()
            raise
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._value  # type: ignore[return-value]  # set by _main when no error was raised
