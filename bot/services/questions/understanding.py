"""What a message asks, read from the whole message in Finnish or English, offline.

The message's *shape* (question words, "challenges", "fit", "team", a greeting) comes from
small lists of cue words in both languages; *what it is about* comes from the cluster's own
records: member, person and place names in the store, found with fuzzy matching (typos and
Finnish case endings included), and the challenges themselves, found by the same matcher
that ranks solvers (`Recognizer`). Nothing here is a keyword list of topics: "challenge" in a
message does not make it a listing, and a member is only recognised by its name.

`understand` is pure: given the message, the thread's earlier understood question and the
records' vocabulary, it returns an `Understood`. With a language model, `questions.model`
lets the model fill the same `Understood` and falls back to this on any failure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal, Protocol, TypeVar

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from bot.services.briefs import split_needs
from bot.services.language import ASKING_WORDS, Language, detect_language
from bot.services.questions.spelling import real_word
from bot.services.questions.vocabulary import (
    STEM,
    NamedChallenge,
    NamedMember,
    NamedPerson,
    Vocabulary,
    stems_of,
)

Intent = Literal["solvers", "challenge", "challenges", "fit", "member", "person", "team", "other"]
INTENTS: tuple[Intent, ...] = (
    "solvers",
    "challenge",
    "challenges",
    "fit",
    "member",
    "person",
    "team",
    "other",
)
#: What an `other` message is: small talk gets its own short answer.
OtherKind = Literal["greeting", "thanks", "help", "bye", "off_topic", "empty", "which_member"]
#: What a question about one challenge wants to know; "" is everything.
Aspect = Literal["", "deadline", "status", "team", "needs"]


@dataclass(frozen=True)
class Filters:
    """What narrows a listing (or a solver search): all optional."""

    #: A place as the records spell it ("Tampere"), when the message names one.
    place: str = ""
    #: The asker wants members based in ``place`` ("based in Kirkenes"), not just work there.
    local: bool = False
    #: Challenge statuses asked for; empty: open ones.
    statuses: tuple[str, ...] = ()
    #: Every status (won, lost, closed too).
    every_status: bool = False
    #: Deadlines between these days (inclusive), when asked ("this month", "closing soon").
    deadline_from: date | None = None
    deadline_to: date | None = None
    #: Member sizes asked for ("smaller companies").
    sizes: tuple[str, ...] = ()
    #: Member kinds asked for ("companies only").
    kinds: tuple[str, ...] = ()
    #: Only challenges published on or after this day ("anything new?").
    published_from: date | None = None
    #: Only challenges nobody has joined yet ("which challenges have no team yet?").
    without_team: bool = False
    #: Only challenges the asker's organisation is on a team for ("my teams").
    own_teams: bool = False
    #: "restricted" or "public" challenges only, when asked ("which restricted ones are open?").
    visibility: str = ""

    @property
    def any(self) -> bool:
        return bool(
            self.place
            or self.statuses
            or self.every_status
            or self.deadline_to
            or self.sizes
            or self.kinds
            or self.local
            or self.published_from
            or self.without_team
            or self.own_teams
            or self.visibility
        )


@dataclass(frozen=True)
class Understood:
    """A message as the bot understood it: the operation to run and its arguments."""

    intent: Intent
    language: Language
    #: The message as read (mentions removed, lines joined), and the part that is the need.
    text: str
    need: str = ""
    challenge_id: int | None = None
    member_id: int | None = None
    person_id: int | None = None
    other: OtherKind | None = None
    aspect: Aspect = ""
    filters: Filters = field(default_factory=Filters)
    #: It continued the thread's earlier question ("and in Tampere?").
    follows_up: bool = False
    #: "fit" for the asker's own organisation (no member was named).
    for_asker: bool = False
    #: Further members a "member" question names ("compare Kitka and FleetPulse").
    also_member_ids: tuple[int, ...] = ()
    #: False when the reading is a guess (no asking words decided it: a pasted brief, a bare
    #: phrase, something that looked off-topic), which a language model may read better.
    settled: bool = True
    #: The separate needs a pasted brief states (its list items, its "we need..." sentences),
    #: as written; () for a question.
    needs: tuple[str, ...] = ()
    #: A role asked for that nobody at the organisation holds ("the CTO"): the person found
    #: instead is the one to ask, and the answer says so rather than pass them off as it.
    role_not_held: str = ""


class Recognizer(Protocol):
    """What understanding asks of the search index."""

    def challenge_matches(self, text: str) -> list[tuple[int, float]]:
        """Challenges (ids) the text describes, best first, with their match scores."""
        ...

    def is_specific(self, matches: Sequence[tuple[int, float]], *, cued: bool) -> bool:
        """Whether the best match stands out enough to be *the* challenge meant (by far more
        when nothing in the message says it means one challenge)."""
        ...

    def off_topic(self, need: str) -> bool:
        """Whether ``need`` is unlike anything the cluster's members do."""
        ...


# --- cleaning --------------------------------------------------------------------------------

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")


def clean(text: str) -> str:
    """The message without bot mentions and Slack markup, on one line."""
    text = _MENTION.sub(" ", text)
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _CHANNEL.sub(lambda m: m.group(1) or "", text)
    return " ".join(text.split())


# --- cue words -------------------------------------------------------------------------------
# Small, structural lists in both languages: question words and the verbs of asking. Topics
# never come from here.


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


