"""The README runs (issue 15, item 6): every fenced code block of README.md and docs/*.md is run.

Blocks are found by their fences (``` or ~~~, indented ones in lists included). A ``bash``/``sh``
block runs with bash (``set -euo pipefail``; ``curl`` fails on an HTTP error status), a ``python``
block with the project's venv, both against one real `langgraph dev` for the whole module (the
``server`` fixture), in document order: README.md first, then docs/*.md. Each runs in a scratch
directory holding a ``.venv`` link to the project's, with the environment of a reader's terminal:
``PATH`` with ``.venv/bin``, ``KEY`` (an API key of the server's user), ``DATABASE_URL`` (the
server's database), passwords on standard input for ``read``, ``127.0.0.1:2024`` replaced by the
test server's address, and what a document's earlier bash blocks exported (as in one terminal:
the README's ``export KEY=$(adlaan users create ...)`` is the ``KEY`` of its later blocks).

A block that cannot run in a test (a server that never returns, another shell, a diagram) is
skipped only by a marker on the line just before its fence, ``<!-- snippet: skip (reason) -->``,
and reported as skipped with that reason. Any other block (an unknown language, no language)
fails: a new snippet is run or says why not.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.settings import RESOLVED_URL_ENV

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
SKIP = re.compile(r"^\s*<!--\s*snippet:\s*skip\s*\((?P<reason>.+)\)\s*-->\s*$")
MARKER = re.compile(r"^\s*<!--\s*snippet:")
LANGUAGES = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python", "py": "python"}
DOCUMENTED_URL = "127.0.0.1:2024"
PASSWORD = "a passphrase for the docs"
TIMEOUT = 180


@dataclass(frozen=True)
class Snippet:
    """One fenced block: where it is, its language and code, and why it is skipped (if it is)."""

    path: Path
    line: int
    language: str
    code: str
    skip: str | None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def extract(path: Path) -> list[Snippet]:
    """Every fenced code block of a Markdown file, with the skip marker just before it."""
    lines = path.read_text().splitlines()
    snippets, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            if MARKER.search(lines[i]) and not SKIP.match(lines[i]):
                raise ValueError(f"{path.name}:{i + 1}: malformed marker, use {SKIP.pattern}")
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        previous = lines[i - 1] if i else ""
        marker = SKIP.match(previous)
        start, body = i + 1, []
        i += 1
        while i < len(lines):
            closing = FENCE.match(lines[i])
            if (
                closing
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            line = lines[i]
            body.append(line[min(indent, len(line) - len(line.lstrip())) :])  # the fence's indent
            i += 1
        info = opening["info"].strip().split()
        snippets.append(
            Snippet(
                path,
                start,
                info[0].lower() if info else "",
                "\n".join(body) + "\n",
                marker["reason"].strip() if marker else None,
            )
        )
        i += 1
    return snippets


SNIPPETS = [snippet for path in DOCUMENTS for snippet in extract(path)]


def test_snippets_are_found():
    """The extraction sees the README's blocks, and skips stay few: most of the bash and Python
    blocks run (diagrams, PowerShell and patches are skipped by nature)."""
    readme = [s for s in SNIPPETS if s.path.name == "README.md"]
    assert len(readme) >= 6 and any(s.language == "python" for s in readme)
    runnable = [s for s in SNIPPETS if s.language in LANGUAGES]
    skipped = [s.where for s in runnable if s.skip]
    assert len(skipped) < len(runnable) / 2, skipped


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch directory where `.venv/bin/...` is the project's venv; files snippets write
    (a downloaded .docx) land here, not in the repository."""
    path = tmp_path_factory.mktemp("snippets")
    (path / ".venv").symlink_to(ROOT / ".venv")
    return path


@pytest.fixture(scope="module")
def environment(server, workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "KEY": server.user.api_key,
        "DATABASE_URL": server.database_url,
        RESOLVED_URL_ENV: server.database_url,
        "PYTHONPATH": str(ROOT),
        "LANGSMITH_TRACING": "false",
    }
    env.pop("VIRTUAL_ENV", None)
    return env


def _prepared(snippet: Snippet, url: str) -> str:
    code = snippet.code.replace(f"http://{DOCUMENTED_URL}", url)
    return code.replace(DOCUMENTED_URL, url.removeprefix("http://"))


# curl exits 0 on a 4xx/5xx answer; in a test the snippet must fail then.
BASH_PRELUDE = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n'
# what a bash block exported, for the document's later blocks
BASH_POSTLUDE = '\nenv -0 > "$SNIPPET_EXPORTS"\n'
NOT_CARRIED = {"PWD", "OLDPWD", "SHLVL", "_", "SNIPPET_EXPORTS"}
# per document: the variables its blocks exported so far
_exported: dict[Path, dict[str, str]] = {}


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.where for s in SNIPPETS])
def test_snippet_runs(snippet: Snippet, request: pytest.FixtureRequest):
    if snippet.skip:
        pytest.skip(f"{snippet.where} ({snippet.language or 'no language'}): {snippet.skip}")
    language = LANGUAGES.get(snippet.language)
    if language is None:
        pytest.fail(
            f"{snippet.where}: a ```{snippet.language} block is neither run nor skipped; make it "
            "bash or python, or put `<!-- snippet: skip (why) -->` on the line before its fence"
        )
    server = request.getfixturevalue("server")
    env = request.getfixturevalue("environment")
    cwd = request.getfixturevalue("workdir")
    code = _prepared(snippet, server.url)
    exported = _exported.setdefault(snippet.path, {})
    env = {**env, **exported}
    exports = cwd / "exports"
    if language == "bash":
        command = ["bash", "-c", BASH_PRELUDE + code + BASH_POSTLUDE, snippet.where]
        env["SNIPPET_EXPORTS"] = str(exports)
    else:
        command = [str(ROOT / ".venv" / "bin" / "python"), "-c", code]
    exports.unlink(missing_ok=True)
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        input="".join(f"{PASSWORD} {n}\n" for n in range(8)),  # for `read`
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (
        f"{snippet.where} failed (exit {result.returncode}):\n{code}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )
    print(result.stdout, result.stderr, sep="\n")  # shown by `pytest -rP`
    if exports.exists():
        after = dict(v.split("=", 1) for v in exports.read_text().split("\0") if "=" in v)
        exported.update(
            {k: v for k, v in after.items() if k not in NOT_CARRIED and env.get(k) != v}
        )
