"""The token service: what it accepts, and every way a token is refused (RFC 7519, 8725)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from cloudping.auth import (
    DEFAULT_LEEWAY,
    AuthError,
    KeyRing,
    MemoryRevocations,
    SigningKey,
    TokenService,
    bearer_token,
)

NOW = 1_750_000_000.0
ISSUER = "https://hub.example"
HOUR = 3600


@pytest.fixture
def service() -> TokenService:
    return TokenService(KeyRing.of(SigningKey.generate()), issuer=ISSUER)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def part(obj: dict[str, Any]) -> str:
    return b64(json.dumps(obj).encode())


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims for audience `api`, with `changes` applied (None removes a claim)."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "api",
        "iat": int(NOW),
        "exp": int(NOW) + HOUR,
        "jti": "id-1",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def signed(service: TokenService, payload: dict[str, Any]) -> str:
    """A token signed by the service's own key, with any claims at all."""
    key = service.keys.active
    return jwt.encode(payload, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


def refused(service: TokenService, token: str, code: str, *, audience: str = "api") -> AuthError:
    with pytest.raises(AuthError) as caught:
        service.verify(token, audience, NOW)  # type: ignore[arg-type]
    error = caught.value
    assert error.code == code
    # RFC 8725 section 3.12 spirit: the token is a secret; no message or field repeats it.
    assert token not in json.dumps(error.to_dict())
    assert token not in str(error)
    return error


def test_a_token_issued_verifies_into_its_principal(service: TokenService) -> None:
    token = service.issue("alice", "api", scopes=["measure", "admin"], ttl=HOUR, now=NOW)
    principal = service.verify(token, "api", NOW + 10)
    assert principal.subject == "alice"
    assert principal.audience == "api"
    assert principal.scopes == {"measure", "admin"}
    assert principal.issued_at == int(NOW)
    assert principal.expires_at == int(NOW) + HOUR
    assert principal.token_id


def test_an_issued_token_carries_every_required_claim_and_a_space_separated_scope(
    service: TokenService,
) -> None:
    token = service.issue("fra1", "agent", scopes=["private", "measure"], ttl=60, now=NOW)
    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "EdDSA", "kid": service.keys.active_kid, "typ": "JWT"}
    assert payload["scope"] == "measure private"
    assert {"iss", "sub", "aud", "iat", "exp", "jti"} <= payload.keys()


def test_every_token_gets_its_own_jti(service: TokenService) -> None:
    first = service.verify(service.issue("a", "api", ttl=60, now=NOW), "api", NOW)
    second = service.verify(service.issue("a", "api", ttl=60, now=NOW), "api", NOW)
    assert first.token_id != second.token_id


def test_an_expired_token_is_refused(service: TokenService) -> None:
    token = service.issue("alice", "api", ttl=HOUR, now=NOW - 2 * HOUR)
    refused(service, token, "token_expired")


def test_expiry_allows_the_leeway_and_no_more(service: TokenService) -> None:
    token = service.issue("alice", "api", ttl=HOUR, now=NOW)
    expiry = NOW + HOUR
    assert service.verify(token, "api", expiry + DEFAULT_LEEWAY - 1).subject == "alice"
    with pytest.raises(AuthError, match="expired"):
        service.verify(token, "api", expiry + DEFAULT_LEEWAY)


def test_a_token_issued_in_the_future_is_not_valid_yet(service: TokenService) -> None:
    token = service.issue("alice", "api", ttl=HOUR, now=NOW + 600)
    error = refused(service, token, "token_invalid")
    assert "not valid yet" in error.message


def test_a_token_whose_nbf_is_ahead_is_not_valid_yet(service: TokenService) -> None:
    error = refused(service, signed(service, claims(nbf=int(NOW) + 600)), "token_invalid")
    assert "not valid yet" in error.message


def test_a_token_for_agents_is_refused_by_the_api(service: TokenService) -> None:
    token = service.issue("fra1", "agent", ttl=HOUR, now=NOW)
    error = refused(service, token, "token_wrong_audience", audience="api")
    assert error.http_status == 401


def test_a_token_with_several_audiences_is_refused(service: TokenService) -> None:
    refused(service, signed(service, claims(aud=["api", "agent"])), "token_wrong_audience")


def test_a_token_of_another_issuer_is_refused(service: TokenService) -> None:
    other = TokenService(service.keys, issuer="https://other.example")
    token = other.issue("alice", "api", ttl=HOUR, now=NOW)
    assert "issuer" in refused(service, token, "token_invalid").message


