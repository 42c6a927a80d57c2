"""Assertions shared by the integration tests."""

from __future__ import annotations

import contextlib
import re

import httpx


@contextlib.contextmanager
def rejected(status: int, match: str = ""):
    """Expect the API to refuse the call with ``status`` and a message matching ``match``.

    The SDK's typed errors subclass ``httpx.HTTPStatusError``, which ``runs.wait`` raises as is;
    both carry the response."""
    try:
        yield
    except httpx.HTTPStatusError as error:
        response = error.response
        assert response.status_code == status, (response.status_code, response.text)
        assert re.search(match, response.text), response.text
    else:
        raise AssertionError(f"expected a {status} response")
