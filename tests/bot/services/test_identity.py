"""Slack users become people by their profile email once; after that the link is remembered."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.services.identity import identify_slack_user
from standins.cluster import add_cast
from storage.db import session_scope
from storage.models import Person


def test_linked_by_email_once_then_remembered(engine: Engine) -> None:
    cast = add_cast(engine)
    asked: list[str] = []

    def email() -> str:
        asked.append("users.info")
        return "SARI.staff@scic.example"  # profiles and records differ in case

    for _ in range(2):
        viewer = identify_slack_user(engine=engine, slack_user_id="U0STAFF", profile_email=email)
        assert viewer is not None
        assert (viewer.person_id, viewer.is_staff) == (cast.staff_id, True)
        assert viewer.member_name == "Smart City Innovation Cluster"
    assert asked == ["users.info"]
    with session_scope(engine) as session:
        assert session.get_one(Person, cast.staff_id).slack_user_id == "U0STAFF"


def test_unknown_email_or_no_email_is_nobody(engine: Engine) -> None:
    add_cast(engine)
    assert (
        identify_slack_user(engine=engine, slack_user_id="U9", profile_email=lambda: None) is None
    )
    assert (
        identify_slack_user(engine=engine, slack_user_id="U9", profile_email=lambda: "x@y.example")
        is None
    )


def test_a_slack_id_moves_to_the_person_it_now_belongs_to(engine: Engine) -> None:
    cast = add_cast(engine)
    with session_scope(engine) as session:
        session.get_one(Person, cast.member_person_id).slack_user_id = "U0REUSED"
    viewer = identify_slack_user(
        engine=engine,
        slack_user_id="U0REUSED",
        profile_email=lambda: "sari.staff@scic.example",
    )
    assert viewer is not None and viewer.person_id == cast.member_person_id
