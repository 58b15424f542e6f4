"""What the bot shows in Slack's assistant container: the greeting and suggested prompts of a
new thread, the status while an answer is prepared, and the thread's title.

A suggested prompt is sent as the person's own message when clicked, so each prompt's message
is worded as the question service reads it (the tests ask each one).
"""

from __future__ import annotations

from typing import Any

from bot.blocks.common import clip, escape, message, section
from bot.blocks.phrases import phrase
from bot.services.assistant import Welcome
from bot.services.text import one_line

#: Slack shows at most four suggested prompts; a title is a button's worth of text.
PROMPT_TITLE_MAX = 75
#: The thread list shows a line; a longer title is cut by Slack anyway.
TITLE_MAX = 100


def build_assistant_greeting(welcome: Welcome) -> dict[str, Any]:
    # The name goes in with its leading space, so that a person without one gets "Hi!".
    name = f" {escape(welcome.first_name)}" if welcome.first_name else ""
    text = phrase(welcome.language, "assistant_hello", name=name)
    return message(text, [section(text)])


def build_suggested_prompts(welcome: Welcome) -> list[dict[str, str]]:
    """Who can solve…, open challenges near me, what fits my organisation, my teams: in the
    person's language, about their own organisation and place (the last two only for someone
    with an organisation)."""
    language = welcome.language

    def prompt(key: str, text: str) -> dict[str, str]:
        return {"title": clip(phrase(language, f"{key}_title"), PROMPT_TITLE_MAX), "message": text}

    near = (
        phrase(language, "prompt_near", place=welcome.place)
        if welcome.place
        else phrase(language, "prompt_near_anywhere")
    )
    prompts = [
        prompt("prompt_solvers", phrase(language, "prompt_solvers")),
        prompt("prompt_near", near),
    ]
    if welcome.organisation:
        prompts.append(prompt("prompt_fit", phrase(language, "prompt_fit")))
        prompts.append(prompt("prompt_teams", phrase(language, "prompt_teams")))
    return prompts


def assistant_status(language: str) -> str:
    """Shown after the app's name under the thread ("SCIC Bot is looking through the records…")
    until the answer arrives."""
    return phrase(language, "assistant_status")


def thread_title(question: str) -> str:
    """The thread's name in the assistant's history: the question, on one line."""
    return clip(one_line(question), TITLE_MAX)
