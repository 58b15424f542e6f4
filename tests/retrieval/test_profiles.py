"""Passages cut from the store's records, and what their ids say."""

from __future__ import annotations

from retrieval.passages import split_sentences
from retrieval.profiles import member_owner, member_passages, record_owner
from storage.models import Member, MemberKind, MembershipStatus


def test_every_record_s_id_says_its_owner() -> None:
    # `PassageIndex.warm` lists every owner's records from their ids alone (reading their
    # metadata back would cost ~2 minutes at 100,000 members).
    member = Member(
        id=12,
        slug="kantava",
        name="Kantava Oy",
        kind=MemberKind.COMPANY,
        membership_status=MembershipStatus.ACTIVE,
        description="Structural health monitoring of bridges. We read strain gauges in winter.",
        capabilities=["bridge monitoring: strain, vibration", "fibre-optic sensing"],
        technologies=["LoRaWAN"],
        references=[],
        people=[],
    )
    passages = member_passages(member, max_tokens=256)
    assert passages
    ids = [p.id for p in passages]
    ids += [f"{p.id}::s{n}" for p in passages for n in range(len(split_sentences(p.text)))]
    assert {record_owner(rid) for rid in ids} == {member_owner(12)}
    assert record_owner("challenge:3:need:0#1::s2") == "challenge:3"
