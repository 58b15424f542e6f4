"""Scale benchmark: the bot's whole search path at 1,000 to 100,000 members.

For each size, synthetic but realistic members (a description, three capabilities,
technologies, two references, a contact person with expertise; Finnish and English places) go
through the real importer into a fresh store (SQLite, or a scratch PostgreSQL database) and
are indexed by `SolverSearch.index_all`, as `scic import` does. It prints

* import time (store and full-text texts, one transaction) and indexing time;
* the first question after a further 5,000-member import left to the background (the index
  behind: the question may index for INDEX_WAIT_MS, then says it is behind);
* the time to read the members' records into the process, as `scic serve` does in the
  background once started (`SolverSearch.start_warm_up`);
* question p50 / p95 (`suggest_solvers`, the query embedded for real, with the process warm)
  over 40 different questions, against two baselines asked the same questions in turns in the
  same run (the ratios are the figures to compare across runs on a busy machine): the path
  before 2026-12-07 (`_IndexBefore`), this code keeping no records between questions, this
  code reading ahead only the records it keeps (no other owner's ids listed), and this code
  reading its candidates' records as before 2026-12-07 (later): after its full-text search
  instead of during it, and in one request instead of in parts at once (and during it in one
  request: the parts' own share);
  then the same 40 asked again;
* peak memory of the process (which also imported and indexed) and its memory after the
  questions with the records it kept; a second process that opens the same store and index
  and answers one question, with its start time (interpreter start to the first answer) and
  peak memory, then its memory once it keeps every record of the collection (up to
  `RECORDS_KEPT`), as a serving process grows to.

Embedding 100,000 members' passages for real would take hours on two cores: passage texts are
made of 3,900 capability phrases, each embedded once with the real model, and a passage's
vector is the normalised sum of its phrases' vectors (bench.speed does the same); the short
texts that are no phrase (names) get a fixed pseudo-random vector. Queries are embedded for
real.

At 100,000 members building the store takes most of an hour on two cores, and the path before
2026-12-07 cannot answer its 40 questions in the time left: ``--keep DIR`` leaves each size's
store (SQLite file, or the URL of a PostgreSQL database it made, and Chroma folder) in
``DIR/<size>``, ``--reuse DIR`` asks the questions of
a store kept so (catching its index up first, and importing the later members after those it
holds), and ``--skip-before`` leaves out the path before 2026-12-07 (the print says so; its
ratio then comes from a smaller size). ``--progress`` prints each phase's time and memory to
stderr as it ends. One text a member is no phrase: a first reference's description, a phrase
and a context, which the model embeds (twice, passage and sentence), 88% of the indexing time
at 100,000 members; ``--fast-index`` sums the phrase's and the context's vectors instead, so no
passage is embedded by the model (the printed index time says so; it is then not comparable
with runs without it).

``--chroma server`` keeps the index in a `chroma run` server that the benchmark starts on a
free loopback port (storing in the same folder), as the README's deployment at scale does: the
process's memory is then the bot's own, and the server's is printed beside it.

    python -m bench.scale --model-dir DIR [--sizes 1000 10000 100000] [--postgres URL]
        [--compare-bm25] [--skip-before] [--keep DIR | --reuse DIR] [--progress]
        [--fast-index] [--chroma embedded|server]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select

from bench.expertise import DEFAULT_POSTGRES, new_database, scratch_store
from bench.speed import CONTEXTS, OBJECTS, QUERIES, phrase_vocabulary
from retrieval import index as index_module
from retrieval import ranking
from retrieval.embedding import Embedder, MiniLMEmbedder, Vectors
from retrieval.fulltext import FullTextSearch
from retrieval.index import DenseHit, MetadataTest, PassageIndex, Where, metadata_filter
from retrieval.profiles import record_owner
from storage import migrate
from storage.db import make_engine, session_scope
from storage.index_models import LexicalRecord
from storage.lexical import RENDERING
from storage.models import Member

CITIES = [
    ("Espoo", "Finland"),
    ("Tampere", "Finland"),
    ("Oulu", "Finland"),
    ("Helsinki", "Finland"),
    ("Kirkenes", "Norway"),
    ("Madrid", "Spain"),
    ("Tallinn", "Estonia"),
    ("Stockholm", "Sweden"),
]
TECHNOLOGIES = [
    "LoRaWAN",
    "Python",
    "BIM",
    "GIS",
    "Kubernetes",
    "OPC UA",
    "edge computing",
    "LiDAR",
    "ONNX",
    "digital twin platform",
]
KINDS = ["company"] * 8 + ["research_institute", "university"]
_CLAUSE = re.compile(r"\s*[.;(]\s*")


class PhraseEmbedder(Embedder):
    """Vectors of texts made of known phrases, from the phrases' real vectors (see above).
    With ``contexts`` (--fast-index), a clause that is a phrase followed by one of them (a first
    reference's description) is their sum too, instead of the real model's: those two texts a
    member were 88% of `index_all`'s time at 100,000 members (py-spy, 2026-12-07)."""

    def __init__(
        self, real: MiniLMEmbedder, phrases: Sequence[str], contexts: Sequence[str] = ()
    ) -> None:
        self.real = real
        self.key = real.key
        vectors = real.embed([*phrases, *contexts])
        self.dim = int(vectors.shape[1])
        self.table = {p.lower(): v for p, v in zip(phrases, vectors, strict=False)}
        self.contexts = {
            c.lower(): v for c, v in zip(contexts, vectors[len(phrases) :], strict=True)
        }

    def _clause(self, clause: str) -> Any:
        key = clause.strip().lower()
        if key in self.table:
            return self.table[key]
        for context, vector in self.contexts.items():
            head = key.removesuffix(f" {context}")
            if head != key and head in self.table:
                return self.table[head] + vector
        return None

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        real_rows = []
        for row, text in enumerate(texts):
            parts = [self._clause(c) for c in _CLAUSE.split(text)]
            known = [v for v in parts if v is not None]
            if known:
                v = np.sum(known, axis=0)
                out[row] = v / np.linalg.norm(v)
            elif len(text) < 40:  # a name, a year: a fixed pseudo-random direction
                seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
                v = np.random.default_rng(seed).standard_normal(self.dim)
                out[row] = v / np.linalg.norm(v)
            else:
                real_rows.append(row)
        if real_rows:
            out[real_rows] = self.real.embed([texts[r] for r in real_rows])
        return out

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def max_tokens(self) -> int:
        return self.real.max_tokens()

    @staticmethod
    def name() -> str:
        return "scic_bench_phrases"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> Embedder:
        raise ValueError("benchmark-only embedder")

    def get_config(self) -> dict[str, Any]:
        return {}


class _IndexBefore(PassageIndex):
    """The question path as it was before 2026-12-07, for the benchmark's "before" column:
    the full-text candidates checked against the filter by a filtered listing of their
    passages in Chroma, every dense hit asked for read back, and 50,000 records kept."""

    def allowed_owners(
        self, owners: Iterable[str], where: Where, enough: int | None = None
    ) -> set[str]:
        owner_list = list(dict.fromkeys(owners))
        step = 500 if enough is None else min(500, max(1, enough + enough // 4))
        test = metadata_filter(where)
        out: set[str] = set()
        for i in range(0, len(owner_list), step):
            group = owner_list[i : i + step]
            clause = {
                "$and": [
                    {"level": "passage"},
                    {"owner": {"$in": group}},
                    *([] if test else [where]),
                ]
            }
            ids = self.collection.get(where=clause, include=[])["ids"]
            out.update(
                str(r.metadata["owner"])
                for r in self.read(ids).values()
                if test is None or test(r.metadata)
            )
            if enough is not None and len(out) >= enough:
                break
        return out

    def _hits(self, result: Any, keep: MetadataTest, n: int) -> list[list[DenseHit]]:
        records = self.read([rid for ids in result["ids"] for rid in ids])
        hits: list[list[DenseHit]] = []
        for ids, dists in zip(result["ids"], result["distances"], strict=True):
            found = [
                (rid, records[rid].metadata, d)
                for rid, d in zip(ids, dists, strict=True)
                if rid in records
            ]
            hits.append(
                [
                    DenseHit(
                        id=rid,
                        passage_id=str(meta["parent"]),
                        owner=str(meta["owner"]),
                        level=str(meta["level"]),
                        similarity=1.0 - float(dist),
                    )
                    for rid, meta, dist in found
                    if keep(meta)
                ][:n]
            )
        return hits


class _FullTextBefore(FullTextSearch):
    """Counts the collection's texts on every search, as before the store kept the count
    (the count is the same; its cost is what the column measures)."""

    def search(
        self, query: str, owners: Any = None, *, renderings: Any = None, keep: Any = ()
    ) -> Any:
        with session_scope(self.engine) as session:
            own = LexicalRecord.key.not_like(f"%{RENDERING}%")
            session.scalar(
                select(func.count())
                .select_from(LexicalRecord)
                .where(LexicalRecord.collection == self.collection, own)
            )
        return super().search(query, owners, renderings=renderings, keep=keep)


def synthetic_members(n: int, start: int = 0, seed: int = 5) -> list[dict[str, Any]]:
    """``n`` member rows (and their contact people's) in the importer's JSON shape."""
    rng = random.Random(seed + start)
    phrases = phrase_vocabulary()
    rows = []
    for i in range(start, start + n):
        city, country = CITIES[i % len(CITIES)]
        picks = [phrases[rng.randrange(len(phrases))] for _ in range(7)]
        rows.append(
            {
                "slug": f"member-{i:06d}",
                "name": f"Member {i:06d} Oy",
                "kind": KINDS[i % len(KINDS)],
                "city": city,
                "country": country,
                "description": f"{picks[0]}. {picks[1]}.",
                "capabilities": picks[2:5],
                "technologies": rng.sample(TECHNOLOGIES, 3),
                "references": [
                    {
                        "title": picks[5],
                        "description": f"{picks[5]} {CONTEXTS[i % 10]}.",
                        "year": 2020 + i % 6,
                        "client": city,
                    },
                    {"title": picks[6], "description": f"{picks[6]}.", "year": 2024},
                ],
            }
        )
    return rows


def distinct_questions(n: int, seed: int = 11) -> list[str]:
    """``n`` different needs: the speed benchmark's ten, then needs made of one of the
    profiles' topics and a context, worded as people ask (so no question repeats one before
    it, and what a process kept from earlier questions helps only as much as they overlap)."""
    pairs = [(o, c) for o in OBJECTS for c in CONTEXTS]
    random.Random(seed).shuffle(pairs)
    return [*QUERIES, *(f"Who could help us with {o} {c}?" for o, c in pairs)][:n]


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: a child started by exec inherits its parent's ru_maxrss.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _import(engine: Engine, rows: list[dict[str, Any]]) -> float:
    from storage.db import session_scope
    from storage.files import parse_json
    from storage.importing import import_rows

    started = time.perf_counter()
    for at in range(0, len(rows), 5000):
        with session_scope(engine) as session:
            report = import_rows(
                session=session, kind="members", rows=parse_json(json.dumps(rows[at : at + 5000]))
            )
            assert not report.problems, report.problems[:3]
    return time.perf_counter() - started


def _ask(search: Any, query: str) -> float:
    from bot.services.matching import suggest_solvers
    from storage.db import session_scope

    started = time.perf_counter()
    with session_scope(search.engine) as session:
        suggest_solvers(session=session, search=search, query=query, k=5)
    return (time.perf_counter() - started) * 1000


@contextmanager
def _world(store: str, postgres: str, folder: Path | None = None) -> Iterator[tuple[Engine, Path]]:
    """A store and a Chroma folder: in ``folder`` (a store kept after the run, or one kept
    before, --keep / --reuse: a SQLite file there, or a PostgreSQL database named in it),
    else fresh ones dropped after the run."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        kept = make_engine(_kept_url(store, postgres, folder))
        migrate.upgrade(kept)
        try:
            yield kept, folder / "chroma"
        finally:
            kept.dispose()
        return
    with (
        tempfile.TemporaryDirectory(prefix="scic-scale-") as scratch,
        scratch_store(store, postgres) as engine,
    ):
        assert engine is not None
        yield engine, Path(scratch) / "chroma"


#: In a kept size's folder: the URL of its PostgreSQL database.
KEPT_DATABASE = "postgresql.url"


def _kept_url(store: str, postgres: str, folder: Path) -> str:
    """The kept store of ``folder``: its SQLite file, or the PostgreSQL database it names (a
    new one, named after the folder, the first time: dropped by hand when done)."""
    if store == "sqlite":
        return f"sqlite:///{folder / 'store.db'}"
    named = folder / KEPT_DATABASE
    if named.exists():
        return named.read_text().strip()
    name = f"scic_scale_{hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]}"
    url = new_database(postgres, name)
    named.write_text(url)
    return url


def _kept(store: str, folder: Path) -> bool:
    return (folder / ("store.db" if store == "sqlite" else KEPT_DATABASE)).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_chroma(path: Path, wait_s: float = 60) -> Iterator[tuple[str, int]]:
    """`chroma run` on a free loopback port, storing under ``path``: its URL and process id."""
    from bot.services.matching import open_chroma

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                open_chroma(url, path).heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"`chroma run` did not start on port {port}") from None
                time.sleep(0.3)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def _chroma(folder: Path, kind: str) -> Iterator[tuple[Path | str, int | None]]:
    """Where the index lives: ``folder`` for an embedded Chroma, or a server storing there."""
    if kind == "embedded":
        yield folder, None
        return
    folder.mkdir(parents=True, exist_ok=True)
    with serve_chroma(folder) as (url, pid):
        yield url, pid


def _server_mb(pid: int | None) -> tuple[float, float]:
    """A process's resident memory now and at its peak, in MB (0 without a server)."""
    if pid is None:
        return 0.0, 0.0
    status = Path(f"/proc/{pid}/status").read_text()
    kb = {k: float(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s*(.*)$", status, re.M)}
    return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024


def _members(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Member)) or 0)


class _Phases:
    """Each phase's time and the process's memory as it ends, on stderr (--progress): a
    100,000-member run is watched for an hour before its one line is printed."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()

    def done(self, what: str) -> None:
        if self.enabled:
            now = time.perf_counter()
            print(
                f"[{time.strftime('%H:%M:%S')}] {what}: {now - self.started:.0f} s "
                f"(RSS {_rss_mb():.0f} MB, peak {_peak_mb():.0f} MB)",
                file=sys.stderr,
                flush=True,
            )
            self.started = now


def _open(
    engine: Engine,
    chroma: Path | str,
    embedder: Embedder,
    budget: float,
    store_lexical: bool = True,
    before: bool = False,
    list_owners: bool = True,
) -> Any:
    from bot.services.matching import SolverSearch, open_chroma
    from retrieval.sync import Indexes
    from storage.lexical import CHALLENGES, MEMBERS

    url, folder = (chroma, Path()) if isinstance(chroma, str) else ("", chroma)
    client = open_chroma(url, folder)
    text_search = _FullTextBefore if before else FullTextSearch
    members, challenges = (
        (text_search(engine, MEMBERS), text_search(engine, CHALLENGES))
        if store_lexical
        else (None, None)
    )
    index = _IndexBefore if before else PassageIndex
    # As `SolverSearch.open`: owners read from record ids, so reading ahead lists them all.
    owner_of = record_owner if list_owners and not before else None
    indexes = Indexes(
        members=index(client, embedder, "members", members, owner_of=owner_of),
        challenges=index(client, embedder, "challenges", challenges, owner_of=owner_of),
    )
    if before:
        # Its owner lists were bounded by a tenth of its records then (`OWNERS_LISTED` since).
        indexes.members.records.limit = 50_000
        indexes.members.records.owners_limit = 5_000
    return SolverSearch(indexes, engine, question_budget=budget)


def _read_ahead(search: Any) -> Any:
    """``search`` once it has read its members' records ahead, as `scic serve` does."""
    search.indexes.members.warm()
    return search


SECOND_PROCESS = """
import sys, time, json
started = float(sys.argv[1])
from pathlib import Path
from retrieval.embedding import MiniLMEmbedder
from storage.db import make_engine
from bench.scale import _open, _ask, _peak_mb
engine = make_engine(sys.argv[2])
where = sys.argv[3] if sys.argv[3].startswith("http://") else Path(sys.argv[3])
search = _open(engine, where, MiniLMEmbedder(Path(sys.argv[4])), 0.2)
first = _ask(search, sys.argv[5])
ready = time.time() - started
peak = _peak_mb()
# Then the records read ahead as `scic serve` does once started (up to RECORDS_KEPT, and every
# owner's ids): the memory a serving process grows to (its peak: the read-ahead's own lists).
index = search.indexes.members
index.warm()
print(json.dumps({"ready_s": ready, "first_ms": first, "peak_mb": peak,
                  "full_mb": _peak_mb(), "kept": len(index.records),
                  "records": index.collection.count()}))
"""


def run_scale_benchmark(
    sizes: Sequence[int],
    model_dir: Path,
    *,
    store: str = "sqlite",
    postgres: str = DEFAULT_POSTGRES,
    later_import: int = 5000,
    questions: int = 40,
    compare_bm25: bool = False,
    skip_before: bool = False,
    keep: Path | None = None,
    reuse: Path | None = None,
    progress: bool = False,
    fast_index: bool = False,
    chroma_kind: str = "embedded",
) -> list[dict[str, float]]:
    real = MiniLMEmbedder(model_dir)
    started = time.perf_counter()
    embedder = PhraseEmbedder(
        real, [*phrase_vocabulary(), *TECHNOLOGIES], CONTEXTS if fast_index else ()
    )
    print(f"embedded {len(embedder.table)} phrases in {time.perf_counter() - started:.0f} s")
    results = []
    phases = _Phases(progress)
    for size in sizes:
        kept = keep or reuse
        with (
            _world(store, postgres, kept / str(size) if kept else None) as (engine, folder),
            _chroma(folder, chroma_kind) as (chroma, server),
        ):
            row: dict[str, float] = {"members": float(size)}
            if reuse:
                # Built by an earlier run: catch the index up with what that run imported
                # after its questions, then ask of every member the store holds.
                search = _open(engine, chroma, embedder, 0.2)
                started = time.perf_counter()
                row["caught_up"] = float(search.index_all())
                row["catch_up_s"] = time.perf_counter() - started
                row["members"] = float(_members(engine))
                phases.done(f"reused {reuse / str(size)}, {row['members']:.0f} members, caught up")
            else:
                row["import_s"] = _import(engine, synthetic_members(size))
                phases.done(f"imported {size} members")
                search = _open(engine, chroma, embedder, 0.2)
                started = time.perf_counter()
                search.index_all()
                row["index_s"] = time.perf_counter() - started
                phases.done("indexed")
            # As `scic serve` does once started (`SolverSearch.start_warm_up`), here before the
            # questions rather than beside them: the members' records read into the process.
            started = time.perf_counter()
            search.indexes.members.warm()
            row["warm_s"] = time.perf_counter() - started
            phases.done("records read into the process")
            asked = distinct_questions(questions)
            # Two baselines, in the same run, each question asked of all three in turns so the
            # machine's load hits them alike: the same code keeping no records between
            # questions (as before 2026-12-06), and the path before 2026-12-07 (`_IndexBefore`:
            # the filter checked by Chroma's listing, every dense hit read, the collection's
            # texts counted per question, 50,000 records kept).
            plain = _open(engine, chroma, embedder, 0.2)
            plain.indexes.members.records.limit = 0
            plain.indexes.members.records.owners_limit = 0  # nor owner lists, as before
            # And the same search reading ahead only the records it keeps, listing no other
            # owner's ids (before 2026-12-07, later): its questions list their candidates'
            # records by owner in Chroma.
            unlisted = _read_ahead(_open(engine, chroma, embedder, 0.2, list_owners=False))
            phases.done("records read into a second search that lists no other owners")
            # And this code reading its candidates' records as before 2026-12-07 (later): after
            # its full-text search rather than during it (`ranking.READ_WHILE_SEARCHING`), in
            # one request rather than in parts at once (`index.READ_PARTS`); and during it in one
            # request (the parts' own share).
            in_order = _read_ahead(_open(engine, chroma, embedder, 0.2))
            one_request = _read_ahead(_open(engine, chroma, embedder, 0.2))
            phases.done("records read into two more searches reading as before")
            turns = [
                (search, ""),
                (plain, "baseline_"),
                (unlisted, "unlisted_"),
                (in_order, "in_order_"),
                (one_request, "one_request_"),
            ]
            if not skip_before:
                turns.append((_open(engine, chroma, embedder, 0.2, before=True), "before_"))
            times: dict[str, list[float]] = {key: [] for _, key in turns}
            parts = index_module.READ_PARTS
            for n, question in enumerate(asked):
                at = n % len(turns)
                for used, key in turns[at:] + turns[:at]:
                    ranking.READ_WHILE_SEARCHING = used is not in_order
                    index_module.READ_PARTS = 1 if used in (in_order, one_request) else parts
                    times[key].append(_ask(used, question))
            ranking.READ_WHILE_SEARCHING, index_module.READ_PARTS = True, parts
            for key, latencies in times.items():
                row[f"{key}p50_ms"] = statistics.median(latencies)
                row[f"{key}p95_ms"] = statistics.quantiles(latencies, n=20)[18]
            slowest = sorted(range(len(asked)), key=lambda n: -times[""][n])[:3]
            phases.done(
                "questions asked in turns; this code's slowest: "
                + ", ".join(f"#{n + 1} {times[''][n]:.0f} ms" for n in slowest)
            )
            del plain, unlisted, in_order, one_request, turns
            # The same questions again: their candidates' records are kept by now.
            latencies = [_ask(search, q) for q in asked]
            row["again_p50_ms"] = statistics.median(latencies)
            row["again_p95_ms"] = statistics.quantiles(latencies, n=20)[18]
            row["peak_mb"] = _peak_mb()
            row["rss_mb"] = _rss_mb()
            row["kept"] = len(search.indexes.members.records)
            row["server_rss_mb"], row["server_peak_mb"] = _server_mb(server)
            phases.done("asked again")
            bm25 = "in-memory BM25 not compared"
            if compare_bm25:
                # The same questions with the in-memory BM25 the bot used before (same index);
                # seconds a question at 1,000 members, so only on request.
                before = _open(engine, chroma, embedder, 0.2, store_lexical=False)
                started = time.perf_counter()
                _ask(before, QUERIES[0])
                row["bm25_first_ms"] = (time.perf_counter() - started) * 1000
                latencies = [_ask(before, q) for q in asked]
                row["bm25_p50_ms"] = statistics.median(latencies)
                row["bm25_p95_ms"] = statistics.quantiles(latencies, n=20)[18]
                bm25 = (
                    f"in-memory BM25 instead: first question {row['bm25_first_ms']:.0f} ms, "
                    f"p50 {row['bm25_p50_ms']:.0f} ms, p95 {row['bm25_p95_ms']:.0f} ms"
                )
            # A second process on the same store and index, from interpreter start.
            url = engine.url.render_as_string(hide_password=False)
            child = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    SECOND_PROCESS,
                    str(time.time()),
                    url,
                    str(chroma),
                    str(model_dir),
                    QUERIES[1],
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            second = json.loads(child.stdout.strip().splitlines()[-1])
            row["second_ready_s"] = second["ready_s"]
            row["second_peak_mb"] = second["peak_mb"]
            row["second_full_mb"] = second["full_mb"]
            row["second_kept"] = second["kept"]
            row["records"] = second["records"]
            row["server_after_second_mb"] = _server_mb(server)[0]
            phases.done("second process")
            # Then 5,000 more members imported, left to the background: the first question.
            if later_import:
                start = int(row["members"])  # after a reused store's members
                row["later_import_s"] = _import(
                    engine, synthetic_members(later_import, start=start)
                )
                search._last_try = -1e9
                row["first_after_ms"] = _ask(search, QUERIES[2])
                row["behind_after"] = float(search.behind)
                _finish_question_indexing()
                phases.done("later import and its first question")
            results.append(row)
            if reuse:
                built = (
                    f"{row['members']:>7.0f} members: store reused from {reuse / str(size)} "
                    f"(import and index not timed in this run; caught up "
                    f"{row['caught_up']:.0f} records in {row['catch_up_s']:.0f} s), "
                )
            else:
                built = (
                    f"{size:>7} members: import {row['import_s']:.0f} s, "
                    f"index {row['index_s']:.0f} s"
                    f"{' (--fast-index: no text embedded by the model)' if fast_index else ''}, "
                )
            if skip_before:
                before = "before 2026-12-07: not asked (--skip-before); "
            else:
                before = f"{_against(row, 'before_', 'before 2026-12-07')}; "
            baselines = "; ".join(
                _against(row, key, label)
                for key, label in (
                    ("baseline_", "no records kept"),
                    ("unlisted_", "every owner's ids not listed"),
                    ("in_order_", "records read after the full-text search in one request"),
                    ("one_request_", "read during it in one request"),
                )
            )
            served = (
                f"the `chroma run` server {row['server_rss_mb']:.0f} MB (peak "
                f"{row['server_peak_mb']:.0f} MB; {row['server_after_second_mb']:.0f} MB after "
                "the second process); "
                if server
                else ""
            )
            print(
                f"{built}records read into the process in {row['warm_s']:.0f} s; "
                f"question p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms; "
                f"{before}{baselines}; asked again: "
                f"p50 {row['again_p50_ms']:.0f} ms, p95 {row['again_p95_ms']:.0f} ms; peak "
                f"{row['peak_mb']:.0f} MB, now {row['rss_mb']:.0f} MB with "
                f"{row['kept']:.0f} records kept ({bm25}); "
                f"{served}second process ready in "
                f"{row['second_ready_s']:.1f} s ({row['second_peak_mb']:.0f} MB; "
                f"{row['second_full_mb']:.0f} MB at its peak once it read ahead, keeping "
                f"{row['second_kept']:.0f} of {row['records']:.0f} records); "
                f"after importing {later_import} more "
                f"({row.get('later_import_s', 0):.0f} s): first question "
                f"{row.get('first_after_ms', 0):.0f} ms, {row.get('behind_after', 0):.0f} "
                "records still queued",
                flush=True,
            )
    return results


def _finish_question_indexing() -> None:
    """Wait for the batch a question left to finish in its thread: otherwise it runs on while
    the benchmark stops the index's server, and logged a connection error at every run's end."""
    from bot.services.matching import QUESTION_INDEXING

    for thread in threading.enumerate():
        if thread.name == QUESTION_INDEXING:
            thread.join()


def _against(row: dict[str, float], key: str, label: str) -> str:
    """A baseline's p50 / p95 and this code's ratios to them."""
    p50, p95 = row[f"{key}p50_ms"], row[f"{key}p95_ms"]
    return (
        f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms (ratio p50 "
        f"{row['p50_ms'] / p50:.2f}, p95 {row['p95_ms'] / p95:.2f})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SCIC scale benchmark")
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--store", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--later-import", type=int, default=5000)
    parser.add_argument(
        "--questions",
        type=int,
        default=40,
        help="different questions asked in turns (p95 of 40 is their second slowest)",
    )
    parser.add_argument(
        "--compare-bm25",
        action="store_true",
        help="also ask the questions with the in-memory BM25 (seconds each at 1,000 members)",
    )
    parser.add_argument(
        "--skip-before",
        action="store_true",
        help="leave out the path before 2026-12-07 (it cannot answer in time at 100,000)",
    )
    kept = parser.add_mutually_exclusive_group()
    kept.add_argument(
        "--keep",
        type=Path,
        help="build each size's store in DIR/<size> (a PostgreSQL store: a database named "
        "there), kept",
    )
    kept.add_argument("--reuse", type=Path, help="ask the questions of stores kept by --keep")
    parser.add_argument(
        "--progress", action="store_true", help="each phase's time and memory on stderr"
    )
    parser.add_argument(
        "--fast-index",
        action="store_true",
        help="a reference text joining a phrase and a context gets their vectors' sum, not "
        "the model's (most of the indexing time otherwise)",
    )
    parser.add_argument(
        "--chroma",
        default="embedded",
        choices=["embedded", "server"],
        help="the index in the process (PersistentClient) or in a `chroma run` server the "
        "benchmark starts, storing in the same folder",
    )
    args: Any = parser.parse_args(argv)
    most = len(QUERIES) + len(OBJECTS) * len(CONTEXTS)
    if not 20 <= args.questions <= most:
        parser.error(f"--questions must be 20 to {most} (the different questions there are)")
    if args.keep and any((args.keep / str(size)).exists() for size in args.sizes):
        parser.error(f"{args.keep} already holds a store of one of these sizes")
    if args.reuse and not all(_kept(args.store, args.reuse / str(s)) for s in args.sizes):
        parser.error(
            f"{args.reuse} holds no {args.store} store of one of these sizes (--keep builds them)"
        )
    run_scale_benchmark(
        args.sizes,
        args.model_dir,
        store=args.store,
        postgres=args.postgres,
        later_import=args.later_import,
        questions=args.questions,
        compare_bm25=args.compare_bm25,
        skip_before=args.skip_before,
        keep=args.keep,
        reuse=args.reuse,
        progress=args.progress,
        fast_index=args.fast_index,
        chroma_kind=args.chroma,
    )


if __name__ == "__main__":
    main()
