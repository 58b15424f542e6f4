"""The expertise benchmark's evaluation and cross-validation, on small made-up ratings."""

from __future__ import annotations

import random

from bench.expertise import (
    Tally,
    cross_validate,
    evaluate,
    expert_folds,
    settings_grid,
    tally,
)
from retrieval.ranking import DEFAULT_CONFIG, VARIANTS, RankingConfig

EXPERTS = [f"e{n}" for n in range(10)]
PAPERS = [f"p{n}" for n in range(30)]


def _ratings(seed: int = 0) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    # Each paper is rated by one or two experts, as in the real set.
    ratings: dict[str, dict[str, float]] = {e: {} for e in EXPERTS}
    for n, paper in enumerate(PAPERS):
        for expert in {EXPERTS[n % 10], EXPERTS[(n * 7) % 10] if n % 4 == 0 else EXPERTS[n % 10]}:
            ratings[expert][paper] = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0])
    return ratings


def _predictions(seed: int) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    return {e: {p: rng.random() for p in PAPERS} for e in EXPERTS}


def _oracle(ratings: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {e: {p: ratings[e].get(p, 0.0) for p in PAPERS} for e in EXPERTS}


def test_perfect_predictions_have_no_loss_and_rank_first() -> None:
    ratings = _ratings()
    metrics = evaluate(_oracle(ratings), ratings)
    assert metrics["loss"] == 0.0
    assert metrics["mrr"] == 1.0


def test_folds_add_up_to_the_whole() -> None:
    ratings = _ratings()
    predictions = _predictions(1)
    folds = expert_folds(EXPERTS, 5, seed=3)
    assert sorted(e for f in folds for e in f) == sorted(EXPERTS)
    pooled = sum((tally(predictions, ratings, f) for f in folds), Tally()).metrics()
    whole = evaluate(predictions, ratings)
    assert abs(pooled["loss"] - whole["loss"]) < 1e-12
    assert abs(pooled["easy"] - whole["easy"]) < 1e-12


def test_the_setting_is_chosen_without_the_held_out_fold() -> None:
    ratings = _ratings()
    folds = expert_folds(EXPERTS, 5, seed=3)
    first, rest = RankingConfig(lexical_weight=0.01), RankingConfig(lexical_weight=0.02)
    oracle, noise = _oracle(ratings), _predictions(2)
    held = set(folds[0])
    # "first" is perfect on the first fold and noise elsewhere; "rest" the other way round.
    on_first = {e: (oracle[e] if e in held else noise[e]) for e in EXPERTS}
    on_rest = {e: (noise[e] if e in held else oracle[e]) for e in EXPERTS}
    cv = cross_validate([(first, on_first), (rest, on_rest)], ratings, folds)
    # The first fold is scored by what its training folds prefer, "rest": noise there. A
    # choice that saw the first fold's ratings would have scored it perfectly.
    assert cv.chosen_per_fold[0] == rest
    assert cv.held_out["loss"] > 0.05
    assert cv.held_out["loss"] == evaluate(on_rest, ratings)["loss"]
    assert cv.chosen_in_sample == rest
    assert cv.in_sample == evaluate(on_rest, ratings)


def test_grid_weighs_only_the_signals_a_variant_uses() -> None:
    assert len(settings_grid(DEFAULT_CONFIG)) > 1
    assert {c.lexical_weight for c in settings_grid(VARIANTS["dense"])} == {
        VARIANTS["dense"].lexical_weight
    }
    assert {c.sentence_weight for c in settings_grid(VARIANTS["passage-only"])} == {0.0}
    assert len(settings_grid(VARIANTS["lexical"])) == 1