GREETING = _words(
    r"^(hi|hello|hey|hiya|yo|morning|good (morning|afternoon|evening|day)|moi|moikka|hei|"
    r"heippa|terve|tervehdys|huomenta|päivää|iltaa|hola|hallo|hyvää (huomenta|päivää|iltaa)|"
    r"mitä kuuluu|how are you|how's it going)\b[\s!.,:)?]*"
    r"(there|all|everyone|bot|scic|kaikki)?[\s!.,:)]*$"
)
THANKS = _words(
    r"^(thanks?|thank you|thx|ty|cheers|great,? thanks|ok,? thanks|kiitos|kiitti|kiitoksia|"
    r"kiitos paljon|paljon kiitoksia|kiitti paljon|kiitos avusta|thanks a lot|many thanks|"
    r"perfect,? thanks|hienoa,? kiitos|super,? kiitos|great|perfect|ok|okay|selvä|hyvä)\b"
    r"[\s!.,:)]*(a lot|so much|paljon|again|taas)?[\s!.,:)]*$"
)
THANKS_START = _words(r"^(thanks?|thank you|thx|cheers|kiitos|kiitti|kiitoksia)\b")
BYE = _words(r"^(bye|goodbye|see you|later|moikka|heippa|nähdään|hei hei|näkemiin)\b[\s!.]*$")
HELP = _words(
    r"^(help|apua|ohje|ohjeet|\?+)[\s!.?]*$|what can you do|what do you do\b.*\?*$|"
    r"how do(es)? (this|you|i use)|how (can|do) i use|what are you|who are you|mitä osaat|"
    r"mitä sinä osaat|mitä voit tehdä|miten (sinua|tätä) käytetään|kuka olet|mikä olet|"
    r"what can i ask|mitä voin kysyä|what (kind|sort|type)s? of (questions|things) (can|could|"
    r"should) i ask|what should i ask|mitä (kaikkea )?(voin|voi|saa) (sinulta )?kysyä|"
    r"millaisia (asioita|kysymyksiä) (voin|voi|saa)"
)
SOLVER_CUE = _words(
    r"\b(who|whom|anyone|anybody|somebody|someone|which (members?|compan(y|ies)|"
    r"organi[sz]ations?|partners?|experts?|suppliers?|firms?|startups?|universit(y|ies)|"
    r"institutes?)|any (members?|compan(y|ies)|partners?|experts?|startups?)|members? (who|that|"
    r"with)|compan(y|ies) (who|that|with)|we need|we are looking|we're looking|i need|i'm "
    r"looking|looking for|need (help|someone|a partner|partners|expertise)|find (us |me )?(a|an|"
    r"some)|recommend|suggest (a|some|partners?|members?)|can (anyone|someone|somebody)|"
    r"expertise (in|on|for)|experience (in|with|of)|help (us|me) with|kuka|ketkä|kenellä|keneltä|"
    r"kenet|kehen|kenen puoleen|tarvitsemme|tarvitaan|tarvitsen|etsimme|etsin|haemme|etsitään|"
    r"löytyykö|onko (joku|jollain|jollakin|kellään)|osaako|osaisiko|mikä (yritys|jäsen|"
    r"organisaatio|firma)|mitkä (yritykset|jäsenet|organisaatiot)|suosittel\w*|keitä|ketä|"
    r"tarvitsisimme|tarvitsisin|tarvittaisiin|auttaa meitä|apua (meille )?\w*)\b"
)
# Everyday matters people ask any bot about: games, lunch, the office's IT, today's weather.
SMALL_TALK = _words(
    r"\b(hockey|ice hockey|football|soccer|jääkiek\w*|jalkapallo\w*|futis\w*|ottelu\w*|"
    r"who won (the|last|yesterday)|kuka voitti|lunch|lounas\w*|lounaa\w*|ruokalist\w*|"
    r"canteen|ruokala\w*|printer|tulostin\w*|vpn|wi-?fi|password|salasan\w*|laptop|"
    r"läppär\w*|(weather|sää|säätä) (today|tomorrow|tänään|huomenna|nyt|now)|"
    r"(today|tomorrow|tänään|huomenna)\W+(\w+\W+){0,3}(weather|sää|säätä)|"
    r"(weather|sää) (is|on) (it|se)? ?(today|tomorrow|tänään|huomenna)|"
    # Asking what the weather is (somewhere, some day), not for weather expertise.
    r"(what'?s|whats|what is|how'?s|how is) the weather (like|in|at|on|today|tomorrow|this|"
    r"going|gonna|forecast for)|"
    r"(going to|will it|gonna) (snow|rain)|sataako|(snow|rain|lunta|vettä) (\w+ ){0,2}"
    r"(today|tonight|tomorrow|this weekend|tänään|huomenna|viikonloppuna)|"
    r"outlook (ei|doesn't|does not|won't|isn't|is not|not)|(calendar|kalenteri\w*) (ei |doesn't "
    r"|does not |won't |not )?(synk\w*|sync\w*)|synkkaa|neukkari\w*|neuvotteluhuone\w*|"
    r"meeting room|book a room|"
    r"varata? (mulle |minulle )?(huone\w*|neukkari\w*)|"
    # Something to write for fun, whatever it is about: "a poem about snow" is no snow need.
    r"(write|tell|compose|make|give) (me |us )?(a |an |some )?(short |funny |little )?"
    r"(poem|joke|story|song|haiku|limerick|riddle)s?|runo\w*|vitsi\w*|"
    r"(kirjoita|kerro|keksi) (\w+ )?(laulu|tarina|satu|loru)\w*|"
    # ...or something to amuse: "tell me something funny", "kerro jotain hauskaa".
    r"(tell|say) (me |us )?something (funny|fun|amusing|interesting)|"
    r"(kerro|sano|keksi) (mulle |minulle |meille )?(jotain|jotakin) "
    r"(hauska\w*|kiva\w*|hassu\w*|mielenkiintoi\w*))\b"
)
NEED_STATEMENT = _words(
    r"\b(we need|we want|we plan|we are planning|we're planning|our city|our municipality|"
    r"the city (needs|wants|is looking)|needs? (a|an|to)|require[sd]?|requirement|tarvitsee|"
    r"haluaa|haluamme|suunnittelemme|kaupunki (etsii|tarvitsee|haluaa)|tavoitteena|"
    r"hankinta|tarjouspyyntö|call for proposals|tender|rfp|rfq)\b"
)
CHALLENGE_WORD = _words(
    r"\b(challenges?|chal+enges?|chal+ange|opportunit(y|ies)|calls?|tenders?|\w*haaste\w*|"
    r"mahdollisuu\w*|kilpailutu\w*|tarjouspyyn\w*)\b"
)
CHALLENGE_PLURAL = _words(
    r"\b(challenges|chal+enges|opportunities|calls|tenders|haasteet|haasteita|haasteista|"
    r"haasteiden|haasteissa|haasteisiin|haasteille|mahdollisuudet|mahdollisuuksia|"
    r"kilpailutuksia|kilpailutukset|tarjouspyyntöjä|tarjouspyynnöt)\b"
)
#: How far back "new" reaches.
NEW_DAYS = 14
NEWS = _words(
    r"^(?:(?:so|ok|hi|hey|moi|hei)[,!.\s]+)*(?:anything new|any news|what'?s new|what is new|"
    r"whats new|news|mitä uutta|onko (?:mitään )?uutta|uutisia|uusia haasteita)\b[\s?!.]*"
    r"(?:(?:this|last) week|today|tällä viikolla|tänään)?[\s?!.]*$"
)
# "My teams", "which teams are we on?", "missä tiimeissä olemme mukana?": the challenges the
# asker's organisation is on a team for (plural "teams": "our team" is about one challenge).
OWN_TEAMS = _words(
    r"\b((my|our) teams|which teams (am i|are we|is my \w+|does my \w+)|teams (am i|are we) "
    r"(on|in|part of)|(missä|missä kaikissa) tiimeissä|tiimi(ni|mme)|tiimeissämme)\b"
)
LIST_CUE = _words(
    r"\b(which|what|list|show|any|are there|is there|open|currently|right now|ongoing|"
    r"active|mitkä|mitä|millaisia|onko|listaa|näytä|auki|avoinna|avoimet|avoimia|käynnissä|"
    r"meneillään|tällä hetkellä)\b"
)
SPECIFIC_CUE = _words(
    r"\b(the (\w+[ -]){0,5}(challenge|one|call|tender|thing|project|case|pilot|bid|proposal)\b|"
    r"this challenge|that challenge|se \w+|siitä|hanke\w*|juttu\w*|projekti\w*|"
    r"how did .* go|miten .* meni|what happened (to|with)|mitä .* tapahtui|budget|budjetti|"
    r"the one about|about the|tell me (more )?about|details? (of|on|about)|info(rmation)? "
    r"(on|about)|when does|when is|deadline (of|for)|status of|who is on|who'?s on|who are on|"
    r"team (for|on)|is it still open|still open|does it close|closes? when|"
    # whole words: "kerrostaloissa" (apartment blocks) and "tiedotus" (communications) are needs
    r"kerro(?:tko|than|kaa)?\b|tietoa\b|tiedot\b|"
    r"milloin|sulkeutuu|päättyy|umpeutuu|takaraja|määräaika|kuka on mukana|"
    r"tiimi\w*|[\w-]+-haaste\w*|haaste(en|esta|essa)?\b(?! ?\w*t\b))"
)
FIT_CUE = _words(
    r"\b(fits?|fitting|suits?|suitable|suited|match(es|ing)?|relevant (for|to)|right for|"
    r"could use (a|an|our|the)?\s*\w+ like ours|like ours|lähteä mukaan|lähtisimme|"
    r"kannattaisi|osallistuttava\w*|"
    r"good for|apply (to|for)|bid (on|for)|could we (do|join|apply|bid)|should we|"
    r"for (us|our (company|organi[sz]ation|team|firm|city))|sopi\w*|sopisi\w*|sovelt\w*|"
    r"kannatta\w* (meidän )?(hakea|osallistua)|voisimme (hakea|osallistua))\b"
)
# "Meille" / "meidän" (for us, our) ask which challenges fit us when nothing else is asked
# ("onko meille jotain?") or challenges are named, but "kuka osaa varjostuksen meidän
# torille?" asks who could shade our square.
FIT_FOR_US = _words(r"\b(meille|meidän)\b")
TEAM_CUE = _words(
    r"\b(teams?|consorti(um|a)|partnership|put together|assemble|build a (team|group|"
    r"consortium)|form a (team|group|consortium)|group of (members|companies|partners)|"
    r"join (us|me|our \w+)|bring (in|into|on board)|"
    r"tiimi\w*|konsorti\w*|ryhmä\w*|kokoa\w*|muodosta\w*|kumppaniporuk\w*|"
    r"ottaa mukaan|ottaisi\w* mukaan|mukaan (meidän|meille|tiimiin)|liitty\w* (meihin|mukaan))\b"
)
TEAM_STATUS_QUESTION = _words(
    r"\b(who is on|who'?s on|who are on|who is working on|who'?s working on|who are working on|"
    r"which team|any team|is there a team|team yet|has a team|kuka tekee|ketkä tekevät|"
    r"where are we|kuka on mukana|ketkä ovat|onko tiimi\w*|onko sillä tiimi\w*)\b"
)
MEMBER_QUESTION = (
    _words(r"^what (?:does|do|is|are) (?P<name>.+?)(?: do| doing| about| up to| offer)?\s*\?*$"),
    _words(r"^(?:tell me|tell us) (?:more )?(?:about|abt|re) (?P<name>.+?)\s*\?*$"),
    _words(r"^(?:who|what) (?:is|are) (?P<name>.+?)\s*\?*$"),
    _words(
        r"^what (?:kind of )?(?:company|firm|organi[sz]ation|startup|member) (?:is|are) "
        r"(?P<name>.+?)\s*\?*$"
    ),
    _words(
        r"^(?:mikä|millainen|minkälainen) (?:firma|yritys|yhtiö|organisaatio|toimija|jäsen) on "
        r"(?P<name>.+?)\s*\?*$"
    ),
    _words(r"^(?:info|information|details|profile) (?:on|about|of) (?P<name>.+?)\s*\?*$"),
    _words(r"^(?:how (?:can|do) (?:i|we) (?:reach|contact)) (?P<name>.+?)\s*\?*$"),
    _words(r"^mitä (?P<name>.+?) (?:tekee|tekevät|tarjoaa|tarjoavat|on)\s*\?*$"),
    _words(r"^(?:kuka|mikä|ketkä|mitkä) (?:on|ovat) (?P<name>.+?)\s*\?*$"),
    _words(r"^kerro (?:lisää )?(?P<name>.+?)\s*\?*$"),
    _words(r"^(?:tietoa|tiedot) (?P<name>.+?)\s*\?*$"),
    _words(r"^(?:miten|mistä) (?:tavoitan|saan kiinni) (?P<name>.+?)\s*\?*$"),
)
FOLLOW_UP = _words(
    r"^(and|what about|how about|or|also|but|only|just|same|now|then|entä|ja|mites|"
    r"miten olisi|kuin myös|mutta|pelkästään|vain|sama|myös|entäs)\b"
)
OPEN_ASK = _words(
    r"^(what|whats|what's|what is|anything|is anything|is there anything|mitä|mikä|onko mitään)"
    r"( on| is)? (still |currently |now )?(open|auki|avoinna)\b"
)
WH_QUESTION = _words(
    r"^(what|whats|what's|when|where|how|why|is|are|do|does|can you|could you|will|mikä|mitä|"
    r"milloin|missä|miten|miksi|onko|ovatko|voitko|osaatko)\b"
)

