"""The scale benchmark's kept stores (--keep / --reuse) and its print when a baseline is left out,
on a few members and a small phrase vocabulary (the real model embeds the phrases)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import make_url

import bench.scale
from bench.scale import (
    KEPT_DATABASE,
    PhraseEmbedder,
    _import,
    _members,
    _world,
    main,
    run_scale_benchmark,
    synthetic_members,
)
from bench.speed import CONTEXTS, phrase_vocabulary
from retrieval.embedding import MiniLMEmbedder, Vectors
from tests.conftest import _drop_postgres_database


def test_a_kept_store_outlives_the_run_and_opens_again(tmp_path: Path) -> None:
    with _world("sqlite", "", tmp_path / "kept") as (engine, chroma):
        _import(engine, synthetic_members(3))
        assert chroma == tmp_path / "kept" / "chroma"
    with _world("sqlite", "", tmp_path / "kept") as (engine, _):
        assert _members(engine) == 3


def test_a_kept_postgresql_store_outlives_the_run_and_opens_again(
    tmp_path: Path, postgres_url: str
) -> None:
    # The database is made beside the test session's own, on the same server.
    try:
        with _world("postgresql", postgres_url, tmp_path / "kept") as (engine, chroma):
            _import(engine, synthetic_members(3))
            assert chroma == tmp_path / "kept" / "chroma"
        with _world("postgresql", postgres_url, tmp_path / "kept") as (engine, _):
            assert _members(engine) == 3
            assert engine.url.database != make_url(postgres_url).database
    finally:
        _drop_postgres_database((tmp_path / "kept" / KEPT_DATABASE).read_text())


def test_a_scratch_store_is_dropped_after_the_run() -> None:
    with _world("sqlite", "") as (engine, chroma):
        _import(engine, synthetic_members(1))
        chroma.mkdir()
    assert not chroma.parent.exists()


@pytest.mark.parametrize(
    "options",
    [
        ["--reuse", "{tmp}"],  # nothing kept there
        ["--reuse", "{tmp}", "--store", "postgresql"],  # nor a PostgreSQL store
        ["--keep", "{tmp}", "--reuse", "{tmp}"],
    ],
)
def test_refuses_a_store_it_cannot_keep_or_reuse(tmp_path: Path, options: list[str]) -> None:
    argv = ["--model-dir", str(tmp_path), "--sizes", "5"]
    with pytest.raises(SystemExit):
        main(argv + [o.format(tmp=tmp_path) for o in options])


@pytest.mark.parametrize("count", ["5", "271"])
def test_refuses_more_questions_than_there_are_or_too_few_for_a_p95(
    tmp_path: Path, count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["--model-dir", str(tmp_path), "--sizes", "5", "--questions", count])
    assert "--questions must be 20 to 270" in capsys.readouterr().err


def test_keep_refuses_to_build_over_a_kept_store(tmp_path: Path) -> None:
    (tmp_path / "5").mkdir()
    with pytest.raises(SystemExit):
        main(["--model-dir", str(tmp_path), "--sizes", "5", "--keep", str(tmp_path)])


@pytest.fixture
def few_phrases(monkeypatch: pytest.MonkeyPatch) -> None:
    """200 phrases instead of 3,900: the phrases are embedded for real at every run."""
    monkeypatch.setattr(bench.scale, "phrase_vocabulary", lambda: phrase_vocabulary()[:200])


@pytest.mark.usefixtures("few_phrases")
def test_reuses_a_kept_store_and_says_what_it_left_out(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = run_scale_benchmark(
        [20], model_dir, later_import=4, questions=4, skip_before=True, keep=tmp_path
    )
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("     20 members: import ")
    assert "before 2026-12-07: not asked (--skip-before)" in line
    assert "before_p95_ms" not in built[0]
    assert (tmp_path / "20" / "store.db").is_file()

    again = run_scale_benchmark(
        [20], model_dir, later_import=4, questions=4, skip_before=True, reuse=tmp_path
    )
    line = capsys.readouterr().out.splitlines()[-1]
    # The first run's later import is in the store: counted, and what its first question left
    # queued is indexed now, unless the question path's indexing finished it after the count
    # (it goes on once the first run has printed): never more than was left.
    assert again[0]["members"] == 24
    assert 0 <= again[0]["caught_up"] <= built[0]["behind_after"]
    assert f"24 members: store reused from {tmp_path / '20'}" in line
    assert "p95" in line and again[0]["p95_ms"] > 0


def test_fast_index_sums_a_phrase_and_a_context_instead_of_asking_the_model(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = MiniLMEmbedder(model_dir)
    phrase, context = phrase_vocabulary()[0], CONTEXTS[3]
    text = f"{phrase} {context}. (Espoo, 2021)"  # a first reference's description
    plain = PhraseEmbedder(real, [phrase])
    fast = PhraseEmbedder(real, [phrase], [context])
    asked: list[str] = []
    embed = real.embed

    def counted(texts: list[str]) -> Vectors:
        asked.extend(texts)
        return embed(texts)

    monkeypatch.setattr(real, "embed", counted)
    vector = fast.embed([text])[0]
    assert asked == []
    summed = fast.table[phrase.lower()] + fast.contexts[context.lower()]
    np.testing.assert_allclose(vector, summed / np.linalg.norm(summed), atol=1e-6)
    plain.embed([text])
    assert asked == [text]  # without --fast-index the model embeds it, as before


@pytest.mark.usefixtures("few_phrases")
def test_with_a_chroma_server_the_index_lives_in_the_server_and_its_memory_is_printed(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = run_scale_benchmark(
        [12],
        model_dir,
        later_import=3,
        questions=4,
        skip_before=True,
        keep=tmp_path,
        chroma_kind="server",
    )
    line = capsys.readouterr().out.splitlines()[-1]
    assert "the `chroma run` server " in line
    assert built[0]["server_peak_mb"] >= built[0]["server_rss_mb"] > 0
    assert built[0]["p95_ms"] > 0 and built[0]["second_ready_s"] > 0
    # The server stored the index in the kept folder: an embedded client reads it there.
    import chromadb

    names = [
        c.name
        for c in chromadb.PersistentClient(str(tmp_path / "12" / "chroma")).list_collections()
    ]
    assert any(name.startswith("members") for name in names)
