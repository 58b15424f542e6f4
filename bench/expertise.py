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
import dataclasses
import itertools
import json
import logging
import random
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import chromadb
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.services.renderings import glossary_renderings
from retrieval.embedding import Embedder, load_embedder
from retrieval.fulltext import FullTextSearch
from retrieval.index import PassageIndex
from retrieval.passages import Passage, passages_from_text
from retrieval.ranking import VARIANTS, OwnerMatch, RankingConfig, owner_signals, score_owners
from storage import migrate
from storage.db import make_engine, session_scope
from storage.lexical import MEMBERS, insert_texts

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


@dataclass
class Tally:
    """The sums the metrics are ratios of; tallies of disjoint sets of experts add up."""

    loss: float = 0.0
    max_loss: float = 0.0
    easy: int = 0
    easy_total: int = 0
    hard: int = 0
    hard_total: int = 0
    papers: int = 0
    mrr: float = 0.0
    r5: float = 0.0
    r10: float = 0.0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            *(getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(self))
        )

    def metrics(self) -> dict[str, float]:
        n = max(self.papers, 1)
        return {
            "loss": self.loss / self.max_loss if self.max_loss else 0.5,
            "easy": self.easy / self.easy_total if self.easy_total else 0.0,
            "hard": self.hard / self.hard_total if self.hard_total else 0.0,
            "mrr": self.mrr / n,
            "r5": self.r5 / n,
            "r10": self.r10 / n,
        }


def tally(
    predictions: Predictions, ratings: Ratings, experts: Iterable[str] | None = None
) -> Tally:
    """The metrics' sums over ``experts``' ratings (all of them by default).

    Loss and easy/hard pairs are each expert's own. For the ranking metrics a paper counts
    when one of ``experts`` rated it ≥ 4, and that expert's rank among the whole pool leaves
    out the paper's other relevant experts (they are right answers too): over all experts
    that is the usual first-relevant rank, and tallies of disjoint folds add up to it.
    """
    chosen = set(ratings if experts is None else experts)
    out = Tally()
    relevant: dict[str, set[str]] = {}
    for expert, rated in ratings.items():
        for paper, rating in rated.items():
            if rating >= 4:
                relevant.setdefault(paper, set()).add(expert)
        if expert not in chosen:
            continue
        pred = predictions[expert]
        for p1, p2 in itertools.combinations(rated, 2):
            true_diff = rated[p1] - rated[p2]
            pred_diff = pred[p1] - pred[p2]
            out.max_loss += abs(true_diff)
            if pred_diff * true_diff == 0:
                out.loss += abs(true_diff) / 2
            elif pred_diff * true_diff < 0:
                out.loss += abs(true_diff)
            lo, hi = sorted((rated[p1], rated[p2]))
            if lo == hi:
                continue
            if lo >= 4:
                out.hard_total += 1
                out.hard += pred_diff * true_diff > 0
            if hi >= 4 and lo <= 2:
                out.easy_total += 1
                out.easy += pred_diff * true_diff > 0
    pool = sorted(predictions)
    for paper, good in relevant.items():
        mine = good & chosen
        if not mine:
            continue
        others = [(-predictions[e][paper], e) for e in pool if e not in good]
        # Rank among the pool less the other relevant experts: ``experts``' own relevant
        # ones still rank each other.
        keys = sorted((-predictions[e][paper], e) for e in mine)
        ranks = [n + 1 + sum(o < key for o in others) for n, key in enumerate(keys)]
        out.papers += 1
        out.mrr += 1.0 / min(ranks)
        out.r5 += sum(r <= 5 for r in ranks) / len(mine)
        out.r10 += sum(r <= 10 for r in ranks) / len(mine)
    return out


def evaluate(predictions: Predictions, ratings: Ratings) -> dict[str, float]:
    """Loss, easy/hard accuracy (upstream definitions) and MRR, recall@5/10 over experts."""
    return tally(predictions, ratings).metrics()


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
    name = f"scic_bench_{uuid.uuid4().hex[:10]}"
    engine = make_engine(new_database(postgres, name))
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        drop_database(postgres, name)


def new_database(postgres: str, name: str) -> str:
    """An empty database ``name`` on the server of ``postgres`` (one of that name dropped
    first); its URL."""
    drop_database(postgres, name)
    _on_server(postgres, f'CREATE DATABASE "{name}"')
    return make_url(postgres).set(database=name).render_as_string(hide_password=False)


