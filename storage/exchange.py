"""The exchange form of members, people and challenges: what import and export read and write.

One pydantic model per kind validates a row from any file format, so CSV and JSON share one set
of rules and one wording of problems. Natural keys: a member's ``slug``, a person's ``email``,
a challenge's ``slug``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    field_validator,
    model_validator,
)

from storage.models import (
    Challenge,
    ChallengeStatus,
    DigestFrequency,
    Member,
    MemberKind,
    MembershipStatus,
    MemberSize,
    Person,
    Visibility,
)

Kind = Literal["members", "people", "challenges"]
KINDS: tuple[Kind, ...] = ("members", "people", "challenges")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")
# Tab and newline are fine in prose; other control characters corrupt CSV files and
# PostgreSQL refuses NUL outright.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LIST_SEPARATOR = ";"


def _clean_text(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError("contains a control character")
    return value.strip()


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(
            "must be lowercase letters, digits and single hyphens, e.g. 'city-of-espoo'"
        )
    return value


def _email(value: str) -> str:
    value = value.lower()
    if not EMAIL.match(value):
        raise ValueError("is not an e-mail address")
    return value


def _slack_user(value: str | None) -> str | None:
    if value is not None and not SLACK_USER.match(value):
        raise ValueError("is not a Slack user id (like U012AB3CD)")
    return value


def _tag_list(value: Any) -> Any:
    if isinstance(value, str):
        value = value.split(LIST_SEPARATOR)
    if not isinstance(value, list):
        return value
    items = []
    for item in value:
        if not isinstance(item, str):
            raise ValueError("must be a list of texts")
        if LIST_SEPARATOR in item:
            raise ValueError(f"an item may not contain '{LIST_SEPARATOR}' (the CSV list separator)")
        item = _clean_text(item)
        if item and item not in items:
            items.append(item)
    return items


def _empty_is_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _strict_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD") from None
    if value is None or isinstance(value, date):
        return value
    raise ValueError("must be a date in the form YYYY-MM-DD")


def _one_line(value: str) -> str:
    # A name is shown in bold on one line in Slack and keys lookups: a line break in one is
    # a spreadsheet accident, not part of the name.
    if "\n" in value:
        raise ValueError("must be on one line (it contains a line break)")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_one_line),
]
Slug = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=80), AfterValidator(_slug)
]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)
]
Tags = Annotated[
    list[Annotated[str, StringConstraints(max_length=200)]], BeforeValidator(_tag_list)
]
OptionalText = Annotated[str | None, BeforeValidator(_empty_is_none)]
OptionalInt = Annotated[int | None, BeforeValidator(_empty_is_none)]
OptionalDate = Annotated[
    date | None, BeforeValidator(_empty_is_none), BeforeValidator(_strict_date)
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if CONTROL.search(value):
            raise ValueError("contains a control character (only tab and newline are allowed)")
        return value


class ReferenceRecord(Record):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    description: Annotated[str, StringConstraints(max_length=20000)] = ""
    year: Annotated[int | None, BeforeValidator(_empty_is_none)] = None
    client: Annotated[str, StringConstraints(max_length=200)] = ""

    @model_validator(mode="after")
    def _plausible_year(self) -> ReferenceRecord:
        if self.year is not None and not 1900 <= self.year <= 2100:
            raise ValueError(f"year {self.year} is not between 1900 and 2100")
        return self


class MemberRecord(Record):
    slug: Slug
    name: Name
    kind: MemberKind
    country: Annotated[str, StringConstraints(max_length=100)] = ""
    city: Annotated[str, StringConstraints(max_length=100)] = ""
    size: Annotated[MemberSize | None, BeforeValidator(_empty_is_none)] = None
    website: Annotated[str, StringConstraints(max_length=300)] = ""
    description: Annotated[str, StringConstraints(max_length=20000)] = ""
    capabilities: Tags = []
    technologies: Tags = []
    languages: Tags = []
    membership_status: MembershipStatus = MembershipStatus.ACTIVE
    references: list[ReferenceRecord] = []


class PersonRecord(Record):
    email: Email
    name: Name
    organisation: Annotated[str | None, BeforeValidator(_empty_is_none)] = None
    role: Annotated[str, StringConstraints(max_length=200)] = ""
    expertise: Tags = []
    slack_user_id: Annotated[
        str | None, BeforeValidator(_empty_is_none), AfterValidator(_slack_user)
    ] = None
    is_staff: bool = False
    digest_frequency: DigestFrequency = DigestFrequency.WEEKLY


class ChallengeRecord(Record):
    slug: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    description: Annotated[str, StringConstraints(max_length=20000)] = ""
    owner_member: Annotated[str | None, BeforeValidator(_empty_is_none)] = None
    owner_name: Annotated[str, StringConstraints(max_length=200)] = ""
    city: Annotated[str, StringConstraints(max_length=100)] = ""
    country: Annotated[str, StringConstraints(max_length=100)] = ""
    region: Annotated[str | None, BeforeValidator(_empty_is_none)] = None
    tags: Tags = []
    needs: Tags = []
    status: ChallengeStatus = ChallengeStatus.DRAFT
    deadline: OptionalDate = None
    budget_min: OptionalInt = None
    budget_max: OptionalInt = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    visibility: Visibility = Visibility.PUBLIC
    source: Annotated[str, StringConstraints(max_length=200)] = ""
    created_by: Annotated[str | None, BeforeValidator(_empty_is_none)] = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] = "en"
    allowed_members: Tags = []

    @model_validator(mode="after")
    def _budget_in_order(self) -> ChallengeRecord:
        if self.budget_min is not None and self.budget_min < 0:
            raise ValueError("budget_min may not be negative")
        if (
            self.budget_min is not None
            and self.budget_max is not None
            and self.budget_min > self.budget_max
        ):
            raise ValueError(
                f"budget_min ({self.budget_min}) is larger than budget_max ({self.budget_max})"
            )
        if self.region is not None and len(self.region) > 100:
            raise ValueError("region is longer than 100 characters")
        if self.created_by is not None:
            self.created_by = _email(self.created_by)
        return self


RECORD_TYPES: dict[Kind, type[Record]] = {
    "members": MemberRecord,
    "people": PersonRecord,
    "challenges": ChallengeRecord,
}
NATURAL_KEYS: dict[Kind, str] = {"members": "slug", "people": "email", "challenges": "slug"}


def member_record(member: Member) -> MemberRecord:
    return MemberRecord(
        slug=member.slug,
        name=member.name,
        kind=member.kind,
        country=member.country,
        city=member.city,
        size=member.size,
        website=member.website,
        description=member.description,
        capabilities=list(member.capabilities),
        technologies=list(member.technologies),
        languages=list(member.languages),
        membership_status=member.membership_status,
        references=[
            ReferenceRecord(
                title=ref.title, description=ref.description, year=ref.year, client=ref.client
            )
            for ref in member.references
        ],
    )


def person_record(person: Person) -> PersonRecord:
    return PersonRecord(
        email=person.email,
        name=person.name,
        organisation=person.member.slug if person.member else None,
        role=person.role,
        expertise=list(person.expertise),
        slack_user_id=person.slack_user_id,
        is_staff=person.is_staff,
        digest_frequency=person.digest_frequency,
    )


def challenge_record(challenge: Challenge, allowed_member_slugs: list[str]) -> ChallengeRecord:
    return ChallengeRecord(
        slug=challenge.slug,
        title=challenge.title,
        description=challenge.description,
        owner_member=challenge.owner_member.slug if challenge.owner_member else None,
        owner_name=challenge.owner_name,
        city=challenge.city,
        country=challenge.country,
        region=challenge.region or None,
        tags=list(challenge.tags),
        needs=list(challenge.needs),
        status=challenge.status,
        deadline=challenge.deadline,
        budget_min=challenge.budget_min,
        budget_max=challenge.budget_max,
        currency=challenge.currency,
        visibility=challenge.visibility,
        source=challenge.source,
        created_by=challenge.created_by.email if challenge.created_by else None,
        language=challenge.language,
        allowed_members=sorted(allowed_member_slugs),
    )
