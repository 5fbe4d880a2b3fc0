"""``%eternaltwin forum`` and ``%eternaltwin dinoz`` in the in-process IPython shell.

The forum against the suite's sandbox over HTTP; the dinoz against a small archive served through
``httpx.MockTransport`` (with the sandbox's dinoz route, against the sandbox too).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

from eternaltwin.archive import DinoparcDinoz
from eternaltwin.connections import async_connections, connections
from eternaltwin.forum import ForumPost, ForumSection, ForumThread, Page

from .helpers import failing, magic
from .test_forum_cards import dinoz_json

# -- forum ----------------------------------------------------------------------------------------------


def test_forum_help(nb_shell: InteractiveShell) -> None:
    text = magic(nb_shell, "forum --help").stdout
    assert text.startswith("usage: %eternaltwin forum")
    for option in ("--offset N", "--limit N", "--alias A", "-o VAR", "SECTION|THREAD|POST"):
        assert option in text
    assert "forum_threads_frame" in text


def test_forum_lists_the_sections(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "forum")
    assert isinstance(shown.value, Page) and all(isinstance(s, ForumSection) for s in shown.value)
    plain = shown.result["text/plain"]
    assert plain.splitlines()[0] == f"Forum sections {len(shown.value)}"
    assert "en_main" in plain and "fr_main" in plain


def test_forum_section_by_key_and_by_id(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "forum en_main --limit 2 --offset 1")
    section = shown.value
    assert isinstance(section, ForumSection) and section.threads is not None
    assert (section.threads.offset, len(section.threads)) == (1, 2)
    assert f"threads 2–3 of {section.thread_count}:" in shown.result["text/plain"]
    again = magic(nb_connected, f"forum {section.id.upper()}").value
    assert isinstance(again, ForumSection) and again.id == section.id
    assert again.threads is not None and again.threads.limit == 20  # the section's default page


def test_forum_thread_by_key_then_its_next_page(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "forum en_welcome")
    thread = shown.value
    assert isinstance(thread, ForumThread) and thread.posts is not None
    assert thread.posts.limit == 10 and thread.posts[0].author.display_name == "Alice"
    assert "Forum thread: Welcome to the sandbox forum  [pinned]" in shown.result["text/plain"]
    by_id = magic(nb_connected, f"forum {thread.id} --offset 1 --limit 1").value
    assert isinstance(by_id, ForumThread) and by_id.id == thread.id
    assert by_id.posts is not None and [p.id for p in by_id.posts] == [thread.posts[1].id]


def test_forum_post_by_id(nb_connected: InteractiveShell) -> None:
    thread = connections.get_connection().forum.thread("en_welcome")
    assert thread.posts is not None
    post_id = thread.posts[2].id
    shown = magic(nb_connected, f"forum {post_id}")
    post = shown.value
    assert isinstance(post, ForumPost) and post.id == post_id and post.revisions is not None
    assert shown.result["text/plain"].startswith(f"Forum post: Charlie in {thread.title}")


def test_forum_output_variable(nb_connected: InteractiveShell) -> None:
    shown = magic(nb_connected, "forum en_main -o section")
    assert shown.value is None and shown.result == {}
    assert shown.stdout.strip() == "Stored the forum section in section."
    stored = nb_connected.user_ns["section"]
    assert isinstance(stored, ForumSection) and stored.key == "en_main"
    assert magic(nb_connected, "forum -o sections").stdout.strip() == "Stored the forum sections in sections."
    assert isinstance(nb_connected.user_ns["sections"], Page)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("forum nope", "eternaltwin: no forum section or thread 'nope' on connection 'default'; "),
        (f"forum {uuid.UUID(int=7)}", f"no forum section or thread or post '{uuid.UUID(int=7)}'"),
        ("forum --offset 3", "--offset and --limit page a section's threads or a thread's posts"),
        ("forum en_main --limit 0", "--limit from 1 to 100"),
        ("forum en_main --limit 101", "--limit from 1 to 100"),
        ("forum en_main --offset -1", "--offset must be at least 0"),
        ("forum en_main --limit many", "forum: argument --limit: invalid int value: 'many'"),
        ("forum en_main -o 1x", "forum: -o takes a variable name, not '1x'"),
        ("forum --alias elsewhere", "no connection named 'elsewhere'"),
        ('forum "a b" c', "unrecognized arguments: c"),
    ],
)
def test_forum_mistakes_get_one_line(nb_connected: InteractiveShell, line: str, expected: str) -> None:
    assert expected in failing(nb_connected, f"%eternaltwin {line}")


def test_forum_unreachable_server(nb_connected: InteractiveShell) -> None:
    connections.create_connection("down", url="http://127.0.0.1:9", timeout=2, max_retries=0)
    shown = failing(nb_connected, "%et forum en_main --alias down")
    assert shown.startswith("eternaltwin: cannot reach connection 'down'")


# -- dinoz ----------------------------------------------------------------------------------------------


class Archive:
    """A Dinoparc dinoz archive of one dinoz (581 on en.dinoparc.com), as a MockTransport handler."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if request.url.path == "/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/581":
            return httpx.Response(200, json=dinoz_json())
        if request.url.path.startswith("/api/v1/archive/dinoparc/"):
            return httpx.Response(404, json={"error": "DinoparcDinozNotFound"})
        return httpx.Response(404, content=b"")


