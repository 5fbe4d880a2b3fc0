"""The README keeps its promises: the Quickstart, its links and images, and its Python samples.

The Python samples run in order, in a subprocess, against a sandbox standing in for eternaltwin.org (its
url replaces eternaltwin.org's, its demo app replaces ``myapp``, and the browser's part of the OAuth
login is played with httpx). Samples that start by importing ``configure`` are standalone and start from
empty registries, as in a fresh process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
QUICKSTART = [
    'pip install -e ".[notebook]" && python -m eternaltwin lab',
    'pip install -e ".[dev]" && python -m pytest',
]


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"the README has no '## {title}' section"
    return match.group(1)


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in re.findall(r"```(\w*)\n(.*?)```", text, re.S) if lang == language]


def test_quickstart_is_exactly_the_two_commands() -> None:
    blocks = _blocks(_section("Quickstart"), "bash")
    assert blocks[0].strip().splitlines() == QUICKSTART


def test_ci_runs_the_quickstart_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert QUICKSTART[1] in ci


def test_local_links_and_images_exist() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [target.split("#", 1)[0] for target in targets if not re.match(r"[a-z]+:|#", target)]
    assert local, "no local link found"
    missing = [target for target in local if not (ROOT / target).exists()]
    assert not missing, f"README links to missing files: {missing}"
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        if re.match(r"[a-z]+:", image):
            continue
        assert (ROOT / image).read_bytes().startswith(b"\x89PNG"), image


def test_anchors_point_to_sections() -> None:
    headings = re.findall(r"^#+ (.+)$", README, re.M)
    slugs = {re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-") for heading in headings}
    for anchor in re.findall(r"\]\(#([^)]+)\)", README):
        assert anchor in slugs, f"#{anchor} matches no heading"


def test_binder_badge_opens_the_quickstart() -> None:
    links = re.findall(r"\((https://mybinder\.org/v2/gh/[^)]+)\)", README)
    assert links, "no Binder link"
    for link in links:
        parts = urlsplit(link)
        assert parts.path.startswith("/v2/gh/OWNER/REPO/"), "the placeholder OWNER/REPO is expected"
        (labpath,) = parse_qs(parts.query)["labpath"]
        assert unquote(labpath) == "notebooks/01-quickstart.ipynb"
        assert (ROOT / labpath).is_file()
    assert "OWNER/REPO" in README.split(links[0], 1)[1][:400], "say that OWNER/REPO is to be replaced"


RUNNER = textwrap.dedent(
    """
    import os
    import re
    import sys
    from pathlib import Path
    from urllib.parse import parse_qs, urlsplit

    import httpx
    from eternaltwin.connections import async_connections, connections
    from eternaltwin.sandbox import Sandbox

    readme = Path(sys.argv[1]).read_text(encoding="utf-8")
    blocks = re.findall(r"```(\\w*)\\n(.*?)```", readme, re.S)


    def authorize(authorization_url, username="alice", password="alice_password"):
        with httpx.Client() as browser:
            form = browser.get(authorization_url, follow_redirects=True)
            next_path = parse_qs(form.url.query.decode())["next"][0]
            answer = browser.post(
                form.url.copy_remove_param("next"),
                data={"username": username, "password": password, "next": next_path},
            )
            while "code=" not in str(answer.next_request.url):
                answer = browser.send(answer.next_request)
        query = parse_qs(urlsplit(str(answer.next_request.url)).query)
        return query["code"][0], query["state"][0]


    with Sandbox(population=200) as sandbox:
        url = sandbox.url + "/"
        os.environ["ETERNALTWIN_URL"] = url  # for configure_from_env()
        app = sandbox.apps[0]
        toml = [body for lang, body in blocks if lang == "toml"][0]
        Path("eternaltwin.toml").write_text(toml.replace("https://eternaltwin.org/", url))
        namespace = {"authorize": authorize}
        ran = 0
        for index, (lang, body) in enumerate(blocks):
            if lang != "python":
                continue
            code = (
                body.replace("https://eternaltwin.org/", url)
                .replace('"myapp@clients"', repr(app.key))
                .replace('"client_secret": "..."', '"client_secret": ' + repr(app.secret))
                .replace('"http://localhost:8000/oauth/callback"', repr(app.oauth_callback))
                .replace(
                    "# ... the browser comes back to redirect_uri?code=...&state=...",
                    "code, callback_state = authorize(url)",
                )
            )
            if code.lstrip().startswith("from eternaltwin.connections import configure\\n"):
                connections.clear()
                async_connections.clear()
            print(f"README python block {index}: {body.splitlines()[0]}", flush=True)
            exec(compile(code, f"<README block {index}>", "exec"), namespace)
            ran += 1
        print(f"{ran} samples ran")
    """
)


@pytest.mark.timeout(120)
def test_python_samples_run(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ETERNALTWIN_")}
    env["ETERNALTWIN_CONFIG_DIR"] = str(tmp_path / "config")
    runner = tmp_path / "run_readme.py"
    runner.write_text(RUNNER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(runner), str(ROOT / "README.md")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.findall(r"^(\d+) samples ran$", done.stdout, re.M)
    assert ran and int(ran[0]) >= 8, done.stdout
