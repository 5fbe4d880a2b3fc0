"""Running coroutines from blocking code: the sync API's concurrent work, and a cell's ``asyncio.run``.

:func:`run_sync` runs a coroutine for a blocking caller (``search_frame``, ``df.eternaltwin.details()``)
on the kit's own event loop, which runs in a daemon thread for the life of the process. The caller's
thread waits; whether it runs an event loop itself (a notebook cell) or not (a script) makes no
difference. Since that loop lives on, what is bound to it does too: the async twin of a sync client
(:meth:`eternaltwin.clients.sync.clients.Eternaltwin.async_twin`) keeps its pooled connections from one
call to the next, as the sync client keeps its own. At interpreter exit the loop closes what is still open
on it (``loop.shutdown_asyncgens()``: every async pool closes with its loop) and stops.

:func:`run_in_thread` runs a coroutine on a new event loop in a worker thread, closed afterwards: what a
script's ``asyncio.run(main())`` does, for a cell that calls it inside the kernel's running loop (see
:mod:`eternaltwin._extension`).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import contextvars
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

__all__ = ["run_in_thread", "run_sync"]

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]

#: How long an interrupted wait gives the coroutine to finish its cancellation, in seconds.
_CANCEL_GRACE = 5.0


def run_sync(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine that ``coro_factory()`` returns on the kit's event loop; wait for its result.

    Parameters
    ----------
    coro_factory : callable
        Called once, with no arguments, on the kit's loop thread; returns the coroutine.

    Returns
    -------
    The coroutine's result (its error is raised again here).

    Notes
    -----
    The coroutine runs with a copy of the caller's context variables. If the wait is interrupted
    (``KeyboardInterrupt`` in a notebook), the coroutine is cancelled, and given a moment to finish,
    before the interruption propagates. Called from the kit's loop thread itself (a coroutine running
    there calling back into the sync API), the coroutine runs on a new loop in a worker thread instead:
    that thread cannot wait for itself.
    """
    if _KIT_LOOP.is_current():
        return run_in_thread(coro_factory)
    return _KIT_LOOP.run(coro_factory)


def run_in_thread(
    coro_factory: Callable[[], Coroutine[Any, Any, T]],
    *,
    debug: bool | None = None,
    loop_factory: LoopFactory | None = None,
    name: str = "eternaltwin-run-in-thread",
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


class _KitLoop:
    """The kit's event loop, in a daemon thread started on first use (again after a fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def is_current(self) -> bool:
        return self._thread is not None and self._thread is threading.current_thread()

    def _get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._serve, args=(loop, ready), name="eternaltwin-loop", daemon=True
                )
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()

    def run(self, coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        loop = self._get()
        context = contextvars.copy_context()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        tasks: list[asyncio.Task[T]] = []
        abandoned = threading.Event()

        def start() -> None:
            if abandoned.is_set():  # interrupted before the coroutine could start
                future.cancel()
                return
            try:
                task = loop.create_task(coro_factory(), context=context)
            except BaseException as error:  # the factory failed: nothing to run
                future.set_exception(error)
                return
            tasks.append(task)
            task.add_done_callback(lambda done: _settle(future, done))

        def cancel() -> None:
            for task in tasks:
                task.cancel()
            if not tasks and not future.done():
                future.cancel()

        try:
            # Inside the try: the coroutine may start, and an interruption land, before this returns.
            loop.call_soon_threadsafe(start)
            # Wait in short steps, so that Ctrl-C reaches this thread promptly.
            while not future.done():
                concurrent.futures.wait([future], timeout=0.1)
            return future.result()
        except BaseException:
            if not future.done():
                abandoned.set()
                loop.call_soon_threadsafe(cancel)
                with contextlib.suppress(BaseException):
                    future.result(timeout=_CANCEL_GRACE)
            raise

    def close(self) -> None:
        """Close what is open on the loop (its async pools close with it) and stop it."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None or not thread.is_alive():
            return
        closing = asyncio.run_coroutine_threadsafe(loop.shutdown_asyncgens(), loop)
        with contextlib.suppress(BaseException):
            closing.result(timeout=_CANCEL_GRACE)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_CANCEL_GRACE)
        if not thread.is_alive():
            loop.close()

    def forget(self) -> None:
        """After a fork: the child has no loop thread; a new one starts on next use."""
        self._lock = threading.Lock()
        self._loop = self._thread = None


def _settle(future: concurrent.futures.Future[T], task: asyncio.Task[T]) -> None:
    if future.done():
        return
    if task.cancelled():
        future.cancel()
    elif task.exception() is not None:
        future.set_exception(task.exception())
    else:
        future.set_result(task.result())


_KIT_LOOP = _KitLoop()
atexit.register(_KIT_LOOP.close)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_KIT_LOOP.forget)


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
        name: str = "eternaltwin-run-in-thread",
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
