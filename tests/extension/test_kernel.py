"""The extension in a real Jupyter kernel (ipykernel through nbclient), where cells run inside a loop.

The kernel is the ``python3`` kernelspec, which jupyter_client starts with this interpreter
(``sys.executable``), and it imports the same ``eternaltwin`` as the tests (the installed wheel in CI's
runs on other Pythons): both are checked, so that these tests cannot pass on another Python.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import eternaltwin

pytestmark = pytest.mark.notebook

#: The folder that holds the ``eternaltwin`` package these tests import (site-packages, or the clone).
PACKAGE_PARENT = Path(eternaltwin.__file__).resolve().parents[1]
MISSING_ID = "00000000-0000-4000-8000-000000000000"

WHO_RUNS = "import sys, eternaltwin\nprint(sys.executable, sys.prefix, eternaltwin.__file__, sep='\\n')"

# A user's own uvicorn server, started from a cell after %load_ext (it calls asyncio.run with a
# loop_factory on Python 3.12+, in its thread), then one request to it.
USER_UVICORN = textwrap.dedent(
    """
    import socket, threading, time
    import httpx, uvicorn

    async def hello(scope, receive, send):
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"hello from the user's uvicorn"})

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)
    server = uvicorn.Server(uvicorn.Config(hello, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # only bounds a failure: the loop ends as soon as it serves
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        print(httpx.get(f"http://127.0.0.1:{listening.getsockname()[1]}/", timeout=10).text)
    finally:
        server.should_exit = True
        thread.join(10)
    print("stopped" if not thread.is_alive() else "still running")
    """
)


def _kernel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel imports the tests' eternaltwin, and no ETERNALTWIN_* configuration."""
    paths = [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, paths)))
    for name in [n for n in os.environ if n.startswith("ETERNALTWIN_")]:
        monkeypatch.delenv(name)


def _run(cells: list[tuple[str, list[str]]], folder: Path) -> Any:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    for source, tags in cells:
        notebook.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    return notebook


def _outputs(cell: Any, output_type: str) -> list[Any]:
    return [output for output in cell.outputs if output.output_type == output_type]


def _stdout(cell: Any) -> str:
    return "".join(output.text for output in _outputs(cell, "stream") if output.name == "stdout")


def test_magics_displays_and_asyncio_in_a_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _kernel_environment(monkeypatch)
    cells = [
        (WHO_RUNS, []),
        ("%load_ext eternaltwin", []),
        ("%et sandbox --population 12", []),
        ("%et aliases", []),
        ("%config EternaltwinMagics.progress = False\n%et search --all -o everyone\nlen(everyone)", []),
        ("from eternaltwin import User\nUser.search(limit=3)", []),
        (f"%et user {MISSING_ID}", ["raises-exception"]),
        ("import asyncio\nasync def main():\n    return await User.acount()\nasyncio.run(main())", []),
        ("await User.acount()", []),
        ("asyncio.run(main())", []),
        (USER_UVICORN, []),
        ("%unload_ext eternaltwin", []),
    ]
    notebook = _run(cells, tmp_path)
    who, load, sandbox, aliases, search, page, error, script, awaited, again, uvicorn, unload = notebook.cells

    assert _stdout(who).splitlines() == [sys.executable, sys.prefix, eternaltwin.__file__]

    assert _stdout(load).startswith("eternaltwin: no connection configured")
    assert "alias 'sandbox' is active" in _outputs(sandbox, "stream")[0].text

    for displayed in (aliases, page):
        data = _outputs(displayed, "execute_result")[0].data
        assert data["text/html"].startswith('<div class="et-repr">') and data["text/plain"]

    stored = _outputs(search, "stream")[0].text
    assert stored.startswith("Stored 15 users in everyone.")
    assert _outputs(search, "execute_result")[0].data["text/plain"] == "15"

    [failure] = _outputs(error, "error")
    assert failure.ename == "MagicError"
    assert failure.traceback == [
        f"eternaltwin: no user with id {MISSING_ID} on connection 'sandbox'; %eternaltwin search finds ids."
    ]

    # asyncio.run in a cell, then top-level await, then asyncio.run again: each works, and nothing is
    # left unclosed (no "Unclosed client session" on stderr).
    for ran in (script, awaited, again):
        assert _outputs(ran, "execute_result")[0].data["text/plain"] == "15"
        assert not _outputs(ran, "error") and not [o for o in _outputs(ran, "stream") if o.name == "stderr"]

    assert _stdout(uvicorn) == "hello from the user's uvicorn\nstopped\n"
    assert not _outputs(uvicorn, "error")
    assert not unload.outputs

    assert "dev_secret" not in json.dumps(notebook)


def test_interrupting_asyncio_run_in_a_cell_cancels_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupt the kernel while a cell's asyncio.run(main()) waits: main is cancelled, the kernel lives."""
    _kernel_environment(monkeypatch)
    manager = pytest.importorskip("jupyter_client.manager")
    kernel, client = manager.start_new_kernel(kernel_name="python3", cwd=str(tmp_path))

    def execute(code: str, on_stdout: Any = None) -> list[str]:
        """Run a cell; what it printed, showed and raised, in order, until the kernel is idle again."""
        msg_id = client.execute(code)
        seen: list[str] = []
        while True:
            message = client.get_iopub_msg(timeout=60)  # only bounds a failure
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                seen += content["text"].splitlines()
                if on_stdout is not None:
                    on_stdout(content["text"])
            elif kind == "error":
                seen.append(f"error {content['ename']}")
            elif kind == "execute_result":
                seen.append(content["data"]["text/plain"])
            elif kind == "status" and content["execution_state"] == "idle":
                return seen

    sleeper = textwrap.dedent(
        """
        import asyncio

        async def main():
            print("sleeping", flush=True)
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                print("cancelled", flush=True)
                raise

        asyncio.run(main())
        """
    )
    try:
        execute("%load_ext eternaltwin")
        # "sleeping" comes from the worker: by then the cell waits for it, and the interruption lands there.
        seen = execute(sleeper, lambda text: "sleeping" in text and kernel.interrupt_kernel())
        assert seen == ["sleeping", "cancelled", "error KeyboardInterrupt"]
        assert execute("async def answer():\n    return 42\nasyncio.run(answer())") == ["42"]
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
