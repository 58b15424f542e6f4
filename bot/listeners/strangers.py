"""One rule for every listener that needs a person: a Slack user with no person record gets
the polite how-to-get-added reply instead of the feature, in the place that request answers.

`bot/middleware.py` puts the `Viewer` (or None) in ``context["viewer"]``. A listener wrapped
with `people_only` names a ``viewer: Viewer`` parameter (Bolt hands context values to listeners
by name) and is only ever called with a person in it.

Why a decorator and not a Bolt listener middleware: listener middleware runs on the request's
own thread before Slack gets its acknowledgement, so posting the reply there would hold the ack
back for a Web API call (and its rate-limit retries). Wrapped listeners run on Bolt's listener
threads as before, so a stranger's reply goes out after the ack, exactly as a person's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.kwargs_injection import Args, build_required_kwargs
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.blocks.messages import build_unknown_person
from bot.settings import Settings

#: Acknowledges the request (where it has to) and puts the reply where a stranger sees it.
StrangerReply = Callable[[Args, dict[str, Any]], None]


def ephemeral_reply(args: Args, reply: dict[str, Any]) -> None:
    """A button on a message in a channel: shown only to the clicker, in that channel."""
    args.ack()
    args.client.chat_postEphemeral(
        channel=args.body["channel"]["id"], user=args.body["user"]["id"], **reply
    )


def respond_reply(args: Args, reply: dict[str, Any]) -> None:
    """A slash command, or a button answering through its response_url."""
    args.ack()
    args.respond(**reply)


def people_only(reply: StrangerReply) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Wrap a listener so that strangers get ``reply`` with `build_unknown_person` instead."""

    def wrap(listener: Callable[..., None]) -> Callable[..., None]:
        arg_names = get_arg_names_of_callable(listener)

        # Bolt passes everything it has in one `args`; the listener gets only what it names.
        def for_people(args: Args) -> None:
            if args.context.get("viewer") is None:
                settings: Settings = args.context["settings"]
                reply(args, build_unknown_person(staff_channel=settings.staff_channel))
                return
            kwargs = build_required_kwargs(
                logger=args.logger,
                required_arg_names=list(arg_names),
                request=args.request,
                response=args.response,
                this_func=listener,
            )
            listener(**kwargs)

        # Bolt names the listener in its logs and warnings by this.
        for_people.__name__ = listener.__name__
        for_people.__qualname__ = listener.__qualname__
        return for_people

    return wrap
