"""Every action, view and block id the bot's messages and modals carry, in one place.

A button's builder and its listener both name it from here, so they can never disagree. The
string values are what Slack stores on messages already posted: never change one, or the
buttons on old cards and digests stop working.
"""

from __future__ import annotations

# --- answers ------------------------------------------------------------------------------
INTRODUCE = "solver_introduce"
NOT_A_FIT = "solver_not_a_fit"
ASK_STAFF = "ask_staff"
SHARE = "solvers_share"
OPEN_SOURCE = "answer_source"
INTRODUCTION_ACCEPT = "introduction_accept"
INTRODUCTION_DECLINE = "introduction_decline"

# --- a challenge's card and digest items ----------------------------------------------------
#: *I'm interested* on a challenge card: the organisation joins the challenge's team.
JOIN_FROM_CARD = "challenge_interested"
#: *Interested* on a digest item: the organisation's interest is noted and the thread told.
INTEREST_FROM_DIGEST = "digest_interested"
NOT_RELEVANT = "digest_not_relevant"

# --- the challenge intake modal -------------------------------------------------------------
CHALLENGE_MODAL = "challenge_new"
#: The action id of every input in the intake modal (its block id names the field).
INTAKE_VALUE = "value"
#: The block id (before any revision) of the pasted-text input.
INTAKE_PASTE = "paste"
PREFILL = "challenge_prefill"
PREFILL_BLOCK = "prefill"

# --- team rosters and the join modal --------------------------------------------------------
TEAM_ROLE = "team_role"
TEAM_LEAVE = "team_leave"
TEAM_STATUS = "team_status"
TEAM_JOIN_MODAL = "team_join"
#: Block ids of the join modal's two menus, and the action id of each.
JOIN_TEAM_FIELD = "team"
JOIN_ROLE_FIELD = "role"
JOIN_VALUE = "value"

# --- the staff view of a challenge (`/challenge show`, seen only by the staff member) ---------
#: The deadline's date picker: a later day extends it (and reopens a challenge it closed).
CHALLENGE_DEADLINE = "challenge_deadline"
#: Where the daily job moves the challenge once its deadline has passed.
CHALLENGE_AFTER_DEADLINE = "challenge_after_deadline"

# --- the Home tab ----------------------------------------------------------------------------
HOME_PAGE = "home_challenges_page"
HOME_DIGEST = "home_digest_frequency"

# --- members' own profiles (`/profile`, the Home tab, nudges) ---------------------------------
PROFILE_MODAL = "profile_edit"
#: The action id of every input in the profile modal (its block id names the field).
PROFILE_VALUE = "value"
#: *Edit our profile* (Home tab, a nudge's *Edit*); the value is the member's id.
PROFILE_EDIT = "profile_edit_open"
PROFILE_STILL_TRUE = "profile_still_true"
PROFILE_NOT_NOW = "profile_not_now"
#: The Home tab's menu turning profile nudges on or off for the person.
HOME_NUDGES = "home_profile_nudges"
