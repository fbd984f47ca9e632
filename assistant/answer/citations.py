"""Checking an LLM's reply against its sources (pure: no model, no I/O).

The model sees numbered passages (:class:`Source`) inside ``<source>`` tags. Its reply is then
checked by :func:`check_reply`:

* every span in double quotation marks (straight or curly) must stand verbatim, typography
  aside, in the article of the source cited right after it (else in any source's article);
  verified spans become :class:`Quote` objects with exact article offsets, the rest are
  **removed from the prose** (replaced by ``(unverified quote removed)``) and listed;
* citations ``[n]`` (also ``[S n]``, ``[source n]``) to sources that do not exist are dropped
  (or replaced by the source a verified quote came from) and counted;
* outside quotations, links and images are made inert: Markdown images and reference
  definitions are removed, ``[label](url)`` keeps only its label, and any URL (``scheme://``,
  ``www.``, ``javascript:``/``data:``) that is not a cited source's own URL is replaced by
  ``(link removed)``, so a hijacked model cannot plant a link or a tracking image that carries
  the question away. Verified quotations stay verbatim; renderers keep them inert;
* control characters (terminal escape sequences) are removed from the whole reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer.verify import locate
from assistant.types import ArticleRef, Passage, Quote

UNVERIFIED_MARK = "(unverified quote removed)"

# a quotation: within one paragraph, its content starting and ending with a non-space, so the
# closing mark of one quote and the opening mark of the next are never read as a quote
_QUOTE = re.compile(r"[\"“”](\S(?:(?:[^\"“”\n]|\n(?!\s*\n))*?\S)?)[\"“”]")
_CITE = re.compile(
    r"\[\s*(?:(?:sources?|s)\s*)?(\d+(?:\s*(?:,|;|-|–|and)\s*(?:(?:sources?|s)\s*)?\d+)*)\s*\]",
    re.I,
)
LINK_MARK = "(link removed)"
_PAREN = r"\((?:[^()\n]|\([^()\n]*\))*\)"  # (url), allowing one level of (...) inside
_IMAGE = re.compile(r"!\[([^\]\n]*)\]" + _PAREN)
_MD_LINK = re.compile(r"\[([^\]\n]*)\]" + _PAREN)
_REF_DEF = re.compile(r"^[ \t]*\[[^\]\n]+\]:[ \t]*\S+.*$\n?", re.M)
_URL = re.compile(
    r"<?\b(?:[a-z][a-z0-9+.-]{1,20}://|www\.|(?:javascript|data|vbscript):)[^\s<>\"“”]+>?", re.I
)
_TAG = re.compile(r"<(/?)(sources?)\b", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # but tab and newline


@dataclass(frozen=True)
class Source:
    """A passage as shown to the model: its number, its article's text and its speakers."""

    number: int
    passage: Passage
    article_text: str
    speakers: tuple[str, ...] = ()
    sentence_starts: tuple[int, ...] = ()
    sentence_speakers: tuple[str | None, ...] = ()

    @property
    def ref(self) -> ArticleRef:
        return self.passage.ref

    @property
    def excerpt(self) -> str:
        """The passage's text, sliced from the article so that offsets agree."""
        c = self.passage.chunk
        return self.article_text[c.start : c.end]

    def speaker_at(self, offset: int) -> str | None:
        """Who speaks in the article sentence containing ``offset``."""
        found: str | None = None
        for start, who in zip(self.sentence_starts, self.sentence_speakers, strict=True):
            if start > offset:
                break
            found = who
        return found


def defang(text: str) -> str:
    """Article text with any ``<source>``/``</source>`` look-alike made harmless."""
    return _TAG.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


@dataclass
class Checked:
    """The model's reply after verification: clean prose, verified quotes and the counts."""

    text: str
    quotes: list[Quote] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)  # valid source numbers, in order of use
    citations_fixed: int = 0
    links_removed: int = 0

    def counts(self) -> dict[str, int]:
        """Verification counts for ``Answer.verification``."""
        return {
            "quotes_verified": len(self.quotes),
            "quotes_unverified": len(self.unverified),
            "citations": len(self.cited),
            "citations_fixed": self.citations_fixed,
            "links_removed": self.links_removed,
        }


def _inert(text: str, keep: set[str]) -> tuple[str, int]:
    """Prose (no quotations) with its images, Markdown links and foreign URLs made inert."""
    removed = 0

    def image(m: re.Match[str]) -> str:
        nonlocal removed
        removed += 1
        return ""

    def label(m: re.Match[str]) -> str:
        nonlocal removed
        removed += 1
        inner = m.group(1).strip()
        return f"[{inner}]" if _CITE.fullmatch(f"[{inner}]") else inner

    def url(m: re.Match[str]) -> str:
        nonlocal removed
        raw = m.group(0)
        bare = raw.strip("<>")
        tail = re.search(r"[.,;:!?)\]'’]+$", bare)
        end = tail.group(0) if tail else ""
        core = bare[: len(bare) - len(end)]
        while end.startswith(")") and core.count("(") > core.count(")"):
            core, end = core + ")", end[1:]  # javascript:alert(1) keeps its own parenthesis
        if core in keep:
            return raw
        removed += 1
        return LINK_MARK + end

    text = _REF_DEF.sub(lambda m: image(m), text)
    text = _IMAGE.sub(image, text)
    text = _MD_LINK.sub(label, text)
    return _URL.sub(url, text), removed


