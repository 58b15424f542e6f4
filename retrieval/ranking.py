"""The matcher: rank owners (members, or challenges) for a need, with the evidence.

An owner's score adds three signals, each pooled over the owner's records:

* passage level: cosine of the whole query with each passage, mean of the owner's top 3
  ("how much of their work is like this");
* sentence level: each sentence of the query looks for its best evidence among the
  owner's sentences (soft maximum over the owner's top sentences), averaged over the
  query's sentences ("is every aspect of the need covered somewhere");
* lexical: BM25 of the query against each passage, z-scored over the whole index (so the
  scale does not depend on the query's length) and pooled like the passage level, with a
  small weight: it breaks ties on names, acronyms and Finnish words the model cannot read.

Long queries are cut into model-sized chunks (passage level) and sentences (sentence
level), so nothing is truncated. The same code ranks the top k under a metadata filter
(``match_owners``) and scores every owner for a batch of queries (``score_owners``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from retrieval.fulltext import FullTextResult
from retrieval.index import Entries, PassageIndex, Where
from retrieval.lexical import LexicalResult
from retrieval.passages import split_sentences, split_text

Pooling = Literal["max", "mean", "lse"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RankingConfig:
    """How the matcher combines its signals. The defaults are the product's settings."""

    use_dense: bool = True
    use_lexical: bool = True
    #: weight of the sentence-level signal (0 disables it). Cross-validation over the
    #: expertise benchmark's experts (bench/expertise.py) prefers 0.25 with a lexical weight
    #: of 0.03 (four folds of five); kept at 1.0 and 0.02 because the bot's own questions
    #: (bench/answers.py, dev set) rank worse with them: members' nDCG@5 0.793 -> 0.751 for
    #: needs, 0.822 -> 0.761 for teams, and a request for a poem passes the floor. The papers'
    #: abstracts are long; members' questions are a sentence.
    sentence_weight: float = 1.0
    #: weight of the z-scored BM25 signal relative to cosine similarities
    lexical_weight: float = 0.02
    passage_pooling: Pooling = "mean"
    passage_k: int = 3
    sentence_pooling: Pooling = "lse"
    sentence_k: int = 3
    #: temperature of the soft maximum, in cosine units
    temperature: float = 0.05
    #: records fetched per query vector / BM25 when ranking the top k only
    candidates: int = 50
    #: evidence passages returned per owner
    evidence: int = 3

    @property
    def scale(self) -> float:
        """Scores are kept on the scale of a passage cosine plus a sentence cosine, whatever
        the sentence weight, so relevance floors keep their meaning when the weights change
        (a constant factor never changes a ranking)."""
        return 2.0 / (1.0 + self.sentence_weight)

    def combine(self, dense: float, sentence: float, lexical: float, *, dense_on: bool) -> float:
        """An owner's score from its three signals (lexical-only runs rank by BM25 alone)."""
        if not dense_on:
            return lexical
        weighted = dense + self.sentence_weight * sentence + self.lexical_weight * lexical
        return self.scale * weighted


DEFAULT_CONFIG = RankingConfig()

#: A question's full-text search runs here while the question reads its vector candidates'
#: records from Chroma (`_candidate_owners`): the store's engine and Chroma's server work
#: meanwhile, and the statement's wait leaves the interpreter to the reading.
_FULL_TEXT_SEARCHES = ThreadPoolExecutor(max_workers=8, thread_name_prefix="scic-full-text")
#: Off: the records are read after the search, as before 2026-12-07 (the scale benchmark's
#: baseline).
READ_WHILE_SEARCHING = True

#: How much of a Finnish need's average lean towards the records embedded by a rendering is
#: taken off their similarities (`_align`). Chosen by cross-validation over the cross-lingual
#: development pairs (bench/crosslingual_dev.json and _dev2.json, 66 pairs, five folds
#: repeated 20 times; 0.75 chosen in 81 of 100 folds among 0, 0.5, 0.75, 1, 1.25): the
#: Finnish needs' held-out MRR 0.883 -> 0.895.
ALIGN = 0.75