STATUS_WORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_words(r"\b(won(?!['’]t)|winning|voitet\w*|voitimme|voittaneet)\b"), ("won",)),
    (_words(r"\b(lost|lose|losing|hävit\w*|hävisimme|hävitty\w*|hävityt)\b"), ("lost",)),
    (
        _words(r"\b(closed|ended|expired|finished|past|suljet\w*|päättyneet|päättynyt|menneet)\b"),
        ("closed", "won", "lost"),
    ),
    (_words(r"\b(submitted|jätet\w*|lähetet\w*)\b"), ("proposal_submitted",)),
    (_words(r"\b(drafts?|luonnos\w*)\b"), ("draft",)),
)
EVERY_STATUS = _words(r"\b(all|every|kaikki|kaikista|kaikkia|ever|historical)\b")
SIZE_WORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        _words(r"\b(small(er)?|startups?|start-ups?|micro|sme|pien\w*|start-?up\w*)\b"),
        ("micro", "small"),
    ),
    (_words(r"\b(large|larger|big|bigger|major|iso(t|mmat)?|suur\w*)\b"), ("medium", "large")),
)
LOCAL_CUE = _words(
    r"\b(based in|located in|located at|headquartered|with (an )?office|local|locals|"
    r"near|nearby|from|paikallis\w*|sijait\w*|toimipaik\w*|lähellä|\w+laise(t|n|lla)|"
    r"\w+läise(t|n|llä))\b"
)
PRESENCE_CUE = _words(
    r"\b(based in|located in|headquartered|with (an )?office|\w+-based|paikallis\w*|sijait\w*|"
    r"toimipaik\w*)\b"
)
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "tammikuu": 1, "helmikuu": 2, "maaliskuu": 3, "huhtikuu": 4, "toukokuu": 5,
    "kesäkuu": 6, "heinäkuu": 7, "elokuu": 8, "syyskuu": 9, "lokakuu": 10, "marraskuu": 11,
    "joulukuu": 12,
}  # fmt: skip
CLOSING_SOON_DAYS = 14
# A message this long is a pasted brief or e-mail, not a question about the records.
BRIEF_WORDS = 45
# ...or this many in at least BRIEF_SENTENCES sentences: a pasted call is short and plain.
SHORT_BRIEF_WORDS = 30
BRIEF_SENTENCES = 3


def _is_brief(text: str) -> bool:
    """A pasted brief, call or e-mail rather than a question."""
    words = len(re.findall(r"\w+", text))
    if words >= BRIEF_WORDS:
        return True
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    return words >= SHORT_BRIEF_WORDS and len(sentences) >= BRIEF_SENTENCES


def _deadline_window(text: str, today: date) -> tuple[date | None, date | None]:
    lowered = text.lower()
    month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if re.search(r"\bthis week\b|\btällä viikolla\b|\bviikon (loppuun|sisällä)\b", lowered):
        # The coming seven days: on a Sunday "this week" would otherwise be today alone.
        return today, today + timedelta(days=6)
    if re.search(r"\bnext week\b|\bensi viikolla\b", lowered):
        start = today + timedelta(days=7 - today.weekday())
        return start, start + timedelta(days=6)
    if re.search(r"\bthis month\b|\btässä kuussa\b|\btämän kuun\b|\bkuun loppuun\b", lowered):
        return today, month_end
    if re.search(r"\bnext month\b|\bensi kuussa\b|\bensi kuun\b", lowered):
        start = month_end + timedelta(days=1)
        return start, (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if re.search(r"\b(this|end of the|by the end of the) year\b|\bvuoden loppuun\b", lowered):
        return today, date(today.year, 12, 31)
    within = re.search(
        r"\b(?:within|in|next|the next|seuraavan|lähimmän)\s+(\d+|two|three|four|kahden|"
        r"kolmen|neljän)\s+(days?|weeks?|päivän|viikon)\b",
        lowered,
    )
    if within:
        words = {"two": 2, "three": 3, "four": 4, "kahden": 2, "kolmen": 3, "neljän": 4}
        count = int(within.group(1)) if within.group(1).isdigit() else words[within.group(1)]
        days = count * 7 if within.group(2).startswith(("week", "viik")) else count
        return today, today + timedelta(days=days)
    if re.search(
        r"\b(clos\w* soon|soon|deadline soon|deadlines? (are |is )?(near|close|coming)|"
        r"upcoming deadlines?|closing|about to close|last chance|pian|lähiaikoina|"
        r"sulkeutu\w*|umpeutu\w*|päättymässä|takaraja lähestyy|kiire)\b",
        lowered,
    ):
        return today, today + timedelta(days=CLOSING_SOON_DAYS)
    for name, number in MONTHS.items():
        if re.search(rf"\b{name}\w*", lowered) and re.search(
            r"\b(deadline|close|closing|due|by|until|before|takaraja|mennessä|sulkeutu|"
            r"päätty|in|aikana)\w*",
            lowered,
        ):
            year = today.year + (1 if number < today.month else 0)
            start = date(year, number, 1)
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            return max(start, today), end
    return None, None


# --- names and places in the records ---------------------------------------------------------

_TOKEN = re.compile(r"[\w][\w'’&.-]*[\w]|[\w]", re.UNICODE)
_CASE_ENDING = r"(n|lle|ltä|lta|llä|lla|ssa|ssä|sta|stä|ksi|na|nä|ta|tä|a|ä|hin|hen|han|hon)"
# Finnish case endings glued to a name with a colon ("VTT:n", "Kantava Oy:lle").
_COLON_CASE = re.compile(rf":{_CASE_ENDING}\b")
# The same endings on an acronym typed without the colon, often with the vowel the acronym is
# spoken with ("VTTllä", "Polar SARissa", "NEOMin"): the acronym is the name. Other names need
# no such rule: "Kantavassa" still begins with "Kantava" (see `_name_score`).
_ACRONYM_CASE = re.compile(rf"\b([A-ZÅÄÖ]{{2,}})[ie]?{_CASE_ENDING}\b")
Named = TypeVar("Named", NamedMember, NamedPerson)
NAME_SCORE = 88
NAME_SCORE_LOWERCASE = 94


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_ACRONYM_CASE.sub(r"\1", _COLON_CASE.sub("", text)))


