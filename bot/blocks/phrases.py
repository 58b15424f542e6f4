"""Every sentence the bot writes around an answer, in English and Finnish.

Slack's block builders and the terminal's text use the same phrases; values go in through
``{}`` fields (already escaped and bolded by Slack's builders, plain for the terminal), so a
Finnish question gets Finnish sentences everywhere.
"""

from __future__ import annotations

from datetime import date

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        # solvers
        "solvers": "These members look best placed to help with {need}:",
        "solvers_for_challenge": "Members who could help with the challenge {title}:",
        "solvers_brief": "These members look best placed to help with what you sent:",
        "brief_needs_one": "What you sent asks for one thing. Who in the cluster covers it:",
        "brief_needs_other": "What you sent asks for {n} things. Who in the cluster covers each:",
        "need": "Need",
        "covered_by": "covered by {names}",
        "not_covered": "not covered yet",
        "who_covers": "Who covers which need",
        "solvers_asked": "These members look best placed to help with what you asked:",
        "solvers_in_place": "Members based in {place}:",
        "solvers_none": "I found no member whose records fit {need}. The staff may know someone",
        "solvers_none_local": "I found no member based in {place} whose records fit {need}.",
        "solvers_none_sized": "Among the {who}, I found none whose records fit {need}.",
        "solvers_sized": "Among the {who}, these look best placed to help with {need}:",
        "larger_companies": "larger companies",
        "smaller_companies": "smaller companies",
        "larger_members": "larger members",
        "smaller_members": "smaller members",
        "own_fit": "Your own organisation, {organisation}, fits this too: {reason}",
        "own_fit_only": "In the cluster's records only your own organisation, {organisation}, "
        "fits {need}: {reason}. Ask the staff if you are looking for partners outside it.",
        "related": "Open challenges on the same need:",
        "index_behind": "The search index is still taking in {n} recently changed records; "
        "this answer comes from what it holds so far.",
        "also": "Also",
        # what matched, by the kind of passage
        "evidence_capability": "Capability",
        "evidence_technology": "Technologies",
        "evidence_reference": "Reference",
        "evidence_description": "Profile",
        "evidence_person": "Expertise",
        "evidence_need": "It asks for",
        "evidence_challenge": "About",
        "contact": "Contact",
        "introduce": "Introduce me",
        "not_a_fit": "Not a fit",
        "share": "Share in channel",
        "ask_staff": "Ask staff",
        # challenge lines
        "closes_in": "closes in {n} days",
        "closes_today": "closes today",
        "closes_tomorrow": "closes tomorrow",
        "no_deadline": "no deadline",
        "deadline": "deadline {day}",
        "deadline_passed": "deadline passed {day}",
        "team_line": "team: {names}",
        # listings
        "open_challenges": "Open challenges",
        "new_challenges": "Open challenges published since {day}",
        "without_team": "{which} that nobody has joined yet",
        "only_restricted": "{which}, restricted ones only",
        "only_public": "{which}, public ones only",
        "own_teams": "Challenges your organisation is on a team for",
        "challenges": "Challenges",
        "status_challenges": "{status} challenges",
        "in_place": "{which} in {place}",
        "about": "{which} about {topic}",
        "closing_by": "{which} closing by {day}",
        "found": "{n} found, soonest deadline first",
        "found_one": "1 found",
        "shown_of": "Showing {shown} of {total}.",
        "none_listed": "No challenges match that right now.",
        "show_one": "`/challenge show <slug>` shows one in full.",
        # fit
        "fit": "Open challenges that fit {organisation}:",
        "fit_none": "I found no open challenge that fits {organisation} well right now.",
        "fit_nobody": "Your person record is not linked to a member organisation, so I cannot "
        'tell which challenges fit it; name one ("what fits AquaSense?") or ask the staff '
        "to link you.",
        # one challenge
        "status": "Status",
        "owner": "Owner",
        "restricted": "restricted: staff and invited members only",
        "where": "Where",
        "needs": "Needs",
        "team": "Team",
        "teams_none": "No team yet: *I'm interested* on its card starts one.",
        "missing": "Needs nobody on the team covers yet",
        "could_be": "could be {names}",
        "nobody_yet": "nobody in the cluster yet",
        "discussion": "The team forms in the card's thread in {channel}.",
        "challenge_hidden": "I don't know a challenge like that you may see.",
        # member and person
        "capabilities": "Capabilities",
        "past_projects": "Past projects",
        "member_unknown": "I don't know a member or person by that name.",
        "person_at": "{role} at {organisation}",
        "role_not_held": "{organisation} has no {role} on record. The person to ask:",
        "expertise": "Expertise",
        "reach": "Reach them",
        "staff": "cluster staff",
        # team
        "team_for": "A team that would cover {need}:",
        "team_for_brief": "A team that would cover what you sent, need by need:",
        "covers": "covers",
        "uncovered": "Nobody in the cluster covers yet",
        "also_cover": "Others who could also take a need",
        "team_none": "I found no members who together cover {need}.",
        # other
        "greeting": "Hi! I'm SCIC Bot, the cluster's assistant. Ask me who could solve a "
        "problem, which challenges are open (say, in Kirkenes or closing this month), which "
        "fit your organisation, or what a member does.",
        "thanks": "You're welcome! Ask me anytime about the cluster's members and challenges.",
        "bye": "Bye! I'm here whenever you need a partner or a challenge.",
        "help": "I answer from the cluster's own records. Try:\n"
        "• who can solve <a problem>? (or paste a brief)\n"
        "• which challenges are open in <a city> / closing this month / won?\n"
        "• what challenges fit us? / what fits <a member>?\n"
        "• tell me about the <topic> challenge — when does it close?\n"
        "• what does <a member> do? / who is <a person>?\n"
        "• put together a team for <a need or challenge>",
        "which_member": "Which organisation do you mean? Name it, for example: “who should I "
        "talk to at Kantava?”",
        "off_topic": "That's outside what I can help with: I answer from the cluster's "
        "records: who could solve a problem, open challenges, what fits your organisation, "
        "and who our members and people are.",
        "working": "Looking through the cluster's records…",
        # the assistant container (Slack's split view for AI apps)
        "assistant_hello": "Hi{name}! Ask me who in the cluster could solve a problem, which "
        "challenges are open, what fits your organisation, or about your teams.",
        "assistant_status": "is looking through the records…",
        "prompt_solvers_title": "Who can solve…",
        "prompt_solvers": "Who can solve snow load monitoring on flat roofs?",
        "prompt_near_title": "Open challenges near me",
        "prompt_near": "Which challenges are open in {place}?",
        "prompt_near_anywhere": "Which challenges are open?",
        "prompt_fit_title": "What fits my organisation",
        "prompt_fit": "Which challenges fit my organisation?",
        "prompt_teams_title": "My teams",
        "prompt_teams": "Which teams are we on?",
        "sources": "Sources",
        "open_source": "Open a source",
        # thread summaries (the picked sentences themselves stay as written)
        "summary_title": "Summary of the thread so far",
        "summary_messages_one": "{n} message from {people}",
        "summary_messages_other": "{n} messages from {people}",
        "summary_decisions": "Decisions",
        "summary_questions": "Open questions",
        "summary_actions": "Who does what",
        "summary_none": "none so far",
        "summary_picked": "Picked from the messages as written; nothing is rephrased.",
        "summary_written": "Written by the language model from the thread's messages; check "
        "the messages themselves before relying on it.",
        "summary_empty": "Nobody has written in this thread yet, so there is nothing to summarise.",
        "summary_counts": "Summary: {counts}",
        "decisions_one": "{n} decision",
        "decisions_other": "{n} decisions",
        "open_questions_one": "{n} open question",
        "open_questions_other": "{n} open questions",
        "tasks_one": "{n} task",
        "tasks_other": "{n} tasks",
        # a challenge's dates (the daily lifecycle job, staff moving a deadline)
        "notice_closed": "The deadline of *{title}* passed on {day}, so the challenge is now "
        "*{status}*.",
        "notice_closed_hint": "Staff can give it a later deadline with "
        "`/challenge deadline {slug} YYYY-MM-DD`.",
        "notice_reminder": "Reminder: *{title}* {closes} (deadline {day}).",
        "notice_reminder_why": "Your organisation said it wants in; the proposal is due by then.",
        "deadline_moved": "{who} moved the deadline of *{title}* to {day}{was}.",
        "deadline_was": " (it was {day})",
        "deadline_reopened": "The challenge is open again.",
        # the opportunity digest
        "digest_weekly": "Your weekly opportunity digest",
        "digest_daily": "Your daily opportunity digest",
        "digest_weekly_channel": "The cluster's weekly opportunity digest",
        "digest_daily_channel": "The cluster's daily opportunity digest",
        "digest_week": "week {week}, {year}",
        "digest_for": "for {organisation}",
        "digest_fits_for": "New challenges that fit {organisation}",
        "digest_fits_open": "New open challenges",
        "digest_deadlines": "Deadlines in the next two weeks",
        "digest_news": "Your teams since the last digest",
        "digest_new_one": "{n} new challenge",
        "digest_new_other": "{n} new challenges",
        "digest_soon_one": "{n} deadline soon",
        "digest_soon_other": "{n} deadlines soon",
        "digest_updates_one": "{n} team update",
        "digest_updates_other": "{n} team updates",
        "digest_deadline_in": "deadline {day} ({when})",
        "in_days_one": "in {n} day",
        "in_days_other": "in {n} days",
        "today": "today",
        "tomorrow": "tomorrow",
        "why_fits": "Why it fits: {reasons}.",
        "why_and": " and ",
        "why_followed": "Your organisation is on it.",
        "why_reference": "your reference “{text}”",
        "why_capability": "your capability “{text}”",
        "why_technology": "your technologies ({text})",
        "why_person": "the expertise of {name} ({text})",
        "why_description": "your profile: “{text}”",
        "news_joined": "{name} joined the team for {title}",
        "news_joined_as": "{name} joined the team for {title} as {role}",
        "news_moved": "{title}: the team moved from {old} to {new}",
        "news_moved_to": "{title}: the team moved to {new}",
        "news_interest": "{name} is interested in {title}",
        "interested": "Interested",
        "not_relevant": "Not relevant",
        "digest_footer": "*Not relevant* keeps a challenge out of your organisation's digests. "
        "Change this digest with {where}.",
        "digest_change_person": "`/digest frequency weekly|daily|off` or my Home tab",
        "digest_change_channel": "`/digest unsubscribe` in this channel",
    },
    "fi": {
        "solvers": "Parhaiten sopivat jäsenet haulle ”{need}”:",
        "solvers_for_challenge": "Jäsenet, jotka voisivat auttaa haasteessa {title}:",
        "solvers_brief": "Nämä jäsenet sopisivat parhaiten lähettämääsi tarpeeseen:",
        "solvers_in_place": "Jäsenet, joiden kotipaikka on {place}:",
        "brief_needs_one": "Viestissäsi on yksi tarve. Kuka klusterissa kattaa sen:",
        "brief_needs_other": "Viestissäsi on {n} tarvetta. Kuka klusterissa kattaa minkin:",
        "need": "Tarve",
        "covered_by": "osaajat: {names}",
        "not_covered": "kukaan ei vielä kata tätä",
        "who_covers": "Kuka kattaa minkin tarpeen",
        "solvers_asked": "Nämä jäsenet sopisivat parhaiten kysymääsi tarpeeseen:",
        "solvers_none": "En löytänyt jäsentä, jonka tiedot sopisivat hakuun ”{need}”. "
        "Henkilökunta voi tietää jonkun",
        "solvers_none_local": "En löytänyt paikkakunnalla {place} toimivaa jäsentä, jonka "
        "tiedot sopisivat hakuun ”{need}”.",
        "solvers_none_sized": "En löytänyt {who} ketään, jonka tiedot sopisivat hakuun ”{need}”.",
        "solvers_sized": "{Who} hakuun ”{need}” sopisivat parhaiten nämä:",
        "larger_companies": "suuremmista yrityksistä",
        "smaller_companies": "pienemmistä yrityksistä",
        "larger_members": "suuremmista jäsenistä",
        "smaller_members": "pienemmistä jäsenistä",
        "own_fit": "Myös oma organisaatiosi {organisation} sopisi tähän: {reason}",
        "own_fit_only": "Klusterin tiedoissa hakuun ”{need}” sopii vain oma organisaatiosi "
        "{organisation}: {reason}. Kysy henkilökunnalta, jos etsit kumppaneita sen ulkopuolelta.",
        "related": "Avoimet haasteet samasta tarpeesta:",
        "index_behind": "Hakuhakemisto ottaa vielä vastaan {n} äskettäin muuttunutta "
        "tietuetta; vastaus perustuu siihen, mitä siinä on nyt.",
        "also": "Lisäksi",
        "evidence_capability": "Osaaminen",
        "evidence_technology": "Teknologiat",
        "evidence_reference": "Referenssi",
        "evidence_description": "Profiili",
        "evidence_person": "Asiantuntemus",
        "evidence_need": "Tarpeet",
        "evidence_challenge": "Kuvaus",
        "contact": "Yhteyshenkilö",
        "introduce": "Esittele minut",
        "not_a_fit": "Ei sovi",
        "share": "Jaa kanavalle",
        "ask_staff": "Kysy henkilökunnalta",
        "closes_in": "sulkeutuu {n} päivän päästä",
        "closes_today": "sulkeutuu tänään",
        "closes_tomorrow": "sulkeutuu huomenna",
        "no_deadline": "ei määräaikaa",
        "deadline": "määräaika {day}",
        "deadline_passed": "määräaika umpeutui {day}",
        "team_line": "tiimissä: {names}",
        "open_challenges": "Avoimet haasteet",
        "new_challenges": "Avoimet haasteet, julkaistu {day} alkaen",
        "without_team": "{which}, joihin kukaan ei ole vielä liittynyt",
        "only_restricted": "{which}, vain rajatut",
        "only_public": "{which}, vain julkiset",
        "own_teams": "Haasteet, joissa organisaatiosi on mukana tiimissä",
        "challenges": "Haasteet",
        "status_challenges": "{status}: haasteet",
        "in_place": "{which} – {place}",
        "about": "{which} aiheesta {topic}",
        "closing_by": "{which}, määräaika viimeistään {day}",
        "found": "{n} kpl, lähin määräaika ensin",
        "found_one": "1 kpl",
        "shown_of": "Näytetään {shown}/{total}.",
        "none_listed": "Yksikään haaste ei vastaa tätä juuri nyt.",
        "show_one": "`/challenge show <tunniste>` näyttää yhden kokonaan.",
        "fit": "Avoimet haasteet, jotka sopivat organisaatiolle {organisation}:",
        "fit_none": "En löytänyt avointa haastetta, joka sopisi hyvin organisaatiolle "
        "{organisation} juuri nyt.",
        "fit_nobody": "Henkilötietojasi ei ole liitetty jäsenorganisaatioon, joten en tiedä, "
        'mitkä haasteet sille sopisivat; mainitse organisaatio ("mikä sopii AquaSenselle?") '
        "tai pyydä henkilökuntaa liittämään sinut.",
        "status": "Tila",
        "owner": "Omistaja",
        "restricted": "rajattu: vain henkilöstö ja kutsutut jäsenet",
        "where": "Missä",
        "needs": "Tarpeet",
        "team": "Tiimi",
        "teams_none": "Ei vielä tiimiä: haastekortin *Kiinnostaa*-painike aloittaa sellaisen.",
        "missing": "Tarpeet, joita tiimissä ei vielä kata kukaan",
        "could_be": "voisi olla {names}",
        "nobody_yet": "ei vielä ketään klusterissa",
        "discussion": "Tiimi muodostuu haastekortin ketjussa kanavalla {channel}.",
        "challenge_hidden": "En tunne sellaista haastetta, jonka saisit nähdä.",
        "capabilities": "Osaaminen",
        "past_projects": "Referenssit",
        "member_unknown": "En tunne sen nimistä jäsentä tai henkilöä.",
        "person_at": "{role}, {organisation}",
        "role_not_held": "Organisaatiolle {organisation} ei ole kirjattu roolia {role}. "
        "Kysy häneltä:",
        "expertise": "Osaaminen",
        "reach": "Tavoitat",
        "staff": "klusterin henkilökuntaa",
        "team_for": "Tiimi, joka kattaisi tämän: {need}",
        "team_for_brief": "Tiimi, joka kattaisi lähettämäsi tarpeet, tarve kerrallaan:",
        "covers": "kattaa",
        "uncovered": "Tätä ei vielä kata kukaan klusterissa",
        "also_cover": "Muita, jotka voisivat ottaa jonkin tarpeen",
        "team_none": "En löytänyt jäseniä, jotka yhdessä kattaisivat tämän: {need}.",
        "greeting": "Hei! Olen SCIC Bot, klusterin avustaja. Kysy minulta, kuka voisi "
        "ratkaista ongelman, mitkä haasteet ovat auki (vaikkapa Kirkkoniemessä tai tässä "
        "kuussa sulkeutuvat), mitkä sopivat organisaatiollesi tai mitä jäsen tekee.",
        "thanks": "Ole hyvä! Kysy milloin vain klusterin jäsenistä ja haasteista.",
        "bye": "Hei hei! Olen täällä, kun tarvitset kumppania tai haastetta.",
        "help": "Vastaan klusterin omista tiedoista. Kokeile:\n"
        "• kuka osaa <ongelma>? (tai liitä tarjouspyyntö)\n"
        "• mitkä haasteet ovat auki <kaupungissa> / sulkeutuvat tässä kuussa / voitettiin?\n"
        "• mitkä haasteet sopisivat meille? / mikä sopii <jäsenelle>?\n"
        "• kerro <aihe>-haasteesta – milloin se sulkeutuu?\n"
        "• mitä <jäsen> tekee? / kuka on <henkilö>?\n"
        "• kokoa tiimi <tarpeeseen tai haasteeseen>",
        "which_member": "Mitä organisaatiota tarkoitat? Mainitse se, esimerkiksi: ”kehen "
        "Kantavalla kannattaa olla yhteydessä?”",
        "off_topic": "Tämä ei kuulu siihen, missä voin auttaa: vastaan klusterin tiedoista, "
        "eli kuka voisi ratkaista ongelman, mitkä haasteet ovat auki, mikä sopii "
        "organisaatiollesi ja keitä jäsenemme ja ihmisemme ovat.",
        "working": "Käyn läpi klusterin tietoja…",
        "assistant_hello": "Hei{name}! Kysy minulta, kuka klusterissa voisi ratkaista "
        "ongelman, mitkä haasteet ovat auki, mikä sopii organisaatiollesi tai tiimeistäsi.",
        "assistant_status": "käy läpi klusterin tietoja…",
        "prompt_solvers_title": "Kuka osaa…",
        "prompt_solvers": "Kuka osaa kaukolämpöverkon vuodonvalvonnan?",
        "prompt_near_title": "Avoimet haasteet lähelläni",
        "prompt_near": "Mitkä haasteet ovat auki paikkakunnalla {place}?",
        "prompt_near_anywhere": "Mitkä haasteet ovat auki?",
        "prompt_fit_title": "Mikä sopii organisaatiolleni",
        "prompt_fit": "Mitkä haasteet sopivat organisaatiolleni?",
        "prompt_teams_title": "Tiimini",
        "prompt_teams": "Missä tiimeissä olemme mukana?",
        "sources": "Lähteet",
        "open_source": "Avaa lähde",
        "summary_title": "Yhteenveto ketjusta tähän asti",
        "summary_messages_one": "{n} viesti – {people}",
        "summary_messages_other": "{n} viestiä – {people}",
        "summary_decisions": "Päätökset",
        "summary_questions": "Avoimet kysymykset",
        "summary_actions": "Kuka tekee mitä",
        "summary_none": "ei vielä yhtään",
        "summary_picked": "Poimittu viesteistä sellaisenaan; mitään ei ole muotoiltu uudelleen.",
        "summary_written": "Kielimallin kirjoittama ketjun viestien pohjalta; tarkista "
        "viesteistä ennen kuin luotat siihen.",
        "summary_empty": "Ketjussa ei ole vielä viestejä, joten tiivistettävää ei ole.",
        "summary_counts": "Yhteenveto: {counts}",
        "decisions_one": "{n} päätös",
        "decisions_other": "{n} päätöstä",
        "open_questions_one": "{n} avoin kysymys",
        "open_questions_other": "{n} avointa kysymystä",
        "tasks_one": "{n} tehtävä",
        "tasks_other": "{n} tehtävää",
        "notice_closed": "Haasteen *{title}* määräaika umpeutui {day}, joten haasteen tila on "
        "nyt *{status}*.",
        "notice_closed_hint": "Henkilökunta voi antaa sille uuden määräajan komennolla "
        "`/challenge deadline {slug} VVVV-KK-PP`.",
        "notice_reminder": "Muistutus: *{title}* {closes} (määräaika {day}).",
        "notice_reminder_why": "Organisaatiosi kertoi olevansa kiinnostunut; ehdotuksen on "
        "oltava valmis siihen mennessä.",
        "deadline_moved": "{who} siirsi haasteen *{title}* määräajan päivään {day}{was}.",
        "deadline_was": " (aiemmin {day})",
        "deadline_reopened": "Haaste on taas auki.",
        "digest_weekly": "Viikoittainen mahdollisuuskatsauksesi",
        "digest_daily": "Päivittäinen mahdollisuuskatsauksesi",
        "digest_weekly_channel": "Klusterin viikoittainen mahdollisuuskatsaus",
        "digest_daily_channel": "Klusterin päivittäinen mahdollisuuskatsaus",
        "digest_week": "viikko {week}, {year}",
        "digest_for": "organisaatiolle {organisation}",
        "digest_fits_for": "Uudet haasteet, jotka sopivat organisaatiolle {organisation}",
        "digest_fits_open": "Uudet avoimet haasteet",
        "digest_deadlines": "Määräajat kahden seuraavan viikon aikana",
        "digest_news": "Tiimienne uutiset edellisen katsauksen jälkeen",
        "digest_new_one": "{n} uusi haaste",
        "digest_new_other": "{n} uutta haastetta",
        "digest_soon_one": "{n} määräaika lähellä",
        "digest_soon_other": "{n} määräaikaa lähellä",
        "digest_updates_one": "{n} tiimiuutinen",
        "digest_updates_other": "{n} tiimiuutista",
        "digest_deadline_in": "määräaika {day} ({when})",
        "in_days_one": "{n} päivän päästä",
        "in_days_other": "{n} päivän päästä",
        "today": "tänään",
        "tomorrow": "huomenna",
        "why_fits": "Miksi sopii: {reasons}.",
        "why_and": " ja ",
        "why_followed": "Organisaatiosi on mukana.",
        "why_reference": "referenssinne ”{text}”",
        "why_capability": "osaamisenne ”{text}”",
        "why_technology": "teknologianne ({text})",
        "why_person": "henkilön {name} asiantuntemus ({text})",
        "why_description": "profiilinne: ”{text}”",
        "news_joined": "{name} liittyi tiimiin haasteessa {title}",
        "news_joined_as": "{name} liittyi tiimiin haasteessa {title} roolissa {role}",
        "news_moved": "{title}: tiimi siirtyi tilasta {old} tilaan {new}",
        "news_moved_to": "{title}: tiimi siirtyi tilaan {new}",
        "news_interest": "{name} on kiinnostunut haasteesta {title}",
        "interested": "Kiinnostaa",
        "not_relevant": "Ei relevantti",
        "digest_footer": "*Ei relevantti* pitää haasteen poissa organisaatiosi katsauksista. "
        "Muuta katsausta: {where}.",
        "digest_change_person": "`/digest frequency weekly|daily|off` tai Koti-välilehteni",
        "digest_change_channel": "`/digest unsubscribe` tällä kanavalla",
    },
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "open": "open",
        "teams_forming": "teams forming",
        "proposal_submitted": "proposal submitted",
        "won": "won",
        "lost": "lost",
        "closed": "closed",
        "draft": "draft",
        "deadline_passed": "deadline passed",
        "forming": "forming",
        "proposal_in_preparation": "proposal in preparation",
        "submitted": "submitted",
        "dissolved": "dissolved",
    },
    "fi": {
        "open": "auki",
        "teams_forming": "tiimejä muodostetaan",
        "proposal_submitted": "ehdotus jätetty",
        "won": "voitettu",
        "lost": "hävitty",
        "closed": "suljettu",
        "draft": "luonnos",
        "deadline_passed": "määräaika umpeutunut",
        "forming": "muodostumassa",
        "proposal_in_preparation": "ehdotusta valmistellaan",
        "submitted": "jätetty",
        "dissolved": "purettu",
    },
}