def test_a_tampered_signature_is_refused(service: TokenService) -> None:
    token = service.issue("alice", "api", ttl=HOUR, now=NOW)
    head, body, signature = token.split(".")
    middle = len(signature) // 2  # the last character may only carry padding bits
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = f"{head}.{body}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
    refused(service, tampered, "token_invalid")


def test_a_payload_changed_under_a_valid_signature_is_refused(service: TokenService) -> None:
    token = service.issue("alice", "api", ttl=HOUR, now=NOW)
    head, _, signature = token.split(".")
    payload = jwt.decode(token, options={"verify_signature": False})
    forged = f"{head}.{part({**payload, 'sub': 'admin', 'scope': 'admin'})}.{signature}"
    refused(service, forged, "token_invalid")


def test_a_token_signed_by_a_key_of_another_hub_is_refused(service: TokenService) -> None:
    stranger = TokenService(KeyRing.of(SigningKey.generate()), issuer=ISSUER)
    refused(service, stranger.issue("alice", "api", ttl=HOUR, now=NOW), "token_invalid")


def test_an_alg_none_token_is_refused(service: TokenService) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": service.keys.active_kid}
    token = f"{part(header)}.{part(claims())}."
    assert "EdDSA" in refused(service, token, "token_invalid").message


def _public_secrets(key: SigningKey) -> dict[str, bytes]:
    public = key.public_key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {"raw": raw, "pem": pem, "jwk-x": key.jwk()["x"].encode()}


@pytest.mark.parametrize("form", ["raw", "pem", "jwk-x"])
def test_an_hs256_token_made_with_the_public_key_as_secret_is_refused(
    service: TokenService, form: str
) -> None:
    # RFC 8725 section 2.1: the algorithm-substitution attack; made by hand, as an attacker would.
    secret = _public_secrets(service.keys.active)[form]
    signing_input = f"{part({'alg': 'HS256', 'kid': service.keys.active_kid})}.{part(claims())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    refused(service, f"{signing_input}.{b64(mac)}", "token_invalid")


@pytest.mark.parametrize("claim", ["jti", "sub", "exp", "iat", "iss", "aud"])
def test_a_token_lacking_a_required_claim_is_refused(service: TokenService, claim: str) -> None:
    error = refused(service, signed(service, claims(**{claim: None})), "token_invalid")
    assert claim in error.message


@pytest.mark.parametrize(
    ("claim", "value"), [("sub", ""), ("jti", ""), ("sub", 7), ("exp", "soon"), ("exp", True)]
)
def test_a_token_with_a_malformed_claim_is_refused(
    service: TokenService, claim: str, value: object
) -> None:
    refused(service, signed(service, claims(**{claim: value})), "token_invalid")


def test_a_token_without_a_kid_is_refused(service: TokenService) -> None:
    key = service.keys.active
    token = jwt.encode(claims(), key.private_key, algorithm="EdDSA")
    refused(service, token, "token_invalid")


@pytest.mark.parametrize("junk", ["not-a-jwt", "a.b.c", "x" * 10_000])
def test_junk_is_refused_as_invalid(service: TokenService, junk: str) -> None:
    refused(service, junk, "token_invalid")


@pytest.mark.parametrize("nothing", [None, ""])
def test_no_token_is_token_missing(service: TokenService, nothing: str | None) -> None:
    with pytest.raises(AuthError) as caught:
        service.verify(nothing, "api", NOW)
    assert caught.value.code == "token_missing"


def test_a_revoked_jti_is_refused_and_other_tokens_are_not(service: TokenService) -> None:
    revoked = service.issue("alice", "api", ttl=HOUR, now=NOW, jti="gone")
    kept = service.issue("alice", "api", ttl=HOUR, now=NOW)
    service.revocations.revoke_token("gone", NOW + HOUR)
    refused(service, revoked, "token_revoked")
    assert service.verify(kept, "api", NOW).subject == "alice"


def test_revoking_a_subject_refuses_its_earlier_tokens_only() -> None:
    revocations = MemoryRevocations()
    service = TokenService(KeyRing.of(), issuer=ISSUER, revocations=revocations)
    before = service.issue("mallory", "api", ttl=HOUR, now=NOW)
    other = service.issue("alice", "api", ttl=HOUR, now=NOW)
    revocations.revoke_subject("mallory", NOW)
    after = service.issue("mallory", "api", ttl=HOUR, now=NOW + 60)
    refused(service, before, "token_revoked")
    assert service.verify(after, "api", NOW + 60).subject == "mallory"
    assert service.verify(other, "api", NOW).subject == "alice"


