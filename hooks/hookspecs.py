"""The hooks Adlaan calls. Each is called with keyword arguments; an implementation may be a
plain function or a coroutine function."""

import pluggy

from hooks import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def after_checkpoint(event):
    """A root checkpoint was committed: by a run step, ``update_state``, a fork or a copy."""


@hookspec
def after_run(event):
    """A run reached a terminal state: success, error, timeout or interrupted."""
