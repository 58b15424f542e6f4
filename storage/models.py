"""The cluster's records as SQLAlchemy 2.0 models: the single source of truth.

Every table keeps its timestamps in UTC, its natural keys unique (an organisation's slug and
name, a person's email and Slack user id, a challenge's slug) and its foreign keys with delete
rules that never leave dangling rows.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage import clock


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones, so values are normalised to UTC on the way in and marked UTC on
    the way out; PostgreSQL stores them as ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the store keeps UTC timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class MemberKind(enum.StrEnum):
    COMPANY = "company"
    CITY = "city"
    REGION = "region"
    RESEARCH_INSTITUTE = "research_institute"
    UNIVERSITY = "university"
    OTHER = "other"


class MemberSize(enum.StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    FORMER = "former"


class DigestFrequency(enum.StrEnum):
    WEEKLY = "weekly"
    DAILY = "daily"
    OFF = "off"


class ChallengeStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    TEAMS_FORMING = "teams_forming"
    PROPOSAL_SUBMITTED = "proposal_submitted"
    WON = "won"
    LOST = "lost"
    CLOSED = "closed"


#: A challenge in one of these takes interest and teams, but only until its deadline day is over
#: (`Challenge.is_open_on`): an expired one is never shown as open, whatever its stored status.
OPEN_STATUSES = (ChallengeStatus.OPEN, ChallengeStatus.TEAMS_FORMING)


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"


class TeamStatus(enum.StrEnum):
    FORMING = "forming"
    PROPOSAL_IN_PREPARATION = "proposal_in_preparation"
    SUBMITTED = "submitted"
    WON = "won"
    LOST = "lost"
    DISSOLVED = "dissolved"


class SuggestionFeedback(enum.StrEnum):
    INTRODUCE = "introduce"
    NOT_A_FIT = "not_a_fit"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: readable in SQL and portable between
    # SQLite and PostgreSQL without native enum types to migrate.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Member(Timestamped, Base):
    """A member organisation of the cluster: a company, city, region, institute or university."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[MemberKind] = mapped_column(_enum(MemberKind, "member_kind"))
    country: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[MemberSize | None] = mapped_column(_enum(MemberSize, "member_size"))
    website: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    capabilities: Mapped[list[str]] = mapped_column(default=list)
    technologies: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    membership_status: Mapped[MembershipStatus] = mapped_column(
        _enum(MembershipStatus, "membership_status"), default=MembershipStatus.ACTIVE
    )

    references: Mapped[list[Reference]] = relationship(
        back_populates="member",
        cascade="all, delete-orphan",
        order_by="Reference.position",
        passive_deletes=True,
    )
    people: Mapped[list[Person]] = relationship(back_populates="member", passive_deletes=True)


