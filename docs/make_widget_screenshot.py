"""Screenshot the login panel in JupyterLab, driven by headless Chromium: ``docs/img/login-panel.png``.

    python docs/make_widget_screenshot.py [--output PATH] [--pending PATH] [--after PATH] [--keep]

What it does, all offline:

1. writes a small notebook in a temporary folder: it starts a sandbox in the kernel (its OAuth callback on
   a free loopback port), configures it as the ``sandbox`` alias and shows ``eternaltwin.widgets.panel()``;
2. starts ``jupyter lab`` headless on a free port, with no token, and with fresh settings and workspaces
   (no news or update toasts);
3. opens the notebook in Chromium (Debian's ``/usr/bin/chromium`` through Playwright), runs all cells,
   waits for the panel to render and screenshots it to ``--output``;
4. then checks the rest of the story: clicks "Log in with Eternaltwin", logs in as a demo user in the tab
   the panel opens, and waits for the panel to say "Logged in as Alice" (``--pending`` and ``--after``
   save screenshots of the panel while it waits and once logged in).

Exit status 0 when all of it worked. Needs the ``dev`` extra (``pip install -e '.[dev]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from _chromium import CHROMIUM, launch  # docs/ is on sys.path: these scripts run as files

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "img" / "login-panel.png"
LAB_START_TIMEOUT = 90.0
RENDER_TIMEOUT_MS = 90_000


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def notebook(callback_port: int) -> dict[str, Any]:
    """The notebook that shows the panel, against a sandbox started in the kernel."""
    setup = (
        "import eternaltwin.connections\n"
        "from eternaltwin.sandbox import Sandbox\n"
        "\n"
        f"sandbox = Sandbox(redirect_uri='http://localhost:{callback_port}/oauth/callback').start()\n"
        "eternaltwin.connections.configure(sandbox=sandbox.connection_config())\n"
        "eternaltwin.connections.connections.use('sandbox')\n"
        "eternaltwin.connections.async_connections.use('sandbox');"
    )
    show = "from eternaltwin.widgets import panel\n\npanel()"

    def cell(source: str) -> dict[str, Any]:
        return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}

    return {
        "cells": [cell(setup), cell(show)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def lab_environment(home: Path) -> dict[str, str]:
    """Environment for the lab server: its own settings, workspaces and config (nothing of the user's)."""
    settings = home / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        ETERNALTWIN_CONFIG_DIR=str(home / "eternaltwin-config"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )
    for name in ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTER_TOKEN"):
        env.pop(name, None)
    return env


def start_lab(folder: Path, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``jupyter lab`` headless on ``port``, serving ``folder``, with no token."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={folder}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI often run as root
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + LAB_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2) as reply:
                if reply.status == 200:
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(
        f"jupyter lab did not answer within {LAB_START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}"
    )


def stop_lab(process: subprocess.Popen[bytes]) -> None:
    """Stop the lab server (and with it the kernel)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def drive(
    lab_url: str,
    output: Path,
    after: Path | None,
    *,
    pending: Path | None = None,
    username: str = "alice",
    password: str = "alice_password",
) -> str:
    """Open the notebook, run it, screenshot the panel, then log in through the panel.

    Returns the panel's final status text.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 720}, device_scale_factor=2)
            page = context.new_page()
            page.goto(f"{lab_url}/lab/tree/panel.ipynb")
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=RENDER_TIMEOUT_MS)
            # Wait for the kernel, then run everything.
            page.wait_for_function(
                "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " return !!(w && w.sessionContext && w.sessionContext.session"
                " && w.sessionContext.session.kernel"
                " && w.sessionContext.session.kernel.connectionStatus === 'connected'); }",
                timeout=RENDER_TIMEOUT_MS,
            )
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            panel = page.locator(".eternaltwin-panel")
            panel.wait_for(state="visible", timeout=RENDER_TIMEOUT_MS)
            page.locator(".eternaltwin-login-status", has_text="Not logged in.").wait_for(
                timeout=RENDER_TIMEOUT_MS
            )
            page.locator(".eternaltwin-alias-info", has_text="not logged in").wait_for(
                timeout=RENDER_TIMEOUT_MS
            )
            # Let the fonts and the layout settle, then take the picture with a little margin.
            page.wait_for_timeout(500)
            output.parent.mkdir(parents=True, exist_ok=True)
            panel.screenshot(path=str(output))

            # The rest of the story: the button opens the login page in a new tab.
            with context.expect_page(timeout=RENDER_TIMEOUT_MS) as opened:
                page.get_by_role("button", name="Log in with Eternaltwin").click()
            tab = opened.value
            tab.wait_for_selector("#username", timeout=RENDER_TIMEOUT_MS)
            if pending is not None:
                page.locator(".eternaltwin-login-link").wait_for(timeout=RENDER_TIMEOUT_MS)
                page.wait_for_timeout(300)
                pending.parent.mkdir(parents=True, exist_ok=True)
                panel.screenshot(path=str(pending))
            tab.fill("#username", username)
            tab.fill("#password", password)
            tab.click("button[type=submit]")
            tab.wait_for_selector("text=You may close this tab", timeout=RENDER_TIMEOUT_MS)
            tab.close()
            done = page.locator(".eternaltwin-login-status", has_text="Logged in as")
            done.wait_for(timeout=RENDER_TIMEOUT_MS)
            page.locator(".eternaltwin-alias-info", has_text="logged in as").wait_for(
                timeout=RENDER_TIMEOUT_MS
            )
            if after is not None:
                page.wait_for_timeout(300)
                after.parent.mkdir(parents=True, exist_ok=True)
                panel.screenshot(path=str(after))
            return str(done.inner_text())
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the PNG goes")
    parser.add_argument("--pending", type=Path, help="also screenshot the panel while it waits for the login")
    parser.add_argument("--after", type=Path, help="also screenshot the panel once logged in")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, notebook)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium.", file=sys.stderr)
        return 2

    home = Path(tempfile.mkdtemp(prefix="eternaltwin-screenshot-"))
    folder = home / "notebooks"
    folder.mkdir()
    (folder / "panel.ipynb").write_text(json.dumps(notebook(free_port()), indent=1))
    log = home / "lab.log"
    port = free_port()
    process = start_lab(folder, port, lab_environment(home), log)
    try:
        status = drive(f"http://127.0.0.1:{port}", args.output.resolve(), args.after, pending=args.pending)
    except Exception as error:
        print(f"Failed: {type(error).__name__}: {error}\n--- lab log (end) ---\n{log.read_text()[-3000:]}")
        return 1
    finally:
        stop_lab(process)
        if args.keep:
            print(f"Kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    print(f"Wrote {args.output} (then: {status!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