#: Named configurations for the benchmark's ablation (and ``scic bench``).
VARIANTS: dict[str, RankingConfig] = {
    "fused": DEFAULT_CONFIG,
    "dense": replace(DEFAULT_CONFIG, use_lexical=False),
    "lexical": replace(DEFAULT_CONFIG, use_dense=False),
    "passage-only": replace(DEFAULT_CONFIG, sentence_weight=0.0),
    "passage-max": replace(
        DEFAULT_CONFIG, use_lexical=False, sentence_weight=0.0, passage_pooling="max"
    ),
    "passage-mean3": replace(DEFAULT_CONFIG, use_lexical=False, sentence_weight=0.0),
    "fused-max": replace(DEFAULT_CONFIG, passage_pooling="max", sentence_pooling="max"),
    "fused-mean3": replace(DEFAULT_CONFIG, sentence_pooling="mean", sentence_k=3),
}


@dataclass(frozen=True)
class Evidence:
    """One passage that supports an owner's match, ready to show."""

    passage_id: str
    kind: str
    title: str
    snippet: str
    matched_terms: list[str]
    dense: float
    sentence: float
    lexical: float
    score: float


@dataclass(frozen=True)
class OwnerMatch:
    """An owner's score for a query, its parts, and the best evidence."""

    owner: str
    score: float
    dense: float
    sentence: float
    lexical: float
    evidence: list[Evidence] = field(default_factory=list)
    #: what the score lost to a Finnish need's lean towards term lists (`_align`): it ranks
    #: the owner, but a relevance floor set before reads the score with it added back
    lean: float = 0.0

    @property
    def unaligned(self) -> float:
        """The score as it was before `_align`, on the scale relevance floors were set on."""
        return self.score + self.lean


@dataclass(frozen=True)
class _Query:
    text: str
    chunk_vectors: npt.NDArray[np.float32] | None
    sentence_vectors: npt.NDArray[np.float32] | None
    #: each chunk's share of the query's tokens: a long query's parts vote by size
    chunk_weights: FloatArray | None = None
    #: the words BM25 looks for, when they differ from the embedded text
    lexical_text: str | None = None
    #: the query as the records' renderings read (its glossary terms), scored against the
    #: passages embedded by a rendering (``text_language`` "fi")
    rendered_vector: npt.NDArray[np.float32] | None = None

    @property
    def words(self) -> str:
        return self.lexical_text if self.lexical_text is not None else self.text

    #: the language the query was asked in, when the caller knows it ("en", "fi")
    language: str | None = None

    @property
    def renderings(self) -> tuple[str, ...] | None:
        """Which of the records' renderings lexical search reads with their own words: those
        in the query's language (an English need finds a Finnish profile by its English
        rendering), none when the words searched already carry both languages (a Finnish need
        with its English terms: each match would count twice), all when the language is not
        known. Reading a record's rendering in the other language than the query's only
        matched false friends and measured worse (bench/expertise)."""
        if self.lexical_text is not None and self.lexical_text != self.text:
            return ()
        return (self.language,) if self.language else None


def _prepare(
    index: PassageIndex, texts: Sequence[str], config: RankingConfig, rendered: str = ""
) -> list[_Query]:
    """Cut each query into chunks and sentences and embed them all in one batch, with the
    ``rendered`` form of a single query (`match_owners`'s ``rendered_query``) when given."""
    if not (config.use_dense and index.embedder is not None):
        return [_Query(t, None, None) for t in texts]
    embedder = index.embedder
    limit = embedder.max_tokens()
    pieces: list[tuple[list[str], list[str]]] = []
    for text in texts:
        chunks = split_text(text, limit - 2, embedder.count_tokens) or [text]
        sentences: list[str] = []
        for sentence in split_sentences(text) or [text]:
            sentences.extend(split_text(sentence, limit, embedder.count_tokens))
        pieces.append((chunks, sentences or [text]))
    flat = [s for chunks, sentences in pieces for s in (*chunks, *sentences)]
    vectors = index.embed_query([*flat, rendered] if rendered else flat)
    out: list[_Query] = []
    at = 0
    for text, (chunks, sentences) in zip(texts, pieces, strict=True):
        c = vectors[at : at + len(chunks)]
        at += len(chunks)
        s = vectors[at : at + len(sentences)]
        at += len(sentences)
        sizes = np.array([embedder.count_tokens(x) for x in chunks], dtype=np.float64)
        out.append(_Query(text, c, s, sizes / sizes.sum()))
    if rendered and len(out) == 1:
        out[0] = replace(out[0], rendered_vector=vectors[-1])
    return out


