"""The passage index: a Chroma collection of passage and sentence vectors, plus BM25.

Every passage is stored twice over in one collection: the passage itself (``level`` =
"passage", the unit shown as evidence) and, when it has several sentences, each sentence
("sentence", ``parent`` = passage id) so the matcher can find one sentence that answers one
aspect of a need. The bot's lexical search lives in the store (``fulltext``, see
`retrieval.fulltext`); without a store (benchmarks, the index's own tests) a BM25 index lives
in memory and is rebuilt from the collection's documents whenever a shared revision marker
changes, so processes sharing a Chroma server agree without talking to each other.

Records are indexed in both languages when the index has a ``renderer``: a Finnish passage is
embedded by its English rendering (the English-only model reads no Finnish), and lexical
search reads each passage with its rendering in the other language (in the store's full-text
engine as a row of its own, written here: `storage.lexical.write_renderings`), so an English
need finds a Finnish profile and a Finnish need an English one. The rendering is computed
when the passage is written (that is, when its record changes) and stored in its metadata.

A question scores its candidate owners' records exactly; a process keeps the records it has
read (`RecordCache`, bounded) and drops them when the revision marker says any process wrote,
so a question asks Chroma only for the ids its filter selects, not for their records again.

Without an embedder the index is lexical-only: Chroma still stores the passages (it is the
shared, persistent copy the BM25 index is rebuilt from), each with a tiny placeholder
vector derived from its id; those vectors are never searched.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.embedding import Embedder, Vectors
from retrieval.fulltext import FullTextSearch
from retrieval.lexical import LexicalIndex
from retrieval.memory import release_freed_heap
from retrieval.passages import MetadataValue, Passage, split_sentences
from storage.lexical import PassageRendering

logger = logging.getLogger(__name__)

Where = Mapping[str, Any]

# Keys the index writes into each record's metadata; a passage's own metadata may not use them.
RESERVED_KEYS = frozenset(
    {
        "owner",
        "kind",
        "title",
        "hash",
        "level",
        "parent",
        "sentence_level",
        "sentences",
        "text_language",
        "rendering",
    }
)
_PAGE = 2000
#: A page of ids alone (`warm`): Chroma's paging costs with its offset, so few large pages
#: (1.5 million ids listed in 47 s by 20,000, measured at 100,000 members).
_ID_PAGE = 20_000
_ID_SEPARATOR = "\n"
#: A read of many records by id is split into up to this many requests at once, each of at
#: least READ_PART ids: a `chroma run` server answers them on several threads while this
#: process decodes the first (2,800 records: 0.74x the time in four parts, on a busy machine).
READ_PARTS = 4
READ_PART = 400
_READS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="scic-chroma-read")
#: Records (document, metadata, vector) a process keeps for exact scoring. Reading a record's
#: metadata back from Chroma costs about 0.1 ms, and a question scores its 100-150 candidate
#: owners' ~2,000 records, so a question read them in ~200 ms; kept, it reads only their ids.
#: About 2.3 kB each as kept, measured (`KeptRecord`: a 384-number float16 vector, the text,
#: the metadata's values): 150,000 (a 10,000-member collection is ~140,000) are ~340 MB.
RECORDS_KEPT = 150_000
#: Owners whose record ids a process keeps (`RecordCache.owner_ids`): a question reads a
#: candidate's records by id, ~2.5 times faster than Chroma's listing by owner, which filters
#: the whole collection (60 owners' 840 records at 100,000 members: 115 ms by id against
#: ~300 ms by owner). Kept as one string an owner (~0.5 kB for ~15 ids): 150,000 owners, ~80 MB.
OWNERS_LISTED = 150_000
#: How a kept record's vector is kept: half of float32's 1,536 bytes, so a process keeping a
#: whole 10,000-member collection stays under 1 GB (988 MB against 1,163 MB with float32,
#: chroma's own index in the process). Scoring reads every owner's records from those kept,
#: so every question scores alike; a cosine moves by ~1e-4 (bench.crosslingual prints the
#: same tables as with float32).
KEPT_VECTOR = np.float16
#: Chroma's server refuses a query on a collection whose first vectors are not on disk yet
#: ("Error creating hnsw segment reader: Nothing found on disk", chroma-core/chroma#4212): one
#: process asking while another fills a new collection. The window closes in moments, so the
#: query is asked again after these waits (seconds), and then answered without vectors.
NOT_ON_DISK_WAITS = (0.1, 0.3, 0.6)
#: How many writes the collection's log keeps (`PassageIndex._bump_revision`): a process whose
#: kept records are older than that drops them all.
CHANGES_KEPT = 64
#: A write of more owners than this is not logged by owner: every process drops all it keeps.
CHANGE_OWNERS = 2_000
_NOT_ON_DISK = "hnsw segment reader"
#: Records read of each kind (embedded by a rendering, embedded by their own text) for
#: `rendering_shift`'s two mean vectors, and the writes after which they are read again (a
#: mean over thousands of records moves little with a few more).
SHIFT_SAMPLE = 2_000
SHIFT_WRITES = 20


@dataclass(frozen=True)
class Rendering:
    """A text's language and its words in the other language ("" when there are none)."""

    language: str
    text: str


#: Renders a batch of texts (passages, sentences) in the other language.
Renderer = Callable[[Sequence[str]], list[Rendering]]


def searched_document(document: str, metadata: Mapping[str, Any]) -> str:
    """What BM25 reads for a record: its text and its rendering in the other language."""
    rendering = str(metadata.get("rendering", ""))
    return f"{document}\n{rendering}" if rendering else document


def _embedded(document: str, rendering: Rendering | None) -> str:
    # The model reads English only: a Finnish text is embedded by its English rendering.
    if rendering is not None and rendering.language == "fi" and rendering.text:
        return rendering.text
    return document


@dataclass(frozen=True)
class DenseHit:
    """One record found by vector search."""

    id: str
    passage_id: str
    owner: str
    level: str
    similarity: float


@dataclass(frozen=True)
class Entries:
    """A column-wise copy of (part of) the collection, for exact scoring in numpy."""

    ids: list[str]
    passage_ids: list[str]
    owners: list[str]
    levels: list[str]
    sentence_level: npt.NDArray[np.bool_]
    documents: list[str]
    metadatas: list[dict[str, MetadataValue]]
    embeddings: Vectors | None


