"""What the Home tab's "why your profile matters" costs: the demo data with 20 logged solver
questions (each answered with its top three), then one company's numbers cold (every need
searched) and warm (rankings reused), and `scic report members` for every member.

Loads ``storage/demo`` into a temporary SQLite store and Chroma index. Figures only.

    python -m bench.profile_impact --model-dir ../shared/models/all-MiniLM-L6-v2/onnx
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.services import impact
from bot.services.identity import viewer_of
from bot.services.matching import SolverSearch, rank_solvers
from bot.services.records import load_demo
from bot.settings import Settings
from storage import clock, migrate
from storage.db import make_engine, session_scope
from storage.models import Member, MemberKind, Person, QuestionLog

NEEDS = (
    "district heating leak detection",
    "snow load on school roofs",
    "flood sensors for storm drains",
    "parcel van routing in Aviapolis",
    "ice monitoring in Kirkenes harbour",
    "air quality near schools",
    "smart street lighting",
    "bridge strain monitoring",
    "waste collection route optimisation",
    "indoor air quality in day care centres",
    "heat pumps for apartment blocks",
    "EV charging in car parks",
    "digital twin of a district",
    "water leak detection in pipes",
    "traffic counting with cameras",
    "noise mapping",
    "energy use of public buildings",
    "autonomous shuttle pilots",
    "ground frost heave sensing",
    "crowd flow at events",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None, help="all-MiniLM-L6-v2 ONNX files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{folder}/scic.db",
            data_dir=Path(folder) / "data",
            embedding_model_dir=args.model_dir,
        )
        engine = make_engine(settings.store_url)
        migrate.upgrade(engine)
        load_demo(engine=engine)
        search = SolverSearch.open(settings, engine, catch_up=False)
        started = time.perf_counter()
        search.index_all()
        print(f"index built in {time.perf_counter() - started:.1f} s (dense: {search.dense})")
        with session_scope(engine) as session:
            for n, need in enumerate(NEEDS):
                question = f"who can help with {need}?"
                listed = [
                    m.member_slug
                    for m in rank_solvers(engine=engine, search=search, text=question, k=3)
                ]
                session.add(
                    QuestionLog(
                        question=question,
                        answered_members=listed,
                        created_at=clock.now() - timedelta(days=n),
                    )
                )
            person = session.scalars(
                select(Person)
                .join(Member, Member.id == Person.member_id)
                .where(Member.kind == MemberKind.COMPANY, Person.is_staff.is_(False))
                .order_by(Person.id)
            ).first()
            assert person is not None and person.member_id is not None
            viewer = viewer_of(person, "U0BENCH0001")
        for label in ("cold", "warm", "warm"):
            if label == "cold":
                impact.forget_rankings()
            started = time.perf_counter()
            found = impact.member_impact(
                engine=engine,
                search=search,
                viewer=viewer,
                member_id=person.member_id,
                operator_member=settings.operator_member,
            )
            took = 1000 * (time.perf_counter() - started)
            print(
                f"one member's numbers ({viewer.member_name}), {label}: {took:.0f} ms "
                f"({len(found.misses)} narrow misses)"
            )
        impact.forget_rankings()
        started = time.perf_counter()
        report = impact.members_report(
            engine=engine, search=search, operator_member=settings.operator_member
        )
        print(
            f"scic report members, cold: {time.perf_counter() - started:.1f} s for "
            f"{len(report)} members; {sum(1 for r in report if r.misses)} with a narrow miss"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
