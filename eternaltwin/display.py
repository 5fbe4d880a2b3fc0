"""Rich display of the kit's objects: one text form and one HTML form, from one model.

Every renderer here turns an object into a small model (a :class:`_Card` or a :class:`_Table` of plain
strings); the model is then written out twice, as aligned plain text and as HTML. Values only ever reach
the HTML through :func:`html.escape`, so a display name like ``<script>`` shows as text. Nothing here makes
an HTTP call: a display shows what the object already holds. Secrets (client secrets, access and refresh
tokens, state keys) are never read into a model, only whether they are set.

The HTML embeds the stylesheet ``eternaltwin/static/display.css`` (read once per process) and a ``<pre>``
copy of the text form, shown instead when a front end drops the stylesheet (an untrusted notebook).

Displayed types: :class:`~eternaltwin.users.User`, :class:`~eternaltwin.users.LinkedAccount`,
:class:`~eternaltwin.users.SearchPage`, :class:`~eternaltwin.tokens.Token`,
:class:`~eternaltwin.states.State`, :class:`~eternaltwin.exceptions.RequestError` (and subclasses), the
connection registries (:class:`~eternaltwin.connections.Connections`) and their clients.

Examples
--------
>>> from eternaltwin.display import mimebundle
>>> from eternaltwin.tokens import Token
>>> bundle = mimebundle(Token(access_token="secret", expires_in=3660, token_type="Bearer"))
>>> sorted(bundle)
['text/html', 'text/plain']
>>> "secret" in bundle["text/plain"] or "secret" in bundle["text/html"]
False
"""

from __future__ import annotations

import functools
import http
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from eternaltwin._secrets import mask
from eternaltwin.archive import DinoparcUser, HammerfestUser, TwinoidUser
from eternaltwin.exceptions import RateLimitedError, RequestError
from eternaltwin.tokens import Token
from eternaltwin.users import LinkedAccount, SearchPage, User

if TYPE_CHECKING:
    from eternaltwin.clients.abc.clients import ClientABC
    from eternaltwin.connections import Connections
    from eternaltwin.states import State

__all__ = [
    "displayable_types",
    "format_countdown",
    "format_time",
    "get_style",
    "html",
    "mimebundle",
    "set_style",
    "text",
]

Style = Literal["html", "text"]

#: Shown for a value the object does not hold.
MISSING = "—"
#: A table longer than this shows its first :data:`_HEAD_ROWS` and last :data:`_TAIL_ROWS` rows only.
_MAX_ROWS = 60
_HEAD_ROWS = 20
_TAIL_ROWS = 5
#: How much of a UUID a compact table shows (the whole one is the cell's tooltip).
_SHORT_ID = 8
#: Query parameters whose values are masked when a url is shown.
_SECRET_PARAMS = frozenset({"access_token", "refresh_token", "client_secret", "code", "password", "token"})
_BODY_PREVIEW = 200

_style: Style = "html"


# -- public entry points --------------------------------------------------------------------------------


def mimebundle(
    obj: object, include: Collection[str] | None = None, exclude: Collection[str] | None = None
) -> dict[str, str]:
    """The display of ``obj`` as a MIME bundle (``text/plain`` and, unless turned off, ``text/html``).

    Parameters
    ----------
    obj : object
        One of the displayed types (see the module docstring).
    include, exclude : collection of str, optional
        MIME types to keep or to drop, as IPython passes them to ``_repr_mimebundle_``.

    Returns
    -------
    dict
        ``{"text/plain": ..., "text/html": ...}``, filtered by ``include`` and ``exclude``.

    Raises
    ------
    TypeError
        When ``obj`` is not a displayed type.
    """
    model = _model(obj)
    plain = _text_of(model)
    bundle = {"text/plain": plain}
    if _style == "html" and _wanted("text/html", include, exclude):
        bundle["text/html"] = _wrap_html(plain, _html_of(model))
    return {mime: data for mime, data in bundle.items() if _wanted(mime, include, exclude)}


def text(obj: object) -> str:
    """The plain-text display of ``obj`` (what ``text/plain`` holds)."""
    return _text_of(_model(obj))


def html(obj: object) -> str:
    """The HTML display of ``obj``, with its stylesheet and ``<pre>`` fallback (what ``text/html`` holds)."""
    model = _model(obj)
    return _wrap_html(_text_of(model), _html_of(model))


