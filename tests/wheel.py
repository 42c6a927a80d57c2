"""Build the project's wheel from a copy of the working tree (what git tracks or would track),
so that concurrent builds never share the checkout's ``build/`` and nothing stale gets in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def project_files() -> list[str]:
    """Paths of the working tree that git tracks or would track (``.gitignore`` respected)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [path for path in listed.split("\0") if path and (ROOT / path).is_file()]


def build_wheel(workdir: Path) -> Path:
    """The wheel of the working tree, built in ``workdir`` with the venv's setuptools."""
    source = workdir / "source"
    for path in project_files():
        target = source / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, target)
    dist = workdir / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip_wheel, "--no-build-isolation", "--wheel-dir", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    return wheel