@dataclass(frozen=True)
class LexicalView:
    """The BM25 index over passage-level records and the passages it was built from."""

    index: LexicalIndex
    ids: list[str]
    owners: list[str]
    position: dict[str, int]
    #: owner -> ids of all its records (passages and sentences), to fetch them by id
    record_ids: dict[str, list[str]]


#: Each set of metadata keys, once: key -> position of its value in a record's values.
_KEY_SETS: dict[tuple[str, ...], dict[str, int]] = {}


def _shared(value: MetadataValue) -> MetadataValue:
    # A record's owner, place, kind and title repeat across its records and many others: one
    # copy of each text (interned strings are freed with their last use).
    return sys.intern(value) if isinstance(value, str) else value


class KeptRecord:
    """One record as read from the collection, kept for later questions.

    Kept compactly, as a process keeps a whole 10,000-member collection (~130,000 records):
    the metadata's keys once per set of keys and its texts once per process, so a record
    costs its vector, its text and a tuple of references (~2.4 kB instead of ~7.9 kB as
    Chroma hands it over). ``metadata`` is a dict built for its reader; `field` and `view`
    read the values without building one.
    """

    __slots__ = ("_positions", "_values", "document", "vector")

    def __init__(self, document: str, metadata: Mapping[str, MetadataValue], vector: Any) -> None:
        # Sorted: Chroma hands each record's keys over in an order of its own.
        keys = tuple(sorted(sys.intern(k) for k in metadata))
        positions = _KEY_SETS.get(keys)
        if positions is None:
            positions = _KEY_SETS.setdefault(keys, {k: n for n, k in enumerate(keys)})
        self._positions = positions
        self._values = tuple(_shared(metadata[k]) for k in keys)
        self.document = document
        #: its row of the embedding matrix (a placeholder in a lexical-only index)
        self.vector = vector

    @property
    def metadata(self) -> dict[str, MetadataValue]:
        return dict(zip(self._positions, self._values, strict=True))

    def field(self, key: str) -> MetadataValue:
        """The value of one metadata key (KeyError when the record has none)."""
        return self._values[self._positions[key]]

    def view(self) -> Mapping[str, MetadataValue]:
        """The metadata as a read-only mapping, for a filter's test."""
        return _MetadataView(self._positions, self._values)


class _MetadataView(Mapping[str, MetadataValue]):
    __slots__ = ("_positions", "_values")

    def __init__(self, positions: dict[str, int], values: tuple[MetadataValue, ...]) -> None:
        self._positions = positions
        self._values = values

    def __getitem__(self, key: str) -> MetadataValue:
        return self._values[self._positions[key]]

    def __contains__(self, key: object) -> bool:
        return key in self._positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


def _owner(record: KeptRecord) -> str:
    return str(record.field("owner"))


