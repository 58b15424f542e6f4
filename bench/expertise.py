"""Expertise benchmark: the matcher against a real "who can solve this?" ground truth.

Reads a dataset folder in the OpenReview format of Stelmakh et al.'s gold-standard
reviewer-matching set (see its README): experts' own papers become "reference" passages of
a member, the rated papers become challenges, and the product's ranking code (default
configuration, through a real Chroma-backed PassageIndex) scores every expert for every
paper. Prints the README's metrics beside its baselines.

    python -m bench.expertise DATASET_DIR [--out predictions.json] [--ablation]
    python -m bench.expertise DATASET_DIR --compare-lexical [--postgres URL]

``--lexical`` picks the lexical engine: ``sqlite`` (FTS5, the bot's default store), ``postgresql``
(full-text search, english + finnish; a scratch database on the ``--postgres`` server) or
``memory`` (the in-memory BM25 the bot used before). ``--compare-lexical`` prints the variants
that use lexical search once per engine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from retrieval.embedding import Embedder, load_embedder
from retrieval.fulltext import FullTextSearch
from retrieval.index import PassageIndex
from retrieval.passages import Passage, passages_from_text
from retrieval.ranking import VARIANTS, score_owners
from storage import migrate
from storage.db import make_engine, session_scope
from storage.index_models import LexicalRecord
from storage.lexical import MEMBERS

logger = logging.getLogger(__name__)

Predictions = dict[str, dict[str, float]]
Ratings = dict[str, dict[str, float]]

#: The README's baselines on the dev half (29 experts), for side-by-side printing.
BASELINES: dict[str, dict[str, float]] = {
    "TF-IDF, mean top-3": dict(loss=0.253, easy=0.800, hard=0.609, mrr=0.549, r5=0.714, r10=0.870),
    "MiniLM, max": dict(loss=0.237, easy=0.830, hard=0.570, mrr=0.576, r5=0.771, r10=0.870),
    "MiniLM, mean top-3": dict(loss=0.204, easy=0.874, hard=0.589, mrr=0.586, r5=0.733, r10=0.878),
}
METRICS = ("loss", "easy", "hard", "mrr", "r5", "r10")


@dataclass(frozen=True)
class Dataset:
    """Experts' profile papers, the rated papers, and the ratings."""

    profiles: dict[str, list[tuple[str, str, str]]]  # expert -> [(paper id, title, abstract)]
    papers: dict[str, tuple[str, str]]  # paper id -> (title, abstract)
    ratings: Ratings  # expert -> {paper id: rating}


