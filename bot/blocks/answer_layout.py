"""An answer laid out as paragraphs in the asker's language: what Slack's blocks and the
terminal's text both show, in the same order.

Each `Part` is one paragraph of mrkdwn (names bolded, records escaped); the terminal strips
the markup. A solver part carries its match, so Slack can put *Introduce me* / *Not a fit*
under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.blocks.common import clip, escape
from bot.blocks.phrases import PHRASES, closing, counted, phrase, status_name
from bot.services.matching import Contact, Evidence, SolverMatch, TeamSuggestion
from bot.services.questions.answers import (
    NAMED_PER_NEED,
    Answer,
    ChallengeLine,
    MemberProfile,
)
from bot.services.questions.asking import Reply
from bot.services.questions.understanding import Filters, Understood

PartKind = Literal["heading", "item", "solver", "note", "context", "divider"]
SOLVER_EVIDENCE = 2
# A need longer than this (a pasted brief) is not repeated in the answer's heading.
LONG_NEED = 160


@dataclass(frozen=True)
class Part:
    kind: PartKind
    text: str
    solver: SolverMatch | None = None
    rank: int = 0


def contact_text(contact: Contact) -> str:
    """A contact as Slack shows people: a mention when linked, else name, role and e-mail."""
    if contact.slack_user_id:
        return f"<@{contact.slack_user_id}>"
    role = f", {escape(contact.role)}" if contact.role else ""
    return f"{escape(contact.name)}{role} – {escape(contact.email)}"


def evidence_text(language: str, evidence: Evidence, *, title: str = "") -> str:
    """What matched, named by its kind in the reader's language: "Reference: Roof load alarms
    for Oulu schools", "Tarpeet: lake water quality monitoring; ..." (``title``, the
    challenge's own, is not repeated)."""
    kind = evidence.kind if f"evidence_{evidence.kind}" in PHRASES["en"] else "description"
    label = phrase(language, f"evidence_{kind}")
    if evidence.kind == "reference" and evidence.title:
        return f"{label}: {evidence.title}"
    text = evidence.text
    for own in (evidence.title, title):
        if own and text.startswith(own):
            text = text[len(own) :].lstrip(" .:–-,")
            if evidence.kind == "person" and ". " in text:
                # "Marta Ruiz, Research Services Manager. urban mobility research; ..."
                role, text = text.split(". ", 1)
                return f"{label}: {clip(text, 140)} ({evidence.title}, {role})"
    if not text:
        return ""  # the passage only repeats the challenge's title
    return f"{label}: {clip(text, 140)}"


def challenge_item(line: ChallengeLine, language: str) -> str:
    where = ", ".join(x for x in (line.city, line.country) if x)
    facts = [escape(line.owner_name)] if line.owner_name else []
    if where:
        facts.append(escape(where))
    facts.append(status_name(language, line.status))
    facts.append(closing(language, line.deadline, line.closes_in, line.status))
    if line.restricted:
        facts.append(phrase(language, "restricted"))
    text = f"*{escape(line.title)}* (`{line.slug}`)\n" + " · ".join(facts)
    if line.team:
        text += "\n" + phrase(language, "team_line", names=escape(", ".join(line.team)))
    matched = evidence_text(language, line.evidence, title=line.title) if line.evidence else ""
    if matched:
        text += f"\n_{escape(matched)}_"
    return text


def _solver_parts(answer: Answer, matches: tuple[SolverMatch, ...]) -> list[Part]:
    language = answer.language
    parts = []
    for rank, match in enumerate(matches, start=1):
        where = ", ".join(x for x in (match.city, match.country) if x)
        lines = [
            f"*{rank}. {escape(match.member_name)}*" + (f"  ·  {escape(where)}" if where else ""),
            escape(_reason(match, language)),
        ]
        evidence = [f"_{escape(clip(named, 80))}_" for named in _further(match)]
        if evidence:
            lines.append(f"{phrase(language, 'also')}: " + "; ".join(evidence))
        contacts = ", ".join(contact_text(c) for c in match.contacts[:2])
        if contacts:
            lines.append(f"{phrase(language, 'contact')}: {contacts}")
        parts.append(Part("solver", "\n".join(lines), solver=match, rank=rank))
    return parts


