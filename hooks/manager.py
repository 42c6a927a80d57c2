"""The plugin manager: built-in plugins plus third parties from the ``adlaan.hooks`` entry points."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points

import pluggy

from hooks import PROJECT, hookspecs

ENTRY_POINT_GROUP = "adlaan.hooks"


def get_plugin_manager(
    builtins: Iterable[tuple[str, object]] = (), allow: Iterable[str] | None = None
) -> pluggy.PluginManager:
    """A fresh manager with ``builtins`` and the entry-point plugins named in ``allow``
    (``None`` loads none: third-party code runs only when an operator allows it by name)."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, plugin in builtins:
        pm.register(plugin, name=name)
    allowed = set(allow or ())
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in allowed:
            pm.register(entry_point.load(), name=entry_point.name)
    return pm
