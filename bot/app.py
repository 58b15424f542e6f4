"""Wiring only: build the Bolt app from the settings and the store, with middleware and listeners.

Listeners acknowledge first and keep working after the ack in Bolt's listener threads
(`process_before_response=False`), so every request is answered within Slack's 3 seconds
while cards are posted and views published afterwards.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine

from bot import middleware
from bot.deps import BotDeps
from bot.listeners import register_listeners
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.settings import Settings

# Each outgoing call waits for Slack's Retry-After on a 429 at most this many times.
RATE_LIMIT_RETRIES = 3
# Bolt runs every listener, and acknowledges every request, on these threads; the slow work
# after an ack (searches, the language model) runs on them too. Bolt's default of 5 would let
# five answers being written hold back the next button's acknowledgement past Slack's 3 s;
# at most ANSWER_CONCURRENCY questions are worked out at once (`BotDeps.answering`), so the
# others wait here without taking the GIL from the acknowledgements.
LISTENER_THREADS = 64
WEB_API_TIMEOUT = 10
SERVER_ERROR_RETRIES = 3


def build_web_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=WEB_API_TIMEOUT,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            # Slack's own 5xx: retried with backoff (0.5 s, 1 s, 2 s) rather than lost.
            ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    search: SolverSearch | None = None,
    llm: LanguageModel | None = None,
    verify_token: bool = False,
) -> App:
    """The Slack app. ``verify_token`` calls auth.test now (serve does; tests need no network).

    ``search`` is the process's search index; without one it is opened on first use. ``llm``
    is the language model; without one it is built from the settings (None when LLM_MODEL is
    empty).
    """
    if llm is None:
        llm = LanguageModel.from_settings(settings, engine)
    deps = BotDeps.of(settings, engine, search=search, llm=llm)
    app = App(
        name="scic-bot",
        # The token travels in the client (with our base URL and retry rules), not beside it.
        signing_secret=settings.slack_signing_secret,
        client=build_web_client(settings),
        token_verification_enabled=verify_token,
        process_before_response=False,
        # Socket Mode frames are authenticated by the app token; HTTP requests by the secret.
        request_verification_enabled=not (
            settings.socket_mode and not settings.slack_signing_secret
        ),
        logger=logging.getLogger("bot.slack"),
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="bolt-listener"
        ),
    )
    # Bolt logs the whole body of a request it rejects at INFO; bodies are not for the logs.
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
    middleware.register(app, deps)
    register_listeners(app)
    return app
