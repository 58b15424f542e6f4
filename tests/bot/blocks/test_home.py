"""The Home tab view: valid Block Kit within 100 blocks whatever the data, with paging."""

from __future__ import annotations

from bot import ids
from bot.blocks.home import build_home, build_unknown_home
from bot.services.home import HomePage, OrganisationProfile, TeamSummary
from bot.services.identity import Viewer
from storage.models import DigestFrequency
from tests.bot.block_kit import assert_valid_view
from tests.bot.blocks.test_challenge_card import summary

VIEWER = Viewer(
    person_id=1,
    name="Aino Virtanen",
    email="aino@example.com",
    is_staff=False,
    member_id=2,
    member_name="Arctic Sense Oy",
    digest_frequency=DigestFrequency.DAILY,
    slack_user_id="U1",
)
PROFILE = OrganisationProfile(
    slug="arctic-sense",
    name="Arctic Sense Oy",
    kind="company",
    city="Oulu",
    country="Finland",
    description="S" * 5000,
    capabilities=tuple(f"capability {i}" for i in range(300)),
    technologies=("LoRaWAN",),
)


def page(**changes: object) -> HomePage:
    values: dict[str, object] = {
        "viewer": VIEWER,
        "organisation": PROFILE,
        "challenges": tuple(summary(id=i, slug=f"c{i}") for i in range(5)),
        "challenges_total": 12,
        "page": 1,
        "page_size": 5,
        "interests": tuple(summary(id=i, slug=f"i{i}") for i in range(10)),
        "teams": tuple(TeamSummary("Team Ice", "forming", "Ice " * 200) for _ in range(10)),
        "digest_frequency": DigestFrequency.DAILY,
    }
    return HomePage(**(values | changes))  # type: ignore[arg-type]


def test_full_home_is_valid_and_pages_both_ways() -> None:
    view = build_home(page())
    assert_valid_view(view)
    assert view["type"] == "home"
    text = str(view["blocks"])
    assert "Open challenges (6–10 of 12)" in text
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ids.HOME_PAGE, "0"),
        (ids.HOME_PAGE, "2"),
    ]
    digest = next(b for b in view["blocks"] if b.get("block_id") == "home_digest")
    assert digest["accessory"]["action_id"] == ids.HOME_DIGEST
    assert digest["accessory"]["initial_option"]["value"] == "daily"


def test_empty_home_without_organisation_says_so() -> None:
    view = build_home(
        page(organisation=None, challenges=(), challenges_total=0, page=0, interests=(), teams=())
    )
    assert_valid_view(view)
    text = str(view["blocks"])
    assert "not linked to a member organisation" in text
    assert "No open challenges right now." in text
    assert not [b for b in view["blocks"] if b["type"] == "actions"]


def test_unknown_home_explains_how_to_get_added() -> None:
    view = build_unknown_home(staff_channel="C0STAFF0001")
    assert_valid_view(view)
    assert "<#C0STAFF0001>" in str(view["blocks"])
