"""The alias picker and the panel: following the registry, choosing the active alias."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import ipywidgets
import pytest

from eternaltwin import connections as connections_module
from eternaltwin.clients.sync.clients import Eternaltwin
from eternaltwin.connections import Connections
from eternaltwin.exceptions import UnknownAliasError
from eternaltwin.sandbox import Sandbox
from eternaltwin.widgets import AliasPicker, LoginPanel, panel
from eternaltwin.widgets._registry import WATCH

from .conftest import Browser

sync = connections_module.connections
async_ = connections_module.async_connections


@pytest.fixture(autouse=True)
def w_close_widgets() -> Iterator[None]:
    yield
    ipywidgets.Widget.close_all()


def _watched() -> None:
    """Let the registry watch see what changed now, instead of waiting for its thread's next look."""
    WATCH.check()


@pytest.mark.usefixtures("w_configured")
def test_lists_aliases_and_shows_the_active_one(w_sandbox: Sandbox) -> None:
    picker = AliasPicker()
    assert picker.aliases == ("loop", "paste")
    assert picker.dropdown.value == "loop"
    assert picker.alias == "loop"
    assert f"<code>{w_sandbox.url}</code>" in picker.info.value
    assert "not logged in" in picker.info.value


@pytest.mark.usefixtures("w_configured")
def test_as_wide_as_its_content_not_the_output_area() -> None:
    # In JupyterLab (1100 px window) the standalone picker measured 668 px, the whole output area, with
    # width 100%; 286 px with this layout (the panel's picker too, in a 364 px panel).
    picker = AliasPicker()
    assert (picker.layout.width, picker.layout.min_width, picker.layout.max_width) == (
        "fit-content",
        "22em",
        "100%",
    )
    assert picker.dropdown.layout.width == "auto"  # fills the picker, which follows its content
    assert panel().picker.layout.width == "fit-content"
    mine = AliasPicker(layout=ipywidgets.Layout(width="40em"))
    assert mine.layout.width == "40em"


@pytest.mark.usefixtures("w_configured")
def test_choosing_makes_the_alias_active_on_both_registries(w_paste_sandbox: Sandbox) -> None:
    picker = AliasPicker()
    picker.dropdown.value = "paste"  # as the front end does
    assert sync.active == "paste"
    assert async_.active == "paste"
    assert picker.alias == "paste"
    assert f"<code>{w_paste_sandbox.url}</code>" in picker.info.value
    picker.select("loop")
    assert (sync.active, async_.active) == ("loop", "loop")
    assert picker.dropdown.value == "loop"
    with pytest.raises(UnknownAliasError):
        picker.select("nope")


@pytest.mark.usefixtures("w_configured")
def test_follows_registry_changes_without_being_rebuilt(w_sandbox: Sandbox, w_paste_sandbox: Sandbox) -> None:
    picker = AliasPicker()

    # An alias added elsewhere shows up by itself (the registry watch).
    sync.create_connection("extra", url="http://127.0.0.1:9/")
    _watched()
    assert picker.aliases == ("loop", "paste", "extra")

    # use() made elsewhere is followed.
    sync.use("extra")
    _watched()
    assert picker.dropdown.value == "extra"
    assert "http://127.0.0.1:9/" in picker.info.value

    # Reconfigured under the same alias: the new url is shown.
    sync.create_connection("extra", url="http://127.0.0.1:10/")
    _watched()
    assert "http://127.0.0.1:10/" in picker.info.value

    # Removed, and everything replaced by configure().
    sync.use("loop")
    sync.remove_connection("extra")
    _watched()
    assert picker.aliases == ("loop", "paste")
    connections_module.configure(only=w_paste_sandbox.connection_config())
    _watched()
    assert picker.aliases == ("only",)
    # The active alias ("loop") is gone: the registry falls back to "default", which is not configured
    # either, so nothing is chosen until someone chooses.
    assert picker.dropdown.value is None
    assert "the active alias <code>default</code> is not configured" in picker.info.value
    picker.dropdown.value = "only"
    assert sync.active == async_.active == "only"


@pytest.mark.usefixtures("w_configured")
def test_refresh_without_the_watch() -> None:
    picker = AliasPicker(watch=False)
    sync.create_connection("extra", url="http://127.0.0.1:9/")
    _watched()
    assert picker.aliases == ("loop", "paste")  # not watching
    picker.refresh()
    assert picker.aliases == ("loop", "paste", "extra")


