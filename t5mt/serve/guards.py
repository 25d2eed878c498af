"""ASGI middleware that answers before the app does: API keys (401) and the body limit (413)."""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from t5mt.serve.auth import key_matches
from t5mt.serve.responses import error_response

# Probes and scrapers carry no key; the page holds no data and asks for the key itself.
OPEN_PATHS = frozenset({"/health", "/ready", "/metrics", "/"})


class ApiKeys:
    """With digests, every path but `OPEN_PATHS` needs `Authorization: Bearer <key>`: else 401."""

    def __init__(self, app: ASGIApp, digests: tuple[str, ...]) -> None:
        self.app = app
        self.digests = digests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.digests or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        scheme, _, key = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            response = error_response(401, "an API key is needed: Authorization: Bearer <key>")
        elif not key_matches(key.strip(), self.digests):
            response = error_response(401, "the API key is not valid")
        else:
            await self.app(scope, receive, send)
            return
        response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)


class BodyLimit:
    """A body over `max_bytes` is a 413: at once if Content-Length says so, else once read."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the request body is over {self.max_bytes} bytes"
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, message)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            chunk = await receive()
            received += len(chunk.get("body", b""))
            if received > self.max_bytes:
                # raised inside the endpoint's body read: the app's handler answers it as JSON
                raise HTTPException(413, message)
            return chunk

        await self.app(scope, limited, send)
