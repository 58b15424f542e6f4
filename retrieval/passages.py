"""Passages, the unit of retrieval, and splitting long text into model-sized passages.

A member's profile, capabilities, references and people, or a challenge, become passages
of ``owner``; the matcher scores owners from the evidence in their passages.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from retrieval.embedding import estimate_tokens

MetadataValue = str | int | float | bool

# A sentence ends at . ! ? or … (optionally followed by closing quotes/brackets) and the next
# one starts with an upper-case letter, digit or opening mark. Requiring the capital keeps
# "e.g. the" and "approx. 5" together often enough; a wrong split only costs context.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-ZÅÄÖ0-9])")
_LINES = re.compile(r"\s*\n\s*\n\s*|\n(?=\s*(?:[-*•]|\d+[.)])\s)")


@dataclass(frozen=True)
class Passage:
    """One retrievable piece of text with the owner (member or challenge) it is evidence for."""

    id: str
    owner: str
    kind: str
    title: str
    text: str
    metadata: dict[str, MetadataValue] = field(default_factory=dict)

    def content_hash(self) -> str:
        """Hash of everything that is stored for the passage, to detect index drift."""
        payload = json.dumps(
            [self.owner, self.kind, self.title, self.text, sorted(self.metadata.items())],
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def document(self) -> str:
        """The text that is embedded and indexed: the title gives short passages context."""
        if self.title and not self.text.startswith(self.title):
            return f"{self.title}. {self.text}" if self.text else self.title
        return self.text


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of ``text``, each stripped, none empty."""
    out: list[str] = []
    for block in _LINES.split(text):
        out.extend(s.strip() for s in _SENTENCE_END.split(block.strip()) if s.strip())
    return out


def _split_words(sentence: str, max_tokens: int, count: Callable[[str], int]) -> Iterator[str]:
    # A single over-long "sentence" (a list without punctuation, a table) is cut between words.
    words = sentence.split()
    current: list[str] = []
    for word in words:
        if current and count(" ".join([*current, word])) > max_tokens:
            yield " ".join(current)
            current = []
        current.append(word)
    if current:
        yield " ".join(current)


def split_text(
    text: str,
    max_tokens: int,
    count_tokens: Callable[[str], int] | None = None,
) -> list[str]:
    """Split ``text`` into chunks of at most ``max_tokens`` model tokens, on sentence bounds.

    Sentences are packed in order into as few chunks as the limit allows, balanced in size
    (300 tokens become 150 + 150, not 256 + 44: a scrap of a chunk is poor evidence and,
    on the query side, an outsized vote). Every word of the input appears in exactly one
    chunk, in order: nothing is lost to the model's truncation. ``count_tokens`` should be
    the embedder's tokenizer count (``Embedder.count_tokens``); without it a conservative
    word-based estimate is used.
    """
    count = count_tokens or estimate_tokens
    text = text.strip()
    if not text:
        return []
    total = count(text)
    if total <= max_tokens:
        return [text]
    target = total / math.ceil(total / max_tokens)
    pieces: list[str] = []
    for sentence in split_sentences(text):
        if count(sentence) <= max_tokens:
            pieces.append(sentence)
        else:
            pieces.extend(_split_words(sentence, max_tokens, count))
    chunks: list[str] = []
    current = ""
    current_tokens = 0
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        tokens = count(candidate)
        # Close the chunk when the piece would overflow it, or would take it further past
        # the balanced size than stopping short of it.
        if current and (tokens > max_tokens or abs(tokens - target) > abs(current_tokens - target)):
            chunks.append(current)
            current, current_tokens = piece, count(piece)
        else:
            current, current_tokens = candidate, tokens
    if current:
        chunks.append(current)
    return chunks


def passages_from_text(
    *,
    owner: str,
    kind: str,
    key: str,
    title: str,
    text: str,
    max_tokens: int,
    count_tokens: Callable[[str], int] | None = None,
    metadata: dict[str, MetadataValue] | None = None,
) -> list[Passage]:
    """Passages for one record's text: one per chunk, ids ``{key}#{n}``, title on each.

    The title is repeated on every chunk because a chunk out of context ("It reduced
    losses by 12 %") is weak evidence without it; the budget for the text shrinks to match.
    """
    count = count_tokens or estimate_tokens
    title_cost = count(title) if title else 0
    budget = max(32, max_tokens - title_cost)
    chunks = split_text(text, budget, count_tokens) or ([title] if title else [])
    return [
        Passage(
            id=f"{key}#{n}",
            owner=owner,
            kind=kind,
            title=title,
            text=chunk,
            metadata={**(metadata or {}), "chunk": n},
        )
        for n, chunk in enumerate(chunks)
    ]
