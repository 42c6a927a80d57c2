"""Changes between two values of a channel, and the compression of stored values: how
``PostgresCheckpointer`` stores a long conversation in linear space. Writer (``diff``,
``compress``) and reader (``apply``, ``apply_chain``, ``decompress``) of each format live here
together.

A change is a plain list the checkpoint serializer stores as it stores any value:

- ``["L", start, end, items]``: a list whose ``base[start:end]`` became ``items`` (an append is
  ``start == end == len(base)``);
- ``["D", set, delete, sub, order]``: a dict with keys set (new values), keys deleted, keys
  changed by a nested change, and its key order when that is not the base's;
- ``["S", segments]``: a long string, line by line: each segment is ``[i, j]`` (the base's
  lines ``i:j``) or a string (new text).

Values are never changed in place: a change builds a new container and shares the unchanged
items with its base.
"""

from __future__ import annotations

import difflib
import zlib
from collections.abc import Sequence
from typing import Any

#: Strings shorter than this are stored whole inside a change.
MIN_STRING_DIFF = 512


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # values whose == raises are never "the same"
        return False


def diff(base: Any, new: Any) -> list | None:
    """The change from ``base`` to ``new``, or None when there is none to express (different
    types, or values this format does not diff)."""
    if type(base) is list and type(new) is list:
        return _diff_list(base, new)
    if type(base) is dict and type(new) is dict:
        return _diff_dict(base, new)
    if type(base) is str and type(new) is str and len(new) >= MIN_STRING_DIFF:
        return _diff_str(base, new)
    return None


def _diff_list(base: list, new: list) -> list:
    start, limit = 0, min(len(base), len(new))
    while start < limit and _same(base[start], new[start]):
        start += 1
    tail = 0
    while tail < limit - start and _same(base[-1 - tail], new[-1 - tail]):
        tail += 1
    return ["L", start, len(base) - tail, new[start : len(new) - tail]]


def _diff_dict(base: dict, new: dict) -> list:
    set_: dict[str, Any] = {}
    sub: dict[str, list] = {}
    for key, value in new.items():
        if key not in base:
            set_[key] = value
        elif not _same(base[key], value):
            change = diff(base[key], value)
            if change is None or _bulk(change) >= _bulk(value):
                set_[key] = value
            else:
                sub[key] = change
    delete = [key for key in base if key not in new]
    kept = [key for key in base if key in new]
    order = list(new) if list(new) != kept + [k for k in new if k not in base] else None
    return ["D", set_, delete, sub, order]


def _diff_str(base: str, new: str) -> list:
    a, b = base.splitlines(keepends=True), new.splitlines(keepends=True)
    segments: list[Any] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append([i1, i2])
        elif tag in ("replace", "insert"):
            segments.append("".join(b[j1:j2]))
    return ["S", segments]