def load_dataset(dataset_dir: Path) -> Dataset:
    """Read ``archives/~ID.jsonl``, ``submissions.json`` and ``evaluations.tsv``."""
    profiles: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted((dataset_dir / "archives").glob("*.jsonl")):
        expert = path.stem.lstrip("~")
        rows: list[tuple[str, str, str]] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                content = record.get("content", {})
                rows.append(
                    (
                        str(record.get("id", len(rows))),
                        content.get("title") or "",
                        content.get("abstract") or "",
                    )
                )
        profiles[expert] = rows
    submissions = json.loads((dataset_dir / "submissions.json").read_text(encoding="utf-8"))
    papers = {
        pid: (s["content"].get("title") or "", s["content"].get("abstract") or "")
        for pid, s in submissions.items()
    }
    ratings: Ratings = {}
    lines = (dataset_dir / "evaluations.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        cells = line.split("\t")
        if not cells or not cells[0].strip():
            continue
        expert = cells[0].strip().lstrip("~")
        n = (len(cells) - 1) // 2
        ratings[expert] = {
            p.strip(): float(r)
            for p, r in zip(cells[1 : 1 + n], cells[1 + n : 1 + 2 * n], strict=True)
            if p.strip() and r.strip()
        }
    return Dataset(profiles, papers, ratings)


def profile_passages(data: Dataset, embedder: Embedder | None) -> list[Passage]:
    """Each profile paper as "reference" passages of its expert (split, never truncated)."""
    max_tokens = embedder.max_tokens() if embedder else 256
    count = embedder.count_tokens if embedder else None
    out: list[Passage] = []
    for expert, rows in data.profiles.items():
        for n, (pid, title, abstract) in enumerate(rows):
            out.extend(
                passages_from_text(
                    owner=expert,
                    kind="reference",
                    key=f"{expert}/{n}-{pid}",
                    title=title,
                    text=abstract,
                    max_tokens=max_tokens,
                    count_tokens=count,
                )
            )
    return out


def challenge_texts(data: Dataset) -> dict[str, str]:
    """Rated papers as challenge texts (title + abstract; authors ignored)."""
    return {pid: f"{t}. {a}" if a else t for pid, (t, a) in data.papers.items()}


def evaluate(predictions: Predictions, ratings: Ratings) -> dict[str, float]:
    """Loss, easy/hard accuracy (upstream definitions) and MRR, recall@5/10 over experts."""
    loss = max_loss = 0.0
    easy = easy_total = hard = hard_total = 0
    relevant: dict[str, set[str]] = {}
    for expert, rated in ratings.items():
        pred = predictions[expert]
        for p1, p2 in itertools.combinations(rated, 2):
            true_diff = rated[p1] - rated[p2]
            pred_diff = pred[p1] - pred[p2]
            max_loss += abs(true_diff)
            if pred_diff * true_diff == 0:
                loss += abs(true_diff) / 2
            elif pred_diff * true_diff < 0:
                loss += abs(true_diff)
            lo, hi = sorted((rated[p1], rated[p2]))
            if lo == hi:
                continue
            if lo >= 4:
                hard_total += 1
                hard += pred_diff * true_diff > 0
            if hi >= 4 and lo <= 2:
                easy_total += 1
                easy += pred_diff * true_diff > 0
        for paper, rating in rated.items():
            if rating >= 4:
                relevant.setdefault(paper, set()).add(expert)
    experts = sorted(predictions)
    mrr = r5 = r10 = 0.0
    for paper, good in relevant.items():
        ranked = sorted(experts, key=lambda e: (-predictions[e][paper], e))
        ranks = [ranked.index(e) + 1 for e in good]
        mrr += 1.0 / min(ranks)
        r5 += sum(r <= 5 for r in ranks) / len(good)
        r10 += sum(r <= 10 for r in ranks) / len(good)
    n = max(len(relevant), 1)
    return {
        "loss": loss / max_loss if max_loss else 0.5,
        "easy": easy / easy_total if easy_total else 0.0,
        "hard": hard / hard_total if hard_total else 0.0,
        "mrr": mrr / n,
        "r5": r5 / n,
        "r10": r10 / n,
    }


def format_table(rows: Mapping[str, Mapping[str, float]], title: str = "method") -> str:
    """A Markdown table of metric rows."""
    width = max(len(title), *(len(k) for k in rows))
    head = f"| {title:<{width}} | " + " | ".join(f"{m:>5}" for m in METRICS) + " |"
    rule = f"|{'-' * (width + 2)}|" + "|".join("-------" for _ in METRICS) + "|"
    body = [
        f"| {name:<{width}} | " + " | ".join(f"{row[m]:.3f}" for m in METRICS) + " |"
        for name, row in rows.items()
    ]
    return "\n".join([head, rule, *body])


LEXICAL_ENGINES = ("sqlite", "postgresql", "memory")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_store(lexical: str, postgres: str) -> Iterator[Engine | None]:
    """A migrated, empty store for the lexical texts (None for the in-memory BM25)."""
    if lexical == "memory":
        yield None
        return
    if lexical == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            migrate.upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    name = f"scic_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(postgres).set(database=name).render_as_string(False))
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _bench_index(
    embedder: Embedder | None, lexical: str = "sqlite", postgres: str = DEFAULT_POSTGRES
) -> Iterator[PassageIndex]:
    # A fresh, uniquely named collection: EphemeralClients in one process share storage.
    client = chromadb.EphemeralClient()
    with scratch_store(lexical, postgres) as engine:
        fulltext = FullTextSearch(engine, MEMBERS) if engine is not None else None
        index = PassageIndex(
            client, embedder, name=f"bench-{uuid.uuid4().hex[:8]}", fulltext=fulltext
        )
        try:
            yield index
        finally:
            for name in (index.name, f"{index.name}-revision"):
                client.delete_collection(name)


def _build(index: PassageIndex, data: Dataset, embedder: Embedder | None) -> float:
    started = time.perf_counter()
    passages = profile_passages(data, embedder)
    index.upsert(passages)
    if index.fulltext is not None:
        # The store's texts, one per profile paper (as the bot keeps one per reference),
        # keyed as profile_passages keys the paper's passages.
        rows = [
            {
                "key": f"{expert}/{n}-{pid}",
                "owner": expert,
                "collection": MEMBERS,
                "body": f"{title}. {abstract}" if abstract else title,
            }
            for expert, papers in data.profiles.items()
            for n, (pid, title, abstract) in enumerate(papers)
        ]
        with session_scope(index.fulltext.engine) as session:
            session.execute(insert(LexicalRecord), rows)
    return time.perf_counter() - started


def _complete(predictions: Predictions, data: Dataset) -> Predictions:
    # Experts with no usable profile still need a row; they rank last everywhere.
    full: Predictions = {}
    for expert in data.profiles:
        row = predictions.get(expert, {})
        full[expert] = {pid: float(row.get(pid, -1e9)) for pid in data.papers}
    return full


def run_expertise_benchmark(
    dataset_dir: Path,
    out: Path,
    model_dir: Path | None,
    variant: str = "fused",
    *,
    lexical: str = "sqlite",
    postgres: str = DEFAULT_POSTGRES,
) -> dict[str, float]:
    """Score every expert for every paper with ``variant``, write them, print the metrics."""
    config = VARIANTS[variant]
    data = load_dataset(dataset_dir)
    embedder = load_embedder(model_dir) if config.use_dense else None
    with _bench_index(embedder, lexical, postgres) as index:
        build_s = _build(index, data, embedder)
        started = time.perf_counter()
        predictions = _complete(score_owners(index, challenge_texts(data), config=config), data)
        score_s = time.perf_counter() - started
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(predictions, indent=1, sort_keys=True), encoding="utf-8")
    metrics = evaluate(predictions, data.ratings)
    print(
        f"{len(data.profiles)} experts, {len(data.papers)} papers; index {build_s:.1f} s, "
        f"scoring {score_s:.1f} s; predictions -> {out}"
    )
    print(format_table({**BASELINES, f"SCIC matcher ({variant})": metrics}))
    return metrics


