"""The connection picker and the login widget together: what ``%eternaltwin login`` shows."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from eternaltwin.widgets._login import LoginWidget
from eternaltwin.widgets._picker import AliasPicker

__all__ = ["LoginPanel", "panel"]


class LoginPanel(widgets.VBox):  # type: ignore[misc]
    """An :class:`AliasPicker` above a :class:`LoginWidget` that follows the picked alias.

    Parameters
    ----------
    **login_options
        Passed to :class:`LoginWidget` (``remember``, ``open_tab``, ``state_expiration``...).

    Attributes
    ----------
    picker : AliasPicker
    login : LoginWidget
    """

    def __init__(self, **login_options: Any) -> None:
        self.picker = AliasPicker()
        self.login = LoginWidget(None, **login_options)
        self.picker.observe(lambda _: self.login.refresh(), names="alias")
        self.login.on_login.append(lambda _: self.picker.refresh())
        self.login.on_logout.append(lambda _: self.picker.refresh())
        title = widgets.HTML("<b>Eternaltwin</b>")
        super().__init__(
            [title, self.picker, self.login],
            layout=widgets.Layout(
                border="1px solid var(--jp-border-color2, #d0d7de)",
                padding="6px 10px",
                width="fit-content",
                min_width="28em",
            ),
        )
        self.add_class("eternaltwin-panel")
        self._title = title

    def close(self) -> None:
        """Close the picker, the login widget and the panel."""
        self.picker.close()
        self.login.close()
        self._title.close()
        super().close()


def panel(**login_options: Any) -> LoginPanel:
    """The connection picker and the login widget together (on the global registries).

    Parameters
    ----------
    **login_options
        Passed to :class:`LoginWidget`.

    Returns
    -------
    LoginPanel
        A VBox; display it (it is the last expression of a cell, or ``display(panel())``).
    """
    return LoginPanel(**login_options)
