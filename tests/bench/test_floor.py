"""The relevance floor's cross-validation: folds hold both kinds of question, each fold is
measured under a floor chosen without it, and a floor is recommended only if it helps there."""

from __future__ import annotations

from bench.floor import Asked, choose_floor, cross_validate, question_folds, rates


def need(score: float, n: int = 0) -> Asked:
    return Asked(f"need {n}", True, score)


def other(score: float, n: int = 0) -> Asked:
    return Asked(f"other {n}", False, score)


def test_folds_deal_every_question_once_with_both_kinds_in_each() -> None:
    asked = [need(1.0, n) for n in range(12)] + [other(0.5, n) for n in range(6)]
    folds = question_folds(asked)
    assert sorted(n for fold in folds for n in fold) == list(range(len(asked)))
    for fold in folds:
        kinds = {asked[n].real for n in fold}
        assert kinds == {True, False}
    assert folds == question_folds(asked)  # the same deal every run


def test_a_floor_that_separates_the_kinds_is_recommended() -> None:
    asked = [need(1.0 + n / 100, n) for n in range(15)] + [
        other(0.6 + n / 100, n) for n in range(10)
    ]
    validated = cross_validate(asked, in_use=0.5, folds=question_folds(asked))
    # The floor in use lets every other question through; floors chosen without the fold
    # stop most of them and lose no need.
    assert validated.in_use_stopped == 0.0
    assert validated.passed == 1.0 and validated.stopped >= 0.8
    assert validated.helps and not validated.lost
    assert all(0.6 < f <= 1.0 for f in validated.floors)


def test_a_floor_that_loses_a_need_held_out_is_not_recommended() -> None:
    # One real need scores like small talk: a floor chosen without it stops it when it is
    # measured, and the floor in use (0.8) passed it.
    asked = [need(1.2, n) for n in range(10)] + [need(0.85, 99)]
    asked += [other(0.9, n) for n in range(4)] + [other(0.3, 10 + n) for n in range(4)]
    validated = cross_validate(asked, in_use=0.8, folds=question_folds(asked))
    assert "need 99" in validated.lost
    assert not validated.helps


def test_the_chosen_floor_lies_halfway_between_the_kinds() -> None:
    asked = [need(1.0), need(1.1), other(0.7), other(0.9)]
    floor = choose_floor(asked)
    assert floor == 0.95
    assert rates(asked, floor) == (1.0, 1.0)
