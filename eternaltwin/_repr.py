"""The one hook that connects data classes to the display layer.

Data classes inherit :class:`RichRepr`; the HTML and text themselves live in :mod:`eternaltwin.display`,
which is imported only when a front end asks for a rich repr (so ``import eternaltwin`` stays light).
"""

from __future__ import annotations

from typing import Any

__all__ = ["RichRepr"]


class RichRepr:
    """Mixin adding ``_repr_mimebundle_`` (text/plain and text/html) through :mod:`eternaltwin.display`."""

    __slots__ = ()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str] | None:
        from eternaltwin.display import displayable_types, mimebundle

        if not isinstance(self, tuple(displayable_types())):
            return None  # no card for this class (yet): front ends fall back to the plain repr
        return mimebundle(self, include=include, exclude=exclude)