def _reason(match: SolverMatch, language: str) -> str:
    return (evidence_text(language, match.evidence[0]) if match.evidence else "") or match.reason


def _further(match: SolverMatch) -> list[str]:
    """The further evidence by name: references, capabilities and technologies that matched
    (a profile's or a person's passage is already the reason or the contacts), each once."""
    named: dict[str, str] = {}
    for e in match.evidence[1:]:
        name = e.title if e.kind == "reference" else e.title or e.text
        if e.kind in ("reference", "capability", "technology") and name:
            named.setdefault(name.lower(), name)
    shown = _reason(match, "en").lower()
    return [name for key, name in named.items() if key not in shown][:SOLVER_EVIDENCE]


def _listing_heading(filters: Filters, language: str, topic: str) -> str:
    if filters.own_teams:
        which = phrase(language, "own_teams")
    elif filters.statuses:
        names = ", ".join(status_name(language, s) for s in filters.statuses[:2])
        which = phrase(language, "status_challenges", status=names.capitalize())
    elif filters.every_status:
        which = phrase(language, "challenges")
    elif filters.published_from is not None:
        which = phrase(language, "new_challenges", day=filters.published_from.isoformat())
    else:
        which = phrase(language, "open_challenges")
    if filters.place:
        which = phrase(language, "in_place", which=which, place=escape(filters.place))
    if topic:
        which = phrase(language, "about", which=which, topic=escape(clip(topic, 80)))
    if filters.deadline_to is not None:
        which = phrase(language, "closing_by", which=which, day=filters.deadline_to.isoformat())
    if filters.without_team:
        which = phrase(language, "without_team", which=which)
    if filters.visibility:
        which = phrase(language, f"only_{filters.visibility}", which=which)
    return which


# A need that still opens with an asking word is the whole question, not a need.
STILL_A_QUESTION = re.compile(
    r"^(who|whom|which|what|how|where|can|could|kuka|ketkä|kenellä|kenen|mikä|mitkä|miten|"
    r"osaako|voiko)\b",
    re.IGNORECASE,
)


def _sized(understood: Understood, language: str) -> str:
    """The size asked for, as the answer names it ("smaller companies", "suuremmista
    jäsenistä")."""
    larger = "large" in understood.filters.sizes
    kind = "companies" if understood.filters.kinds == ("company",) else "members"
    return phrase(language, ("larger_" if larger else "smaller_") + kind)


def _need(answer: Answer) -> str:
    return f"*{escape(clip(answer.question.need or answer.question.text, 300))}*"


def layout(answer: Answer, *, staff_channel: str = "") -> list[Part]:
    """The answer's paragraphs, in the asker's language, and one line at the end when the
    search index was still behind the records."""
    parts = _paragraphs(answer, staff_channel)
    if answer.index_behind and answer.intent != "other":
        n = answer.index_behind
        parts.append(Part("context", phrase(answer.language, "index_behind", n=n)))
    return parts


def _paragraphs(answer: Answer, staff_channel: str) -> list[Part]:
    language = answer.language
    understood = answer.question
    intent = understood.intent
    if intent == "other":
        # An empty message ("?", only a mention) gets the help text.
        kind = understood.other if understood.other not in (None, "empty") else "help"
        return [Part("heading", phrase(language, kind))]
    if intent == "member":
        if answer.member is None:
            return [Part("heading", phrase(language, "member_unknown"))]
        parts = member_parts(answer.member, language)
        for other in answer.also_members:
            parts += [Part("divider", ""), *member_parts(other, language)]
        return parts
    if intent == "person":
        if answer.person is None:
            return [Part("heading", phrase(language, "member_unknown"))]
        p = answer.person
        role = escape(p.role) or (phrase(language, "staff") if p.is_staff else "")
        where = phrase(language, "person_at", role=role, organisation=escape(p.organisation))
        parts = [
            Part(
                "heading",
                f"*{escape(p.name)}* · {where}"
                if p.organisation
                else f"*{escape(p.name)}* · {role}",
            )
        ]
        not_held = answer.question.role_not_held
        if not_held and p.organisation:
            # "Who is Soundscape's CTO?": nobody there is; say so before the managing director.
            organisation = escape(p.organisation)
            note = phrase(language, "role_not_held", organisation=organisation, role=not_held)
            parts.insert(0, Part("context", note))
        if p.expertise:
            parts.append(
                Part(
                    "item", f"*{phrase(language, 'expertise')}:* " + escape(", ".join(p.expertise))
                )
            )
        reach = f"<@{p.slack_user_id}>" if p.slack_user_id else escape(p.email)
        parts.append(Part("context", f"{phrase(language, 'reach')}: {reach}"))
        return parts
    if intent == "challenge":
        return _challenge_parts(answer)
    if intent in ("challenges", "fit"):
        return _listing_parts(answer)
    if intent == "team":
        return _team_parts(answer)
    return _solvers_parts(answer, staff_channel)


