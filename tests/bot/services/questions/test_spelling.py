"""The speller against the records' own words: misspellings put right, real words left."""

from __future__ import annotations

from bot.services.questions.spelling import Speller, WordPairs

RECORDS = [
    "Acoustic leak detection in water pipes and district heating networks.",
    "Leak detection for water utilities.",
    "We measure flows and measure pressure.",
    "Drilling and monitoring of groundwater wells; wells for geothermal heat.",
    "Mobility hubs for shared bikes; data hubs for city sensors.",
]


def _speller() -> Speller:
    words: dict[str, int] = {}
    for text in RECORDS:
        for word in text.lower().replace(";", " ").replace(".", " ").split():
            words[word] = words.get(word, 0) + 1
    return Speller(words, WordPairs(RECORDS))


def test_a_rare_word_is_put_right_where_the_records_use_the_correction_beside_its_neighbour() -> (
    None
):
    speller = _speller()
    assert speller.correct("who can help with leek detection?") == (
        "who can help with leak detection?"
    )


def test_real_words_the_records_do_not_use_are_left_alone() -> None:
    speller = _speller()
    # "wells" and "hubs" are record words one edit away, never beside these words.
    assert speller.correct("tourism in the fells of Lapland") == "tourism in the fells of Lapland"
    assert speller.correct("who can build huts for reindeer herders") == (
        "who can build huts for reindeer herders"
    )
    # A common misspelling, though wordfreq counts it, and a typo that is no word at all are
    # put right without company.
    assert speller.correct("how to mesure leaks") == "how to measure leaks"
    assert speller.correct("who can hepl with acustic leak detection") == (
        "who can help with acoustic leak detection"
    )


def test_word_pairs_are_read_in_either_order_and_skip_short_words() -> None:
    pairs = WordPairs(["leak detection in water pipes"])
    assert ("leak", "detection") in pairs and ("detection", "leak") in pairs
    assert ("detection", "water") in pairs  # "in" is skipped
    assert ("pipes", "networks") in WordPairs(["pipes and networks"])  # and "and"
    assert ("leak", "pipes") not in pairs
    assert len(WordPairs([])) == 0


def test_a_real_word_of_either_language_is_not_made_into_a_commoner_record_word() -> None:
    records = [
        "Sensors under the street; pipes under the road.",
        "Palvelu, jolla kiinteistö seurataan; malli, jolla vuodot löytyvät.",
    ]
    words: dict[str, int] = {}
    for text in records:
        for word in text.lower().replace(";", " ").replace(",", " ").replace(".", " ").split():
            words[word] = words.get(word, 0) + 1
    speller = Speller(words, WordPairs(records))
    # "funder" is an English word the spelling dictionary lacks, one edit from "under";
    # "joella" (by the river) is Finnish, one edit from "jolla".
    assert speller.correct("we need a funder for the pilot") == "we need a funder for the pilot"
    assert speller.correct("mittaus joella", "fi") == "mittaus joella"
    # A misspelling is still put right towards the same words.
    assert speller.correct("sensors undr the street") == "sensors under the street"


def test_a_misspelling_that_begins_as_a_record_word_is_put_right_but_an_inflection_is_not() -> None:
    records = [
        "Predictive maintenance of bridges; it maintains pumps.",
        "Maintenance planning for water utilities.",
        "Microgrid design and infrastructure monitoring.",
        "Kiinteistöjen huolto ja kunnossapito.",
    ]
    words: dict[str, int] = {}
    for text in records:
        for word in text.lower().replace(";", " ").replace(".", " ").split():
            words[word] = words.get(word, 0) + 1
    speller = Speller(words, WordPairs(records))
    # "maintainance" begins as "maintains" does, and English pages misspell it so often that
    # wordfreq counts it; it is two edits from "maintenance", which the records use often.
    assert speller.correct("who does predictive maintainance for bridges") == (
        "who does predictive maintenance for bridges"
    )
    # A typo nobody writes, in an English question.
    assert speller.correct("infrastucture monitoring") == "infrastructure monitoring"
    # A record word with an ending, and a Finnish inflection of a record word, stay.
    assert speller.correct("microgrids in villages") == "microgrids in villages"
    assert speller.correct("kunnossapidon palvelut", "fi") == "kunnossapidon palvelut"
