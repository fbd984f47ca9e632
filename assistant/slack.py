"""The Slack front end: the only module that imports slack_bolt / slack_sdk.

Thin on purpose: Bolt checks request signatures (HTTP mode), answers Slack's URL checks and
drops the bot's own events; each listener hands the payload to
:class:`assistant.slackbot.Bot` (which claims it and queues the work on its own bounded pool,
in milliseconds) and acknowledges. Two transports:
Socket Mode (``SLACK_APP_TOKEN``) and HTTP (``/slack/events`` on uvicorn).

Tokens come from the environment only (``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``,
``SLACK_APP_TOKEN``); ``SLACK_API_URL`` points the Web API client elsewhere (a test server).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from assistant.errors import ConfigError
from assistant.feedback import BotState
from assistant.settings import Settings
from assistant.slackbot import Bot

log = logging.getLogger("assistant.slack")
DEFAULT_API_URL = "https://slack.com/api/"
# what the bot listens to and may do: slack/manifest.yml lists exactly these
EVENTS = ("app_mention", "message", "assistant_thread_started", "assistant_thread_context_changed")
COMMANDS = ("/ask", "/brief")
SCOPES = (
    "app_mentions:read",
    "assistant:write",
    "channels:history",
    "chat:write",
    "commands",
    "groups:history",
    "im:history",
)
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller


def _bolt() -> Any:
    try:
        import slack_bolt
    except ImportError:
        raise ConfigError(
            "the Slack bot needs slack-bolt: pip install 'briefing-assistant[slack]'"
        ) from None
    return slack_bolt


@dataclass(frozen=True)
class SlackEnv:
    """Slack credentials and endpoint, from the environment only."""

    bot_token: str
    signing_secret: str
    app_token: str
    api_url: str

    @classmethod
    def from_env(cls, socket_mode: bool) -> SlackEnv:
        """Read and check the variables a transport needs (never printing their values)."""
        env = os.environ
        need = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET"]
        missing = [n for n in need if not env.get(n)]
        if missing:
            mode = "Socket Mode" if socket_mode else "HTTP mode (--http)"
            raise ConfigError(
                f"{mode} needs {' and '.join(missing)} in the environment; see docs/slack.md"
            )
        api = env.get("SLACK_API_URL") or DEFAULT_API_URL
        if not re.match(r"https?://", api):
            raise ConfigError(f"SLACK_API_URL must start with http:// or https://, not {api!r}")
        return cls(
            env.get("SLACK_BOT_TOKEN", ""),
            env.get("SLACK_SIGNING_SECRET", ""),
            env.get("SLACK_APP_TOKEN", ""),
            api if api.endswith("/") else api + "/",
        )

    def secrets(self) -> list[str]:
        """The values that must never reach a log."""
        return [s for s in (self.bot_token, self.signing_secret, self.app_token) if s]


class Redact(logging.Filter):
    """Replace secret values in log records (a second line of defence: none should be there)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if any(s in msg for s in self.secrets):
            for s in self.secrets:
                msg = msg.replace(s, "[redacted]")
            record.msg, record.args = msg, None
        return True


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at ``level`` through a redacting handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class _Counted(Executor):
    """Bolt's listener executor, counted by the Bot so ``wait_idle`` includes the listeners."""

    def __init__(self, bot: Bot, workers: int) -> None:
        self.bot = bot
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="slack-listener")

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return self.bot.defer(lambda: fn(*args, **kwargs), self.pool)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait, cancel_futures=cancel_futures)