def set_style(style: Style) -> None:
    """Choose what rich displays produce: ``"html"`` (HTML and text, the default) or ``"text"`` only.

    Parameters
    ----------
    style : {"html", "text"}
    """
    global _style
    if style not in ("html", "text"):
        raise ValueError(f"The display style is 'html' or 'text', not {style!r}.")
    _style = style


def get_style() -> Style:
    """The display style chosen with :func:`set_style`."""
    return _style


def displayable_types() -> list[type]:
    """The classes this module displays, importing only the kit's own modules that exist.

    The extension registers the ones without ``_repr_mimebundle_`` with IPython's formatters.
    """
    return [cls for cls, _ in _renderers()]


def format_time(when: datetime | float | None) -> str:
    """A UTC timestamp to the minute (``2024-05-01 12:34 UTC``); a POSIX time is accepted too.

    >>> format_time(datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC))
    '2024-05-01 12:34 UTC'
    >>> format_time(None)
    '—'
    """
    if when is None:
        return MISSING
    if isinstance(when, int | float):
        when = datetime.fromtimestamp(when, tz=UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def format_countdown(seconds: float | None) -> str:
    """How long until an expiry, for people: ``expires in 59 min``, ``expired 3 min ago``, ``no expiry``
    (None: a token the server gave no lifetime).

    >>> format_countdown(3599)
    'expires in 59 min'
    >>> format_countdown(-200)
    'expired 3 min ago'
    >>> format_countdown(0)
    'expired'
    >>> format_countdown(1_000_000_000)
    'expires in 32 years'
    """
    if seconds is None:
        return "no expiry"
    if seconds >= 1:
        return f"expires in {_duration(seconds)}"
    if seconds > -60:
        return "expired"
    return f"expired {_duration(-seconds)} ago"


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    if days >= 730:  # eternaltwin.org's tokens last 1,000,000,000 s: "31 years" says it better than days
        return f"{round(days / 365.25)} years"
    return f"{days} d {hours} h" if hours else f"{days} d"


def _wanted(mime: str, include: Collection[str] | None, exclude: Collection[str] | None) -> bool:
    return (not include or mime in include) and not (exclude and mime in exclude)


# -- the model ------------------------------------------------------------------------------------------

_Tone = Literal["", "ok", "warn", "bad", "quiet"]
_CellStyle = Literal["", "mono", "muted", "num"]


@dataclass(frozen=True, slots=True)
class _Cell:
    """One value as shown: its text, a style, and an optional tooltip (the HTML ``title``)."""

    text: str
    style: _CellStyle = ""
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class _Badge:
    text: str
    tone: _Tone = ""


@dataclass(frozen=True, slots=True)
class _Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[_Cell, ...], ...]
    caption: str = ""
    emphasis: str = ""  # a bold part at the start of the caption ("1–20 of 137")
    highlighted: frozenset[int] = frozenset()
    empty: str = "none"
    gap: tuple[int, str] | None = None  # (index of the row after which rows were left out, what to say)


@dataclass(frozen=True, slots=True)
class _Card:
    kind: str
    title: str
    badges: tuple[_Badge, ...] = ()
    fields: tuple[tuple[str, _Cell], ...] = ()
    sections: tuple[tuple[str, _Table], ...] = ()
    error: bool = False


_Model = _Card | _Table


def _cell(value: object, style: _CellStyle = "") -> _Cell:
    return _Cell(MISSING if value is None or value == "" else str(value), style)


def _when(value: datetime | float | None) -> _Cell:
    if value is None:
        return _Cell(MISSING, "muted")
    when = value if isinstance(value, datetime) else datetime.fromtimestamp(value, tz=UTC)
    return _Cell(format_time(when), tooltip=when.astimezone(UTC).isoformat())


def _day(value: datetime | None) -> _Cell:
    """A date without the time (the full timestamp is the tooltip)."""
    if value is None:
        return _Cell(MISSING, "muted")
    when = value.astimezone(UTC) if value.tzinfo is not None else value
    return _Cell(when.strftime("%Y-%m-%d"), tooltip=format_time(when))


def _short_id(identifier: str) -> _Cell:
    """The start of an id (a UUID's first block), the whole id as the tooltip."""
    if len(identifier) <= _SHORT_ID + 1:
        return _Cell(identifier, "mono")
    return _Cell(identifier[:_SHORT_ID] + "…", "mono", tooltip=identifier)


