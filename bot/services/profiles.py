"""Members keep their own profiles true: open the form, check it, save it, keep the audit trail.

Slack-free: `/profile`, the Home tab's button and a nudge's *Edit* all open the same form, and
`scic export profile-changes` reads the same trail.

Who may edit: the organisation's own people (not those of a former member) and staff, who
may edit any member. A save names the profile version and the values its form was opened
with; when either moved on in the meantime (another person saved, staff imported a file), the
save is refused with the current profile so the form can reload: no update is ever lost.
A save is an ordinary ORM change, so the same transaction queues the member for the search
index (`storage.outbox`) and the next search finds the new words.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.identity import Viewer
from bot.services.language import detect_language
from storage import clock
from storage import members as member_store
from storage import profiles as store
from storage.db import session_scope
from storage.files import table_to_csv
from storage.models import Member, MembershipStatus, Person, Reference

DESCRIPTION_MAX = 3000
ITEM_MAX = 200
ITEMS_MAX = 30
EXPERTISE_ITEM_MAX = 100
EXPERTISE_MAX = 15
LANGUAGES_MAX = 10
REFERENCE_TITLE_MAX = 300
REFERENCE_CLIENT_MAX = 200
REFERENCE_DESCRIPTION_MAX = 3000
#: References shown in the form; a member with more keeps the rest as they are.
REFERENCES_SHOWN = 18
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")

#: The fields of a profile as the audit trail names them.
FIELDS = ("description", "capabilities", "technologies", "languages", "references", "expertise")


class ProfileError(Exception):
    """A profile request that cannot be done; ``reason`` names it for the phrases."""

    def __init__(self, reason: str, **values: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


class ProfileNotAllowed(ProfileError):
    pass


class ProfileNotFound(ProfileError):
    pass


@dataclass(frozen=True)
class ReferenceValues:
    title: str
    description: str = ""
    year: int | None = None
    client: str = ""


@dataclass(frozen=True)
class ProfileValues:
    """A member's profile as people edit it; ``expertise`` is the editor's own line (None when
    the editor is staff from another organisation, who has no line there)."""

    description: str = ""
    capabilities: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    references: tuple[ReferenceValues, ...] = ()
    expertise: tuple[str, ...] | None = None

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        for name in ("capabilities", "technologies", "languages"):
            record[name] = list(record[name])
        record["references"] = [dict(r) for r in record["references"]]
        if self.expertise is None:
            del record["expertise"]
        else:
            record["expertise"] = list(self.expertise)
        return record


@dataclass(frozen=True)
class ProfileDraft:
    """What the form shows, and what a save must name to prove it saw the current profile."""

    member_id: int
    member_slug: str
    member_name: str
    version: int
    fingerprint: str
    values: ProfileValues
    #: References beyond REFERENCES_SHOWN: kept as they are by a save.
    references_hidden: int = 0
    reviewed_at: datetime | None = None


@dataclass(frozen=True)
class ReferenceForm:
    title: str | None = None
    description: str | None = None
    year: str | None = None
    client: str | None = None


@dataclass(frozen=True)
class ProfileForm:
    """The form as typed: strings or None; ``expertise`` None when the form had no such field."""

    description: str | None = None
    capabilities: str | None = None
    technologies: str | None = None
    languages: str | None = None
    expertise: str | None = None
    has_expertise: bool = False
    references: tuple[ReferenceForm, ...] = ()

    def written_text(self) -> str:
        parts = [self.description, self.capabilities, self.technologies, self.expertise]
        for ref in self.references:
            parts += [ref.title, ref.description]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class ProfileCheck:
    """The checked form: the values to save, or the problems by field (and the language the
    person wrote in, for the messages)."""

    values: ProfileValues | None
    errors: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    language: str = "en"


class ProfileChangedMeanwhile(ProfileError):
    """The profile moved on since the form was opened; ``current`` is what it says now."""

    def __init__(self, current: ProfileDraft, by: str, at: datetime | None) -> None:
        super().__init__("changed_meanwhile", by=by)
        self.current = current
        self.by = by
        self.at = at


@dataclass(frozen=True)
class SavedProfile:
    draft: ProfileDraft
    fields: tuple[str, ...]


# --- reading ----------------------------------------------------------------------------------


def _values(member: Member, editor: Person | None) -> tuple[ProfileValues, int]:
    references = tuple(
        ReferenceValues(
            title=r.title, description=r.description or "", year=r.year, client=r.client or ""
        )
        for r in member.references
    )
    expertise = tuple(editor.expertise or ()) if editor and editor.member_id == member.id else None
    values = ProfileValues(
        description=member.description or "",
        capabilities=tuple(member.capabilities or ()),
        technologies=tuple(member.technologies or ()),
        languages=tuple(member.languages or ()),
        references=references[:REFERENCES_SHOWN],
        expertise=expertise,
    )
    return values, max(0, len(references) - REFERENCES_SHOWN)


def fingerprint(values: ProfileValues) -> str:
    """A short hash of what the form showed: a save compares it with the profile now."""
    encoded = json.dumps(values.as_record(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def _draft(session: Session, member: Member, editor: Person | None) -> ProfileDraft:
    values, hidden = _values(member, editor)
    return ProfileDraft(
        member_id=member.id,
        member_slug=member.slug,
        member_name=member.name,
        version=store.profile_version(session=session, member_id=member.id),
        fingerprint=fingerprint(values),
        values=values,
        references_hidden=hidden,
        reviewed_at=store.reviewed_at(session=session, member_id=member.id),
    )


def _allowed(viewer: Viewer, member: Member) -> None:
    if viewer.is_staff:
        return
    if viewer.member_id != member.id:
        raise ProfileNotAllowed("not_yours", member=member.name)
    if member.membership_status is MembershipStatus.FORMER:
        raise ProfileNotAllowed("former", member=member.name)


def _member(session: Session, viewer: Viewer, key: str | None) -> Member:
    if key and key.strip():
        found = member_store.find_member(session=session, text=key)
        if found is None:
            raise ProfileNotFound("no_member", key=key.strip())
        member = store.member_for_profile(session=session, member_id=found.id)
    elif viewer.member_id is not None:
        member = store.member_for_profile(session=session, member_id=viewer.member_id)
    else:
        member = None
    if member is None:
        raise ProfileNotFound("no_organisation")
    return member


def open_profile(*, engine: Engine, viewer: Viewer, key: str | None = None) -> ProfileDraft:
    """The form for the viewer's organisation (or, for staff, the member named by ``key``)."""
    with session_scope(engine) as session:
        member = _member(session, viewer, key)
        _allowed(viewer, member)
        return _draft(session, member, session.get(Person, viewer.person_id))


