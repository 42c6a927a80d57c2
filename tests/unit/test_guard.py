"""The request guard's validation of run input (the HTTP behaviour is tested on the real server)."""

from __future__ import annotations

import pytest

from server.guard import (
    BadRequest,
    RequestGuard,
    validate_cron,
    validate_messages,
    validate_store_search,
    validate_thread_search,
)


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "Draft an NDA"}],
        [{"type": "human", "content": [{"type": "text", "text": "Draft an NDA"}]}],
        [("user", "hi")],
        "plain text is a user message",
        [{"role": "assistant", "content": ""}],  # tool-calling AI messages may be empty
        [{"role": "remove", "id": "x", "content": ""}],
        None,
    ],
)
def test_accepted(messages):
    validate_messages(messages)


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([{"role": "user", "content": ""}], "empty"),
        ([{"role": "user", "content": " \n\t"}], "empty"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            "empty",
        ),
        ([{"role": "user", "content": 42}], "must be text"),
        ([{"role": "user"}], "no 'content'"),
        ([{"content": "hi"}], "needs a 'role'"),
        ([{"role": "wizard", "content": "hi"}], "unknown role"),
        ([12], "must be an object"),
    ],
)
def test_refused(messages, fragment):
    with pytest.raises(BadRequest, match=fragment) as error:
        validate_messages(messages)
    assert error.value.status == 422


@pytest.mark.parametrize(
    ("validate", "body"),
    [
        (validate_store_search, {"namespace_prefix": []}),
        (validate_store_search, {"namespace_prefix": ["u1", "notes"], "query": "nda"}),
        (validate_thread_search, {}),
        (validate_thread_search, {"values": None, "metadata": {"a": 1}}),
        (validate_thread_search, {"values": {}}),
        (validate_cron, {"assistant_id": "drafter", "schedule": "0 9 * * 1"}),
    ],
)
def test_searches_and_crons_accepted(validate, body):
    validate(body)


@pytest.mark.parametrize(
    ("validate", "body", "fragment"),
    [
        (validate_store_search, {}, "namespace_prefix is required"),
        (validate_store_search, {"namespace_prefix": None}, "namespace_prefix is required"),
        (validate_store_search, {"namespace_prefix": "notes"}, "must be a list of strings"),
        (validate_store_search, {"namespace_prefix": 3}, "must be a list of strings"),
        (validate_store_search, {"namespace_prefix": [None]}, "must be a list of strings"),
        (validate_thread_search, {"values": {"a": 1}}, "'values' is not supported"),
        (validate_thread_search, {"values": []}, "'values' is not supported"),
        (validate_cron, {"schedule": "0 9 * * 1"}, "needs 'assistant_id'"),
        (validate_cron, {"assistant_id": "", "schedule": "0 9 * * 1"}, "needs 'assistant_id'"),
        (validate_cron, {"assistant_id": 7, "schedule": "0 9 * * 1"}, "needs 'assistant_id'"),
        (validate_cron, {"assistant_id": "drafter"}, "needs 'schedule'"),
    ],
)
def test_searches_and_crons_refused(validate, body, fragment):
    with pytest.raises(BadRequest, match=fragment) as error:
        validate(body)
    assert error.value.status == 422


@pytest.mark.parametrize(
    ("path", "watched"),
    [
        ("/store/items/search", True),
        ("/threads/search", True),
        ("/threads/count", True),
        ("/runs/crons", True),
        ("/threads/5a6e2f1c-0000-4000-8000-000000000000/runs/crons", True),
        ("/runs/crons/search", False),
        ("/store/items", False),
        ("/threads", False),
    ],
)
def test_which_posts_are_checked(path, watched):
    assert RequestGuard._watched(path) is watched