def _spans(tokens: Sequence[str], longest: int) -> list[tuple[int, int, str]]:
    return [
        (i, j, " ".join(tokens[i:j]))
        for size in range(longest, 0, -1)
        for i in range(0, len(tokens) - size + 1)
        for j in (i + size,)
    ]


def _fold(text: str) -> str:
    """Lower case without accents: "Ström" and "strom" are one name."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_GEMINATE_END = re.compile(r"(kk|pp|tt)[aeiouyäö]$")


def _name_score(span: str, name: str) -> float:
    """How well ``span`` spells ``name``, tolerating a typo and a Finnish case ending."""
    a, b = _fold(span), _fold(name)
    if a == b:
        return 100.0
    score = fuzz.ratio(a, b)
    # "Kantavan", "AquaSensen", "Lämpöverkolle": the name with an ending on its last word;
    # "Kaarella", "Pistepilvestä": the stem changes its last letter before the ending.
    if len(b) >= 4 and len(a) - len(b) <= 5:
        if a.startswith(b):
            score = max(score, 96.0)
        elif len(b) >= 5 and a.startswith(b[:-1]) and " " not in b:
            score = max(score, 90.0)
        elif len(b) >= 6 and _GEMINATE_END.search(b) and a.startswith(b[:-2]) and " " not in b:
            # "Lämpöverkolla", "Oppimon" ... : a double k, p or t before the last vowel
            # weakens to a single one before most endings (consonant gradation).
            score = max(score, 90.0)
    return float(score)


# "Oulun kaupunki", "Tampereen kaupungilla": a city in Finnish is its place in the genitive
# before the word for city, which no spelling of "City of Oulu" comes near.
_FINNISH_CITY = re.compile(r"\b([^\W\d_][\w-]+)\s+kaupun(?:ki|gi|ke)\w*", re.IGNORECASE)


def find_members(text: str, vocabulary: Vocabulary) -> list[NamedMember]:
    """Members named in ``text``, longest names first; each name counted once."""
    found = [m for m, _ in _find_named(text, [(m, m.names) for m in vocabulary.members])]
    for match in _FINNISH_CITY.finditer(text):
        place = match.group(1).lower()
        found += [
            m
            for m in vocabulary.members
            if m.kind == "city" and m.city and _place_matches(place, m.city.lower())
            if m not in found
        ]
    return found


def find_people(text: str, vocabulary: Vocabulary) -> list[NamedPerson]:
    return [p for p, _ in _find_named(text, [(p, (p.name,)) for p in vocabulary.people])]


def _find_named(
    text: str, candidates: Sequence[tuple[Named, Sequence[str]]]
) -> list[tuple[Named, str]]:
    tokens = _tokens(text)
    found: list[tuple[Named, str]] = []
    used: set[int] = set()
    longest = max((len(n.split()) for _, names in candidates for n in names), default=1)
    by_first: dict[str, list[tuple[Named, str]]] = {}
    for item, names in candidates:
        for name in names:
            first = _fold(name)[:2]
            by_first.setdefault(first, []).append((item, name))
    for i, j, span in _spans(tokens, min(longest, 5)):
        if any(k in used for k in range(i, j)) or len(span) < 3:
            continue
        capitalised = span[:1].isupper() or any(c.isupper() for c in span[1:])
        threshold = NAME_SCORE if capitalised else NAME_SCORE_LOWERCASE
        best: tuple[float, Named, str] | None = None
        for item, name in by_first.get(_fold(span)[:2], ()):
            if abs(len(name) - len(span)) > 5:
                continue
            score = _name_score(span, name)
            if score >= threshold and (best is None or score > best[0]):
                best = (score, item, name)
        if best is not None and best[1] not in [f for f, _ in found]:
            found.append((best[1], best[2]))
            used.update(range(i, j))
    return found


_UNKNOWN_PLACE = re.compile(r"\b(?:in|at|near|around)\s+([A-ZÅÄÖ][\w-]{2,})")


def find_place(text: str, vocabulary: Vocabulary) -> str:
    """The place ``text`` names, spelled as the records spell it; "" when none.

    A capitalised word after "in" that no record knows is a place too ("open in Atlantis"):
    nothing matches it, which is the answer.
    """
    for token in _tokens(text):
        lowered = token.lower()
        if len(lowered) < 3:
            continue
        for spelled, canonical in vocabulary.places.items():
            if _place_matches(lowered, spelled):
                return canonical
    unknown = _UNKNOWN_PLACE.search(text)
    if unknown and not find_members(unknown.group(1), vocabulary):
        return unknown.group(1)
    return ""


def _names_place(token: str, place: str, vocabulary: Vocabulary) -> bool:
    """Whether ``token`` is ``place`` in any of its spellings ("Uudellamaalla": Uusimaa)."""
    return any(
        canonical == place and _place_matches(token, spelled)
        for spelled, canonical in vocabulary.places.items()
    )


def _place_matches(token: str, place: str) -> bool:
    if token == place:
        return True
    # Finnish inflects names: "Tampereella", "Oulussa", "Helsingissä" (k -> g).
    stem = max(4, len(place) - 2)
    if len(place) >= 4 and token.startswith(place[:stem]) and len(token) <= len(place) + 6:
        return True
    if len(place) < 6:
        return False
    # A typo: one edit, a swap of two letters counted as one ("Madird"), unless the word is a
    # word of its own ("vastaa" is not Vantaa).
    return fuzz.ratio(token, place) >= 86 or (
        DamerauLevenshtein.distance(token, place) <= 1 and not real_word(token)
    )


# --- the decision ----------------------------------------------------------------------------


_SYMBOLS = re.compile(r"[^\w\s?!.,:;'’-]", re.UNICODE)


def _other_kind(text: str) -> OtherKind | None:
    text = " ".join(_SYMBOLS.sub(" ", text).split())
    if not text.strip(" ?!.,"):
        return "empty"
    words = re.findall(r"\w+", text)
    if THANKS_START.match(text) and len(words) <= 7 and not SOLVER_CUE.search(text):
        return "thanks"
    if GREETING.match(text):
        return "greeting"
    if THANKS.match(text):
        return "thanks"
    if BYE.match(text):
        return "bye"
    if HELP.search(text) and len(text.split()) <= 8:
        return "help"
    return None


def _statuses(text: str) -> tuple[tuple[str, ...], bool]:
    statuses: list[str] = []
    for pattern, names in STATUS_WORDS:
        if pattern.search(text):
            statuses += [n for n in names if n not in statuses]
    return tuple(statuses), bool(EVERY_STATUS.search(text)) and not statuses


def _sizes(text: str) -> tuple[str, ...]:
    for pattern, sizes in SIZE_WORDS:
        if pattern.search(text) and re.search(
            r"compan|firm|member|organi|startup|start-up|yritys|yrityks|yritykset|firma|jäsen|"
            r"toimija|sme\b",
            text,
            re.IGNORECASE,
        ):
            return sizes
    return ()


COMPANY_WORDS = _words(
    r"\b(compan\w*|firms?|startups?|start-ups?|smes?|yritys|yrityks\w*|firm\w*)\b"
)


def _size_kinds(text: str, sizes: tuple[str, ...]) -> tuple[str, ...]:
    """A size said of companies asks for companies: "entä suuremmat yritykset?" showed a
    research institute alone, the large organisation that fitted best."""
    return ("company",) if sizes and COMPANY_WORDS.search(text) else ()


def _filters(text: str, vocabulary: Vocabulary, today: date) -> Filters:
    statuses, every = _statuses(text)
    start, end = _deadline_window(text, today)
    place = find_place(text, vocabulary)
    return Filters(
        place=place,
        local=bool(place) and bool(LOCAL_CUE.search(text)),
        statuses=statuses,
        every_status=every,
        deadline_from=start,
        deadline_to=end,
        sizes=(sizes := _sizes(text)),
        kinds=_size_kinds(text, sizes),
        without_team=bool(NO_TEAM.search(text)),
        visibility=_visibility(text),
    )


# How many members one "compare A, B and C" answer shows.
MEMBERS_COMPARED = 3
NO_TEAM = _words(
    r"\b(no team|without (a )?team|no one has joined|nobody (has )?joined|no takers|"
    r"ei (vielä |ole )?(\w+ )?tiimiä|ilman tiimiä|vailla tiimiä|tiimittöm\w*)\b"
)


# Challenges shown only to the members they were shared with, or to everyone. "Public" alone
# is often the topic ("public buildings"), so only "public challenges / ones" filters.
RESTRICTED = _words(
    r"\b(restricted|private|confidential|invitation[- ]only|non[- ]public|"
    r"rajat(tu|ut|tuja|uissa|tuihin)|rajoitet\w*|luottamukselli\w*|ei-julki\w*)\b"
)
PUBLIC = _words(
    r"\b(public|open[- ]to[- ]all) (challenges?|ones|calls?)\b|\bjulki(set|sia|nen) haaste\w*"
)


def _visibility(text: str) -> str:
    if RESTRICTED.search(text):
        return "restricted"
    return "public" if PUBLIC.search(text) else ""


def _member_question_name(text: str) -> str:
    for pattern in MEMBER_QUESTION:
        found = pattern.match(text.strip())
        if found:
            return found.group("name").strip(" ?!.:,")
    return ""


def _mostly(names: Sequence[str], text: str) -> bool:
    """The message is hardly more than the name (and a question mark)."""
    rest = text.lower()
    for name in names:
        rest = rest.replace(name.lower(), " ")
    return len(re.findall(r"\w+", rest)) <= 2


ASKING = re.compile(
    r"^(?:(?:so|ok|okay|hi|hello|hey|moi|hei|please|pls)[,!.\s]+)*"
    r"(?:(?:who(?:'s|’s|s(?= good))?|anyone|anybody|someone|somebody|"
    r"which (?:\w+ ){0,2}?(?:members?|compan(?:y|ies)|"
    r"organi[sz]ations?|partners?|experts?|firms?|startups?))"
    r"(?:\s+(?:in|from) (?:the |our )?(?:cluster|network))?"
    r"(?:\s+(?:who|that))?\s+"
    r"(?:(?:can|could|would|might|will|is able to|are able to)\s+(?:\w+\s+)?"
    r"(?:help(?:\s+(?:us|me|them))?(?:\s+(?:with|on|in))?|solve|fix|handle|do|build|deliver|"
    r"provide|offer|support(?:\s+(?:us|me))?(?:\s+with)?|tackle|address|take on|work on)"
    r"|(?:has|have)\s+(?:\w+\s+)?(?:experience|expertise|knowledge|references?)"
    r"(?:\s+(?:in|with|of|on|for))?"
    r"|(?:with|having)\s+(?:\w+\s+)?(?:experience|expertise|knowledge|references?)"
    r"(?:\s+(?:in|with|of|on|for))?"
    r"|(?:works?|knows?|does|do|is good|are good|good|specialises|specializes)"
    r"(?:\s+(?:on|with|about|at|in))?)"
    r"|(?:we|i)\s+(?:need|are looking for|am looking for|'re looking for|want)"
    r"(?:\s+(?:help|someone|a partner|partners|an expert|experts))?(?:\s+(?:with|for|on|to))?"
    r"|looking for(?:\s+(?:help|someone|a partner|partners))?(?:\s+(?:with|for|on|to))?"
    r"|(?:can you )?(?:find|recommend|suggest)\s+(?:us |me )?(?:a |an |some )?"
    r"(?:partners?|members?|compan(?:y|ies)|experts?)?(?:\s+(?:for|with|on|to))?"
    r"|kuka|ketkä|kenellä|keneltä|kenet|mikä (?:yritys|jäsen|organisaatio|firma)|"
    r"mitkä (?:yritykset|jäsenet|organisaatiot)|tarvitsemme|tarvitsen|tarvitaan|etsimme|etsin|"
    r"haemme|löytyykö|onko (?:joku|jollain|jollakin|kellään)|osaako joku|suosittele(?:tko)?)"
    # up to two verbs, as said too: "kuka vois auttaa meitä ..."
    r"(?:\s+(?:osaa|osaisi|osais|voisi|vois|voi|tuntee|tekee|auttaisi|auttais|auttaa|on|ovat|"
    r"osaavat)){0,2}"
    r"(?:\s+(?:meitä|meille|apua|kumppanin|kumppania|kumppaneita|jonkun|jotakin|ratkaisua))*"
    r"\s*[:,]?\s+",
    re.IGNORECASE,
)


NEED_OPENING = _words(
    r"^(?:(?:can|could|would) (?:you|u) (?:please |pls )?(?:recommend|suggest|find|name|point "
    r"(?:me|us) to)(?: (?:someone|somebody|anyone|a member|a company|members|companies|"
    r"partners?|experts?))?(?: (?:for|to|who|that|with))?|"
    r"(?:(?:we|i) (?:would |'d )?(?:need|want|are looking for|'re looking for|am looking for)|"
    r"looking for|tarvitsisimme|tarvitsemme|tarvitsisin|tarvitsen|tarvitaan|etsimme|etsin|"
    r"haemme))\s+(?:to find |to |someone (?:to|who can) |a partner (?:for|to) )?"
)

# Who is wanted before what they should do: "(yrityksen,) joka osaa kääntää ...". A place to
# work in stays: "kaupunkia, jossa voisi kokeilla" is the need. (English "who can" is left as
# it was: without it one drone need on the answers dev set ranked worse.)
WHO_IS_WANTED = _words(
    r"^(?:(?:kumppani\w*|yrityksen|yritystä|yrityksiä|jonkun|jotakuta|asiantuntija\w*|"
    r"toimija\w*),?\s+)?(?:joka|jotka)\s+"
    # ...but "joka talvi" is every winter.
    r"(?!(?:talvi|kesä|kevä|syksy|päivä|viikko|kuukau|vuosi|vuonna|kerta|kerran|ilta|aamu|yö)\w*)"
    r"(?:(?:osaisi|osaavat|osaa|voisivat|voisi|voivat|voi|pystyisi|pystyy)\b\s*)?"
)


def _need(text: str) -> str:
    """The part of a solver question that is the need: without the asking words before it
    ("who can help with", "tarvitsisimme") or the short question after it ("Keitä
    suosittelet?", "who in the cluster does this?")."""
    whole = text.strip()
    # "Pasting a request we got from Inari: ..." introduces the need; it is not part of it.
    intro = re.match(r"^[^:\n]{3,120}:\s+", whole)
    if intro and len(whole) > intro.end() + 20 and len(intro.group(0).split()) <= 14:
        whole = whole[intro.end() :]
    sentences = re.split(r"(?<=[.!?])\s+", whole)
    if len(sentences) > 1:
        last = sentences[-1]
        if len(re.findall(r"\w+", last)) <= 8 and SOLVER_CUE.search(last):
            whole = " ".join(sentences[:-1])
    # "…sähköposteihin, kuka vois auttaa?": a closing clause of asking words only.
    clauses = re.split(r"\s*(?:,|\s[–—-])\s+", whole.rstrip(" ?!."))
    if len(clauses) > 1 and len(clauses[-1].split()) <= 5:
        words = re.findall(r"\w+", clauses[-1].lower())
        asks = SOLVER_CUE.search(clauses[-1]) or set(words) & CLOSING_ASKS
        # ...and that asks for someone: "cool, thanks" is no need for cooling.
        if asks and all(w in ASKING_WORDS or w in CLOSING_ASKS for w in words):
            whole = whole[: whole.rstrip(" ?!.").rfind(clauses[-1])].rstrip(" ,–—-")
    asking = ASKING.match(whole)
    need = whole[asking.end() :] if asking else whole
    need = _after_opening(NEED_OPENING, need)
    need = _after_opening(WHO_IS_WANTED, need)
    # "(a) consortium for / tiimi ..." says how, not what: the team answer says it already.
    need = _after_opening(TEAM_OPENING, need)
    return need.strip(" ?!.") or text.strip(" ?!.")


def _after_opening(opening: re.Pattern[str], need: str) -> str:
    """``need`` without the words ``opening`` matches at its start, unless they are all of it."""
    found = opening.match(need)
    return need[found.end() :] if found and len(need) > found.end() else need


# Spoken forms and verbs of a closing "who can help?" that the asking words lack.
CLOSING_ASKS = frozenset(
    [
        "vois", "voisko", "pystyy", "pystyis", "pystyisi", "osais", "osaisi", "auttais",
        "suosittelet", "suosittelette", "suosittelisit", "keitä", "ehdotat", "ehdotatte",
        "suggest", "recommend", "ideas",
    ]
)  # fmt: skip


TEAM_OPENING = _words(
    r"^(?:(?:to )?(?:put together|assemble|build|form|find) )?(?:a |an |the )?(?:team|consortium|"
    r"group of (?:members|companies|partners)|partners?)(?: (?:for|to|on|that can|who can))?\s+|"
    r"^(?:konsorti\w*|tiimi\w*|kumppan\w*|ryhmä\w*)\s+"
)


def _visible(challenge: NamedChallenge, asker_member_id: int | None, is_staff: bool) -> bool:
    return is_staff or challenge.visible_to(asker_member_id)


def understand(
    message: str,
    *,
    vocabulary: Vocabulary,
    recognizer: Recognizer,
    today: date,
    earlier: Understood | None = None,
    asker_member_id: int | None = None,
    is_staff: bool = False,
) -> Understood:
    """What ``message`` asks; a reply that reads as a follow-up continues ``earlier``.

    Names and places are looked for in the message as written; the asking words and the need
    in the message with its misspellings put right.
    """
    written = clean(message)
    language = detect_language(written) if written else "en"
    text = vocabulary.speller.correct(written, language)
    other = _other_kind(text)
    if other is not None:
        return Understood("other", language, written, other=other)
    filters = _filters(text, vocabulary, today)
    if NEWS.match(text):
        # "Anything new?": the open challenges published in the last two weeks.
        recent = replace(filters, published_from=today - timedelta(days=NEW_DAYS))
        return Understood("challenges", language, written, filters=recent)
    if OWN_TEAMS.search(text):
        # Every status: a team that submitted, won or lost is still the asker's team.
        own = replace(filters, own_teams=True, every_status=not filters.statuses)
        return Understood("challenges", language, written, filters=own)
    members = find_members(written, vocabulary)
    if earlier is not None:
        if _asks_for_a_contact(text) and not members and earlier.member_id is not None:
            # "Who should I talk to there?": the organisation of the earlier question.
            return _person_at(earlier.member_id, text, language, vocabulary)
        if _reads_as_follow_up(text, vocabulary, filters):
            return _continue(earlier, text, language, filters)

    people = [
        p for p in find_people(written, vocabulary) if not any(p.name == m.name for m in members)
    ]
    if not members and not people and _asks_whom_there(text):
        # "Who should I talk to there?" with no organisation named, or none earlier.
        return Understood("other", language, written, other="which_member")
    asked_name = _member_question_name(written)
    has_challenge_word = bool(CHALLENGE_WORD.search(text))
    plural = bool(CHALLENGE_PLURAL.search(text))
    named_member = members[0] if members else None

    # Who is a person / who at a member does something / what does a member do.
    if (
        people
        and (asked_name or PERSON_DETAIL.search(text) or _mostly([p.name for p in people], written))
        and not plural
    ):
        return Understood("person", language, written, person_id=people[0].id)
    if (
        named_member is not None
        and (
            _asks_for_a_contact(text)
            or _asks_for_a_role(text, named_member.id, vocabulary)
            or _asks_a_role_s_detail(text)
        )
        and not has_challenge_word
    ):
        return _person_at(named_member.id, text, language, vocabulary)
    fit_cue = bool(FIT_CUE.search(text)) or bool(
        FIT_FOR_US.search(text) and (has_challenge_word or not SOLVER_CUE.search(text))
    )
    if asked_name and not has_challenge_word and not fit_cue:
        asked = find_members(asked_name, vocabulary)
        if asked:
            return Understood("member", language, written, member_id=asked[0].id)
    if (
        named_member
        and _mostly(named_member.names, written)
        and not has_challenge_word
        and not fit_cue
    ):
        return Understood("member", language, written, member_id=named_member.id)

    # A pasted brief or e-mail is a need, however it is worded: who could do it.
    if _is_brief(text):
        intent: Intent = "team" if TEAM_CUE.search(text) else "solvers"
        # A brief names places and says "from" for many reasons ("a request we got from
        # Inari"): only an explicit "based in" asks for members based there.
        local = filters.local and bool(PRESENCE_CUE.search(text))
        return Understood(
            intent,
            language,
            written,
            need=_need(text),
            filters=replace(filters, local=local),
            settled=False,
            needs=split_needs(message, language),
        )

    # Which challenges fit an organisation: ours, or one named (a team request is not one).
    if (
        fit_cue
        and not TEAM_CUE.search(text)
        and not PARTNERS_FOR.search(text)
        and (has_challenge_word or named_member is not None or OURS.search(text))
    ):
        if named_member is not None:
            return Understood("fit", language, written, member_id=named_member.id, filters=filters)
        return Understood(
            "fit", language, written, member_id=asker_member_id, filters=filters, for_asker=True
        )

    if SMALL_TALK.search(text) and not re.search(r"\b(challenges?|haaste\w*)\b", text, re.I):
        # "Kuka voitti eilen jääkiekossa?": asking words, but about nothing the records hold
        # (the glossary would read "jää" as ice and find sea-ice researchers).
        return Understood("other", language, written, other="off_topic", settled=False)
    visible = [c for c in vocabulary.challenges if _visible(c, asker_member_id, is_staff)]
    visible_ids = {c.id for c in visible}
    matches = [
        (cid, score) for cid, score in recognizer.challenge_matches(text) if cid in visible_ids
    ]
    specific = _specific_challenge(text, vocabulary, visible, matches, recognizer, plural)
    if specific is not None and filters.place and not _is_in(specific, filters.place):
        # "The City of Oulu seeks partners for ...": not the Espoo challenge most like it.
        specific = None
    solver_cue = bool(SOLVER_CUE.search(text))

    # A team or consortium (or partners) for a named challenge, or for a need.
    referred = has_challenge_word or bool(SPECIFIC_CUE.search(text))
    team_cue = TEAM_CUE.search(text) or (
        specific is not None and referred and PARTNERS_FOR.search(text)
    )
    if team_cue and not (specific and TEAM_STATUS_QUESTION.search(text)):
        if specific is not None and (has_challenge_word or SPECIFIC_CUE.search(text)):
            return Understood(
                "team", language, written, need=specific.title, challenge_id=specific.id,
                filters=_with_kinds(filters, text),
            )  # fmt: skip
        if not plural:
            return Understood(
                "team", language, written, need=_need(text), filters=_with_kinds(filters, text)
            )

    if specific is not None and not (solver_cue and not _asks_about_challenge(text)):
        return Understood(
            "challenge", language, written, challenge_id=specific.id, aspect=_aspect(text)
        )
    if specific is not None and solver_cue and referred:
        # "Who could help Espoo with the cloudburst challenge?": solvers for that challenge;
        # "who can help with leak detection?" stays a need, however like one challenge it is.
        return Understood(
            "solvers", language, written, need=specific.title, challenge_id=specific.id,
            filters=filters,
        )  # fmt: skip
    if (has_challenge_word and not solver_cue) or (
        plural and (LIST_CUE.search(text) or filters.any)
    ):
        topic = _listing_topic(text, vocabulary)
        return Understood("challenges", language, written, need=topic, filters=filters)
    if (filters.statuses or filters.deadline_to) and not solver_cue:
        # "What closes this month?", "mitä voitettiin?": challenges, though the word is missing.
        return Understood("challenges", language, written, need="", filters=filters)
    if MEMBERS_IN_PLACE.search(text) and filters.place:
        # "Which members are based in Kirkenes?": the members there, whatever they do.
        return Understood(
            "solvers", language, written, need="", filters=replace(filters, local=True)
        )
    if named_member is not None and not solver_cue and not NEED_STATEMENT.search(text):
        return Understood(
            "member",
            language,
            written,
            member_id=named_member.id,
            also_member_ids=tuple(m.id for m in members[1:MEMBERS_COMPARED]),
        )
    if OPEN_ASK.match(text):
        # "Whats open in Neom?", "mitä on auki?": the open challenges, though the word is missing.
        return Understood("challenges", language, written, need="", filters=filters)
    short_question = WH_QUESTION.match(text) and len(re.findall(r"\w+", text)) <= 6
    if short_question and not solver_cue and not NEED_STATEMENT.search(text):
        # "What's the weather?", "where is the printer?": nothing the records answer.
        return Understood("other", language, written, other="off_topic", settled=False)
    need = _need(text)
    if recognizer.off_topic(without_place(need, filters.place)):
        return Understood("other", language, written, other="off_topic", settled=False)
    return Understood(
        "solvers",
        language,
        written,
        need=need,
        filters=_with_kinds(filters, text),
        settled=solver_cue,
    )


PARTNERS_FOR = _words(r"\b(partners?|kumppan\w*)\b")
OURS = _words(
    r"\b(us|our|ours|we|my (company|organi[sz]ation|team|firm)|meille|meidän|meitä|"
    r"minun organisaati\w*)\b"
)
MEMBERS_IN_PLACE = _words(
    r"\b(members?|compan(y|ies)|organi[sz]ations?|firms?|startups?|partners?|jäsen\w*|"
    r"yrity\w*|organisaati\w*|toimij\w*)\b.*\b(based|located|in|from|there|sijait\w*|"
    r"toimi\w*|ovat)\b"
)
CONTACT_CUE = _words(
    r"\b(who (is|'s)? ?the (\w+ ){0,2}(ceo|cto|cfo|coo|head|director|manager|founder|lead|"
    r"contact|person|officer|engineer|scientist|professor|cpo|specialist|coordinator|"
    r"advis[eo]r|analyst|researcher)|who's the|who( is|'s) (their|its)|"
    r"who (at|in|from)|who (there|should i|do i|can i|could i) "
    r"(talk|speak|contact|call|write|reach|ask)|whom (should|do|can) i|contact person|"
    r"point of contact|who handles|who is responsible|who takes care|who runs|who leads|"
    r"who manages|kehen|keneen|kenelle|kenen kanssa|kenen puoleen|yhteyshenkilö\w*|"
    r"kuka (siellä|heillä|"
    r"hoitaa|vastaa|johtaa|tekee|on heidän|on niiden)|kuka \w+:?(lla|llä|ssa|ssä|lta|ltä) "
    r"(tekee|hoitaa|vastaa|on|johtaa|osaa)|toimitusjohtaja|teknologiajohtaja)\b"
)
ROLES = {
    "ceo": ("ceo", "chief executive", "toimitusjohtaja", "managing director"),
    "cto": ("cto", "chief technology", "teknologiajohtaja", "technology director"),
    "cfo": ("cfo", "chief financial", "talousjohtaja"),
    "coo": ("coo", "chief operating"),
    "cpo": ("cpo", "chief product"),
    "founder": ("founder", "perustaja"),
    # "head of R&D" is a "tuotekehityspäällikkö" (head of product development) in Finnish
    "r&d": ("r&d", "research and development", "product development", "tuotekehity", "t&k"),
    "head": ("head", "johtaja", "director", "päällikkö", "manager"),
}
#: How a role asked for is named back when nobody holds it.
ROLE_LABELS = {"ceo": "CEO", "cto": "CTO", "cfo": "CFO", "coo": "COO", "cpo": "CPO", "r&d": "R&D"}


def _holds(role: str, name: str) -> bool:
    """Whether a person's ``role`` (lower case) is the role ``name``: an acronym as a word of
    its own ("cto" is not in "director"), a word anywhere ("johtaja" in "toimitusjohtaja")."""
    if len(name) <= 3:
        return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", role) is not None
    return name in role


# What is asked of a person named ("Tiina Salosen rooli", "Knut Eriksen's email"): the person,
# not the organisation named beside them.
PERSON_DETAIL = _words(
    r"\b(role|rooli\w*|title|titteli\w*|position|job|tehtävä\w*|e-?mail|sähköposti\w*|"
    r"phone|puhelin\w*|number|numero\w*|contact details|yhteystied\w*)\b"
)


def _asks_for_a_contact(text: str) -> bool:
    return bool(CONTACT_CUE.search(text))


def _asks_a_role_s_detail(text: str) -> bool:
    """Whether ``text`` asks for the e-mail, phone or contact details of a role at an
    organisation ("the email of the CEO of Sisäilma Sense", "Sisäilma Sensen
    toimitusjohtajan sähköposti": the role with a Finnish ending)."""
    return bool(PERSON_DETAIL.search(text)) and any(r != "head" for r in _roles_asked(text))


def _roles_asked(text: str) -> dict[str, tuple[str, ...]]:
    """The roles of `ROLES` that ``text`` names (by key as a word, or by any other name of
    it, Finnish endings included: "toimitusjohtajan"), with their names."""
    lowered = text.lower()
    return {
        role: names for role, names in ROLES.items() if re.search(rf"\b{role}\b", lowered) or any(
            n in lowered for n in names[1:]
        )
    }  # fmt: skip


WHO = _words(r"\b(who|whom|who's|whos|kuka|kenen|kehen|keneen|ketä|kenelle|keneltä)\b")


def _asks_for_a_role(text: str, member_id: int, vocabulary: Vocabulary) -> bool:
    """Whether ``text`` asks who holds a role one of the member's people holds, in the words
    of their record ("kuka on Oulun kaupungin innovaatioasiantuntija?"): the role's words
    whole, the last with room for a Finnish ending ("innovaatioasiantuntijaa")."""
    if not WHO.search(text):
        return False
    lowered = text.lower()
    for person in vocabulary.people:
        if person.member_id != member_id:
            continue
        for role in re.split(r"[,;/]", person.role.lower()):
            words = role.split()
            if not words or len(role.strip()) < 5:
                continue
            phrase = r"\s+".join(re.escape(w) for w in words)
            if re.search(rf"\b{phrase}\w{{0,4}}\b", lowered):
                return True
    return False


THERE = _words(
    r"\b(there|them|they|their|that (one|company|organi[sz]ation)|siellä|heillä|heidän|heihin|"
    r"heille|niillä|niihin|sinne|tuolla)\b"
)


DOING_CUE = _words(
    r"\b(kuka (hoitaa|vastaa|johtaa|tekee)|who (handles|is responsible|takes care|runs|leads|"
    r"manages))\b"
)


def _asks_whom_there(text: str) -> bool:
    """A contact question about an organisation it does not name ("who should I contact
    there?", "kehen otan yhteyttä?"), as opposed to "who handles leak detection?"."""
    cue = CONTACT_CUE.search(text)
    if cue is None:
        return False
    rest = re.findall(r"\w+", text[: cue.start()] + " " + text[cue.end() :])
    if DOING_CUE.search(cue.group(0)) and rest and not THERE.search(text):
        # "Kuka tekee kiinteistöhuollon työnohjausta?", "who handles snow logistics?": who
        # does a thing, a need, unless "there" points at an organisation.
        return False
    if len(rest) > 8:
        return (
            False  # a need with a contact question at its end ("...who in the cluster does this?")
        )
    return bool(THERE.search(text)) or len(rest) <= 2


# The person to talk to at an organisation when nothing narrower is asked: its head.
HEAD_ROLE = _words(
    r"\b(ceo|chief executive|managing director|toimitusjohtaja|founder|co-founder|perustaja)\b"
)


def _person_at(member_id: int, text: str, language: Language, vocabulary: Vocabulary) -> Understood:
    """The person at a member who best fits what is asked ("the CTO", "LCA", "Madridin asiat"):
    a role asked for, then the words of their role and expertise the message shares (stems,
    so Finnish endings and the glossary's other language count), then, when the message asks
    nothing narrower ("who should I talk to there?"), the head of the organisation."""
    people = [p for p in vocabulary.people if p.member_id == member_id]
    if not people:
        return Understood("member", language, text, member_id=member_id)
    lowered = text.lower()
    wanted_roles = _roles_asked(text)
    asked = stems_of(_ACRONYM_CASE.sub(r"\1", text))

    def evidence(person: NamedPerson) -> float:
        about = f"{person.role} {' '.join(person.expertise)}"
        score = float(len(asked & stems_of(about)))
        for names in wanted_roles.values():
            if any(_holds(person.role.lower(), n) for n in names):
                score += 2.0
        return score

    def likeness(person: NamedPerson) -> float:
        about = f"{person.role} {' '.join(person.expertise)}".lower()
        return fuzz.token_set_ratio(lowered, about) / 100

    heads = [p for p in people if HEAD_ROLE.search(p.role)]
    if heads and max(evidence(p) for p in people) == 0:
        best = heads[0]
    else:
        best = max(people, key=lambda p: (evidence(p), likeness(p)))
    not_held = next(
        (
            ROLE_LABELS.get(role, role)
            for role, names in wanted_roles.items()
            if role != "head" and not any(_holds(p.role.lower(), n) for p in people for n in names)
        ),
        "",
    )
    return Understood(
        "person", language, text, person_id=best.id, member_id=member_id, role_not_held=not_held
    )


KIND_WORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        _words(
            r"\b(companies only|only companies|just companies|no (research institutes|"
            r"universities|academics)|drop the (research institutes|universities)|without "
            r"(research institutes|universities)|vain yrityks\w*|pelkät yritykset|ei "
            r"(tutkimuslaitoksia|yliopistoja))\b"
        ),
        ("company",),
    ),
    (
        _words(
            r"\b(universities only|only universities|research institutes? only|only research|"
            r"academic partners?|vain (yliopist|tutkimus)\w*)\b"
        ),
        ("university", "research_institute"),
    ),
)


