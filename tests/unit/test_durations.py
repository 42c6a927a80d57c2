"""Durations need a unit that cannot be misread, in settings and on the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from server.durations import DurationError, describe, parse_duration
from server.settings import Settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("30min", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        ("1y", timedelta(days=365)),
        ("1.5 hours", timedelta(hours=1.5)),
        (" 7 Days ", timedelta(days=7)),
        ("0", timedelta(0)),
    ],
)
def test_durations_with_a_unit(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("90", "has no unit"),
        ("1m", "ambiguous"),
        ("3 months", "ambiguous"),
        ("1mo", "ambiguous"),
        ("5 fortnights", "unknown unit"),
        ("-1d", "not a duration"),
        ("", "not a duration"),
        ("never", "not a duration"),  # unless the caller allows it
    ],
)
def test_ambiguous_or_malformed_durations_are_refused_naming_the_units(text, reason):
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert reason in str(caught.value)
    assert "30min" in str(caught.value), "the message lists the accepted units"


def test_never_where_allowed_and_short_forms():
    assert parse_duration("never", allow_never=True) is None
    assert parse_duration("OFF", allow_never=True) is None
    assert [describe(d) for d in (timedelta(days=90), timedelta(days=14), None)] == [
        "90d",
        "14d",
        "never",
    ]
    assert [describe(timedelta(days=730)), describe(timedelta(minutes=30))] == ["2y", "30min"]


def test_settings_take_durations_and_refuse_bare_numbers_and_retired_names():
    settings = Settings(
        RETENTION_IDLE="1y", AUDIT_RETENTION="400d", RETENTION_SWEEP_INTERVAL="10min"
    )
    assert settings.retention_idle == timedelta(days=365)
    assert settings.audit_retention == timedelta(days=400)
    assert settings.retention_sweep_interval == 600
    defaults = Settings()
    assert defaults.retention_idle is None, "conversations are kept unless one opts in"
    assert defaults.audit_security_retention > defaults.audit_retention
    assert Settings(RETENTION_SWEEP_INTERVAL="off").retention_sweep_interval == 0
    for name in ("RETENTION_IDLE", "SESSION_RETENTION", "RETENTION_SWEEP_INTERVAL"):
        with pytest.raises(ValidationError, match="has no unit"):
            Settings(**{name: "90"})
    with pytest.raises(ValidationError, match="ambiguous"):
        Settings(AUDIT_SECURITY_RETENTION="6m")
    with pytest.raises(ValidationError, match="replaced by RETENTION_IDLE"):
        Settings(RETENTION_DAYS="90")
    with pytest.raises(ValidationError, match="replaced by AUDIT_RETENTION"):
        Settings(AUDIT_RETENTION_DAYS="365")
