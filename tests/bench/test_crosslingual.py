"""The cross-lingual benchmark's tallies: the same members asked in each language."""

from __future__ import annotations

from bench.crosslingual import BOT_VARIANTS, QueryPair, by_profile_language
from bot.services.language import Language

FINNISH, ENGLISH = (
    next(n for n, lang in BOT_VARIANTS.items() if lang == language) for language in ("fi", "en")
)


def test_each_profile_language_is_scored_on_the_same_members_in_both_languages() -> None:
    pairs = [
        QueryPair("heat", "kaukolämpö", "district heating", frozenset({"lampoverkko", "nordic"})),
        QueryPair("air", "sisäilma", "indoor air", frozenset({"airnode"})),
    ]
    profiles: dict[str, Language] = {"lampoverkko": "fi", "nordic": "en", "airnode": "en"}
    rankings = {
        # Asked in Finnish the Finnish profile comes first and the English ones second.
        FINNISH: [["lampoverkko", "x", "nordic"], ["x", "airnode"]],
        ENGLISH: [["nordic", "lampoverkko"], ["airnode"]],
    }
    scores = by_profile_language(rankings, pairs, profiles)
    english_in_finnish = scores["English profiles, asked in Finnish (across)"]
    # The other profile language's relevant members are left out of the ranking: "nordic"
    # is second behind "x" once "lampoverkko" is set aside.
    assert english_in_finnish.ranks == (2, 2)
    assert scores["English profiles, asked in English (within)"].ranks == (1, 1)
    assert scores["Finnish profiles, asked in Finnish (within)"].ranks == (1,)
    assert scores["Finnish profiles, asked in English (across)"].ranks == (1,)