@pytest.mark.usefixtures("w_registries")
def test_nothing_configured() -> None:
    connections_module.configure()
    picker = AliasPicker()
    assert picker.aliases == ()
    assert picker.dropdown.disabled
    assert "No connection is configured" in picker.info.value


def test_a_registry_of_its_own() -> None:
    registry: Connections[Eternaltwin] = Connections(Eternaltwin)
    registry.create_connection("a", url="http://127.0.0.1:9/")
    registry.create_connection("b", url="http://127.0.0.1:10/")
    before = (sync.active, async_.active)
    picker = AliasPicker(registry)
    assert picker.aliases == ("a", "b")
    assert picker.dropdown.value is None  # "default" is active, and not configured
    picker.dropdown.value = "b"
    assert registry.active == "b"
    assert (sync.active, async_.active) == before  # the global registries are left alone


@pytest.mark.usefixtures("w_configured")
def test_picker_shows_who_is_logged_in(w_browser: Browser) -> None:
    board = panel()
    assert isinstance(board, LoginPanel)
    assert isinstance(board, ipywidgets.VBox)
    w_browser.follow(board.login.start())
    assert "logged in as <b>Alice</b>" in board.picker.info.value
    board.login.logout()
    assert "not logged in" in board.picker.info.value


@pytest.mark.usefixtures("w_configured")
def test_panel_login_follows_the_picker(w_browser: Browser) -> None:
    board = panel()
    w_browser.follow(board.login.start())
    assert board.login.status == "Logged in as Alice"
    board.picker.dropdown.value = "paste"
    assert board.login.alias == "paste"
    assert board.login.status == "Not logged in."
    board.picker.dropdown.value = "loop"
    assert board.login.status == "Logged in as Alice"


def test_widget_callbacks_never_break_the_watch() -> None:
    from eternaltwin.widgets._registry import RegistryWatch, registries

    registry: Connections[Eternaltwin] = Connections(Eternaltwin)
    regs = registries(registry)
    calls: list[str] = []

    class Subscriber:
        def boom(self) -> None:
            calls.append("boom")
            raise RuntimeError("broken widget")

        def fine(self) -> None:
            calls.append("fine")

    watch = RegistryWatch(interval=3600)  # checked by hand below
    first, second = Subscriber(), Subscriber()
    watch.subscribe(regs, first.boom)
    unsubscribe = watch.subscribe(regs, second.fine)
    assert watch.watching == 2
    watch.check()
    assert calls == []  # nothing changed
    registry.create_connection("a", url="http://127.0.0.1:9/")
    watch.check()
    assert sorted(calls) == ["boom", "fine"]
    unsubscribe()
    del first
    assert watch.watching == 0


def test_import_eternaltwin_does_not_load_ipywidgets() -> None:
    # The kit, and the widgets' logic (the login session, callback server, login cache, registry watch),
    # load no ipywidgets: only the widgets themselves do.
    code = (
        "import sys, eternaltwin, eternaltwin.connections, eternaltwin.users, eternaltwin._hub, "
        "eternaltwin.widgets, eternaltwin.widgets._session, eternaltwin.widgets._callback, "
        "eternaltwin.widgets._token_cache, eternaltwin.widgets._registry\n"
        "from eternaltwin.widgets import LoginSession\n"
        "assert 'ipywidgets' not in sys.modules, 'eternaltwin loaded ipywidgets'\n"
        "assert 'traitlets' not in sys.modules, 'eternaltwin loaded traitlets'\n"
        "from eternaltwin.widgets import LoginWidget\n"
        "assert 'ipywidgets' in sys.modules\n"
        "from eternaltwin.widgets import panel, AliasPicker, LoginPanel\n"
        "import eternaltwin.widgets as w\n"
        "assert set(w.__all__) <= set(dir(w)) and all(hasattr(w, name) for name in w.__all__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_missing_ipywidgets_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['ipywidgets'] = None  # as if not installed\n"
        "import eternaltwin.widgets\n"
        "try:\n"
        "    from eternaltwin.widgets import LoginWidget\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "try:\n"
        "    eternaltwin.widgets.nope\n"
        "except AttributeError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "eternaltwin.widgets.LoginWidget needs ipywidgets, which is not installed: "
        "pip install 'eternaltwin-kit[kernel]'",
        "module 'eternaltwin.widgets' has no attribute 'nope'",
    ]
