"""The JSON HTTP API (FastAPI): ask, ingest, sources, articles, health.

A thin front end over :class:`~assistant.service.Assistant`. Library errors are translated here
into HTTP statuses with a ``{"error": message}`` body; no stack trace ever reaches a client.
The web chat (:mod:`assistant.web`) mounts itself on the app built here.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from assistant import __version__
from assistant.api_schema import (
    ALL_METHODS,
    BRIEF_CONTENT,
    INGEST_BODY,
    SOURCES_LINKS,
    AnswerOut,
    ArticleOut,
    AskRequest,
    BriefRequest,
    ErrorOut,
    IngestRequest,
    SourceOut,
)
from assistant.errors import (
    AssistantError,
    ConfigError,
    EmptyStoreError,
    IngestCancelled,
    LLMError,
    QuestionError,
    StoreError,
)
from assistant.httpguard import (
    BodyLimit,
    JsonOnly,
    RateLimit,
    docs_page,
)
from assistant.render.markdown import answer_json
from assistant.service import Assistant
from assistant.types import Turn
from assistant.uploads import MAX_FILES, UploadRejected, Uploads, check_upload

log = logging.getLogger(__name__)
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
MIN_TOKEN_CHARS = 16
# --------------------------------------------------------------------------- errors
def status_of(exc: AssistantError) -> int:
    """The HTTP status for a library error."""
    if isinstance(exc, UploadRejected):
        return exc.status
    if isinstance(exc, QuestionError):
        return 400
    if isinstance(exc, EmptyStoreError):
        return 409
    if isinstance(exc, IngestCancelled | StoreError):
        return 503  # shutting down, or the store is unreachable, full or read-only
    if isinstance(exc, LLMError):
        return 502
    return 500


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    async def on_assistant_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AssistantError)
        return _error(status_of(exc), str(exc))

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for e in exc.errors()[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {e.get('msg', 'invalid')}" if loc else str(e.get("msg")))
        return _error(422, "invalid request: " + "; ".join(parts))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    async def on_crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in the API", exc_info=exc)
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")

    app.add_exception_handler(AssistantError, on_assistant_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)


# --------------------------------------------------------------------------- auth
def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine."""
    h = host.strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def require_auth_off_loopback(
    host: str, api_token: str | None, user: str | None, password: str | None
) -> None:
    """Refuse to expose the server beyond this machine without both API token and UI login."""
    user, password = (user or "").strip(), (password or "").strip()
    if bool(user) != bool(password):
        raise ConfigError("set both ASSISTANT_WEB_USER and ASSISTANT_WEB_PASSWORD, or neither")
    if is_loopback(host):
        return
    token = (api_token or "").strip()
    missing = []
    if not token:
        missing.append("ASSISTANT_API_TOKEN (bearer token for /api)")
    if not (user and password):
        missing.append("ASSISTANT_WEB_USER and ASSISTANT_WEB_PASSWORD (login for the chat)")
    if missing:
        raise ConfigError(
            f"refusing to serve on {host}: it is reachable from other machines, so "
            f"authentication is required; set {' and '.join(missing)}, or bind to 127.0.0.1"
        )
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"refusing to serve on {host}: ASSISTANT_API_TOKEN is {len(token)} characters; use "
            f"at least {MIN_TOKEN_CHARS} random ones (e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')"
        )