def _with_kinds(filters: Filters, text: str) -> Filters:
    for pattern, kinds in KIND_WORDS:
        if pattern.search(text):
            return replace(filters, kinds=kinds)
    return filters


def _asks_about_challenge(text: str) -> bool:
    return bool(
        re.search(
            r"\b(when|deadline|status|close|closes|closing|open|who is on|who'?s on|who are on|"
            r"working on|team|needs|milloin|takaraja|tilanne|sulkeutuu|päättyy|auki|tiimi|"
            r"tarpeet|mukana)\b",
            text,
            re.IGNORECASE,
        )
    )


def _aspect(text: str) -> Aspect:
    lowered = text.lower()
    if re.search(r"\b(when|deadline|close|closes|closing|due|milloin|takaraja|sulkeutuu|päättyy|"
                 r"määräaika)\b", lowered):  # fmt: skip
        return "deadline"
    if re.search(
        r"\b(who is on|who'?s on|who are on|working on|team|tiimi\w*|kuka on mukana|ketkä ovat)\b",
        lowered,
    ):
        return "team"
    if re.search(r"\b(status|still open|is it open|tilanne|vielä auki)\b", lowered):
        return "status"
    if re.search(r"\b(needs?|missing|tarpee\w*|puuttuu)\b", lowered):
        return "needs"
    return ""


