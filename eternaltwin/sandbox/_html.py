"""The HTML of the sandbox's pages (served by ``_pages``): the login form (target of the OAuth
redirect for guests), the page that stands in for a redirect behind a proxy, and a home page.

Plain HTML with a small inline stylesheet that follows the light/dark preference; every dynamic value
is escaped with :func:`html.escape`.
"""

from __future__ import annotations

from html import escape

__all__ = ["continue_page", "home_page", "login_page"]

_STYLE = """
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #ffffff; --fg: #1d2330; --muted: #5b6475;
  --accent: #3b6fd8; --error-bg: #fdecec; --error-fg: #9b1c1c; --border: #d7dbe3; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171d; --card: #1d2129; --fg: #e6e9ef; --muted: #9aa3b5; --accent: #7aa2ff;
    --error-bg: #3a1d1f; --error-fg: #ffb4b4; --border: #333a47; }
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg);
  color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { width: min(24rem, 92vw); background: var(--card); border: 1px solid var(--border);
  border-radius: 12px; padding: 1.75rem; box-shadow: 0 4px 24px rgb(0 0 0 / 8%); }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
p.sub { color: var(--muted); margin: 0 0 1.25rem; font-size: .95rem; }
label { display: block; font-size: .9rem; margin: .75rem 0 .25rem; }
input { width: 100%; padding: .55rem .7rem; border: 1px solid var(--border); border-radius: 8px;
  background: transparent; color: inherit; font: inherit; }
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button { margin-top: 1.25rem; width: 100%; padding: .6rem; border: 0; border-radius: 8px;
  background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
.error { background: var(--error-bg); color: var(--error-fg); border-radius: 8px; padding: .5rem .75rem; }
code { font-size: .9em; }
a { color: var(--accent); }
"""


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
        "</body>\n</html>\n"
    )


def login_page(action: str, next_path: str, username: str = "", error: str | None = None) -> str:
    """The login form.

    Parameters
    ----------
    action : str
        URL the form posts to (built from the external URL, so it works behind a proxy; an
        origin-relative path when the proxy's public origin is unknown).
    next_path : str
        Local path to continue to after login (a hidden field).
    username : str
        Value to pre-fill.
    error : str, optional
        Message shown above the form.
    """
    error_html = f'<p class="error" role="alert">{escape(error)}</p>\n' if error else ""
    body = (
        "<h1>Sign in to Eternaltwin</h1>\n"
        '<p class="sub">Local sandbox server: use a demo account.</p>\n'
        f"{error_html}"
        f'<form method="post" action="{escape(action)}">\n'
        f'<input type="hidden" name="next" value="{escape(next_path)}">\n'
        '<label for="username">Username</label>\n'
        f'<input id="username" name="username" autocomplete="username" required value="{escape(username)}"'
        f"{'' if username else ' autofocus'}>\n"
        '<label for="password">Password</label>\n'
        '<input id="password" name="password" type="password" autocomplete="current-password" required'
        f"{' autofocus' if username else ''}>\n"
        '<button type="submit">Sign in</button>\n'
        "</form>"
    )
    return _document("Sign in · Eternaltwin sandbox", body)


def home_page(api_url: str, display_name: str | None) -> str:
    """A small landing page: who is logged in, where the API is."""
    who = f"Signed in as <strong>{escape(display_name)}</strong>." if display_name else "Not signed in."
    body = (
        "<h1>Eternaltwin sandbox</h1>\n"
        f'<p class="sub">{who}</p>\n'
        f'<p>REST API: <a href="{escape(api_url)}"><code>{escape(api_url)}</code></a></p>'
    )
    return _document("Eternaltwin sandbox", body)


def continue_page() -> str:
    """The page that stands in for a redirect behind a proxy (the response's ``Refresh`` header says where).

    It does not name the next address: that may carry an authorization code.
    """
    body = (
        "<h1>Continuing…</h1>\n"
        '<p class="sub">Your browser is taken to the next page.</p>\n'
        "<p>If it stays here, go back to the notebook and open the login link again.</p>"
    )
    return _document("Continuing · Eternaltwin sandbox", body)
