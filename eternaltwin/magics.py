"""The ``%eternaltwin`` magic (also ``%et``): the common moves of a notebook, one line each.

Loaded by ``%load_ext eternaltwin``. Subcommands::

    %eternaltwin aliases                      the configured connections, the active one marked
    %eternaltwin use ALIAS                    make ALIAS the active connection (what using=None means)
    %eternaltwin search [QUERY] [--limit N] [--offset N] [--all] [--alias A] [--full] [-o VAR]
    %eternaltwin user ID [--alias A]          a user card
    %eternaltwin me [--alias A]               the logged-in user's card
    %eternaltwin forum [SECTION|THREAD|POST] [--offset N] [--limit N] [--alias A] [-o VAR]
                                              the sections; a section's threads; a thread's posts; a post
    %eternaltwin dinoz SERVER ID [--alias A] [-o VAR]   an archived Dinoparc dinoz's card
    %eternaltwin login                        the login widget
    %eternaltwin logout [--alias A]           forget the logged-in user's token
    %eternaltwin sandbox [--population N] [--refresh-tokens]
                                              start a local sandbox server as alias 'sandbox'
    %%eternaltwin config                      a cell of TOML (one table per alias) that configures connections

Errors are shown as one line saying what went wrong and what to do (the cell still fails, so "Run all"
stops there); the Python API underneath keeps raising its typed exceptions.

Settings are traitlets: ``%config EternaltwinMagics.limit = 50``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display
from traitlets import Bool, Integer, observe

from eternaltwin import connections as _registries
from eternaltwin import display as _display
from eternaltwin.exceptions import (
    ConfigurationError,
    EternalTwinError,
    InvalidArgumentError,
    InvalidUserIdError,
    NotAuthenticatedError,
    NotFoundError,
    RequestError,
    TransportError,
    UnauthorizedError,
    UnknownAliasError,
    ValidationError,
)
from eternaltwin.users import GAME_SITES

if TYPE_CHECKING:
    from argparse import Namespace

    from eternaltwin.sandbox import Sandbox

__all__ = ["EternaltwinMagics", "MagicError"]

#: The alias under which ``%eternaltwin sandbox`` registers its server.
SANDBOX_ALIAS = "sandbox"
#: The Dinoparc servers whose dinoz ``%eternaltwin dinoz`` shows.
DINOPARC_SERVERS: tuple[str, ...] = tuple(server for server in GAME_SITES.values() if "dinoparc" in server)
#: The most threads or posts a forum page holds.
FORUM_PAGE_MAX = 100


class MagicError(Exception):
    """A magic's failure, shown by IPython as one line (no traceback).

    IPython asks an exception for ``_render_traceback_()`` before formatting a traceback; this one answers
    with its message only. The cell still ends in error, so a notebook run stops there.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"eternaltwin: {self}"]


# -- subcommand parsers ---------------------------------------------------------------------------------
# Each function below only carries a parser (and its help text) built by IPython's magic_arguments.

_Decorator = Callable[[Callable[[], None]], Callable[[], None]]


def _command(name: str) -> _Decorator:
    """``magic_arguments(name=...)``, typed."""
    return cast(_Decorator, magic_arguments(name=name))  # type: ignore[no-untyped-call]


def _arg(*names: str, **options: Any) -> _Decorator:
    """``argument(...)``, typed."""
    return cast(_Decorator, argument(*names, **options))  # type: ignore[no-untyped-call]


@_command("eternaltwin aliases")
def _aliases_args() -> None:
    """List the configured connections, the active one marked.

    Columns: alias, url, client id, whether a secret is set, logged-in user.
    """


@_command("eternaltwin use")
@_arg("alias", metavar="ALIAS", help="a configured alias (see %%eternaltwin aliases)")
def _use_args() -> None:
    """Make ALIAS the active connection: what using=None means everywhere."""


