"""An installed wheel migrates and serves outside the checkout (issue 18, item 3).

Slow (a throwaway environment gets the whole locked tree), so it runs only under
``make test-package`` (``ADLAAN_TEST_PACKAGE=1``), not in ``make test``: the wheel is built from
the working tree, installed with uv into a new virtual environment with requirements.lock as
constraints, and its ``adlaan`` runs from an empty directory with no access to the checkout:
``adlaan migrate`` on an empty database, then ``adlaan dev``, which must serve the graph, the
routes and the checkpointer from ``site-packages``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.accounts import make_user
from tests.server import free_port, wait_until_ok
from tests.wheel import ROOT, build_wheel

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("ADLAAN_TEST_PACKAGE") != "1",
        reason="builds and installs the wheel (minutes): `make test-package` runs it",
    ),
]


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin/`` of a new environment with the wheel and the locked tree installed."""
    work = tmp_path_factory.mktemp("package")
    wheel = build_wheel(work)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv is needed (make test-package installs it)"
    venv = work / "venv"
    done = _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    assert done.returncode == 0, done.stderr
    python = str(venv / "bin" / "python")
    lock = str(ROOT / "requirements.lock")
    done = _run(
        [uv, "pip", "install", "--quiet", "--python", python, "--constraint", lock, str(wheel)]
    )
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def _environment(home: Path, database_url: str) -> dict[str, str]:
    """A clean environment: no PYTHONPATH, no project variables, nothing from the checkout."""
    keep = {"PATH", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    return env | {
        "HOME": str(home),
        "DATABASE_URL": database_url,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
    }


def test_an_installed_adlaan_migrates_and_serves_from_any_directory(
    installed: Path, empty_database: str, tmp_path: Path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _environment(tmp_path, empty_database)

    where = _run(
        [str(installed / "python"), "-c", "import server; print(server.__file__)"],
        env=env,
        cwd=elsewhere,
    )
    assert where.stdout.startswith(str(installed.parent)), where.stdout + where.stderr

    migrated = _run([str(installed / "adlaan"), "migrate"], env=env, cwd=elsewhere)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    from store.migrate import require_current_schema

    require_current_schema(empty_database)  # the checkout's head: the wheel carried every revision

    user = make_user(empty_database)
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(installed / "adlaan"), "dev", "--no-reload", "--port", str(port)],
        cwd=elsewhere,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(
            url, server, lambda: (tmp_path / "server.log").read_text()[-4000:], "adlaan dev", 120
        )
        assert httpx.get(f"{url}/adlaan/health").json() == {"status": "ok", "database": "ok"}
        assistants = httpx.post(
            f"{url}/assistants/search", json={"graph_id": "drafter"}, headers=user.headers
        )
        assert assistants.status_code == 200, assistants.text
        assert [a["graph_id"] for a in assistants.json()] == ["drafter"]
        thread = httpx.post(f"{url}/threads", json={}, headers=user.headers).json()
        run = httpx.post(
            f"{url}/threads/{thread['thread_id']}/runs/wait",
            json={"assistant_id": "drafter", "input": {"messages": [("user", "hello")]}},
            headers=user.headers,
            timeout=60,
        )
        assert run.status_code == 200, run.text
        state = httpx.get(f"{url}/threads/{thread['thread_id']}/state", headers=user.headers)
        assert len(state.json()["values"]["messages"]) >= 2  # from our checkpointer, in PostgreSQL
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        log.close()
