"""Every change to a searchable record is queued for the index in its own transaction."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select

from storage.db import session_scope
from storage.models import Challenge, IndexOutbox, Member, MemberKind, Person, Reference


def queued(engine: Engine) -> set[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(IndexOutbox)).all()
        session.execute(delete(IndexOutbox))
    return {(row.entity, row.entity_key) for row in rows}


def test_create_edit_and_delete_are_all_queued(engine: Engine) -> None:
    with session_scope(engine) as session:
        member = Member(slug="a", name="A", kind=MemberKind.COMPANY)
        other = Member(slug="b", name="B", kind=MemberKind.COMPANY)
        session.add_all([member, other])
        session.flush()
        ids = member.id, other.id
    assert queued(engine) == {("member", str(ids[0])), ("member", str(ids[1]))}

    with session_scope(engine) as session:  # an edit to a reference is an edit to its member
        session.add(Reference(member_id=ids[0], title="Heat pumps for Espoo"))
    assert queued(engine) == {("member", str(ids[0]))}

    with session_scope(engine) as session:  # a person moving organisation touches both
        session.add(Person(email="p@x.fi", name="P", member_id=ids[0], expertise=["BIM"]))
    queued(engine)
    with session_scope(engine) as session:
        session.scalars(select(Person)).one().member_id = ids[1]
    assert queued(engine) == {("member", str(ids[0])), ("member", str(ids[1]))}

    with session_scope(engine) as session:
        session.delete(session.get(Member, ids[1]))
    assert ("member", str(ids[1])) in queued(engine)


def test_a_rolled_back_change_queues_nothing(engine: Engine) -> None:
    try:
        with session_scope(engine) as session:
            session.add(Challenge(slug="c", title="C"))
            session.flush()
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    assert queued(engine) == set()


def test_reading_queues_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Member(slug="a", name="A", kind=MemberKind.CITY))
    queued(engine)
    with session_scope(engine) as session:
        assert session.scalars(select(Member)).one().name == "A"
    assert queued(engine) == set()
