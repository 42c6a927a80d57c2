"""The request guard's validation of run input (the HTTP behaviour is tested on the real server)."""

from __future__ import annotations

import pytest

from server.guard import BadRequest, validate_messages


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
