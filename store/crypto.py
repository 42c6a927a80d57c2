"""Encryption at rest (``ADLAAN_ENCRYPTION_KEY``): the checkpoint serializer and the mirror's
text columns, with one key to write and older keys still read (rotation, docs/security.md).

- Checkpoint blobs and writes: LangGraph's ``EncryptedSerializer`` around the stock
  ``JsonPlusSerializer`` (values deflated first, type prefix ``ze.``), with a cipher whose bytes
  are laid out as ``EncryptedSerializer.from_pycryptodome_aes``'s (AES-EAX, type suffix
  ``+aes``) but whose nonce is a keyed hash of the value (equal values, equal bytes: the
  checkpointer's write references compare bytes) and which decrypts with any key of the ring,
  so rows written before a rotation stay readable.
- The development server's registry (``api_registry.payload``, pickled threads, runs, store
  items): ``adlaan-enc1:`` and the same cipher's bytes.
- ``adlaan serve``'s runtime tables (``server/runtime/pg_seal.py``): a JSON column's value as
  the JSON string ``enc1:...`` (``seal_json_text``), a store value as ``{"adlaan-enc1":
  "enc1:..."}`` (``seal_object``).
- The mirror's message ``content`` and document ``body``/``title``: ``enc1:`` and the base64
  of AES-SIV (deterministic: the same text under the same key gives the same value, which the
  mirror's "unchanged row" test needs; it leaks only that two values are equal). A value
  without the prefix is plaintext written before a key was set, and is returned as it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.serde.base import CipherProtocol
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from store.checkpoint_delta import COMPRESSED_PREFIX, compress, decompress

#: Type prefix of a value deflated before it was encrypted.
DEFLATED = "ze."
#: Prefix of an encrypted text column value.
TEXT_PREFIX = "enc1:"
KEY_BYTES = 32


class BadKey(ValueError):
    """A key that is not the base64 of 32 bytes."""


def parse_key(text: str, *, name: str = "ADLAAN_ENCRYPTION_KEY") -> bytes:
    """The 32 bytes a base64 key names, or ``BadKey`` saying what is wrong (never the key)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadKey(
            f"{name} is not valid base64; generate one with "
            '`python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"`'
        ) from None
    if len(key) != KEY_BYTES:
        raise BadKey(f"{name} must be the base64 of {KEY_BYTES} bytes, got {len(key)} bytes")
    return key


class DecryptError(ValueError):
    """A value no key of the ring decrypts (a key missing from ADLAAN_ENCRYPTION_OLD_KEYS)."""


class Keyring:
    """The current key (writes) and older keys (reads only)."""

    def __init__(self, current: bytes, old: Sequence[bytes] = ()) -> None:
        self.current = current
        self.keys = [current, *[k for k in old if k != current]]
        self._nonce_key = hmac.new(current, b"adlaan checkpoint nonce", hashlib.sha256).digest()

    # -- checkpoint values ---------------------------------------------------------------
    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        """AES-EAX in LangGraph's ``aes`` layout (nonce, tag, ciphertext). The nonce is a keyed
        hash of the plaintext (a synthetic IV): equal values encrypt equally, which the
        checkpointer needs to store a write as a reference to its checkpoint's copy, and
        different values never share a nonce."""
        from Crypto.Cipher import AES

        nonce = hmac.new(self._nonce_key, plaintext, hashlib.sha256).digest()[:16]
        cipher = AES.new(self.current, AES.MODE_EAX, nonce=nonce)
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        return nonce + tag + ciphertext

    def decrypt_bytes(self, data: bytes) -> bytes:
        from Crypto.Cipher import AES

        nonce, tag, ciphertext = data[:16], data[16:32], data[32:]
        for key in self.keys:
            try:
                return AES.new(key, AES.MODE_EAX, nonce=nonce).decrypt_and_verify(ciphertext, tag)
            except ValueError:
                continue
        raise DecryptError("no configured encryption key decrypts this checkpoint value")

    def serializer(self) -> EncryptedSerializer:
        """The checkpoint serializer: ``JsonPlusSerializer``, encrypted with this ring."""
        return EncryptedSerializer(_RingCipher(self), _Deflating())

    # -- text columns --------------------------------------------------------------------
    def encrypt_text(self, text: str) -> str:
        from Crypto.Cipher import AES

        ciphertext, tag = AES.new(self.current, AES.MODE_SIV).encrypt_and_digest(text.encode())
        return TEXT_PREFIX + base64.b64encode(tag + ciphertext).decode()

    def decrypt_text(self, value: str) -> str:
        from Crypto.Cipher import AES

        if not value.startswith(TEXT_PREFIX):
            return value
        data = base64.b64decode(value[len(TEXT_PREFIX) :])
        for key in self.keys:
            try:
                return AES.new(key, AES.MODE_SIV).decrypt_and_verify(data[16:], data[:16]).decode()
            except ValueError:
                continue
        raise DecryptError("no configured encryption key decrypts this text")