def record_of(passage_id: str) -> str:
    """The record a passage was cut from: chunks of one text share the id before "#"."""
    head, sep, _ = passage_id.rpartition("#")
    return head if sep else passage_id


def _group(owners: Sequence[str], rows: npt.NDArray[np.int64]) -> tuple[list[str], FloatArray]:
    """Owner names and a (owners, max rows) matrix of row indices, -1 as padding."""
    names = sorted({owners[i] for i in rows})
    code = {name: n for n, name in enumerate(names)}
    buckets: list[list[int]] = [[] for _ in names]
    for i in rows:
        buckets[code[owners[i]]].append(int(i))
    width = max((len(b) for b in buckets), default=0)
    table = np.full((len(names), max(width, 1)), -1, dtype=np.int64)
    for n, bucket in enumerate(buckets):
        table[n, : len(bucket)] = bucket
    return names, table.astype(np.float64)


def _records(
    entries: Entries, passage_rows: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], list[str]]:
    """For each passage row, the index of its record, and each record's owner.

    Pooling runs over records, not chunks: a long reference cut in two must not count as
    two pieces of evidence (it would crowd a mean-of-top-3 with one text).
    """
    code: dict[str, int] = {}
    owners: list[str] = []
    of_row = np.empty(len(passage_rows), dtype=np.int64)
    for n, i in enumerate(passage_rows):
        key = f"{entries.owners[i]}\x00{record_of(entries.ids[i])}"
        if key not in code:
            code[key] = len(owners)
            owners.append(entries.owners[i])
        of_row[n] = code[key]
    return of_row, owners


def _record_max(row_scores: FloatArray, of_row: npt.NDArray[np.int64], n: int) -> FloatArray:
    """(queries, passage rows) -> (queries, records): a record scores its best chunk."""
    out = np.full((row_scores.shape[0], n), -np.inf)
    for q in range(row_scores.shape[0]):
        np.maximum.at(out[q], of_row, row_scores[q])
    return out


def _pool(
    scores: FloatArray, table: FloatArray, pooling: Pooling, k: int, temperature: float
) -> FloatArray:
    """Pool per-row scores (queries, rows) into per-owner scores (queries, owners).

    "mean" is the mean of the owner's top ``k`` rows; "lse" a soft maximum of the top
    ``k`` (log of the mean of exp(score / temperature)): near the best row, but a second
    and third piece of evidence still add; "max" the single best row.
    """
    idx = table.astype(np.int64)
    valid = idx >= 0
    gathered = np.where(valid[None], scores[:, np.maximum(idx, 0)], -np.inf)
    top = -np.sort(-gathered, axis=2)[:, :, : max(1, k)]
    present = np.isfinite(top)
    if pooling == "max":
        return np.asarray(top[:, :, 0], dtype=np.float64)
    if pooling == "mean":
        total = np.where(present, top, 0.0).sum(axis=2)
        return np.asarray(total / np.maximum(present.sum(axis=2), 1), dtype=np.float64)
    best = top[:, :, :1]
    weights = np.where(present, np.exp((top - best) / temperature), 0.0).sum(axis=2)
    mean = weights / np.maximum(present.sum(axis=2), 1)
    return np.asarray(best[:, :, 0] + temperature * np.log(mean), dtype=np.float64)


def _lexical_z(result: LexicalResult) -> FloatArray:
    scores = result.scores.astype(np.float64)
    spread = float(scores.std())
    if spread == 0:
        return np.zeros_like(scores)
    return np.asarray((scores - scores.mean()) / spread, dtype=np.float64)


def _blend(sentence: FloatArray, rendered: FloatArray) -> FloatArray:
    """A rendered passage's similarity: the query's own, raised halfway to its terms' when
    they match better. A list of terms meets another list better than a sentence does, but a
    few generic terms ("city, bus") also meet many: taking the terms' similarity whole put
    weak Finnish profiles into answers (bench/crosslingual_dev.json, bench/answers)."""
    return np.maximum(sentence, (sentence + rendered) / 2)


