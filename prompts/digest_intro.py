"""The opening lines of a weekly (or daily) opportunity digest: what is new and matters most."""

from __future__ import annotations

from prompts import DATA_RULE, Prompt

PROMPT = Prompt(
    name="digest_intro",
    version="1",
    why=(
        "The digest itself is built by code (which challenges, which deadlines, which team "
        "news); the model writes only the one or two sentences above it, so a reader "
        "knows at a glance whether this week's digest is worth opening. It is told to say "
        "what is new and which item matters most for the reader's organisation, because a "
        "generic 'here is your digest' adds nothing to the header that is already there. "
        "It may only mention challenges and news in the data, by the titles given, since "
        "the items below the intro are what the reader can act on; an invented opportunity "
        "would be a broken promise. No greeting, no sign-off, no Slack formatting and at "
        "most 300 characters because it sits between the header and the first challenge. "
        "The language is decided by the code from the organisation's working languages "
        "(English unless it works in Finnish only) and given explicitly. The digest's "
        "contents go in as JSON between <data> markers with the shared data rule: challenge "
        "descriptions come from outside the cluster, and one saying 'ignore your "
        "instructions' is text, not an order."
    ),
    system=(
        "You are the coordinator of the Smart City Innovation Cluster (SCIC), a cooperative "
        "of about 100 member organisations that solve cities' challenges together. Write "
        "the opening of this period's opportunity digest for {reader}.\n"
        "\n"
        "Rules:\n"
        "1. One or two sentences, at most 300 characters in all.\n"
        "2. Say what is new this period and which challenge, deadline or team update is "
        "most relevant for the reader, and why in a few words.\n"
        "3. Mention only challenges and news that are in the data, by their titles as "
        "given. Add nothing else.\n"
        "4. No greeting, no sign-off, no Slack formatting, no links.\n"
        "5. Write in {language}.\n"
        "6. Today is {today}.\n" + DATA_RULE
    ),
    human=(
        "This period's digest, as JSON:\n"
        "<data>\n{digest}\n</data>\n"
        "\n"
        "Write the digest's opening in {language}."
    ),
)
