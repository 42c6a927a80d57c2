"""Which PostgreSQL client programs a backup uses (store/dump.py): the oldest one at least as
new as the server, from the embedded PostgreSQL's wheel, Debian's directories or PATH; and a
clear refusal, naming what was found and what to install, when none is new enough."""

from __future__ import annotations

import pytest

from store.dump import ToolMissing, pick_tool, tools


@pytest.mark.parametrize("name", ["pg_dump", "pg_restore"])
def test_the_embedded_wheel_ships_the_tools_of_its_servers(name):
    found = tools(name)
    assert {16, 18} <= {t.major for t in found}, found
    assert [t.major for t in found] == sorted(t.major for t in found)


def test_the_oldest_tool_at_least_as_new_as_the_server_is_taken():
    majors = sorted({t.major for t in tools("pg_dump")})
    for wanted in range(majors[0] - 1, majors[-1] + 1):
        picked = pick_tool("pg_dump", wanted)
        assert picked.major == min(m for m in majors if m >= wanted)


def test_no_tool_new_enough_says_what_to_install():
    with pytest.raises(ToolMissing) as refused:
        pick_tool("pg_dump", 99)
    message = str(refused.value)
    assert "no pg_dump of PostgreSQL 99 or newer" in message
    assert "postgresql-client-99" in message
    assert "18" in message  # what was found is listed
