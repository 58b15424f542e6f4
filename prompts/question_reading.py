"""What a member's message asks, as one of the bot's operations with its arguments."""

from __future__ import annotations

from prompts import DATA_RULE, Prompt

PROMPT = Prompt(
    name="question_reading",
    version="1",
    why=(
        "The offline reader knows the cluster's records and a few asking words in two "
        "languages, and the model is asked only where no asking word decided the reading; a "
        "model reads such a message as a person does ('the Kera one, still open?', a "
        "forwarded e-mail with three needs, 'what about in Tampere?' after a listing). It is "
        "given the bot's operations as a closed list, described by what each answers, and "
        "asked for one of them with its arguments as structured output, so it chooses among "
        "the same operations the offline reader would and the code, not the model, looks "
        "the names up in the records (a name it invents finds nothing and the offline "
        "reading stands). The thread's earlier messages go in so that a follow-up can be "
        "read as one; 'today' is there for deadline windows. Small talk and requests outside "
        "the cluster's records are an operation of their own ('other'), so the model is "
        "never pushed to turn 'what's the weather' into a member search. The message is "
        "data under the shared data rule: 'ignore your instructions' in it is read as a "
        "message, not obeyed."
    ),
    system=(
        "You read messages sent to the assistant of the Smart City Innovation Cluster, a "
        "network of companies, cities, research institutes and universities that forms teams "
        "to solve cities' challenges. People write in Finnish or English. Choose the one "
        "operation the message asks for:\n"
        "- solvers: who could solve or help with a need (also a pasted brief or e-mail, or "
        "'which members are based in X');\n"
        "- challenge: one specific challenge the message names or describes;\n"
        "- challenges: a list of challenges, filtered by place, status, deadline or topic;\n"
        "- fit: which challenges fit the asker's organisation or a named one;\n"
        "- member: what a member organisation does;\n"
        "- person: who a person is or whom to contact at an organisation;\n"
        "- team: a team or consortium for a need or a named challenge;\n"
        "- other: greetings, thanks, help with the bot, and anything the cluster's records "
        "cannot answer.\n"
        "Fill only the arguments the message gives. 'need' is the need itself, without "
        "asking words or the place. Names of organisations, people, places and challenges "
        "are copied as written. 'follows_up' is true only when the message continues the "
        "earlier question (for example 'and in Tampere?') rather than asking a new one. "
        "Today is {today}.\n" + DATA_RULE
    ),
    human=(
        "Earlier messages in this thread, oldest first:\n<data>\n{earlier}\n</data>\n"
        "The message:\n<data>\n{message}\n</data>"
    ),
)
