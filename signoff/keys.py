"""Signers and verifiers: built-in Ed25519 keys now, a national PKI later.

A *signer* holds a private key and signs bytes; a *public key* record names the scheme that
verifies it. The sign-off code knows only :class:`Signer`, :class:`PublicKey` and
:func:`verify`: a ministry PKI (X.509 certificates, CMS signatures) is another scheme in
``VERIFIERS`` and another signer, not a change to the workflow.

The built-in scheme: an Ed25519 key pair per user. The private key is encrypted with a key
derived from the user's own portal password by scrypt (RFC 7914) and sealed with AES-256-GCM;
it lives in ``$EMIS_HOME/accounts/keys/<username>.json`` (0600, folder 0700), is decrypted
only in the process that signs, and never goes into a release or the sign-off store.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

ED25519 = "ed25519"
# scrypt cost: 2**15 x 8 x 128 bytes = 32 MiB and ~0.1 s per unlock (OWASP's minimum is 2**17
# with r=8, p=1 for passwords at rest; these files are also behind the account store's 0700).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


class SigningKeyError(ValueError):
    """A signing key that cannot be made or opened (none, exists, wrong password)."""


@dataclass(frozen=True)
class PublicKey:
    """What anyone needs to verify: the scheme, the public part, and its id (fingerprint)."""

    scheme: str
    public: str  # base64 of the raw key (Ed25519); a PEM certificate for an X.509 scheme

    @property
    def key_id(self) -> str:
        return hashlib.sha256(f"{self.scheme}:{self.public}".encode()).hexdigest()[:32]


class Signer(Protocol):
    """Whatever can sign for a user: a key file unlocked by a password, a smart card..."""

    @property
    def public_key(self) -> PublicKey: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class Ed25519Signer:
    private: Ed25519PrivateKey

    @property
    def public_key(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return PublicKey(ED25519, base64.b64encode(raw).decode())

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def _verify_ed25519(public: str, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# scheme -> verify(public, message, signature); a national PKI adds "x509-cms" here.
VERIFIERS: dict[str, Callable[[str, bytes, bytes], bool]] = {ED25519: _verify_ed25519}


def verify(key: PublicKey, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``key``'s over ``message`` (False for an unknown scheme)."""
    verifier = VERIFIERS.get(key.scheme)
    return bool(verifier) and verifier(key.public, message, signature)


# --- the built-in key files -----------------------------------------------------------------


def key_path(home: Path, username: str) -> Path:
    return Path(home) / "accounts" / "keys" / f"{username}.json"


def _kek(password: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        password.encode("utf-8")
    )


def create_key(home: Path, username: str, password: str) -> PublicKey:
    """A new Ed25519 key pair for ``username``, its private half sealed with ``password``."""
    path = key_path(home, username)
    if path.exists():
        raise SigningKeyError(f"{username} already has a signing key ({path})")
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    public = Ed25519Signer(private).public_key
    sealed = AESGCM(_kek(password, salt)).encrypt(nonce, raw, username.encode())
    document = {
        "scheme": ED25519,
        "username": username,
        "public": public.public,
        "kdf": {
            "name": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": "aes-256-gcm",
        "nonce": base64.b64encode(nonce).decode(),
        "sealed": base64.b64encode(sealed).decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, indent=2)
    return public


def has_key(home: Path, username: str) -> bool:
    return key_path(home, username).is_file()


def stored_public_key(home: Path, username: str) -> PublicKey | None:
    path = key_path(home, username)
    if not path.is_file():
        return None
    document = json.loads(path.read_text())
    return PublicKey(document["scheme"], document["public"])


def open_signer(home: Path, username: str, password: str) -> Ed25519Signer:
    """The user's signer, unlocked by their password; SigningKeyError if none or wrong password."""
    path = key_path(home, username)
    if not path.is_file():
        raise SigningKeyError(f"{username} has no signing key: create one first")
    document = json.loads(path.read_text())
    kdf = document["kdf"]
    secret = Scrypt(
        salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]
    ).derive(password.encode("utf-8"))
    try:
        raw = AESGCM(secret).decrypt(
            base64.b64decode(document["nonce"]),
            base64.b64decode(document["sealed"]),
            username.encode(),
        )
    except InvalidTag:
        raise SigningKeyError("the password does not open this signing key") from None
    return Ed25519Signer(Ed25519PrivateKey.from_private_bytes(raw))
