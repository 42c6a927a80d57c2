"""Every Adlaan route is documented in docs/api.md under its method and path."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from server.app import app

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
ROUTES = sorted(
    (method, route.path)
    for route in app.routes
    if isinstance(route, APIRoute)
    for method in route.methods
)


def test_there_are_routes():
    assert len(ROUTES) >= 20


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_is_documented(method, path):
    assert f"`{method} {path}`" in DOCS, f"docs/api.md does not document `{method} {path}`"
