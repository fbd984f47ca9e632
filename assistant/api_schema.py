"""The JSON API's request and response schemas and its OpenAPI extras (the routes are in
:mod:`assistant.api`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from assistant.httpguard import iso_day, no_surrogates
from assistant.uploads import MAX_FILES

#: Text that must be valid Unicode (a lone surrogate is refused with 422, not a 500 later).
Text = Annotated[str, AfterValidator(no_surrogates)]


#: A day in a request: the JSON string ``YYYY-MM-DD`` and nothing else.
Day = Annotated[date, BeforeValidator(iso_day)]


# --------------------------------------------------------------------------- schemas
class HistoryTurn(BaseModel):
    """One earlier exchange, so follow-up questions are understood."""

    question: Text
    answer: Text = ""


class AskRequest(BaseModel):
    """A question with optional conversation history and filters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "What does Russia require before talks?"}]},
    )

    question: Text = Field(description="The question, in English.")
    history: list[HistoryTurn] = Field(default_factory=list, description="Earlier turns.")
    as_of: Day | None = Field(None, description="Ignore articles published after this day.")
    since: Day | None = Field(None, description="Only articles published on or after.")
    until: Day | None = Field(None, description="Only articles published on or before.")
    sources: list[Text] = Field(default_factory=list, description="Only these outlets.")
    top: int | None = Field(None, ge=1, le=100, description="Passages to retrieve.")
    mode: Literal["extractive", "llm"] | None = Field(
        None, description="Default: llm when an LLM is configured, else extractive."
    )


class BriefRequest(BaseModel):
    """A briefing request: a topic with optional filters and a saved-briefing delta."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"topic": "talks between Russia and the United States"}]},
    )

    topic: Text = Field(description="What the briefing is about, in English.")
    as_of: Day | None = Field(None, description="Ignore articles published after this day.")
    since: Day | None = Field(None, description="Only articles published on or after.")
    until: Day | None = Field(None, description="Only articles published on or before.")
    sources: list[Text] = Field(default_factory=list, description="Only these outlets.")
    since_last: Text | None = Field(None, description="Only what is new since this saved one.")
    save: Text | None = Field(None, description="Save this briefing under this name.")
    mode: Literal["extractive", "llm"] | None = Field(
        None, description="Default: an LLM summary too when an LLM is configured."
    )
    format: Literal["json", "md", "html"] = Field(
        "json", description="json (sections), md or html (a whole page) in the response."
    )


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class QuoteOut(_Open):
    """A verbatim quote; ``start``/``end`` index the article text."""

    text: str
    speaker: str | None
    article_id: str
    title: str
    source: str
    published: str | None
    url: str
    start: int
    end: int
    citation: int


class AnswerOut(_Open):
    """Exactly what ``assistant ask --json`` prints."""

    question: str
    standalone_question: str
    abstained: bool
    confidence: float
    mode: str
    fallback: bool
    answer: str
    quotes: list[QuoteOut]
    unverified: list[str]
    filters: dict[str, Any]
    passages: list[dict[str, Any]]


class SourceOut(BaseModel):
    """A stored article, without its text."""

    id: str
    title: str
    source: str
    published: str | None
    url: str
    chunks: int


class ArticleOut(SourceOut):
    """A stored article with its full text (quote offsets refer to ``text``)."""

    authors: list[str]
    text: str


class IngestRequest(BaseModel):
    """URLs of pages or RSS/Atom feeds to add."""

    model_config = ConfigDict(extra="forbid")

    urls: list[Text] = Field(min_length=1, max_length=MAX_FILES)


class ErrorOut(BaseModel):
    """Every error response."""

    error: str


INGEST_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "urls": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
            "application/json": {"schema": IngestRequest.model_json_schema()},
        }
    }
}


#: /api/brief answers JSON, or Markdown / a whole HTML page on request (``format``).
BRIEF_CONTENT: dict[str, Any] = {
    "content": {
        "application/json": {},
        "text/markdown": {"schema": {"type": "string"}},
        "text/html": {"schema": {"type": "string"}},
    }
}
#: Methods the catch-all answers (404 unknown route, 405 known route with another method).
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "QUERY"]
#: An OpenAPI link: each listed article's id opens it (clients and schemathesis follow it).
SOURCES_LINKS: dict[int | str, dict[str, Any]] = {
    200: {
        "links": {
            "GetArticle": {
                "operationId": "article_api_articles__article_id__get",
                "parameters": {"article_id": "$response.body#/0/id"},
            }
        }
    }
}