@pytest.fixture
def archive(nb_shell: InteractiveShell) -> Archive:
    """``default`` (both registries) -> :class:`Archive`."""
    server = Archive()
    settings: dict[str, Any] = {"url": "http://archive.test", "transport": httpx.MockTransport(server)}
    for registry in (connections, async_connections):
        registry.configure(default=settings)
    return server


def test_dinoz_help(nb_shell: InteractiveShell) -> None:
    text = magic(nb_shell, "dinoz --help").stdout
    assert text.startswith("usage: %eternaltwin dinoz [--alias A] [-o VAR] SERVER ID")
    words = " ".join(text.split())  # argparse wraps the help
    assert "dinoparc.com, en.dinoparc.com, sp.dinoparc.com" in words and "dinoz_frame" in words


def test_dinoz_card(archive: Archive, nb_shell: InteractiveShell) -> None:
    shown = magic(nb_shell, "dinoz en.dinoparc.com 581")
    assert isinstance(shown.value, DinoparcDinoz) and shown.value.level == 12
    assert shown.result["text/plain"].startswith("Dinoparc dinoz: Gigi  [Moueffe]")
    assert "text/html" in shown.result
    assert archive.requests == ["/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/581"]
    stored = magic(nb_shell, "dinoz EN.dinoparc.com 581 -o gigi")
    assert stored.stdout.strip() == "Stored the dinoz in gigi." and stored.result == {}
    assert nb_shell.user_ns["gigi"] == shown.value


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "dinoz en.dinoparc.com 582",
            "eternaltwin: no dinoz 582 on en.dinoparc.com in the archive of connection 'default'; "
            "a Dinoparc account's card lists its dinoz.",
        ),
        ("dinoz dinoparc.fr 581", "'dinoparc.fr' is not a Dinoparc server; SERVER is one of dinoparc.com, "),
        ("dinoz hammerfest.fr 581", "'hammerfest.fr' is not a Dinoparc server"),
        ("dinoz en.dinoparc.com rex", "'rex' is not a dinoz id; dinoz ids are numbers"),
        ("dinoz en.dinoparc.com", "the following arguments are required: ID"),
        ("dinoz en.dinoparc.com 581 -o x.y", "dinoz: -o takes a variable name, not 'x.y'"),
        ("dinoz en.dinoparc.com 581 --alias nope", "no connection named 'nope'"),
    ],
)
def test_dinoz_mistakes_get_one_line(
    archive: Archive, nb_shell: InteractiveShell, line: str, expected: str
) -> None:
    assert expected in failing(nb_shell, f"%eternaltwin {line}")
    if "582" not in line:
        assert archive.requests == []  # refused before any request


def test_dinoz_from_a_server_that_breaks_its_shape(nb_shell: InteractiveShell) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"type": "DinoparcUser", "id": "581"}).encode())

    connections.configure(default={"url": "http://archive.test", "transport": httpx.MockTransport(handler)})
    shown = failing(nb_shell, "%eternaltwin dinoz en.dinoparc.com 581")
    assert "Expected a DinoparcDinoz" in shown and "got a DinoparcUser" in shown


def test_dinoz_from_the_sandbox(nb_connected: InteractiveShell, sandbox: Any) -> None:
    account = connections.get_connection().archive.dinoparc_user("en.dinoparc.com", "58")
    ref = account.dinoz[0]
    shown = magic(nb_connected, f"dinoz en.dinoparc.com {ref.id}")
    dinoz = shown.value
    assert isinstance(dinoz, DinoparcDinoz) and dinoz.ref.id == ref.id
    raw = httpx.get(f"{sandbox.url}/api/v1/archive/dinoparc/en.dinoparc.com/dinoz/{ref.id}").json()
    name, level = raw["name"]["latest"]["value"], raw["level"]["latest"]["value"]
    race = raw["race"]["latest"]["value"]
    plain = shown.result["text/plain"]
    assert plain.splitlines()[0].startswith(f"Dinoparc dinoz: {name}  [{race}]")
    assert f"level          {level}" in plain and "owner          bob (58)" in plain
    skills = raw["skills"]["latest"]["value"]
    assert f"  skills ({len(skills)}):" in plain
    shown = failing(nb_connected, "%eternaltwin dinoz en.dinoparc.com 999999")
    assert "no dinoz 999999 on en.dinoparc.com in the archive of connection 'default'" in shown
