"""Database selection and secret handling of the one settings object (no database needed)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.settings import RESOLVED_URL_ENV, Settings
from store.db import mask_url, sqlalchemy_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in (
        "DATABASE_URL",
        "DB_HOST",
        "DB_PORT",
        "DB_NAME",
        "DB_USER",
        "DB_PASSWORD",
        RESOLVED_URL_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_database_url_wins(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@db:5433/app")
    monkeypatch.setenv("DB_HOST", "ignored")
    monkeypatch.setenv("DB_NAME", "ignored")
    assert Settings().configured_url() == ("postgresql://u:pw@db:5433/app", "DATABASE_URL")


def test_seed_variables_build_a_url_with_escaped_password(monkeypatch):
    monkeypatch.setenv("DB_HOST", "localhost")
    monkeypatch.setenv("DB_PORT", "5434")
    monkeypatch.setenv("DB_NAME", "adlaanagent")
    monkeypatch.setenv("DB_USER", "husain")
    monkeypatch.setenv("DB_PASSWORD", "p@ss:w/rd%")
    url, source = Settings().configured_url()
    assert url == "postgresql://husain:p%40ss%3Aw%2Frd%25@localhost:5434/adlaanagent"
    assert source.startswith("DB_HOST")
    assert "p@ss" not in mask_url(url) and "***" in mask_url(url)


def test_dotenv_is_read(tmp_path):
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://from-dotenv/db\nDB_POOL_SIZE=7\n")
    settings = Settings()
    assert settings.configured_url()[0] == "postgresql://from-dotenv/db"
    assert settings.db_pool_size == 7


def test_nothing_configured_means_embedded():
    assert Settings().configured_url() is None


def test_data_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("ADLAAN_DATA_DIR", str(tmp_path / "data"))
    assert Settings().data_dir == tmp_path / "data"


def test_non_postgres_url_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///app.db")
    with pytest.raises(ValidationError, match="postgresql://"):
        Settings()


def test_password_never_in_repr(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:topsecret@db/app")
    monkeypatch.setenv("DB_PASSWORD", "alsosecret")
    text = repr(Settings())
    assert "topsecret" not in text and "alsosecret" not in text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:pw@h:1/d", "postgresql://u:***@h:1/d"),
        ("postgresql://u@h/d", "postgresql://u@h/d"),
        (
            "postgresql://postgres:@/adlaan?host=/tmp/x",
            "postgresql://postgres:***@/adlaan?host=%2Ftmp%2Fx",
        ),
    ],
)
def test_mask_url(url, expected):
    assert mask_url(url) == expected


def test_sqlalchemy_url_forms():
    assert sqlalchemy_url("postgresql://h/d") == "postgresql+psycopg://h/d"
    assert sqlalchemy_url("postgres://h/d") == "postgresql+psycopg://h/d"
    with pytest.raises(ValueError):
        sqlalchemy_url("mysql://h/d")
