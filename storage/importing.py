"""Import and export of records: validate a whole file, then upsert by natural key or write nothing.

A file with a bad row is rejected whole (every problem reported with its row, field and reason)
unless the caller asks to skip invalid rows; importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.exchange import (
    NATURAL_KEYS,
    RECORD_TYPES,
    ChallengeRecord,
    Kind,
    MemberRecord,
    PersonRecord,
    Record,
    challenge_record,
    member_record,
    person_record,
)
from storage.files import RawRow
from storage.models import (
    Challenge,
    ChallengeAccess,
    Member,
    Person,
    Reference,
)


@dataclass(frozen=True)
class Problem:
    """Why one row cannot be imported: which row, which field, what is wrong."""

    row: int
    field: str
    reason: str
    key: str = ""

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" ({self.key})" if self.key else "")
        return (
            f"{where}: {self.field}: {self.reason}"
            if self.field != "-"
            else f"{where}: {self.reason}"
        )


@dataclass
class ImportReport:
    kind: Kind
    total: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.problems})


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part + 1}]"
        else:
            name += ("." if name else "") + part
    return name or "-"


def _reason(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind in ("enum", "literal_error"):
        return f"{error.get('input')!r} is not allowed: {message[0].lower()}{message[1:]}"
    return message[0].lower() + message[1:] if message else kind


def validate_rows(
    kind: Kind, rows: Iterable[RawRow]
) -> tuple[list[tuple[int, Record]], list[Problem]]:
    """Turn raw rows into records, collecting every problem rather than stopping at the first."""
    key_field = NATURAL_KEYS[kind]
    records: list[tuple[int, Record]] = []
    problems: list[Problem] = []
    for raw in rows:
        key = str(raw.values.get(key_field, "") or "")[:80]
        row_problems = [Problem(raw.row, name, reason, key) for name, reason in raw.problems]
        try:
            record = RECORD_TYPES[kind].model_validate(raw.values)
        except ValidationError as exc:
            row_problems += [
                Problem(raw.row, _field_name(err["loc"]), _reason(err), key) for err in exc.errors()
            ]
        else:
            if not row_problems:
                records.append((raw.row, record))
        problems += row_problems
    return records, problems


def _unique_within_file(
    records: list[tuple[int, Record]], fields: tuple[str, ...]
) -> tuple[list[tuple[int, Record]], list[Problem]]:
    first_seen: dict[tuple[str, str], int] = {}
    kept, problems = [], []
    for row, record in records:
        clash = None
        for name in fields:
            value = getattr(record, name)
            if value is None:
                continue
            seen = first_seen.get((name, str(value).casefold()))
            if seen is not None:
                clash = Problem(row, name, f"{value!r} appears already in row {seen}", _key(record))
                break
        if clash:
            problems.append(clash)
            continue
        for name in fields:
            value = getattr(record, name)
            if value is not None:
                first_seen[(name, str(value).casefold())] = row
        kept.append((row, record))
    return kept, problems


def _key(record: Record) -> str:
    if isinstance(record, PersonRecord):
        return record.email
    return str(getattr(record, "slug", ""))


UNIQUE_FIELDS: dict[Kind, tuple[str, ...]] = {
    "members": ("slug", "name"),
    "people": ("email", "slack_user_id"),
    "challenges": ("slug",),
}


def import_rows(
    *,
    session: Session,
    kind: Kind,
    rows: list[RawRow],
    skip_invalid: bool = False,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate ``rows`` as a whole and upsert them; the caller's transaction commits.

    Nothing is written when any row is bad (unless ``skip_invalid``) or when ``dry_run``.
    """
    report = ImportReport(kind=kind, total=len(rows), dry_run=dry_run)
    records, problems = validate_rows(kind, rows)
    records, duplicates = _unique_within_file(records, UNIQUE_FIELDS[kind])
    problems += duplicates
    records, reference_problems = _check_references(session, kind, records)
    problems += reference_problems
    report.problems = sorted(problems, key=lambda p: p.row)
    if problems and not skip_invalid:
        return report

    apply = {"members": _upsert_member, "people": _upsert_person, "challenges": _upsert_challenge}[
        kind
    ]
    for done, (_row, record) in enumerate(records, start=1):
        outcome = apply(session, record, dry_run)  # type: ignore[operator]
        getattr(report, outcome).append(_key(record))
        if on_progress:
            on_progress(done)
    if not dry_run:
        session.flush()
        report.written = bool(report.created or report.updated)
    return report