def open_profile_by_id(*, engine: Engine, viewer: Viewer, member_id: int) -> ProfileDraft:
    """The same form, for a member named by id (a button's value)."""
    with session_scope(engine) as session:
        member = store.member_for_profile(session=session, member_id=member_id)
        if member is None:
            raise ProfileNotFound("no_member", key=str(member_id))
        _allowed(viewer, member)
        return _draft(session, member, session.get(Person, viewer.person_id))


# --- checking ---------------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    return (value or "").strip()


def split_items(value: str | None) -> tuple[str, ...]:
    """Items typed one per line or separated by commas or semicolons, each once."""
    items = (" ".join(item.split()) for item in re.split(r"[,;\n]", value or ""))
    seen: dict[str, str] = {}
    for item in items:
        if item and item.casefold() not in seen:
            seen[item.casefold()] = item
    return tuple(seen.values())


def _items(
    name: str,
    value: str | None,
    errors: dict[str, tuple[str, dict[str, str]]],
    *,
    item_max: int,
    most: int,
) -> tuple[str, ...]:
    items = split_items(value)
    long = next((item for item in items if len(item) > item_max), None)
    if long is not None:
        errors[name] = ("item_too_long", {"item": long[:40], "max": str(item_max)})
    elif len(items) > most:
        errors[name] = ("too_many", {"max": str(most)})
    return items


def check_profile_form(form: ProfileForm, *, today: date | None = None) -> ProfileCheck:
    """Check the form; every problem is reported against its field, in the language the person
    wrote in (Finnish or English)."""
    today = today or clock.today()
    language = detect_language(form.written_text()) if form.written_text() else "en"
    errors: dict[str, tuple[str, dict[str, str]]] = {}
    description = _clean(form.description)
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = ("too_long", {"max": str(DESCRIPTION_MAX)})
    capabilities = _items(
        "capabilities", form.capabilities, errors, item_max=ITEM_MAX, most=ITEMS_MAX
    )
    technologies = _items(
        "technologies", form.technologies, errors, item_max=ITEM_MAX, most=ITEMS_MAX
    )
    languages = tuple(item.lower() for item in split_items(form.languages))
    wrong = next((code for code in languages if not LANGUAGE_CODE.match(code)), None)
    if wrong is not None:
        errors["languages"] = ("language_code", {"item": wrong[:40]})
    elif len(languages) > LANGUAGES_MAX:
        errors["languages"] = ("too_many", {"max": str(LANGUAGES_MAX)})
    expertise = (
        _items("expertise", form.expertise, errors, item_max=EXPERTISE_ITEM_MAX, most=EXPERTISE_MAX)
        if form.has_expertise
        else None
    )
    references: list[ReferenceValues] = []
    for n, ref in enumerate(form.references):
        checked = _reference(n, ref, errors, today=today)
        if checked is not None:
            references.append(checked)
    if errors:
        return ProfileCheck(None, errors, language)
    values = ProfileValues(
        description=description,
        capabilities=capabilities,
        technologies=technologies,
        languages=languages,
        references=tuple(references),
        expertise=expertise,
    )
    return ProfileCheck(values, {}, language)