class Reference(Base):
    """A past project of a member: the strongest evidence that it can solve a challenge."""

    __tablename__ = "reference"
    __table_args__ = (
        UniqueConstraint("member_id", "position"),
        CheckConstraint("year IS NULL OR (year >= 1900 AND year <= 2100)", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer)
    client: Mapped[str] = mapped_column(String(200), default="")

    member: Mapped[Member] = relationship(back_populates="references")


class Person(Timestamped, Base):
    """A person at a member organisation; staff have rights over challenges."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # People outlive their organisation's record (their questions and interests stay).
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), index=True
    )
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(200), default="")
    expertise: Mapped[list[str]] = mapped_column(default=list)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_frequency: Mapped[DigestFrequency] = mapped_column(
        _enum(DigestFrequency, "digest_frequency"), default=DigestFrequency.WEEKLY
    )

    member: Mapped[Member | None] = relationship(back_populates="people")


class Challenge(Timestamped, Base):
    """A real problem brought by a city, region or business, for members to solve as a team."""

    __tablename__ = "challenge"
    __table_args__ = (
        CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max",
            name="budget_range",
        ),
        CheckConstraint("budget_min IS NULL OR budget_min >= 0", name="budget_min_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), index=True
    )
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    needs: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[ChallengeStatus] = mapped_column(
        _enum(ChallengeStatus, "challenge_status"), default=ChallengeStatus.DRAFT, index=True
    )
    deadline: Mapped[date | None] = mapped_column(Date)
    budget_min: Mapped[int | None] = mapped_column(Integer)
    budget_max: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    visibility: Mapped[Visibility] = mapped_column(
        _enum(Visibility, "visibility"), default=Visibility.PUBLIC
    )
    source: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    slack_channel_id: Mapped[str | None] = mapped_column(String(32))
    slack_thread_ts: Mapped[str | None] = mapped_column(String(32))
    #: Where the daily lifecycle job moves the challenge once its deadline has passed (staff
    #: choose; closed unless they said otherwise).
    status_after_deadline: Mapped[ChallengeStatus] = mapped_column(
        _enum(ChallengeStatus, "challenge_status_after_deadline"),
        default=ChallengeStatus.CLOSED,
        server_default=ChallengeStatus.CLOSED.value,
    )
    #: The day the lifecycle job moved it there because its deadline had passed; None when its
    #: status was set by hand. A later deadline given by staff reopens such a challenge.
    deadline_closed_on: Mapped[date | None] = mapped_column(Date)

    owner_member: Mapped[Member | None] = relationship(foreign_keys=[owner_member_id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    allowed_members: Mapped[list[ChallengeAccess]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    def is_open_on(self, day: date) -> bool:
        """Open that day: an open status, and no deadline or one not yet passed."""
        return self.status in OPEN_STATUSES and (self.deadline is None or self.deadline >= day)

    @classmethod
    def open_on(cls, day: date) -> ColumnElement[bool]:
        """`is_open_on` as SQL, for queries."""
        return and_(cls.status.in_(OPEN_STATUSES), or_(cls.deadline.is_(None), cls.deadline >= day))


class ChallengeAccess(Base):
    """Which member organisations may see a restricted challenge (staff always may)."""

    __tablename__ = "challenge_access"

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )


class Team(Timestamped, Base):
    """Member organisations pooling their strengths into one proposal for a challenge."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    lead_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    status: Mapped[TeamStatus] = mapped_column(
        _enum(TeamStatus, "team_status"), default=TeamStatus.FORMING
    )
    roster_channel_id: Mapped[str | None] = mapped_column(String(32))
    roster_message_ts: Mapped[str | None] = mapped_column(String(32))

    memberships: Mapped[list[TeamMembership]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class TeamMembership(Base):
    __tablename__ = "team_membership"
    __table_args__ = (UniqueConstraint("team_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(100), default="")
    joined_at: Mapped[datetime] = mapped_column(default=clock.now)


class TeamStatusChange(Base):
    """Who moved a team to which status, and when: the pipeline's history."""

    __tablename__ = "team_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[TeamStatus | None] = mapped_column(_enum(TeamStatus, "team_status_from"))
    to_status: Mapped[TeamStatus] = mapped_column(_enum(TeamStatus, "team_status_to"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=clock.now)


class Interest(Base):
    """An organisation (through one of its people) saying it wants in on a challenge."""

    __tablename__ = "interest"
    __table_args__ = (UniqueConstraint("challenge_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SolverSuggestion(Timestamped, Base):
    """A member the matcher suggested for a challenge, with its evidence and people's feedback."""

    __tablename__ = "solver_suggestion"
    __table_args__ = (UniqueConstraint("challenge_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    feedback: Mapped[SuggestionFeedback | None] = mapped_column(
        _enum(SuggestionFeedback, "suggestion_feedback")
    )
    feedback_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class DigestSubscription(Timestamped, Base):
    """Someone (a person by DM, or a channel) who receives the opportunity digest."""

    __tablename__ = "digest_subscription"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (slack_channel_id IS NULL)", name="person_xor_channel"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), unique=True
    )
    slack_channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    frequency: Mapped[DigestFrequency] = mapped_column(
        _enum(DigestFrequency, "subscription_frequency"), default=DigestFrequency.WEEKLY
    )


class DigestDelivery(Base):
    """One digest for one subscriber and period; the unique key makes delivery exactly-once."""

    __tablename__ = "digest_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscription.id", ondelete="CASCADE")
    )
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column()
    # The lease of the run sending it (bot.services.digests): a 'pending' row whose claim is
    # older than the lease was abandoned by a crashed run, and one other run may take it over.
    claimed_at: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(32))


class QuestionLog(Base):
    """Who asked the bot what, what it answered, and what they thought of the answer."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    slack_user_id: Mapped[str] = mapped_column(String(32), default="")
    channel_id: Mapped[str] = mapped_column(String(32), default="")
    thread_ts: Mapped[str] = mapped_column(String(32), default="")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_members: Mapped[list[str]] = mapped_column(default=list)
    feedback: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class LanguageModelCall(Base):
    """One call to the language model: for whom, for which task, how many tokens, how it ended.

    The per-person daily token limit is counted from these rows, and they are the record of
    what the model costs.
    """

    __tablename__ = "language_model_call"
    __table_args__ = (Index("ix_language_model_call_person_day", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    task: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(100), default="")
    prompt_version: Mapped[str] = mapped_column(String(16), default="")
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    # ok (used), shown (a written answer that passed every check), dropped (it failed one:
    # see dropped_by), failed (the template went out instead), limited (over the daily
    # limit) or skipped (not sent: the time budget was spent or the circuit breaker open)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    #: the check (`bot.services.questions.guards.CHECKS`) that dropped a written answer
    dropped_by: Mapped[str] = mapped_column(String(32), default="", server_default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class IndexOutbox(Base):
    """Records whose search-index passages must be refreshed.

    Written in the same transaction as the change to the record, and removed only after the
    index has caught up, so a crash between the store's commit and the index update is
    repaired on the next start instead of leaving the index wrong.
    """

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class IntroductionStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Introduction(Base):
    """A member asking to be introduced to another member's contact, who must agree first."""

    __tablename__ = "introduction"
    __table_args__ = (UniqueConstraint("asker_person_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    question: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[IntroductionStatus] = mapped_column(
        _enum(IntroductionStatus, "introduction_status"), default=IntroductionStatus.REQUESTED
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column()