def deflate(typed: tuple[str, bytes]) -> tuple[str, bytes]:
    """A serialized value as it is encrypted: deflated first, as the checkpointer deflates a
    plaintext one (ciphertext does not compress), marked ``ze.`` rather than ``z1.`` since the
    checkpointer inflates any stored ``z1.`` value before it is decrypted."""
    kind, data = compress(typed)
    return (f"{DEFLATED}{kind[len(COMPRESSED_PREFIX) :]}", data) if kind != typed[0] else typed


class _Deflating(JsonPlusSerializer):
    """``JsonPlusSerializer`` whose values are deflated before they are encrypted (a subclass,
    so that LangGraph still derives its msgpack allowlist)."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        return deflate(super().dumps_typed(obj))

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind, blob = data
        if kind.startswith(DEFLATED):
            data = decompress((COMPRESSED_PREFIX + kind[len(DEFLATED) :], blob))
        return super().loads_typed(data)


class _RingCipher(CipherProtocol):
    def __init__(self, ring: Keyring) -> None:
        self.ring = ring

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        return "aes", self.ring.encrypt_bytes(plaintext)

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != "aes":
            raise DecryptError(f"unsupported cipher {ciphername!r}")
        return self.ring.decrypt_bytes(ciphertext)


_ring: Keyring | None = None


def configure(ring: Keyring | None) -> None:
    """Set the process's keyring (the server does at start-up from the settings)."""
    global _ring
    _ring = ring


def keyring() -> Keyring | None:
    return _ring


def seal(text: str | None) -> str | None:
    """A text column's value as stored: encrypted when a key is configured."""
    return text if text is None or _ring is None else _ring.encrypt_text(text)


def unseal(value: str | None) -> str | None:
    """A stored text column's value as read (plaintext rows are returned as they are)."""
    if value is None or not value.startswith(TEXT_PREFIX):
        return value
    if _ring is None:
        raise DecryptError("this value is encrypted but ADLAAN_ENCRYPTION_KEY is not set")
    return _ring.decrypt_text(value)


#: Prefix of an encrypted bytes value (the development server's registry: pickled objects).
BYTES_PREFIX = b"adlaan-enc1:"


def seal_bytes(data: bytes) -> bytes:
    """``data`` as stored: with a key, the prefix and its encryption; as it is without one."""
    return data if _ring is None else BYTES_PREFIX + _ring.encrypt_bytes(data)


def unseal_bytes(data: bytes) -> bytes:
    """A stored bytes value in the clear (one without the prefix was written in the clear)."""
    data = bytes(data)
    if not data.startswith(BYTES_PREFIX):
        return data
    if _ring is None:
        raise DecryptError("this value is encrypted but ADLAAN_ENCRYPTION_KEY is not set")
    return _ring.decrypt_bytes(data[len(BYTES_PREFIX) :])


def saver_kwargs(ring: Keyring | None = None) -> dict[str, Any]:
    """``serde=`` for a ``PostgresCheckpointer``: the encrypted serializer when a key is
    configured, nothing otherwise (the saver's own serializer, as without the setting)."""
    ring = ring if ring is not None else _ring
    return {} if ring is None else {"serde": ring.serializer()}


def seal_json(value: Any) -> Any:
    """A JSON column's value (a ``Jsonb`` or None) as stored: with a key, a JSON string
    holding the encrypted JSON text."""
    if value is None or _ring is None:
        return value
    from psycopg.types.json import Jsonb

    inner = value.obj if isinstance(value, Jsonb) else value
    return Jsonb(_ring.encrypt_text(json.dumps(inner)))


def unseal_json(value: Any) -> Any:
    """A JSON column's value as read: an encrypted one decrypted and parsed."""
    if isinstance(value, str) and value.startswith(TEXT_PREFIX):
        return json.loads(unseal(value) or "null")
    return value


