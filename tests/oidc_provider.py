"""A small OpenID Connect provider for tests: a real one, on a loopback port.

What Streamlit's ``st.login`` (Authlib) talks to in production, reduced to what the
authorization-code flow needs, with no shortcut a client could notice:

- ``/.well-known/openid-configuration``: the discovery document;
- ``/authorize``: checks the client and its registered redirect URI, then redirects back
  with a one-time code for :attr:`OidcProvider.user`, the account "signing in" (a test
  sets it, as a person would type it into the provider's login form);
- ``/token``: client authentication (HTTP Basic or form), the code's redirect URI and its
  PKCE verifier (S256); answers an ID token signed RS256 with a key made at start;
- ``/jwks``: that key's public half; ``/userinfo``: the claims for the access token.

The ID token is signed here with ``cryptography`` directly, not with the library that
checks it, so a test passes only if both sides follow the standard.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from blindside.demo.server import LoopbackServer

CLIENT_ID = "blindside-test"
CLIENT_SECRET = "test-client-secret-not-a-real-one"
KEY_ID = "test-key-1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


@dataclass
class TestUser:
    """An account at the provider."""

    __test__ = False  # not a pytest test class

    email: str
    email_verified: bool = True
    name: str = "Test User"
    sub: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None
    user: TestUser


class OidcProvider:
    """The provider's state and its Starlette app; serve it with :meth:`serve`.

    Parameters
    ----------
    redirect_uri : str
        The one redirect URI registered for :data:`CLIENT_ID` (the app's
        ``/oauth2callback``).
    """

    def __init__(self, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri
        self.user: TestUser | None = None
        self.issuer = ""  # known once served
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        #: Every ID token issued, decoded (for tests to check the flow really ran).
        self.issued: list[dict[str, Any]] = []
        #: For each token issued: whether its code was bound to a PKCE challenge.
        self.pkce: list[bool] = []
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
                Route("/userinfo", self._userinfo),
            ]
        )

    # -- serving

    def serve(self) -> LoopbackServer:
        """Start on a free loopback port; the caller stops the server."""
        server = LoopbackServer(self.app)
        self.issuer = server.url
        return server.start()

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # -- the endpoints

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["sub", "email", "email_verified", "name"],
            }
        )

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("redirect_uri") != self.redirect_uri:
            # Never redirect to an unregistered address: that is how codes get stolen.
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        back = {"state": q.get("state", "")}
        if q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
            back["error"] = "unsupported_response_type"
        elif self.user is None:
            back["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Grant(
                    CLIENT_ID,
                    self.redirect_uri,
                    q.get("nonce"),
                    q.get("code_challenge") if q.get("code_challenge_method") == "S256" else None,
                    self.user,
                )
            back["code"] = code
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(back)}", status_code=302)

    def _client_ok(self, request: Request, form: Any) -> bool:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        else:
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        return unquote(client_id) == CLIENT_ID and unquote(client_secret) == CLIENT_SECRET

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        with self._lock:
            grant = self._codes.pop(str(form.get("code", "")), None)  # one use
        if grant is None or form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if grant.challenge is not None:
            verifier = str(form.get("code_verifier", ""))
            if b64url(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.user.sub,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "email": grant.user.email,
            "email_verified": grant.user.email_verified,
            "name": grant.user.name,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access[access_token] = claims
            self.issued.append(claims)
            self.pkce.append(grant.challenge is not None)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "openid email profile",
                "id_token": self.sign(claims),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def _jwks(self, request: Request) -> Response:
        public = self._key.public_key().public_numbers()
        key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID}
        return JSONResponse({"keys": [{**key, "n": _uint(public.n), "e": _uint(public.e)}]})

    async def _userinfo(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        claims = self._access.get(token)
        if claims is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        keep = ("sub", "email", "email_verified", "name")
        return JSONResponse({k: claims[k] for k in keep})

    # -- signing

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS (RS256) of ``claims`` with this provider's key."""
        header = {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"


def secrets_toml(provider: OidcProvider, redirect_uri: str, *, name: str | None = None) -> str:
    """A ``secrets.toml`` whose ``[auth]`` points ``st.login`` at ``provider``.

    ``name`` configures it as ``[auth.NAME]``; None, as the default provider in ``[auth]``.
    """
    shared = {
        "redirect_uri": redirect_uri,
        "cookie_secret": secrets.token_urlsafe(32),
    }
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "server_metadata_url": provider.metadata_url,
    }
    lines = ["[auth]", *(f"{k} = {json.dumps(v)}" for k, v in shared.items())]
    if name is None:
        lines += [f"{k} = {json.dumps(v)}" for k, v in client.items()]
    else:
        lines += ["", f"[auth.{name}]", *(f"{k} = {json.dumps(v)}" for k, v in client.items())]
    return "\n".join(lines) + "\n"