@_command("eternaltwin search")
@_arg(
    "query",
    nargs="?",
    default=None,
    metavar="QUERY",
    help="text to look for in usernames and display names (default: every user)",
)
@_arg("--limit", type=int, default=None, metavar="N", help="page size (default: EternaltwinMagics.limit, 20)")
@_arg("--offset", type=int, default=0, metavar="N", help="where the page starts (default 0)")
@_arg("--all", action="store_true", dest="every", help="walk every page (concurrently)")
@_arg("--alias", default=None, metavar="A", help="the connection to use (default: the active one)")
@_arg(
    "--full",
    action="store_true",
    help="show the full DataFrame (every column, each game server's account too) instead of the table",
)
@_arg(
    "-o",
    "--output",
    default=None,
    metavar="VAR",
    help="store the full DataFrame in VAR instead of showing anything",
)
def _search_args() -> None:
    """Search users by display name: a compact table of the matching users.

    One line per user: display name, the id's first characters (the whole id on hover), creation
    day, admin/deleted flags and the number of linked game accounts. The table is a SearchPage, so
    VAR = %eternaltwin search ... keeps one (eternaltwin.pandas.users_frame(VAR) makes it a DataFrame).
    --full shows the full DataFrame instead; -o VAR stores it.
    """


@_command("eternaltwin user")
@_arg("id", metavar="ID", help="the user's id (a UUID)")
@_arg("--alias", default=None, metavar="A", help="the connection to use (default: the active one)")
def _user_args() -> None:
    """Show a user's card."""


@_command("eternaltwin me")
@_arg("--alias", default=None, metavar="A", help="the connection to use (default: the active one)")
def _me_args() -> None:
    """Show the logged-in user's card."""


@_command("eternaltwin forum")
@_arg(
    "ref",
    nargs="?",
    default=None,
    metavar="SECTION|THREAD|POST",
    help="a section or a thread, by key (en_main) or id (a UUID), or a post's id; none: every section",
)
@_arg("--offset", type=int, default=0, metavar="N", help="where the page of threads or posts starts (0)")
@_arg(
    "--limit",
    type=int,
    default=None,
    metavar="N",
    help=f"threads or posts per page, 1 to {FORUM_PAGE_MAX} (default: 20 threads, 10 posts)",
)
@_arg("--alias", default=None, metavar="A", help="the connection to use (default: the active one)")
@_arg("-o", "--output", default=None, metavar="VAR", help="store what would be shown in VAR instead")
def _forum_args() -> None:
    """Read the forum: its sections, a section's threads, a thread's posts, or a post.

    With no argument, the sections (key, locale, thread count). A section's key or id shows a page of its
    threads, most recently active first; a thread's key or id, a page of its posts, oldest first (their
    text is the server's HTML, sanitised); a post's id, the post with its versions. A reference is tried
    as a section, then as a thread, then (a UUID) as a post. The cards are the kit's objects:
    VAR = %eternaltwin forum ... keeps one. For DataFrames of every thread or post, see
    eternaltwin.pandas.forum_threads_frame and forum_posts_frame.
    """


@_command("eternaltwin dinoz")
@_arg("server", metavar="SERVER", help="the Dinoparc server: " + ", ".join(DINOPARC_SERVERS))
@_arg("id", metavar="ID", help="the dinoz id (a number; a Dinoparc account's card lists its dinoz)")
@_arg("--alias", default=None, metavar="A", help="the connection to use (default: the active one)")
@_arg("-o", "--output", default=None, metavar="VAR", help="store the DinoparcDinoz in VAR instead")
def _dinoz_args() -> None:
    """Show an archived Dinoparc dinoz: race, level, life, elements, skills, owner.

    For the dinoz of many users at once, see eternaltwin.pandas.dinoz_frame.
    """


@_command("eternaltwin login")
def _login_args() -> None:
    """Show the login widget (connection picker and OAuth login)."""


@_command("eternaltwin logout")
@_arg("--alias", default=None, metavar="A", help="the connection to log out of (default: the active one)")
def _logout_args() -> None:
    """Forget the logged-in user's token, and the login "remember me" saved for the connection."""


@_command("eternaltwin sandbox")
@_arg("--population", type=int, default=None, metavar="N", help="number of generated users (default 0)")
@_arg(
    "--refresh-tokens",
    action="store_true",
    help="issue refresh tokens, to show a client's refresh (eternaltwin.org issues none)",
)
def _sandbox_args() -> None:
    """Start a local sandbox server in the background as alias 'sandbox', and make it active."""


@_command("eternaltwin config")
def _config_args() -> None:
    """Cell magic: configure connections from TOML, one table per alias, as in eternaltwin.toml.

    For example, a cell of three lines: %%eternaltwin config, [default], url = "https://eternaltwin.org/".
    """


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _line_cell_magic(name: str) -> Callable[[_Method], _Method]:
    """``line_cell_magic(name)``, typed."""
    return cast(Callable[[_Method], _Method], line_cell_magic(name))


