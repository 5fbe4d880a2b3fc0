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
connection registries (:class:`~eternaltwin.connections.Connections`) and their clients; the forum
(:mod:`eternaltwin.forum`: sections, threads, posts, revisions, announcements, pages of them, the server
config); the archives (:mod:`eternaltwin.archive`: Hammerfest, Dinoparc and Twinoid accounts, Dinoparc
dinoz and dinoz references).

Forum posts come with the server's HTML. It is shown only through :func:`sanitize_html`, an allow-list
of tags and attributes written on the standard library's :mod:`html.parser`: no script, no event
handler, no style, no ``javascript:`` link, every text and attribute escaped again on the way out.

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
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape
from html.parser import HTMLParser
from importlib import resources
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from eternaltwin._secrets import mask
from eternaltwin.archive import (
    DinoparcDinoz,
    DinoparcDinozRef,
    DinoparcUser,
    HammerfestProfile,
    HammerfestUser,
    TwinoidUser,
)
from eternaltwin.clients.abc.clients import ClientABC
from eternaltwin.connections import Connections
from eternaltwin.exceptions import RateLimitedError, RequestError
from eternaltwin.forum import (
    Announcement,
    ForumActor,
    ForumPost,
    ForumRevision,
    ForumSection,
    ForumThread,
    Page,
    ServerConfig,
)
from eternaltwin.states import State
from eternaltwin.tokens import Token
from eternaltwin.users import LinkedAccount, SearchPage, User

__all__ = [
    "displayable_types",
    "format_countdown",
    "format_time",
    "get_style",
    "html",
    "mimebundle",
    "sanitize_html",
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


# -- server HTML, made safe ------------------------------------------------------------------------------

#: The tags a post's HTML keeps (Marktwin's output and the like); any other tag is dropped, its text kept.
_SAFE_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
        "strike", "strong", "sub", "sup", "u", "ul",
    }
)  # fmt: skip
#: Tags dropped with everything inside them (code, styles, foreign markup, embedded content, forms).
_UNSAFE_CONTENT_TAGS = frozenset(
    {
        "applet", "audio", "button", "canvas", "embed", "form", "frame", "frameset", "head", "iframe",
        "math", "noembed", "noframes", "noscript", "object", "plaintext", "script", "select", "style",
        "svg", "template", "textarea", "title", "video", "xmp",
    }
)  # fmt: skip
_VOID_TAGS = frozenset({"br", "hr"})
#: Attributes kept, per tag (values escaped again; ``href`` only with a scheme of :data:`_SAFE_SCHEMES`).
_SAFE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "ol": frozenset({"start"}),
}
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
#: What browsers ignore in a URL (ASCII controls and spaces), hence what could hide a scheme.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