def test_a_missing_scope_is_scope_missing_with_status_403(service: TokenService) -> None:
    principal = service.verify(
        service.issue("alice", "api", scopes=["measure"], ttl=HOUR, now=NOW), "api", NOW
    )
    principal.require("measure")
    with pytest.raises(AuthError) as caught:
        principal.require("admin")
    assert caught.value.code == "scope_missing"
    assert caught.value.fields["scope"] == "admin"
    assert caught.value.http_status == 403


def test_unknown_scope_words_grant_nothing(service: TokenService) -> None:
    token = signed(service, claims(scope="measure root  admin2"))
    assert service.verify(token, "api", NOW).scopes == {"measure"}


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"sub": ""}, "subject"),
        ({"aud": "web"}, "audience"),
        ({"scopes": ["root"]}, "scope"),
        ({"ttl": 0}, "ttl"),
    ],
)
def test_issuing_refuses_bad_grants(
    service: TokenService, arguments: dict[str, Any], problem: str
) -> None:
    request: dict[str, Any] = {"sub": "alice", "aud": "api", "ttl": HOUR, **arguments}
    with pytest.raises(ValueError, match=problem):
        service.issue(request.pop("sub"), request.pop("aud"), now=NOW, **request)


def test_the_jwks_parses_with_pyjwt_and_its_key_verifies_our_tokens(
    service: TokenService,
) -> None:
    token = service.issue("alice", "api", ttl=HOUR, now=NOW)
    jwk_set = jwt.PyJWKSet.from_dict(service.jwks())
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwk_set[kid]
    assert key.algorithm_name == "EdDSA"
    decoded = jwt.decode(
        token, key, algorithms=["EdDSA"], audience="api", options={"verify_exp": False}
    )
    assert decoded["sub"] == "alice"


def test_the_jwks_publishes_public_okp_keys_only(service: TokenService) -> None:
    (jwk,) = service.jwks()["keys"]
    assert jwk.keys() == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    assert "d" not in jwk  # RFC 8037 section 2: `d` is the private key


def test_the_signing_key_repr_shows_no_private_material(service: TokenService) -> None:
    key = service.keys.active
    private = key.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert b64(private) not in repr(key)
    assert b64(private) not in repr(service)
    assert key.kid in repr(key)


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer  abc.def.ghi ", "abc.def.ghi")],
)
def test_a_bearer_header_gives_its_token(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic YWxpY2U6cHc=", "Bearer   "])
def test_no_bearer_header_is_token_missing(header: str | None) -> None:
    with pytest.raises(AuthError) as caught:
        bearer_token(header)
    assert caught.value.code == "token_missing"


# -- a verified token used again ------------------------------------------------------------


def test_a_token_used_again_is_not_verified_again_but_its_times_and_revocation_are(
    service: TokenService, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = service.issue("alice", "api", scopes=["measure"], ttl=HOUR, now=NOW)
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        decoded.append(args[0])
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    assert service.verify(token, "api", NOW).subject == "alice"
    assert service.verify(token, "api", NOW + 1).subject == "alice"
    assert decoded == [token]  # one signature check for both uses
    with pytest.raises(AuthError) as expired:
        service.verify(token, "api", NOW + 2 * HOUR)
    assert expired.value.code == "token_expired"
    with pytest.raises(AuthError) as wrong:
        service.verify(token, "agent", NOW)
    assert wrong.value.code == "token_wrong_audience"
    service.revoke(service.token_id(token), NOW)
    with pytest.raises(AuthError) as revoked:
        service.verify(token, "api", NOW + 2)
    assert revoked.value.code == "token_revoked"


def test_a_verified_token_of_a_key_taken_out_of_the_ring_is_refused(service: TokenService) -> None:
    token = service.issue("alice", "api", scopes=["measure"], ttl=HOUR, now=NOW)
    assert service.verify(token, "api", NOW).subject == "alice"
    service.keys = KeyRing.of(SigningKey.generate())  # the old key is gone
    with pytest.raises(AuthError) as refused:
        service.verify(token, "api", NOW + 1)
    assert refused.value.code == "token_invalid"
