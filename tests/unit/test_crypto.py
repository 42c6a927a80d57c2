"""``store/crypto.py`` and ``adlaan db rotate-key``'s row rewrite, without a database: every stored
form of a checkpoint value (plain, deflated, a change, encrypted under an old key) comes out
encrypted under the current key and decodes to the same value."""

from __future__ import annotations

import os

import pytest
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from server.cli_crypto import _resealed
from store import crypto
from store.checkpoint_delta import CompressedSerde, compress

OLD, NEW = os.urandom(32), os.urandom(32)
VALUE = {"body": "Confidential terms " * 40, "items": list(range(50))}


def decoded(ring: crypto.Keyring, kind: str, blob: bytes):
    return CompressedSerde(ring.serializer()).loads_typed((kind, blob))


@pytest.mark.parametrize(
    "stored",
    [
        JsonPlusSerializer().dumps_typed(VALUE),  # written before a key was set
        compress(JsonPlusSerializer().dumps_typed(VALUE)),  # ... and deflated (z1.)
        crypto.Keyring(OLD).serializer().dumps_typed(VALUE),  # under the old key
    ],
)
def test_every_stored_form_is_rewritten_under_the_current_key(stored):
    ring = crypto.Keyring(NEW, [OLD])
    kind, blob = _resealed(ring, *stored)
    assert kind.endswith("+aes") and not kind.startswith("z1.")
    assert decoded(crypto.Keyring(NEW), kind, blob) == VALUE, "the new key alone reads it"


def test_a_change_keeps_its_base_and_references_stay_as_they_are():
    ring = crypto.Keyring(NEW, [OLD])
    inner, blob = crypto.Keyring(OLD).serializer().dumps_typed(["L", 0, 0, [1]])
    kind, new = _resealed(ring, f"delta:{inner}:00000000003.ab12", blob)
    assert kind == "delta:msgpack+aes:00000000003.ab12"
    assert crypto.Keyring(NEW).serializer().loads_typed(("msgpack+aes", new)) == ["L", 0, 0, [1]]
    assert _resealed(ring, "ref:00000000003.ab12", b"") is None
    assert _resealed(ring, "empty", None) is None


def test_an_unknown_key_is_refused_and_text_round_trips():
    with pytest.raises(crypto.DecryptError):
        crypto.Keyring(NEW).decrypt_bytes(crypto.Keyring(OLD).encrypt_bytes(b"x" * 40))
    ring = crypto.Keyring(NEW, [OLD])
    sealed = crypto.Keyring(OLD).encrypt_text("Sécret clause")
    assert sealed.startswith(crypto.TEXT_PREFIX) and "clause" not in sealed
    assert ring.decrypt_text(sealed) == "Sécret clause"
    assert ring.decrypt_text("written in plaintext") == "written in plaintext"
    with pytest.raises(crypto.DecryptError):
        crypto.Keyring(NEW).decrypt_text(sealed)


def test_a_sealed_title_fits_its_column():
    crypto.configure(crypto.Keyring(NEW))
    try:
        sealed = crypto.seal_within("é" * 500, 500)
        assert len(sealed) <= 500 and crypto.unseal(sealed) == "é" * len(crypto.unseal(sealed))
    finally:
        crypto.configure(None)


def test_checkpoint_values_are_deflated_then_encrypted_in_langgraphs_format():
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

    ring = crypto.Keyring(NEW)
    kind, blob = ring.serializer().dumps_typed(VALUE)
    plain = JsonPlusSerializer().dumps_typed(VALUE)[1]
    assert kind == "ze.msgpack+aes" and len(blob) < len(plain) / 2, "deflated before encryption"
    assert ring.serializer().dumps_typed(VALUE) == (kind, blob), "equal values, equal bytes"
    assert b"Confidential" not in blob
    # LangGraph's own AES decoder reads the bytes (the type names our deflate step)
    theirs = EncryptedSerializer.from_pycryptodome_aes(key=NEW)
    inflated = crypto._Deflating().loads_typed(("ze.msgpack", theirs.cipher.decrypt("aes", blob)))
    assert inflated == VALUE
