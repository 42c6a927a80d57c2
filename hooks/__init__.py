"""Plugin hooks that run after runs and checkpoints (pluggy); may import ``store``, never ``server``.

Write a plugin with ``hookimpl``::

    from hooks import hookimpl

    @hookimpl
    def after_run(event):
        print(event.thread_id, event.status)

and register it under the entry-point group ``adlaan.hooks`` (see docs/hooks.md). A hook that
raises ``PermanentError`` (or ``ValueError``, ``TypeError``, ``KeyError``, a psycopg data or
integrity error) says the event itself is bad: it is dead-lettered at once, never retried.
"""

import pluggy

PROJECT = "adlaan"
hookimpl = pluggy.HookimplMarker(PROJECT)


class PermanentError(Exception):
    """Raised by a hook when the event can never be handled (it is invalid, not the moment):
    the dispatcher dead-letters it on the first attempt instead of retrying it."""


__all__ = ["PROJECT", "PermanentError", "hookimpl"]
