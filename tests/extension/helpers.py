"""Helpers for the notebook tests: run magics and cells in the in-process shell and collect what they show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from eternaltwin.magics import MagicError
from eternaltwin.users import User


@dataclass
class Shown:
    """Everything a magic or a cell put in front of the user."""

    value: Any = None
    stdout: str = ""
    stderr: str = ""
    displays: list[dict[str, Any]] = field(default_factory=list)  # display_data bundles
    result: dict[str, Any] = field(default_factory=dict)  # the formatted return value (Out[])

    def texts(self) -> list[str]:
        """Every string shown: streams, displayed bundles and the formatted value."""
        found = [self.stdout, self.stderr]
        for bundle in [*self.displays, self.result]:
            found += [data if isinstance(data, str) else repr(data) for data in bundle.values()]
        return found


def formatted(shell: InteractiveShell, obj: Any) -> dict[str, Any]:
    """What IPython's display formatter produces for ``obj`` (its MIME bundle)."""
    data, _ = shell.display_formatter.format(obj)
    return dict(data)


def magic(shell: InteractiveShell, line: str, cell: str | None = None) -> Shown:
    """Run ``%eternaltwin LINE`` (or ``%%eternaltwin LINE`` with ``cell``); errors propagate."""
    with capture_output() as captured:
        if cell is None:
            value = shell.run_line_magic("eternaltwin", line)
        else:
            value = shell.run_cell_magic("eternaltwin", line, cell)
    return Shown(
        value=value,
        stdout=captured.stdout,
        stderr=captured.stderr,
        displays=[dict(output.data) for output in captured.outputs],
        result=formatted(shell, value) if value is not None else {},
    )


def cell(shell: InteractiveShell, code: str) -> Shown:
    """Run a cell as a notebook would; an error in it is raised again, so tests fail loudly."""
    with capture_output() as captured:
        result = shell.run_cell(code, store_history=False)
    result.raise_error()
    return Shown(
        value=result.result,
        stdout=captured.stdout,
        stderr=captured.stderr,
        displays=[dict(output.data) for output in captured.outputs],
    )


def failing(shell: InteractiveShell, code: str) -> str:
    """Run a cell that must fail in a magic; return what the user sees (asserted to be one line)."""
    with capture_output() as captured:
        result = shell.run_cell(code, store_history=False)
    assert isinstance(result.error_in_exec, MagicError), result.error_in_exec
    shown = (captured.stdout + captured.stderr).strip()
    assert "Traceback" not in shown
    assert len(shown.splitlines()) == 1, shown
    assert shown.startswith("eternaltwin: ")
    return shown


def log_in(alias: str, authorize: Callable[..., tuple[str, str]], username: str = "bob") -> User:
    """Log ``username`` in on ``alias`` through the real OAuth flow of the sandbox."""
    state, url = User.start_authorization(using=alias)
    code, callback_state = authorize(url, username)
    return User.from_authorization_code(code, callback_state, expected_state=state, using=alias)
