"""One rule for every listener that needs a person: a Slack user with no person record gets
the polite how-to-get-added reply instead of the feature, in the place that request answers.

Who the user is is looked up here, after the acknowledgement (it may read the store and ask
Slack's users.info, retried on 429 and 5xx): the wrappers acknowledge a command or action
first (its listener's own plain ``ack()`` then does nothing more), call the
``identify_viewer`` that `bot/middleware.py` put in the context, and hand the `Viewer` to the
listener as ``viewer``. A modal's submission is the exception: its acknowledgement may carry
the form's errors, so its listener acknowledges itself after the lookup, which then reads the
store only (the person was identified and linked when the modal was opened; see
`bot.middleware`). When Slack cannot say who the user is, they get a "try again" reply, never
the stranger's.

A listener wrapped with `people_only` names a ``viewer: Viewer`` parameter (Bolt hands context
values to listeners by name) and is only ever called with a person in it; one wrapped with
`identified` takes ``viewer: Viewer | None``.

Why a decorator and not a Bolt listener middleware: listener middleware runs on the request's
own thread before Slack gets its acknowledgement, so posting the reply there would hold the ack
back for a Web API call (and its rate-limit retries). Wrapped listeners run on Bolt's listener
threads as before, so a stranger's reply goes out after the ack, exactly as a person's does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.kwargs_injection import Args, build_required_kwargs
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.blocks.messages import (
    build_identity_pending,
    build_identity_unavailable,
    build_unknown_person,
)
from bot.middleware import REDELIVERY, is_kept_question
from bot.services.identity import IdentityUnavailable, Viewer
from bot.settings import Settings

log = logging.getLogger(__name__)

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


def private_reply(args: Args, reply: dict[str, Any]) -> None:
    """A button anywhere: through its response_url on a message (shown only to the clicker),
    else, from the Home tab or a modal, by DM."""
    args.ack()
    if args.body.get("response_url"):
        args.respond(response_type="ephemeral", replace_original=False, **reply)
    else:
        args.client.chat_postMessage(channel=args.body["user"]["id"], **reply)


def _acknowledge_first(args: Args) -> None:
    # Events are acknowledged by Bolt before the listener runs; a modal's submission may need
    # to answer with errors, so its listener acknowledges it.
    if args.body.get("type") not in ("event_callback", "view_submission"):
        args.ack()


def _wrap(
    listener: Callable[..., None],
    reply: StrangerReply | None,
    go_on: Callable[[Args, Viewer | None], bool],
    pending: StrangerReply | None = None,
) -> Callable[..., None]:
    """The listener, called after the ack with ``viewer`` in its arguments when ``go_on``
    says so. A lookup Slack could not answer gets ``reply`` with the "try again" message (or,
    without a reply, only a log line) and the listener is not called; a question kept before
    the ack gets ``pending`` instead, once, and is left waiting for `bot.recovery`, which
    brings it here again until Slack answers (nothing for the person to ask again)."""
    arg_names = get_arg_names_of_callable(listener)

    # Bolt passes everything it has in one `args`; the listener gets only what it names.
    def with_viewer(args: Args) -> None:
        _acknowledge_first(args)
        try:
            viewer = args.context["identify_viewer"]()
        except IdentityUnavailable as exc:
            log.warning("%s not run: %s", listener.__name__, exc)
            if pending is not None and is_kept_question(args.body, args.context):
                if not args.context.get(REDELIVERY):
                    pending(args, build_identity_pending())
                return
            if reply is not None:
                reply(args, build_identity_unavailable())
            elif args.body.get("type") == "view_submission":
                args.ack()
            return
        if not go_on(args, viewer):
            return
        args.context["viewer"] = viewer
        kwargs = build_required_kwargs(
            logger=args.logger,
            required_arg_names=list(arg_names),
            request=args.request,
            response=args.response,
            this_func=listener,
        )
        listener(**kwargs)

    # Bolt names the listener in its logs and warnings by this.
    with_viewer.__name__ = listener.__name__
    with_viewer.__qualname__ = listener.__qualname__
    return with_viewer


def people_only(
    reply: StrangerReply, *, pending: StrangerReply | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Wrap a listener so that strangers get ``reply`` with `build_unknown_person` instead.
    ``pending``: how a kept question says it waits for Slack to say who asked (see `_wrap`)."""

    def person_or_reply(args: Args, viewer: Viewer | None) -> bool:
        if viewer is None:
            settings: Settings = args.context["settings"]
            reply(args, build_unknown_person(staff_channel=settings.staff_channel))
            return False
        return True

    def wrap(listener: Callable[..., None]) -> Callable[..., None]:
        return _wrap(listener, reply, person_or_reply, pending)

    return wrap


def identified(listener: Callable[..., None]) -> Callable[..., None]:
    """Wrap a listener that serves people and strangers alike (``viewer: Viewer | None``)."""
    return _wrap(listener, None, lambda args, viewer: True)
