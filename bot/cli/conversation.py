"""The bot's conversations in a terminal (`scic ask`, `scic console`): the same services and
answers as in Slack, as text."""

from __future__ import annotations

import logging
from collections.abc import Callable

from rich.console import Console
from sqlalchemy import Engine, select

from bot.services.answers import Answer, WrittenAnswer, answer_question, write_answer
from bot.services.identity import Viewer, viewer_of
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import SolverSearch
from storage.db import session_scope
from storage.models import Person

log = logging.getLogger(__name__)
NO_ANSWER = "I could not find an answer to that in the cluster's records; the staff may know more."


def console_viewer(engine: Engine, email: str | None) -> Viewer | None:
    """Who the terminal speaks as: the person with ``email``, or the first staff member."""
    # TODO(storage): this query belongs in storage/ (people by email, or the first staff member).
    with session_scope(engine) as session:
        query = select(Person)
        query = (
            query.where(Person.email == email.lower())
            if email
            else query.where(Person.is_staff.is_(True)).order_by(Person.id)
        )
        person = session.scalars(query).first()
        return viewer_of(person, person.slack_user_id or "console") if person else None


def render_answer(answer: Answer) -> str:
    """An answer as plain text, in the order Slack shows it."""
    lines: list[str] = []
    if answer.member is not None:
        m = answer.member
        lines += [f"{m.name} ({', '.join(x for x in (m.city, m.country) if x)})", m.description]
        if m.capabilities:
            lines.append("Capabilities: " + ", ".join(m.capabilities))
        lines += [f"  • {r}" for r in m.references[:5]]
        lines += [f"Contact: {c.name}, {c.role} <{c.email}>" for c in m.contacts[:3]]
    elif answer.challenges:
        lines.append(f"{answer.text}: {len(answer.challenges)} found")
        for line in answer.challenges:
            deadline = line.deadline.isoformat() if line.deadline else "no deadline"
            lines.append(
                f"  • {line.title} [{line.slug}] – {line.owner_name}, {line.status}, {deadline}"
            )
    elif answer.solvers:
        lines.append(f"These members look best placed to solve “{answer.question.subject}”:")
        for rank, s in enumerate(answer.solvers, start=1):
            where = ", ".join(x for x in (s.city, s.country) if x)
            lines.append(f"{rank}. {s.member_name} ({where}) – {s.reason}")
            if s.contacts:
                c = s.contacts[0]
                lines.append(f"   Contact: {c.name}, {c.role} <{c.email}>")
    elif answer.question.intent == "unclear":
        lines.append(
            "I'm not sure what you are asking. Try “who can solve <a problem>?”, "
            "“which challenges are open in <a city>?” or “what does <a member> do?”"
        )
    else:
        lines.append(NO_ANSWER)
    return "\n".join(lines)


def render_written(answer: Answer, written: WrittenAnswer) -> str:
    """The model's answer, then the sources it cites, one a line."""
    if not written.answers_the_question:
        return NO_ANSWER
    lines = [written.text, "", "Sources:"]
    for source in answer.sources:
        if source.number in written.cited:
            link = f" <{source.url}>" if source.url else ""
            lines.append(f"[{source.number}] {source.label}{link}")
    return "\n".join(lines)


def reply_text(answer: Answer, *, llm: LanguageModel | None, viewer: Viewer) -> str:
    """The written answer when there is a model and something to write from, else the template."""
    if llm is None or not answer.worth_writing:
        return render_answer(answer)
    try:
        written = write_answer(llm=llm, answer=answer, viewer=viewer)
    except LanguageModelError as exc:
        log.info("written answer not used, template instead: %s", exc)
        return render_answer(answer)
    return render_written(answer, written)


def run_console(
    *,
    engine: Engine,
    search: SolverSearch,
    viewer: Viewer,
    read: Callable[[str], str],
    out: Console,
    llm: LanguageModel | None = None,
) -> None:
    """Ask and answer until the person types `quit` or ends the input."""
    out.print(f"Talking as {viewer.name} ({viewer.email}). Type a question, or `quit`.")
    earlier: list[str] = []
    while True:
        try:
            text = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        if text.lower() in ("quit", "exit", "q"):
            return
        if not text:
            continue
        with session_scope(engine) as session:
            answer = answer_question(
                session=session, search=search, viewer=viewer, text=text, earlier=earlier, llm=llm
            )
        earlier.append(text)
        reply = reply_text(answer, llm=llm, viewer=viewer)
        out.print(reply, highlight=False, markup=False)
