"""``adlaan_*`` metrics on the real server's ``/metrics``, scraped as an administrator (issue 18,
item 4), and the server's version in ``/info`` (item 5).

One module server: drafter turns make the mirror deliver (its lag histogram counts them), a bad
``update_state`` is a dead letter (a permanent hook failure), refused requests and a throttled
login are counted, and the outbox and checkpoint figures are read from PostgreSQL at scrape time.
"""

from __future__ import annotations

import asyncio
import time
from importlib.metadata import version

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.accounts import make_user

pytestmark = pytest.mark.integration


async def _scrape(http: httpx.AsyncClient, admin) -> dict[tuple[str, tuple], float]:
    """``{(sample name, sorted labels): value}`` of one admin scrape."""
    answer = await http.get("/metrics", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def _families(samples) -> set[str]:
    return {name for name, _ in samples}


async def _until(http: httpx.AsyncClient, admin, check, within: float = 20.0):
    deadline = time.monotonic() + within
    while True:
        samples = await _scrape(http, admin)
        if check(samples) or time.monotonic() > deadline:
            return samples
        await asyncio.sleep(0.3)


def _user(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


async def test_adlaan_metrics_on_the_servers_metrics(server, database_url):
    admin = make_user(database_url, admin=True)
    client = server.client()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        await _scenario(server, client, http, database_url, admin)


async def _scenario(server, client, http: httpx.AsyncClient, database_url: str, admin) -> None:
    # A non-admin is refused /metrics; so are a request without and one with a bad credential.
    assert (await http.get("/metrics", headers=server.headers)).status_code == 403
    assert (await http.post("/threads/search", json={})).status_code == 401
    bad = {"Authorization": "Bearer adlk_not-a-key"}
    assert (await http.post("/threads/search", json={}, headers=bad)).status_code == 401

    # Two turns the mirror delivers, then a document version it refuses for good.
    thread = (await client.threads.create())["thread_id"]
    await client.runs.wait(thread, "drafter", input=_user("I need to draft an NDA"))
    await client.runs.wait(thread, "drafter", input=_user("Make it for California jurisdiction"))
    state = await client.threads.get_state(thread)
    document = {**state["values"]["document"], "version": "2a"}
    await client.threads.update_state(thread, {"document": document})

    # A throttled login (the module server's per-client limit is lifted: the e-mail's trips).
    victim = make_user(database_url)
    for _ in range(12):
        refused = await http.post("/auth/login", json={"email": victim.email, "password": "wrong"})
    assert refused.status_code == 429

    def delivered_and_dead(samples) -> bool:
        dead = [v for (name, _), v in samples.items() if name == "adlaan_dead_letters"]
        return sum(dead) >= 1

    samples = await _until(http, admin, delivered_and_dead)

    lags = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "adlaan_mirror_lag_seconds_count"
    }
    assert lags and max(lags.values()) >= 2, f"the mirror's deliveries are observed: {lags}"
    (mirror,) = [dict(labels)["plugin"] for labels, value in lags.items() if value >= 2]
    assert _value(samples, "adlaan_dead_letters", plugin=mirror) == 1
    assert _value(samples, "adlaan_hook_failures_total", plugin=mirror, kind="permanent") == 1
    assert _value(samples, "adlaan_outbox_depth", plugin=mirror) is not None
    assert _value(samples, "adlaan_outbox_oldest_pending_seconds", plugin=mirror) is not None
    assert _value(samples, "adlaan_auth_denials_total", reason="not_admin") >= 1
    assert _value(samples, "adlaan_auth_denials_total", reason="no_credentials") >= 1
    assert _value(samples, "adlaan_auth_denials_total", reason="invalid_credentials") >= 1
    assert _value(samples, "adlaan_logins_throttled_total", key="email") >= 1
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
        assert _value(samples, "adlaan_checkpoint_bytes", table=table) > 0
    assert _value(samples, "adlaan_metrics_database_up") == 1
    assert _value(samples, "adlaan_build_info", version=version("adlaan-agent")) == 1
    # langgraph-api's own metrics are still there: ours are appended to the same response
    assert any(name.startswith("lg_api_") for name in _families(samples))

    # retention counts per table once the sweeper deletes something; the family is always there
    text = (await http.get("/metrics", headers=admin.headers)).text
    assert "# TYPE adlaan_retention_deletions_total counter" in text


def test_info_reports_the_servers_version(server):
    info = httpx.get(f"{server.url}/info", headers=server.headers)
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["adlaan"] == {"version": version("adlaan-agent")}
    assert body["version"] == version("langgraph-api")  # langgraph-api's own answer is kept
    assert int(info.headers["content-length"]) == len(info.content)
