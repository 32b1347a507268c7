"""The language tour: in English, French, Arabic and Turkish a member signs in and visits the
main page of every feature (and an admin the admin pages) in a real Chromium, 390 px wide.

Each page must carry the reader's ``lang`` and ``dir``, never scroll sideways, open its main
menu, and show no English interface sentence that the English page shows too (user content,
isolated with dir="auto" or <bdi>, TLP labels, handling codes, numbers, dates and addresses
aside). One server and one scene serve the whole module; each language has one browser
context, and each page is visited once.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from babel import Locale

from emisa.i18n import language_names
from tests.conftest import (
    bearer,
    browser_login,
    free_port,
    group_factory,
    module_platform,
    start_server,
    stop_server,
    user_factory,
)
from tests.discussions.support import api_token

pytestmark = pytest.mark.browser

LANGUAGES = ("en", "fr", "ar", "tr")
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 900}
# One member per language. The English reader's name is in Arabic script and the Arabic
# reader's in Latin letters, so each of them sees a name of the other direction next to a time.
MEMBERS = {
    "en": ("كريم حداد", "JO"),
    "fr": ("Claire Dubois", "FR"),
    "ar": ("Rami Khoury", "LB"),
    "tr": ("Ayşe Yılmaz", "TR"),  # noqa: RUF001 (a Turkish name has a dotless i)
}
SEARCH_WORD = "radicalisation"

# Words spelled the same in English and in the language, which a translation may keep.
SAME_WORD = {
    "fr": {
        "Action",
        "Actions",
        "Administration",
        "Agenda",
        "Audit",
        "Code",
        "Date",
        "Description",
        "Documents",
        "Document",
        "Message",
        "Messages",
        "Notifications",
        "Observation",
        "Organisation",
        "Options",
        "Pages",
        "Participants",
        "Public",
        "Question",
        "Sessions",
        "Session",
        "Source",
        "Total",
        "Type",
        "Version",
        "Versions",
        "Notes",
        "Note",
        "Tags",
        "Menu",
        "Discussions",
        "Images",
        "Archives",
        "Label",
        "public",
        "document",
        "Sahel",
    },
    "tr": {"Audit", "Admin", "Tags", "Total", "Sahel"},
    "ar": set(),
}
# Not interface text: the brand, TLP labels, handling codes, e-mail addresses, country and
# unit codes, media types, numbers.
NOT_INTERFACE = re.compile(
    r"\bEMISA\b|TLP:[A-Z+-]+|\bH[0-3]\b|[\w.+-]+@[\w-]+(\.[\w-]+)+|\b[A-Z]{2,5}\b"
    r"|\b(B|KiB|MiB|GiB)\b|\b[a-z]+/[a-z0-9.+-]+\b"
)
# The interface languages, each named in itself ("English", "Français").
SELF_NAMES = {name for _code, name in language_names()}
# A time zone identifier, as the zone choices show it (Europe/Isle of Man).
ZONE = re.compile(r"[A-Z][A-Za-z]+(/[A-Za-z0-9 _+-]+)+")
LATIN_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Za-z]{2,}")

# Visible text of the page, leaf by leaf: user content (dir="auto", <bdi>), TLP labels,
# <time> and <code>, hidden parts and parts in another language (the language switch) aside.
COLLECT_TEXT = """() => {
  const skipped = 'script, style, noscript, template, [hidden], [dir="auto"], bdi, .tlp, '
    + 'time, code';
  const pageLang = document.documentElement.lang;
  const texts = [];  // not document.title: it mixes names into text no element isolates
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.replace(/\\s+/g, " ").trim();
    if (!text || !parent || parent.closest(skipped)) continue;
    const marked = parent.closest("[lang]");
    if (marked && marked.lang !== pageLang) continue;
    texts.push(text);
  }
  for (const node of document.querySelectorAll("[placeholder], [aria-label]")) {
    if (node.closest(skipped)) continue;
    for (const name of ["placeholder", "aria-label"]) {
      if (node.getAttribute(name)) texts.push(node.getAttribute(name).trim());
    }
  }
  return texts;
}"""

# What sticks out of the viewport, to name it when a page scrolls sideways.
WIDE_ELEMENTS = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const node of document.body.querySelectorAll("*")) {
    const box = node.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1)) {
      const classes = typeof node.className === "string" ? node.className.trim() : "";
      const name = node.tagName.toLowerCase() + (node.id ? "#" + node.id : "")
        + (classes ? "." + classes.split(/\\s+/).join(".") : "");
      out.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
  }
  return out.slice(-5);
}"""


