"""The best-practice library: GREEN and CLEAR for all accounts; the public page: published CLEAR."""

from __future__ import annotations

from tests.conftest import bearer


def test_library_search_and_public_page(app, client, team, upload, make_user, token_for, login):
    partner = make_user("ngo@partner.example", country="NL", kind="partner")
    outsider_token = token_for(partner)
    green = upload(
        team.member_token,
        team.group,
        b"green guide",
        tlp="TLP:GREEN",
        title="Exit programme guide",
        description="How probation services run exit work",
        tags="exit, probation",
    ).get_json()["id"]
    clear = upload(
        team.member_token,
        team.group,
        b"clear leaflet",
        tlp="TLP:CLEAR",
        title="Public leaflet",
        tags="awareness",
    ).get_json()["id"]
    upload(team.member_token, team.group, b"amber", tlp="TLP:AMBER", title="Amber internal")

    listed = client.get("/api/v1/library", headers=bearer(outsider_token)).get_json()
    assert sorted(d["id"] for d in listed) == sorted([green, clear])
    found = client.get("/api/v1/library?q=probation+exit", headers=bearer(outsider_token))
    assert [d["id"] for d in found.get_json()] == [green]
    by_tag = client.get("/api/v1/library?tag=awareness", headers=bearer(outsider_token))
    assert [d["id"] for d in by_tag.get_json()] == [clear]
    by_country = client.get("/api/v1/library?country=FR", headers=bearer(outsider_token))
    assert sorted(d["id"] for d in by_country.get_json()) == sorted([green, clear])
    assert client.get("/api/v1/library?country=DE", headers=bearer(outsider_token)).get_json() == []

    # Nothing is public until a coordinator publishes it; GREEN can never be.
    anonymous = app.test_client()
    assert b"Public leaflet" not in anonymous.get("/library").data
    assert anonymous.get(f"/library/{clear}/download").status_code == 404
    assert (
        client.put(
            f"/api/v1/documents/{green}/public",
            json={"public": True},
            headers=bearer(team.coordinator_token),
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/v1/documents/{clear}/public",
            json={"public": True},
            headers=bearer(team.member_token),
        ).status_code
        == 403
    )
    assert (
        client.put(
            f"/api/v1/documents/{clear}/public",
            json={"public": True},
            headers=bearer(team.coordinator_token),
        ).status_code
        == 200
    )
    page = anonymous.get("/library")
    assert page.status_code == 200
    assert b"Public leaflet" in page.data and b"Exit programme guide" not in page.data
    got = anonymous.get(f"/library/{clear}/download")
    assert got.status_code == 200 and got.data == b"clear leaflet"
    assert anonymous.get(f"/library/{green}/download").status_code == 404

    login(client, partner)
    html = client.get("/best-practice?q=guide").get_data(as_text=True)
    assert "Exit programme guide" in html and "Amber internal" not in html