class SlackApp:
    """The Bolt app wired to a :class:`Bot`; serve it with :meth:`http` or :meth:`socket_mode`."""

    def __init__(self, assistant: Any, settings: Settings, env: SlackEnv) -> None:
        bolt = _bolt()
        from slack_sdk import WebClient
        from slack_sdk.webhook import WebhookClient

        self.env = env
        client = WebClient(token=env.bot_token, base_url=env.api_url, timeout=30)
        auth = client.auth_test()

        def respond(url: str, payload: dict[str, Any]) -> None:
            WebhookClient(url, timeout=30).send_dict(payload)

        self.bot = Bot(
            assistant,
            client,
            settings,
            BotState(settings.data_dir),
            bot_user=str(auth.get("user_id") or ""),
            bot_id=str(auth.get("bot_id") or ""),
            respond=respond,
        )
        self.bot.state.prune()
        self.app = bolt.App(
            signing_secret=env.signing_secret or "socket-mode-unused",
            client=client,
            process_before_response=False,
            # listeners only claim and queue; the answers run on the Bot's own pool
            listener_executor=_Counted(self.bot, 8),
            logger=logging.getLogger("assistant.slack.bolt"),
        )
        self._register()

    def _register(self) -> None:
        app, bot = self.app, self.bot

        # Bolt acknowledges events at once and runs listeners on the counted executor; a
        # listener claims and queues (milliseconds); answers run on the Bot's own pool
        def event(ack: Any, body: dict[str, Any], request: Any) -> None:
            retry = request.headers.get("x-slack-retry-num", [None])[0]
            try:
                outcome = bot.on_event(body)
            finally:
                ack()
            log.info(
                "event %s %s%s: %s",
                body.get("event_id", ""),
                (body.get("event") or {}).get("type", ""),
                f" (retry {retry})" if retry else "",
                outcome,
            )

        for name in EVENTS:
            app.event(name)(event)

        def command(ack: Any, body: dict[str, Any]) -> None:
            try:
                outcome = bot.on_command(body)
            finally:
                ack()
            log.info("command %s: %s", body.get("command"), outcome)

        for name in COMMANDS:
            app.command(name)(command)

        def action(ack: Any, body: dict[str, Any]) -> None:
            try:
                bot.on_action(body)
            finally:
                ack()

        from assistant.render.slack import HELPFUL, NOT_HELPFUL, SHARE

        for action_id in (SHARE, HELPFUL, NOT_HELPFUL):
            app.action(action_id)(action)

    # ------------------------------------------------------------------ transports
    def http_server(self, host: str, port: int) -> Any:
        """A uvicorn server for ``POST /slack/events`` (and ``GET /healthz``); not started."""
        if not self.env.signing_secret:
            raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET to check Slack's signatures")
        import uvicorn
        from slack_bolt.request import BoltRequest
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        app = self.app

        async def events(request: Request) -> Response:
            if int(request.headers.get("content-length") or 0) > MAX_BODY:
                return Response("payload too large", status_code=413)
            body = await request.body()
            if len(body) > MAX_BODY:
                return Response("payload too large", status_code=413)
            breq = BoltRequest(
                body=body.decode("utf-8", "replace"),
                query=dict(request.query_params),
                headers=dict(request.headers),
            )
            resp = await run_in_threadpool(app.dispatch, breq)
            return Response(resp.body, status_code=resp.status, headers=resp.first_headers())

        async def healthz(request: Request) -> Response:
            return JSONResponse({"ok": True})

        web = Starlette(
            routes=[
                Route("/slack/events", events, methods=["POST"]),
                Route("/healthz", healthz, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(web, host=host, port=port, log_level="warning", access_log=False)
        return uvicorn.Server(config)

    def socket_mode(self) -> Any:
        """A Socket Mode handler (builtin WebSocket client, no extra dependency); not started."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        return SocketModeHandler(self.app, self.env.app_token, trace_enabled=False)

    def close(self) -> None:
        """Let the answers in progress finish."""
        self.bot.wait_idle(60)
        self.bot.close()
        self.app.listener_runner.listener_executor.shutdown(wait=True)


def run(
    http: bool = False, host: str = "127.0.0.1", port: int = 3000, log_level: str = "info"
) -> None:
    """``assistant slack``: serve until interrupted."""
    from assistant.service import Assistant

    env = SlackEnv.from_env(socket_mode=not http)
    configure_logging(log_level, env.secrets())
    if http:
        _check_port(host, port)
    settings = Settings()
    assistant = Assistant(settings)
    slack = SlackApp(assistant, settings, env)
    threading.Thread(  # load the embedding model now, not on the first question
        target=lambda: assistant.embedder.embed_cached(["warm up"]), daemon=True
    ).start()
    try:
        if http:
            log.info("serving Slack events on http://%s:%d/slack/events", host, port)
            slack.http_server(host, port).run()
        else:
            log.info("connecting to Slack in Socket Mode")
            slack.socket_mode().start()
    finally:
        slack.close()


def _check_port(host: str, port: int) -> None:
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.bind((host, port))
    except OSError as e:
        raise ConfigError(
            f"cannot serve on {host}:{port} ({e.strerror}); pick another --port"
        ) from None


def post_messages(channel: str, messages: list[dict[str, Any]]) -> list[str]:
    """Post messages to a channel with the bot's token (``SLACK_BOT_TOKEN``, and
    ``SLACK_API_URL`` if set): ``assistant brief ... --post-slack CHANNEL``. Returns the ts."""
    env = os.environ
    token = env.get("SLACK_BOT_TOKEN", "")
    if not token:
        raise ConfigError(
            "--post-slack needs SLACK_BOT_TOKEN in the environment; see docs/slack.md"
        )
    api = env.get("SLACK_API_URL") or DEFAULT_API_URL
    if not re.match(r"https?://", api):
        raise ConfigError(f"SLACK_API_URL must start with http:// or https://, not {api!r}")
    _bolt()  # slack_sdk comes with the slack extra
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=token, base_url=api if api.endswith("/") else api + "/", timeout=30)
    out = []
    try:
        for msg in messages:
            out.append(str(client.chat_postMessage(channel=channel, **msg).get("ts", "")))
    except SlackApiError as e:
        raise ConfigError(
            f"Slack refused the post to {channel}: {e.response.get('error', 'unknown error')}"
        ) from e
    return out
