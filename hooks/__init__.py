"""Plugin hooks that run after runs and checkpoints (pluggy); may import ``store``, never ``server``.

The hook specifications and the mirror plugins arrive with the hooks issue; the package exists now
so the import contracts cover it from the start.
"""
