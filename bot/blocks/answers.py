"""Answers to questions, as Block Kit messages: solvers with evidence, challenges, a profile,
and the language model's written answer with its numbered sources."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.blocks.common import (
    Block,
    button,
    clip,
    context,
    divider,
    escape,
    format_day,
    message,
    plain,
    section,
)
from bot.services.answers import Answer, ChallengeLine, MemberProfile, Source, WrittenAnswer
from bot.services.introductions import IntroductionRequest
from bot.services.matching import Contact, SolverMatch

SELECT_OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
FOOTNOTE_MAX = 2900
# The template's few fixed sentences, in the language of the question.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "solvers": "These members look best placed to solve *{subject}*:",
        "no_answer": "I could not find an answer to that in the cluster's records. "
        "The staff may know more",
        "unclear": "I'm not sure what you are asking. Try *who can solve <a problem>?*, "
        "*which challenges are open in <a city>?* or *what does <a member> do?*",
        "open_challenges": "Open challenges",
        "challenges": "Challenges",
        "in_place": "{which} in {place}",
        "found": "{n} found",
        "working": "Looking through the cluster's records…",
        "sources": "Sources",
        "open_source": "Open a source",
    },
    "fi": {
        "solvers": "Nämä jäsenet voisivat parhaiten ratkaista tämän: *{subject}*",
        "no_answer": "En löytänyt tähän vastausta klusterin tiedoista. "
        "Henkilökunta voi tietää enemmän",
        "unclear": "En ole varma, mitä kysyt. Kokeile *kuka osaa <ongelma>?*, "
        "*mitkä haasteet ovat auki <kaupungissa>?* tai *mitä <jäsen> tekee?*",
        "open_challenges": "Avoimet haasteet",
        "challenges": "Haasteet",
        "in_place": "{which} – {place}",
        "found": "löytyi {n}",
        "working": "Käyn läpi klusterin tietoja…",
        "sources": "Lähteet",
        "open_source": "Avaa lähde",
    },
}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["en"])


STATUS_LABELS = {
    "open": "open",
    "teams_forming": "teams forming",
    "proposal_submitted": "proposal submitted",
    "won": "won",
    "lost": "lost",
    "closed": "closed",
    "draft": "draft",
    "deadline_passed": "deadline passed",
}


def contact_text(contact: Contact) -> str:
    """A contact as Slack shows people: a mention when linked, else name, role and e-mail."""
    if contact.slack_user_id:
        return f"<@{contact.slack_user_id}>" + (
            f" ({escape(contact.role)})" if contact.role else ""
        )
    role = f", {escape(contact.role)}" if contact.role else ""
    return f"{escape(contact.name)}{role} – {escape(contact.email)}"


def solver_value(match: SolverMatch, question_id: int | None, challenge_id: int | None) -> str:
    return json.dumps(
        {"member": match.member_slug, "question": question_id, "challenge": challenge_id},
        separators=(",", ":"),
    )


def _solver_blocks(
    rank: int,
    match: SolverMatch,
    *,
    question_id: int | None,
    challenge_id: int | None,
    with_actions: bool,
) -> list[Block]:
    where = ", ".join(x for x in (match.city, match.country) if x)
    lines = [f"*{rank}. {escape(match.member_name)}*" + (f"  ·  {escape(where)}" if where else "")]
    lines.append(escape(match.reason))
    blocks: list[Block] = [section("\n".join(lines))]
    evidence = [
        f"_{escape(clip(e.title or e.text, 120))}_"
        + (f" (matched: {escape(', '.join(e.matched_terms[:5]))})" if e.matched_terms else "")
        for e in match.evidence[1:3]
    ]
    contacts = ", ".join(contact_text(c) for c in match.contacts[:2])
    notes = [
        f"Also: {'; '.join(evidence)}" if evidence else "",
        f"Contact: {contacts}" if contacts else "",
    ]
    if any(notes):
        blocks.append(context(*notes))
    if with_actions:
        value = solver_value(match, question_id, challenge_id)
        blocks.append(
            {
                "type": "actions",
                "block_id": f"solver_{rank}",
                "elements": [
                    button("Introduce me", ids.INTRODUCE, value, style="primary"),
                    button("Not a fit", ids.NOT_A_FIT, value),
                ],
            }
        )
    return blocks


def build_solvers(
    answer: Answer,
    *,
    question_id: int | None = None,
    challenge_id: int | None = None,
    with_actions: bool = True,
    share_value: str | None = None,
) -> dict[str, Any]:
    subject = escape(answer.question.subject)
    intro = words(answer.language)["solvers"].format(subject=subject)
    blocks: list[Block] = [section(intro)]
    for rank, match in enumerate(answer.solvers, start=1):
        blocks += _solver_blocks(
            rank,
            match,
            question_id=question_id,
            challenge_id=challenge_id,
            with_actions=with_actions,
        )
    if share_value is not None:
        blocks.append(
            {
                "type": "actions",
                "block_id": "share",
                "elements": [button("Share in channel", ids.SHARE, share_value)],
            }
        )
    names = ", ".join(m.member_name for m in answer.solvers)
    return message(f"Members who could solve {answer.question.subject}: {names}", blocks)


def _challenge_text(c: ChallengeLine) -> str:
    where = ", ".join(x for x in (c.city, c.country) if x)
    return (
        f"*{escape(c.title)}* (`{c.slug}`)\n{escape(c.owner_name)}"
        + (f" · {escape(where)}" if where else "")
        + f" · {STATUS_LABELS.get(c.status, c.status)} · deadline {format_day(c.deadline)}"
    )


def challenges_heading(answer: Answer) -> str:
    said = words(answer.language)
    which = said["challenges" if answer.question.every_status else "open_challenges"]
    place = answer.question.place
    return said["in_place"].format(which=which, place=place) if place else which


def build_challenges(answer: Answer) -> dict[str, Any]:
    heading = challenges_heading(answer)
    found = words(answer.language)["found"].format(n=len(answer.challenges))
    blocks: list[Block] = [section(f"*{escape(heading)}* — {found}:")]
    blocks += [section(_challenge_text(c)) for c in answer.challenges[:20]]
    blocks.append(context("`/challenge show <slug>` shows one in full."))
    return message(f"{heading}: {found}", blocks)


def build_member_profile(profile: MemberProfile) -> dict[str, Any]:
    where = ", ".join(x for x in (profile.city, profile.country) if x)
    head = f"*{escape(profile.name)}*" + (f" · {escape(where)}" if where else "")
    blocks: list[Block] = [section(f"{head}\n{escape(profile.description)}")]
    if profile.capabilities:
        blocks.append(section("*Capabilities:* " + escape(", ".join(profile.capabilities))))
    if profile.references:
        refs = "\n".join(f"• {escape(r)}" for r in profile.references[:5])
        blocks.append(section(f"*Past projects:*\n{refs}"))
    if profile.contacts:
        blocks.append(
            context("Contact: " + ", ".join(contact_text(c) for c in profile.contacts[:3]))
        )
    return message(f"{profile.name}: {clip(profile.description, 200)}", blocks)


def build_no_answer(
    question: str, *, staff_channel: str, unclear: bool = False, language: str = "en"
) -> dict[str, Any]:
    """Never silence: say plainly that the records have no answer, and offer the staff."""
    said = words(language)
    if unclear:
        text = said["unclear"]
    else:
        text = said["no_answer"] + (f" (<#{staff_channel}>)." if staff_channel else ".")
    blocks: list[Block] = [section(text)]
    if staff_channel and not unclear:
        blocks.append(
            {
                "type": "actions",
                "block_id": "ask_staff",
                "elements": [button("Ask staff", ids.ASK_STAFF, clip(question, 1900))],
            }
        )
    return message(text, blocks)


def build_answer(
    answer: Answer,
    *,
    staff_channel: str,
    question_id: int | None = None,
) -> dict[str, Any]:
    """The reply to a question, whatever was found."""
    if answer.member is not None:
        return build_member_profile(answer.member)
    if answer.challenges:
        return build_challenges(answer)
    if answer.solvers:
        return build_solvers(answer, question_id=question_id)
    return build_no_answer(
        answer.question.subject,
        staff_channel=staff_channel,
        unclear=answer.question.intent == "unclear",
        language=answer.language,
    )


# --- the written answer -------------------------------------------------------------------------


def build_working(language: str) -> dict[str, Any]:
    """The first message in the thread, at once, while the answer is being written."""
    text = words(language)["working"]
    return message(text, [context(f":hourglass_flowing_sand: {text}")])


def build_written_draft(text: str) -> dict[str, Any]:
    """The answer as written so far, while the model is still writing."""
    shown = escape(text.strip()) + " …"
    return message(shown, [section(shown)])


def source_value(source: Source) -> str:
    """A source in the menu: its kind and key (the number keeps two references apart)."""
    return f"{source.kind}:{source.key}:{source.number}"


def read_source_value(value: str) -> tuple[str, str]:
    """The kind and key of a menu value made by `source_value`."""
    kind, _, rest = value.partition(":")
    key, _, _number = rest.rpartition(":")
    return kind, key or rest


def _source_line(source: Source) -> str:
    label = escape(source.label).replace("|", "/")
    if source.url:
        label = f"<{source.url}|{label}>"
    return f"[{source.number}] {label}"


def _footnote(sources: list[Source], language: str) -> Block:
    lines = [f"*{words(language)['sources']}*"]
    for source in sources:
        line = _source_line(source)
        # Cut between lines, never inside a link.
        if sum(len(x) + 1 for x in lines) + len(line) > FOOTNOTE_MAX:
            break
        lines.append(line)
    return context("\n".join(lines))


def _source_menu(sources: list[Source], language: str) -> Block:
    return {
        "type": "actions",
        "block_id": "answer_sources",
        "elements": [
            {
                "type": "static_select",
                "action_id": ids.OPEN_SOURCE,
                "placeholder": plain(words(language)["open_source"], OPTION_TEXT_MAX),
                "options": [
                    {
                        "text": plain(f"[{s.number}] {s.label}", OPTION_TEXT_MAX),
                        "value": source_value(s),
                    }
                    for s in sources[:SELECT_OPTIONS_MAX]
                ],
            }
        ],
    }


def build_written_answer(
    answer: Answer, written: WrittenAnswer, *, question_id: int | None = None
) -> dict[str, Any]:
    """The model's answer, the sources it cites, a menu to open one, and the solvers' buttons.

    The text is escaped like any record: a model talked into writing <!channel> or a link
    shows the characters, it does not ping or link.
    """
    body = escape(written.text)
    cited = [s for s in answer.sources if s.number in written.cited]
    blocks: list[Block] = [section(body)]
    if cited:
        blocks += [_footnote(cited, answer.language), _source_menu(cited, answer.language)]
    if answer.solvers:
        blocks.append(divider())
        for rank, match in enumerate(answer.solvers, start=1):
            blocks += _solver_blocks(
                rank, match, question_id=question_id, challenge_id=None, with_actions=True
            )
    # The notification text is mrkdwn too: escaped, so "<!channel>" in an answer pings nobody.
    return message(escape(written.text), blocks)


def build_source_not_shown() -> dict[str, Any]:
    text = (
        "Sorry, I can't show you that one: it is not among the records you may see, or it is "
        "gone. The cluster's staff can tell you more."
    )
    return message(text, [section(text)])


def build_staff_question(*, asker_user_id: str, question: str, permalink: str) -> dict[str, Any]:
    text = f"<@{asker_user_id}> asked something I could not answer:\n>{escape(question)}"
    if permalink:
        text += f"\n<{permalink}|Open the thread>"
    return message(f"A member's question needs staff: {question}", [section(text)])


def build_introduction_request(request: IntroductionRequest) -> dict[str, Any]:
    """To the member's contact: who wants to talk and why, and their choice."""
    org = f" ({escape(request.asker_organisation)})" if request.asker_organisation else ""
    about = f"\n>{escape(clip(request.question, 500))}" if request.question else ""
    text = (
        f"<@{request.asker_slack_user_id}>{org} would like an introduction to "
        f"{escape(request.member_name)}. They asked:{about}\n"
        "Would you like me to open a conversation between you two?"
    )
    value = str(request.id)
    blocks: list[Block] = [
        section(text),
        {
            "type": "actions",
            "block_id": "introduction",
            "elements": [
                button("Accept", ids.INTRODUCTION_ACCEPT, value, style="primary"),
                button("Not now", ids.INTRODUCTION_DECLINE, value),
            ],
        },
    ]
    return message(f"{request.asker_name} would like an introduction", blocks)


