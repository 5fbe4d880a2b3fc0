"""``asyncio.run(main())`` in a cell after ``%load_ext eternaltwin``, in the in-process shell.

A Jupyter kernel runs its cells inside its event loop; an ``async`` test does the same here (the cell runs
while the test's loop runs, on the same thread). tests/extension/test_kernel.py does it in a real kernel.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from eternaltwin import _extension
from eternaltwin.connections import async_connections
from eternaltwin.sandbox import Sandbox
from eternaltwin.users import User

from .helpers import cell

STDLIB_RUN = asyncio.run

WHERE = """
import asyncio, threading

async def where():
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    return threading.get_ident(), loop, loop.get_debug(), asyncio.current_task() is not None
"""


@pytest.fixture(autouse=True)
def _stdlib_run_back() -> Iterator[None]:
    """Each test starts and ends with the standard ``asyncio.run`` (the fixtures unload the extension)."""
    assert asyncio.run is STDLIB_RUN
    yield
    assert asyncio.run is STDLIB_RUN


def _run_cell(shell: InteractiveShell, code: str) -> Any:
    """Run a cell; return the exception it raised (or None) and leave its names in ``shell.user_ns``."""
    with capture_output():
        result = shell.run_cell(code, store_history=False)
    return result.error_in_exec


# -- what loading changes -------------------------------------------------------------------------------


def test_load_wraps_asyncio_run_and_unload_puts_it_back(nb_bare_shell: InteractiveShell) -> None:
    with capture_output():
        nb_bare_shell.run_line_magic("load_ext", "eternaltwin")
    assert asyncio.run is _extension._cell_run
    with capture_output():
        nb_bare_shell.run_line_magic("unload_ext", "eternaltwin")
    assert asyncio.run is STDLIB_RUN


def test_without_a_running_loop_the_original_runs_here(nb_shell: InteractiveShell) -> None:
    """A terminal IPython runs cells outside any loop: asyncio.run runs as usual, on this thread."""
    shown = cell(nb_shell, WHERE + "ident, loop, debug, in_task = asyncio.run(where(), debug=True)")
    assert shown.stdout == ""
    ident, loop, debug, in_task = (nb_shell.user_ns[name] for name in ("ident", "loop", "debug", "in_task"))
    assert ident == threading.get_ident()
    assert debug and in_task and loop.is_closed()


# -- in a cell, inside the kernel's loop --------------------------------------------------------------


async def test_in_a_cell_inside_a_running_loop_main_runs_on_a_loop_of_its_own(
    nb_shell: InteractiveShell,
) -> None:
    outer = asyncio.get_running_loop()
    assert _run_cell(nb_shell, WHERE + "ident, loop, debug, in_task = asyncio.run(where())") is None
    ident, loop, debug, in_task = (nb_shell.user_ns[name] for name in ("ident", "loop", "debug", "in_task"))
    assert ident != threading.get_ident()  # a worker thread, while the cell waits
    assert loop is not outer and loop.is_closed()  # a new loop, closed afterwards, as asyncio.run does
    assert in_task and not debug
    assert not outer.is_closed()


async def test_debug_and_loop_factory_reach_the_new_loop(nb_shell: InteractiveShell) -> None:
    nb_shell.user_ns["Factory"] = type("Factory", (asyncio.SelectorEventLoop,), {})
    options = "debug=True, loop_factory=Factory" if sys.version_info >= (3, 12) else "debug=True"
    assert _run_cell(nb_shell, WHERE + f"ident, loop, debug, _ = asyncio.run(where(), {options})") is None
    assert nb_shell.user_ns["debug"] is True
    if sys.version_info >= (3, 12):
        assert type(nb_shell.user_ns["loop"]) is nb_shell.user_ns["Factory"]


async def test_results_errors_and_print_come_back_to_the_cell(nb_shell: InteractiveShell) -> None:
    code = textwrap.dedent(
        """
        async def shout():
            print("from main")
            raise LookupError("no such thing")

        asyncio.run(shout())
        """
    )
    with capture_output() as captured:
        result = nb_shell.run_cell("import asyncio\n" + code, store_history=False)
    assert isinstance(result.error_in_exec, LookupError)
    assert str(result.error_in_exec) == "no such thing"
    assert "from main" in captured.stdout


async def test_context_variables_reach_main(nb_shell: InteractiveShell) -> None:
    code = textwrap.dedent(
        """
        import asyncio, contextvars
        colour = contextvars.ContextVar("colour")
        colour.set("blue")

        async def read():
            return colour.get()

        seen = asyncio.run(read())
        """
    )
    assert _run_cell(nb_shell, code) is None
    assert nb_shell.user_ns["seen"] == "blue"


async def test_bad_arguments_fail_as_with_the_original(nb_shell: InteractiveShell) -> None:
    error = _run_cell(nb_shell, "import asyncio\nasyncio.run(42)")
    assert isinstance(error, ValueError) and "a coroutine was expected" in str(error)
    code = "import asyncio\nasync def f():\n    pass\ncoro = f()\nasyncio.run(coro, colour='blue')"
    error = _run_cell(nb_shell, code)
    assert isinstance(error, TypeError) and "colour" in str(error)
    nb_shell.user_ns["coro"].close()


async def test_an_object_of_the_notebooks_loop_gets_a_note_saying_what_to_write(
    nb_shell: InteractiveShell,
) -> None:
    nb_shell.user_ns["pending"] = asyncio.get_running_loop().create_future()  # as a cell with await would
    code = "import asyncio\nasync def main():\n    return await pending\nasyncio.run(main())"
    error = _run_cell(nb_shell, code)
    assert isinstance(error, RuntimeError) and "attached to a different loop" in str(error)
    assert error.__notes__ == [_extension.DIFFERENT_LOOP_NOTE]
    assert "write `await main()` in the cell instead" in _extension.DIFFERENT_LOOP_NOTE


async def test_the_kits_async_connections_close_the_pool_of_a_cells_asyncio_run(
    nb_connected: InteractiveShell, sandbox: Sandbox
) -> None:
    """The pool opened on main()'s loop is closed when that loop ends; cells that await go on working."""
    population = await User.acount()  # as a cell with await: a pool on the notebook's loop
    code = textwrap.dedent(
        """
        import asyncio
        from eternaltwin.connections import async_connections
        from eternaltwin.users import User

        async def main():
            return await User.acount(), async_connections.get_connection().http

        counted, pool = asyncio.run(main())
        """
    )
    try:
        assert _run_cell(nb_connected, code) is None
        assert nb_connected.user_ns["counted"] == population
        assert nb_connected.user_ns["pool"].is_closed  # no "Unclosed client session" later
        assert await User.acount() == population
    finally:
        await async_connections.aclose()