class _Sanitizer(HTMLParser):
    """Re-writes HTML keeping only allowed tags and attributes; see :func:`sanitize_html`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # allowed tags written and not closed yet
        self.skipping: str | None = None  # inside a tag dropped with its content
        self.depth = 0  # how deep in nested copies of that tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping is not None:
            self.depth += tag == self.skipping
            return
        if tag in _UNSAFE_CONTENT_TAGS:
            self.skipping, self.depth = tag, 1
            return
        if tag == "img":  # no remote image: its description, as text
            alt = next((value for name, value in attrs if name == "alt" and value), None)
            if alt:
                self.out.append(escape(f"[{alt}]", quote=False))
            return
        if tag not in _SAFE_TAGS:
            return
        kept = "".join(
            f' {name}="{escape(value)}"'
            for name, value in (self._attribute(tag, name, value) for name, value in attrs)
            if value is not None
        )
        if tag == "a":
            kept += ' rel="noopener noreferrer nofollow" target="_blank"'
        self.out.append(f"<{tag}{kept}>")
        if tag not in _VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    @staticmethod
    def _attribute(tag: str, name: str, value: str | None) -> tuple[str, str | None]:
        if value is None or name not in _SAFE_ATTRIBUTES.get(tag, ()):
            return name, None
        if name == "href":
            url = _URL_NOISE.sub("", value)
            scheme, colon, _ = url.partition(":")
            return name, url if colon and scheme.lower() in _SAFE_SCHEMES else None
        if name == "start":
            return name, value if value.isdigit() else None
        return name, value

    def handle_endtag(self, tag: str) -> None:
        if self.skipping is not None:
            if tag == self.skipping:
                self.depth -= 1
                if self.depth == 0:
                    self.skipping = None
            return
        if tag in self.open:  # close it, and whatever was left open inside it
            while self.open:
                inner = self.open.pop()
                self.out.append(f"</{inner}>")
                if inner == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self.skipping is None:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        self.out += [f"</{tag}>" for tag in reversed(self.open)]
        self.open = []
        return "".join(self.out)


def sanitize_html(markup: str) -> str:
    """HTML from a server (a forum post's) made safe to show in a page: an allow-list, nothing else.

    Kept: text (escaped again), the tags of formatted text (paragraphs, emphasis, quotes, code, lists,
    headings, links...), and of attributes only a link's ``href`` (``http``, ``https`` or ``mailto``,
    opened in a new tab without referrer) and ``title``, and a list's ``start``. Dropped: every other tag
    (its text kept), ``script``, ``style``, ``svg``, ``iframe`` and other tags *with* their content, every
    other attribute (``on*`` event handlers, ``style``, ``class``, ``src``...), comments and declarations.
    An image becomes its ``alt`` text in brackets. Tags left open are closed, stray end tags dropped, so
    the result cannot reach outside the element it is put in.

    Parameters
    ----------
    markup : str
        The HTML, possibly hostile or broken.

    Returns
    -------
    str

    Examples
    --------
    >>> sanitize_html('<p onclick="x()">Hi <b>there</b><script>alert(1)</script>')
    '<p>Hi <b>there</b></p>'
    >>> sanitize_html('<a href="javascript:alert(1)">link</a> <img src=x onerror=alert(1) alt="smile">')
    '<a rel="noopener noreferrer nofollow" target="_blank">link</a> [smile]'
    """
    parser = _Sanitizer()
    parser.feed(markup)
    return parser.result()


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
class _Prose:
    """Formatted text from a server: sanitised HTML for the HTML form, its source text for the text form."""

    html: str  # already through sanitize_html
    text: str
    clipped: bool = False  # one of many (a thread's posts): its height is capped, its text form cut


@dataclass(frozen=True, slots=True)
class _Entry:
    """One item of a list of posts: a heading line, then its text (None: the text was removed)."""

    head: tuple[_Cell, ...]
    badges: tuple[_Badge, ...] = ()
    prose: _Prose | None = None
    missing: str = "(removed)"


@dataclass(frozen=True, slots=True)
class _Entries:
    entries: tuple[_Entry, ...]
    empty: str = "none"


_Part = _Table | _Prose | _Entries


@dataclass(frozen=True, slots=True)
class _Card:
    kind: str
    title: str
    badges: tuple[_Badge, ...] = ()
    fields: tuple[tuple[str, _Cell], ...] = ()
    sections: tuple[tuple[str, _Part], ...] = ()
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
    """An archived game account: who it was, when it was archived, its Eternaltwin user, and what the
    archive holds of its game (a Hammerfest profile and inventory, a Dinoparc account's dinoz)."""
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
    sections: list[tuple[str, _Part]] = []
    badges: tuple[_Badge, ...] = ()
    if isinstance(account, HammerfestUser):
        fields += [
            ("best score", _cell(_number(account.best_score), "num")),
            ("best level", _cell(account.best_level, "num")),
        ]
        if account.profile is not None:
            badges, more, sections = _hammerfest_profile(account.profile)
            fields += more
        fields.append(("inventory", _inventory(account.items)))
    elif isinstance(account, DinoparcUser):
        fields += [
            ("coins", _cell(_number(account.coins), "num")),
            ("inventory", _inventory(account.inventory)),
        ]
        if account.collection is not None:
            rewards, epic = len(account.collection.rewards), len(account.collection.epic_rewards)
            fields.append(("collection", _Cell(f"{rewards} rewards, {epic} epic")))
        sections.append((f"dinoz ({len(account.dinoz)})", _dinoz_refs(account.dinoz)))
    owner = account.etwin_user
    if owner is None:
        fields.append(("Eternaltwin user", _Cell("not linked", "muted")))
    else:
        label = f"{owner.display_name} ({owner.identifier})" if owner.display_name else owner.identifier
        fields.append(("Eternaltwin user", _cell(label)))
    return _Card(kind, name or account.id, badges, tuple(fields), tuple(sections))


def _number(value: int | None) -> str | None:
    return None if value is None else f"{value:,}"


def _inventory(items: Mapping[str, int] | None) -> _Cell:
    if items is None:
        return _Cell("not archived", "muted")
    return _Cell(f"{sum(items.values()):,} items of {len(items)} kinds" if items else "empty")


def _hammerfest_profile(
    profile: HammerfestProfile,
) -> tuple[tuple[_Badge, ...], list[tuple[str, _Cell]], list[tuple[str, _Part]]]:
    """Badges, fields and sections of a Hammerfest profile: game completed, unlocked items, quests."""
    badges = (_Badge("game completed", "ok"),) if profile.game_completed else ()
    unlocked = sum(1 for on in profile.items.values() if on)
    fields = [
        ("game completed", _yes_no(profile.game_completed)),
        ("items unlocked", _Cell(f"{unlocked} of {len(profile.items)}" if profile.items else "none")),
        (
            "profile seen",
            _Cell(f"{_day(profile.first_archived_at).text} to {_day(profile.last_archived_at).text}"),
        ),
    ]
    quests = sorted(profile.quests.items(), key=lambda item: _natural(item[0]))
    rows = tuple((_cell(quest, "mono"), _cell(status)) for quest, status in quests)
    done = len(profile.completed_quests)
    table = _Table(("quest", "status"), rows, empty="none archived")
    return badges, fields, [(f"quests ({done} of {len(quests)} complete)", table)]


def _natural(key: str) -> tuple[int, str]:
    """Sort numeric ids as numbers (then anything else as text)."""
    return (int(key), "") if key.isdigit() else (1 << 62, key)


def _dinoz_refs(refs: Sequence[DinoparcDinozRef]) -> _Table:
    """The dinoz an account lists: their ids, and names where the server sent them (eternaltwin.org
    does not: ``%eternaltwin dinoz SERVER ID`` shows one)."""
    named = any(ref.name for ref in refs)
    rows = [
        (_Cell(str(n), "num"), _cell(ref.id, "mono"), *((_cell(ref.name),) if named else ()))
        for n, ref in enumerate(refs, 1)
    ]
    shown, gap = _elide(rows, "dinoz")
    headers = ("#", "id", "name") if named else ("#", "id")
    return _Table(headers, shown, empty="none archived", gap=gap)


def _dinoz_ref(ref: DinoparcDinozRef) -> _Card:
    fields = (
        ("server", _cell(ref.server)),
        ("id", _cell(ref.id, "mono")),
        ("name", _cell(ref.name)),
        ("fetch", _Cell(f"ref.get() or %eternaltwin dinoz {ref.server} {ref.id}", "mono")),
    )
    return _Card("dinoz reference", ref.name or ref.id, fields=fields)


#: A dinoz skill level (0 to 5) as dots.
_SKILL_DOTS = 5


def _dinoz(dinoz: DinoparcDinoz) -> _Card:
    """An archived dinoz: its card, its elements and its skills (best first)."""
    badges = [_Badge(dinoz.race, "quiet")] if dinoz.race else []
    if dinoz.in_tournament:
        badges.append(_Badge("in tournament", "ok"))
    owner = dinoz.owner
    fields = (
        ("server", _cell(dinoz.server)),
        ("id", _cell(dinoz.id, "mono")),
        ("owner", _cell(None if owner is None else f"{owner.username or owner.id} ({owner.id})")),
        ("level", _cell(dinoz.level, "num")),
        ("life", _cell(None if dinoz.life is None else f"{dinoz.life} %")),
        ("experience", _cell(dinoz.experience, "num")),
        ("danger", _cell(dinoz.danger, "num")),
        ("location", _cell(dinoz.location, "mono")),
        ("skin", _cell(dinoz.skin, "mono")),
        ("in tournament", _yes_no(dinoz.in_tournament)),
        ("archived", _when(dinoz.archived_at)),
    )
    sections: list[tuple[str, _Part]] = []
    elements = dinoz.elements
    names = ("fire", "earth", "water", "thunder", "air")
    if elements is None:
        sections.append(("elements", _Table(names, (), empty="not archived")))
    else:
        row = tuple(_Cell(str(getattr(elements, name)), "num") for name in names)
        sections.append(("elements", _Table(names, (row,))))
    skills = sorted((dinoz.skills or {}).items(), key=lambda item: (-item[1], item[0]))
    rows = tuple(
        (_cell(skill), _Cell(str(level), "num"), _Cell(_dots(level), "muted")) for skill, level in skills
    )
    empty = "not archived" if dinoz.skills is None else "none"
    sections.append((f"skills ({len(rows)})", _Table(("skill", "level", ""), rows, empty=empty)))
    return _Card("Dinoparc dinoz", dinoz.name or f"dinoz {dinoz.id}", tuple(badges), fields, tuple(sections))


def _dots(level: int) -> str:
    filled = max(0, min(level, _SKILL_DOTS))
    return "●" * filled + "○" * (_SKILL_DOTS - filled)


# -- the forum ---------------------------------------------------------------------------------------

#: Lines of a post's text shown in a list of posts (the text form; the HTML caps the height instead).
_CLIP_LINES = 8
_CLIP_CHARS = 600


def _actor(actor: ForumActor | None) -> _Cell:
    """Who wrote a post: the user (id as tooltip), the app, or the role."""
    if actor is None:
        return _Cell(MISSING, "muted")
    name = actor.display_name
    if actor.user is not None:
        return _Cell(name or actor.user.identifier, tooltip=actor.user.identifier)
    return _Cell(name or actor.type, "muted" if name is None else "")


def _prose(html: str | None, text: str | None, clipped: bool = False) -> _Prose | None:
    if html is None and text is None:
        return None
    markup = sanitize_html(html) if html is not None else f"<p>{escape(text or '', quote=False)}</p>"
    return _Prose(markup, text if text is not None else _plain(markup), clipped)


def _plain(markup: str) -> str:
    """Text of sanitised HTML (for the text form when a revision has no Marktwin)."""
    return re.sub(r"<[^>]*>", "", re.sub(r"</p>|<br>", "\n", markup)).strip()


def _flags_of(thread: ForumThread) -> str:
    return ", ".join(name for name, on in (("pinned", thread.is_pinned), ("locked", thread.is_locked)) if on)


def _section_label(section: ForumSection | None) -> _Cell:
    if section is None:
        return _Cell(MISSING, "muted")
    key = f" ({section.key})" if section.key else ""
    return _Cell(f"{section.display_name}{key}", tooltip=section.id)


def _forum_section(section: ForumSection) -> _Card:
    badges = (_Badge(section.locale, "quiet"),) if section.locale else ()
    fields: list[tuple[str, _Cell]] = [
        ("key", _cell(section.key, "mono")),
        ("id", _cell(section.id, "mono")),
        ("created", _when(section.ctime)),
        ("threads", _cell(f"{section.thread_count:,}", "num")),
    ]
    if section.roles:
        fields.append(("your roles", _cell(", ".join(section.roles))))
    if section.role_grants:
        grants = ", ".join(
            f"{g.user.display_name or g.user.identifier} ({g.role})" for g in section.role_grants
        )
        fields.append(("moderators", _cell(grants)))
    sections: tuple[tuple[str, _Part], ...] = ()
    if section.threads is None:
        hint = f"%eternaltwin forum {section.key or section.id} lists them"
        fields.append(("thread list", _Cell(f"not in this view ({hint})", "muted")))
    else:
        page = section.threads
        sections = (("threads " + _page_window(page), _threads_table(page, caption=False)),)
    return _Card("forum section", section.display_name, badges, tuple(fields), sections)


def _sections_table(page: Page[ForumSection]) -> _Table:
    rows = tuple(
        (_cell(s.display_name), _cell(s.key, "mono"), _cell(s.locale), _cell(f"{s.thread_count:,}", "num"),
         _short_id(s.id))
        for s in page
    )  # fmt: skip
    headers = ("section", "key", "locale", "threads", "id")
    return _Table(headers, rows, caption="forum sections", emphasis=f"{len(rows)}", empty="no section")


def _threads_table(page: Page[ForumThread], caption: bool = True) -> _Table:
    rows = [
        (
            _Cell(str(page.offset + n), "num"),
            _cell(thread.title),
            _day(thread.ctime),
            _Cell(f"{thread.post_count:,}", "num"),
            _cell(_flags_of(thread)),
            _short_id(thread.id),
        )
        for n, thread in enumerate(page, 1)
    ]
    shown, gap = _elide(rows, "threads")
    return _Table(
        ("#", "title", "opened", "posts", "flags", "id"),
        shown,
        caption="forum threads" if caption else "",
        emphasis=_page_window(page) if caption else "",
        empty="no thread",
        gap=gap,
    )


def _post_entry(post: ForumPost, number: int | None) -> _Entry:
    head = [_Cell(f"#{number}", "num")] if number is not None else []
    head += [_actor(post.author), _when(post.ctime)]
    badges = []
    if post.is_edited:
        badges.append(_Badge(f"edited, {post.revision_count} versions", "quiet"))
    revision = post.last_revision
    if revision is not None and revision.moderation_html is not None:
        badges.append(_Badge("moderated", "warn"))
    prose = None if revision is None else _prose(revision.html, revision.marktwin, clipped=number is not None)
    missing = "(removed)" if post.is_deleted else "(its text is not in this page of versions)"
    return _Entry(tuple(head), tuple(badges), prose, missing)


def _posts(page: Page[ForumPost]) -> _Entries:
    entries = tuple(_post_entry(post, page.offset + n) for n, post in enumerate(page, 1))
    return _Entries(entries, empty="no post")


def _forum_thread(thread: ForumThread) -> _Card:
    badges = []
    if thread.is_pinned:
        badges.append(_Badge("pinned"))
    if thread.is_locked:
        badges.append(_Badge("locked", "warn"))
    fields: list[tuple[str, _Cell]] = [
        ("section", _section_label(thread.section)),
        ("id", _cell(thread.id, "mono")),
    ]
    if thread.key:
        fields.append(("key", _cell(thread.key, "mono")))
    fields += [("opened", _when(thread.ctime)), ("posts", _cell(f"{thread.post_count:,}", "num"))]
    sections: tuple[tuple[str, _Part], ...] = ()
    if thread.posts is None:
        hint = f"%eternaltwin forum {thread.key or thread.id} shows them"
        fields.append(("post list", _Cell(f"not in this view ({hint})", "muted")))
    else:
        page = thread.posts
        sections = ((f"posts {_page_window(page)}", _posts(page)),)
        if page.next_offset is not None:
            fields.append(("next posts", _Cell(f"--offset {page.next_offset}", "mono")))
    return _Card("forum thread", thread.title, tuple(badges), tuple(fields), sections)


def _forum_post(post: ForumPost) -> _Card:
    entry = _post_entry(post, None)
    fields: list[tuple[str, _Cell]] = [
        ("author", _actor(post.author)),
        ("posted", _when(post.ctime)),
        ("id", _cell(post.id, "mono")),
    ]
    if post.thread is not None:
        fields.append(("thread", _Cell(post.thread.title, tooltip=post.thread.id)))
        fields.append(("section", _section_label(post.thread.section)))
    fields.append(("versions", _cell(post.revision_count, "num")))
    revision = post.last_revision
    sections: list[tuple[str, _Part]] = []
    if entry.prose is not None:
        sections.append(("text", entry.prose))
    else:
        fields.append(("text", _Cell(entry.missing, "muted")))
    if revision is not None and revision.moderation_html is not None:
        note = _prose(revision.moderation_html, revision.moderation_marktwin)
        if note is not None:
            sections.append(("moderation", note))
    if post.revisions is not None:
        sections.append(("versions " + _page_window(post.revisions), _revisions_table(post.revisions)))
    title = _actor(post.author).text + (f" in {post.thread.title}" if post.thread is not None else "")
    return _Card("forum post", title, entry.badges, tuple(fields), tuple(sections))


def _revisions_table(page: Page[ForumRevision]) -> _Table:
    rows = tuple(
        (
            _Cell(str(page.offset + n), "num"),
            _when(revision.time),
            _actor(revision.author),
            _Cell("removed", "muted")
            if revision.is_deleted
            else _Cell(f"{len(revision.marktwin or ''):,} chars"),
            _cell(revision.comment),
        )
        for n, revision in enumerate(page, 1)
    )
    return _Table(("#", "time", "author", "text", "comment"), rows, empty="none")


def _forum_revision(revision: ForumRevision) -> _Card:
    fields: list[tuple[str, _Cell]] = [
        ("author", _actor(revision.author)),
        ("id", _cell(revision.id, "mono")),
        ("comment", _cell(revision.comment)),
    ]
    prose = _prose(revision.html, revision.marktwin)
    sections: tuple[tuple[str, _Part], ...] = ()
    if prose is None:
        fields.append(("text", _Cell("(removed)", "muted")))
    else:
        sections = (("text", prose),)
    return _Card("post version", format_time(revision.time), fields=tuple(fields), sections=sections)


def _announcement(announcement: Announcement) -> _Card:
    thread = announcement.thread
    badges = (_Badge(announcement.locale, "quiet"),) if announcement.locale else ()
    fields = (
        ("published", _when(announcement.created_at)),
        ("id", _cell(announcement.id, "mono")),
        ("thread", _Cell(thread.key or thread.id, "mono")),
        ("posts", _cell(f"{thread.post_count:,}", "num")),
    )
    sections: tuple[tuple[str, _Part], ...] = ()
    first = thread.posts[0] if thread.posts else None
    if first is not None:
        entry = _post_entry(first, None)
        sections = (("text", entry.prose),) if entry.prose is not None else ()
    return _Card("announcement", thread.title, badges, fields, sections)


def _announcements_table(page: Page[Announcement]) -> _Table:
    rows = tuple(
        (_Cell(str(page.offset + n), "num"), _day(a.created_at), _cell(a.locale), _cell(a.title),
         _Cell(f"{a.thread.post_count:,}", "num"), _short_id(a.id))
        for n, a in enumerate(page, 1)
    )  # fmt: skip
    emphasis = _page_window(page)
    headers = ("#", "published", "locale", "title", "posts", "id")
    return _Table(headers, rows, caption="announcements", emphasis=emphasis, empty="no announcement")


def _page(page: Page[Any]) -> _Model:
    """A page of a listing, shown as its items' table (or list, for posts)."""
    first = page.items[0] if page.items else None
    if isinstance(first, ForumSection):
        return _sections_table(page)
    if isinstance(first, ForumThread):
        return _threads_table(page)
    if isinstance(first, Announcement):
        return _announcements_table(page)
    if isinstance(first, ForumPost):
        window = _page_window(page)
        return _Card("forum posts", window, sections=(("", _posts(page)),))
    if isinstance(first, ForumRevision):
        table = _revisions_table(page)
        return replace(table, caption="post versions", emphasis=_page_window(page))
    return _Table(("item",), tuple((_cell(repr(item)),) for item in page), caption="items",
                  emphasis=_page_window(page), empty="none")  # fmt: skip


def _server_config(config: ServerConfig) -> _Card:
    fields = (
        ("threads per page", _cell(config.forum.threads_per_page, "num")),
        ("posts per page", _cell(config.forum.posts_per_page, "num")),
    )
    return _Card("server config", "forum", fields=fields)


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
    emphasis = _window(page.offset, len(page.items), page.count)
    headers = ("#", "display name", "id", "created", "flags", "games")
    return _Table(headers, shown, caption="users", emphasis=emphasis, empty="no user matches", gap=gap)


def _page_window(page: Page[Any]) -> str:
    return _window(page.offset, len(page), page.count)


def _window(offset: int, shown: int, count: int) -> str:
    """Which part of a listing a page holds: ``1–20 of 137``."""
    if shown:
        return f"{offset + 1:,}–{offset + shown:,} of {count:,}"
    if count:
        return f"none of {count:,} past offset {offset:,}"
    return "0 of 0"


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
    """The displayed classes and their renderers, most specific first."""
    return (
        (User, _user),
        (LinkedAccount, _linked_account),
        (HammerfestUser, _archived_account),
        (DinoparcUser, _archived_account),
        (TwinoidUser, _archived_account),
        (SearchPage, _search_page),
        (DinoparcDinoz, _dinoz),
        (DinoparcDinozRef, _dinoz_ref),
        (ForumSection, _forum_section),
        (ForumThread, _forum_thread),
        (ForumPost, _forum_post),
        (ForumRevision, _forum_revision),
        (Announcement, _announcement),
        (Page, _page),
        (ServerConfig, _server_config),
        (Token, _token),
        (RequestError, _request_error),
        (State, _state),
        (Connections, _registry),
        (ClientABC, _client),
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
    for title, part in model.sections:
        indent = "    "
        if title:
            lines.append(f"  {title}:")
        else:
            indent = "  "
        lines += _part_text(part, indent)
    return "\n".join(lines)


def _part_text(part: _Part, indent: str) -> list[str]:
    if isinstance(part, _Table):
        return _table_text(part, indent, caption=False)
    if isinstance(part, _Prose):
        return _prose_text(part, indent)
    if not part.entries:
        return [f"{indent}({part.empty})"]
    lines: list[str] = []
    for entry in part.entries:
        head = "  ".join(cell.text for cell in entry.head)
        if entry.badges:
            head += "  " + " ".join(f"[{b.text}]" for b in entry.badges)
        lines.append(indent + head)
        if entry.prose is None:
            lines.append(f"{indent}  {entry.missing}")
        else:
            lines += _prose_text(entry.prose, indent + "  ")
    return lines


def _prose_text(prose: _Prose, indent: str) -> list[str]:
    """The source text, indented; cut (with a mark) when it is one of many."""
    text = prose.text.strip()
    cut = False
    if prose.clipped:
        if len(text) > _CLIP_CHARS:
            text, cut = text[:_CLIP_CHARS].rstrip(), True
        lines = text.splitlines()
        if len(lines) > _CLIP_LINES:
            lines, cut = lines[:_CLIP_LINES], True
    else:
        lines = text.splitlines()
    if cut:
        lines[-1] += " …"
    return [f"{indent}{line}".rstrip() for line in lines] or [f"{indent}(empty)"]


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
        (f'<div class="et-section">{escape(title)}</div>' if title else "") + _part_html(part)
        for title, part in model.sections
    )
    css_class = "et-card et-error-card" if model.error else "et-card"
    return (
        f'<div class="{css_class}"><div class="et-title"><span class="et-kind">{escape(model.kind)}</span>'
        f'<span class="et-name">{escape(model.title)}</span>{badges}</div>'
        f'<dl class="et-fields">{fields}</dl>{sections}</div>'
    )


def _part_html(part: _Part) -> str:
    if isinstance(part, _Table):
        return _table_html(part)
    if isinstance(part, _Prose):
        return _prose_html(part)
    if not part.entries:
        return f'<div class="et-muted">{escape(part.empty)}</div>'
    items = []
    for entry in part.entries:
        head = " ".join(
            f'<span class="et-num">{_cell_html(c)}</span>' if c.style == "num" else _cell_html(c)
            for c in entry.head
        )
        head += "".join(_badge_html(b) for b in entry.badges)
        body = (
            f'<div class="et-muted">{escape(entry.missing)}</div>'
            if entry.prose is None
            else _prose_html(entry.prose)
        )
        items.append(f'<div class="et-entry"><div class="et-entry-head">{head}</div>{body}</div>')
    return f'<div class="et-entries">{"".join(items)}</div>'


def _prose_html(prose: _Prose) -> str:
    """Sanitised HTML (see :func:`sanitize_html`) in a box of its own."""
    css_class = "et-prose et-clipped" if prose.clipped else "et-prose"
    return f'<div class="{css_class}">{prose.html}</div>'


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
