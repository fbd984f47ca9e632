"""One root error; front ends translate it into messages, exit codes and HTTP statuses."""

from __future__ import annotations


class AssistantError(Exception):
    """Root of every error the library raises on purpose.

    The message says what failed and, where possible, what to do about it.
    """

    exit_code = 1


class ConfigError(AssistantError):
    """Settings are invalid or inconsistent."""

    exit_code = 2


class IngestError(AssistantError):
    """An article could not be read or parsed."""


class StoreError(AssistantError):
    """The Chroma store could not be opened, read or written."""


class EmbeddingError(AssistantError):
    """The embedding model could not be loaded or run."""


class QuestionError(AssistantError):
    """The question cannot be answered as asked (empty, too long, ...)."""

    exit_code = 2


class EmptyStoreError(AssistantError):
    """The store holds no articles yet."""

    exit_code = 3


class LLMError(AssistantError):
    """The configured LLM endpoint failed (down, timeout, bad key, ...)."""


class LLMUnavailable(LLMError):
    """The LLM endpoint is down, overloaded, erroring or silent: retried, then a fallback."""


class IngestCancelled(IngestError):
    """An ingest was stopped (the server is shutting down); nothing half-written is kept."""


class URLRefused(IngestError):
    """A URL may not be fetched: not http(s), or it points at this machine or a private net."""


class TransferError(AssistantError):
    """An export file cannot be written or read (missing, damaged, another format version)."""