def _rows_embedded_by_rendering(entries: Entries) -> npt.NDArray[np.int64]:
    """The rows embedded by a rendering (Finnish texts, by their English terms)."""
    return np.array(
        [i for i, meta in enumerate(entries.metadatas) if meta.get("text_language") == "fi"],
        dtype=np.int64,
    )


def _rendered_rows(
    entries: Entries, query: _Query
) -> tuple[npt.NDArray[np.int64], FloatArray] | None:
    """The rows embedded by a rendering and the rendered query's similarity to each."""
    if query.rendered_vector is None or entries.embeddings is None:
        return None
    rows = _rows_embedded_by_rendering(entries)
    if len(rows) == 0:
        return None
    sims = entries.embeddings[rows].astype(np.float64) @ query.rendered_vector.astype(np.float64)
    return rows, np.asarray(sims, dtype=np.float64)


def _align(
    sims: FloatArray,
    vectors: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64],
    shift: FloatArray,
) -> None:
    """Lower the similarities of the ``rows`` embedded by a rendering by how much nearer the
    query's ``vectors`` are to such records on average (`PassageIndex.rendering_shift`), times
    ALIGN: for a Finnish need, searched by its glossary English (a list of terms), which meets
    the Finnish profiles' lists of terms better than the English sentences that describe
    the work asked for."""
    sims[:, rows] -= ALIGN * (vectors.astype(np.float64) @ shift)[:, None]