def drop_database(postgres: str, name: str) -> None:
    _on_server(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _on_server(postgres: str, statement: str) -> None:
    # Outside a transaction, as CREATE and DROP DATABASE must run.
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def _bench_index(
    embedder: Embedder | None,
    lexical: str = "sqlite",
    postgres: str = DEFAULT_POSTGRES,
    renderings: bool = False,
) -> Iterator[PassageIndex]:
    # A fresh, uniquely named collection: EphemeralClients in one process share storage.
    client = chromadb.EphemeralClient()
    with scratch_store(lexical, postgres) as engine:
        fulltext = (
            FullTextSearch(engine, MEMBERS, renderings=renderings) if engine is not None else None
        )
        # The bot's renderer: the papers are English, so it only adds their Finnish glossary
        # terms to lexical search (an English text is embedded as it is).
        index = PassageIndex(
            client,
            embedder,
            name=f"bench-{uuid.uuid4().hex[:8]}",
            fulltext=fulltext,
            renderer=glossary_renderings if renderings else None,
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
    _build_texts(index, data)
    return time.perf_counter() - started


def _build_texts(index: PassageIndex, data: Dataset) -> None:
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
            insert_texts(session=session, rows=rows)


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
    renderings: bool = False,
) -> dict[str, float]:
    """Score every expert for every paper with ``variant``, write them, print the metrics."""
    config = VARIANTS[variant]
    data = load_dataset(dataset_dir)
    embedder = load_embedder(model_dir) if config.use_dense else None
    with _bench_index(embedder, lexical, postgres, renderings) as index:
        build_s = _build(index, data, embedder)
        started = time.perf_counter()
        # The papers are English: searched as the bot searches an English need.
        scores = score_owners(index, challenge_texts(data), config=config, language="en")
        predictions = _complete(scores, data)
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


#: What cross-validation chooses among, for each variant: its signals' weights (recombined
#: from one scoring run, so the grid costs nothing). Fixed before any figure was read.
LEXICAL_WEIGHTS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08)
SENTENCE_WEIGHTS = (0.25, 0.5, 1.0, 1.5, 2.0)
FOLDS = 5
SEED = 12


def settings_grid(config: RankingConfig) -> list[RankingConfig]:
    """The settings of ``config``'s variant that cross-validation chooses among: the weight of
    each signal the variant uses (a variant without a signal keeps it off)."""
    both = config.use_dense and config.use_lexical
    lexical = LEXICAL_WEIGHTS if both else (config.lexical_weight,)
    sentence = SENTENCE_WEIGHTS if config.use_dense and config.sentence_weight > 0 else (0.0,)
    return [
        replace(config, lexical_weight=lw, sentence_weight=sw) for lw in lexical for sw in sentence
    ]


def expert_folds(experts: Iterable[str], folds: int = FOLDS, seed: int = SEED) -> list[list[str]]:
    """``experts`` dealt into ``folds`` folds in a fixed shuffled order."""
    order = sorted(experts)
    random.Random(seed).shuffle(order)
    return [sorted(order[n::folds]) for n in range(folds)]


def objective(metrics: Mapping[str, float]) -> float:
    """What a setting is chosen by: MRR minus loss (both targets, equal weight)."""
    return metrics["mrr"] - metrics["loss"]


@dataclass(frozen=True)
class CrossValidated:
    """One variant's figures: with its setting chosen on all experts and measured on them
    (in-sample), and with each fold measured under the setting chosen on the other folds."""

    in_sample: dict[str, float]
    held_out: dict[str, float]
    chosen_in_sample: RankingConfig
    chosen_per_fold: tuple[RankingConfig, ...]


def cross_validate(
    candidates: Sequence[tuple[RankingConfig, Predictions]],
    ratings: Ratings,
    folds: Sequence[Sequence[str]],
) -> CrossValidated:
    """Choose a setting per fold on the training folds only; pool the held-out folds."""
    tallies = [[tally(pred, ratings, fold) for fold in folds] for _, pred in candidates]

    def best(parts: Sequence[Tally]) -> int:
        # The first best in grid order: ties go to the smaller weights.
        scores = [objective(part.metrics()) for part in parts]
        return scores.index(max(scores))

    held_out = Tally()
    chosen: list[RankingConfig] = []
    for f in range(len(folds)):
        training = [sum((t for n, t in enumerate(row) if n != f), Tally()) for row in tallies]
        pick = best(training)
        chosen.append(candidates[pick][0])
        held_out = held_out + tallies[pick][f]
    whole = [tally(pred, ratings) for _, pred in candidates]
    pick = best(whole)
    return CrossValidated(
        in_sample=whole[pick].metrics(),
        held_out=held_out.metrics(),
        chosen_in_sample=candidates[pick][0],
        chosen_per_fold=tuple(chosen),
    )


def _weights(config: RankingConfig) -> str:
    parts = []
    if config.use_dense and config.use_lexical:
        parts.append(f"lex {config.lexical_weight:g}")
    if config.use_dense and config.sentence_weight > 0:
        parts.append(f"sent {config.sentence_weight:g}")
    return ", ".join(parts) or "-"