def _is_in(challenge: NamedChallenge, place: str) -> bool:
    wanted = place.lower()
    if wanted[:STEM] in challenge.stems:
        return True  # a district its title names ("Aviapolis", "Hiedanranta")
    return any(
        value and (wanted == value.lower() or wanted in value.lower())
        for value in (
            challenge.city,
            challenge.region,
            challenge.country,
            challenge.owner_name,
            challenge.title,
        )
    )


def _specific_challenge(
    text: str,
    vocabulary: Vocabulary,
    visible: Sequence[NamedChallenge],
    matches: Sequence[tuple[int, float]],
    recognizer: Recognizer,
    plural: bool,
) -> NamedChallenge | None:
    # A slug or an exact title is the challenge, whatever else the message says.
    lowered = text.lower()
    for challenge in visible:
        named = challenge.slug in lowered or (
            len(challenge.title) >= 12 and challenge.title.lower() in lowered
        )
        if named:
            return challenge
    if plural or not matches:
        return None
    cued = bool(SPECIFIC_CUE.search(text) or CHALLENGE_WORD.search(text))
    if not recognizer.is_specific(matches, cued=cued):
        return None
    best = vocabulary.challenge(matches[0][0])
    if best is None or cued or _names_it(text, best, visible):
        return best
    # Nothing says "the challenge" and no name of it is used: "flooding sensors for
    # underpasses" is a need (its solvers' answer lists the challenge as related), not a
    # request for the one challenge that is most like it.
    return None


