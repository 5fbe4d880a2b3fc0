"""Signing keys and OAuth states."""

from __future__ import annotations

import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from eternaltwin.clients.sync.clients import Eternaltwin
from eternaltwin.exceptions import InvalidStateError
from eternaltwin.keys import EdDSAKey, ES256Key, HS256Key, Key, PS256Key, RS256Key, as_key
from eternaltwin.states import State, _generate_nonce

SECRET = "a-state-secret-of-at-least-32-bytes"


def pem_pair(private: object) -> tuple[bytes, bytes]:
    private_pem = private.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public_pem, private_pem


RSA = pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))
ASYMMETRIC = [
    (RS256Key, "RS256", RSA),
    (PS256Key, "PS256", RSA),
    (ES256Key, "ES256", pem_pair(ec.generate_private_key(ec.SECP256R1()))),
    (EdDSAKey, "EdDSA", pem_pair(ed25519.Ed25519PrivateKey.generate())),
]


def test_hs256_roundtrip_and_repr() -> None:
    key = HS256Key(SECRET)
    assert key.algorithm == "HS256"
    token = key.encode({"a": 1})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert key.decode(token) == {"a": 1}
    assert SECRET not in repr(key) and SECRET not in str(key)
    with pytest.raises(jwt.InvalidSignatureError):
        HS256Key("another secret that is long enough!").decode(token)
    assert key == HS256Key(SECRET.encode()) and hash(key) == hash(HS256Key(SECRET))
    assert as_key(SECRET) == key and as_key(key) is key


def test_decode_ignores_expiry() -> None:
    key = HS256Key(SECRET)
    assert key.decode(key.encode({"exp": 1}))["exp"] == 1


@pytest.mark.parametrize(("cls", "algorithm", "pair"), ASYMMETRIC, ids=[a for _, a, _ in ASYMMETRIC])
def test_asymmetric_keys(cls: type[Key], algorithm: str, pair: tuple[bytes, bytes]) -> None:
    public_pem, private_pem = pair
    key = cls(public_pem.decode(), private_pem.decode())  # type: ignore[call-arg]
    assert key.algorithm == algorithm
    token = key.encode({"nonce": "x"})
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert key.decode(token) == {"nonce": "x"}
    text = repr(key)
    assert "PRIVATE" not in text and private_pem.decode() not in text
    body = b"".join(private_pem.splitlines()[1:-1]).decode()
    assert body[:20] not in text


def test_decode_checks_the_algorithm() -> None:
    public_pem, private_pem = RSA
    rs = RS256Key(public_pem, private_pem)
    with pytest.raises(jwt.InvalidAlgorithmError):
        PS256Key(public_pem, private_pem).decode(rs.encode({"a": 1}))


def test_generate_nonce() -> None:
    assert re.fullmatch(r"[0-9a-f]{128}", _generate_nonce())
    assert re.fullmatch(r"[0-9a-f]{7}", _generate_nonce(7))
    assert _generate_nonce() != _generate_nonce()


def test_state_new_and_jwt_claims() -> None:
    key = HS256Key(SECRET)
    before = int(time.time())
    state = State.new("https://eternaltwin.org/", key, expiration=100)
    claims = key.decode(state.jwt)
    assert set(claims) == {"a", "as", "iat", "rfp", "exp", "nonce"}
    assert claims["a"] == "authorize" and claims["as"] == "https://eternaltwin.org/"
    assert claims["iat"] == claims["rfp"] >= before and claims["exp"] == claims["iat"] + 100
    assert re.fullmatch(r"[0-9a-f]{128}", claims["nonce"])
    assert State.new("u", key, nonce="fixed").nonce == "fixed"
    assert not state.has_expired()
    assert SECRET not in repr(state)


def test_state_from_jwt_and_equality() -> None:
    key = HS256Key(SECRET)
    state = State.new("https://eternaltwin.org/", key)
    again = State.from_jwt(state.jwt, "https://eternaltwin.org/", key)
    assert again == state and hash(again) == hash(state)
    assert again != State.new("https://eternaltwin.org/", key)
    positional = State("authorize", "u", 1, 1, 2, "n", key)
    assert (positional.a, positional.as_, positional.iat, positional.rfp, positional.exp) == (
        "authorize",
        "u",
        1,
        1,
        2,
    )


def test_state_errors() -> None:
    key = HS256Key(SECRET)
    now = int(time.time())
    wrong_action = State("login", "u", now, now, now + 60, "n", key).jwt
    with pytest.raises(InvalidStateError, match=r"^Expected action") as caught:
        State.from_jwt(wrong_action, "u", key)
    assert caught.value.state == wrong_action and str(caught.value) == caught.value.message
    with pytest.raises(InvalidStateError, match=r"^Expected authorization server"):
        State.from_jwt(State.new("u", key).jwt, "v", key)
    with pytest.raises(InvalidStateError, match=r"^Authorization expired"):
        State.from_jwt(State("authorize", "u", now - 20, now - 20, now - 10, "n", key).jwt, "u", key)
    with pytest.raises(InvalidStateError, match="Invalid state"):
        State.from_jwt("garbage", "u", key)
    with pytest.raises(InvalidStateError, match="claim 'nonce'"):
        State.from_jwt(
            key.encode({"a": "authorize", "as": "u", "iat": now, "rfp": now, "exp": now + 9}), "u", key
        )


def test_client_with_an_asymmetric_state_key() -> None:
    public_pem, private_pem = RSA
    client = Eternaltwin(
        "app@clients", "s", "http://localhost/cb", RS256Key(public_pem, private_pem), url="http://a.test/"
    )
    state = client.generate_state()
    assert jwt.get_unverified_header(state)["alg"] == "RS256"
    assert client.validate_state(state).as_ == "http://a.test/"