_PARSERS: dict[str, Callable[[], None]] = {
    "aliases": _aliases_args,
    "use": _use_args,
    "search": _search_args,
    "user": _user_args,
    "me": _me_args,
    "forum": _forum_args,
    "dinoz": _dinoz_args,
    "login": _login_args,
    "logout": _logout_args,
    "sandbox": _sandbox_args,
    "config": _config_args,
}


def _summary(command: str) -> str:
    parser = _parser(command)
    usage = " ".join(parser.format_usage().split())
    usage = usage.removeprefix("usage: ").removeprefix("::")
    first = (parser.description or "").strip().splitlines()[0] if parser.description else ""
    usage = usage.strip()
    if command == "config":
        usage = "%" + usage
    return f"  {usage}\n      {first}"


def _parser(command: str) -> Any:
    return getattr(_PARSERS[command], "parser")  # noqa: B009 - set by magic_arguments


def _overview() -> str:
    lines = [
        "Eternaltwin in notebooks: %eternaltwin SUBCOMMAND (or %et), %%eternaltwin config for a TOML cell.",
        "",
        *(_summary(command) for command in _PARSERS),
        "",
        "%eternaltwin SUBCOMMAND --help shows a subcommand's options.",
        "Settings: %config EternaltwinMagics (limit, concurrency, progress, html).",
    ]
    return "\n".join(lines)


# -- the magics -----------------------------------------------------------------------------------------