def _score(
    index: PassageIndex,
    entries: Entries,
    query: _Query,
    config: RankingConfig,
    with_evidence: bool,
    top_k: int | None = None,
    searched: FullTextResult | None = None,
) -> list[OwnerMatch]:
    """Exact scores of every owner present in ``entries`` for one query. ``searched``: the
    query's full-text result when the candidate step already has it (not searched again)."""
    passage_rows = np.array(
        [i for i, level in enumerate(entries.levels) if level == "passage"], dtype=np.int64
    )
    if len(passage_rows) == 0:
        return []
    of_row, record_owners = _records(entries, passage_rows)
    names, p_table = _group(record_owners, np.arange(len(record_owners), dtype=np.int64))
    n_rows = len(entries.ids)
    total = np.zeros(len(names))
    dense_part = np.zeros(len(names))
    sentence_part = np.zeros(len(names))
    lexical_part = np.zeros(len(names))
    row_dense = np.zeros(n_rows)
    row_sentence = np.zeros(n_rows)
    row_lexical = np.zeros(n_rows)
    lexical_result: LexicalResult | None = None
    fulltext: FullTextResult | None = None
    lexical_position: dict[str, int] = {}

    dense_on = query.chunk_vectors is not None and entries.embeddings is not None
    #: what `_align` took off each owner's score (before the final scale)
    lean = np.zeros(len(names))
    if dense_on and query.chunk_vectors is not None and entries.embeddings is not None:
        vectors = entries.embeddings.T.astype(np.float64)
        sims = query.chunk_vectors.astype(np.float64) @ vectors
        s_sims = (
            query.sentence_vectors.astype(np.float64) @ vectors
            if config.sentence_weight > 0 and query.sentence_vectors is not None
            else None
        )
        rendered = _rendered_rows(entries, query)
        if rendered is not None:
            for table in (sims, s_sims):
                if table is not None:
                    table[:, rendered[0]] = _blend(table[:, rendered[0]], rendered[1])
        weights = (
            query.chunk_weights
            if query.chunk_weights is not None
            else np.full(len(sims), 1.0 / len(sims))
        )
        # The owners' sentence-level rows, when the sentence level counts.
        s_groups = (
            _group(entries.owners, np.flatnonzero(entries.sentence_level))
            if s_sims is not None
            else None
        )

        def parts(sims: FloatArray, s_sims: FloatArray | None) -> tuple[FloatArray, FloatArray]:
            """Each owner's passage-level and sentence-level similarity."""
            record_sims = _record_max(sims[:, passage_rows], of_row, len(record_owners))
            pooled = _pool(
                record_sims, p_table, config.passage_pooling, config.passage_k, config.temperature
            )
            if s_sims is None or s_groups is None:
                return weights @ pooled, np.zeros(len(names))
            s_names, s_table = s_groups
            s_pooled = _pool(
                s_sims, s_table, config.sentence_pooling, config.sentence_k, config.temperature
            ).mean(axis=0)
            lookup = dict(zip(s_names, s_pooled, strict=True))
            return weights @ pooled, np.array([lookup.get(n, 0.0) for n in names])

        # A Finnish need's lean towards the rendered records is taken off them (`_align`).
        aligned = (
            _rows_embedded_by_rendering(entries)
            if query.language == "fi"
            else np.array([], np.int64)
        )
        shift = index.rendering_shift() if len(aligned) else None
        if shift is not None:
            dense_before, sentence_before = parts(sims, s_sims)
            _align(sims, query.chunk_vectors, aligned, shift)
            if s_sims is not None and query.sentence_vectors is not None:
                _align(s_sims, query.sentence_vectors, aligned, shift)
        dense_part, sentence_part = parts(sims, s_sims)
        if shift is not None:
            lean = (
                dense_before
                - dense_part
                + config.sentence_weight * (sentence_before - sentence_part)
            )
        row_dense = weights @ sims
        if s_sims is not None:
            row_sentence = s_sims.max(axis=0)
        total += dense_part + config.sentence_weight * sentence_part

    if (config.use_lexical or not dense_on) and index.fulltext is not None:
        fulltext = (
            searched.only(set(entries.owners))
            if searched is not None
            else index.fulltext.search(
                query.words, owners=set(entries.owners), renderings=query.renderings
            )
        )
        for i in passage_rows:
            row_lexical[i] = fulltext.z(record_of(entries.ids[i]))
    elif config.use_lexical or not dense_on:
        view = index.lexical()
        lexical_result = view.index.search(query.words)
        z = _lexical_z(lexical_result)
        lexical_position = view.position
        for i in passage_rows:
            pos = view.position.get(entries.ids[i])
            row_lexical[i] = z[pos] if pos is not None else 0.0
    if config.use_lexical or not dense_on:
        record_lexical = _record_max(row_lexical[None, passage_rows], of_row, len(record_owners))
        lexical_part = _pool(
            record_lexical, p_table, config.passage_pooling, config.passage_k, 1.0
        )[0]
        # Lexical-only runs rank by BM25 alone; fused runs add it as a small correction.
        total += lexical_part * (config.lexical_weight if dense_on else 1.0)
    if dense_on:
        total *= config.scale

    matches = [
        OwnerMatch(
            owner=name,
            score=float(total[n]),
            dense=float(dense_part[n]),
            sentence=float(sentence_part[n]),
            lexical=float(lexical_part[n]),
            lean=float(lean[n] * config.scale),
        )
        for n, name in enumerate(names)
    ]
    if not with_evidence:
        return matches
    matches.sort(key=lambda m: (-m.score, m.owner))
    if top_k is not None:
        matches = matches[:top_k]
    shown = {m.owner for m in matches}

    # Evidence: each passage scored like its owner but without pooling; the snippet is the
    # passage's best-matching sentence, which is what a reader checks first.
    best_sentence: dict[str, tuple[float, str]] = {}
    # The sentence shown: the best one that is not the passage's title ("AquaSense Nordic
    # Oy." before a profile says nothing the reader does not see already); the title still
    # counts in the score.
    shown_sentence: dict[str, tuple[float, str]] = {}
    for i in np.flatnonzero(entries.sentence_level):
        if entries.owners[i] not in shown:
            continue
        pid = entries.passage_ids[i]
        found = (float(row_sentence[i]), entries.documents[i])
        if pid not in best_sentence or found[0] > best_sentence[pid][0]:
            best_sentence[pid] = found
        if not _is_title(entries, int(i)) and (
            pid not in shown_sentence or found[0] > shown_sentence[pid][0]
        ):
            shown_sentence[pid] = found
    by_owner: dict[str, list[Evidence]] = {}
    lexical_weight = config.lexical_weight if dense_on else 1.0
    for i in passage_rows:
        if entries.owners[i] not in shown:
            continue
        pid = entries.ids[i]
        sentence_score, snippet = best_sentence.get(pid, (0.0, entries.documents[i]))
        snippet = shown_sentence.get(pid, (0.0, snippet))[1]
        pos = lexical_position.get(pid)
        terms = (
            lexical_result.matched_terms(pos)
            if lexical_result is not None and pos is not None
            else []
        )
        if fulltext is not None and record_of(pid) in fulltext.hits:
            terms = fulltext.matched_terms(entries.documents[i])
        meta = entries.metadatas[i]
        by_owner.setdefault(entries.owners[i], []).append(
            Evidence(
                passage_id=pid,
                kind=str(meta.get("kind", "")),
                title=str(meta.get("title", "")),
                snippet=snippet if dense_on else entries.documents[i],
                matched_terms=terms,
                dense=float(row_dense[i]),
                sentence=sentence_score,
                lexical=float(row_lexical[i]),
                score=float(
                    (config.scale if dense_on else 1.0)
                    * (
                        row_dense[i]
                        + config.sentence_weight * sentence_score
                        + lexical_weight * row_lexical[i]
                    )
                ),
            )
        )
    return [
        replace(
            m,
            evidence=sorted(by_owner.get(m.owner, []), key=lambda e: -e.score)[: config.evidence],
        )
        for m in matches
    ]


