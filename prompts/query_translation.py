"""A search request in both languages, so Finnish questions find English records and back."""

from __future__ import annotations

from prompts import DATA_RULE, Prompt

PROMPT = Prompt(
    name="query_translation",
    version="1",
    why=(
        "The embedding model is English-only and BM25 matches words, so a Finnish question "
        "('kaukolämpöverkon vuodot') misses the English records that answer it ('district "
        "heating leak detection'), and an English question misses Finnish-language members. "
        "The model is asked for the request in both languages at once, as structured output, "
        "so one call serves either direction and the code never has to guess which field "
        "holds what. 'Search terms, not a conversation' and 'keep names as written' are "
        "there because a chat model otherwise answers the question instead of translating "
        "it, or translates 'Kantava Structural Monitoring' and 'Tampere'. Domain terms are "
        "asked for as the words a company would use in its own profile ('district heating', "
        "'kaukolämpö'), since those are the words in the records. The request goes in as "
        "data with the shared data rule, so a question that says 'ignore your instructions' "
        "is translated, not obeyed."
    ),
    system=(
        "You translate search requests for the member records of the Smart City Innovation "
        "Cluster, whose members write in Finnish and English. Give the request in English "
        "and in Finnish, as search terms a member organisation would use in its own profile "
        "for the same need (say 'district heating' and 'kaukolämpö', not a paraphrase). "
        "Translate; do not answer the request or add to it. Keep names of organisations, "
        "people, places and products exactly as written. If the request is already in one of "
        "the languages, that field repeats it unchanged.\n" + DATA_RULE
    ),
    human="The search request:\n<data>\n{request}\n</data>",
)
