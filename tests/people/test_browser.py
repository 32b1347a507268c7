"""In a real browser: a member edits her profile, another finds her in the directory (at 390 px)."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_member_edits_profile_and_another_finds_her(app, live_server, browser, make_user):
    from emisa.database import commit
    from emisa.people.operations import create_network

    alice = make_user(name="Alice Dubois", country="BE", organisation="Parquet fédéral")
    olga = make_user(name="Olga Schmidt", country="DE")
    eu_and_mena = "AT,BE,BG,HR,CY,CZ,DK,EE,FI,FR,DE,GR,HU,IE,IT,LV,LT,LU,MT,NL,PL,PT,RO,SK,SI,ES,SE"
    with app.app_context():
        network_id = create_network("JP-COOPS", "", eu_and_mena + ",MA,DZ,TN,LY,EG,JO,LB").id
        commit()

    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    browser_login(page, live_server, alice, app)
    page.goto(f"{live_server}/profile")
    _no_sideways_scroll(page)
    page.fill("input[name=position]", "Prosecutor for returnee cases")
    page.select_option("select[name=agency_type]", "prosecution")
    page.fill("input[name=expertise]", "Returnees, Probation")
    page.select_option("select[name=vis_profile]", "platform")
    page.select_option("select[name=vis_name]", "platform")
    page.select_option("select[name=vis_organisation]", "platform")
    page.select_option("select[name=vis_position]", "platform")
    page.select_option("select[name=vis_agency_type]", "platform")
    page.click("button:has-text('Save my profile')")
    assert "Your profile is saved." in page.inner_text("main")
    context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    browser_login(page, live_server, olga, app)
    page.goto(f"{live_server}/people")
    page.fill(".people-filters input[name=q]", "Dubois")
    page.select_option("select[name=agency_type]", "prosecution")
    page.click("form.filters button[type=submit]")
    card = page.locator("article.person-card")
    assert card.count() == 1
    assert "Alice Dubois" in card.inner_text()
    assert "Prosecutor for returnee cases" in card.inner_text()
    _no_sideways_scroll(page)
    card.locator("a").first.click()
    assert "Parquet fédéral" in page.inner_text("main")
    # Her country stayed for co-members: Olga does not see it.
    assert "Belgium" not in page.inner_text("main")
    _no_sideways_scroll(page)
    # The network's map and gap list fit too; each country's tile is a link with its name.
    page.goto(f"{live_server}/networks/{network_id}")
    _no_sideways_scroll(page)
    assert page.locator("svg.tile-map a").count() == 34
    assert page.locator('svg.tile-map a[aria-label="Tunisia: no contact point yet"]').count() == 1
    context.close()