def bearer_guard(token: str | None) -> Callable[..., Awaitable[None]]:
    """A dependency that requires ``Authorization: Bearer <token>`` when a token is set."""
    scheme = HTTPBearer(auto_error=False, description="ASSISTANT_API_TOKEN, when set.")

    async def guard(cred: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:
        if token is None:
            return
        given = cred.credentials.encode() if cred else b""
        if not secrets.compare_digest(given, token.encode()):
            raise HTTPException(
                401,
                "missing or wrong bearer token: send 'Authorization: Bearer <ASSISTANT_API_TOKEN>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return guard


# --------------------------------------------------------------------------- app
async def _read_limited_form(request: Request, limit: int) -> Any:
    """Parse a multipart body, refusing it (413) as soon as it grows past ``limit`` bytes."""
    cap = limit + 64 * 1024  # multipart framing
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise UploadRejected(
            f"the upload is {int(declared) / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB "
            "(ASSISTANT_UPLOAD_MAX_MB)",
            413,
        )
    seen = 0
    receive = request.receive

    async def counted() -> Any:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > cap:
            raise UploadRejected(f"the upload is over the {limit / 1e6:.1f} MB limit", 413)
        return message

    limited = Request(request.scope, receive=counted)
    return await limited.form(max_files=MAX_FILES, max_fields=MAX_FILES + 10)


async def _stage_form(uploads: Uploads, form: Any) -> tuple[list[Path], list[str]]:
    files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
    urls = [v for k, v in form.multi_items() if k in ("url", "urls") and isinstance(v, str)]
    if len(files) > MAX_FILES:
        raise UploadRejected(f"at most {MAX_FILES} files per upload", 400)
    checked = [(check_upload(f.filename or "", f.size or 0, uploads.limit_bytes), f) for f in files]
    uploads.check_total(sum(f.size or 0 for f in files))
    paths: list[Path] = []
    if checked:
        folder = uploads.new_folder()
        for safe, f in checked:
            dest = uploads.target(folder, safe)
            with dest.open("wb") as out:
                while chunk := await f.read(1 << 20):
                    out.write(chunk)
            paths.append(dest)
    return paths, urls


def create_api(assistant: Assistant, uploads: Uploads | None = None) -> FastAPI:
    """The FastAPI app with the JSON API; the web chat mounts itself on it."""
    uploads = uploads or Uploads(assistant)
    s = assistant.settings
    app = FastAPI(
        title="Briefing Assistant API",
        version=__version__,
        description="Verbatim, attributed, cited answers from a news collection.",
        responses={
            400: {"model": ErrorOut},
            401: {"model": ErrorOut},
            413: {"model": ErrorOut},
            429: {"model": ErrorOut},
            500: {"model": ErrorOut},
            503: {"model": ErrorOut, "description": "The store is unreachable, full or read-only."},
        },
        docs_url=None,  # the Swagger UI loads from a CDN; /docs below is self-contained
        redoc_url=None,
    )
    app.state.assistant = assistant
    app.state.uploads = uploads
    _install_error_handlers(app)
    upload_cap = uploads.limit_bytes + 64 * 1024  # multipart framing
    app.add_middleware(
        BodyLimit,
        default=s.max_body_kb * 1024,
        limits=(
            ("/api/ingest", upload_cap),
            ("/gradio_api/upload", uploads.limit_bytes * MAX_FILES + 64 * 1024),
        ),
    )
    app.add_middleware(JsonOnly, paths=("/api/ask", "/api/brief"))
    app.add_middleware(RateLimit, per_minute=s.rate_limit_per_minute)
    # declared (and so in the OpenAPI schema) only when enforced: the schema tells the truth
    guard = [Depends(bearer_guard(s.api_token))] if s.api_token else []

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """A self-hosted API reference (works offline)."""
        return HTMLResponse(docs_page(app.openapi()))

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness: the server is up (no store access, no auth)."""
        return {"status": "ok", "version": __version__}

    @app.post(
        "/api/ask",
        tags=["ask"],
        dependencies=guard,
        response_model=AnswerOut,
        responses={409: {"model": ErrorOut}, 415: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    )
    def ask(body: AskRequest) -> JSONResponse:
        """Answer a question with verified, attributed quotes (same JSON as `ask --json`)."""
        answer = assistant.ask(
            body.question,
            history=[Turn(t.question, t.answer) for t in body.history],
            as_of=body.as_of,
            since=body.since,
            until=body.until,
            sources=tuple(body.sources),
            top=body.top,
            mode=body.mode,
        )
        return JSONResponse(answer_json(answer))

    @app.post(
        "/api/brief",
        tags=["ask"],
        dependencies=guard,
        responses={
            200: BRIEF_CONTENT,
            409: {"model": ErrorOut},
            415: {"model": ErrorOut},
            422: {"model": ErrorOut},
        },
    )
    def brief(body: BriefRequest) -> Response:
        """A briefing (same JSON as `brief --format json`; md or html on request)."""
        from assistant.render.html import briefing_page
        from assistant.render.markdown import briefing_json, briefing_markdown

        b = assistant.brief(
            body.topic,
            as_of=body.as_of,
            since=body.since,
            until=body.until,
            sources=tuple(body.sources),
            since_last=body.since_last,
            save=body.save,
            mode=body.mode,
        )
        if body.format == "html":
            return HTMLResponse(briefing_page(b))
        if body.format == "md":
            return PlainTextResponse(briefing_markdown(b), media_type="text/markdown")
        return JSONResponse(briefing_json(b))

    @app.get("/api/sources", tags=["library"], dependencies=guard, responses=SOURCES_LINKS)
    def sources() -> list[SourceOut]:
        """Stored articles, newest first."""
        return [SourceOut(**s.to_json()) for s in assistant.sources()]

    @app.get(
        "/api/articles/{article_id}",
        tags=["library"],
        dependencies=guard,
        responses={404: {"model": ErrorOut}},
    )
    def article(article_id: str) -> ArticleOut:
        """One article with its full text."""
        a = assistant.article(article_id)
        if a is None:
            raise HTTPException(404, f"no article with id {article_id!r}; see /api/sources")
        chunks = next((s.n_chunks for s in assistant.sources() if s.ref.article_id == a.id), 0)
        return ArticleOut(
            id=a.id,
            title=a.title,
            source=a.source,
            published=a.published.isoformat() if a.published else None,
            url=a.url,
            chunks=chunks,
            authors=list(a.authors),
            text=a.text,
        )

    @app.post(
        "/api/ingest",
        tags=["library"],
        dependencies=guard,
        openapi_extra=INGEST_BODY,
        responses={
            **{n: {"model": ErrorOut} for n in (413, 415, 422)},
            503: {"model": ErrorOut, "description": "The server is shutting down; run it again."},
        },
    )
    async def ingest(request: Request) -> dict[str, object]:
        """Add articles: multipart ``files`` (and ``urls``), or JSON ``{"urls": [...]}``."""
        ctype = request.headers.get("content-type", "")
        paths: list[Path] = []
        if ctype.startswith("application/json"):
            try:
                urls = IngestRequest.model_validate_json(await request.body()).urls
            except ValidationError as e:
                first = e.errors()[0]
                where = ".".join(str(x) for x in first.get("loc", ()))
                raise UploadRejected(
                    f'invalid JSON body: expected {{"urls": [...]}} ({where}: {first["msg"]})',
                    422,
                ) from None
        elif ctype.startswith("multipart/form-data"):
            paths, urls = await _stage_form(
                uploads, await _read_limited_form(request, uploads.limit_bytes)
            )
        else:
            raise UploadRejected(
                'send multipart/form-data with files, or JSON {"urls": [...]}', 415
            )
        report = await run_in_threadpool(uploads.ingest, paths, urls)
        if report.failed and not (report.added or report.updated or report.skipped):
            reasons = "; ".join(uploads.scrub(f.reason) for f in report.failures[:5])
            raise UploadRejected(f"nothing was added: {reasons}", 422)
        return uploads.public(report)

    @app.api_route("/api/{rest:path}", methods=ALL_METHODS, include_in_schema=False)
    @app.api_route("/healthz", methods=ALL_METHODS, include_in_schema=False)
    def unknown(request: Request, rest: str = "") -> None:
        """Unknown API routes answer in the API's error shape (not the chat's)."""
        for route in app.routes:
            regex = getattr(route, "path_regex", None)
            methods = getattr(route, "methods", None) or set()
            if (
                getattr(route, "name", "") != "unknown"
                and regex
                and regex.match(request.url.path)
                and methods
            ):
                raise HTTPException(
                    405,
                    f"{request.method} is not allowed on {request.url.path}; use "
                    + " or ".join(sorted(methods)),
                    headers={"Allow": ", ".join(sorted(methods))},
                )
        raise HTTPException(
            404, f"no API route {request.method} {request.url.path[:100]}; see /docs for the routes"
        )

    return app
