"""run_sync: one way to run a coroutine from sync code, with or without a running event loop: on the kit's
own loop, in its thread, which lives on (so that pools bound to it last from one call to the next)."""

from __future__ import annotations

import asyncio
import contextvars
import signal
import subprocess
import sys
import threading

import pytest

from eternaltwin._blocking import run_sync

flavour: contextvars.ContextVar[str] = contextvars.ContextVar("flavour", default="plain")


async def where() -> tuple[int, asyncio.AbstractEventLoop, str]:
    await asyncio.sleep(0)
    return threading.get_ident(), asyncio.get_running_loop(), flavour.get()


def test_without_a_running_loop_it_runs_on_the_kits_loop_which_lives_on() -> None:
    ident, loop, _ = run_sync(where)
    again, same, _ = run_sync(where)
    assert ident != threading.get_ident() and again == ident
    assert same is loop and not loop.is_closed() and loop.is_running()


async def test_inside_a_running_loop_it_runs_on_the_kits_loop() -> None:
    outer = asyncio.get_running_loop()
    token = flavour.set("notebook")
    try:
        ident, loop, seen = run_sync(where)
    finally:
        flavour.reset(token)
    assert ident != threading.get_ident()
    assert loop is not outer and loop is run_sync(where)[1]
    assert seen == "notebook"  # context variables are copied to the coroutine


def test_callers_in_many_threads_run_at_once() -> None:
    both_running = asyncio.Barrier(2) if hasattr(asyncio, "Barrier") else None
    assert both_running is not None

    async def meet() -> int:
        await asyncio.wait_for(both_running.wait(), 10)  # only if both are on the loop together
        return 1

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(run_sync(meet))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1, 1]


async def test_errors_come_back_to_the_caller() -> None:
    async def fail() -> None:
        await asyncio.sleep(0)
        raise LookupError("nope")

    with pytest.raises(LookupError, match="nope"):
        run_sync(fail)


def test_errors_without_a_loop() -> None:
    async def fail() -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        run_sync(fail)


async def test_nested_calls() -> None:
    async def inner() -> int:
        return 41

    async def outer() -> int:
        # on the kit's own loop thread, which cannot wait for itself: a worker with a loop of its own
        return run_sync(inner) + 1

    assert run_sync(outer) == 42


async def test_an_interruption_cancels_the_coroutine() -> None:
    import _thread

    started = threading.Event()
    cancelled = threading.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def interrupt() -> None:
        started.wait()  # however long the worker takes to start (pytest-timeout ends a hang)
        _thread.interrupt_main()

    # As in a Jupyter kernel, Ctrl-C raises KeyboardInterrupt in the main thread (asyncio's runner would
    # only cancel its own task, which cannot run while this test blocks its loop).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    helper = threading.Thread(target=interrupt)
    helper.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sync(forever)
    finally:
        helper.join()
        signal.signal(signal.SIGINT, previous)
    assert cancelled.is_set()


@pytest.mark.parametrize("patcher", ["nest_asyncio", "nest_asyncio2"])
def test_with_nest_asyncio_applied_no_loop_is_left_open(patcher: str) -> None:
    # In a subprocess: nest_asyncio patches asyncio for the whole process. A user may apply it (or its
    # fork, which ipykernel 7 installs); the kit does not depend on either.
    pytest.importorskip(patcher)
    code = f"""
import asyncio, gc, {patcher} as nest_asyncio
from eternaltwin._blocking import run_sync

async def inner():
    await asyncio.sleep(0)
    return threading.get_ident()

import threading
async def cell():
    nest_asyncio.apply()
    return [run_sync(inner) != threading.get_ident() for _ in range(3)]

loop = asyncio.new_event_loop()
print(loop.run_until_complete(cell()))
loop.close()
gc.collect()
"""
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[True, True, True]"
    assert "ResourceWarning" not in done.stderr
