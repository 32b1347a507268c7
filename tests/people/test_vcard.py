"""vCard export: RFC 6350 escaping and folding, and only the fields the viewer may see."""

from __future__ import annotations

from emisa.people.vcard import card, escape, fold


def test_escaping_of_text_values():
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert escape("line1\r\nline2\rline3") == "line1\\nline2\\nline3"


def test_folding_keeps_utf8_characters_whole():
    line = "NOTE:" + "ش" * 100  # two octets each
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line


def test_an_injected_property_stays_inside_its_value():
    text = card({"id": 1, "name": "Eve\r\nEMAIL:attacker@evil.example", "organisation": None})
    lines = text.split("\r\n")
    assert "FN:Eve\\nEMAIL:attacker@evil.example" in lines
    assert not any(line.startswith("EMAIL") for line in lines)


def test_card_of_a_visible_contact(world, api):
    api(world.alice)(
        "PUT",
        "/api/v1/me/profile",
        json={
            "position": "Prosecutor; returnees, FTF",
            "phone": "+32 2 123 45 67",
            "secure_email": "alice@secure.example",
            "expertise": ["Returnees", "P/CVE"],
            "visibility": {"phone": "co-members", "secure_email": "nobody"},
        },
    )
    response = api(world.bob)("GET", f"/api/v1/people/{world.alice.id}/vcard")
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    text = response.get_data(as_text=True)
    lines = text.split("\r\n")
    assert lines[:3] == ["BEGIN:VCARD", "VERSION:4.0", "FN:Alice Dubois"]
    assert "ORG:Parquet fédéral" in lines
    assert "TITLE:Prosecutor\\; returnees\\, FTF" in lines
    assert "TEL;TYPE=work;VALUE=text:+32 2 123 45 67" in lines
    assert "CATEGORIES:Returnees,P/CVE" in lines
    assert "alice@secure.example" not in text  # hidden from Bob
    assert text.endswith("END:VCARD\r\n")


def test_no_card_of_a_hidden_contact(world, api, client, login):
    assert api(world.olga)("GET", f"/api/v1/people/{world.alice.id}/vcard").status_code == 404
    login(client, world.olga)
    assert client.get(f"/people/{world.alice.id}/vcard").status_code == 404