def seal_json_text(value: Any) -> Any:
    """A JSON value as stored by a column that keeps it sealed with a key: the JSON string
    ``enc1:...`` of its encrypted JSON text (langgraph-runtime-pg's conversation columns under
    ``adlaan serve``); as it is without a key, or when None."""
    if value is None or _ring is None:
        return value
    return _ring.encrypt_text(json.dumps(value))


#: The key of a sealed JSON object (a LangGraph store value must stay an object).
OBJECT_KEY = "adlaan-enc1"


def seal_object(value: dict) -> dict:
    """A JSON object as stored with a key: ``{"adlaan-enc1": "enc1:..."}``; as it is without."""
    if _ring is None:
        return value
    return {OBJECT_KEY: _ring.encrypt_text(json.dumps(value))}


def unseal_object(value: Any) -> Any:
    """A stored JSON object as read (one written without a key is returned as it is)."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(OBJECT_KEY), str):
        return json.loads(unseal(value[OBJECT_KEY]) or "null")
    return value


def seal_within(text: str, limit: int) -> str:
    """``seal(text)`` cut (the text, never the ciphertext) to fit a column of ``limit``
    characters: with a key, about 350 bytes of text fit in 500."""
    sealed = seal(text) or ""
    while len(sealed) > limit and text:
        text = text[: len(text) * 3 // 4]
        sealed = seal(text) or ""
    return sealed


# -- the development server's pickles -------------------------------------------------------
# langgraph-runtime-inmem keeps its state in ``PersistentDict``s (langgraph-checkpoint) that it
# pickles to ``.langgraph_api/*.pckl``. With a key, ``seal_pickles`` makes each file a pickle of
# one ``SealedPickle``: the encrypted pickle of the dict. The stock loader unpickles it by calling
# ``open_sealed_pickle``, which decrypts it when a key is configured; a file read before the
# process has its key (the store's, at import) or that no configured key decrypts is kept
# ``pending``: it loads empty, and is never overwritten, until ``open_pending`` decrypts it.

_pending: dict[str, bytes] = {}


class SealedPickle:
    """What a ``PersistentDict`` pickles with a key: its file name and its sealed content."""

    def __init__(self, filename: str, sealed: bytes) -> None:
        self.filename, self.sealed = os.path.basename(filename), sealed

    def __reduce__(self) -> tuple[Any, tuple[str, bytes]]:
        return open_sealed_pickle, (self.filename, self.sealed)


def open_sealed_pickle(filename: str, sealed: bytes) -> dict:
    """The content of a sealed runtime file (called by ``pickle.load``; ``filename`` is its
    base name); ``{}`` while it cannot be decrypted yet (it is then ``pending``)."""
    import pickle

    seal_pickles()  # from now on this process writes its files sealed (or leaves them be)
    if _ring is not None:
        try:
            return pickle.loads(unseal_bytes(sealed))  # noqa: S301 (the runtime's own format)
        except DecryptError:
            pass
    _pending[filename] = sealed
    return {}


def open_pending() -> tuple[dict[str, dict], list[str]]:
    """The files read before their key was known, decrypted now (by file name), and the names
    of those no configured key decrypts (still pending: never overwritten)."""
    import pickle

    opened, failed = {}, []
    for filename, sealed in list(_pending.items()):
        try:
            opened[filename] = pickle.loads(unseal_bytes(sealed))  # noqa: S301
        except DecryptError:
            failed.append(filename)
            continue
        del _pending[filename]
    return opened, failed


def _sealing_dump(dump: Any) -> Any:
    def sealed_dump(self: Any, fileobj: Any) -> None:
        import pickle

        name = os.path.basename(self.filename)
        if name in _pending:  # not opened: its content stays as it was
            pickle.dump(SealedPickle(name, _pending[name]), fileobj, 2)
        elif _ring is None:
            dump(self, fileobj)
        else:
            plain = pickle.dumps(dict(self), protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(SealedPickle(self.filename, seal_bytes(plain)), fileobj, 2)

    sealed_dump.__adlaan_wrapped__ = dump  # type: ignore[attr-defined]
    return sealed_dump


def seal_pickles() -> None:
    """Make every ``PersistentDict`` of the process write its file sealed while a key is
    configured (once; one the process could not open is left as it is)."""
    from langgraph.checkpoint.memory import PersistentDict

    if getattr(PersistentDict.dump, "__adlaan_wrapped__", None) is None:
        PersistentDict.dump = _sealing_dump(PersistentDict.dump)  # type: ignore[method-assign]