@magics_class
class EternaltwinMagics(Magics):
    """``%eternaltwin`` / ``%et``: connections, user search, user cards, login and a local sandbox.

    Attributes
    ----------
    limit : int
        Default page size of ``%eternaltwin search`` (20).
    concurrency : int
        Requests in flight at once for ``search --all`` (8).
    progress : bool
        Whether ``search --all`` shows a progress bar (True).
    html : bool
        Whether the kit's objects display as HTML (True); False keeps them to plain text.
    """

    limit = Integer(20, help="Default page size of %eternaltwin search.").tag(config=True)
    concurrency = Integer(8, help="Requests in flight at once for %eternaltwin search --all.").tag(
        config=True
    )
    progress = Bool(True, help="Show a progress bar for %eternaltwin search --all.").tag(config=True)
    html = Bool(True, help="Display the kit's objects as HTML (False: plain text only).").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.sandbox: Sandbox | None = None
        self._sandbox_population: int = 0

    @observe("html")
    def _html_changed(self, change: Any) -> None:
        _display.set_style("html" if change["new"] else "text")

    @_line_cell_magic("et")
    @_line_cell_magic("eternaltwin")
    def eternaltwin(self, line: str, cell: str | None = None) -> Any:
        """Eternaltwin in notebooks; ``%eternaltwin --help`` lists the subcommands."""
        command, _, rest = line.strip().partition(" ")
        if command in ("", "-h", "--help", "help"):
            print(_overview())
            return None
        if command not in _PARSERS:
            raise MagicError(f"unknown subcommand {command!r}; %eternaltwin --help lists them.")
        if cell is not None and command != "config":
            raise MagicError(f"%%eternaltwin {command} is not a cell magic; only %%eternaltwin config is.")
        args = self._parse(command, rest)
        if args is None:
            return None
        if command == "config":
            if cell is None:
                raise MagicError(
                    "config is a cell magic: start the cell with %%eternaltwin config, then TOML."
                )
            return self._config(cell)
        handler: Callable[[Namespace], Any] = getattr(self, f"_{command}")
        return handler(args)

    def _parse(self, command: str, rest: str) -> Namespace | None:
        """The subcommand's arguments, or None after printing its help."""
        parser = _parser(command)
        try:
            words = shlex.split(rest)
        except ValueError as exc:
            raise MagicError(f'{command}: {exc} (quote a query with spaces: search "a b").') from None
        if "-h" in words or "--help" in words:
            usage = "usage: %" if command == "config" else "usage: "
            print(parser.format_help().replace("::\n\n  ", usage, 1))
            return None
        try:
            namespace: Namespace = parser.parse_args(words)
        except UsageError as exc:
            raise MagicError(f"{command}: {exc}; %eternaltwin {command} --help shows the options.") from None
        return namespace

    # -- subcommands ---------------------------------------------------------------------------------

    def _aliases(self, args: Namespace) -> Any:
        return _registries.connections

    def _use(self, args: Namespace) -> None:
        with _edge():
            _registries.connections.use(args.alias)
            if args.alias in _registries.async_connections:
                _registries.async_connections.use(args.alias)
            url = _registries.connections[args.alias].url
        print(f"Active connection: {args.alias} ({url}).")

    def _search(self, args: Namespace) -> Any:
        if args.every and args.limit is not None:
            raise MagicError("search: --all walks every page; leave out --limit (or leave out --all).")
        _check_output("search", args.output)
        limit = self.limit if args.limit is None else args.limit
        if limit < 1 or args.offset < 0:
            raise MagicError("search: --limit must be at least 1 and --offset at least 0.")
        pandas = _pandas()

        # The compact table is a SearchPage (display.py renders it); the full frame only when asked for.
        frame_wanted = args.full or args.output is not None
        frame: Any = None
        page: Any = None
        with _edge(alias=args.alias):
            if args.every:
                frame = pandas.search_frame(
                    args.query,
                    concurrency=self.concurrency,
                    progress=self.progress,
                    using=args.alias,
                )
                if not frame_wanted:
                    page = _whole_page(frame.eternaltwin.users())
            else:
                client = _registries.connections.get_connection(args.alias)
                page = client.search_users(args.query, limit, args.offset)
                frame = pandas.users_frame(page) if frame_wanted else None
                next_offset = page.next_offset
                if next_offset is not None and args.output is None:
                    print(
                        f"Users {page.offset + 1}–{next_offset} of {page.count}; --offset {next_offset} "
                        "shows the next ones, --all fetches every page."
                    )
        if args.output is not None:
            assert self.shell is not None and frame is not None
            self.shell.user_ns[args.output] = frame
            noun = "user" if len(frame) == 1 else "users"
            print(f"Stored {len(frame)} {noun} in {args.output}.")
            return None
        return frame if args.full else page

    def _user(self, args: Namespace) -> Any:
        with _edge(alias=args.alias, user_id=args.id):
            return _registries.connections.get_connection(args.alias).get_user(args.id)

    def _me(self, args: Namespace) -> Any:
        with _edge(alias=args.alias):
            return _registries.connections.get_connection(args.alias).me()

    def _forum(self, args: Namespace) -> Any:
        _check_output("forum", args.output)
        ref: str | None = args.ref
        if args.offset < 0 or (args.limit is not None and not 1 <= args.limit <= FORUM_PAGE_MAX):
            raise MagicError(f"forum: --offset must be at least 0 and --limit from 1 to {FORUM_PAGE_MAX}.")
        if ref is None and (args.offset or args.limit is not None):
            raise MagicError(
                "forum: --offset and --limit page a section's threads or a thread's posts; "
                "name one (%eternaltwin forum lists the sections)."
            )
        with _edge(alias=args.alias):
            client = _registries.connections.get_connection(args.alias)
            shown: Any = client.forum.sections() if ref is None else _forum_object(client, ref, args)
        if ref is None:
            what = "the forum sections"
        else:
            what = {"ForumSection": "the forum section", "ForumThread": "the forum thread"}.get(
                type(shown).__name__, "the forum post"
            )
        return self._show(shown, args.output, what)

    def _dinoz(self, args: Namespace) -> Any:
        _check_output("dinoz", args.output)
        server, dinoz_id = args.server.strip().lower(), args.id.strip()
        if server not in DINOPARC_SERVERS:
            raise MagicError(
                f"dinoz: {args.server!r} is not a Dinoparc server; "
                f"SERVER is one of {', '.join(DINOPARC_SERVERS)}."
            )
        if not dinoz_id.isdecimal():
            raise MagicError(f"dinoz: {args.id!r} is not a dinoz id; dinoz ids are numbers, such as 581.")
        missing = (
            f"no dinoz {dinoz_id} on {server} in the archive of {_where(args.alias)}; "
            "a Dinoparc account's card lists its dinoz."
        )
        with _edge(alias=args.alias, not_found=missing):
            client = _registries.connections.get_connection(args.alias)
            dinoz = client.archive.dinoparc_dinoz(server, dinoz_id)
        return self._show(dinoz, args.output, "the dinoz")

    def _show(self, shown: Any, output: str | None, what: str) -> Any:
        """``shown``, or nothing after storing it in the variable ``output``."""
        if output is None:
            return shown
        assert self.shell is not None
        self.shell.user_ns[output] = shown
        print(f"Stored {what} in {output}.")
        return None

    def _login(self, args: Namespace) -> None:
        try:
            from eternaltwin.widgets import panel
        except ImportError as exc:
            raise MagicError(
                f"the login widget is not available ({exc}); pip install 'eternaltwin-kit[notebook]'."
            ) from None
        display(panel())  # type: ignore[no-untyped-call]

    def _logout(self, args: Namespace) -> None:
        with _edge(alias=args.alias):
            alias = _alias_name(args.alias)
            clients = [
                registry[alias]
                for registry in (_registries.connections, _registries.async_connections)
                if alias in registry
            ]
            if not clients:
                _registries.connections[alias]  # raises UnknownAliasError
            user = next((c.user for c in clients if c.user is not None), None)
            for client in clients:
                _forget_login(client)
            remembered = _forget_remembered_login(clients[0])
        also = " The login remembered for this server is forgotten too." if remembered else ""
        if user is None:
            print(f"Nobody was logged in on {alias!r}.{also}")
        else:
            who = user.display_name or user.identifier
            print(f"Logged out of {alias!r}: {who}'s token is forgotten.{also}")

    def _sandbox(self, args: Namespace) -> None:
        population = self._sandbox_population if args.population is None else args.population
        if population < 0:
            raise MagicError("sandbox: --population must be 0 or more.")
        sandbox = self.sandbox
        refresh = bool(args.refresh_tokens)
        reused = (
            sandbox is not None
            and sandbox.running
            and population == self._sandbox_population
            and sandbox.options.refresh_tokens == refresh
        )
        if not reused:
            try:
                from eternaltwin._hub import sandbox_options
                from eternaltwin.sandbox import Sandbox
            except ImportError as exc:
                raise MagicError(
                    f"the sandbox needs its extra ({exc}); pip install 'eternaltwin-kit[sandbox]'."
                ) from None
            self.stop_sandbox()
            try:
                # Off a hub: a free loopback callback port for the login widget; on a hub (Binder):
                # the login page and callback go through jupyter-server-proxy.
                sandbox = Sandbox(population=population, refresh_tokens=refresh, **sandbox_options()).start()
            except (OSError, RuntimeError) as exc:
                raise MagicError(f"the sandbox did not start ({exc}).") from None
            self.sandbox, self._sandbox_population = sandbox, population
        assert sandbox is not None
        settings = sandbox.connection_config()
        with _edge(alias=SANDBOX_ALIAS):
            for registry in (_registries.connections, _registries.async_connections):
                registry.create_connection(SANDBOX_ALIAS, **settings)
                registry.use(SANDBOX_ALIAS)
        users = population + len(sandbox.demo_users)
        # The demo accounts' passwords are fixed and public (the sandbox's CLI prints them too).
        logins = ", ".join(f"{user.username} / {user.password}" for user in sandbox.demo_users)
        state = "already running" if reused else "running"
        print(
            f"Sandbox {state} at {sandbox.url} with {users} users; alias {SANDBOX_ALIAS!r} is active. "
            f"Demo logins: {logins}."
        )

    def stop_sandbox(self) -> None:
        """Stop the sandbox that ``%eternaltwin sandbox`` started; drop its alias if it still points to it.

        Calling it when no sandbox runs does nothing.
        """
        sandbox, self.sandbox = self.sandbox, None
        if sandbox is None:
            return
        url = sandbox.url
        sandbox.stop()
        for registry in (_registries.connections, _registries.async_connections):
            if SANDBOX_ALIAS in registry and _same_url(registry[SANDBOX_ALIAS].url, url):
                registry.remove_connection(SANDBOX_ALIAS)

    def _config(self, cell: str) -> None:
        from eternaltwin import config

        with _edge():
            data = config.load_text(cell, "the cell")
            _registries.configure(**data)
        active = _registries.connections.active
        names = ", ".join(data)
        if active in data:
            where = f"; active: {active}"
        else:
            where = f"; %eternaltwin use {next(iter(data))} activates it"
        print(f"Configured {names}{where}.")