# Elements turned round other than pointing arrows (and one's own camera, a mirror).
TURNED_ROUND = """() => [...document.body.querySelectorAll("*")]
  .filter((node) => !node.matches(".pointing, .tile.me video")
    && getComputedStyle(node).transform.startsWith("matrix(-1"))
  .map((node) => node.tagName.toLowerCase() + (node.className ? "." + node.className : ""))"""


@dataclass
class Visit:
    lang: str
    dir: str
    scroll_width: int
    inner_width: int
    wide: list[str]
    texts: list[str] = field(default_factory=list)
    turned_round: list[str] = field(default_factory=list)


@dataclass
class Tour:
    """What one language's member and admin saw."""

    visits: dict[str, Visit]
    nav_first_x: float
    nav_last_x: float
    menu_hidden_before: bool
    menu_shown_after: bool
    menu_expanded: str | None
    # The group page's first two tabs (one row at 390 px): their boxes.
    tabs: list = field(default_factory=list)
    # The back link's arrow on the thread page: its computed transform.
    arrow_transform: str = ""
    # The member's own chat line in the room: the boxes of their name and of its time.
    chat_name: dict = field(default_factory=dict)
    chat_time: dict = field(default_factory=dict)


@dataclass
class Scene:
    app: object
    base: str
    pages: dict[str, str]
    admin_pages: dict[str, str]
    members: dict
    admins: dict
    coordinator: object
    # Pages beyond the tour, by who may open them (None: signed out), for the width sweeps.
    more_pages: dict