def _elide(
    rows: Sequence[tuple[_Cell, ...]], noun: str
) -> tuple[tuple[tuple[_Cell, ...], ...], tuple[int, str] | None]:
    """The rows to show of a long table, and where the gap is (see :data:`_MAX_ROWS`)."""
    if len(rows) <= _MAX_ROWS:
        return tuple(rows), None
    left_out = len(rows) - _HEAD_ROWS - _TAIL_ROWS
    kept = (*rows[:_HEAD_ROWS], *rows[-_TAIL_ROWS:])
    return tuple(kept), (_HEAD_ROWS - 1, f"… {left_out:,} more {noun} …")


def _yes_no(value: bool | None) -> _Cell:
    return _Cell(MISSING, "muted") if value is None else _Cell("yes" if value else "no")


def _is_set(secret: object) -> _Cell:
    """Whether a secret is set, never any of it."""
    if secret is None or secret == "" or secret == b"":
        return _Cell("not set", "muted")
    return _Cell("set")


def _expiry_badge(seconds_left: float | None) -> _Badge:
    if seconds_left is None:
        return _Badge(format_countdown(None), "ok")
    tone: _Tone = "bad" if seconds_left < 1 else "warn" if seconds_left < 300 else "ok"
    return _Badge(format_countdown(seconds_left), tone)


