"""``python -m eternaltwin.sandbox``: run the sandbox until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from eternaltwin._version import __version__
from eternaltwin.sandbox._config import SandboxConfigError
from eternaltwin.sandbox._server import Sandbox

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m eternaltwin.sandbox",
        description=(
            "A local Eternaltwin-compatible server (memory only). By default it behaves as eternaltwin.org "
            "does as far as its source shows: access tokens valid for 1,000,000,000 s, no refresh token. "
            "The options below change that, to test what a client does otherwise."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=50320, help="port (default: 50320; 0 = any free port)")
    parser.add_argument(
        "--config", metavar="TOML", help="an eternaltwin.toml with [seed.app.*] and [seed.user.*]"
    )
    parser.add_argument("--population", type=int, default=0, metavar="N", help="generated users (default: 0)")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, metavar="MS", help="delay added to every response"
    )
    parser.add_argument("--redirect-uri", metavar="URI", help="OAuth callback of the first app")
    parser.add_argument("--external-url", metavar="URL", help="URL browsers use to reach the server")
    behaviour = parser.add_argument_group(
        "behaviour (each replaces the value of the config's [sandbox] table)"
    )
    behaviour.add_argument(
        "--token-lifetime",
        type=int,
        metavar="SECONDS",
        help="access token lifetime (default: 1000000000 like eternaltwin.org; 3600 with --refresh-tokens)",
    )
    behaviour.add_argument(
        "--refresh-tokens",
        action="store_true",
        default=None,
        help="issue rotating refresh tokens and accept the refresh grant, with single-use codes "
        "(eternaltwin.org issues none)",
    )
    behaviour.add_argument(
        "--habits",
        choices=("default", "2021"),
        help="2021: a plain-text 500 for a bad token, search items as ShortUser without offset/limit, "
        "as the 2021 server answers (default: default)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _describe(sandbox: Sandbox, population: int) -> str:
    lines = [f"Eternaltwin sandbox ready at {sandbox.url}"]
    if sandbox.external_url != sandbox.url:
        lines.append(f"  external URL:  {sandbox.external_url}")
    options = sandbox.options
    refresh = "rotating refresh tokens" if options.refresh_tokens else "no refresh token"
    habits = ", 2021 habits" if options.habits == "2021" else ""
    lines.append(f"Access tokens valid {options.access_token_lifetime} s, {refresh}{habits}.")
    for app in sandbox.apps:
        lines += [
            f"OAuth app {app.display_name!r}:",
            f"  client_id:     {app.key}",
            f"  client_secret: {app.secret}",
            f"  redirect_uri:  {app.oauth_callback}",
        ]
    if sandbox.demo_users:
        lines.append("Users (username / password):")
        for user in sandbox.demo_users:
            admin = "  (administrator)" if user.is_administrator else ""
            lines.append(f"  {user.username} / {user.password}{admin}")
    if population:
        lines.append(f"Generated users: {population} (password = username)")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox from the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 after a clean stop (Ctrl-C or SIGTERM), 1 if the server cannot start, 2 for a bad config.
    """
    args = build_parser().parse_args(argv)
    if args.population < 0:
        print("error: --population must be >= 0", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            sandbox = Sandbox(
                config=args.config,
                population=args.population,
                latency_ms=args.latency_ms,
                host=args.host,
                port=args.port,
                redirect_uri=args.redirect_uri,
                external_url=args.external_url,
                token_lifetime=args.token_lifetime,
                refresh_tokens=args.refresh_tokens,
                habits=args.habits,
            )
        except SandboxConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        try:
            sandbox.start()
        except (OSError, RuntimeError) as error:
            print(f"error: cannot start the sandbox on {args.host}:{args.port}: {error}", file=sys.stderr)
            return 1
        try:
            print(_describe(sandbox, args.population), flush=True)
            while not stop.wait(0.5):
                if not sandbox.running:
                    print("error: the server stopped unexpectedly", file=sys.stderr)
                    return 1
        finally:
            sandbox.stop()
        print("Eternaltwin sandbox stopped.", flush=True)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
