"""The language model behind every written answer, through LangChain's chat-model interface.

One `LanguageModel` per process wraps any LangChain chat model (``ChatOpenAI`` against OpenAI
or a local OpenAI-compatible server; a fake model in tests). Each call is bounded (timeout,
retries, a per-person daily token limit), its token use is logged and stored, and every
failure surfaces as one `LanguageModelError`, so the callers' fallback is a single ``except``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from bot.settings import Settings, llm_settings_problems
from prompts import Prompt
from storage import clock
from storage.db import session_scope
from storage.llm_usage import (
    model_calls_since,
    record_model_call,
    start_of_day,
    tokens_used_since,
)

if TYPE_CHECKING:  # LangChain is imported when a model is in use: it costs every process ~1 s
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage

log = logging.getLogger(__name__)
Schema = TypeVar("Schema", bound=BaseModel)
# How long a call waits for one of the LLM_MAX_CONCURRENT slots before the template answers.
SLOT_WAIT = 5.0
# Servers that answer a structured-output request (a JSON schema) with one of these do not do
# structured output (llama.cpp's server says 500): they are not asked for it again for an hour.
SCHEMA_REFUSED = frozenset({400, 422, 500, 501})
SCHEMA_RECHECK = 3600.0
# When a server sends no token counts (some local servers), about four characters a token.
CHARS_PER_TOKEN = 4


class _Question(threading.local):
    #: seconds the question this thread answers may still spend in model calls; None: no
    #: question (each call has only its own limit)
    left: float | None = None


_QUESTION = _Question()


class LanguageModelError(Exception):
    """The model could not be used for this call; the caller sends its template answer."""


class DailyLimitReached(LanguageModelError):
    """The person used their tokens for today; the model is not called."""


class AnswerDropped(LanguageModelError):
    """The model answered, but its text failed ``check`` (one of `guards.CHECKS`): not shown."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


def _text(content: Any) -> str:
    """A message's text, whether the content is a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in content
            if isinstance(part, (str, dict))
        )
    return ""


def _usage(message: AIMessage | None, prompt: list[BaseMessage], output: str) -> Usage:
    counted = getattr(message, "usage_metadata", None) if message is not None else None
    if counted and (counted.get("input_tokens") or counted.get("output_tokens")):
        return Usage(int(counted.get("input_tokens", 0)), int(counted.get("output_tokens", 0)))
    sent = sum(len(_text(m.content)) for m in prompt)
    return Usage(-(-sent // CHARS_PER_TOKEN), -(-len(output) // CHARS_PER_TOKEN))


def response_format(schema: type[BaseModel]) -> dict[str, Any]:
    """OpenAI's structured-output request for ``schema`` (strict JSON schema)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    function = convert_to_openai_tool(schema, strict=True)["function"]
    return {
        "type": "json_schema",
        "json_schema": {
            "name": function["name"],
            "description": function.get("description", ""),
            "schema": function["parameters"],
            "strict": True,
        },
    }


def build_chat_model(settings: Settings) -> BaseChatModel:
    """``ChatOpenAI`` for OpenAI or any OpenAI-compatible server, bounded by the settings."""
    import httpx2
    from langchain_openai import ChatOpenAI

    from bot.services.deadlines import DeadlineTransport

    return ChatOpenAI(
        model=settings.llm_model,
        # Local servers take any key; the client insists on one.
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout,
        # The OpenAI client retries 429, 5xx, timeouts and dropped connections with backoff,
        # honouring Retry-After.
        max_retries=settings.llm_max_retries,
        stream_usage=True,
        # Holds every request to the call's deadline, whatever the server sends.
        http_client=httpx2.Client(transport=DeadlineTransport(), timeout=settings.llm_timeout),
    )