EternaltwinMagics.eternaltwin.__doc__ = _overview()


# -- helpers --------------------------------------------------------------------------------------------


def _pandas() -> Any:
    try:
        import eternaltwin.pandas as module
    except ImportError as exc:
        raise MagicError(f"search needs pandas ({exc}); pip install 'eternaltwin-kit[notebook]'.") from None
    return module


def _whole_page(users: list[Any]) -> Any:
    """A SearchPage holding every user of a search (what ``search --all`` shows)."""
    from eternaltwin.users import SearchPage

    return SearchPage(offset=0, limit=len(users), count=len(users), items=tuple(users))


def _check_output(command: str, output: str | None) -> None:
    if output is not None and not output.isidentifier():
        raise MagicError(f"{command}: -o takes a variable name, not {output!r}.")


def _forum_object(client: Any, ref: str, args: Namespace) -> Any:
    """The section, else the thread, else (a UUID) the post that ``ref`` names, with its page."""
    offset, limit = args.offset, args.limit
    attempts: list[tuple[str, Callable[[], Any]]] = [
        ("section", lambda: client.forum.section(ref, offset, 20 if limit is None else limit)),
        ("thread", lambda: client.forum.thread(ref, offset, 10 if limit is None else limit)),
    ]
    if _UUID.fullmatch(ref.strip().lower()):
        attempts.append(("post", lambda: client.forum.post(ref)))
    for _, fetch in attempts:
        try:
            return fetch()
        except (NotFoundError, ValidationError):  # not that kind of object: try the next kind
            continue
    kinds = " or ".join(kind for kind, _ in attempts)
    raise MagicError(
        f"no forum {kinds} {ref!r} on {_where(args.alias)}; %eternaltwin forum lists the sections, "
        "%eternaltwin forum SECTION its threads."
    )


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _alias_name(alias: str | None) -> str:
    return alias if alias is not None else str(_registries.connections.active)


