"""Answers as Block Kit: the written answer above the template with its sources and buttons,
every intent's template in the question's language."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot import ids
from bot.blocks.answers import (
    build_answer,
    build_no_answer,
    build_working,
    build_written_answer,
    build_written_draft,
    read_source_value,
    source_value,
)
from bot.services.matching import Contact, Evidence, SolverMatch, TeamSuggestion
from bot.services.questions.answers import Answer, ChallengeLine, Source, WrittenAnswer
from bot.services.questions.understanding import Filters, Understood
from tests.bot.block_kit import assert_valid_message
from tests.conftest import NOW

KANTAVA = SolverMatch(
    member_slug="kantava",
    member_name="Kantava Structural Monitoring Oy",
    kind="company",
    city="Oulu",
    country="Finland",
    score=0.8,
    reason="Capability: snow load sensing on flat roofs",
    evidence=(Evidence("capability", "", "snow load sensing on flat roofs"),),
    contacts=(Contact("Markus Holmberg", "markus@kantava.fi", "CEO", "U0KANTAVA"),),
)
SOURCES = (
    Source(1, "member", "kantava", "Kantava Structural Monitoring Oy", "…", "https://kantava.fi"),
    Source(2, "reference", "kantava", "Roof load alarms (City of Oulu, 2023) – Kantava", "…"),
    Source(3, "member", "frostline", "Frostline Geotech AS", "…"),
)


def solver_answer(language: str = "en") -> Answer:
    asked = "who can solve snow on roofs?" if language == "en" else "kuka osaa lumikuormat?"
    need = "snow on roofs" if language == "en" else "lumikuormat"
    return Answer(
        Understood("solvers", language, asked, need=need),  # type: ignore[arg-type]
        solvers=(KANTAVA,),
        sources=SOURCES,
    )


def elements(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == kind
    ]


def test_the_written_answer_shows_its_cited_sources_and_keeps_the_solver_buttons() -> None:
    written = WrittenAnswer("Kantava senses snow loads [1] and did it in Oulu [1][2].", (1, 2))
    message = build_written_answer(solver_answer(), written, staff_channel="C0STAFF", question_id=7)
    assert_valid_message(message)
    first = message["blocks"][0]
    assert first["text"]["text"] == "Kantava senses snow loads [1] and did it in Oulu [1][2]."
    (footnote,) = [b for b in message["blocks"] if b["type"] == "context" and "Sources" in str(b)]
    assert footnote["elements"][0]["text"] == (
        "*Sources*\n[1] <https://kantava.fi|Kantava Structural Monitoring Oy>\n"
        "[2] Roof load alarms (City of Oulu, 2023) – Kantava"
    )
    (menu,) = elements(message, "static_select")
    assert menu["action_id"] == ids.OPEN_SOURCE
    assert [o["text"]["text"] for o in menu["options"]] == [
        "[1] Kantava Structural Monitoring Oy",
        "[2] Roof load alarms (City of Oulu, 2023) – Kantava",
    ]  # the uncited source is left out
    assert [read_source_value(o["value"]) for o in menu["options"]] == [
        ("member", "kantava"),
        ("reference", "kantava"),
    ]
    buttons = elements(message, "button")
    value = json.dumps(
        {"member": "kantava", "question": 7, "challenge": None}, separators=(",", ":")
    )
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ids.INTRODUCE, value),
        (ids.NOT_A_FIT, value),
    ]
    assert "<@U0KANTAVA>" in str(message["blocks"])


def test_the_model_s_text_is_escaped_so_it_cannot_ping_or_link() -> None:
    written = WrittenAnswer("Ask <!channel> & see <https://evil.example|here> [1].", (1,))
    message = build_written_answer(solver_answer(), written, staff_channel="")
    text = message["blocks"][0]["text"]["text"]
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; &amp; see" in text
    # The notification text Slack shows and pings from is escaped as well.
    assert "<!channel>" not in message["text"] and "&lt;!channel&gt;" in message["text"]


def test_a_source_value_round_trips_and_stays_unique() -> None:
    values = [source_value(s) for s in SOURCES]
    assert len(set(values)) == len(values)
    assert read_source_value(values[1]) == ("reference", "kantava")
    assert read_source_value("challenge:espoo-winter-roofs:4") == (
        "challenge",
        "espoo-winter-roofs",
    )


def test_the_working_message_and_the_draft_are_valid_and_in_the_question_s_language() -> None:
    assert "Looking through the cluster's records" in build_working("en")["text"]
    assert "Käyn läpi klusterin tietoja" in build_working("fi")["text"]
    draft = build_written_draft("Kantava senses [1")
    assert_valid_message(build_working("fi"))
    assert_valid_message(draft)
    assert draft["blocks"][0]["text"]["text"].startswith("Kantava senses [1")


def test_the_template_stays_under_the_written_answer() -> None:
    written = WrittenAnswer("Kantava senses snow loads [1].", (1,))
    message = build_written_answer(solver_answer(), written, staff_channel="C0STAFF")
    texts = [str(b) for b in message["blocks"]]
    written_at = next(i for i, t in enumerate(texts) if "Kantava senses snow loads" in t)
    template_at = next(i for i, t in enumerate(texts) if "best placed" in t)
    assert written_at < template_at


def test_a_question_no_need_was_cut_from_is_not_repeated_as_the_need() -> None:
    asked = "Who can warn us before too much snow piles up on school roofs?"
    answer = Answer(Understood("solvers", "en", asked, need=asked.rstrip("?")), solvers=(KANTAVA,))
    heading = build_answer(answer, staff_channel="C0STAFF")["blocks"][0]["text"]["text"]
    assert heading == "These members look best placed to help with what you asked:"
    finnish = Answer(
        Understood("solvers", "fi", "kuka osaa?", need="kuka osaa"), solvers=(KANTAVA,)
    )
    heading = build_answer(finnish, staff_channel="C0STAFF")["blocks"][0]["text"]["text"]
    assert heading == "Nämä jäsenet sopisivat parhaiten kysymääsi tarpeeseen:"
    # A need cut out of its question is still named.
    plain = build_answer(solver_answer(), staff_channel="C0STAFF")["blocks"][0]["text"]["text"]
    assert plain == "These members look best placed to help with *snow on roofs*:"


def test_members_asked_for_by_place_alone_are_headed_by_the_place() -> None:
    asked = "who are the members based in Tromsø?"
    in_place = Filters(place="Tromsø", local=True)
    answer = Answer(Understood("solvers", "en", asked, filters=in_place), solvers=(KANTAVA,))
    heading = build_answer(answer, staff_channel="C0STAFF")["blocks"][0]["text"]["text"]
    assert heading == "Members based in Tromsø:"
    finnish = Answer(
        Understood("solvers", "fi", "ketkä jäsenet ovat Tromssasta?", filters=in_place),
        solvers=(KANTAVA,),
    )
    heading = build_answer(finnish, staff_channel="C0STAFF")["blocks"][0]["text"]["text"]
    assert heading == "Jäsenet, joiden kotipaikka on Tromsø:"


def test_no_member_of_the_size_asked_for_is_said_with_the_size() -> None:
    # "Entä suuremmat yritykset?" with none: not "no member fits", which read as though
    # the need itself had nobody, when the smaller companies shown before still do.
    larger = Filters(sizes=("medium", "large"), kinds=("company",))
    finnish = Answer(
        Understood("solvers", "fi", "entä suuremmat yritykset?", need="lumikuormat", filters=larger)
    )
    message = build_answer(finnish, staff_channel="C0STAFF")
    assert_valid_message(message)
    assert message["blocks"][0]["text"]["text"] == (
        "En löytänyt suuremmista yrityksistä ketään, jonka tiedot sopisivat hakuun ”*lumikuormat*”."
    )
    smaller = Filters(sizes=("micro", "small"))
    english = Answer(Understood("solvers", "en", "smaller members?", need="ice", filters=smaller))
    heading = build_answer(english, staff_channel="C0STAFF")["blocks"][0]["text"]["text"]
    assert heading == "Among the smaller members, I found none whose records fit *ice*."
    # When some are of that size, the heading says they are.
    found = build_answer(replace(finnish, solvers=(KANTAVA,)), staff_channel="C0STAFF")
    heading = found["blocks"][0]["text"]["text"]
    assert heading == "Suuremmista yrityksistä hakuun ”*lumikuormat*” sopisivat parhaiten nämä:"


def test_template_answers_speak_finnish_to_a_finnish_question() -> None:
    solvers = build_answer(solver_answer("fi"), staff_channel="C0STAFF")
    assert solvers["blocks"][0]["text"]["text"].startswith("Parhaiten sopivat jäsenet")
    assert [b["text"]["text"] for b in elements(solvers, "button")] == ["Esittele minut", "Ei sovi"]
    nothing = build_no_answer("lumi", staff_channel="C0STAFF", language="fi")
    assert nothing["text"].startswith("En löytänyt jäsentä")
    assert elements(nothing, "button")[0]["action_id"] == ids.ASK_STAFF
    greeting = build_answer(
        Answer(Understood("other", "fi", "moi", other="greeting")), staff_channel="C0STAFF"
    )
    assert greeting["text"].startswith("Hei! Olen SCIC Bot")
    assert elements(greeting, "button") == []
    line = ChallengeLine(
        1, "tampere-heat", "Lämpöhuiput", "Tampere", "Tampere", "FI", "open", None, closes_in=None
    )
    asked = Understood(
        "challenges",
        "fi",
        "mitkä haasteet ovat auki Tampereella?",
        filters=Filters(place="Tampere"),
    )
    listing = Answer(asked, challenges=(line,), total=1)
    finnish = build_answer(listing, staff_channel="C0STAFF")
    assert finnish["blocks"][0]["text"]["text"] == "*Avoimet haasteet – Tampere* — 1 kpl:"
    assert "auki · ei määräaikaa" in finnish["blocks"][1]["text"]["text"]
    english = Answer(
        Understood("challenges", "en", "open in Tampere?", filters=Filters(place="Tampere")),
        challenges=(line,),
        total=1,
    )
    heading = build_answer(english, staff_channel="C0STAFF")["blocks"][0]["text"]["text"]
    assert heading == "*Open challenges in Tampere* — 1 found:"
    for message in (solvers, nothing, greeting, finnish):
        assert_valid_message(message)


def test_a_listing_says_when_each_challenge_closes_in_the_asker_s_language() -> None:
    soon = ChallengeLine(
        2, "kera", "Kera", "Espoo", "Espoo", "FI", "teams_forming", NOW.date(), closes_in=3,
        team=("ReHeat Systems Oy",),
    )  # fmt: skip
    for language, closes, team in (
        ("en", "closes in 3 days", "team: ReHeat Systems Oy"),
        ("fi", "sulkeutuu 3 päivän päästä", "tiimissä: ReHeat Systems Oy"),
    ):
        answer = Answer(
            Understood("challenges", language, "?"),  # type: ignore[arg-type]
            challenges=(soon,),
            total=1,
        )
        item = build_answer(answer, staff_channel="")["blocks"][1]["text"]["text"]
        assert closes in item and team in item


def test_a_role_nobody_holds_is_said_before_the_person_to_ask_instead() -> None:
    from bot.services.questions.answers import PersonProfile

    director = PersonProfile(
        "Toni Anttila", "toni@soundscape.example", "Managing Director", "Soundscape Oy",
        "soundscape", ("environmental noise monitoring",), None, False,
    )  # fmt: skip
    asked = Understood("person", "en", "who is Soundscape's CTO?", person_id=7, member_id=3)
    plain = build_answer(Answer(asked, person=director), staff_channel="C0STAFF")
    assert "Toni Anttila" in plain["blocks"][0]["text"]["text"]
    not_held = replace(asked, role_not_held="CTO")
    message = build_answer(Answer(not_held, person=director), staff_channel="C0STAFF")
    texts = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Soundscape Oy has no CTO on record. The person to ask:" in texts
    assert texts.index("no CTO") < texts.index("Toni Anttila")
    finnish = replace(not_held, language="fi", text="kuka on Soundscapen teknologiajohtaja?")
    in_finnish = build_answer(Answer(finnish, person=director), staff_channel="C0STAFF")
    assert "Organisaatiolle Soundscape Oy ei ole kirjattu roolia CTO" in json.dumps(
        in_finnish["blocks"], ensure_ascii=False
    )
    for built in (plain, message, in_finnish):
        assert_valid_message(built)


def test_a_team_answer_names_the_others_who_could_take_a_need_too() -> None:
    def member(slug: str, name: str, score: float) -> SolverMatch:
        return replace(KANTAVA, member_slug=slug, member_name=name, score=score)

    sense, frost, snow = (
        member("kantava", "Kantava Oy", 0.9),
        member("frostline", "Frostline AS", 0.7),
        member("lumi", "Lumi <Data> Oy", 0.8),
    )
    team = TeamSuggestion(
        needs=("snow load sensing", "ground frost"),
        members=(sense,),
        covered_by={"snow load sensing": ("kantava",), "ground frost": ("kantava",)},
        by_need={
            "snow load sensing": (sense, snow, frost),
            "ground frost": (sense, replace(frost, score=0.75)),
        },
    )
    # The cover's member is not named again; each other member once, with the need it
    # covers best, best first.
    assert [(m.member_slug, need) for m, need in team.alternatives()] == [
        ("lumi", "snow load sensing"),
        ("frostline", "ground frost"),
    ]
    assert team.alternatives(limit=1)[0][0].member_slug == "lumi"
    for language, heading in (
        ("en", "Others who could also take a need: "),
        ("fi", "Muita, jotka voisivat ottaa jonkin tarpeen: "),
    ):
        answer = Answer(
            Understood("team", language, "team for roofs?", need="roofs"),  # type: ignore[arg-type]
            team=team,
        )
        assert answer.members_listed == ("kantava", "lumi", "frostline")
        message = build_answer(answer, staff_channel="C0STAFF")
        assert_valid_message(message)
        texts = [b["text"]["text"] for b in message["blocks"] if "text" in b]
        note = next(t for t in texts if t.startswith(heading))
        assert note == heading + (
            "*Lumi &lt;Data&gt; Oy* (snow load sensing); *Frostline AS* (ground frost)"
        )
    one_need = Answer(
        Understood("team", "en", "team for roofs?", need="roofs"),
        team=replace(
            team,
            needs=("snow load sensing",),
            by_need={"snow load sensing": (sense, snow, frost)},
        ),
    )
    blocks = build_answer(one_need, staff_channel="C0")["blocks"]
    texts = [b["text"]["text"] for b in blocks if "text" in b]
    assert "Others who could also take a need: *Lumi &lt;Data&gt; Oy*; *Frostline AS*" in texts
    alone = Answer(
        Understood("team", "en", "team for roofs?", need="roofs"),
        team=replace(team, by_need={"snow load sensing": (sense,)}),
    )
    assert "Others who could" not in json.dumps(build_answer(alone, staff_channel="C0STAFF"))