def member_parts(m: MemberProfile, language: str) -> list[Part]:
    """A member's profile: who it is, what it can do, its past projects, whom to contact."""
    where = ", ".join(x for x in (m.city, m.country) if x)
    parts = [
        Part(
            "heading",
            f"*{escape(m.name)}*"
            + (f" · {escape(where)}" if where else "")
            + f"\n{escape(m.description)}",
        )
    ]
    if m.capabilities:
        capabilities = escape(", ".join(m.capabilities))
        parts.append(Part("item", f"*{phrase(language, 'capabilities')}:* {capabilities}"))
    if m.references:
        refs = "\n".join(f"• {escape(r)}" for r in m.references[:5])
        parts.append(Part("item", f"*{phrase(language, 'past_projects')}:*\n{refs}"))
    if m.contacts:
        contacts = ", ".join(contact_text(c) for c in m.contacts[:3])
        parts.append(Part("context", f"{phrase(language, 'contact')}: {contacts}"))
    return parts


def need_lines(cover: TeamSuggestion, language: str, *, picked: bool = False) -> list[str]:
    """Each need with the members covering it, best first, the first with the passage that
    matched it: "• Need: *sea ice monitoring* — covered by *Barents Marine* (_Reference: Ice
    loads on quays_), *Polar SAR*", or "— _not covered yet_". ``picked``: only the members the
    cover picked for the team (a team answer), not everyone who could cover the need."""
    lines = []
    for need in cover.needs:
        found = cover.by_need.get(need, ())
        if picked:
            found = tuple(m for m in found if m.member_slug in cover.covered_by.get(need, ()))
        found = found[:NAMED_PER_NEED]
        if found:
            first = found[0]
            why = evidence_text(language, first.evidence[0]) if first.evidence else ""
            names = [f"*{escape(first.member_name)}*"]
            if why:
                names[0] += f" (_{escape(clip(why, 100))}_)"
            names += [f"*{escape(m.member_name)}*" for m in found[1:]]
            who = phrase(language, "covered_by", names=", ".join(names))
        else:
            who = f"_{phrase(language, 'not_covered')}_"
        lines.append(f"• {phrase(language, 'need')}: *{escape(clip(need, 200))}* — {who}")
    return lines


def _brief_parts(answer: Answer, cover: TeamSuggestion) -> list[Part]:
    """A pasted brief: each need with who covers it, then each member named, once, with the
    needs it covers and the buttons."""
    language = answer.language
    parts = [
        Part("heading", counted(language, "brief_needs", len(cover.needs))),
        Part("item", clip("\n".join(need_lines(cover, language)), 2900)),
    ]
    for part in _solver_parts(answer, answer.solvers):
        assert part.solver is not None
        slug = part.solver.member_slug
        covers = [n for n in cover.needs if any(m.member_slug == slug for m in cover.by_need[n])]
        text = part.text
        if covers:
            text += f"\n_{phrase(language, 'covers')}: {escape(clip('; '.join(covers), 300))}_"
        parts.append(Part("solver", text, solver=part.solver, rank=part.rank))
    if answer.related:
        items = "\n".join(f"• {challenge_item(c, language)}" for c in answer.related)
        parts.append(Part("note", f"{phrase(language, 'related')}\n{items}"))
    return parts


