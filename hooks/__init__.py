"""Plugin hooks that run after runs and checkpoints (pluggy); may import ``store``, never ``server``.

Write a plugin with ``hookimpl``::

    from hooks import hookimpl

    @hookimpl
    def after_run(event):
        print(event.thread_id, event.status)

and register it under the entry-point group ``adlaan.hooks`` (see docs/hooks.md).
"""

import pluggy

PROJECT = "adlaan"
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl"]