def _candidate_owners(
    index: PassageIndex, query: _Query, where: Where | None, config: RankingConfig
) -> tuple[set[str], FullTextResult | None]:
    """Owners worth scoring exactly: hit by vector search or among the best BM25 passages;
    and the full-text result they came from (scoring reads it again rather than searching)."""
    owners: set[str] = set()
    found_texts: FullTextResult | None = None
    fulltext = index.fulltext
    started: list[Future[FullTextResult]] = []

    def search_texts(keep: set[str]) -> Future[FullTextResult]:
        # The vector candidates' matches come with the best texts, in the same statement:
        # scoring reads them from the result, not from a second full-text search.
        assert fulltext is not None
        return _FULL_TEXT_SEARCHES.submit(
            fulltext.search, query.words, renderings=query.renderings, keep=keep
        )

    by_text = (config.use_lexical or query.chunk_vectors is None) and fulltext is not None
    if query.chunk_vectors is not None:
        vectors = query.chunk_vectors
        if query.sentence_vectors is not None and config.sentence_weight > 0:
            vectors = np.vstack([vectors, query.sentence_vectors])
        if query.rendered_vector is not None:
            vectors = np.vstack([vectors, query.rendered_vector[None]])

        # One search over both levels: an owner is a candidate if any of its passages or
        # sentences is near any part of the query. Where ids say their owner, the full-text
        # search starts as soon as Chroma has found the nearest records, and every record of
        # their owners is read meanwhile, in one go (the hits' own among them: reading the
        # hits and then their owners' other records took two trips to Chroma).
        def start(keep: set[str]) -> None:
            started.append(search_texts(keep))
            index.read_owners(keep, where)

        early = start if by_text and READ_WHILE_SEARCHING else None
        for hits in index.dense_search(
            vectors, n=config.candidates, where=where, level=None, found=early
        ):
            owners.update(h.owner for h in hits)
    if by_text and fulltext is not None:
        # The best texts, as many owners as vector search brings, then the filter (Chroma's).
        ranked: dict[str, None] = {}
        searching = started[0] if started else search_texts(set(owners))
        if owners and READ_WHILE_SEARCHING and not started:
            # Scoring reads these records next: read while the statement runs.
            index.read_owners(owners, where)
        # (A vector candidate found past the first records, when the filter refused some,
        # has its matches read from the store when scored: `FullTextResult.only`.)
        found_texts = searching.result()
        for hit in found_texts.best(4 * config.candidates):
            ranked.setdefault(hit.owner)
        found = list(ranked)
        permitted = (
            index.allowed_owners(found, where, enough=config.candidates) if where else set(found)
        )
        owners.update([o for o in found if o in permitted][: config.candidates])
    elif config.use_lexical or query.chunk_vectors is None:
        view = index.lexical()
        scores = view.index.search(query.words).scores
        if len(scores) == 0:
            return owners, None
        allowed = index.allowed_ids(where) if where else None
        best = np.argpartition(-scores, min(config.candidates, len(scores) - 1))
        for pos in best[: config.candidates]:
            if scores[pos] <= 0:
                break
            if allowed is None or view.ids[pos] in allowed:
                owners.add(view.owners[pos])
    return owners, found_texts