def counted(language: str, key: str, n: int, **values: object) -> str:
    """``n`` of something with the right plural: the phrase ``{key}_one`` for exactly one,
    else ``{key}_other`` ("1 decision", "2 decisions"; "1 päätös", "0 päätöstä"). English and
    Finnish both take the singular for exactly one and the plural (Finnish: the partitive
    after a numeral) for every other number, zero included."""
    return phrase(language, f"{key}_one" if n == 1 else f"{key}_other", n=n, **values)


def phrase(language: str, key: str, **values: object) -> str:
    """The sentence ``key`` in ``language`` (English when the language has no such phrase)."""
    table = PHRASES.get(language, PHRASES["en"])
    return table.get(key, PHRASES["en"][key]).format(**values)


def status_name(language: str, status: str) -> str:
    names = STATUS_NAMES.get(language, STATUS_NAMES["en"])
    return names.get(status, status.replace("_", " "))


def closing(language: str, deadline: date | None, closes_in: int | None, status: str) -> str:
    """When a challenge closes, as a person says it: "closes in 12 days", "deadline passed"."""
    if deadline is None:
        return phrase(language, "no_deadline")
    if closes_in is None:
        key = "deadline_passed" if status == "deadline_passed" else "deadline"
        return phrase(language, key, day=deadline.isoformat())
    if closes_in == 0:
        return phrase(language, "closes_today")
    if closes_in == 1:
        return phrase(language, "closes_tomorrow")
    return phrase(language, "closes_in", n=closes_in)