def _solvers_parts(answer: Answer, staff_channel: str) -> list[Part]:
    language = answer.language
    understood = answer.question
    if answer.brief is not None and answer.solvers:
        return _brief_parts(answer, answer.brief)
    if not answer.solvers and answer.own_fit is not None:
        # Only the asker's own organisation fits: say so, not "nobody".
        parts = [
            Part(
                "heading",
                phrase(
                    language,
                    "own_fit_only",
                    organisation=f"*{escape(answer.own_fit.member_name)}*",
                    need=_need(answer),
                    reason=escape(_reason(answer.own_fit, language)),
                ),
            )
        ]
    elif not answer.solvers:
        if understood.filters.local and understood.filters.place:
            text = phrase(
                language,
                "solvers_none_local",
                place=escape(understood.filters.place),
                need=_need(answer),
            )
        elif understood.filters.sizes:
            # "What about larger companies?": none of that size, said so, not "no member".
            text = phrase(
                language, "solvers_none_sized", who=_sized(understood, language), need=_need(answer)
            )
        else:
            text = phrase(language, "solvers_none", need=_need(answer))
            text += f" (<#{staff_channel}>)." if staff_channel else "."
        parts = [Part("heading", text)]
    else:
        if understood.challenge_id is not None:
            heading = phrase(language, "solvers_for_challenge", title=_need(answer))
        elif not understood.need and understood.filters.local and understood.filters.place:
            # "Who are the members based in Tromsø?": no need, only where they are.
            heading = phrase(language, "solvers_in_place", place=escape(understood.filters.place))
        elif len(understood.need) > LONG_NEED:
            heading = phrase(language, "solvers_brief")  # a pasted brief is not repeated
        elif understood.filters.sizes and not STILL_A_QUESTION.match(understood.need):
            # "Any smaller companies?": the list answers that, so its heading says so.
            who = _sized(understood, language)
            heading = phrase(
                language,
                "solvers_sized",
                who=who,
                Who=who[:1].upper() + who[1:],
                need=_need(answer),
            )
        elif STILL_A_QUESTION.match(understood.need):
            # "Who can warn us before too much snow piles up…": no need could be cut out of
            # the question, and "help with Who can warn us…" reads as nonsense.
            heading = phrase(language, "solvers_asked")
        else:
            heading = phrase(language, "solvers", need=_need(answer))
        parts = [Part("heading", heading), *_solver_parts(answer, answer.solvers)]
    if answer.own_fit is not None and answer.solvers:
        parts.append(
            Part(
                "note",
                phrase(
                    language,
                    "own_fit",
                    organisation=f"*{escape(answer.own_fit.member_name)}*",
                    reason=escape(_reason(answer.own_fit, language)),
                ),
            )
        )
    if answer.related:
        items = "\n".join(f"• {challenge_item(c, language)}" for c in answer.related)
        parts.append(Part("note", f"{phrase(language, 'related')}\n{items}"))
    return parts


def _listing_parts(answer: Answer) -> list[Part]:
    language = answer.language
    understood = answer.question
    if understood.intent == "fit":
        organisation = f"*{escape(answer.fit_for)}*"
        if not answer.fit_for:
            return [Part("heading", phrase(language, "fit_nobody"))]
        if not answer.challenges:
            return [Part("heading", phrase(language, "fit_none", organisation=organisation))]
        heading = phrase(language, "fit", organisation=organisation)
    else:
        if not answer.challenges:
            heading = _listing_heading(understood.filters, language, understood.need)
            return [Part("heading", f"*{heading}*: {phrase(language, 'none_listed')}")]
        which = _listing_heading(understood.filters, language, understood.need)
        count = (
            phrase(language, "found_one")
            if answer.total == 1
            else phrase(language, "found", n=answer.total)
        )
        heading = f"*{which}* — {count}:"
    parts = [Part("heading", heading)]
    parts += [Part("item", challenge_item(c, language)) for c in answer.challenges]
    if answer.total > len(answer.challenges):
        parts.append(
            Part(
                "context",
                phrase(language, "shown_of", shown=len(answer.challenges), total=answer.total),
            )
        )
    parts.append(Part("context", phrase(language, "show_one")))
    return parts