def _bulk(value: Any) -> int:
    """A rough size, to tell whether a nested change is worth it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list) and value and value[0] == "S":
        return sum(len(s) if isinstance(s, str) else 8 for s in value[1])
    if isinstance(value, list | dict):
        return 64 * len(value)
    return 16


def apply(base: Any, change: Sequence) -> Any:
    """``base`` with ``change`` applied (a new value; ``base`` is left as it is)."""
    tag = change[0]
    if tag == "L":
        _, start, end, items = change
        return [*base[:start], *items, *base[end:]]
    if tag == "D":
        _, set_, delete, sub, order = change
        out = {k: v for k, v in base.items() if k not in delete}
        for key, nested in sub.items():
            out[key] = apply(base[key], nested)
        out.update(set_)
        return {k: out[k] for k in order} if order else out
    if tag == "S":
        lines = base.splitlines(keepends=True)
        return "".join(
            seg if isinstance(seg, str) else "".join(lines[seg[0] : seg[1]]) for seg in change[1]
        )
    raise ValueError(f"unknown change {tag!r}")


def apply_chain(base: Any, changes: Sequence[Sequence]) -> Any:
    """``base`` with ``changes`` applied oldest first; lists are copied once, not per change."""
    if type(base) is list and all(c[0] == "L" for c in changes):
        out = list(base)
        for _, start, end, items in changes:
            out[start:end] = items
        return out
    for change in changes:
        base = apply(base, change)
    return base


# -- compression of stored values ------------------------------------------------------------
#
# Most stored values are small (one message, one change of the document: a few hundred bytes),
# below the ~2 KB at which PostgreSQL compresses a row itself, and a serialized LangChain message
# spends half of its bytes on its class path and field names. Such a value is stored deflated
# with a preset dictionary of those names, its type prefixed with ``z1.`` (``z1.msgpack``).
#
# ZDICT_1 is part of the stored format: changing it would make every ``z1.`` value unreadable.
# A better dictionary is a new prefix (``z2.``) next to this one, never an edit of it.

#: Prefix of a compressed value's type: raw deflate with ``ZDICT_1``.
COMPRESSED_PREFIX = "z1."
#: Values shorter than this are stored as they are (deflate would not save its own overhead).
MIN_COMPRESS = 96
ZDICT_1 = (
    b"\xa1S\xa1D\xa1L\x92\x94\x95\xa5terms\xa7version\xa4body\xa9citations\xa4text\xa5title"
    b"\xa4tool\xa8function\xa9arguments\xa4args\xa9tool_call\xa6status\xa7success\xa8artifact"
    b"\xacinput_tokens\xadoutput_tokens\xactotal_tokens\xadfinish_reason\xaamodel_name\xa4stop"
    b"\xaetool_call_chunks\xa5chunk\xa6system\xa4tool\xa2ai\xa5human"
    b"\x91\xc7\xad\x05\x94\xbelangchain_core.messages.system\xadSystemMessage\x86\xa7content\xa0"
    b"\xb1additional_kwargs\x80\xb1response_metadata\x80\xa4type\xa6system\xa4name\xc0\xa2id\xd9$"
    b"\xb3model_validate_json"
    b"\x91\xc7\xd7\x05\x94\xbclangchain_core.messages.tool\xabToolMessage\x89\xa7content\xa0"
    b"\xb1additional_kwargs\x80\xb1response_metadata\x80\xa4type\xa4tool\xa4name\xa4tool\xa2id\xd9$"
    b"\xactool_call_id\xa5call_\xa8artifact\xc0\xa6status\xa7success\xb3model_validate_json"
    b"\x91\xc7\xaa\x05\x94\xbdlangchain_core.messages.human\xacHumanMessage\x86\xa7content\xa0"
    b"\xb1additional_kwargs\x80\xb1response_metadata\x80\xa4type\xa5human\xa4name\xc0\xa2id\xd9$"
    b"\xb3model_validate_json"
    b"\x91\xc7\xd1\x05\x94\xbalangchain_core.messages.ai\xa9AIMessage\x89\xa7content\xa0"
    b"\xb1additional_kwargs\x80\xb1response_metadata\x80\xa4type\xa2ai\xa4name\xc0\xa2id\xd9$"
    b"\xaatool_calls\x90\xb2invalid_tool_calls\x90\xaeusage_metadata\xc0\xb3model_validate_json"
)


def compress(typed: tuple[str, bytes]) -> tuple[str, bytes]:
    """A serialized value as it is stored: deflated when that saves at least a tenth."""
    kind, data = typed
    if len(data) < MIN_COMPRESS or kind.startswith(COMPRESSED_PREFIX):
        return typed
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=ZDICT_1)
    packed = deflate.compress(data) + deflate.flush()
    if 10 * len(packed) > 9 * len(data):
        return typed
    return f"{COMPRESSED_PREFIX}{kind}", packed


def decompress(typed: tuple[str, bytes]) -> tuple[str, bytes]:
    """The serialized value a stored one holds (itself when it is not compressed)."""
    kind, data = typed
    if not kind.startswith(COMPRESSED_PREFIX):
        return typed
    inflate = zlib.decompressobj(-15, zdict=ZDICT_1)
    return kind[len(COMPRESSED_PREFIX) :], inflate.decompress(data) + inflate.flush()


class CompressedSerde:
    """The checkpointer's serializer: reads compressed values (``z1.…``) wherever the stock
    saver's code decodes one, and otherwise is the serializer it wraps. Writing compressed is
    the saver's choice, value by value (``compress``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        return self.inner.dumps_typed(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        return self.inner.loads_typed(decompress(data))
