"""The wheel carries what an installed ``adlaan`` needs to migrate and serve from any directory
(issue 18, item 3): every file of the packages, ``migrations/`` and, beside the packages, the
``alembic.ini`` and ``langgraph.json`` that ``store/migrate.py`` and ``server/cli.py`` look for.
``make test-package`` installs it into a throwaway environment and runs it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.wheel import build_wheel, project_files

PACKAGES = ("graphs", "store", "hooks", "server", "documents", "migrations")


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    with zipfile.ZipFile(build_wheel(tmp_path_factory.mktemp("wheel"))) as wheel:
        return set(wheel.namelist())


def test_project_files_sit_beside_the_packages(wheel_files: set[str]):
    assert {"alembic.ini", "langgraph.json", "migrations/env.py"} <= wheel_files
    assert "migrations/script.py.mako" in wheel_files
    licenses = [name for name in wheel_files if name.endswith(".dist-info/licenses/LICENSE")]
    assert licenses


def test_every_file_of_the_packages_and_migrations_ships(wheel_files: set[str]):
    wanted = {path for path in project_files() if path.split("/", 1)[0] in PACKAGES}
    assert {p for p in wanted if p.startswith("migrations/versions/")}
    assert wanted - wheel_files == set()


def test_nothing_else_of_the_repository_ships(wheel_files: set[str]):
    tops = {Path(name).parts[0] for name in wheel_files}
    dist_info = {top for top in tops if top.endswith(".dist-info")}
    assert tops - dist_info == {*PACKAGES, "alembic.ini", "langgraph.json"}