def _challenge_parts(answer: Answer) -> list[Part]:
    language = answer.language
    detail = answer.challenge
    if detail is None:
        return [Part("heading", phrase(language, "challenge_hidden"))]
    line = detail.line
    where = ", ".join(x for x in (line.city, line.country) if x)
    facts = [
        f"*{phrase(language, 'status')}:* {status_name(language, line.status)} · "
        + closing(language, line.deadline, line.closes_in, line.status)
        + (
            f" ({line.deadline.isoformat()})"
            if line.deadline and line.closes_in is not None
            else ""
        ),
        f"*{phrase(language, 'owner')}:* {escape(line.owner_name)}" if line.owner_name else "",
        f"*{phrase(language, 'where')}:* {escape(where)}" if where else "",
        phrase(language, "restricted").capitalize() if line.restricted else "",
        f"*{phrase(language, 'needs')}:* {escape(', '.join(line.needs))}" if line.needs else "",
    ]
    parts = [
        Part("heading", f"*{escape(line.title)}* (`{line.slug}`)"),
        Part("item", "\n".join(f for f in facts if f)),
    ]
    if line.description and answer.question.aspect == "":
        parts.append(Part("item", escape(clip(line.description, 600))))
    if detail.teams:
        for team in detail.teams:
            members = escape(", ".join(team.members)) or "–"
            parts.append(
                Part(
                    "item",
                    f"*{phrase(language, 'team')} – {escape(team.label)}* "
                    f"({status_name(language, team.status)}): {members}",
                )
            )
    elif line.status in ("open", "teams_forming"):
        parts.append(Part("item", phrase(language, "teams_none")))
    if detail.missing:
        rows = []
        for missing in detail.missing:
            who = (
                phrase(language, "could_be", names=escape(", ".join(missing.candidates)))
                if missing.candidates
                else phrase(language, "nobody_yet")
            )
            rows.append(f"• {escape(missing.need)}: {who}")
        parts.append(Part("item", f"*{phrase(language, 'missing')}:*\n" + "\n".join(rows)))
    if detail.channel_id:
        parts.append(
            Part("context", phrase(language, "discussion", channel=f"<#{detail.channel_id}>"))
        )
    return parts


def _team_parts(answer: Answer) -> list[Part]:
    language = answer.language
    team = answer.team
    if team is None or not team.members:
        return [Part("heading", phrase(language, "team_none", need=_need(answer)))]
    by_need = len(team.needs) >= 2 and (
        bool(answer.question.needs) or len(answer.question.need) > LONG_NEED
    )
    if by_need:
        # A pasted brief: not repeated in the heading; its needs, each with who covers it.
        parts = [
            Part("heading", phrase(language, "team_for_brief")),
            Part("item", clip("\n".join(need_lines(team, language, picked=True)), 2900)),
        ]
    else:
        parts = [Part("heading", phrase(language, "team_for", need=_need(answer)))]
    for part in _solver_parts(answer, team.members):
        assert part.solver is not None
        covers = [need for need, who in team.covered_by.items() if part.solver.member_slug in who]
        text = part.text
        if covers:
            text += f"\n_{phrase(language, 'covers')}: {escape('; '.join(covers))}_"
        parts.append(Part("solver", text, solver=part.solver, rank=part.rank))
    others = team.alternatives()
    if others:
        # With one need, every one of them covers it: the need is the heading's already.
        names = "; ".join(
            f"*{escape(m.member_name)}*"
            + (f" ({escape(clip(need, 80))})" if len(team.needs) > 1 else "")
            for m, need in others
        )
        parts.append(Part("note", f"{phrase(language, 'also_cover')}: {names}"))
    if team.uncovered and not by_need:  # else each need says so itself
        parts.append(
            Part("note", f"{phrase(language, 'uncovered')}: " + escape("; ".join(team.uncovered)))
        )
    return parts


def plain_text(parts: list[Part]) -> str:
    """The paragraphs for a terminal: markup and Slack's escapes undone."""
    lines = []
    for part in parts:
        if part.kind == "divider":
            lines.append("")
            continue
        text = (
            part.text.replace("*", "")
            .replace("_", "")
            .replace("`", "")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
        )
        lines.append(text)
    return "\n".join(lines)


def reply_text(reply: Reply) -> str:
    """A reply as the terminal shows it: the model's text with the sources it cites, when it
    wrote one, above the answer exactly as the templates give it."""
    template = plain_text(layout(reply.answer))
    written = reply.written
    if written is None:
        return template
    lines = [written.text, "", phrase(reply.answer.language, "sources") + ":"]
    for source in reply.answer.sources:
        if source.number in written.cited:
            link = f" <{source.url}>" if source.url else ""
            lines.append(f"[{source.number}] {source.label}{link}")
    return "\n".join([*lines, "", template])
