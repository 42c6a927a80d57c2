"""Ships the project files the installed ``adlaan`` needs next to its packages.

``store/migrate.py`` and ``server/cli.py`` find ``alembic.ini``, ``migrations/`` and
``langgraph.json`` in the directory that holds the ``store`` and ``server`` packages: the checkout,
or ``site-packages`` once installed. ``migrations`` is a package of the wheel (pyproject.toml);
the two files at the top of the repository are copied to the top of the wheel here, so
``adlaan migrate`` and ``adlaan dev`` work from any directory. Everything else is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: Top-level files of the repository that the installed package reads.
PROJECT_FILES = ("alembic.ini", "langgraph.json")


class BuildWithProjectFiles(build_py):
    """``build_py`` that also puts ``PROJECT_FILES`` at the root of the build (the wheel)."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads them from the checkout
            for name in PROJECT_FILES:
                self.copy_file(str(HERE / name), str(Path(self.build_lib) / name))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs += [str(Path(self.build_lib) / name) for name in PROJECT_FILES]
        return outputs


setup(cmdclass={"build_py": BuildWithProjectFiles})
