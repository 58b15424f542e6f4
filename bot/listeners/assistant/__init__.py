"""Slack's assistant container (the split view of AI apps), through Bolt's `Assistant`:
a new thread gets a greeting and suggested prompts, a message gets a status, a title and the
same answer as in a DM (`events.questions.answer_in_thread`, the question service)."""

from __future__ import annotations

from slack_bolt import App, Assistant

from bot.listeners.assistant.thread_started import thread_started
from bot.listeners.assistant.user_message import user_message


def keep_no_thread_context() -> None:
    """The channel a person is looking at changes nothing in the answers, so the context is
    not stored (Bolt's default would read and rewrite the thread's first reply each time)."""


def build_assistant() -> Assistant:
    assistant = Assistant()
    assistant.thread_started(thread_started)
    assistant.user_message(user_message)
    assistant.thread_context_changed(keep_no_thread_context)
    return assistant


def register(app: App) -> None:
    # A middleware: it runs after bot.middleware's (dependencies, retries, the viewer), and
    # takes the assistant's events before the app's own event listeners see them.
    app.assistant(build_assistant())
