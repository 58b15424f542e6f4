"""Cross-lingual benchmark: the same needs asked in Finnish and in English, as-is and with the
glossary's terms appended (``bot.services.language.expand_query``), against the demo members.

Loads ``storage/demo`` into a temporary SQLite store and Chroma index, ranks the active
members for each query of ``bench/crosslingual_queries.json`` with the product's
``suggest_solvers`` and prints MRR and recall@5 per variant. Figures only, no threshold.

    python -m bench.crosslingual --model-dir ../shared/models/all-MiniLM-L6-v2/onnx [--verbose]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb

from bench.expertise import DEFAULT_POSTGRES, LEXICAL_ENGINES, scratch_store
from bot.services.language import (
    Language,
    SearchText,
    detect_language,
    expand_query,
    search_text,
    with_finnish_terms,
)
from bot.services.matching import SolverSearch, suggest_solvers
from bot.services.records import load_demo
from bot.services.renderings import glossary_renderings
from retrieval.embedding import load_embedder
from retrieval.fulltext import FullTextSearch
from retrieval.index import PassageIndex
from retrieval.sync import Indexes
from storage.db import session_scope
from storage.lexical import CHALLENGES, MEMBERS

QUERIES = Path(__file__).with_name("crosslingual_queries.json")
#: Needs whose members describe themselves in Finnish: English asks across languages.
PROFILE_QUERIES = Path(__file__).with_name("crosslingual_profiles.json")
# Deep enough that a relevant member ranked below the top 5 still counts towards MRR.
DEPTH = 50


@dataclass(frozen=True)
class QueryPair:
    id: str
    fi: str
    en: str
    relevant: frozenset[str]
    #: written after the glossary was frozen (the others were in its author's mind)
    held_out: bool = False


@dataclass(frozen=True)
class Variant:
    name: str
    language: Language
    searched: Callable[[QueryPair], SearchText]

    def text(self, pair: QueryPair) -> SearchText:
        return self.searched(pair)

    def asked(self, pair: QueryPair) -> str:
        return pair.fi if self.language == "fi" else pair.en


def _expanded(text: str, language: Language) -> SearchText:
    both = expand_query(text, language)
    return SearchText(both, both, language)


VARIANTS = (
    Variant("Finnish as-is", "fi", lambda p: SearchText(p.fi, p.fi, "fi")),
    Variant("Finnish + terms, to both", "fi", lambda p: _expanded(p.fi, "fi")),
    Variant("Finnish, glossary (the bot)", "fi", lambda p: search_text(p.fi)),
    Variant("Finnish, translated*", "fi", lambda p: search_text(p.fi, english=p.en)),
    Variant("English (the bot)", "en", lambda p: search_text(p.en)),
    Variant("English + terms, to both", "en", lambda p: _expanded(p.en, "en")),
    Variant("English, + terms to BM25", "en", lambda p: with_finnish_terms(search_text(p.en))),
)


@dataclass(frozen=True)
class Scores:
    """Per query: the best rank of a relevant member (1-based) and recall@5."""

    ranks: tuple[int | None, ...]
    recalls: tuple[float, ...]

    @property
    def mrr(self) -> float:
        return sum(1.0 / r for r in self.ranks if r) / max(len(self.ranks), 1)

    @property
    def recall5(self) -> float:
        return sum(self.recalls) / max(len(self.recalls), 1)

    def only(self, keep: Sequence[bool]) -> Scores:
        return Scores(
            tuple(r for r, k in zip(self.ranks, keep, strict=True) if k),
            tuple(r for r, k in zip(self.recalls, keep, strict=True) if k),
        )


def load_queries(path: Path = QUERIES) -> list[QueryPair]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        QueryPair(q["id"], q["fi"], q["en"], frozenset(q["relevant"]), q.get("held_out", False))
        for q in data["queries"]
    ]


@contextmanager
def demo_search(
    model_dir: Path | None,
    lexical: str = "sqlite",
    postgres: str = DEFAULT_POSTGRES,
    renderings: bool = True,
    lexical_renderings: bool = False,
) -> Iterator[SolverSearch]:
    """The demo data in a throwaway store (SQLite, or a scratch PostgreSQL database) and
    Chroma index, searched as the bot does (``lexical`` "memory": with the in-memory BM25
    the bot used before its store's full-text search)."""
    with (
        tempfile.TemporaryDirectory(prefix="scic-crosslingual-") as folder,
        scratch_store("postgresql" if lexical == "postgresql" else "sqlite", postgres) as engine,
    ):
        assert engine is not None
        load_demo(engine=engine)
        embedder = load_embedder(model_dir)
        client = chromadb.PersistentClient(path=str(Path(folder) / "chroma"))
        tag = uuid.uuid4().hex[:8]
        store = lexical != "memory"
        renderer = glossary_renderings if renderings else None
        indexes = Indexes(
            members=PassageIndex(
                client,
                embedder,
                name=f"members-{tag}",
                fulltext=FullTextSearch(engine, MEMBERS, renderings=lexical_renderings)
                if store
                else None,
                renderer=renderer,
            ),
            challenges=PassageIndex(
                client,
                embedder,
                name=f"challenges-{tag}",
                fulltext=FullTextSearch(engine, CHALLENGES, renderings=lexical_renderings)
                if store
                else None,
                renderer=renderer,
            ),
        )
        search = SolverSearch(indexes, engine)
        search.catch_up()
        yield search


def ranked_slugs(
    search: SolverSearch, asked: str, searched: SearchText, depth: int = DEPTH
) -> list[str]:
    with session_scope(search.engine) as session:
        found = suggest_solvers(
            session=session, search=search, query=asked, k=depth, searched=searched
        )
    return [m.member_slug for m in found]


def score(rankings: Sequence[Sequence[str]], pairs: Sequence[QueryPair]) -> Scores:
    """Where the first relevant member ranks, and the share of relevant members in the top 5."""
    ranks, recalls = [], []
    for ranking, pair in zip(rankings, pairs, strict=True):
        ranks.append(next((i + 1 for i, s in enumerate(ranking) if s in pair.relevant), None))
        recalls.append(len(pair.relevant & set(ranking[:5])) / len(pair.relevant))
    return Scores(tuple(ranks), tuple(recalls))


Rankings = dict[str, list[list[str]]]


def rank_all(
    search: SolverSearch,
    pairs: Sequence[QueryPair],
    variants: Sequence[Variant] = VARIANTS,
    rank: Callable[[SolverSearch, str, SearchText], list[str]] = ranked_slugs,
) -> Rankings:
    """Each variant's ranking of the members for each pair."""
    return {v.name: [rank(search, v.asked(p), v.text(p)) for p in pairs] for v in variants}


def evaluate(
    search: SolverSearch,
    pairs: Sequence[QueryPair],
    variants: Sequence[Variant] = VARIANTS,
    rank: Callable[[SolverSearch, str, SearchText], list[str]] = ranked_slugs,
) -> dict[str, Scores]:
    return {
        name: score(found, pairs) for name, found in rank_all(search, pairs, variants, rank).items()
    }


def profile_languages(search: SolverSearch) -> dict[str, Language]:
    """The language each member describes itself in (its description and capabilities)."""
    from storage.models import Member

    with session_scope(search.engine) as session:
        return {
            m.slug: detect_language(f"{m.description} {' '.join(m.capabilities)}")
            for m in session.query(Member).all()
        }


#: The product's own way of asking in each language.
BOT_VARIANTS = {"English (the bot)": "en", "Finnish, glossary (the bot)": "fi"}


def across_languages(
    rankings: Rankings, pairs: Sequence[QueryPair], profiles: dict[str, Language]
) -> dict[str, Scores]:
    """MRR of the bot's variants split by whether the relevant member describes itself in the
    language asked in (within) or the other one (across). A pair counts once on each side it
    has relevant members on; the other side's relevant members are left out of its ranking."""
    out: dict[str, Scores] = {}
    for name, language in BOT_VARIANTS.items():
        if name not in rankings:
            continue
        for side in ("within", "across"):
            ranks: list[int | None] = []
            recalls: list[float] = []
            for ranking, pair in zip(rankings[name], pairs, strict=True):
                wanted = {
                    s
                    for s in pair.relevant
                    if (profiles.get(s, "en") == language) == (side == "within")
                }
                if not wanted:
                    continue
                others = pair.relevant - wanted
                kept = [s for s in ranking if s not in others]
                ranks.append(next((i + 1 for i, s in enumerate(kept) if s in wanted), None))
                recalls.append(len(wanted & set(kept[:5])) / len(wanted))
            out[f"{name}, {side} the language"] = Scores(tuple(ranks), tuple(recalls))
    return out


def by_profile_language(
    rankings: Rankings, pairs: Sequence[QueryPair], profiles: dict[str, Language]
) -> dict[str, Scores]:
    """The bot's MRR for the same members asked in each language, by the language of their
    profile. `across_languages` compares different needs (Finnish-profiled members are few
    and niche, so easier to find); this holds the needs and members fixed, so the difference
    between two rows of one profile language is what asking in the other language costs."""
    out: dict[str, Scores] = {}
    for profile in ("en", "fi"):
        for name, language in BOT_VARIANTS.items():
            if name not in rankings:
                continue
            ranks: list[int | None] = []
            recalls: list[float] = []
            for ranking, pair in zip(rankings[name], pairs, strict=True):
                wanted = {s for s in pair.relevant if profiles.get(s, "en") == profile}
                if not wanted:
                    continue
                kept = [s for s in ranking if s not in pair.relevant - wanted]
                ranks.append(next((i + 1 for i, s in enumerate(kept) if s in wanted), None))
                recalls.append(len(wanted & set(kept[:5])) / len(wanted))
            side = "within" if language == profile else "across"
            out[
                f"{LANGUAGE_LABELS[profile]} profiles, asked in {LANGUAGE_LABELS[language]} "
                f"({side})"
            ] = Scores(tuple(ranks), tuple(recalls))
    return out


LANGUAGE_LABELS = {"en": "English", "fi": "Finnish"}


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def table(results: dict[str, Scores], title: str) -> str:
    """MRR and recall@5 per variant, and their ratio to the first variant (Finnish as-is)."""
    base = next(iter(results.values()))
    lines = [
        f"{title} ({len(base.ranks)} pairs)",
        f"  {'variant':<28} {'MRR':>6} {'R@5':>6} {'MRR vs fi':>10} {'R@5 vs fi':>10}",
    ]
    for name, s in results.items():
        lines.append(
            f"  {name:<28} {s.mrr:6.3f} {s.recall5:6.3f} "
            f"{_ratio(s.mrr, base.mrr):>10} {_ratio(s.recall5, base.recall5):>10}"
        )
    return "\n".join(lines)


def report(results: dict[str, Scores], pairs: Sequence[QueryPair], *, dense: bool) -> str:
    expanded = {
        lang: sum(expand_query(getattr(p, lang), lang) != getattr(p, lang) for p in pairs)
        for lang in ("fi", "en")
    }
    held_out = [p.held_out for p in pairs]
    parts = [
        f"{'MiniLM + BM25' if dense else 'BM25 only (no model)'}; glossary terms found in "
        f"{expanded['fi']}/{len(pairs)} Finnish and {expanded['en']}/{len(pairs)} English queries",
        "",
        table(results, "All pairs"),
        "* the English query of the pair stands in for the language model's translation:",
        "  an upper bound of what the model-backed path can reach.",
    ]
    if any(held_out) and not all(held_out):
        written_first = [not h for h in held_out]
        parts += [
            "",
            table(
                {n: s.only(written_first) for n, s in results.items()},
                "Written before the glossary, by its author",
            ),
            "",
            table(
                {n: s.only(held_out) for n, s in results.items()},
                "Held out: written after the glossary was frozen",
            ),
        ]
    return "\n".join(parts)


def details(results: dict[str, Scores], pairs: Sequence[QueryPair]) -> str:
    """Per query: the best rank of a relevant member in each variant ("-": not found)."""
    short = {v.name: f"v{n}" for n, v in enumerate(VARIANTS, start=1)}
    names = list(results)
    header = "".join(f"{short.get(n, n):>6}" for n in names)
    lines = ["", f"best rank of a relevant member\n{'query':<28}{header}"]
    for q, pair in enumerate(pairs):
        cells = "".join(f"{results[n].ranks[q] or '-':>6}" for n in names)
        lines.append(f"{pair.id + (' *' if pair.held_out else ''):<28}{cells}")
    lines.append("(* held out; " + ", ".join(f"{short[n]}: {n}" for n in names) + ")")
    for pair in pairs:
        lines += [
            "",
            f"[{pair.id}] fi+: {expand_query(pair.fi, 'fi')!r}",
            f"[{pair.id}] en+: {expand_query(pair.en, 'en')!r}",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SCIC cross-lingual matching benchmark")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path(os.environ["EMBEDDING_MODEL_DIR"])
        if os.environ.get("EMBEDDING_MODEL_DIR")
        else None,
        help="folder with the all-MiniLM-L6-v2 model.onnx (default: EMBEDDING_MODEL_DIR)",
    )
    parser.add_argument("--queries", type=Path, action="append", default=None)
    parser.add_argument("--lexical", default="sqlite", choices=LEXICAL_ENGINES)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL")
    parser.add_argument("--verbose", action="store_true", help="ranks per query and the texts")
    parser.add_argument(
        "--no-renderings",
        action="store_true",
        help="index the records in their own language only (as before the renderings)",
    )
    parser.add_argument(
        "--lexical-renderings",
        action="store_true",
        help="also write the renderings into the store's full-text table (not the bot's default)",
    )
    args: Any = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    pairs = [p for path in args.queries or (QUERIES, PROFILE_QUERIES) for p in load_queries(path)]
    with demo_search(
        args.model_dir,
        args.lexical,
        args.postgres,
        renderings=not args.no_renderings,
        lexical_renderings=args.lexical_renderings,
    ) as search:
        rankings = rank_all(search, pairs)
        results = {name: score(found, pairs) for name, found in rankings.items()}
        print(report(results, pairs, dense=search.dense))
        print()
        print(
            table(
                across_languages(rankings, pairs, profile_languages(search)),
                "The bot's MRR within and across the language of the member's profile",
            )
        )
        print()
        print(
            table(
                by_profile_language(rankings, pairs, profile_languages(search)),
                "The same members asked in each language",
            )
        )
        if args.verbose:
            print(details(results, pairs))


if __name__ == "__main__":
    main()
