"""The bot's Home tab: the person's organisation, open challenges, interests, teams, digest."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.common import (
    Block,
    button,
    context,
    divider,
    escape,
    format_day,
    format_place,
    header,
    plain,
    section,
)
from bot.blocks.profile import build_impact_section, build_profile_button
from bot.services.challenges import ChallengeSummary
from bot.services.digests.subscriptions import DigestFrequency
from bot.services.home import HomePage, OrganisationProfile
from bot.services.teams.pipeline import PipelineRow, PipelineStage

DIGEST_LABELS = {
    DigestFrequency.WEEKLY: "Weekly",
    DigestFrequency.DAILY: "Daily",
    DigestFrequency.OFF: "Off",
}


def _organisation(profile: OrganisationProfile | None) -> list[Block]:
    if profile is None:
        return [
            section(
                "*Your organisation*\nYour person record is not linked to a member "
                "organisation; ask the SCIC staff to link it."
            )
        ]
    lines = [
        f"*{escape(profile.name)}* · {profile.kind.replace('_', ' ')} · "
        f"{escape(format_place(profile.city, profile.country))}"
    ]
    if profile.description:
        lines.append(escape(profile.description))
    if profile.capabilities:
        lines.append("*Capabilities:* " + escape(", ".join(profile.capabilities)))
    if profile.technologies:
        lines.append("*Technologies:* " + escape(", ".join(profile.technologies)))
    blocks = [section("\n".join(lines))]
    if profile.editable and profile.member_id:
        blocks.append(
            {
                "type": "actions",
                "block_id": "home_profile",
                "elements": [build_profile_button(profile.member_id)],
            }
        )
    return blocks


def _challenge(challenge: ChallengeSummary) -> list[Block]:
    return [
        section(f"*{escape(challenge.title)}* · `{challenge.slug}`"),
        context(
            escape(format_place(challenge.city, challenge.country)),
            f"deadline {format_day(challenge.deadline)}",
            *(["needs: " + escape(", ".join(challenge.needs))] if challenge.needs else []),
        ),
    ]


def _pager(page: HomePage) -> list[Block]:
    elements = []
    if page.page > 0:
        elements.append(button("Newer", ids.HOME_PAGE, str(page.page - 1)))
    if page.has_next_page:
        elements.append(button("More challenges", ids.HOME_PAGE, str(page.page + 1)))
    return [{"type": "actions", "block_id": "home_pager", "elements": elements}] if elements else []


def _digest(frequency: DigestFrequency) -> Block:
    options = [{"text": plain(label, 75), "value": f.value} for f, label in DIGEST_LABELS.items()]
    chosen = next(o for o in options if o["value"] == frequency.value)
    return {
        "type": "section",
        "block_id": "home_digest",
        "text": {
            "type": "mrkdwn",
            "text": "*Opportunity digest*\nNew and open challenges that fit your organisation, "
            "and your teams' news.",
        },
        "accessory": {
            "type": "static_select",
            "action_id": ids.HOME_DIGEST,
            "options": options,
            "initial_option": chosen,
        },
    }


def _nudges(*, on: bool) -> Block:
    options = [
        {"text": plain("On", 75), "value": "on"},
        {"text": plain("Off", 75), "value": "off"},
    ]
    return {
        "type": "section",
        "block_id": "home_nudges",
        "text": {
            "type": "mrkdwn",
            "text": "*Profile reminders*\nA message when your organisation's profile has not "
            "been looked at for a long time.",
        },
        "accessory": {
            "type": "static_select",
            "action_id": ids.HOME_NUDGES,
            "options": options,
            "initial_option": options[0] if on else options[1],
        },
    }


def _stage(name: str, stage: PipelineStage) -> str:
    day = f" ({stage.first_at.date().isoformat()})" if stage.first_at and stage.count else ""
    return f"{name} {stage.count}{day}"


def _pipeline(rows: tuple[PipelineRow, ...]) -> list[Block]:
    blocks: list[Block] = [divider(), header("Pipeline (staff)")]
    if not rows:
        blocks.append(section("No challenge has suggestions, interest or teams yet."))
    for row in rows:
        stages = [
            _stage("suggested", row.suggested),
            _stage("introduced", row.introduced),
            _stage("interested", row.interested),
            _stage("teams", row.team_formed),
            _stage("submitted", row.submitted),
            f"won {row.won.count} / lost {row.lost.count}",
        ]
        blocks.append(section(f"*{escape(row.title)}* · `{row.slug}`\n" + " → ".join(stages)))
    blocks.append(context("`scic report` lists every challenge with the dates of each stage."))
    return blocks


def build_home(page: HomePage) -> dict[str, Any]:
    """The Home tab view; at most ~57 blocks whatever the data, well within Slack's 100."""
    blocks: list[Block] = [header(f"Hello, {page.viewer.name}"), *_organisation(page.organisation)]
    if page.impact is not None:
        blocks.append(build_impact_section(page.impact))
    blocks.append(divider())
    first = page.page * page.page_size + 1
    title = "Open challenges"
    if page.challenges_total > page.page_size:
        last = first + len(page.challenges) - 1
        title += f" ({first}–{last} of {page.challenges_total})"
    blocks.append(header(title))
    if page.challenges:
        for challenge in page.challenges:
            blocks.extend(_challenge(challenge))
    else:
        blocks.append(section("No open challenges right now."))
    blocks.extend(_pager(page))
    blocks.append(divider())
    blocks.append(header("Your organisation's interests and teams"))
    interests = [f"• {escape(c.title)} · `{c.slug}`" for c in page.interests]
    teams = [
        f"• {escape(t.name or 'Team')} — {escape(t.challenge_title)} ({t.status.replace('_', ' ')})"
        for t in page.teams
    ]
    blocks.append(
        section(
            "*Interested in*\n"
            + ("\n".join(interests) or "Nothing yet: press *I'm interested* on a challenge card.")
        )
    )
    blocks.append(section("*Teams*\n" + ("\n".join(teams) or "No teams yet.")))
    blocks.append(divider())
    blocks.append(_digest(page.digest_frequency))
    if page.organisation is not None:
        blocks.append(_nudges(on=page.profile_nudges))
    if page.viewer.is_staff:
        blocks.extend(_pipeline(page.pipeline))
    return {"type": "home", "callback_id": "home", "blocks": blocks}


def build_unknown_home(*, staff_channel: str) -> dict[str, Any]:
    pointer = f"in <#{staff_channel}>" if staff_channel else "by message to the cluster's staff"
    text = (
        "I recognise people by the email on their Slack profile, and yours is not in the "
        "cluster's records yet. If your organisation is a member, ask the SCIC staff to add you "
        f"({pointer}); this page then shows your organisation, open challenges and your teams."
    )
    return {
        "type": "home",
        "callback_id": "home",
        "blocks": [header("Welcome to SCIC Bot"), section(text)],
    }
