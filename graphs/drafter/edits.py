"""Human edits win: carrying a turn's changes into a body the user edited by hand.

A draft's body is the rendering of its terms until someone edits it (through ``update_state``, as
Studio or a client does). Then the next turn must not re-render over the edit: ``carry_over``
applies to the edited body only what the turn changes in the rendering, each change found in the
edited text by its surrounding words, and gives up (None) when a change falls in text the user
rewrote, so that the graph asks before overwriting.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
#: Tokens of context (words, spaces, punctuation) on each side of a change: at least two words,
#: and at most about twenty, to find where the change goes in the edited text.
_MIN_CONTEXT, _MAX_CONTEXT = 4, 40


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _only_match(text: str, target: str) -> re.Match[str] | None:
    """The one place ``target`` occurs in ``text`` as whole words, or None (absent or repeated)."""
    pattern = re.compile(rf"(?<!\w){re.escape(target)}(?!\w)")
    matches = pattern.finditer(text)
    first = next(matches, None)
    return first if first and next(matches, None) is None else None


def carry_over(edited: str, old: str, new: str) -> str | None:
    """``edited`` (the user's version of ``old``) with the changes from ``old`` to ``new``
    applied, or None when one of them cannot be placed (its words were edited away)."""
    old_tokens, new_tokens = _tokens(old), _tokens(new)
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    result = edited
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for k in range(_MIN_CONTEXT, _MAX_CONTEXT + 1):
            # Changes are applied in order: left of this one the text is already the new one.
            left = "".join(new_tokens[max(0, j1 - k) : j1])
            right = "".join(old_tokens[i2 : i2 + k])
            if match := _only_match(result, left + "".join(old_tokens[i1:i2]) + right):
                replacement = left + "".join(new_tokens[j1:j2]) + right
                result = result[: match.start()] + replacement + result[match.end() :]
                break
        else:
            return None
    return result
