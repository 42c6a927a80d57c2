"""The change format of linear storage: applying ``diff(a, b)`` to ``a`` gives ``b`` and never
changes ``a``."""

from __future__ import annotations

import copy
import itertools
import random

import pytest

from store.checkpoint_delta import apply, apply_chain, diff

BODY = "".join(f"## {i}. Clause {i}\n\nThe parties agree to term {i}.\n" for i in range(40))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1, 2, 3], [1, 2, 3, 4, 5]),  # append
        ([1, 2, 3], [1, 9, 3]),  # replace in the middle
        ([1, 2, 3], [2, 3]),  # remove the first
        ([], [1]),
        ([1, 2], []),
        ({"a": 1, "b": 2}, {"b": 3, "c": 4}),  # set, delete, add, new order
        ({"body": BODY}, {"body": BODY.replace("term 7.", "term seven.") + "## 41.\n"}),
        ({"terms": {"law": "CA", "months": 24}}, {"terms": {"law": "TX", "months": 24}}),
        ({"k": [1, 2]}, {"k": [1, 2, 3]}),
        ({"body": BODY}, {"body": ""}),
    ],
)
def test_applying_the_change_gives_the_new_value_and_leaves_the_base(a, b):
    before = copy.deepcopy(a)
    change = diff(a, b)
    assert change is not None
    assert apply(a, change) == b
    assert list(apply(a, change)) == list(b)  # same order of keys
    assert a == before


def test_values_of_other_kinds_have_no_change():
    assert diff(1, 2) is None
    assert diff([1], {"a": 1}) is None
    assert diff("short", "strings") is None


def test_a_chain_of_changes_rebuilds_every_value():
    rng = random.Random(13)  # noqa: S311 (a reproducible workload, not a secret)
    values = [[]]
    for _ in range(200):
        current = list(values[-1])
        op = rng.random()
        if op < 0.7 or not current:
            current.append(rng.randrange(1000))
        elif op < 0.85:
            current[rng.randrange(len(current))] = -1
        else:
            del current[rng.randrange(len(current))]
        values.append(current)
    changes = [diff(a, b) for a, b in itertools.pairwise(values)]
    for n in (1, 50, 200):
        assert apply_chain(values[0], changes[:n]) == values[n]
    assert values[0] == []


def test_a_document_change_is_much_smaller_than_the_document():
    a = {"version": 1, "body": BODY, "title": "NDA"}
    b = {"version": 2, "body": BODY.replace("term 3.", "term three."), "title": "NDA"}
    change = diff(a, b)
    assert len(repr(change)) < len(BODY) / 5
