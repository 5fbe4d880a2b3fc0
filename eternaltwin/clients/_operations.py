"""How one method definition serves both the sync and the async clients.

An API method is written once, on a shared base class, as a *flow builder*: it takes the method's
arguments and returns a flow (a generator, :mod:`eternaltwin.clients._flows`) without doing any I/O.
Decorated with :class:`operation`, it becomes, on a sync client, a method that runs the flow and returns
its result, and on an async client, a method that returns an awaitable of that result. The only
difference is the object's ``_run`` (the driver), so there is nothing to keep in step.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

if TYPE_CHECKING:
    from eternaltwin.clients._flows import Flow

__all__ = ["AsyncSender", "SyncSender", "operation"]

P = ParamSpec("P")
T = TypeVar("T")


class SyncSender:
    """Mixin of objects whose operations run synchronously (``_run(flow) -> result``)."""

    __slots__ = ()

    def _run(self, flow: Flow[T]) -> T:
        raise NotImplementedError


class AsyncSender:
    """Mixin of objects whose operations return awaitables (``_run(flow) -> Awaitable[result]``)."""

    __slots__ = ()

    def _run(self, flow: Flow[T]) -> Awaitable[T]:
        raise NotImplementedError


def _result_annotation(annotation: Any, wrap: str | None) -> Any:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", None)
    if not isinstance(text, str) or not (text.startswith("Flow[") and text.endswith("]")):
        return inspect.Signature.empty
    inner = text[len("Flow[") : -1]
    return f"{wrap}[{inner}]" if wrap else inner


class operation(Generic[P, T]):
    """Turn a flow builder into a method of both the sync and the async clients.

    Parameters
    ----------
    build : callable
        ``build(self, *args, **kwargs) -> Flow[T]``; its docstring and signature become the method's.
    """

    def __init__(self, build: Callable[Concatenate[Any, P], Flow[T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__
        self.__qualname__ = build.__qualname__
        self.__module__ = build.__module__
        signature = inspect.signature(build)
        parameters = list(signature.parameters.values())[1:]
        #: The signature at class level (``inspect.signature(Eternaltwin.get_user)``): with ``self``, like
        #: a plain function's, and the sync result.
        self.__signature__ = signature.replace(
            return_annotation=_result_annotation(signature.return_annotation, None)
        )
        self._signatures = {
            False: signature.replace(
                parameters=parameters,
                return_annotation=_result_annotation(signature.return_annotation, None),
            ),
            True: signature.replace(
                parameters=parameters,
                return_annotation=_result_annotation(signature.return_annotation, "Awaitable"),
            ),
        }

    def __call__(self, client: SyncSender | AsyncSender, *args: Any, **kwargs: Any) -> Any:
        """Called on the class with the client first (``Eternaltwin.get_user(client, user_id)``), as a
        plain method can be."""
        return self.__get__(client)(*args, **kwargs)

    @overload
    def __get__(self, obj: None, owner: type[Any] | None = None) -> operation[P, T]: ...
    @overload
    def __get__(self, obj: SyncSender, owner: type[Any] | None = None) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: AsyncSender, owner: type[Any] | None = None) -> Callable[P, Awaitable[T]]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any] | None = None) -> Callable[P, Any]: ...
    def __get__(self, obj: object, owner: type[Any] | None = None) -> Any:
        if obj is None:
            return self
        build = self._build
        run = obj._run  # type: ignore[attr-defined]

        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            flow = build(obj, *args, **kwargs)
            del args, kwargs  # they may hold tokens or codes, which a verbose traceback would show
            return run(flow)

        method.__name__ = self.__name__
        method.__qualname__ = self.__qualname__
        method.__module__ = self.__module__
        method.__doc__ = self.__doc__
        method.__signature__ = self._signatures[isinstance(obj, AsyncSender)]  # type: ignore[attr-defined]
        return method
