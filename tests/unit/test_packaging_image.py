"""The image route (issue 18, item 2): ``langgraph dockerfile`` on our langgraph.json builds on
the base image of our pinned langgraph-api, so the server in the image is the one server/runtime
was written for, and the build context leaves secrets, environments and caches out.

Docker is not needed: the Dockerfile is generated and read, not built (``make image`` builds it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.runtime import PINNED
from tests.wheel import ROOT

CONFIG = json.loads((ROOT / "langgraph.json").read_text())


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    target = tmp_path_factory.mktemp("image") / "Dockerfile"
    langgraph = Path(sys.executable).parent / "langgraph"
    subprocess.run(
        [str(langgraph), "dockerfile", "-c", str(ROOT / "langgraph.json"), str(target)],
        check=True,
        capture_output=True,
        env={**os.environ, "LANGGRAPH_CLI_NO_ANALYTICS": "1"},
    )
    return target.read_text().splitlines()


def test_the_image_is_built_on_our_pinned_langgraph_api(dockerfile: list[str]):
    assert CONFIG["api_version"] == PINNED["langgraph-api"]
    base = f"langchain/langgraph-api:{PINNED['langgraph-api']}-py{CONFIG['python_version']}"
    assert dockerfile[0] == f"FROM {base}-{CONFIG['image_distro']}"


def test_nothing_installs_another_langgraph_api(dockerfile: list[str]):
    """Our package is installed within the base image's constraints (a langgraph-api other than
    the pin fails the build instead of replacing it), and the only re-install of langgraph-api
    is the base image's own copy, /api, which is the pinned version."""
    runs = [line for line in dockerfile if line.startswith("RUN ")]
    ours = [line for line in runs if "-e ." in line]
    assert ours and all("-c /api/constraints.txt" in line for line in ours)
    reinstalls = [line for line in runs if "--no-deps -e /api" in line]
    assert len(reinstalls) == 1
    assert not [
        line for line in dockerfile if "langgraph-api==" in line or "langgraph_api-" in line
    ]


def test_the_graph_routes_auth_and_checkpointer_are_ours(dockerfile: list[str]):
    env = dict(
        line.removeprefix("ENV ").split("=", 1) for line in dockerfile if line.startswith("ENV ")
    )
    assert "graphs/drafter/graph.py:graph" in env["LANGSERVE_GRAPHS"]
    assert "server/checkpointer.py:checkpointer" in env["LANGGRAPH_CHECKPOINTER"]
    assert "server/app.py:app" in env["LANGGRAPH_HTTP"]
    assert "server/auth.py:auth" in env["LANGGRAPH_AUTH"]


def test_the_build_context_leaves_secrets_environments_and_caches_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv/", ".env", ".env.*", ".git/", ".langgraph_api/", "**/__pycache__/"} <= ignored
    assert "!.env.example" in ignored
    # the image's own environment file (langgraph.json "env") is given at run time, not baked in
    assert CONFIG["env"].startswith(".env.")