def match_owners(
    index: PassageIndex,
    query: str,
    *,
    top_k: int | None = 10,
    where: Where | None = None,
    config: RankingConfig = DEFAULT_CONFIG,
    lexical_query: str | None = None,
    language: str | None = None,
    rendered_query: str | None = None,
) -> list[OwnerMatch]:
    """Owners best placed to answer ``query``, best first, each with evidence.

    ``top_k`` None scores every owner (matching ``where``); otherwise candidates come from
    vector search and BM25 and only they are scored exactly. ``where`` is a Chroma metadata
    filter on passages, e.g. ``{"kind": {"$in": ["capability", "reference"]}}``.
    ``lexical_query`` gives BM25 other words than the embedded ``query`` (say, the query's
    terms in the other language, which would only blur an English-only embedding).
    ``language``: the language the need was asked in (which renderings lexical search reads).
    ``rendered_query``: the query as the records' renderings are written (an English need's
    glossary terms): passages embedded by their rendering are also compared with it.
    """
    if not query.strip():
        return []
    prepared = replace(
        _prepare(index, [query], config, rendered=rendered_query or "")[0],
        lexical_text=lexical_query,
        language=language,
    )
    searched: FullTextResult | None = None
    if top_k is None:
        entries = index.entries(where=where, embeddings=prepared.chunk_vectors is not None)
        return _score(index, entries, prepared, config, with_evidence=True, top_k=top_k)
    with index.one_revision():
        owners, searched = _candidate_owners(index, prepared, where, config)
        if not owners:
            return []
        entries = index.entries(
            where=where, owners=owners, embeddings=prepared.chunk_vectors is not None
        )
        return _score(
            index, entries, prepared, config, with_evidence=True, top_k=top_k, searched=searched
        )


def owner_signals(
    index: PassageIndex,
    queries: Mapping[str, str],
    *,
    where: Where | None = None,
    config: RankingConfig = DEFAULT_CONFIG,
    language: str | None = None,
    lexical_queries: Mapping[str, str] | None = None,
) -> tuple[dict[str, dict[str, OwnerMatch]], bool]:
    """``{owner: {query id: match}}`` for every owner and query, with each signal apart, and
    whether the dense signals were on. ``config.combine`` turns the parts into a score under
    other weights without scoring again (the benchmark's cross-validation does). ``language``
    and ``lexical_queries`` (by query id) as `match_owners`'s ``language`` and
    ``lexical_query``."""
    ids = list(queries)
    words = lexical_queries or {}
    prepared = [
        replace(q, language=language, lexical_text=words.get(qid))
        for qid, q in zip(ids, _prepare(index, [queries[i] for i in ids], config), strict=True)
    ]
    dense = any(q.chunk_vectors is not None for q in prepared)
    entries = index.entries(where=where, embeddings=dense)
    out: dict[str, dict[str, OwnerMatch]] = {}
    for qid, query in zip(ids, prepared, strict=True):
        for match in _score(index, entries, query, config, with_evidence=False):
            out.setdefault(match.owner, {})[qid] = match
    return out, dense


def score_owners(
    index: PassageIndex,
    queries: Mapping[str, str],
    *,
    where: Where | None = None,
    config: RankingConfig = DEFAULT_CONFIG,
    language: str | None = None,
) -> dict[str, dict[str, float]]:
    """``{owner: {query id: score}}`` for every owner and query (the dense matrix).

    Reads the collection once, then scores each query exactly; used by the benchmark
    and by jobs that rank many challenges for many members (digests).
    """
    signals, _ = owner_signals(index, queries, where=where, config=config, language=language)
    return {
        owner: {qid: match.score for qid, match in by_query.items()}
        for owner, by_query in signals.items()
    }


def _is_title(entries: Entries, i: int) -> bool:
    """Whether record ``i`` is the sentence its passage's title makes."""
    title = str(entries.metadatas[i].get("title", "")).strip().rstrip(".")
    return bool(title) and entries.documents[i].strip().rstrip(".") == title
