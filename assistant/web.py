"""The web chat: a Gradio app mounted on the JSON API (FastAPI), served by uvicorn.

This is the only module that imports gradio. The HTML it shows comes from
:mod:`assistant.webview` (pure, escaped); :func:`build_blocks` wires the page,
:func:`build_app` puts the chat and the API on one app, :func:`serve` runs it.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.api import create_api, require_auth_off_loopback
from assistant.errors import AssistantError, ConfigError
from assistant.ingest import IngestReport
from assistant.resources import data_file
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.types import AnswerEvent, Briefing, TokenEvent
from assistant.uploads import ALLOWED_SUFFIXES, Uploads
from assistant.webview import (
    EXAMPLES,
    MODES,
    PENDING_HTML,
    Exchange,
    answer_text,
    chat_messages,
    empty_panel_html,
    error_html,
    esc,
    history,
    library_stats,
    parse_day,
    passages_html,
    question_html,
    report_html,
    resolve_brief_ref,
    resolve_ref,
    streaming_html,
    template,
    ui_file,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- gradio
def build_blocks(assistant: Assistant, uploads: Uploads) -> gr.Blocks:
    """The chat page: conversation, filters, upload, sources panel."""
    llm_ready = assistant.settings.llm_provider != "none"
    suffixes = sorted({"." + s.rsplit(".", 1)[-1] for s in ALLOWED_SUFFIXES})

    def respond(
        question: str,
        exchanges: list[Exchange],
        outlets: list[str] | None,
        since: Any,
        until: Any,
        as_of: Any,
        mode: str,
    ) -> Iterator[tuple[Any, ...]]:
        q = " ".join((question or "").split())
        if not q:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        turn = len(exchanges)
        msgs = chat_messages(exchanges)
        msgs += [
            {"role": "user", "content": question_html(q)},
            {"role": "assistant", "content": PENDING_HTML},
        ]
        yield "", msgs, exchanges, gr.skip(), gr.skip()
        try:
            events = assistant.ask_stream(
                q,
                history=history(exchanges),
                sources=tuple(outlets or ()),
                since=parse_day(since, "since"),
                until=parse_day(until, "until"),
                as_of=parse_day(as_of, "as of"),
                mode=mode if llm_ready else "extractive",
            )
            answer, partial = None, ""
            for event in events:
                if isinstance(event, AnswerEvent):
                    answer = event.answer
                elif isinstance(event, TokenEvent):
                    partial += event.text
                    msgs[-1] = {"role": "assistant", "content": streaming_html(partial)}
                    yield gr.skip(), msgs, gr.skip(), gr.skip(), gr.skip()
            if answer is None:
                raise AssistantError("the answerer returned no answer")
            done = [*exchanges, Exchange(q, answer)]
            yield (
                "",
                chat_messages(done),
                done,
                passages_html(answer, turn) or empty_panel_html(),
                answer_text(answer),
            )
        # on an error the question goes back into the box (to mend and ask again) and the
        # panel no longer shows the previous answer's passages
        except AssistantError as e:
            done = [*exchanges, Exchange(q, error=str(e))]
            yield question, chat_messages(done), done, empty_panel_html(), gr.skip()
        except Exception:
            log.exception("answering %r failed", q)
            done = [*exchanges, Exchange(q, error="Something went wrong; see the server log.")]
            yield question, chat_messages(done), done, empty_panel_html(), gr.skip()

    def open_citation(exchanges: list[Exchange], evt: gr.EventData) -> str:
        try:
            return resolve_ref(assistant, exchanges, str(getattr(evt, "ref", "")))
        except Exception:
            log.exception("showing a citation failed")
            return error_html("Could not open that article; see the server log.")

    def add_articles(
        files: list[str] | None, url_text: str, progress: gr.Progress = gr.Progress()
    ) -> Iterator[tuple[Any, ...]]:
        try:
            staged = uploads.stage_paths([(Path(f).name, Path(f)) for f in files or []])
            urls = [u for u in re.split(r"[\s,]+", url_text or "") if u]
            box: dict[str, Any] = {"report": IngestReport()}

            def work() -> None:
                try:
                    box["report"] = uploads.ingest(staged, urls, progress=_keep(box))
                except BaseException as e:
                    box["error"] = e

            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            while worker.is_alive():
                worker.join(0.3)
                rep: IngestReport = box["report"]
                done = rep.added + rep.updated + rep.skipped + rep.failed
                progress((done, rep.total), desc="ingesting", unit="articles")
                yield report_html(rep, running=True), gr.skip(), gr.skip(), gr.skip()
            if "error" in box:
                raise box["error"]
            stats, outlets = library_stats(assistant)
            yield (
                report_html(box["report"], clean=uploads.scrub),
                gr.update(choices=outlets),
                template("header.html", stats=esc(stats)),
                None,
            )
        except AssistantError as e:
            yield f'<p class="fail done">{esc(e)}</p>', gr.skip(), gr.skip(), gr.skip()
        except Exception:
            log.exception("upload failed")
            failed = '<p class="fail done">The upload failed; see the server log.</p>'
            yield failed, gr.skip(), gr.skip(), gr.skip()

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")

    def refresh() -> tuple[Any, ...]:
        stats, outlets = library_stats(assistant)
        return template("header.html", stats=esc(stats)), gr.update(choices=outlets)

    def new_chat() -> tuple[Any, ...]:
        return [], [], empty_panel_html(), "", ""

    with gr.Blocks(title="Briefing Assistant", analytics_enabled=False) as demo:
        exchanges = gr.State([])
        header = gr.HTML(template("header.html", stats=""), elem_id="header", js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    elem_id="chat",
                    height=560,
                    show_label=False,
                    latex_delimiters=[],
                    buttons=[],
                    feedback_options=None,
                    layout="panel",
                    autoscroll=False,  # ui/chat.js keeps the question in view instead
                    examples=[{"text": e} for e in EXAMPLES],
                    placeholder="Ask about the articles. Answers are verbatim quotes.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        scale=6,
                        max_lines=4,
                        placeholder="Ask a question, e.g. What does Russia require before talks?",
                    )
                    ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
                with gr.Row():
                    new = gr.Button("New chat", size="sm", elem_id="new-chat")
                    copy = gr.Button("Copy answer", size="sm", elem_id="copy-answer")
                last_text = gr.Textbox(visible="hidden", elem_id="last-answer")
                with gr.Accordion("Filters", open=False, elem_id="filters"):
                    outlets = gr.Dropdown(
                        label="Outlets", multiselect=True, choices=[], elem_id="outlets"
                    )
                    with gr.Row():
                        since = gr.DateTime(
                            label="Published since",
                            include_time=False,
                            type="string",
                            elem_id="since",
                        )
                        until = gr.DateTime(
                            label="Published until",
                            include_time=False,
                            type="string",
                            elem_id="until",
                        )
                        as_of = gr.DateTime(
                            label="As of (ignore later articles)",
                            include_time=False,
                            type="string",
                            elem_id="as-of",
                        )
                    mode = gr.Radio(
                        [(k, v) for k, v in MODES.items()],
                        value="llm" if llm_ready else "extractive",
                        label="Answer",
                        interactive=llm_ready,
                        elem_id="mode",
                        info=None if llm_ready else "LLM answers need ASSISTANT_LLM_PROVIDER.",
                    )
                with gr.Accordion("Add articles", open=False, elem_id="add-articles"):
                    files = gr.File(
                        label=f"Files ({' '.join(ALLOWED_SUFFIXES)}; up to "
                        f"{assistant.settings.upload_max_mb:g} MB)",
                        file_count="multiple",
                        file_types=suffixes,
                        type="filepath",
                        elem_id="upload-files",
                    )
                    url = gr.Textbox(
                        label="Or a web page / RSS feed URL",
                        elem_id="upload-url",
                        placeholder="https://…",
                    )
                    add = gr.Button("Add to library", elem_id="upload-add")
                    status = gr.HTML("", elem_id="upload-status", js_on_load=None)
            with gr.Column(scale=2, elem_id="sources-column"):
                panel = gr.HTML(
                    empty_panel_html(), elem_id="sources-panel", js_on_load=ui_file("panel.js")
                )

        ask_inputs = [question, exchanges, outlets, since, until, as_of, mode]
        ask_outputs = [question, chat, exchanges, panel, last_text]
        ask.click(respond, ask_inputs, ask_outputs, api_visibility="private")
        question.submit(respond, ask_inputs, ask_outputs, api_visibility="private")
        chat.example_select(pick_example, None, question, api_visibility="private").then(
            respond, ask_inputs, ask_outputs, api_visibility="private"
        )
        panel.click(
            open_citation, [exchanges], panel, api_visibility="private", show_progress="hidden"
        )
        cleared = [chat, exchanges, panel, last_text, question]
        new.click(new_chat, None, cleared, api_visibility="private")
        chat.clear(new_chat, None, cleared, api_visibility="private")
        copy.click(None, [last_text], None, js=ui_file("copy.js"), api_visibility="private")
        add.click(
            add_articles, [files, url], [status, outlets, header, files], api_visibility="private"
        )
        demo.load(refresh, None, [header, outlets], api_visibility="private")
        _briefing_tab(assistant)
    return demo


def _briefing_tab(assistant: Assistant) -> None:
    """The Briefing tab: a topic (with dates and a saved-briefing delta) in, the briefing
    out as HTML, with the whole page and its JSON to download."""
    import json
    import tempfile

    from assistant.render.html import briefing_html, briefing_page
    from assistant.render.markdown import briefing_json

    empty = empty_panel_html(briefing=True)

    def make(topic: str, since: Any, until: Any, since_last: str, save: str) -> tuple[Any, ...]:
        try:
            b = assistant.brief(
                topic or "",
                since=parse_day(since, "Published since"),
                until=parse_day(until, "Published until"),
                since_last=(since_last or "").strip() or None,
                save=(save or "").strip() or None,
            )
        except AssistantError as e:
            hidden = gr.update(visible=False)
            return error_html(str(e)), hidden, hidden, None, empty
        folder = Path(tempfile.mkdtemp(prefix="briefing-"))
        page, data = folder / "briefing.html", folder / "briefing.json"
        page.write_text(briefing_page(b), encoding="utf-8")
        data.write_text(json.dumps(briefing_json(b), ensure_ascii=False, indent=1), "utf-8")
        return (
            briefing_html(b),
            gr.update(value=str(page), visible=True),
            gr.update(value=str(data), visible=True),
            b,
            empty,
        )

    def open_citation(b: Briefing | None, evt: gr.EventData) -> str:
        try:
            return resolve_brief_ref(assistant, b, str(getattr(evt, "ref", "")))
        except Exception:
            log.exception("showing a briefing citation failed")
            return error_html("Could not open that article; see the server log.")

    with gr.Tab("Briefing", elem_id="briefing-tab"):
        with gr.Row():
            topic = gr.Textbox(
                show_label=False,
                scale=6,
                elem_id="brief-topic",
                placeholder="A topic, e.g. talks between Russia and the United States",
            )
            go = gr.Button("Brief me", variant="primary", scale=1, elem_id="brief-go")
        with gr.Accordion("Dates and deltas", open=False), gr.Row():
            since = gr.DateTime(label="Published since", include_time=False, type="string")
            until = gr.DateTime(label="Published until", include_time=False, type="string")
            since_last = gr.Textbox(label="Only what is new since the saved briefing")
            save = gr.Textbox(label="Save this briefing as")
        shown = gr.State(None)  # the briefing on screen, for its citations
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                out = gr.HTML("", elem_id="brief-out", js_on_load=None)
                with gr.Row():
                    page = gr.DownloadButton("Download HTML", visible=False, elem_id="brief-html")
                    data = gr.DownloadButton("Download JSON", visible=False, elem_id="brief-json")
            with gr.Column(scale=2, elem_id="brief-column"):
                panel = gr.HTML(empty, elem_id="brief-panel", js_on_load=ui_file("panel.js"))
        inputs = [topic, since, until, since_last, save]
        outputs = [out, page, data, shown, panel]
        go.click(make, inputs, outputs, api_visibility="private")
        topic.submit(make, inputs, outputs, api_visibility="private")
        panel.click(open_citation, [shown], panel, api_visibility="private", show_progress="hidden")


def _keep(box: dict[str, Any]) -> Any:
    def update(report: IngestReport) -> None:
        box["report"] = report

    return update


def build_app(assistant: Assistant | None = None) -> FastAPI:
    """The FastAPI app: the JSON API under ``/api`` and ``/healthz``, the chat at ``/``."""
    assistant = assistant or Assistant(Settings())
    s = assistant.settings
    assistant.store.open()  # now: connecting from two requests at once races
    uploads = Uploads(assistant)
    app = create_api(assistant, uploads)
    auth = (s.web_user, s.web_password) if s.web_user and s.web_password else None
    return gr.mount_gradio_app(
        app,
        build_blocks(assistant, uploads),
        path="/",
        auth=auth,
        auth_message="Sign in to the Briefing Assistant." if auth else None,
        max_file_size=uploads.limit_bytes,
        footer_links=[],
        run_history=False,
        css_paths=[data_file("ui", "style.css")],
        js=ui_file("chat.js"),
        theme=gr.themes.Soft(),
        ssr_mode=False,
        mcp_server=False,
    )


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def stopping_server_class() -> type:
    """A uvicorn Server that also stops running ingests on SIGINT/SIGTERM."""
    import uvicorn

    class StoppingServer(uvicorn.Server):
        def __init__(self, config: Any, on_exit: Any) -> None:
            super().__init__(config)
            self.on_exit = on_exit

        def handle_exit(self, sig: int, frame: Any) -> None:
            self.on_exit()  # a running ingest stops at its next read (no half-written article)
            super().handle_exit(sig, frame)

    return StoppingServer


def serve(
    host: str | None = None, port: int | None = None, assistant: Assistant | None = None
) -> None:
    """Serve the chat and the API with uvicorn until interrupted (default 127.0.0.1:7860).

    Raises:
        ConfigError: binding off this machine without API token and UI login, or a busy port.
    """
    import uvicorn

    assistant = assistant or Assistant(Settings())
    s = assistant.settings
    host, port = host or s.web_host, port or s.web_port
    require_auth_off_loopback(host, s.api_token, s.web_user, s.web_password)
    if not _port_free(host, port):
        raise ConfigError(f"{host}:{port} is in use or cannot be bound; pick another --port")
    app = build_app(assistant)
    threading.Thread(  # load the embedding model now, not on the first question
        target=lambda: assistant.embedder.embed_cached(["warm up"]), daemon=True
    ).start()
    shown = f"[{host}]" if ":" in host else host
    print(f"Briefing Assistant: http://{shown}:{port}/  (API docs: /docs)", flush=True)
    t0 = time.perf_counter()
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10
    )
    stopping_server_class()(config, on_exit=assistant.reader.stop.set).run()
    print(f"stopped after {time.perf_counter() - t0:.0f} s", flush=True)