def _build_scene(app) -> tuple[dict, dict, dict, dict]:
    """A working group with a coordinator and one member per language, a published document
    with an Arabic file name, a thread, a meeting (which notifies the members)."""
    from emisa.accounts.models import User
    from emisa.database import commit
    from emisa.documents.models import Document
    from emisa.documents.operations import set_public
    from emisa.extensions import db
    from emisa.meetings.models import Meeting
    from emisa.timeutil import utcnow

    make_user, make_group = user_factory(app), group_factory(app)
    coordinator = make_user("layla@justice.example", name="ليلى حداد", country="JO")
    members, admins = {}, {}
    for lang, (name, country) in MEMBERS.items():
        members[lang] = make_user(f"member-{lang}@justice.example", name=name, country=country)
        admins[lang] = make_user(f"admin-{lang}@emisa.example", name=f"Admin {lang}", admin=True)
    with app.app_context():
        for lang in LANGUAGES:
            for persona in (members[lang], admins[lang]):
                db.session.get(User, persona.id).language = lang
        db.session.get(User, coordinator.id).language = "ar"
        commit()
    gid = make_group(
        "Prison and probation exchange",
        mandate="Exchange on the supervision of released offenders.",
        members={coordinator: "coordinator", **{m: "member" for m in members.values()}},
    )

    client = app.test_client()
    auth = bearer(api_token(app, coordinator))
    answer = client.post(
        f"/api/v1/groups/{gid}/documents",
        data={
            "title": "دليل تقييم المخاطر",
            "tlp": "TLP:CLEAR",
            "file": (io.BytesIO(b"%PDF-1.4 risk assessment guide"), "دليل المخاطر.pdf"),
        },
        headers=auth,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    document_id = answer.get_json()["id"]
    with app.app_context():
        set_public(
            db.session.get(Document, document_id), True, db.session.get(User, coordinator.id)
        )
        commit()
    answer = client.post(
        f"/api/v1/groups/{gid}/threads",
        json={
            "title": "Risk assessment of returnees",
            "body": f"Which {SEARCH_WORD} risk tools do your services use? — أداة VERA-2R",
            "tlp": "TLP:GREEN",
        },
        headers=auth,
    )
    assert answer.status_code == 201, answer.get_json()
    thread_id = answer.get_json()["id"]
    start = utcnow() + timedelta(days=1)
    answer = client.post(
        f"/api/v1/groups/{gid}/meetings",
        json={
            "title": "اجتماع تنسيقي",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "agenda": ["Welcome", "Case review"],
            "tlp": "TLP:AMBER",
        },
        headers=auth,
    )
    assert answer.status_code == 201, answer.get_json()
    meeting_id = answer.get_json()["id"]
    with app.app_context():  # the coordinator has opened the room: members go in and chat
        db.session.get(Meeting, meeting_id).state = "open"
        commit()

    pages = {
        "dashboard": "/",
        "group": f"/groups/{gid}",
        "documents": f"/groups/{gid}/documents",
        "document": f"/documents/{document_id}",
        "discussions": f"/groups/{gid}/discussions",
        "thread": f"/threads/{thread_id}",
        "meetings": "/meetings",
        "group meetings": f"/groups/{gid}/meetings",
        "meeting": f"/meetings/{meeting_id}",
        "room": f"/meetings/{meeting_id}/room",
        "library": "/best-practice",
        "search": f"/search?q={SEARCH_WORD}",
        "notifications": "/notifications",
        "account": "/account",
    }
    admin_pages = {
        "admin accounts": "/admin/accounts",
        "admin account": f"/admin/accounts/{members['ar'].id}",
    }
    more_pages = {
        "member": [
            "/groups",
            f"/groups/{gid}/discussions/new",
            f"/documents/{document_id}/download",
            "/notifications/settings",
        ],
        "coordinator": [
            f"/groups/{gid}/edit",
            f"/groups/{gid}/meetings/new",
            f"/meetings/{meeting_id}/edit",
            f"/threads/{thread_id}/move",
        ],
        "admin": ["/admin/audit", "/admin/accounts/invite", "/groups/new"],
        None: ["/login", "/library"],
    }
    return pages, admin_pages, members, admins, coordinator, more_pages


@pytest.fixture(scope="module")
def scene(tmp_path_factory, schema_template):
    """One platform, served by one ``python app.py``, with one scene, for the whole tour."""
    with module_platform(tmp_path_factory, schema_template, "languages") as (app, config):
        pages, admin_pages, members, admins, coordinator, more_pages = _build_scene(app)
        port = free_port()
        server = start_server(config, port)
        try:
            yield Scene(
                app,
                f"http://127.0.0.1:{port}",
                pages,
                admin_pages,
                members,
                admins,
                coordinator,
                more_pages,
            )
        finally:
            stop_server(server)


def _visit(page, url: str, then=None) -> Visit:
    """Load the page, let ``then(page)`` act on it, and measure it."""
    page.goto(url)
    if then:
        then(page)
    html = page.locator("html")
    return Visit(
        lang=html.get_attribute("lang"),
        dir=html.get_attribute("dir"),
        scroll_width=page.evaluate("document.documentElement.scrollWidth"),
        inner_width=page.evaluate("window.innerWidth"),
        wide=page.evaluate(WIDE_ELEMENTS),
        texts=page.evaluate(COLLECT_TEXT),
        turned_round=page.evaluate(TURNED_ROUND),
    )


def _take_tour(browser, scene: Scene, lang: str) -> Tour:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        browser_login(page, scene.base, scene.members[lang], scene.app)
        # The main navigation, at a desktop width, in reading order.
        page.goto(scene.base + "/")
        links = page.locator(".mainnav a")
        first, last = links.first.bounding_box(), links.last.bounding_box()
        # At a phone's width the menu folds behind its button, which the keyboard opens.
        page.set_viewport_size(PHONE)
        toggle = page.locator(".menu-toggle")
        menu_hidden_before = not page.locator(".mainnav").is_visible()
        expanded = None
        if toggle.is_visible():
            toggle.focus()
            page.keyboard.press("Enter")
            expanded = toggle.get_attribute("aria-expanded")
        menu_shown_after = page.locator(".mainnav").is_visible()

        seen = Tour({}, first["x"], last["x"], menu_hidden_before, menu_shown_after, expanded)

        def chat(page):
            """In the room (shown once the socket has joined), say hello, then measure the line."""
            page.wait_for_selector("#room-body:not([hidden])")
            page.fill("#chat-text", "Hello / مرحبا")
            page.press("#chat-text", "Enter")
            line = page.locator("#chat-log li.mine").first
            line.wait_for()
            seen.chat_name = line.locator(".who > *").bounding_box()
            seen.chat_time = line.locator("time").bounding_box()

        def arrow(page):
            seen.arrow_transform = page.eval_on_selector(
                ".pointing", "node => getComputedStyle(node).transform"
            )

        def tabs(page):
            seen.tabs = [page.locator(".tabs a").nth(index).bounding_box() for index in (0, 1)]

        actions = {"room": chat, "thread": arrow, "group": tabs}
        for name, path in scene.pages.items():
            seen.visits[name] = _visit(page, scene.base + path, actions.get(name))
        context.clear_cookies()
        browser_login(page, scene.base, scene.admins[lang], scene.app)
        for name, path in scene.admin_pages.items():
            seen.visits[name] = _visit(page, scene.base + path)
        return seen
    finally:
        context.close()


@pytest.fixture(scope="module")
def tour(browser, scene):
    """``tour(lang)``: each language toured once, whichever test asks first."""
    done: dict[str, Tour | Exception] = {}

    def take(lang: str) -> Tour:
        if lang not in done:
            try:
                done[lang] = _take_tour(browser, scene, lang)
            except Exception as error:  # every test of the language reports it, once taken
                done[lang] = error
        if isinstance(done[lang], Exception):
            raise done[lang]
        return done[lang]

    return take


@functools.cache
def country_names(lang: str) -> frozenset[str]:
    """Countries as CLDR names them in the language: Kenya is Kenya in French too."""
    return frozenset(Locale.parse(lang).territories.values())


def english_left(text: str, lang: str) -> bool:
    """Whether the text is an English sentence (or a word the language spells otherwise)."""
    if ZONE.fullmatch(text) or re.sub(r"\s*\([A-Z]{2}\)$", "", text) in country_names(lang):
        return False
    if text in SELF_NAMES:  # the language choices, each named in itself
        return False
    words = LATIN_WORD.findall(NOT_INTERFACE.sub(" ", text))
    if len(words) >= 2:
        return True
    return len(words) == 1 and len(words[0]) >= 4 and words[0] not in SAME_WORD[lang]


def untranslated(seen: dict[str, list[str]], english: dict[str, list[str]], lang: str) -> list[str]:
    """'page: text' for each English interface text a page shows unchanged from English."""
    found = []
    for name, texts in seen.items():
        in_english = set(english[name])
        found += [
            f"{name}: {text!r}"
            for text in dict.fromkeys(texts)
            if text in in_english and english_left(text, lang)
        ]
    return found


def texts_of(seen: Tour) -> dict[str, list[str]]:
    return {name: visit.texts for name, visit in seen.visits.items()}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_speaks_the_readers_language_and_direction(tour, lang):
    wrong = {
        name: (visit.lang, visit.dir)
        for name, visit in tour(lang).visits.items()
        if (visit.lang, visit.dir) != (lang, "rtl" if lang == "ar" else "ltr")
    }
    assert not wrong


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_page_scrolls_sideways_on_a_phone_and_the_menu_opens(tour, lang):
    seen = tour(lang)
    wide = {
        name: (visit.scroll_width, visit.inner_width, visit.wide)
        for name, visit in seen.visits.items()
        if visit.scroll_width > visit.inner_width
    }
    assert not wide
    assert seen.menu_hidden_before and seen.menu_shown_after and seen.menu_expanded == "true"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_main_navigation_and_tabs_start_where_the_language_reads_from(tour, lang):
    seen = tour(lang)
    first_tab, second_tab = seen.tabs
    assert first_tab["y"] == second_tab["y"]
    if lang == "ar":
        assert seen.nav_first_x > seen.nav_last_x
        assert first_tab["x"] > second_tab["x"]
    else:
        assert seen.nav_first_x < seen.nav_last_x
        assert first_tab["x"] < second_tab["x"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_arrows_point_the_way_the_page_reads(tour, lang):
    """The back link's arrow turns round in Arabic (and only there); nothing else does: bells,
    cameras, hands and locks do not point."""
    seen = tour(lang)
    assert seen.arrow_transform.startswith("matrix(-1") == (lang == "ar")
    turned = {name: visit.turned_round for name, visit in seen.visits.items() if visit.turned_round}
    assert not turned


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_name_of_the_other_direction_keeps_its_place_before_the_time(tour, lang):
    """In the meeting chat an Arabic name in an English page, or a Latin name in an Arabic page,
    stays whole before its time: isolated, it does not drag the time to its own side."""
    seen = tour(lang)
    name, time = seen.chat_name, seen.chat_time
    if lang == "ar":
        assert time["x"] + time["width"] <= name["x"] + 1
    else:
        assert time["x"] >= name["x"] + name["width"] - 1


def _too_wide(page, base: str, paths, width: int) -> dict:
    wide = {}
    for path in paths:
        page.goto(base + path)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            wide[path] = (scroll_width, page.evaluate(WIDE_ELEMENTS))
    return wide


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_every_other_page_fits_the_screen_in_arabic(browser, scene, viewport):
    """Beyond the tour (and at a tablet's width, the tour's pages too), in right to left: the
    forms, the sign-in page, the public library, the audit log."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    width = viewport["width"]
    try:
        wide = _too_wide(page, scene.base, scene.more_pages[None], width)
        people = {
            "member": scene.members["ar"],
            "coordinator": scene.coordinator,
            "admin": scene.admins["ar"],
        }
        for who, persona in people.items():
            browser_login(page, scene.base, persona, scene.app)
            paths = list(scene.more_pages[who])
            if viewport is TABLET and who == "member":
                paths += [path for name, path in scene.pages.items() if name != "room"]
            wide.update(_too_wide(page, scene.base, paths, width))
            context.clear_cookies()
        assert not wide
    finally:
        context.close()


def test_without_script_the_menu_is_simply_shown(browser, scene):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, scene.base, scene.members["en"], scene.app)
        assert page.locator(".mainnav").is_visible()
        assert not page.locator(".menu-toggle").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_no_english_interface_text_remains(tour, lang):
    left = untranslated(texts_of(tour(lang)), texts_of(tour("en")), lang)
    assert not left, f"English left on {lang} pages:\n" + "\n".join(left)


def test_the_comparison_names_english_left_and_spares_what_is_not_interface():
    english = [
        "Upload a document",
        "Documents",
        "Save",
        "TLP:AMBER",
        "TLP:AMBER+STRICT",
        "H2",
        "12 KiB",
        "ann@agency.example",
        "EMISA",
        "Europe/Brussels",
        "Europe/Isle of Man",
        "Kenya (KE)",
        "application/pdf",
        "English",
        "2026-12-06 15:00",
        "BE · FR",
    ]
    assert untranslated({"p": english}, {"p": english}, "fr") == [
        "p: 'Upload a document'",
        "p: 'Save'",
    ]
    french = ["Téléverser un document", "Documents", "Enregistrer", "Save the date"]
    assert untranslated({"p": french}, {"p": english}, "fr") == []