def scrub_links(reply: str, sources: list[Source]) -> tuple[str, int]:
    """The reply with links made inert outside its quotations, and how many were removed."""
    keep = {s.ref.url for s in sources if s.ref.url}
    pieces: list[str] = []
    removed = pos = 0
    for m in _QUOTE.finditer(reply):
        text, n = _inert(reply[pos : m.start()], keep)
        pieces += [text, m.group(0)]
        removed += n
        pos = m.end()
    text, n = _inert(reply[pos:], keep)
    pieces.append(text)
    return "".join(pieces), removed + n


def _numbers(group: str) -> list[int]:
    """The source numbers of a citation like ``1, 2`` or ``2-3``."""
    out: list[int] = []
    for a, b in re.findall(r"(\d+)(?:\s*[-–]\s*(?:(?:sources?|s)\s*)?(\d+))?", group, re.I):
        lo, hi = int(a), int(b or a)
        out.extend(range(lo, hi + 1) if 0 <= hi - lo <= 10 else (lo, hi))
    return out


def _place(quote: str, preferred: list[int], sources: list[Source]) -> tuple[int, int, int] | None:
    """(source number, start, end) of a verbatim quote: the cited source first, then any."""
    order = list(dict.fromkeys([*preferred, *(s.number for s in sources)]))
    for n in order:
        src = sources[n - 1]
        hit = locate(quote, src.article_text, near=src.passage.chunk.start)
        if hit is None:
            continue
        same = [
            m
            for m in order
            if sources[m - 1].ref.article_id == src.ref.article_id
            and sources[m - 1].passage.chunk.start <= hit[0] < sources[m - 1].passage.chunk.end
        ]
        return (n if not same or n in same else same[0]), hit[0], hit[1]
    return None


def check_reply(reply: str, sources: list[Source]) -> Checked:
    """Verify the quotes and citations of a model reply (pure; see the module docstring)."""
    reply, links_removed = scrub_links(_CONTROL.sub("", reply), sources)
    n_src = len(sources)
    quotes = list(_QUOTE.finditer(reply))
    inside = [(m.start(), m.end()) for m in quotes]
    cites = [c for c in _CITE.finditer(reply) if not any(a <= c.start() < b for a, b in inside)]
    # the citation group that follows each quote in the same line, before any other quote
    follows: dict[int, int] = {}
    for qi, q in enumerate(quotes):
        nxt = quotes[qi + 1].start() if qi + 1 < len(quotes) else len(reply)
        for ci, c in enumerate(cites):
            if q.end() <= c.start() < nxt and "\n" not in reply[q.end() : c.start()]:
                follows[qi] = ci
                break
    placed: dict[int, tuple[int, int, int] | None] = {}
    for qi, q in enumerate(quotes):
        preferred = []
        if qi in follows:
            preferred = [n for n in _numbers(cites[follows[qi]].group(1)) if 1 <= n <= n_src]
        placed[qi] = _place(q.group(1), preferred, sources)

    out = Checked(text="", links_removed=links_removed)
    seen: set[tuple[str, int, int]] = set()
    events = sorted(
        [(q.start(), q.end(), "q", i) for i, q in enumerate(quotes)]
        + [(c.start(), c.end(), "c", i) for i, c in enumerate(cites)]
    )
    pieces: list[str] = []
    pos = 0
    for start, end, kind, i in events:
        pieces.append(reply[pos:start])
        pos = end
        if kind == "q":
            hit = placed[i]
            if hit is None:
                said = " ".join(quotes[i].group(1).split())
                if said not in out.unverified:
                    out.unverified.append(said)
                pieces.append(UNVERIFIED_MARK)
                continue
            n, qs, qe = hit
            src = sources[n - 1]
            exact = src.article_text[qs:qe]
            pieces.append(f"“{exact}”")
            if (src.ref.article_id, qs, qe) not in seen:
                seen.add((src.ref.article_id, qs, qe))
                out.quotes.append(
                    Quote(
                        text=exact,
                        ref=src.ref,
                        start=qs,
                        end=qe,
                        speaker=src.speaker_at(qs),
                        citation=n,
                        also_in=src.passage.duplicates,
                    )
                )
            if i not in follows:  # a verified quote always carries its source number
                pieces.append(f" [{n}]")
                out.cited.append(n)
                out.citations_fixed += 1
            continue
        given = _numbers(cites[i].group(1))
        keep = list(dict.fromkeys(n for n in given if 1 <= n <= n_src))
        dropped = sum(1 for n in given if not 1 <= n <= n_src)
        added = 0
        for qi, ci in follows.items():
            hit = placed[qi]
            if ci == i and hit is not None and hit[0] not in keep:
                keep.append(hit[0])
                added += 1
        out.citations_fixed += max(dropped, added)  # [9] -> [1] is one fix
        out.cited.extend(keep)
        if keep:
            pieces.append("".join(f"[{n}]" for n in keep))
        elif pieces and pieces[-1].endswith((" ", "\t")):
            pieces[-1] = pieces[-1].rstrip(" \t")
    pieces.append(reply[pos:])
    out.text = "".join(pieces).strip()
    return out