def _forget_login(client: Any) -> None:
    user = client.user
    if user is not None:
        user.logout()
    client.user = None


def _forget_remembered_login(client: Any) -> bool:
    """Forget the login the widget's "remember me" saved for this connection's server and OAuth client (as
    the widget's own logout does); whether there was one."""
    if not getattr(client, "client_id", None):
        return False
    from eternaltwin.widgets._token_cache import TokenCache

    try:
        return TokenCache().delete(str(client.url), str(client.client_id))
    except (ConfigurationError, OSError):  # a cache that cannot be used holds nothing this kit saved
        return False


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


@contextmanager
def _edge(
    alias: str | None = None, user_id: str | None = None, not_found: str | None = None
) -> Iterator[None]:
    """Turn the kit's exceptions into one-line :class:`MagicError` messages (the magic's edge only);
    ``not_found`` is what to say for a 404."""
    try:
        yield
    except EternalTwinError as exc:
        if not_found is not None and isinstance(exc, NotFoundError):
            raise MagicError(not_found) from None
        _fail(exc, alias, user_id)


def _fail(exc: EternalTwinError, alias: str | None, user_id: str | None) -> NoReturn:
    if isinstance(exc, UnknownAliasError):
        known = ", ".join(exc.known) or "none yet"
        message = (
            f"no connection named {exc.alias!r} (configured: {known}); %eternaltwin aliases lists them, "
            "%eternaltwin sandbox or %%eternaltwin config adds one."
        )
    elif isinstance(exc, NotAuthenticatedError):
        message = f"nobody is logged in on {_where(alias)}: %eternaltwin login shows the login widget."
    elif isinstance(exc, InvalidUserIdError) or (isinstance(exc, ValidationError) and user_id is not None):
        message = f"{user_id!r} is not a user id (ids are UUIDs); %eternaltwin search finds ids."
    elif isinstance(exc, NotFoundError) and user_id is not None:
        message = f"no user with id {user_id} on {_where(alias)}; %eternaltwin search finds ids."
    elif isinstance(exc, UnauthorizedError):
        message = f"{_where(alias)} refused the request ({exc.status_code}{_code(exc)}); %eternaltwin login."
    elif isinstance(exc, RequestError):
        message = f"{_where(alias)} answered {exc.status_code}{_code(exc)} for {exc.url}."
    elif isinstance(exc, TransportError):
        message = (
            f"cannot reach {_where(alias)} ({exc}); is the server up? %eternaltwin aliases shows its url."
        )
    elif isinstance(exc, ConfigurationError | InvalidArgumentError):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    raise MagicError(message) from None


def _where(alias: str | None) -> str:
    return f"connection {_alias_name(alias)!r}"


def _code(exc: RequestError) -> str:
    return f" {exc.code}" if exc.code else ""