def _names_it(text: str, challenge: NamedChallenge, visible: Sequence[NamedChallenge]) -> bool:
    """Whether ``text`` uses a name only this challenge (or one other) goes by: a capitalised
    word of its title, slug or place ("Kera", "Hiedanranta", "Aviapolis")."""
    for token in re.findall(r"\b[A-ZÅÄÖ][\w-]{2,}", text):
        stem = token.lower()[:STEM]
        if token.lower() in ASKING_WORDS or stem not in challenge.stems:
            continue
        if sum(stem in c.stems for c in visible) <= 2:
            return True
    return False


_LISTING_WORDS = re.compile(
    r"\b(which|what|are|is|there|any|list|show|me|all|every|the|open|currently|right|now|"
    r"challenges?|chal+enges?|opportunit(y|ies)|calls?|tenders?|in|at|from|for|of|on|with|"
    r"about|this|next|month|week|year|soon|closing|close|deadline|deadlines|won|lost|closed|"
    r"submitted|ongoing|active|do|we|have|has|our|us|please|can|you|i|haaste\w*|mitkä|mitä|"
    r"onko|ovat|on|auki|avoinna|avoimet|avoimia|kaikki|tällä|hetkellä|tässä|kuussa|ensi|"
    r"viikolla|näytä|listaa|joissa|jotka|liittyvät|liittyen|koskien|aiheesta|aiheena|"
    r"voitetut|hävityt|suljetut|pian|sulkeutuvat|takaraja|meillä|mahdollisuu\w*|proposals?|"
    r"decisions?|waiting|ehdotu\w*|päätö\w*|odottaa|odottavat|related|liittyv\w*|teams?|"
    r"yet|no|without|nobody|joined|tiimi\w*|vielä|ilman|vailla|ei|ole|still|remain\w*|"
    r"restricted|public|julkiset|julkisia|rajatut|rajattuja|private|confidential|that)\b",
    re.IGNORECASE,
)


