"""The profile modal members edit their organisation's profile in, and the messages around it.

Each input's block id is ``<field>@<version>``: the field (``description``, ``ref_2_title``...)
and the profile version the form shows. A form reloaded at a newer version after a "changed
meanwhile" gets fresh block ids, so Slack shows the current values instead of keeping what was
typed (it keeps an input's state while its block id stays the same). Field errors and notes
are in English or Finnish, as the person wrote.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot import ids
from bot.blocks.common import Block, button, context, escape, message, plain, section
from bot.services.impact import ProfileImpact
from bot.services.profiles import (
    DESCRIPTION_MAX,
    REFERENCE_CLIENT_MAX,
    REFERENCE_DESCRIPTION_MAX,
    REFERENCE_TITLE_MAX,
    REFERENCES_SHOWN,
    ProfileChangeRow,
    ProfileDraft,
    ProfileError,
    reference_field,
)

METADATA_MAX = 3000

PROFILE_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "too_long": "Keep it under {max} characters.",
        "item_too_long": "“{item}” is too long: keep each under {max} characters.",
        "too_many": "At most {max}, please.",
        "language_code": "“{item}” is not a language code: write codes such as fi, en, sv.",
        "reference_title": "Give the reference a title, or clear its fields to remove it.",
        "year": "A year from 1900 to {max}.",
        "changed_meanwhile": ":warning: {by} changed this profile while you were editing it "
        "({at}). The form now shows the profile as it is: make your changes again and save.",
        "changed_meanwhile_anon": ":warning: This profile was changed while you were editing "
        "it. The form now shows the profile as it is: make your changes again and save.",
        "not_yours": "You can edit only your own organisation's profile; {member} is not yours. "
        "Ask the SCIC staff if it should change.",
        "former": "{member} is a former member of the cluster, so its profile is no longer "
        "edited here. Ask the SCIC staff.",
        "no_member": "I know no member called “{key}”.",
        "no_organisation": "Your person record is not linked to a member organisation; ask the "
        "SCIC staff to link it.",
        "unknown_person": "I don't know you yet: the email on your Slack profile is not in the "
        "cluster's records. Ask the SCIC staff to add you.",
        "history_staff_only": "Only the SCIC staff can see a profile's history.",
        "impact_not_yours": "Only the organisation's own people and the SCIC staff can see "
        "these numbers.",
        "saved": "Saved {member}'s profile ({fields}). It is searchable now.",
        "unchanged": "Nothing changed in {member}'s profile.",
        "confirmed": "Thanks! {member}'s profile is marked as still true.",
        "not_now": "All right, not now. You can edit {member}'s profile any time from my Home tab "
        "or with `/profile`.",
    },
    "fi": {
        "too_long": "Enintään {max} merkkiä.",
        "item_too_long": "”{item}” on liian pitkä: enintään {max} merkkiä kukin.",
        "too_many": "Enintään {max}.",
        "language_code": "”{item}” ei ole kielikoodi: kirjoita koodeja kuten fi, en, sv.",
        "reference_title": "Anna referenssille otsikko tai tyhjennä sen kentät poistaaksesi sen.",
        "year": "Vuosi väliltä 1900–{max}.",
        "changed_meanwhile": ":warning: {by} muutti profiilia sillä aikaa kun muokkasit sitä "
        "({at}). Lomake näyttää nyt profiilin sellaisena kuin se on: tee muutoksesi uudelleen "
        "ja tallenna.",
        "changed_meanwhile_anon": ":warning: Profiilia muutettiin sillä aikaa kun muokkasit "
        "sitä. Lomake näyttää nyt profiilin sellaisena kuin se on: tee muutoksesi uudelleen ja "
        "tallenna.",
        "not_yours": "Voit muokata vain oman organisaatiosi profiilia; {member} ei ole sinun. "
        "Kysy SCIC:n henkilökunnalta, jos sitä pitää muuttaa.",
        "former": "{member} on klusterin entinen jäsen, joten sen profiilia ei enää muokata "
        "täällä. Kysy SCIC:n henkilökunnalta.",
        "no_member": "En tunne jäsentä nimeltä ”{key}”.",
        "no_organisation": "Henkilötietojasi ei ole liitetty jäsenorganisaatioon; pyydä SCIC:n "
        "henkilökuntaa liittämään ne.",
        "unknown_person": "En tunne sinua vielä: Slack-profiilisi sähköpostiosoite ei ole "
        "klusterin tiedoissa. Pyydä SCIC:n henkilökuntaa lisäämään sinut.",
        "history_staff_only": "Vain SCIC:n henkilökunta näkee profiilin historian.",
        "impact_not_yours": "Vain organisaation omat ihmiset ja SCIC:n henkilökunta näkevät "
        "nämä luvut.",
        "saved": "{member}: profiili tallennettu ({fields}). Se on nyt haettavissa.",
        "unchanged": "{member}: profiilissa ei muuttunut mitään.",
        "confirmed": "Kiitos! {member}: profiili on merkitty yhä paikkansapitäväksi.",
        "not_now": "Selvä, ei nyt. Voit muokata profiilia milloin tahansa Koti-välilehdeltäni "
        "tai komennolla `/profile`.",
    },
}

FIELD_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "description": "description",
        "capabilities": "capabilities",
        "technologies": "technologies",
        "languages": "languages",
        "references": "references",
        "expertise": "your expertise",
    },
    "fi": {
        "description": "kuvaus",
        "capabilities": "osaaminen",
        "technologies": "teknologiat",
        "languages": "kielet",
        "references": "referenssit",
        "expertise": "asiantuntemuksesi",
    },
}


def phrase(language: str, key: str, **values: str) -> str:
    table = PROFILE_PHRASES.get(language, PROFILE_PHRASES["en"])
    return table.get(key, PROFILE_PHRASES["en"][key]).format(**values)


def refusal_text(error: ProfileError, language: str = "en") -> str:
    return phrase(language, error.reason, **error.values)


# --- block ids and metadata -----------------------------------------------------------------


def block_id_for(name: str, version: int) -> str:
    return f"{name}@{version}"


def field_of(block_id: str) -> str:
    return block_id.partition("@")[0]


def profile_metadata(draft: ProfileDraft, *, slots: int) -> str:
    """What a submission needs besides the inputs: which member, which version and values the
    form showed, how many reference slots it had and whether it had the expertise line."""
    data = {
        "member_id": draft.member_id,
        "version": draft.version,
        "seen": draft.fingerprint,
        "slots": slots,
        "expertise": draft.values.expertise is not None,
    }
    return json.dumps(data)[:METADATA_MAX]


def read_metadata(private_metadata: str) -> dict[str, Any]:
    try:
        data = json.loads(private_metadata or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# --- the modal --------------------------------------------------------------------------------


def _input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    max_length: int | None = None,
    hint: str = "",
    placeholder: str = "",
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.PROFILE_VALUE,
        "multiline": multiline,
    }
    if max_length:
        element["max_length"] = max_length
    if initial.strip():
        element["initial_value"] = initial[:max_length] if max_length else initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": True,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def reference_slots(draft: ProfileDraft) -> int:
    """The existing references shown, and one empty slot to add a new one (when room)."""
    return min(len(draft.values.references) + 1, REFERENCES_SHOWN)


def build_profile_modal(draft: ProfileDraft, *, note: str = "") -> dict[str, Any]:
    """The profile form of ``draft``'s member, filled in with what its profile says now."""
    values, version = draft.values, draft.version

    def ident(name: str) -> str:
        return block_id_for(name, version)

    blocks: list[Block] = [context(note)] if note else []
    blocks.append(
        context(
            f"*{escape(draft.member_name)}*: what the bot says about your organisation when "
            "members ask who can help. Write in Finnish or English."
        )
    )
    blocks += [
        _input(
            ident("description"),
            "What the organisation does",
            initial=values.description,
            multiline=True,
            max_length=DESCRIPTION_MAX,
        ),
        _input(
            ident("capabilities"),
            "Capabilities",
            initial="\n".join(values.capabilities),
            multiline=True,
            hint="One per line, or separated by commas.",
        ),
        _input(
            ident("technologies"),
            "Technologies",
            initial=", ".join(values.technologies),
            hint="Separated by commas.",
        ),
        _input(
            ident("languages"),
            "Working languages",
            initial=", ".join(values.languages),
            hint="Language codes, e.g. fi, en, sv.",
        ),
    ]
    if values.expertise is not None:
        blocks.append(
            _input(
                ident("expertise"),
                "Your own expertise",
                initial=", ".join(values.expertise),
                hint="What people may ask you about; separated by commas.",
            )
        )
    slots = reference_slots(draft)
    for n in range(slots):
        ref = values.references[n] if n < len(values.references) else None
        name = f"Reference {n + 1}" if ref else "New reference"
        blocks += [
            _input(
                ident(reference_field(n, "title")),
                f"{name}: title",
                initial=ref.title if ref else "",
                max_length=REFERENCE_TITLE_MAX,
                hint="Clear a reference's fields to remove it." if ref and n == 0 else "",
            ),
            _input(
                ident(reference_field(n, "description")),
                f"{name}: what was done",
                initial=ref.description if ref else "",
                multiline=True,
                max_length=REFERENCE_DESCRIPTION_MAX,
            ),
            _input(
                ident(reference_field(n, "client")),
                f"{name}: client",
                initial=ref.client if ref else "",
                max_length=REFERENCE_CLIENT_MAX,
            ),
            _input(
                ident(reference_field(n, "year")),
                f"{name}: year",
                initial=str(ref.year) if ref and ref.year else "",
                max_length=4,
                placeholder="2025",
            ),
        ]
    if draft.references_hidden:
        blocks.append(
            context(
                f"{draft.references_hidden} older references are not shown here and stay as "
                "they are."
            )
        )
    return {
        "type": "modal",
        "callback_id": ids.PROFILE_MODAL,
        "title": plain("Our profile", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "private_metadata": profile_metadata(draft, slots=slots),
        "blocks": blocks,
    }


# --- messages ---------------------------------------------------------------------------------


def build_profile_saved(
    member_name: str, fields: tuple[str, ...], *, language: str = "en"
) -> dict[str, Any]:
    if not fields:
        text = phrase(language, "unchanged", member=escape(member_name))
    else:
        names = FIELD_NAMES.get(language, FIELD_NAMES["en"])
        listed = ", ".join(names.get(f, f) for f in fields)
        text = phrase(language, "saved", member=escape(member_name), fields=listed)
    return message(text, [section(text)])


def build_profile_notice(text: str) -> dict[str, Any]:
    return message(text, [section(text)])


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""


def _values_line(value: Any) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "; ".join(str(item.get("title", "")) for item in value) or "—"
        return ", ".join(str(item) for item in value) or "—"
    text = str(value or "").replace("\n", " ")
    return (text[:140] + "…" if len(text) > 140 else text) or "—"


def build_profile_history(member_name: str, rows: list[ProfileChangeRow]) -> dict[str, Any]:
    """A member's audit trail for staff: who, when, which fields, before and after."""
    title = f"Profile history of {member_name}"
    if not rows:
        text = f"*{escape(title)}*\nNobody has edited or confirmed it in Slack yet."
        return message(text, [section(text)])
    blocks: list[Block] = [section(f"*{escape(title)}* (newest first)")]
    for row in rows[:40]:
        who = row.person_name or row.person_email or "someone no longer in the records"
        head = f"*{when(row.changed_at)}* · {escape(who)}"
        if row.kind == "confirm":
            blocks.append(section(f"{head}: said it is still true"))
            continue
        lines = [f"{head}: {', '.join(row.fields)}"]
        for name in row.fields:
            before = escape(_values_line(row.before.get(name)))
            after = escape(_values_line(row.after.get(name)))
            lines.append(f"• _{name}_: {before} → {after}")
        blocks.append(section("\n".join(lines)))
    return message(title, blocks[:50])


def build_profile_button(member_id: int) -> dict[str, Any]:
    return button("Edit our profile", ids.PROFILE_EDIT, str(member_id))


# --- why the profile matters ----------------------------------------------------------------


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def impact_lines(impact: ProfileImpact) -> list[str]:
    """The numbers in a few lines (mrkdwn): the Home tab and `/profile impact` show them."""
    if impact.suggested:
        times = "once" if impact.suggested == 1 else f"*{impact.suggested}* times"
        lines = [f"Suggested {times} in the last {impact.days} days"]
        if impact.topics:
            lines[0] += ", for: " + " · ".join(f"_{escape(t)}_" for t in impact.topics)
    else:
        lines = [
            f"Not suggested in the last {impact.days} days. Profiles that name their capabilities "
            "and references are found more often."
        ]
    if impact.introductions:
        lines.append(
            f"*{impact.introductions}* introduction{'s' if impact.introductions != 1 else ''} "
            f"asked for ({impact.introductions_accepted} accepted)."
        )
    for miss in impact.misses:
        line = f"• You were {ordinal(miss.rank)} for _{escape(miss.need)}_"
        if miss.missing:
            line += "; your profile does not mention " + ", ".join(
                f"*{escape(m)}*" for m in miss.missing
            )
        lines.append(line + ".")
    return lines


def build_impact_section(impact: ProfileImpact) -> Block:
    title = "*Why your profile matters*"
    if impact.misses:
        title += " (and the searches it narrowly missed)"
    return section(title + "\n" + "\n".join(impact_lines(impact)))


def build_impact_message(impact: ProfileImpact) -> dict[str, Any]:
    text = f"*{escape(impact.member_name)}*: " + "\n".join(impact_lines(impact))
    return message(f"{impact.member_name}: why the profile matters", [section(text)])
