"""The display of the forum and of the archives' game data (dinoz, Hammerfest profiles), and the sanitiser
that stands between a post's HTML and the page.

Forum objects come from the suite's sandbox over HTTP; hostile posts and dinoz are parsed from JSON (the
models' own parsers), since the sandbox writes neither.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

from eternaltwin import display
from eternaltwin.archive import DinoparcDinoz, DinoparcUser
from eternaltwin.connections import connections
from eternaltwin.forum import ForumPost, ForumThread, Page

from .helpers import formatted

STAMP = "2021-03-04T05:06:07.000Z"
USER_ID = "a3b9a4c6-7a1e-4b0e-9d3e-2f0f5a3c1b11"


def _check(bundle: dict[str, Any]) -> tuple[str, str]:
    """Both forms, the HTML's text fallback being the escaped text form; returns (text, visible HTML)."""
    plain, html = bundle["text/plain"], bundle["text/html"]
    fallback = re.search(r'<pre class="et-text">(.*?)</pre>', html, re.S)
    assert fallback is not None and fallback.group(1) == escape(plain)
    return plain, html[html.index('<div class="et-html"') :]


# -- the sanitiser --------------------------------------------------------------------------------------

HOSTILE = [
    # (post HTML, what must come out)
    ("<p>Hi <strong>all</strong></p>", "<p>Hi <strong>all</strong></p>"),
    ("<script>alert(1)</script>after", "after"),
    ("<SCRIPT SRC=//evil.test/x.js></SCRIPT>x", "x"),
    ("<img src=x onerror=alert(1)>", ""),
    ('<img src=x onerror=alert(1) alt="a smile">', "[a smile]"),
    ('<p onclick="steal()" onmouseover=steal() class="jp-Dialog">text</p>', "<p>text</p>"),
    (
        '<a href="javascript:alert(1)">click</a>',
        '<a rel="noopener noreferrer nofollow" target="_blank">click</a>',
    ),
    (
        '<a href=" JaVa&#x09;ScRiPt&#58;alert(1)">x</a>',
        '<a rel="noopener noreferrer nofollow" target="_blank">x</a>',
    ),
    (
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<a rel="noopener noreferrer nofollow" target="_blank">x</a>',
    ),
    ('<a href="//evil.test/">x</a>', '<a rel="noopener noreferrer nofollow" target="_blank">x</a>'),
    (
        '<a href="https://eternaltwin.org/forum?a=1&amp;b=2" title="T" style="color:red">ok</a>',
        '<a href="https://eternaltwin.org/forum?a=1&amp;b=2" title="T" rel="noopener noreferrer nofollow" '
        'target="_blank">ok</a>',
    ),
    ("<svg><script>alert(1)</script><circle onload=alert(1)></circle></svg>after", "after"),
    ("<svg/onload=alert(1)>inside an unclosed svg", ""),  # dropped up to its end tag: none
    ('<math><mi xlink:href="javascript:alert(1)">m</mi></math>z', "z"),
    ("<style>body { display: none }</style>t", "t"),
    ('<p style="position:fixed;top:0;left:0;width:100%;height:100%">cover</p>', "<p>cover</p>"),
    ('<link rel="stylesheet" href="https://evil.test/x.css">t', "t"),
    ("<iframe src=https://evil.test></iframe>t", "t"),
    ("<p>unclosed <strong>bold <em>both", "<p>unclosed <strong>bold <em>both</em></strong></p>"),
    ("</div></div></td>escape<p>x</p></p>", "escape<p>x</p>"),
    ("<!-- <script>x</script> -->c<![CDATA[<script>]]>d", "cd"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>t', "t"),
    ("<textarea><script>alert(1)</script></textarea>t", "t"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("1 < 2 & 3 > 2", "1 &lt; 2 &amp; 3 &gt; 2"),
    ('<ol start="3" onclick="x"><li>c</li></ol><ol start="1;x">', '<ol start="3"><li>c</li></ol><ol></ol>'),
    ('<blockquote cite="x"><code>a<b</code></blockquote>', "<blockquote><code>a</code></blockquote>"),
]


@pytest.mark.parametrize(("markup", "expected"), HOSTILE)
def test_sanitize_html(markup: str, expected: str) -> None:
    assert display.sanitize_html(markup) == expected


@pytest.mark.parametrize(("markup", "expected"), HOSTILE)
def test_nothing_active_survives(markup: str, expected: str) -> None:
    clean = display.sanitize_html(markup).lower()
    for needle in ("<script", "<img", "<svg", "<style", "<iframe", "<link", "javascript:", "data:", " on"):
        assert needle not in clean
    # Balanced: every tag opened is closed, so nothing reaches past the box the text is put in.
    opened = re.findall(r"<([a-z0-9]+)[ >]", clean)
    closed = re.findall(r"</([a-z0-9]+)>", clean)
    assert sorted(tag for tag in opened if tag not in ("br", "hr")) == sorted(closed)


# -- forum cards against the sandbox ----------------------------------------------------------------------


def test_sections_listing(nb_connected: InteractiveShell) -> None:
    sections = connections.get_connection().forum.sections()
    plain, html = _check(formatted(nb_connected, sections))
    lines = plain.splitlines()
    assert lines[0] == f"Forum sections {len(sections)}"
    assert lines[1].split() == ["section", "key", "locale", "threads", "id"]
    assert any(line.split()[-4:-1] == ["en_main", "en-US", str(s.thread_count)]
               for line in lines for s in sections if s.key == "en_main")  # fmt: skip
    assert html.count("<tr>") == 1 + len(sections)


def test_section_with_its_threads(nb_connected: InteractiveShell) -> None:
    section = connections.get_connection().forum.section("en_main", limit=2)
    assert section.threads is not None
    plain, html = _check(formatted(nb_connected, section))
    assert plain.splitlines()[0] == f"Forum section: {section.display_name}  [en-US]"
    assert "key         en_main" in plain and "moderators  Bob (Moderator)" in plain
    assert f"threads 1–2 of {section.thread_count}:" in plain
    welcome = section.threads[0]
    row = next(line for line in plain.splitlines() if welcome.title in line)
    assert row.split()[0] == "1" and "pinned" in row and welcome.id[:8] + "…" in row
    assert '<span class="et-badge et-quiet">en-US</span>' in html
    assert f'title="{welcome.id}"' in html


def test_thread_with_its_posts(nb_connected: InteractiveShell) -> None:
    thread = connections.get_connection().forum.thread("en_welcome", limit=3)
    assert thread.posts is not None and thread.post_count > 3
    plain, html = _check(formatted(nb_connected, thread))
    lines = plain.splitlines()
    assert lines[0] == f"Forum thread: {thread.title}  [pinned]"
    assert "key         en_welcome" in plain and "next posts  --offset 3" in plain
    assert f"posts 1–3 of {thread.post_count}:" in plain
    heads = [line.strip().split("  ")[1:3] for line in lines if re.match(r"    #\d", line)]
    assert [head[0] for head in heads] == ["Alice", "Bob", "Charlie"]
    assert "[edited, 2 versions]" in plain  # Charlie's post was edited
    # The post's Marktwin in the text form, its sanitised HTML in the HTML form.
    first = thread.posts[0]
    assert first.marktwin is not None and first.html is not None
    assert f"      {first.marktwin}" in plain
    assert f'<div class="et-prose et-clipped">{display.sanitize_html(first.html)}</div>' in html
    assert html.count('<div class="et-entry">') == 3
    assert '<span class="et-badge">pinned</span>' in html


def test_thread_from_a_section_page_points_to_its_posts(nb_connected: InteractiveShell) -> None:
    section = connections.get_connection().forum.section("en_main")
    assert section.threads is not None
    thread = section.threads[0]
    plain, _ = _check(formatted(nb_connected, thread))
    assert f"not in this view (%eternaltwin forum {thread.key} shows them)" in plain


def test_post_alone(nb_connected: InteractiveShell) -> None:
    client = connections.get_connection()
    listed = client.forum.thread("en_welcome").posts
    assert listed is not None
    edited = next(post for post in listed if post.is_edited)
    post = client.forum.post(edited.id)
    plain, html = _check(formatted(nb_connected, post))
    assert plain.splitlines()[0] == f"Forum post: Charlie in {post.thread.title}  [edited, 2 versions]"  # type: ignore[union-attr]
    assert "section   Sandbox forum (en-US) (en_main)" in plain
    assert "versions 1–2 of 2:" in plain and "text:" in plain
    assert '<div class="et-prose">' in html  # not clipped when alone
    assert post.revisions is not None
    plain, _ = _check(formatted(nb_connected, post.revisions))
    assert plain.splitlines()[0] == "Post versions 1–2 of 2"
    plain, _ = _check(formatted(nb_connected, post.revisions[0]))
    assert plain.startswith("Post version: ") and "author   Charlie" in plain


def test_announcements(nb_connected: InteractiveShell) -> None:
    page = connections.get_connection().announcements.list()
    plain, _ = _check(formatted(nb_connected, page))
    assert plain.splitlines()[0] == f"Announcements 1–{len(page)} of {page.count}"
    assert plain.splitlines()[1].split() == ["#", "published", "locale", "title", "posts", "id"]
    plain, html = _check(formatted(nb_connected, page[0]))
    assert plain.splitlines()[0] == f"Announcement: {page[0].title}  [{page[0].locale}]"
    assert "text:" in plain and '<div class="et-prose">' in html


def test_server_config(nb_connected: InteractiveShell) -> None:
    plain, _ = _check(formatted(nb_connected, connections.get_connection().server_config()))
    assert plain.splitlines() == ["Server config: forum", "  threads per page  20", "  posts per page    10"]


def test_a_page_of_posts_and_an_empty_page(nb_connected: InteractiveShell) -> None:
    thread = connections.get_connection().forum.thread("en_welcome", offset=1, limit=2)
    assert thread.posts is not None
    plain, _ = _check(formatted(nb_connected, thread.posts))
    assert plain.splitlines()[0] == f"Forum posts: 2–3 of {thread.post_count}"
    assert plain.splitlines()[1].startswith("  #2  Bob  ")
    plain, _ = _check(formatted(nb_connected, Page(offset=0, limit=20, count=0, items=())))
    assert plain.splitlines() == ["Items 0 of 0", "  (none)"]


# -- hostile posts ------------------------------------------------------------------------------------


def _post(html: str | None, marktwin: str | None, **revision: Any) -> dict[str, Any]:
    author = {
        "type": "UserForumActor",
        "user": {"type": "User", "id": USER_ID, "display_name": {"current": {"value": "<b>Mallory</b>"}}},
    }
    content = None if html is None else {"marktwin": marktwin, "html": html}
    last = {"type": "ForumPostRevision", "id": USER_ID, "time": STAMP, "author": author, "content": content,
            "moderation": None, "comment": None, **revision}  # fmt: skip
    return {"type": "ForumPost", "id": USER_ID, "ctime": STAMP, "author": author,
            "revisions": {"count": 1, "last": last}}  # fmt: skip


def _thread(*posts: dict[str, Any]) -> ForumThread:
    return ForumThread.from_json(
        {"type": "ForumThread", "id": USER_ID, "key": None, "title": "<script>alert('title')</script>",
         "ctime": STAMP, "is_pinned": False, "is_locked": True,
         "posts": {"offset": 0, "limit": 10, "count": len(posts), "items": list(posts)}}
    )  # fmt: skip


def test_hostile_posts_are_shown_safely(nb_shell: InteractiveShell) -> None:
    hostile = (
        '<p>hello <img src=x onerror="alert(1)"><a href="javascript:alert(2)" onclick="alert(3)">me</a>'
        "<script>alert(4)</script><svg onload=alert(5)><p style='position:fixed'>x"
    )
    thread = _thread(_post(hostile, "hello [me](javascript:alert(2))"), _post(None, None))
    for obj in (thread, thread.posts[0], thread.posts):  # type: ignore[index]
        plain, html = _check(formatted(nb_shell, obj))
        assert "alert(1)" not in html and "alert(4)" not in html and "onload" not in html
        assert "<script" not in html and "<img" not in html and "javascript:" not in html.lower()
        assert "<b>Mallory</b>" not in html and "&lt;b&gt;Mallory&lt;/b&gt;" in html
        assert "<b>Mallory</b>" in plain  # the text form is text
    plain, html = _check(formatted(nb_shell, thread))
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html
    assert '<div class="et-prose et-clipped"><p>hello <a rel="noopener' in html
    assert "(removed)" in plain and '<div class="et-muted">(removed)</div>' in html
    assert '<span class="et-badge et-warn">locked</span>' in html


def test_a_long_post_is_cut_in_a_list_and_whole_alone(nb_shell: InteractiveShell) -> None:
    text = "\n".join(f"line {n}" for n in range(30))
    post = _post("<p>" + "<br>".join(text.splitlines()) + "</p>", text)
    plain, html = _check(formatted(nb_shell, _thread(post)))
    assert "line 7 …" in plain and "line 8" not in plain
    assert '<div class="et-prose et-clipped">' in html and "line 29" in html  # the HTML scrolls
    plain, _ = _check(formatted(nb_shell, ForumPost.from_json(post)))
    assert "line 29" in plain


def test_a_moderated_post(nb_shell: InteractiveShell) -> None:
    post = ForumPost.from_json(
        _post("<p>hi</p>", "hi", moderation={"marktwin": "Off topic", "html": "<p onclick=x>Off topic</p>"})
    )
    plain, html = _check(formatted(nb_shell, post))
    assert "[moderated]" in plain and "moderation:\n    Off topic" in plain
    assert "<p>Off topic</p>" in html and "onclick" not in html


# -- archives -------------------------------------------------------------------------------------------


def _snapshot(value: Any) -> dict[str, Any]:
    return {
        "latest": {"period": {"start": STAMP, "end": None}, "retrieved": {"latest": STAMP}, "value": value}
    }


def dinoz_json(**members: Any) -> dict[str, Any]:
    """A dinoz in the shape of spec §11.3 (members given as plain values are wrapped as snapshots)."""
    values = {
        "name": "Gigi",
        "owner": {"type": "DinoparcUser", "server": "en.dinoparc.com", "id": "58", "username": "bob"},
        "location": "4",
        "race": "Moueffe",
        "skin": "0f1a2b",
        "life": 87,
        "level": 12,
        "experience": 340,
        "danger": -5,
        "in_tournament": True,
        "elements": {"fire": 3, "earth": 1, "water": 0, "thunder": 2, "air": 4},
        "skills": {"Force": 3, "Escalade": 5, "Nage": 1},
        **members,
    }
    wrapped = {key: None if value is None else _snapshot(value) for key, value in values.items()}
    return {
        "type": "DinoparcDinoz",
        "server": "en.dinoparc.com",
        "id": "581",
        "archived_at": STAMP,
        **wrapped,
    }


def test_dinoz_card(nb_shell: InteractiveShell) -> None:
    dinoz = DinoparcDinoz.from_json(dinoz_json())
    # DinoparcDinoz has no _repr_mimebundle_: the extension registered it with IPython's formatters.
    assert not hasattr(dinoz, "_repr_mimebundle_") and DinoparcDinoz in display.displayable_types()
    plain, html = _check(formatted(nb_shell, dinoz))
    lines = plain.splitlines()
    assert lines[0] == "Dinoparc dinoz: Gigi  [Moueffe] [in tournament]"
    assert "owner          bob (58)" in plain and "life           87 %" in plain
    assert "danger         -5" in plain and "skin           0f1a2b" in plain
    index = lines.index("  elements:")
    assert lines[index + 1].split() == ["fire", "earth", "water", "thunder", "air"]
    assert lines[index + 2].split() == ["3", "1", "0", "2", "4"]
    skills = lines[lines.index("  skills (3):") + 2 :]
    assert [line.split() for line in skills] == [
        ["Escalade", "5", "●●●●●"],
        ["Force", "3", "●●●○○"],
        ["Nage", "1", "●○○○○"],
    ]
    assert '<span class="et-badge et-ok">in tournament</span>' in html


def test_dinoz_with_nothing_archived(nb_shell: InteractiveShell) -> None:
    members = "name owner location race skin life level experience danger in_tournament elements skills"
    empty = dict.fromkeys(members.split())
    plain, _ = _check(formatted(nb_shell, DinoparcDinoz.from_json(dinoz_json(**empty))))
    assert plain.splitlines()[0] == "Dinoparc dinoz: dinoz 581"
    assert "owner          —" in plain and "in tournament  —" in plain
    assert plain.count("(not archived)") == 2  # elements and skills


def test_hostile_dinoz_names_are_escaped(nb_shell: InteractiveShell) -> None:
    dinoz = DinoparcDinoz.from_json(dinoz_json(name="<img src=x onerror=alert(1)>", skills={"<b>": 2}))
    plain, html = _check(formatted(nb_shell, dinoz))
    assert "<img src=x onerror=alert(1)>" in plain
    assert "<img" not in html and "<b>" not in html and "&lt;b&gt;" in html


def test_dinoparc_account_lists_its_dinoz(nb_connected: InteractiveShell) -> None:
    account = connections.get_connection().archive.dinoparc_user("en.dinoparc.com", "58")
    assert isinstance(account, DinoparcUser) and account.dinoz
    plain, _ = _check(formatted(nb_connected, account))
    lines = plain.splitlines()
    index = lines.index(f"  dinoz ({len(account.dinoz)}):")
    assert lines[index + 1].split() == ["#", "id"]  # eternaltwin.org's references carry no name
    for n, ref in enumerate(account.dinoz, 1):
        assert any(line.split()[:2] == [str(n), ref.id] for line in plain.splitlines())
    assert re.search(r"inventory +\d[\d,]* items of \d+ kinds", plain)
    assert re.search(r"collection +\d+ rewards, \d+ epic", plain)
    plain, _ = _check(formatted(nb_connected, account.dinoz[0]))
    assert plain.splitlines()[0].startswith("Dinoz reference: ")
    assert f"%eternaltwin dinoz en.dinoparc.com {account.dinoz[0].id}" in plain


def test_hammerfest_profile_in_the_account_card(nb_connected: InteractiveShell) -> None:
    account = connections.get_connection().archive.hammerfest_user("hammerfest.fr", "127")
    profile = account.profile
    assert profile is not None and profile.quests
    plain, _ = _check(formatted(nb_connected, account))
    done = len(profile.completed_quests)
    assert f"  quests ({done} of {len(profile.quests)} complete):" in plain
    for quest, status in profile.quests.items():
        assert any(line.split() == [quest, status] for line in plain.splitlines())
    unlocked = sum(profile.items.values())
    assert f"items unlocked    {unlocked} of {len(profile.items)}" in plain
    assert account.items is not None
    assert f"inventory         {sum(account.items.values()):,} items of {len(account.items)} kinds" in plain
    assert ("[game completed]" in plain) is bool(profile.game_completed)


def test_cards_make_no_http_call(nb_connected: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    client = connections.get_connection()
    objects: list[Any] = [
        client.forum.sections(),
        client.forum.section("en_main"),
        client.forum.thread("en_welcome"),
        client.announcements.list(),
        client.server_config(),
        client.archive.dinoparc_user("en.dinoparc.com", "58"),
        DinoparcDinoz.from_json(dinoz_json()),
    ]
    objects.append(objects[1].threads)
    objects.append(client.archive.dinoparc_user("en.dinoparc.com", "58").dinoz[0])

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a display made an HTTP request")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    for obj in objects:
        assert "text/html" in formatted(nb_connected, obj), type(obj)


def test_dinoz_names_when_the_server_sends_them(nb_shell: InteractiveShell) -> None:
    refs = [{"type": "DinoparcDinoz", "id": "581", "name": "Rex"}, {"type": "DinoparcDinoz", "id": "582"}]
    account = DinoparcUser.from_json(
        {"type": "DinoparcUser", "server": "en.dinoparc.com", "id": "58", "dinoz": _snapshot(refs)}
    )
    lines = _check(formatted(nb_shell, account))[0].splitlines()
    index = lines.index("  dinoz (2):")
    assert [line.split() for line in lines[index + 1 : index + 4]] == [
        ["#", "id", "name"],
        ["1", "581", "Rex"],
        ["2", "582", "—"],
    ]