def reference_field(n: int, name: str) -> str:
    """The form field of reference slot ``n`` (from 0): ``ref_0_title``."""
    return f"ref_{n}_{name}"


def _reference(
    n: int, ref: ReferenceForm, errors: dict[str, tuple[str, dict[str, str]]], *, today: date
) -> ReferenceValues | None:
    title, description, client = _clean(ref.title), _clean(ref.description), _clean(ref.client)
    year_text = _clean(ref.year)
    if not (title or description or client or year_text):
        return None  # an empty slot: removed, or no new reference
    if not title:
        errors[reference_field(n, "title")] = ("reference_title", {})
    elif len(title) > REFERENCE_TITLE_MAX:
        errors[reference_field(n, "title")] = ("too_long", {"max": str(REFERENCE_TITLE_MAX)})
    if len(description) > REFERENCE_DESCRIPTION_MAX:
        errors[reference_field(n, "description")] = (
            "too_long",
            {"max": str(REFERENCE_DESCRIPTION_MAX)},
        )
    if len(client) > REFERENCE_CLIENT_MAX:
        errors[reference_field(n, "client")] = ("too_long", {"max": str(REFERENCE_CLIENT_MAX)})
    year: int | None = None
    if year_text:
        if not year_text.isdigit() or not 1900 <= int(year_text) <= today.year:
            errors[reference_field(n, "year")] = ("year", {"max": str(today.year)})
        else:
            year = int(year_text)
    return ReferenceValues(title=title, description=description, year=year, client=client)


# --- saving -----------------------------------------------------------------------------------


def _changed_fields(before: ProfileValues, after: ProfileValues) -> tuple[str, ...]:
    old, new = before.as_record(), after.as_record()
    return tuple(name for name in FIELDS if name in new and old.get(name) != new.get(name))


def _last_change(session: Session, member_id: int) -> tuple[str, datetime | None]:
    found = store.profile_changes(session=session, member_id=member_id, limit=1)
    if not found:
        return "", None
    change, _, name = found[0]
    return name or change.person_email, change.changed_at


def save_profile(
    *,
    engine: Engine,
    viewer: Viewer,
    member_id: int,
    version: int,
    seen: str,
    values: ProfileValues,
) -> SavedProfile:
    """Save checked ``values`` over the profile the form showed (``version``, fingerprint
    ``seen``); raises ProfileChangedMeanwhile when it has moved on, ProfileNotAllowed when the
    viewer may not edit it. Nothing changed: nothing is written."""
    with session_scope(engine) as session:
        member = store.member_for_profile(session=session, member_id=member_id)
        if member is None:
            raise ProfileNotFound("no_member", key=str(member_id))
        _allowed(viewer, member)
        editor = session.get(Person, viewer.person_id)
        # The compare-and-set comes first: of two saves of the same version one waits here and
        # then fails, whichever store it is.
        taken = store.take_profile_version(session=session, member_id=member_id, version=version)
        # Read again after it: what the profile says now, not before the wait.
        session.expire_all()
        member = store.member_for_profile(session=session, member_id=member_id)
        assert member is not None
        editor = session.get(Person, viewer.person_id)
        before, _ = _values(member, editor)
        if not taken or fingerprint(before) != seen:
            session.rollback()
            member = store.member_for_profile(session=session, member_id=member_id)
            assert member is not None
            by, at = _last_change(session, member_id)
            raise ProfileChangedMeanwhile(_draft(session, member, editor), by, at)
        if before.expertise is None:
            values = replace(values, expertise=None)
        fields = _changed_fields(before, values)
        if fields:
            _apply(member, editor, values)
            store.add_profile_change(
                session=session,
                member_id=member_id,
                person=editor,
                kind="edit",
                fields=fields,
                before={k: v for k, v in before.as_record().items() if k in fields},
                after={k: v for k, v in values.as_record().items() if k in fields},
            )
            store.answer_nudges(session=session, member_id=member_id, answer="edited")
        session.flush()
        session.expire_all()
        member = store.member_for_profile(session=session, member_id=member_id)
        assert member is not None
        return SavedProfile(_draft(session, member, editor), fields)