def _check_references(
    session: Session, kind: Kind, records: list[tuple[int, Record]]
) -> tuple[list[tuple[int, Record]], list[Problem]]:
    """Check every reference to another record, and uniqueness against what is stored."""
    kept: list[tuple[int, Record]] = []
    problems: list[Problem] = []
    member_slugs = set(session.scalars(select(Member.slug)))
    if kind == "members":
        owner_of_name = {
            name.casefold(): slug
            for slug, name in session.execute(select(Member.slug, Member.name))
        }
        for row, record in records:
            assert isinstance(record, MemberRecord)
            holder = owner_of_name.get(record.name.casefold())
            if holder is not None and holder != record.slug:
                problems.append(
                    Problem(
                        row,
                        "name",
                        f"{record.name!r} is already the name of member {holder!r}",
                        record.slug,
                    )
                )
            else:
                kept.append((row, record))
    elif kind == "people":
        holder_of_slack = {
            slack_id: email
            for slack_id, email in session.execute(
                select(Person.slack_user_id, Person.email).where(Person.slack_user_id.is_not(None))
            )
        }
        for row, record in records:
            assert isinstance(record, PersonRecord)
            if record.organisation is not None and record.organisation not in member_slugs:
                problems.append(
                    Problem(
                        row,
                        "organisation",
                        f"unknown organisation {record.organisation!r}; import the member first",
                        record.email,
                    )
                )
                continue
            holder = holder_of_slack.get(record.slack_user_id) if record.slack_user_id else None
            if holder is not None and holder != record.email:
                problems.append(
                    Problem(
                        row,
                        "slack_user_id",
                        f"{record.slack_user_id} is already linked to {holder}",
                        record.email,
                    )
                )
                continue
            kept.append((row, record))
    else:
        emails = set(session.scalars(select(Person.email)))
        for row, record in records:
            assert isinstance(record, ChallengeRecord)
            row_problems = []
            if record.owner_member is not None and record.owner_member not in member_slugs:
                row_problems.append(
                    Problem(
                        row,
                        "owner_member",
                        f"unknown organisation {record.owner_member!r}",
                        record.slug,
                    )
                )
            if record.created_by is not None and record.created_by not in emails:
                row_problems.append(
                    Problem(row, "created_by", f"unknown person {record.created_by!r}", record.slug)
                )
            for slug in record.allowed_members:
                if slug not in member_slugs:
                    row_problems.append(
                        Problem(
                            row, "allowed_members", f"unknown organisation {slug!r}", record.slug
                        )
                    )
            problems += row_problems
            if not row_problems:
                kept.append((row, record))
    return kept, problems


def _upsert_member(session: Session, record: MemberRecord, dry_run: bool) -> str:
    member = session.scalars(
        select(Member).where(Member.slug == record.slug).options(selectinload(Member.references))
    ).one_or_none()
    if member is not None and member_record(member) == record:
        return "unchanged"
    if dry_run:
        return "updated" if member is not None else "created"
    outcome = "updated"
    if member is None:
        member = Member(slug=record.slug)
        session.add(member)
        outcome = "created"
    for name in (
        "name",
        "kind",
        "country",
        "city",
        "size",
        "website",
        "description",
        "capabilities",
        "technologies",
        "languages",
        "membership_status",
    ):
        setattr(member, name, getattr(record, name))
    wanted = [(ref.title, ref.description, ref.year, ref.client) for ref in record.references]
    if [(r.title, r.description, r.year, r.client) for r in member.references] != wanted:
        member.references.clear()
        session.flush()  # old positions go before the new ones take their place
        member.references.extend(
            Reference(position=i, title=t, description=d, year=y, client=c)
            for i, (t, d, y, c) in enumerate(wanted)
        )
    return outcome


def _upsert_person(session: Session, record: PersonRecord, dry_run: bool) -> str:
    person = session.scalars(select(Person).where(Person.email == record.email)).one_or_none()
    if person is not None and person_record(person) == record:
        return "unchanged"
    if dry_run:
        return "updated" if person is not None else "created"
    member = (
        session.scalars(select(Member).where(Member.slug == record.organisation)).one()
        if record.organisation
        else None
    )
    outcome = "updated"
    if person is None:
        person = Person(email=record.email)
        session.add(person)
        outcome = "created"
    person.member = member
    for name in ("name", "role", "expertise", "slack_user_id", "is_staff", "digest_frequency"):
        setattr(person, name, getattr(record, name))
    return outcome


def _upsert_challenge(session: Session, record: ChallengeRecord, dry_run: bool) -> str:
    challenge = session.scalars(
        select(Challenge).where(Challenge.slug == record.slug)
    ).one_or_none()
    if (
        challenge is not None
        and challenge_record(challenge, _allowed_slugs(session, challenge)) == record
    ):
        return "unchanged"
    if dry_run:
        return "updated" if challenge is not None else "created"
    members = {
        m.slug: m
        for m in session.scalars(
            select(Member).where(
                Member.slug.in_([*record.allowed_members, record.owner_member or ""])
            )
        )
    }
    created_by = (
        session.scalars(select(Person).where(Person.email == record.created_by)).one()
        if record.created_by
        else None
    )
    outcome = "updated"
    if challenge is None:
        challenge = Challenge(slug=record.slug)
        session.add(challenge)
        outcome = "created"
    challenge.owner_member = members.get(record.owner_member or "")
    challenge.created_by = created_by
    for name in (
        "title",
        "description",
        "owner_name",
        "city",
        "country",
        "tags",
        "needs",
        "status",
        "deadline",
        "budget_min",
        "budget_max",
        "currency",
        "visibility",
        "source",
        "language",
    ):
        setattr(challenge, name, getattr(record, name))
    challenge.region = record.region or ""
    challenge.allowed_members.clear()
    session.flush()
    challenge.allowed_members.extend(
        ChallengeAccess(challenge_id=challenge.id, member_id=members[slug].id)
        for slug in record.allowed_members
    )
    return outcome


def _allowed_slugs(session: Session, challenge: Challenge) -> list[str]:
    return list(
        session.scalars(
            select(Member.slug)
            .join(ChallengeAccess, ChallengeAccess.member_id == Member.id)
            .where(ChallengeAccess.challenge_id == challenge.id)
        )
    )


def export_records(*, session: Session, kind: Kind) -> list[Record]:
    """Every record of ``kind`` in exchange form, ordered by natural key."""
    if kind == "members":
        members = session.scalars(
            select(Member).options(selectinload(Member.references)).order_by(Member.slug)
        )
        return [member_record(m) for m in members]
    if kind == "people":
        people = session.scalars(
            select(Person).options(selectinload(Person.member)).order_by(Person.email)
        )
        return [person_record(p) for p in people]
    challenges = session.scalars(select(Challenge).order_by(Challenge.slug))
    return [challenge_record(c, _allowed_slugs(session, c)) for c in challenges]