def build_introduction(request: IntroductionRequest) -> dict[str, Any]:
    """The first message in the group DM, once both sides agreed."""
    about = f"\n>{escape(clip(request.question, 500))}" if request.question else ""
    text = (
        f"<@{request.asker_slack_user_id}>, meet <@{request.contact_slack_user_id}> of "
        f"{escape(request.member_name)}. The question that brought you together:{about}"
    )
    return message(
        f"Introduction: {request.asker_name} and {request.contact_name}", [section(text)]
    )


def build_note(text: str) -> dict[str, Any]:
    return message(text, [section(text)])


def build_introduction_asked(request: IntroductionRequest) -> dict[str, Any]:
    """What the asker hears after *Introduce me*."""
    if not request.new:
        text = (
            f"You already asked for an introduction to {request.member_name} "
            f"({request.status.value}); I have not asked again."
        )
    elif request.contact_slack_user_id is None:
        text = (
            f"Nobody at {request.member_name} is on Slack yet: write to "
            f"{request.contact_name} at {request.contact_email}."
        )
    else:
        text = (
            f"I've asked {request.contact_name} at {request.member_name} whether they'd like "
            "to talk. If they accept, I'll open a conversation with you both."
        )
    return build_note(text)


def build_introduction_answered(request: IntroductionRequest) -> dict[str, Any]:
    """What replaces the request in the contact's DM once they answered."""
    asker = request.asker_slack_user_id
    if not request.new:
        return build_note(f"You already answered this request ({request.status.value}).")
    if request.accepted:
        return build_note(f"Thanks! I've opened a conversation with <@{asker}>.")
    return build_note(f"Noted; I've let <@{asker}> know you can't take it on now.")


def build_introduction_declined(request: IntroductionRequest) -> dict[str, Any]:
    """What the asker hears when the contact chose *Not now*."""
    return build_note(
        f"{request.contact_name} at {request.member_name} can't take this on right now. Ask me "
        "again for other members, or ask the staff."
    )


def build_not_a_fit_noted(*, for_a_challenge: bool) -> dict[str, Any]:
    later = " It is left out of later suggestions for this challenge." if for_a_challenge else ""
    return build_note(f"Thanks, noted that this member is not a fit.{later}")


def build_passed_to_staff() -> dict[str, Any]:
    return build_note("I've passed your question to the cluster's staff; they will reply here.")