async def test_the_magics_sync_calls_work_inside_a_running_loop(
    nb_connected: InteractiveShell, sandbox: Sandbox
) -> None:
    alice_id = next(user.id for user in sandbox.demo_users if user.username == "alice")
    with capture_output():
        cell(nb_connected, "%config EternaltwinMagics.progress = False")
        everyone = nb_connected.run_line_magic("eternaltwin", "search --all")
        page = nb_connected.run_line_magic("eternaltwin", "search --limit 2")
        alice = nb_connected.run_line_magic("eternaltwin", f"user {alice_id}")
        cell(nb_connected, "%config EternaltwinMagics.progress = True")
    assert len(everyone) == User.count() and len(page) == 2
    assert alice.display_name == "Alice"


# -- everything else goes to the original ---------------------------------------------------------------


async def test_other_threads_get_the_original_asyncio_run(nb_shell: InteractiveShell) -> None:
    """A library's thread (uvicorn's Server.run, say) runs asyncio.run with loop_factory as without us."""
    assert asyncio.run is _extension._cell_run
    found: list[Any] = []

    async def probe() -> tuple[int, type]:
        return threading.get_ident(), type(asyncio.get_running_loop())

    async def nested() -> None:
        # a thread with a running loop of its own: the standard refusal, not a worker
        coroutine = probe()
        try:
            asyncio.run(coroutine)
        except RuntimeError as error:
            found.append(str(error))
        finally:
            coroutine.close()

    def library_thread() -> None:
        options: dict[str, Any] = {}
        if sys.version_info >= (3, 12):
            options["loop_factory"] = asyncio.SelectorEventLoop
        found.append(asyncio.run(probe(), **options))
        found.append(asyncio.run(nested()))

    thread = threading.Thread(target=library_thread)
    thread.start()
    thread.join()
    (ident, loop_type), refusal, none = found
    assert ident == thread.ident and issubclass(loop_type, asyncio.SelectorEventLoop)
    assert none is None
    assert refusal == "asyncio.run() cannot be called from a running event loop"


async def test_a_reference_kept_after_unloading_is_the_original_again(
    nb_bare_shell: InteractiveShell,
) -> None:
    """uvicorn keeps the asyncio.run it found at import: after %unload_ext, that one diverts nothing."""
    with capture_output():
        nb_bare_shell.run_line_magic("load_ext", "eternaltwin")
    kept = asyncio.run
    with capture_output():
        nb_bare_shell.run_line_magic("unload_ext", "eternaltwin")
    assert kept is _extension._cell_run and asyncio.run is STDLIB_RUN
    coroutine = asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
        kept(coroutine)
    coroutine.close()


def test_nest_asyncio_applied_first_is_left_alone() -> None:
    """A user who applied nest-asyncio (or its fork) keeps it: the extension says so and patches nothing.

    In a subprocess, because nest-asyncio patches asyncio for the whole process.
    """
    pytest.importorskip("nest_asyncio2")
    script = textwrap.dedent(
        """
        import asyncio, nest_asyncio2
        from IPython.core.interactiveshell import InteractiveShell

        async def kernel():
            nest_asyncio2.apply(asyncio.get_running_loop(), run_close_loop=True)
            patched = asyncio.run
            shell = InteractiveShell.instance()
            shell.run_line_magic("load_ext", "eternaltwin")
            print("left alone", asyncio.run is patched)
            result = shell.run_cell(
                "import asyncio\\nasync def main():\\n    return 42\\nanswer = asyncio.run(main())"
            )
            result.raise_error()
            print("answer", shell.user_ns["answer"])

        asyncio.run(kernel())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (
        "eternaltwin: asyncio is patched by nest-asyncio already: asyncio.run() in cells is left to it.\n"
        in done.stdout
    )
    assert "left alone True" in done.stdout and "answer 42" in done.stdout