class CircuitBreaker:
    """After ``failures`` failed calls in a row, no call for ``cooldown`` seconds: the
    templates answer at once instead of each question waiting out a dead server. Then one
    call is let through; its success closes the breaker, its failure opens it again."""

    def __init__(
        self, failures: int, cooldown: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures, self.cooldown, self.now = failures, cooldown, now
        self._failed = 0
        self._open_until: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self._open_until is None:
                return True
            if self.now() < self._open_until:
                return False
            # Half open: this call tries the server; others wait for its verdict.
            self._open_until = self.now() + self.cooldown
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._failed, self._open_until = 0, None

    def failed(self) -> None:
        with self._lock:
            self._failed += 1
            if self.failures and self._failed >= self.failures:
                if self._open_until is None:
                    log.warning(
                        "language model failed %d times in a row: templates only for %.0f s",
                        self._failed,
                        self.cooldown,
                    )
                self._open_until = self.now() + self.cooldown


class LanguageModel:
    """A chat model with the bot's bounds and bookkeeping around every call."""

    def __init__(
        self,
        chat: BaseChatModel,
        *,
        engine: Engine | None = None,
        model_name: str = "",
        timeout: float = 20.0,
        max_retries: int = 2,
        daily_tokens_per_user: int = 0,
        max_concurrent: int = 4,
        question_budget: float = 30.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.chat = chat
        # A cap on calls in flight: a burst of questions waits its turn briefly, then gets the
        # template answer, instead of tying up every listener thread for a minute.
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self.engine = engine
        self.model_name = model_name or type(chat).__name__
        self.daily_tokens_per_user = daily_tokens_per_user
        # One call may take as long as a request with all its retries would; a question's
        # calls together (translation, reading, the answer) at most ``question_budget``.
        self.stream_deadline = timeout * (max_retries + 1)
        self.question_budget = question_budget
        self.breaker = breaker or CircuitBreaker(3, 60.0)
        #: when the server last refused structured output (monotonic); None: it has not
        self.schema_refused_at: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None) -> LanguageModel | None:
        """The configured model, or None (templates only) when it is off or misconfigured."""
        if not settings.llm_enabled:
            return None
        problems = llm_settings_problems(settings)
        if problems:
            log.warning("language model off, answers use templates: %s", "; ".join(problems))
            return None
        return cls(
            build_chat_model(settings),
            engine=engine,
            model_name=settings.llm_model,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            daily_tokens_per_user=settings.llm_daily_tokens_per_user,
            max_concurrent=settings.llm_max_concurrent,
            question_budget=settings.llm_question_budget,
            breaker=CircuitBreaker(settings.llm_breaker_failures, settings.llm_breaker_cooldown),
        )

    # --- the time a question may spend on the model -------------------------------------------

    @contextmanager
    def question(self) -> Iterator[None]:
        """Every call made inside shares one budget of ``question_budget`` seconds of wall
        clock spent in model calls (reading, translation, retries, the streamed answer): the
        model adds at most that to the question's wait. A call once it is spent is not made.
        Nested uses keep the outer budget."""
        if _QUESTION.left is not None:
            yield
            return
        _QUESTION.left = self.question_budget
        try:
            yield
        finally:
            _QUESTION.left = None

    @contextmanager
    def _deadline(self, prompt: Prompt, person_id: int | None) -> Iterator[float]:
        """The call's deadline, set for the HTTP transport; no call once time or the breaker
        says so (recorded as skipped: nothing was sent, nothing is charged)."""
        now = time.monotonic()
        left = self.stream_deadline
        if _QUESTION.left is not None:
            left = min(left, _QUESTION.left)
        if left <= 0:
            self._finish(prompt, person_id, now, Usage(0, 0), "skipped")
            raise LanguageModelError("the question's time for the model is spent")
        if not self.breaker.allow():
            self._finish(prompt, person_id, now, Usage(0, 0), "skipped")
            raise LanguageModelError("the model failed repeatedly; templates for a while")
        from bot.services.deadlines import DEADLINES  # with the OpenAI client, used by then

        outer, DEADLINES.call = DEADLINES.call, now + left
        try:
            yield now + left
        finally:
            DEADLINES.call = outer
            if _QUESTION.left is not None:
                _QUESTION.left -= time.monotonic() - now

    def _outcome(self, outcome: str, *, answered: bool) -> None:
        """Tell the breaker how the server did: an answer the checks dropped, or JSON of the
        wrong shape, is the server working (the model is what failed)."""
        if outcome == "failed" and not answered:
            self.breaker.failed()
        elif outcome in ("ok", "shown", "dropped", "failed"):
            self.breaker.succeeded()

    @property
    def structured_output(self) -> bool:
        """Whether to ask the server for structured output: not for an hour after a refusal."""
        refused = self.schema_refused_at
        return refused is None or time.monotonic() - refused >= SCHEMA_RECHECK

    # --- the three kinds of call ------------------------------------------------------------

    def write(
        self, prompt: Prompt, variables: Mapping[str, str], *, person_id: int | None = None
    ) -> str:
        """The model's text for the filled ``prompt``."""
        messages = self._start(prompt, variables, person_id)
        with self._deadline(prompt, person_id) as deadline, self._slot(deadline):
            started = time.monotonic()
            try:
                reply = self.chat.invoke(messages)
                text = _text(reply.content).strip()
                if not text:
                    raise LanguageModelError("the model answered with no text")
            except Exception as exc:
                self._finish(prompt, person_id, started, Usage(0, 0), "failed")
                raise _as_model_error(exc) from exc
        self._finish(prompt, person_id, started, _usage(_ai(reply), messages, text), "ok")
        return text

    def stream(
        self,
        prompt: Prompt,
        variables: Mapping[str, str],
        *,
        person_id: int | None = None,
        check: Callable[[str, bool], None] | None = None,
    ) -> Iterator[str]:
        """The model's text piece by piece, as it arrives; raises on failure at any point.

        ``check(text so far, final)`` runs before each piece is yielded and once on the whole
        text; the `AnswerDropped` it raises is recorded as "dropped" by that check, and a text
        that passes the final check as "shown".
        """
        messages = self._start(prompt, variables, person_id)
        joined: AIMessageChunk | None = None
        parts: list[str] = []
        outcome, dropped_by = "failed", ""
        # Held while the stream is read, including while the caller posts each piece to Slack.
        with self._deadline(prompt, person_id) as deadline, self._slot(deadline):
            started = time.monotonic()
            try:
                for chunk in self.chat.stream(messages):
                    if time.monotonic() > deadline:
                        raise LanguageModelError("the streamed answer took too long")
                    joined = chunk if joined is None else joined + chunk
                    piece = _text(chunk.content)
                    if piece:
                        parts.append(piece)
                        if check is not None:
                            check("".join(parts), False)
                        yield piece
                text = "".join(parts)
                if not text.strip():
                    raise LanguageModelError("the model answered with no text")
                if check is not None:
                    check(text, True)
                outcome = "ok" if check is None else "shown"
            except AnswerDropped as exc:
                outcome, dropped_by = "dropped", exc.check
                raise
            except LanguageModelError:
                raise
            except Exception as exc:
                raise _as_model_error(exc) from exc
            finally:
                # Nothing came back: the server was not reached or answered nothing, and a
                # call that cost nothing is charged nothing.
                usage = Usage(0, 0) if joined is None else _usage(joined, messages, "".join(parts))
                self._finish(prompt, person_id, started, usage, outcome, dropped_by)

    def extract(
        self,
        prompt: Prompt,
        schema: type[Schema],
        variables: Mapping[str, str],
        *,
        person_id: int | None = None,
    ) -> Schema:
        """The model's answer as ``schema``, asked for as structured output (JSON schema).

        A server that refused a schema (llama.cpp's answers HTTP 500) is not asked for one again
        for SCHEMA_RECHECK seconds: the callers' templates answer at once.
        """
        messages = self._start(prompt, variables, person_id)
        if not self.structured_output:
            self._finish(prompt, person_id, time.monotonic(), Usage(0, 0), "skipped")
            raise LanguageModelError("the server does not do structured output")
        text = ""
        reply: Any = None
        with self._deadline(prompt, person_id) as deadline, self._slot(deadline):
            started = time.monotonic()
            try:
                reply = self.chat.bind(response_format=response_format(schema)).invoke(messages)
            except Exception as exc:
                if getattr(exc, "status_code", None) in SCHEMA_REFUSED:
                    log.warning(
                        "the model's server refused structured output (HTTP %s): intake, "
                        "translation and summaries use their templates for an hour",
                        getattr(exc, "status_code", None),
                    )
                    self.schema_refused_at = time.monotonic()
                self._finish(prompt, person_id, started, Usage(0, 0), "failed")
                raise _as_model_error(exc) from exc
        from langchain_core.utils.json import parse_json_markdown

        try:
            text = _text(reply.content)
            parsed = schema.model_validate(parse_json_markdown(text))
        except (ValueError, ValidationError) as exc:
            # Garbage or JSON of the wrong shape: the tokens were spent all the same.
            usage = _usage(_ai(reply), messages, text)
            self._finish(prompt, person_id, started, usage, "failed", answered=True)
            raise LanguageModelError(
                f"the model's answer is not a valid {schema.__name__}"
            ) from exc
        self._finish(prompt, person_id, started, _usage(_ai(reply), messages, text), "ok")
        return parsed

    # --- bounds and bookkeeping -------------------------------------------------------------

    @contextmanager
    def _slot(self, deadline: float) -> Iterator[None]:
        """One of the calls allowed in flight, waited for at most SLOT_WAIT seconds (and never
        past the call's deadline)."""
        wait = max(0.0, min(SLOT_WAIT, deadline - time.monotonic()))
        if not self._slots.acquire(timeout=wait):
            raise LanguageModelError("the language model is busy with other answers")
        try:
            yield
        finally:
            self._slots.release()

    def tokens_left_today(self, person_id: int) -> int | None:
        """How many tokens the person may still use today; None when there is no limit."""
        if not self.daily_tokens_per_user or self.engine is None:
            return None
        with session_scope(self.engine) as session:
            used = tokens_used_since(
                session=session, person_id=person_id, since=start_of_day(clock.now())
            )
        return max(0, self.daily_tokens_per_user - used)

    def _start(
        self, prompt: Prompt, variables: Mapping[str, str], person_id: int | None
    ) -> list[BaseMessage]:
        messages = prompt.messages(variables)
        if person_id is None:
            return messages
        try:
            left = self.tokens_left_today(person_id)
        except Exception as exc:
            # The store could not say (it is down, say): the caller's template answer, as for
            # any other failure, rather than an error no caller expects from the model.
            log.warning("today's tokens of person %s could not be looked up: %s", person_id, exc)
            raise _as_model_error(exc) from exc
        if left == 0:
            self._finish(prompt, person_id, time.monotonic(), Usage(0, 0), "limited")
            raise DailyLimitReached(f"person {person_id} used today's tokens")
        return messages

    def _finish(
        self,
        prompt: Prompt,
        person_id: int | None,
        started: float,
        usage: Usage,
        outcome: str,
        dropped_by: str = "",
        *,
        answered: bool = False,
    ) -> None:
        self._outcome(outcome, answered=answered)
        duration_ms = int((time.monotonic() - started) * 1000)
        # Counts and outcome only: prompts and answers hold members' messages.
        log.info(
            "language model: task=%s prompt=v%s model=%s outcome=%s%s tokens_in=%d "
            "tokens_out=%d ms=%d",
            prompt.name,
            prompt.version,
            self.model_name,
            outcome,
            f" dropped_by={dropped_by}" if dropped_by else "",
            usage.input_tokens,
            usage.output_tokens,
            duration_ms,
        )
        if self.engine is None:
            return
        try:
            with session_scope(self.engine) as session:
                record_model_call(
                    session=session,
                    person_id=person_id,
                    task=prompt.name,
                    model=self.model_name,
                    prompt_version=prompt.version,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    outcome=outcome,
                    duration_ms=duration_ms,
                    dropped_by=dropped_by,
                )
        except Exception:
            # The bookkeeping must not cost the person their answer.
            log.exception("recording a language model call failed")


@dataclass(frozen=True)
class UsageRow:
    """One day's calls for one task: how many, how they ended, and the tokens they used.

    ``shown``: written answers that passed every check; ``dropped``: answers a check refused,
    counted per check in ``dropped_by``; ``skipped``: calls never sent (the question's time
    budget was spent, or the circuit breaker was open after repeated failures).
    """

    day: str
    task: str
    calls: int
    shown: int
    dropped: int
    failed: int
    limited: int
    skipped: int
    input_tokens: int
    output_tokens: int
    dropped_by: dict[str, int] = field(default_factory=dict)


def usage_report(*, engine: Engine, days: int) -> list[UsageRow]:
    """The language model's use per UTC day and task over the last ``days`` days, newest first."""
    since = start_of_day(clock.now() - timedelta(days=days - 1))
    rows: dict[tuple[str, str], list[int]] = {}
    checks: dict[tuple[str, str], dict[str, int]] = {}
    with session_scope(engine) as session:  # rows stay readable after it (no expiry on commit)
        calls = model_calls_since(session=session, since=since)
    for call in calls:
        key = (call.created_at.astimezone(UTC).date().isoformat(), call.task)
        counts = rows.setdefault(key, [0] * 8)
        counts[0] += 1
        for i, outcome in enumerate(("shown", "dropped", "failed", "limited", "skipped"), 1):
            counts[i] += call.outcome == outcome
        counts[6] += call.input_tokens
        counts[7] += call.output_tokens
        if call.outcome == "dropped":
            by = checks.setdefault(key, {})
            by[call.dropped_by] = by.get(call.dropped_by, 0) + 1
    return [
        UsageRow(
            day,
            task,
            calls=counts[0],
            shown=counts[1],
            dropped=counts[2],
            failed=counts[3],
            limited=counts[4],
            skipped=counts[5],
            input_tokens=counts[6],
            output_tokens=counts[7],
            dropped_by=dict(sorted(checks.get((day, task), {}).items())),
        )
        for (day, task), counts in sorted(rows.items(), key=lambda item: (item[0][0], item[0][1]))[
            ::-1
        ]
    ]


def _ai(reply: Any) -> AIMessage | None:
    from langchain_core.messages import AIMessage

    return reply if isinstance(reply, AIMessage) else None


def _as_model_error(exc: Exception) -> LanguageModelError:
    if isinstance(exc, LanguageModelError):
        return exc
    return LanguageModelError(f"{type(exc).__name__}: {exc}"[:300])
