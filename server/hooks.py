"""Composition of the hooks: the plugin manager with the built-in mirror and the allowed
third-party plugins, and the dispatcher that delivers to them."""

from __future__ import annotations

from hooks.builtin.mirror import Mirror
from hooks.dispatcher import Dispatcher
from hooks.manager import get_plugin_manager
from server.settings import Settings
from store.db import DictPool


def make_dispatcher(pool: DictPool, settings: Settings) -> Dispatcher:
    """A dispatcher for the built-in mirror plus the plugins ``HOOKS_ALLOW`` names."""
    pm = get_plugin_manager(builtins=[("mirror", Mirror(pool))], allow=settings.allowed_plugins())
    # four threads' events at once: their round trips overlap, and the app's pool (10) keeps
    # room for requests (bench/mirror.py measured it)
    return Dispatcher(pool, pm, max_attempts=settings.hooks_max_attempts, concurrency=4)