class RecordCache:
    """Records by id, least recently used dropped beyond ``limit``, all dropped when the
    collection's revision changes (any process's write bumps it), so a record read here is
    never older than the revision checked before reading it."""

    def __init__(self, limit: int = RECORDS_KEPT, owners_limit: int = OWNERS_LISTED) -> None:
        self.limit = limit
        self.owners_limit = owners_limit
        self._records: OrderedDict[str, KeptRecord] = OrderedDict()
        #: owner -> the ids of its records in ``_records``: a write moves the records on by
        #: its owners' ids (scanning all 150,000 kept took tens of ms a write, under the lock
        #: every question's read waits for); lists, ~15 ids an owner (sets cost 10x the memory)
        self._kept_of: dict[str, list[str]] = {}
        #: owner -> the ids of its records, in the order Chroma lists them, joined by a
        #: newline (an id has none: `_ID_SEPARATOR`): a question whose candidates are listed
        #: here reads their records by id instead of listing them by owner
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._revision: str | None = None
        #: how many times everything kept was dropped at once (`PassageIndex.read_ahead_lost`)
        self.drops = 0
        self._lock = threading.Lock()

    def check(self, revision: str) -> None:
        """Forget everything if the collection changed since the records were read."""
        with self._lock:
            if revision != self._revision:
                self._drop_all()
                self._revision = revision

    def clear(self) -> None:
        with self._lock:
            self._drop_all()
            self._revision = None

    def _drop_all(self) -> None:
        if self._records or self._owners:
            self.drops += 1
        self._records.clear()
        self._kept_of.clear()
        self._owners.clear()

    @property
    def revision(self) -> str | None:
        """The collection's revision the kept records are of (None: nothing checked yet)."""
        return self._revision

    def forget(self, owners: Collection[str], since: str, revision: str) -> None:
        """Move the kept records from revision ``since`` to ``revision``, written meanwhile
        for ``owners`` only: their records are dropped, the rest stay. Kept at another
        revision than ``since``, everything is dropped (as `check`), unless they are at
        ``revision`` already: a question and the writer in this process both move them on
        after a write (the writer records the new revision before it moves its records), and
        whichever came second dropped every record (at 100,000 members, the questions after an
        import then read ~2,000 records each from Chroma, 1-1.5 s)."""
        with self._lock:
            if self._revision == revision:
                return
            if self._revision != since:
                self._drop_all()
            else:
                for owner in set(owners):
                    self._owners.pop(owner, None)
                    for rid in self._kept_of.pop(owner, ()):
                        del self._records[rid]
            self._revision = revision

    def owner_ids(self, owners: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The ids of the records of those ``owners`` whose ids are kept."""
        found: dict[str, tuple[str, ...]] = {}
        with self._lock:
            for owner in owners:
                ids = self._owners.get(owner)
                if ids is not None:
                    self._owners.move_to_end(owner)
                    found[owner] = tuple(ids.split(_ID_SEPARATOR)) if ids else ()
        return found

    def put_owner_ids(self, owners: Mapping[str, Sequence[str]], revision: str) -> None:
        """Keep these owners' record ids, listed at ``revision``: not if the collection has
        changed since (the list may be older than the records kept)."""
        with self._lock:
            if revision != self._revision:
                return
            for owner, ids in owners.items():
                self._owners[owner] = _ID_SEPARATOR.join(ids)
                self._owners.move_to_end(owner)
            while len(self._owners) > self.owners_limit:
                self._owners.popitem(last=False)

    def get_many(self, ids: Iterable[str]) -> dict[str, KeptRecord]:
        found: dict[str, KeptRecord] = {}
        with self._lock:
            for rid in ids:
                record = self._records.get(rid)
                if record is not None:
                    self._records.move_to_end(rid)
                    found[rid] = record
        return found

    def put_many(self, records: Mapping[str, KeptRecord], revision: str | None = None) -> None:
        """Keep these records, read at ``revision``: not if the collection has changed since
        (None: whatever the revision)."""
        with self._lock:
            if revision is not None and revision != self._revision:
                return
            for rid, record in records.items():
                before = self._records.get(rid)
                if before is not None:
                    self._unlist(rid, before)
                self._kept_of.setdefault(_owner(record), []).append(rid)
                self._records[rid] = record
                self._records.move_to_end(rid)
            while len(self._records) > self.limit:
                self._unlist(*self._records.popitem(last=False))

    def _unlist(self, rid: str, record: KeptRecord) -> None:
        owner = _owner(record)
        kept = self._kept_of.get(owner)
        if kept is not None and rid in kept:
            kept.remove(rid)
            if not kept:
                del self._kept_of[owner]

    def __len__(self) -> int:
        return len(self._records)


def _and(*clauses: Where | None) -> dict[str, Any] | None:
    parts = [dict(c) for c in clauses if c]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda value, wanted: bool(value == wanted),
    "$ne": lambda value, wanted: bool(value != wanted),
    "$gt": lambda value, wanted: bool(value > wanted),
    "$gte": lambda value, wanted: bool(value >= wanted),
    "$lt": lambda value, wanted: bool(value < wanted),
    "$lte": lambda value, wanted: bool(value <= wanted),
    "$in": lambda value, wanted: value in wanted,
    "$nin": lambda value, wanted: value not in wanted,
}
#: Operators a record without the key passes (as Chroma reads them).
_PASS_WHEN_MISSING = frozenset({"$ne", "$nin"})

MetadataTest = Callable[[Mapping[str, Any]], bool]


def metadata_filter(where: Where) -> MetadataTest | None:
    """A Chroma ``where`` filter as a test of one record's metadata, read as Chroma reads it
    (``$and``, ``$or``, the comparisons, ``{key: value}`` for ``$eq``); None when it uses
    anything else, and Chroma applies it instead. `tests/retrieval/test_index.py` holds it to
    Chroma's own answers."""
    if not isinstance(where, Mapping) or not where:
        return None
    if len(where) > 1:
        return metadata_filter({"$and": [{k: v} for k, v in where.items()]})
    ((key, condition),) = where.items()
    if key in ("$and", "$or"):
        if not isinstance(condition, list) or not condition:
            return None
        parts = [metadata_filter(c) for c in condition]
        if any(p is None for p in parts):
            return None
        tests = [p for p in parts if p is not None]
        if key == "$and":
            return lambda meta: all(t(meta) for t in tests)
        return lambda meta: any(t(meta) for t in tests)
    if key.startswith("$"):
        return None
    if not isinstance(condition, Mapping):
        condition = {"$eq": condition}
    if len(condition) != 1:
        return None
    ((op, wanted),) = condition.items()
    compare = _COMPARE.get(op)
    if compare is None:
        return None

    def test(meta: Mapping[str, Any]) -> bool:
        if key not in meta:
            return op in _PASS_WHEN_MISSING
        try:
            return compare(meta[key], wanted)
        except TypeError:  # a number compared with a text: no match
            return False

    return test


def _include(embeddings: bool) -> list[str]:
    return ["documents", "metadatas"] + (["embeddings"] if embeddings else [])


def _placeholder_vector(record_id: str) -> list[float]:
    # Distinct points keep Chroma's HNSW graph healthy (identical vectors degrade it).
    angle = int(hashlib.sha1(record_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF * 6.283
    return [float(np.cos(angle)), float(np.sin(angle))]


class PassageIndex:
    """Passages of many owners in one Chroma collection, searchable densely and by BM25.

    ``client`` is any Chroma client (``PersistentClient``, ``EphemeralClient``,
    ``HttpClient``). The collection name gets the embedder's key as a suffix, so changing
    the model starts a fresh collection (filled by a reindex) instead of mixing vectors.
    """

    def __init__(
        self,
        client: Any,
        embedder: Embedder | None,
        name: str = "passages",
        fulltext: FullTextSearch | None = None,
        renderer: Renderer | None = None,
        owner_of: Callable[[str], str] | None = None,
    ) -> None:
        self.client = client
        self.embedder = embedder
        #: lexical search in the store (the bot's); None: the in-memory BM25 below, rebuilt
        #: from the collection (an index without a store: benchmarks, the index's own tests)
        self.fulltext = fulltext
        #: renders each text in the other language when it is written (see the module's doc)
        self.renderer = renderer
        #: a record's owner read from its id, where ids say it (the bot's: "member:12:..."):
        #: `warm` then lists every owner's ids, not only those of the records it keeps
        self.owner_of = owner_of
        suffix = embedder.key if embedder is not None else "lexical"
        self.name = f"{name}-{suffix}"
        self.collection: Any = client.get_or_create_collection(
            self.name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": suffix},
            embedding_function=None,  # we embed ourselves: batching, and no config coupling
        )
        self._revisions: Any = client.get_or_create_collection(
            f"{self.name}-revision", embedding_function=None
        )
        self._lock = threading.Lock()
        self._lexical: LexicalView | None = None
        self._lexical_revision: str | None = None
        #: the records questions score, kept between questions (see RECORDS_KEPT)
        self.records = RecordCache()
        #: the revision a thread's question reads under (`one_revision`)
        self._pinned = threading.local()
        #: `warm` was asked for, and the count of `RecordCache.drops` its last complete run
        #: left the records at (None: none complete): see `read_ahead_lost`
        self._read_ahead_wanted = False
        self._read_ahead_at: int | None = None
        #: `rendering_shift` as of (revision, count of writes), and whether it is being
        #: measured again
        self._shift: tuple[str, int, npt.NDArray[np.float64] | None] | None = None
        self._shift_measuring = False
        self._shift_lock = threading.Lock()

    @property
    def dense(self) -> bool:
        """Whether vector search is available (an embedder is configured)."""
        return self.embedder is not None

    @property
    def written(self) -> bool:
        """Whether anything was ever written to the collection (each write records a
        revision): a new Chroma folder or server, or another embedding model (whose
        collections are named apart), starts unwritten."""
        return bool(self._revision_record())

    # -- writing ---------------------------------------------------------------------------

    def upsert(self, passages: Sequence[Passage]) -> None:
        """Add or replace passages (and their sentences); stale sentences are removed."""
        if not passages:
            return
        self._delete_sentences([p.id for p in passages])
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, MetadataValue]] = []
        rendered: list[Rendering | None] = []
        for p in passages:
            clash = RESERVED_KEYS & p.metadata.keys()
            if clash:
                raise ValueError(f"passage {p.id}: metadata keys {sorted(clash)} are reserved")
            base: dict[str, MetadataValue] = {
                **p.metadata,
                "owner": p.owner,
                "kind": p.kind,
                "title": p.title,
                "parent": p.id,
            }
            document = p.document()
            sentences = split_sentences(document) if self.dense else []
            ids.append(p.id)
            docs.append(document)
            metas.append(
                {
                    **base,
                    "level": "passage",
                    "hash": p.content_hash(),
                    "sentence_level": len(sentences) <= 1,
                    "sentences": len(sentences) if len(sentences) > 1 else 0,
                }
            )
            if len(sentences) > 1:
                for n, sentence in enumerate(sentences):
                    ids.append(f"{p.id}::s{n}")
                    docs.append(sentence)
                    metas.append({**base, "level": "sentence", "sentence_level": True})
        if self.renderer is not None:
            renderings = self.renderer(docs)
            for meta, rendering in zip(metas, renderings, strict=True):
                meta["text_language"] = rendering.language
                if rendering.text:
                    meta["rendering"] = rendering.text
            rendered = list(renderings)
        else:
            rendered = [None] * len(docs)
        vectors = self._embed_documents(
            ids, [_embedded(d, r) for d, r in zip(docs, rendered, strict=True)]
        )
        step = self._batch_size()
        for start in range(0, len(ids), step):
            end = start + step
            self.collection.upsert(
                ids=ids[start:end],
                documents=docs[start:end],
                metadatas=metas[start:end],
                embeddings=vectors[start:end],
            )
        if self.fulltext is not None and self.renderer is not None:
            self.fulltext.write_renderings(
                [
                    PassageRendering(
                        rid,
                        str(meta["owner"]),
                        "en" if r is not None and r.language == "fi" else "fi",
                        r.text if r is not None else "",
                    )
                    for rid, meta, r in zip(ids, metas, rendered, strict=True)
                    if meta["level"] == "passage"
                ]
            )
        self._bump_revision({str(m["owner"]) for m in metas})

    def delete(self, ids: Sequence[str]) -> None:
        """Remove passages by id, with their sentences."""
        if not ids:
            return
        self._delete_sentences(ids)
        for start in range(0, len(ids), _PAGE):
            self.collection.delete(ids=list(ids[start : start + _PAGE]))
        if self.fulltext is not None:
            self.fulltext.delete_renderings(passage_ids=ids)
        self._bump_revision()

    def delete_owner(self, owner: str) -> None:
        """Remove every passage of ``owner``."""
        self.delete_owners([owner])

    def delete_owners(self, owners: Sequence[str]) -> None:
        """Remove every passage of each of ``owners`` (a few Chroma calls, not one each)."""
        if not owners:
            return
        for start in range(0, len(owners), 500):
            group = list(owners[start : start + 500])
            self.collection.delete(where={"owner": {"$in": group}})
        if self.fulltext is not None:
            self.fulltext.delete_renderings(owners=owners)
        self._bump_revision(set(owners))

    def clear(self) -> None:
        """Remove everything (a full reindex follows)."""
        ids = self.ids_and_hashes()
        self.delete(list(ids))

    # -- reading ---------------------------------------------------------------------------

    def count(self) -> int:
        """Number of passages (not counting sentence records)."""
        return len(self.ids_and_hashes())

    def ids_and_hashes(self) -> dict[str, str]:
        """``{passage id: content hash}`` as stored, to compare with the store for drift."""
        out: dict[str, str] = {}
        for rows in self._pages(where={"level": "passage"}, include=["metadatas"]):
            for rid, meta in zip(rows["ids"], rows["metadatas"], strict=True):
                out[rid] = str(meta.get("hash", ""))
        return out

    def unrendered_ids(self) -> list[str]:
        """Passages stored without their rendering in the other language (written before
        renderings, or by an index without a renderer); none when this index renders none."""
        if self.renderer is None:
            return []
        return sorted(
            rid
            for rows in self._pages(where={"level": "passage"}, include=["metadatas"])
            for rid, meta in zip(rows["ids"], rows["metadatas"], strict=True)
            if "text_language" not in meta
        )

    def owners(self) -> list[str]:
        """Every owner with at least one passage, sorted."""
        pages = self._pages(where={"level": "passage"}, include=["metadatas"])
        return sorted({str(m["owner"]) for rows in pages for m in rows["metadatas"]})

    def embed_query(self, texts: Sequence[str]) -> Vectors:
        """Embed query texts with the index's embedder (dense mode only)."""
        if self.embedder is None:
            raise RuntimeError("no embedder: the index is lexical-only")
        return self.embedder.embed(texts)

    def dense_search(
        self,
        query: str | Vectors,
        n: int = 50,
        where: Where | None = None,
        level: str | None = "passage",
        *,
        found: Callable[[set[str]], None] | None = None,
    ) -> list[list[DenseHit]]:
        """Nearest records by cosine similarity, one hit list per query vector.

        ``level`` "passage" searches whole passages, "sentence" the sentence records
        (including one-sentence passages), None both. ``where`` is a Chroma metadata filter.
        Both are applied here to the hits of an unfiltered search: Chroma's filtered search
        costs in proportion to the whole collection (three query vectors: 86 ms at 14,000
        records, 429 ms at 140,000, against 3 ms unfiltered). When too few of the hits pass a
        narrow filter, Chroma filters after all.

        ``found``, where ids say their owner (``owner_of``), is told the owners of the first
        ``n`` records Chroma found for each vector as soon as it has found them, before their
        records are read (most of the hits' owners: a question starts its full-text search
        then).
        """
        if self.embedder is None:
            return []
        vectors = self.embed_query([query]) if isinstance(query, str) else query
        embeddings = [v for v in np.asarray(vectors, dtype=np.float32)]
        test = metadata_filter(where) if where else None

        def at_level(meta: Mapping[str, Any]) -> bool:
            return (
                level is None
                or (level == "passage" and meta["level"] == "passage")
                or (level == "sentence" and bool(meta["sentence_level"]))
            )

        if where is None or test is not None:
            requested = max(1, (1 if level is None else 2) * (1 if where is None else 4) * n)
            result = self._query(
                query_embeddings=embeddings, n_results=requested, include=["distances"]
            )
            if found is not None and self.owner_of is not None:
                found({self.owner_of(rid) for ids in result["ids"] for rid in ids[: max(1, n)]})
            hits = self._hits(
                result, lambda m: at_level(m) and (test is None or test(m)), max(1, n)
            )
            short = where is not None and any(
                len(found) < n and len(ids) == requested
                for found, ids in zip(hits, result["ids"], strict=True)
            )
            if not short:
                return hits
        level_clause: dict[str, Any] | None = None
        if level == "passage":
            level_clause = {"level": "passage"}
        elif level == "sentence":
            level_clause = {"sentence_level": True}
        result = self._query(
            query_embeddings=embeddings,
            n_results=max(1, n),
            where=_and(level_clause, where),
            include=["distances"],
        )
        return self._hits(result, at_level, max(1, n))

    def _query(self, *, query_embeddings: list[Any], **options: Any) -> Any:
        """`collection.query`, asked again while the server has the collection's first
        vectors in flight (see NOT_ON_DISK_WAITS); if they are still not there, no dense hits:
        the question is answered from the lexical side rather than not at all."""
        waits = iter(NOT_ON_DISK_WAITS)
        while True:
            try:
                return self.collection.query(query_embeddings=query_embeddings, **options)
            except Exception as exc:
                if _NOT_ON_DISK not in str(exc):
                    raise
                wait = next(waits, None)
                if wait is None:
                    logger.warning(
                        "%s: vectors still being written by another process (%s); "
                        "searching without them this time",
                        self.name,
                        exc,
                    )
                    return {
                        "ids": [[] for _ in query_embeddings],
                        "distances": [[] for _ in query_embeddings],
                    }
                time.sleep(wait)

    def _hits(self, result: Any, keep: MetadataTest, n: int) -> list[list[DenseHit]]:
        """A query's hits that ``keep`` passes, ``n`` at most per query vector.

        The metadata from the records kept (their owners are scored next anyway); not asked
        of the query itself: its metadata for every hit (~800) cost a warm question more than
        reading the few hits not kept.

        The hits are read in rank order, ``n`` per query vector at a time, until each vector
        has ``n`` that pass: the hits further down (asked for in case a filter refuses many)
        are read from Chroma only when it does."""
        revision = self._current_revision()
        records: dict[str, KeptRecord] = {}
        hits: list[list[DenseHit]] = [[] for _ in result["ids"]]
        seen = [0] * len(hits)
        while True:
            wanted = [
                rid
                for found, ids, at in zip(hits, result["ids"], seen, strict=True)
                if len(found) < n
                for rid in ids[at : at + n]
            ]
            if not wanted:
                return hits
            records.update(self.read(wanted, revision))
            for q, (ids, dists) in enumerate(zip(result["ids"], result["distances"], strict=True)):
                at, found = seen[q], hits[q]
                for rid, dist in zip(ids[at : at + n], dists[at : at + n], strict=True):
                    if len(found) >= n:
                        break
                    record = records.get(rid)  # None: deleted since the search
                    if record is not None and keep(record.view()):
                        found.append(
                            DenseHit(
                                id=rid,
                                passage_id=str(record.field("parent")),
                                owner=_owner(record),
                                level=str(record.field("level")),
                                similarity=1.0 - float(dist),
                            )
                        )
                seen[q] = at + n

    def entries(
        self,
        where: Where | None = None,
        owners: Iterable[str] | None = None,
        embeddings: bool = True,
    ) -> Entries:
        """All records (both levels) matching ``where`` and belonging to ``owners``.

        With ``owners`` (a question's candidates) only the matching ids are asked of Chroma,
        with its own filter; the records come from those kept in the process (`read`).
        """
        if owners is None:
            return self._entries_of_pages(
                self._pages(where=_and(where), include=_include(embeddings)), embeddings
            )
        owner_list = sorted(set(owners))
        # The filter is applied here to the records read (see dense_search), unless it uses
        # something `metadata_filter` does not read.
        test = metadata_filter(where) if where else None
        in_chroma = where if where and test is None else None
        ids: list[str] = []
        if self._reads_owners_kept(where):
            ids, records = self._records_of(owner_list)
        elif self.fulltext is not None:
            # Chroma applies the filter to the listing: nothing kept is read for it.
            for i in range(0, len(owner_list), 500):
                clause = _and({"owner": {"$in": owner_list[i : i + 500]}}, in_chroma)
                ids.extend(self.collection.get(where=clause, include=[])["ids"])
            records = self.read(ids)
        else:
            # The ids of each owner's records are known from the (revision-checked) lexical
            # view.
            view = self.lexical()
            wanted = [rid for o in owner_list for rid in view.record_ids.get(o, [])]
            for i in range(0, len(wanted), _PAGE):
                page = wanted[i : i + _PAGE]
                ids.extend(
                    self.collection.get(ids=page, where=_and(in_chroma), include=[])["ids"]
                    if in_chroma
                    else page
                )
            records = self.read(ids)
        kept = [
            rid for rid in ids if rid in records and (test is None or test(records[rid].view()))
        ]
        rows = {
            "ids": kept,
            "documents": [records[rid].document for rid in kept],
            "metadatas": [records[rid].metadata for rid in kept],
            "embeddings": [records[rid].vector for rid in kept],
        }
        return self._entries_of_pages([rows], embeddings)

    def read_owners(self, owners: Collection[str], where: Where | None = None) -> None:
        """Read the records of ``owners`` that `entries` (with the same ``where``) would read
        from Chroma, and keep them, ahead of it: a question reads its vector candidates'
        while its full-text search runs."""
        if self._reads_owners_kept(where):
            self._records_of(sorted(set(owners)))

    def _reads_owners_kept(self, where: Where | None) -> bool:
        """Whether `entries` reads ``owners``' records under ``where`` through those kept
        (`_records_of`): with the store's full text, and a filter applied here
        (`metadata_filter`), not Chroma's."""
        return self.fulltext is not None and not (where and metadata_filter(where) is None)

    def _records_of(self, owners: Sequence[str]) -> tuple[list[str], dict[str, KeptRecord]]:
        """The ids of every record of ``owners`` and the records, by id.

        The owners whose ids are kept (`RecordCache.owner_ids`) come first, in the order
        given; the rest are listed in Chroma (one call per 500 owners) and follow in Chroma's
        order, and their ids are kept for the next question. An owner's records keep
        Chroma's order either way; only the owners' order can differ, which scoring does not
        read (it groups rows by owner).
        """
        revision = self._current_revision()
        self._check_records(revision)
        listed = self.records.owner_ids(owners)
        unlisted = [o for o in owners if o not in listed]
        ids = [rid for o in owners for rid in listed.get(o, ())]
        records = self.read(ids, revision)
        # The owners not listed yet: their records read whole by owner, one call per 500
        # owners, rather than listed by owner and then read by id (a second call, ~30 ms at
        # 10,000 members).
        by_owner: dict[str, list[str]] = {}
        for i in range(0, len(unlisted), 500):
            clause = {"owner": {"$in": unlisted[i : i + 500]}}
            fetched = self._keep(
                self.collection.get(where=clause, include=_include(True)), revision
            )
            ids.extend(fetched)
            records.update(fetched)
            for rid, record in fetched.items():
                by_owner.setdefault(_owner(record), []).append(rid)
        if unlisted:
            self.records.put_owner_ids({o: by_owner.get(o, []) for o in unlisted}, revision)
        return ids, records

    def read(self, ids: Sequence[str], revision: str | None = None) -> dict[str, KeptRecord]:
        """The records with these ids that are in the collection, by id: those kept in the
        process (`RecordCache`) unless the collection changed since, the rest from Chroma.
        ``revision``: the collection's, just read by the caller (not asked again)."""
        revision = self._current_revision() if revision is None else revision
        self._check_records(revision)
        found = self.records.get_many(ids)
        missing = list(dict.fromkeys(rid for rid in ids if rid not in found))
        size = min(_PAGE, max(READ_PART, -(-len(missing) // max(1, READ_PARTS))))
        parts = [missing[start : start + size] for start in range(0, len(missing), size)]

        def get(part: list[str]) -> Any:
            return self.collection.get(ids=part, include=_include(True))

        for rows in _READS.map(get, parts) if len(parts) > 1 else map(get, parts):
            found.update(self._keep(rows, revision))
        return found

    def _keep(self, rows: Any, revision: str | None = None) -> dict[str, KeptRecord]:
        """Records as Chroma handed them over (``_include(True)``), by id in its order, kept
        for later questions if the collection is still at ``revision``, at which they were
        read."""
        fetched = {
            rid: KeptRecord(str(doc), dict(meta), np.array(vector, dtype=KEPT_VECTOR))
            for rid, doc, meta, vector in zip(
                rows["ids"], rows["documents"], rows["metadatas"], rows["embeddings"], strict=True
            )
        }
        self.records.put_many(fetched, revision)
        return fetched

    def warm(self, stop: threading.Event | None = None) -> int:
        """Read the collection's records into the process (`RecordCache`, up to its limit),
        a page at a time, with each owner's ids (with ``owner_of``, the ids of the owners past
        the limit too, listed alone): a serving process does it in the background
        once started, so its questions score kept records instead of reading 1,000-2,000 of
        them from Chroma (~0.2 ms each at 10,000 members: most of a cold question). Stops
        when ``stop`` is set or another process writes (the records are dropped then anyway,
        and read again by the questions that need them). Returns the records read."""
        self._read_ahead_wanted = True
        revision = self._read_revision()
        self._check_records(revision)
        drops = self.records.drops
        if self._shift is None:  # measured here, not by the process's first Finnish question
            self._measure_shift(revision, self._write_count())
        by_owner: dict[str, list[str]] = {}
        read = 0
        for rows in self._pages(where=None, include=_include(True)):
            if (stop is not None and stop.is_set()) or self._read_revision() != revision:
                return read
            for rid, record in self._keep(rows, revision).items():
                by_owner.setdefault(_owner(record), []).append(rid)
            read += len(rows["ids"])
            if read >= self.records.limit:
                break
        else:
            self.records.put_owner_ids(by_owner, revision)
            release_freed_heap()
            self._read_ahead_at = drops
            return read
        release_freed_heap()
        if self.owner_of is None:
            self._read_ahead_at = drops
            return read  # owners cut off at the limit would be listed incomplete
        # The rest of the collection by id alone (~1 minute for 1.4 million at 100,000 members):
        # every owner listed, so a question reads its candidates' records by id.
        for rows in self._pages(where=None, include=[], start=read, size=_ID_PAGE):
            if (stop is not None and stop.is_set()) or self._read_revision() != revision:
                return read
            for rid in rows["ids"]:
                by_owner.setdefault(self.owner_of(rid), []).append(rid)
        self.records.put_owner_ids(by_owner, revision)
        # Chroma's pages were read and dropped: ~160 MB at 10,000 members that glibc would
        # otherwise keep (1,074 MB against 916 MB after reading ahead, measured).
        release_freed_heap()
        self._read_ahead_at = drops
        return read

    def revision(self) -> str:
        """The collection's revision: a new one after every write, by any process."""
        return self._read_revision()

    def read_ahead_lost(self, revision: str | None = None) -> bool:
        """Whether `warm` was asked for and what it read is gone: it stopped before the end
        (a write meanwhile), or every kept record was dropped since, by a write too large to
        log by owner (`CHANGE_OWNERS`, an import) in this process or another. Questions then
        list their candidates by owner again (at 100,000 members ~2x a question's time)
        until `warm` runs again. The kept records are brought to the collection's revision
        first (``revision``, when the caller has just read it), as a question would."""
        if not self._read_ahead_wanted:
            return False
        self._check_records(self._read_revision() if revision is None else revision)
        return self._read_ahead_at != self.records.drops

    def rendering_shift(self) -> npt.NDArray[np.float64] | None:
        """The mean vector of the records embedded by their rendering (Finnish texts, by
        their English terms) minus that of the records embedded by their own text; None when
        the collection lacks either kind. A query's dot product with it is how much nearer
        the query is, on average, to the first kind: a list of terms (a Finnish need's
        glossary English) meets every other list of terms better than it meets sentences, and
        Finnish profiles came before the English ones that do the work (`ranking._align`).

        Estimated from up to SHIFT_SAMPLE records of each kind: by the first caller in a
        process (`warm`, in a serving process), then again in the background after
        SHIFT_WRITES writes (any process's), the question meanwhile using the estimate it has
        (the two reads take ~250 ms at 100,000 members)."""
        revision = self._current_revision()
        with self._shift_lock:
            known = self._shift
        if known is not None and known[0] == revision:
            return known[2]
        seq = self._write_count()
        if known is None:
            return self._measure_shift(revision, seq)
        with self._shift_lock:
            if seq - known[1] < SHIFT_WRITES:
                if self._shift is known:  # not measured again meanwhile
                    self._shift = (revision, known[1], known[2])
                return known[2]
            start, self._shift_measuring = not self._shift_measuring, True
        if start:
            _READS.submit(self._measure_shift, revision, seq)
        return known[2]

    def _measure_shift(self, revision: str, seq: int) -> npt.NDArray[np.float64] | None:
        means = []
        try:
            for where in ({"text_language": "fi"}, {"text_language": {"$ne": "fi"}}):
                rows = self.collection.get(where=where, limit=SHIFT_SAMPLE, include=["embeddings"])
                vectors = rows["embeddings"]
                if vectors is None or len(vectors) == 0:
                    break
                means.append(np.asarray(vectors, dtype=np.float64).mean(axis=0))
        except Exception as exc:  # a refinement of the ranking: never a question's failure
            logger.warning("could not measure the renderings' lean, ranking without it: %s", exc)
            with self._shift_lock:
                self._shift_measuring = False
                if self._shift is None:
                    self._shift = (revision, seq, None)
                return self._shift[2]  # the estimate it had stays
        shift: npt.NDArray[np.float64] | None = means[0] - means[1] if len(means) == 2 else None
        with self._shift_lock:
            self._shift = (revision, seq, shift)
            self._shift_measuring = False
        return shift

    @staticmethod
    def _entries_of_pages(pages: Iterable[Any], embeddings: bool) -> Entries:
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, MetadataValue]] = []
        vectors: list[Any] = []
        for rows in pages:
            ids.extend(rows["ids"])
            docs.extend(rows["documents"])
            metas.extend(rows["metadatas"])
            if embeddings:
                vectors.extend(rows["embeddings"])
        matrix = np.asarray(vectors, dtype=np.float32) if embeddings and vectors else None
        if embeddings and matrix is None:
            matrix = np.zeros((0, 1), dtype=np.float32)
        return Entries(
            ids=ids,
            passage_ids=[str(m["parent"]) for m in metas],
            owners=[str(m["owner"]) for m in metas],
            levels=[str(m["level"]) for m in metas],
            sentence_level=np.array([bool(m["sentence_level"]) for m in metas], dtype=bool),
            documents=docs,
            metadatas=metas,
            embeddings=matrix,
        )

    def lexical(self) -> LexicalView:
        """The BM25 view, rebuilt if any process changed the collection since last time."""
        revision = self._current_revision()
        with self._lock:
            if self._lexical is None or revision != self._lexical_revision:
                entries = self.entries(where={"level": "passage"}, embeddings=False)
                record_ids: dict[str, list[str]] = {}
                for rid, owner, meta in zip(
                    entries.ids, entries.owners, entries.metadatas, strict=True
                ):
                    n = int(meta.get("sentences", 0))
                    record_ids.setdefault(owner, []).extend(
                        [rid, *(f"{rid}::s{k}" for k in range(n))]
                    )
                self._lexical = LexicalView(
                    index=LexicalIndex(
                        [
                            searched_document(d, m)
                            for d, m in zip(entries.documents, entries.metadatas, strict=True)
                        ]
                    ),
                    ids=entries.ids,
                    owners=entries.owners,
                    position={rid: i for i, rid in enumerate(entries.ids)},
                    record_ids=record_ids,
                )
                self._lexical_revision = revision
            return self._lexical

    def allowed_owners(
        self, owners: Iterable[str], where: Where, enough: int | None = None
    ) -> set[str]:
        """Those of ``owners`` with a passage matching a Chroma filter.

        With ``enough``, owners are checked in the order given, a group at a time, until that
        many are allowed: the first ``enough`` allowed owners in that order are then all in
        the answer, and the records of owners further down are never read.

        The filter is read from the owners' records as `entries` reads them (`_records_of`:
        kept in the process, or listed by owner once and kept), so the owners a question
        scores next are not listed and read from Chroma twice, and Chroma's filtered listing
        (in proportion to the whole collection: ~435 ms against ~68 ms by owner alone for 60
        owners at 2,000 members, loaded machine) is not asked. A filter `metadata_filter`
        cannot read is still Chroma's.
        """
        owner_list = list(dict.fromkeys(owners))
        test = metadata_filter(where)  # applied here, as in `entries`
        out: set[str] = set()
        start = 0
        while start < len(owner_list):
            # The first group is as many as are wanted (most owners pass a solver filter);
            # then what is still missing and a quarter more.
            need = len(owner_list) if enough is None else enough - len(out)
            step = min(500, max(1, need if start == 0 else need + need // 4))
            group = owner_list[start : start + step]
            start += step
            if test is not None:
                _, found = self._records_of(group)
                records: Iterable[KeptRecord] = found.values()
            else:
                clause = _and({"level": "passage"}, {"owner": {"$in": group}}, where)
                records = self.read(self.collection.get(where=clause, include=[])["ids"]).values()
            out.update(
                _owner(r)
                for r in records
                if r.field("level") == "passage" and (test is None or test(r.view()))
            )
            if enough is not None and len(out) >= enough:
                break
        return out

    def allowed_ids(self, where: Where) -> set[str]:
        """Passage ids matching a Chroma filter (Chroma's own filter semantics)."""
        out: set[str] = set()
        for rows in self._pages(where=_and({"level": "passage"}, where), include=[]):
            out.update(rows["ids"])
        return out

    # -- internals -------------------------------------------------------------------------

    def _embed_documents(self, ids: list[str], docs: list[str]) -> list[Any]:
        if self.embedder is None:
            return [_placeholder_vector(i) for i in ids]
        return list(self.embedder.embed(docs))

    def _delete_sentences(self, passage_ids: Sequence[str]) -> None:
        for start in range(0, len(passage_ids), 500):
            group = list(passage_ids[start : start + 500])
            clause = {"$and": [{"parent": {"$in": group}}, {"level": "sentence"}]}
            self.collection.delete(where=clause)

    def _pages(
        self, where: dict[str, Any] | None, include: list[str], start: int = 0, size: int = 0
    ) -> Iterable[Any]:
        size = size or _PAGE
        offset = start
        while True:
            rows = self.collection.get(where=where, include=include, limit=size, offset=offset)
            if not rows["ids"]:
                return
            yield rows
            if len(rows["ids"]) < size:
                return
            offset += size

    def _batch_size(self) -> int:
        try:
            return max(1, min(5000, int(self.client.get_max_batch_size())))
        except Exception:  # older servers do not report it
            return 1000

    def _bump_revision(self, owners: Collection[str] | None = None) -> None:
        """A new revision of the collection, after a write of ``owners``' records (None: any
        records). The write is logged with the revision it followed, so a process keeping
        records of that revision drops only those owners' (`_check_records`); the log keeps
        the last CHANGES_KEPT writes. One writer at a time, as the index lease makes every
        write of the outbox, the rebuild and the import (two at once could each log its
        owners after the same revision, and one log would be lost)."""
        meta = self._revision_record()
        since, seq = str(meta.get("rev", "")), int(meta.get("seq", 0)) + 1
        revision = uuid.uuid4().hex
        logged = bool(since) and owners is not None and len(owners) <= CHANGE_OWNERS
        if logged and owners is not None:
            self._revisions.upsert(
                ids=[f"change:{revision}"],
                embeddings=[[1.0]],
                metadatas=[
                    {"kind": "change", "since": since, "seq": seq, "owners": "\n".join(owners)}
                ],
            )
        self._revisions.upsert(
            ids=["revision"], embeddings=[[1.0]], metadatas=[{"rev": revision, "seq": seq}]
        )
        if seq > CHANGES_KEPT:
            old = {"$and": [{"kind": "change"}, {"seq": {"$lte": seq - CHANGES_KEPT}}]}
            self._revisions.delete(where=old)
        if logged and owners is not None:
            self.records.forget(owners, since, revision)
        else:
            self.records.clear()

    def _check_records(self, revision: str) -> None:
        """Bring the kept records to ``revision``: only the owners written since theirs are
        dropped when the log of writes reaches back to it, else every record (`check`). At
        100,000 members every process dropped all 150,000 records it kept after any write,
        and read its next question's candidates from Chroma again (~1 s)."""
        kept = self.records.revision
        if kept is None or kept == revision:
            self.records.check(revision)
            return
        log = self._change_log()
        owners = self._owners_written(kept, revision, log)
        if owners is not None:
            self.records.forget(owners, kept, revision)
        elif self._owners_written(revision, kept, log) is None:
            self.records.check(revision)
        # else a question pinned to a revision the kept records have already moved past (this
        # process wrote meanwhile, or a question at the newer one came first): they stay, as
        # they are newer, and what the question reads is not kept (`put_many`). Dropped, every
        # question overlapping a write emptied the process's records (at 100,000 members the
        # questions after an import took 1.5-2.7 s, its background indexing writing on).

    def _change_log(self) -> dict[str, Mapping[str, Any]]:
        """The log of writes by owner (the last CHANGES_KEPT), by the revision each made."""
        rows = self._revisions.get(where={"kind": "change"}, include=["metadatas"])
        return {
            rid.removeprefix("change:"): meta
            for rid, meta in zip(rows["ids"], rows["metadatas"], strict=True)
        }

    def _owners_written(
        self, since: str, revision: str, log: Mapping[str, Mapping[str, Any]] | None = None
    ) -> set[str] | None:
        """The owners written from revision ``since`` to ``revision`` (None: not known, the
        log not reaching back so far or a write not logged by owner)."""
        log = self._change_log() if log is None else log
        owners: set[str] = set()
        at = revision
        while at != since:
            entry = log.get(at)
            if entry is None:
                return None
            owners.update(o for o in str(entry["owners"]).split("\n") if o)
            at = str(entry["since"])
        return owners

    @contextmanager
    def one_revision(self) -> Iterator[None]:
        """Within: the collection's revision is read once, not before each read (a Chroma
        call each, 3-4 a question). For one question's reads: a write by another process
        meanwhile is seen by the next question, as a write just after this one would be."""
        before = getattr(self._pinned, "revision", None)
        self._pinned.revision = self._read_revision() if before is None else before
        try:
            yield
        finally:
            self._pinned.revision = before

    def _current_revision(self) -> str:
        pinned: str | None = getattr(self._pinned, "revision", None)
        return pinned if pinned is not None else self._read_revision()

    def _read_revision(self) -> str:
        return str(self._revision_record().get("rev", ""))

    def _write_count(self) -> int:
        """How many writes the collection has had (``seq`` of `_revision_record`)."""
        return int(self._revision_record().get("seq", 0))

    def _revision_record(self) -> Mapping[str, Any]:
        """The collection's revision and its count of writes ({} before the first write)."""
        rows = self._revisions.get(ids=["revision"], include=["metadatas"])
        return rows["metadatas"][0] if rows["ids"] else {}
