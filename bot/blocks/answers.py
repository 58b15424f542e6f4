"""Answers to questions, as Block Kit messages: the answer's paragraphs in the asker's
language (`answer_layout`), *Introduce me* / *Not a fit* under each suggested member, and
the language model's written answer above them with its numbered sources."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.blocks.answer_layout import Part, layout, member_parts
from bot.blocks.common import (
    Block,
    button,
    clip,
    context,
    divider,
    escape,
    message,
    plain,
    section,
)
from bot.blocks.phrases import phrase
from bot.services.introductions import IntroductionRequest
from bot.services.matching import SolverMatch
from bot.services.questions.answers import Answer, MemberProfile, Source, WrittenAnswer

SELECT_OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
FOOTNOTE_MAX = 2900
# A message holds at most 50 blocks; an answer stays well below.
ANSWER_BLOCKS_MAX = 45


def solver_value(match: SolverMatch, question_id: int | None, challenge_id: int | None) -> str:
    return json.dumps(
        {"member": match.member_slug, "question": question_id, "challenge": challenge_id},
        separators=(",", ":"),
    )


def _block(part: Part) -> Block:
    if part.kind == "divider":
        return divider()
    return context(part.text) if part.kind == "context" else section(part.text)


def _blocks(
    parts: list[Part],
    *,
    language: str,
    question_id: int | None,
    challenge_id: int | None,
    with_actions: bool,
) -> list[Block]:
    blocks: list[Block] = []
    for part in parts:
        blocks.append(_block(part))
        if part.kind == "solver" and part.solver is not None and with_actions:
            value = solver_value(part.solver, question_id, challenge_id)
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"solver_{part.rank}",
                    "elements": [
                        button(
                            phrase(language, "introduce"), ids.INTRODUCE, value, style="primary"
                        ),
                        button(phrase(language, "not_a_fit"), ids.NOT_A_FIT, value),
                    ],
                }
            )
    return blocks[:ANSWER_BLOCKS_MAX]


def _notification(answer: Answer, parts: list[Part]) -> str:
    """The message's plain text (notifications, screen readers): its first paragraph."""
    return clip(parts[0].text if parts else answer.question.text, 300)


def build_answer(
    answer: Answer,
    *,
    staff_channel: str,
    question_id: int | None = None,
    with_actions: bool = True,
    share_value: str | None = None,
) -> dict[str, Any]:
    """The reply to a question, whatever was asked: in the asker's language, with buttons under
    each suggested member, *Ask staff* when nothing was found, *Share* for `/solvers`."""
    parts = layout(answer, staff_channel=staff_channel)
    blocks = _blocks(
        parts,
        language=answer.language,
        question_id=question_id,
        challenge_id=answer.question.challenge_id if answer.intent == "solvers" else None,
        with_actions=with_actions,
    )
    if staff_channel and not answer.found_something and answer.intent in ("solvers", "team"):
        blocks.append(
            {
                "type": "actions",
                "block_id": "ask_staff",
                "elements": [
                    button(
                        phrase(answer.language, "ask_staff"),
                        ids.ASK_STAFF,
                        clip(answer.question.text, 1900),
                    )
                ],
            }
        )
    if share_value is not None and answer.solvers:
        blocks.append(
            {
                "type": "actions",
                "block_id": "share",
                "elements": [button(phrase(answer.language, "share"), ids.SHARE, share_value)],
            }
        )
    return message(_notification(answer, parts), blocks)


def build_member_profile(profile: MemberProfile, language: str = "en") -> dict[str, Any]:
    """A member's profile on its own (a cited source opened from a written answer)."""
    parts = member_parts(profile, language)
    blocks = [context(p.text) if p.kind == "context" else section(p.text) for p in parts]
    return message(f"{profile.name}: {clip(profile.description, 200)}", blocks)


def build_no_answer(question: str, *, staff_channel: str, language: str = "en") -> dict[str, Any]:
    """Never silence: when answering broke, say the records gave no answer, offer the staff."""
    need = f"*{escape(clip(question, 300))}*"
    text = phrase(language, "solvers_none", need=need) + (
        f" (<#{staff_channel}>)." if staff_channel else "."
    )
    blocks: list[Block] = [section(text)]
    if staff_channel:
        blocks.append(
            {
                "type": "actions",
                "block_id": "ask_staff",
                "elements": [
                    button(phrase(language, "ask_staff"), ids.ASK_STAFF, clip(question, 1900))
                ],
            }
        )
    return message(text, blocks)


# --- the written answer -------------------------------------------------------------------------


def build_working(language: str) -> dict[str, Any]:
    """The first message in the thread, at once, while the answer is being written."""
    text = phrase(language, "working")
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
    lines = [f"*{phrase(language, 'sources')}*"]
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
                "placeholder": plain(phrase(language, "open_source"), OPTION_TEXT_MAX),
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
    answer: Answer,
    written: WrittenAnswer,
    *,
    staff_channel: str,
    question_id: int | None = None,
) -> dict[str, Any]:
    """The model's answer and the sources it cites on top; under them the answer exactly as
    the templates give it, members, buttons and all: the model only adds to it.

    The text is escaped like any record: a model talked into writing <!channel> or a link
    shows the characters, it does not ping or link.
    """
    blocks: list[Block] = [
        section(escape(written.text)),
        *build_below_written_answer(
            answer, written, staff_channel=staff_channel, question_id=question_id
        ),
    ]
    # The notification text is mrkdwn too: escaped, so "<!channel>" in an answer pings nobody.
    return message(clip(escape(written.text), 300), blocks[:ANSWER_BLOCKS_MAX])


def build_below_written_answer(
    answer: Answer,
    written: WrittenAnswer,
    *,
    staff_channel: str,
    question_id: int | None = None,
) -> list[Block]:
    """What goes under the model's text: the sources it cites, then the template answer with
    the solvers' buttons (a streamed answer gets these when its stream stops)."""
    cited = [s for s in answer.sources if s.number in written.cited]
    blocks: list[Block] = []
    if cited:
        blocks += [_footnote(cited, answer.language), _source_menu(cited, answer.language)]
    blocks.append(divider())
    template = build_answer(answer, staff_channel=staff_channel, question_id=question_id)
    blocks += template["blocks"]
    return blocks[: ANSWER_BLOCKS_MAX - 1]


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


def build_not_a_fit_refused() -> dict[str, Any]:
    # The same words for a hidden challenge and someone else's question: nothing is leaked.
    return build_note("Only the person who asked (or the staff) can mark members here.")


def build_not_a_fit_not_yours() -> dict[str, Any]:
    """A member's *Not a fit* on a challenge that is not theirs, with no question of theirs."""
    return build_note(
        "Only the SCIC staff, the challenge's owner or the member itself can take a member off "
        "a challenge's suggestions. Tell the staff why it is not a fit, and they will."
    )


def build_passed_to_staff() -> dict[str, Any]:
    return build_note("I've passed your question to the cluster's staff; they will reply here.")
