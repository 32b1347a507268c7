"""One validator for every marked kind: documents, threads and meetings refuse the same markings.

Each refused marking is sent for real through the API of each kind and must answer 400
with the same sentence, store nothing, and the same marking minus the fault is accepted,
so the refusal is about the fault and nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from tests.conftest import Persona, bearer
from tests.discussions.support import api_token


@dataclass
class Crew:
    group: int
    coordinator: Persona  # BE
    colleague: Persona  # FR member
    partner: Persona  # BE partner member
    stranger: Persona  # BE, not a member
    tokens: dict

    def h(self, persona: Persona) -> dict:
        return bearer(self.tokens[persona.email])


@pytest.fixture
def crew(app, make_user, make_group) -> Crew:
    coordinator = make_user("coord@agency.example", country="BE")
    colleague = make_user("colleague@agency.example", country="FR")
    partner = make_user("partner@ngo.example", country="BE", kind="partner")
    stranger = make_user("stranger@agency.example", country="BE")
    group = make_group(members={coordinator: "coordinator", colleague: "member", partner: "member"})
    people = (coordinator, colleague, partner, stranger)
    return Crew(
        group,
        coordinator,
        colleague,
        partner,
        stranger,
        {p.email: api_token(app, p) for p in people},
    )


def _send(client, crew: Crew, kind: str, author: Persona, tlp: str, countries, recipients):
    if kind == "document":
        return client.post(
            f"/api/v1/groups/{crew.group}/documents",
            data={
                "title": "Report",
                "tlp": tlp,
                "releasable_to": ",".join(countries),
                "recipients": ",".join(str(r) for r in recipients),
                "file": (io.BytesIO(b"bytes"), "r.txt"),
            },
            headers=crew.h(author),
            content_type="multipart/form-data",
        )
    if kind == "thread":
        return client.post(
            f"/api/v1/groups/{crew.group}/threads",
            json={
                "title": "A thread",
                "body": "Body.",
                "tlp": tlp,
                "releasable_to": countries,
                "recipients": recipients,
            },
            headers=crew.h(author),
        )
    return client.post(
        f"/api/v1/groups/{crew.group}/meetings",
        json={
            "title": "A meeting",
            "starts_at": "2031-05-01T09:00:00Z",
            "ends_at": "2031-05-01T10:00:00Z",
            "tlp": tlp,
            "releasable_to": countries,
            "invitees": recipients,
        },
        headers=crew.h(author),
    )


# name: (author, tlp, releasable_to, recipients, words of the refusal; the fix: same minus fault)
FAULTS = {
    "partner_as_red_recipient": ("coordinator", "TLP:RED", [], ["partner"], "partner account"),
    "recipient_outside_releasable_to": (
        "coordinator",
        "TLP:RED",
        ["BE"],
        ["colleague"],
        "outside the releasable-to",
    ),
    "recipient_not_a_member": ("coordinator", "TLP:RED", [], ["stranger"], "not a member"),
    "releasable_to_without_own_country": (
        "coordinator",
        "TLP:AMBER",
        ["FR"],
        [],
        "your own country",
    ),
    "recipients_without_red": ("coordinator", "TLP:AMBER", [], ["colleague"], "only for TLP:RED"),
    "partner_marks_amber": ("partner", "TLP:AMBER", [], [], "TLP:GREEN or TLP:CLEAR"),
}
FIXED = {
    "partner_as_red_recipient": ("coordinator", "TLP:RED", [], ["colleague"]),
    "recipient_outside_releasable_to": ("coordinator", "TLP:RED", ["BE", "FR"], ["colleague"]),
    "recipient_not_a_member": ("coordinator", "TLP:RED", [], ["colleague"]),
    "releasable_to_without_own_country": ("coordinator", "TLP:AMBER", ["BE", "FR"], []),
    "recipients_without_red": ("coordinator", "TLP:AMBER", [], []),
    "partner_marks_amber": ("partner", "TLP:GREEN", [], []),
}
LISTS = {"document": "documents", "thread": "threads", "meeting": "meetings"}


TITLES = {"document": "Report", "thread": "A thread", "meeting": "A meeting"}
# Partners never schedule meetings (coordinators do), so that pair has no meeting case.
CASES = [
    (kind, fault)
    for fault in FAULTS
    for kind in ("document", "thread", "meeting")
    if not (kind == "meeting" and FAULTS[fault][0] == "partner")
]


@pytest.mark.parametrize(("kind", "fault"), CASES)
def test_every_kind_refuses_the_same_markings(client, crew, kind, fault):
    author, tlp, countries, names, words = FAULTS[fault]
    people = {name: getattr(crew, name) for name in ("colleague", "partner", "stranger")}
    refused = _send(
        client, crew, kind, getattr(crew, author), tlp, countries, [people[n].id for n in names]
    )
    assert refused.status_code == 400, refused.get_json()
    assert words in refused.get_json()["error"]["message"]
    listing = client.get(
        f"/api/v1/groups/{crew.group}/{LISTS[kind]}", headers=crew.h(crew.coordinator)
    )
    assert listing.status_code == 200 and TITLES[kind] not in listing.get_data(as_text=True)

    author, tlp, countries, names = FIXED[fault]
    accepted = _send(
        client, crew, kind, getattr(crew, author), tlp, countries, [people[n].id for n in names]
    )
    assert accepted.status_code == 201, accepted.get_json()