def run_expertise_ablation(
    dataset_dir: Path,
    model_dir: Path | None,
    variants: Iterable[str] | None = None,
    *,
    lexical: str = "sqlite",
    postgres: str = DEFAULT_POSTGRES,
    engines: Iterable[str] = (),
) -> dict[str, dict[str, float]]:
    """One metrics row per ranking variant, all over one index built once (per lexical
    engine: with ``engines``, each variant once per engine, rows labelled with it)."""
    names = list(variants or VARIANTS)
    data = load_dataset(dataset_dir)
    embedder = load_embedder(model_dir)
    rows: dict[str, dict[str, float]] = {}
    queries = challenge_texts(data)
    for engine in list(engines) or [lexical]:
        with _bench_index(embedder, engine, postgres) as index:
            _build(index, data, embedder)
            for name in names:
                predictions = _complete(score_owners(index, queries, config=VARIANTS[name]), data)
                label = f"{name} [{engine}]" if engines else name
                rows[label] = evaluate(predictions, data.ratings)
    print(format_table({**BASELINES, **rows}, title="variant"))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("dataset_dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path("predictions.json"))
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--variant", default="fused", choices=sorted(VARIANTS))
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--lexical", default="sqlite", choices=LEXICAL_ENGINES)
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="server for --lexical postgresql"
    )
    parser.add_argument(
        "--compare-lexical",
        action="store_true",
        help="the variants that use lexical search, once per engine",
    )
    args: Any = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.compare_lexical:
        run_expertise_ablation(
            args.dataset_dir,
            args.model_dir,
            ["fused", "lexical", "passage-only"],
            postgres=args.postgres,
            engines=LEXICAL_ENGINES,
        )
    elif args.ablation:
        run_expertise_ablation(
            args.dataset_dir, args.model_dir, lexical=args.lexical, postgres=args.postgres
        )
    else:
        run_expertise_benchmark(
            args.dataset_dir,
            args.out,
            args.model_dir,
            args.variant,
            lexical=args.lexical,
            postgres=args.postgres,
        )


if __name__ == "__main__":
    main()