def _apply(member: Member, editor: Person | None, values: ProfileValues) -> None:
    member.description = values.description
    member.capabilities = list(values.capabilities)
    member.technologies = list(values.technologies)
    member.languages = list(values.languages)
    kept = member.references[:REFERENCES_SHOWN]
    hidden = member.references[REFERENCES_SHOWN:]
    wanted = list(values.references)
    if [_ref_values(r) for r in kept] != wanted:
        # Rewritten in place by position (unique per member): no row ever collides.
        rows = list(kept)
        for position, ref in enumerate(wanted):
            if position < len(rows):
                row = rows[position]
                row.title, row.description = ref.title, ref.description
                row.year, row.client = ref.year, ref.client
            else:
                member.references.append(
                    Reference(
                        position=position,
                        title=ref.title,
                        description=ref.description,
                        year=ref.year,
                        client=ref.client,
                    )
                )
        for row in rows[len(wanted) :]:
            member.references.remove(row)
        for offset, row in enumerate(hidden):
            row.position = REFERENCES_SHOWN + offset
    if values.expertise is not None and editor is not None:
        editor.expertise = list(values.expertise)


def _ref_values(row: Reference) -> ReferenceValues:
    return ReferenceValues(
        title=row.title, description=row.description or "", year=row.year, client=row.client or ""
    )


def confirm_profile(*, engine: Engine, viewer: Viewer, member_id: int) -> ProfileDraft:
    """*Still true*: the profile counts as looked at now, and the trail says who said so."""
    with session_scope(engine) as session:
        member = store.member_for_profile(session=session, member_id=member_id)
        if member is None:
            raise ProfileNotFound("no_member", key=str(member_id))
        _allowed(viewer, member)
        editor = session.get(Person, viewer.person_id)
        store.mark_reviewed(session=session, member_id=member_id)
        store.add_profile_change(
            session=session,
            member_id=member_id,
            person=editor,
            kind="confirm",
            fields=(),
            before={},
            after={},
        )
        store.answer_nudges(session=session, member_id=member_id, answer="confirmed")
        return _draft(session, member, editor)


def not_now(*, engine: Engine, viewer: Viewer, member_id: int) -> ProfileDraft:
    """*Not now* on a nudge: noted; the next period's nudge comes as usual."""
    with session_scope(engine) as session:
        member = store.member_for_profile(session=session, member_id=member_id)
        if member is None:
            raise ProfileNotFound("no_member", key=str(member_id))
        _allowed(viewer, member)
        store.answer_nudges(session=session, member_id=member_id, answer="not_now")
        return _draft(session, member, session.get(Person, viewer.person_id))


# --- the audit trail --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileChangeRow:
    member_slug: str
    changed_at: datetime
    person_name: str
    person_email: str
    kind: str
    fields: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]

    def as_record(self) -> dict[str, Any]:
        return {
            "member": self.member_slug,
            "changed_at": self.changed_at.isoformat(),
            "person": self.person_email,
            "kind": self.kind,
            "fields": list(self.fields),
            "before": self.before,
            "after": self.after,
        }


def _rows(session: Session, member_id: int | None, limit: int | None) -> list[ProfileChangeRow]:
    return [
        ProfileChangeRow(
            member_slug=slug,
            changed_at=change.changed_at,
            person_name=name,
            person_email=change.person_email,
            kind=change.kind,
            fields=tuple(change.fields),
            before=dict(change.before),
            after=dict(change.after),
        )
        for change, slug, name in store.profile_changes(
            session=session, member_id=member_id, limit=limit
        )
    ]


def profile_history(
    *, engine: Engine, viewer: Viewer, key: str, limit: int = 20
) -> tuple[str, list[ProfileChangeRow]]:
    """A member's audit trail, newest first: staff only. Returns the member's name too."""
    if not viewer.is_staff:
        raise ProfileNotAllowed("history_staff_only")
    with session_scope(engine) as session:
        member = _member(session, viewer, key)
        return member.name, _rows(session, member.id, limit)


def all_profile_changes(*, engine: Engine) -> list[ProfileChangeRow]:
    """Every save and confirmation, newest first (`scic export profile-changes`)."""
    with session_scope(engine) as session:
        return _rows(session, None, None)


CHANGE_COLUMNS = ("member", "changed_at", "person", "kind", "fields", "before", "after")


def export_profile_changes(*, engine: Engine, path: Path, fmt: str) -> int:
    """Write the audit trail to ``path`` as JSON (a list) or CSV (fields joined with ';',
    before and after as JSON); returns how many rows."""
    records = [row.as_record() for row in all_profile_changes(engine=engine)]
    if fmt == "csv":
        # Through the one CSV writer that neutralises formula cells (a name or e-mail
        # beginning with = or @ would otherwise run in a spreadsheet).
        text = table_to_csv(
            CHANGE_COLUMNS,
            (
                record
                | {
                    "fields": ";".join(record["fields"]),
                    "before": json.dumps(record["before"], ensure_ascii=False),
                    "after": json.dumps(record["after"], ensure_ascii=False),
                }
                for record in records
            ),
        )
    else:
        text = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(records)