def format_crossval(rows: Mapping[str, CrossValidated]) -> str:
    """In-sample and held-out loss and MRR per variant, beside the fixed baselines."""
    width = max(len("variant"), *(len(k) for k in rows), *(len(k) for k in BASELINES))
    head = (
        f"| {'variant':<{width}} | loss in | loss out | MRR in | MRR out | "
        "chosen in-sample | chosen per held-out fold |"
    )
    rule = f"|{'-' * (width + 2)}|---------|----------|--------|---------|---|---|"
    body = [
        f"| {name:<{width}} | {m['loss']:.3f} | {m['loss']:.3f} | {m['mrr']:.3f} | "
        f"{m['mrr']:.3f} | (none) | (none) |"
        for name, m in BASELINES.items()
    ]
    for name, cv in rows.items():
        per_fold = "; ".join(_weights(c) for c in cv.chosen_per_fold)
        body.append(
            f"| {name:<{width}} | {cv.in_sample['loss']:.3f} | {cv.held_out['loss']:.3f} | "
            f"{cv.in_sample['mrr']:.3f} | {cv.held_out['mrr']:.3f} | "
            f"{_weights(cv.chosen_in_sample)} | {per_fold} |"
        )
    return "\n".join([head, rule, *body])


def _candidates(
    signals: Mapping[str, Mapping[str, OwnerMatch]],
    dense_on: bool,
    grid: Sequence[RankingConfig],
    data: Dataset,
) -> list[tuple[RankingConfig, Predictions]]:
    return [
        (
            config,
            _complete(
                {
                    owner: {
                        qid: config.combine(m.dense, m.sentence, m.lexical, dense_on=dense_on)
                        for qid, m in by_query.items()
                    }
                    for owner, by_query in signals.items()
                },
                data,
            ),
        )
        for config in grid
    ]


def run_expertise_ablation(
    dataset_dir: Path,
    model_dir: Path | None,
    variants: Iterable[str] | None = None,
    *,
    lexical: str = "sqlite",
    postgres: str = DEFAULT_POSTGRES,
    engines: Iterable[str] = (),
    folds: int = FOLDS,
    seed: int = SEED,
    renderings: bool = False,
    as_asked: bool = False,
) -> tuple[dict[str, dict[str, float]], dict[str, CrossValidated]]:
    """Per ranking variant, over one index built once (per lexical engine: with ``engines``,
    each variant once per engine, rows labelled with it): its metrics with today's settings,
    and its cross-validated figures (settings chosen per fold on the other folds).
    ``as_asked``: each paper searched as the bot searches a need (`search_text`: an English
    need's lexical words carry its Finnish glossary terms), not as its bare text."""
    names = list(variants or VARIANTS)
    data = load_dataset(dataset_dir)
    embedder = load_embedder(model_dir)
    rows: dict[str, dict[str, float]] = {}
    crossval: dict[str, CrossValidated] = {}
    queries = challenge_texts(data)
    lexical_queries = None
    if as_asked:
        from bot.services.language import search_text

        searched = {pid: search_text(text) for pid, text in queries.items()}
        assert all(s.language == "en" for s in searched.values()), "the papers are English"
        lexical_queries = {pid: s.lexical for pid, s in searched.items()}
    split = expert_folds(data.ratings, folds, seed)
    for engine in list(engines) or [lexical]:
        with _bench_index(embedder, engine, postgres, renderings) as index:
            _build(index, data, embedder)
            for name in names:
                config = VARIANTS[name]
                label = f"{name} [{engine}]" if engines else name
                grid = settings_grid(config)
                # One scoring run with every signal the grid weighs; weights applied after.
                scoring = replace(config, sentence_weight=max(s.sentence_weight for s in grid))
                signals, dense_on = owner_signals(
                    index, queries, config=scoring, language="en", lexical_queries=lexical_queries
                )
                today, *_ = _candidates(signals, dense_on, [config], data)
                rows[label] = evaluate(today[1], data.ratings)
                crossval[label] = cross_validate(
                    _candidates(signals, dense_on, grid, data), data.ratings, split
                )
    print("Today's settings")
    print(format_table({**BASELINES, **rows}, title="variant"))
    print()
    print(
        f"Cross-validated: {folds} folds of experts (seed {seed}); per fold the weights are "
        "chosen on the other folds by MRR - loss"
    )
    print(format_crossval(crossval))
    return rows, crossval


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("dataset_dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path("predictions.json"))
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--variant", default="fused", choices=sorted(VARIANTS))
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--lexical", default="sqlite", choices=LEXICAL_ENGINES)
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="server for --lexical postgresql"
    )
    parser.add_argument(
        "--compare-lexical",
        action="store_true",
        help="the variants that use lexical search, once per engine",
    )
    parser.add_argument(
        "--renderings",
        action="store_true",
        help="index with the bot's renderer, its renderings in the full-text table too",
    )
    parser.add_argument(
        "--as-asked",
        action="store_true",
        help="search each paper as the bot searches a need (its Finnish glossary terms to BM25)",
    )
    parser.add_argument(
        "--variants", nargs="+", choices=sorted(VARIANTS), help="ablation variants (default: all)"
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
            args.dataset_dir,
            args.model_dir,
            args.variants,
            lexical=args.lexical,
            postgres=args.postgres,
            folds=args.folds,
            seed=args.seed,
            renderings=args.renderings,
            as_asked=args.as_asked,
        )
    else:
        run_expertise_benchmark(
            args.dataset_dir,
            args.out,
            args.model_dir,
            args.variant,
            lexical=args.lexical,
            postgres=args.postgres,
            renderings=args.renderings,
        )


if __name__ == "__main__":
    main()