def _safe_url(url: str) -> str:
    """``url`` with the values of secret-looking query parameters masked."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key.lower() in _SECRET_PARAMS for key, _ in pairs):
        return url
    query = urlencode([(k, mask(v) if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="•")
    return urlunsplit(parts._replace(query=query))


# -- renderers ------------------------------------------------------------------------------------------


def _user(user: User) -> _Card:
    badges: list[_Badge] = []
    if user.is_administrator:
        badges.append(_Badge("administrator"))
    if user.is_deleted:
        badges.append(_Badge("deleted", "bad"))
    if user.token is not None:
        badges.append(_Badge("signed in", "ok"))
    fields: list[tuple[str, _Cell]] = [("id", _cell(user.identifier, "mono"))]
    if user.login_name is not None:
        fields.append(("login", _cell(user.login_name)))
    if user.email_address is not None:
        fields.append(("email", _cell(user.email_address)))
    fields += [
        ("created", _when(user.created_at)),
        ("administrator", _yes_no(user.is_administrator)),
        ("deleted", _when(user.deleted_at) if user.deleted_at is not None else _Cell("no")),
    ]
    if user.token is not None:
        fields.append(
            ("token", _Cell(f"{user.token.token_type}, {format_countdown(user.token.seconds_left)}"))
        )
    if user.using is not None:
        fields.append(("connection", _cell(user.using)))
    sections: list[tuple[str, _Table]] = []
    if user.has_links:
        sections.append(("linked game accounts", _links_table(user.links.values())))
    else:
        fields.append(("linked accounts", _Cell("not in this view (User.get shows them)", "muted")))
    name = user.display_name if user.display_name is not None else "(no display name)"
    return _Card("user", name, tuple(badges), tuple(fields), tuple(sections))


def _links_table(accounts: Iterable[LinkedAccount]) -> _Table:
    rows = tuple(
        (_cell(a.server), _cell(a.name), _cell(a.id, "mono"), _cell(a.type, "muted"), _when(a.linked_at))
        for a in accounts
    )
    return _Table(("server", "name", "id", "type", "linked"), rows, empty="none")


def _linked_account(account: LinkedAccount) -> _Card:
    title = f"{account.name or account.id} @ {account.server}"
    fields = (
        ("site", _cell(account.site, "mono")),
        ("server", _cell(account.server)),
        ("type", _cell(account.type)),
        ("id", _cell(account.id, "mono")),
        ("name", _cell(account.name)),
        ("linked", _when(account.linked_at)),
    )
    return _Card("linked account", title, fields=fields)


def _archived_account(account: HammerfestUser | DinoparcUser | TwinoidUser) -> _Card:
    """An archived game account: who it was, when it was archived, its Eternaltwin user."""
    if isinstance(account, TwinoidUser):
        kind, server, name = "Twinoid account", "twinoid.com", account.display_name
    else:
        game = "Hammerfest" if isinstance(account, HammerfestUser) else "Dinoparc"
        kind, server, name = f"{game} account", account.server, account.username
    fields: list[tuple[str, _Cell]] = [
        ("server", _cell(server)),
        ("id", _cell(account.id, "mono")),
        ("archived", _when(account.archived_at)),
    ]
    if isinstance(account, HammerfestUser):
        fields += [
            ("best score", _cell(account.best_score, "num")),
            ("best level", _cell(account.best_level, "num")),
        ]
    elif isinstance(account, DinoparcUser):
        fields += [("coins", _cell(account.coins, "num")), ("dinoz", _cell(len(account.dinoz), "num"))]
    owner = account.etwin_user
    if owner is None:
        fields.append(("Eternaltwin user", _Cell("not linked", "muted")))
    else:
        label = f"{owner.display_name} ({owner.identifier})" if owner.display_name else owner.identifier
        fields.append(("Eternaltwin user", _cell(label)))
    return _Card(kind, name or account.id, fields=tuple(fields))


def _flags(user: User) -> _Cell:
    """``admin``, ``deleted``, both or neither; unknown when the shape did not say."""
    flags = [name for name, on in (("admin", user.is_administrator), ("deleted", user.is_deleted)) if on]
    if not flags and user.is_administrator is None:
        return _Cell(MISSING, "muted")
    return _Cell(", ".join(flags))


def _games(user: User) -> _Cell:
    """How many game accounts are linked; blank for none (or when the shape did not carry links, which
    a frame cannot tell apart: blank either way, so that a page and ``search --all`` agree)."""
    return _Cell(str(len(user.links)) if user.links else "", "num")


def _search_page(page: SearchPage) -> _Table:
    """A compact table, one line per user: the id shortened, the creation day, flags and linked games.

    Every value the full frame (``eternaltwin.pandas.users_frame``) would spread over 19 columns is
    either here, in a tooltip (the whole id, the creation time), or one call away (``User.get``).
    """
    rows = [
        (
            _Cell(str(page.offset + i + 1), "num"),
            _cell(user.display_name),
            _short_id(user.identifier),
            _day(user.created_at),
            _flags(user),
            _games(user),
        )
        for i, user in enumerate(page.items)
    ]
    shown, gap = _elide(rows, "users")
    if page.items:
        emphasis = f"{page.offset + 1:,}–{page.offset + len(page.items):,} of {page.count:,}"
    elif page.count:
        emphasis = f"none of {page.count:,} past offset {page.offset:,}"
    else:
        emphasis = "0 of 0"
    headers = ("#", "display name", "id", "created", "flags", "games")
    return _Table(headers, shown, caption="users", emphasis=emphasis, empty="no user matches", gap=gap)


#: What each :attr:`~eternaltwin.tokens.Token.kind` means for the person holding the token.
_TOKEN_KINDS = {
    "refreshable": "refreshable: the kit renews it with its refresh token",
    "long-lived": "long-lived: no refresh token, and none needed",
    "short-lived": "short-lived: no refresh token, log in again once it expires",
}


def _token(token: Token) -> _Card:
    kind = token.kind
    fields = (
        ("type", _cell(token.token_type)),
        ("kind", _Cell(_TOKEN_KINDS.get(kind, kind))),
        ("expires", _Cell(format_countdown(token.seconds_left))),
        ("expires at", _when(token.expiration)),
        ("access token", _Cell(mask(token.access_token), "mono")),
        ("refresh token", _is_set(token.refresh_token)),
    )
    return _Card("token", token.token_type, (_expiry_badge(token.seconds_left),), fields)


def _state(state: State) -> _Card:
    nonce = state.nonce
    shown_nonce = _Cell(nonce[:16] + "…", "mono", f"{len(nonce)} characters") if len(nonce) > 16 else None
    fields = (
        ("action", _cell(state.a)),
        ("authorization server", _cell(state.as_, "mono")),
        ("issued", _when(state.iat)),
        ("forgery protection", _when(state.rfp)),
        ("expires at", _when(state.exp)),
        ("nonce", shown_nonce or _cell(nonce, "mono")),
        ("signing key", _Cell(f"{state.key.algorithm}, set")),
    )
    return _Card("OAuth state", state.a, (_expiry_badge(state.exp - time.time()),), fields)


def _request_error(error: RequestError) -> _Card:
    try:
        phrase = http.HTTPStatus(error.status_code).phrase
    except ValueError:
        phrase = ""
    fields: list[tuple[str, _Cell]] = [
        ("status", _cell(f"{error.status_code} {phrase}".strip())),
        ("url", _cell(_safe_url(error.url), "mono")),
        ("server error", _cell(error.code, "mono")),
    ]
    if error.code is None:
        body = error.response.content.decode("utf-8", "replace").strip()
        if body:
            preview = body if len(body) <= _BODY_PREVIEW else body[:_BODY_PREVIEW] + "…"
            fields.append(("body", _Cell(preview, "mono")))
    if isinstance(error, RateLimitedError) and error.retry_after is not None:
        fields.append(("retry after", _Cell(f"{error.retry_after:g} s")))
    title = f"{error.status_code} {error.code or phrase}".strip()
    return _Card(type(error).__name__, title, fields=tuple(fields), error=True)


def _logged_in(client: ClientABC, nobody: str) -> _Cell:
    user = client.user
    if user is None:
        return _Cell(nobody, "muted")
    return _cell(user.display_name or user.identifier)


def _client(client: ClientABC) -> _Card:
    badges: list[_Badge] = []
    if client.is_read_only:
        badges.append(_Badge("read-only", "quiet"))
    if client.user is not None:
        badges.append(_Badge("logged in", "ok"))
    fields = (
        ("url", _cell(client.url, "mono")),
        ("client id", _cell(client.client_id, "mono")),
        ("client secret", _is_set(client.client_secret)),
        ("redirect uri", _cell(client.redirect_uri, "mono")),
        ("state key", _is_set(client.state_key)),
        ("timeout", _cell(None if client.timeout is None else f"{client.timeout:g} s")),
        ("logged in as", _logged_in(client, "nobody")),
    )
    kind = "async connection" if _is_async(type(client)) else "connection"
    return _Card(kind, client.url, tuple(badges), fields)


def _is_async(client_class: type) -> bool:
    from eternaltwin.clients.asyncio.clients import Eternaltwin as AsyncEternaltwin

    return issubclass(client_class, AsyncEternaltwin)


def _registry(registry: Connections[Any]) -> _Table:
    active = registry.active if registry.active in registry else None
    clients = [(alias, registry[alias]) for alias in sorted(registry)]
    rows = tuple(
        (
            _Cell("●" if alias == active else ""),
            _cell(alias),
            _cell(client.url, "mono"),
            _cell(client.client_id, "mono"),
            _is_set(client.client_secret),
            _logged_in(client, MISSING),
        )
        for alias, client in clients
    )
    headers = ("active", "alias", "url", "client id", "secret", "logged in as")
    summary = f"{len(rows)} configured" + (f", active: {active}" if active else "")
    return _Table(
        headers,
        rows,
        caption="async connections" if _is_async(registry.client_class) else "connections",
        emphasis=summary,
        highlighted=frozenset(i for i, (alias, _) in enumerate(clients) if alias == active),
        empty="none: %eternaltwin sandbox, %%eternaltwin config or eternaltwin.configure(...)",
    )


@functools.cache
def _renderers() -> tuple[tuple[type, Callable[[Any], _Model]], ...]:
    """The displayed classes and their renderers, most specific first.

    Modules of the kit that do not exist (yet) are skipped, so the display works on partial installs.
    """
    found: list[tuple[type, Callable[[Any], _Model]]] = [
        (User, _user),
        (LinkedAccount, _linked_account),
        (HammerfestUser, _archived_account),
        (DinoparcUser, _archived_account),
        (TwinoidUser, _archived_account),
        (SearchPage, _search_page),
        (Token, _token),
        (RequestError, _request_error),
    ]
    for module, name, renderer in _OPTIONAL:
        try:
            imported = __import__(module, fromlist=[name])
            cls = getattr(imported, name)
        except (ImportError, AttributeError):
            continue
        if isinstance(cls, type):
            found.append((cls, renderer))
    return tuple(found)


_OPTIONAL: tuple[tuple[str, str, Callable[[Any], _Model]], ...] = (
    ("eternaltwin.states", "State", _state),
    ("eternaltwin.connections", "Connections", _registry),
    ("eternaltwin.clients.abc.clients", "ClientABC", _client),
)


def _model(obj: object) -> _Model:
    for cls, renderer in _renderers():
        if isinstance(obj, cls):
            return renderer(obj)
    raise TypeError(f"eternaltwin.display has no display for {type(obj).__name__} objects.")


# -- writing the model out: text ------------------------------------------------------------------------


def _text_of(model: _Model) -> str:
    if isinstance(model, _Table):
        return "\n".join(_table_text(model, ""))
    head = f"{_initial(model.kind)}: {model.title}"
    if model.badges:
        head += "  " + " ".join(f"[{b.text}]" for b in model.badges)
    lines = [head]
    width = max((len(label) for label, _ in model.fields), default=0)
    lines += [f"  {label.ljust(width)}  {cell.text}" for label, cell in model.fields]
    for title, table in model.sections:
        lines.append(f"  {title}:")
        lines += _table_text(table, "    ", caption=False)
    return "\n".join(lines)


def _initial(text: str) -> str:
    return text[:1].upper() + text[1:]


def _table_text(table: _Table, indent: str, caption: bool = True) -> list[str]:
    lines: list[str] = []
    if caption and (table.caption or table.emphasis):
        lines.append(f"{indent}{_initial(table.caption)}" + (f" {table.emphasis}" if table.emphasis else ""))
        indent += "  "
    if not table.rows:
        return [*lines, f"{indent}({table.empty})"]
    widths = [len(h) for h in table.headers]
    for row in table.rows:
        widths = [max(w, len(c.text)) for w, c in zip(widths, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        return (indent + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))).rstrip()

    lines.append(line(table.headers))
    for index, row in enumerate(table.rows):
        lines.append(line([c.text for c in row]))
        if table.gap is not None and index == table.gap[0]:
            lines.append(indent + table.gap[1])
    return lines


# -- writing the model out: HTML ------------------------------------------------------------------------


@functools.cache
def _css() -> str:
    """The stylesheet, read from package data once per process."""
    return (resources.files("eternaltwin") / "static" / "display.css").read_text(encoding="utf-8")


def _wrap_html(plain: str, body: str) -> str:
    return (
        f'<div class="et-repr"><style>{_css()}</style>'
        f'<pre class="et-text">{escape(plain)}</pre>'
        f'<div class="et-html" style="display:none">{body}</div></div>'
    )


def _html_of(model: _Model) -> str:
    if isinstance(model, _Table):
        return _table_html(model)
    badges = "".join(_badge_html(b) for b in model.badges)
    fields = "".join(f"<dt>{escape(label)}</dt><dd>{_cell_html(cell)}</dd>" for label, cell in model.fields)
    sections = "".join(
        f'<div class="et-section">{escape(title)}</div>{_table_html(table)}'
        for title, table in model.sections
    )
    css_class = "et-card et-error-card" if model.error else "et-card"
    return (
        f'<div class="{css_class}"><div class="et-title"><span class="et-kind">{escape(model.kind)}</span>'
        f'<span class="et-name">{escape(model.title)}</span>{badges}</div>'
        f'<dl class="et-fields">{fields}</dl>{sections}</div>'
    )


def _badge_html(badge: _Badge) -> str:
    tone = f" et-{badge.tone}" if badge.tone else ""
    return f'<span class="et-badge{tone}">{escape(badge.text)}</span>'


def _cell_html(cell: _Cell) -> str:
    attributes = f' class="et-{cell.style}"' if cell.style and cell.style != "num" else ""
    if cell.tooltip:
        attributes += f' title="{escape(cell.tooltip)}"'
    value = escape(cell.text)
    return f"<span{attributes}>{value}</span>" if attributes else value


def _table_html(table: _Table) -> str:
    caption = ""
    if table.caption or table.emphasis:
        caption = (
            f'<div class="et-caption"><span class="et-kind">{escape(table.caption)}</span> '
            f'<span class="et-range">{escape(table.emphasis)}</span></div>'
        )
    if not table.rows:
        return f'{caption}<div class="et-muted">{escape(table.empty)}</div>'
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = []
    for index, row in enumerate(table.rows):
        row_class = ' class="et-active"' if index in table.highlighted else ""
        cells = "".join(
            ('<td class="et-num">' if c.style == "num" else "<td>") + f"{_cell_html(c)}</td>" for c in row
        )
        body.append(f"<tr{row_class}>{cells}</tr>")
        if table.gap is not None and index == table.gap[0]:
            body.append(
                f'<tr class="et-gap"><td colspan="{len(table.headers)}">{escape(table.gap[1])}</td></tr>'
            )
    rows = "".join(body)
    return f'{caption}<table class="et-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