def _listing_topic(text: str, vocabulary: Vocabulary) -> str:
    """What a listing is about beyond its filters ("energy", "vesi"), or "": the words left
    once the asking, listing and filter words are gone, kept only when the records use them
    (or a form of them)."""
    rest = _LISTING_WORDS.sub(" ", text)
    place = find_place(text, vocabulary)
    prefixes = {w[:6] for w in vocabulary.words if len(w) >= 6}
    kept = []
    for word in re.findall(r"[^\W\d_]{4,}", rest):
        lowered = word.lower()
        if (
            lowered in ASKING_WORDS
            or lowered in MONTHS
            or any(lowered.startswith(m) for m in MONTHS)
        ):
            continue
        if place and _names_place(lowered, place, vocabulary):
            continue
        if lowered in vocabulary.words or (len(lowered) >= 6 and lowered[:6] in prefixes):
            kept.append(word)
    return " ".join(kept)


def _reads_as_follow_up(text: str, vocabulary: Vocabulary, filters: Filters) -> bool:
    """A reply that continues the earlier question ("and in Tampere?", "what about smaller
    companies?"), not a new question with its own verb and subject."""
    words = re.findall(r"\w+", text)
    if len(words) > 8:
        return False
    if FOLLOW_UP.match(text):
        return True
    if any(pattern.search(text) for pattern, _ in KIND_WORDS):
        return True
    # Only a modifier: a place, a size, a status, a deadline ("Oulussa?", "won ones?").
    return len(words) <= 3 and filters.any and not SOLVER_CUE.search(text)


def _continue(earlier: Understood, text: str, language: Language, filters: Filters) -> Understood:
    merged = Filters(
        place=filters.place or earlier.filters.place,
        local=filters.local or (bool(filters.place) and earlier.intent in ("solvers", "team")),
        statuses=filters.statuses or earlier.filters.statuses,
        every_status=filters.every_status or earlier.filters.every_status,
        deadline_from=filters.deadline_from or earlier.filters.deadline_from,
        deadline_to=filters.deadline_to or earlier.filters.deadline_to,
        sizes=filters.sizes or earlier.filters.sizes,
        kinds=_with_kinds(filters, text).kinds or earlier.filters.kinds,
        published_from=filters.published_from or earlier.filters.published_from,
        without_team=filters.without_team or earlier.filters.without_team,
        visibility=filters.visibility or earlier.filters.visibility,
    )
    need = earlier.need
    if filters.place and earlier.filters.place and filters.place != earlier.filters.place:
        # "and in Madrid?" after "flooding in Nusantara": flooding, now in Madrid.
        need = without_place(need, earlier.filters.place)
    return replace(
        earlier,
        need=need,
        text=f"{earlier.text} {text}",
        # "entä Espoossa?" is too short to tell its language: the thread's goes on.
        language=language if len(re.findall(r"\w+", text)) >= 4 else earlier.language,
        filters=merged,
        follows_up=True,
    )


def without_place(text: str, place: str) -> str:
    """``text`` without the place it names ("flooding in Nusantara" -> "flooding"): a place in a
    need says where the work is, not what skill it takes."""
    if not place:
        return text
    tokens = text.split()
    kept: list[str] = []
    for token in tokens:
        if _place_matches(token.lower().strip("?!.,:;()"), place.lower()):
            if kept and kept[-1].lower() in ("in", "at", "for", "around", "near", "of", "from"):
                kept.pop()
            continue
        kept.append(token)
    return " ".join(kept).strip(" ,") or text


def need_of(text: str) -> str:
    """The need a solver question asks about, without its asking words: what the Home tab's
    "why your profile matters" names as the question's topic."""
    return _need(text)
