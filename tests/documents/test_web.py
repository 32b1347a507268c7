"""The documents tab in the browser's terms: CSRF, uploads, download page, preview, re-share."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from emisa.documents.models import Document
from emisa.extensions import db
from tests.conftest import bearer
from tests.support.web import csrf_from

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(client, group_id, **fields):
    html = client.get(f"/groups/{group_id}/documents").get_data(as_text=True)
    return csrf_from(html), html


def test_upload_without_csrf_stores_nothing(app, team, client, login):
    login(client, team.member)
    response = client.post(
        f"/groups/{team.group}/documents",
        data={"title": "x", "tlp": "TLP:AMBER", "file": (io.BytesIO(b"data"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 0
    assert not [p for p in (app.config["EMISA_DATA_DIR"] / "blobs").rglob("*") if p.is_file()]


def test_form_upload_list_detail_download_page(app, team, client, login):
    login(client, team.member)
    token, html = _form(client, team.group)
    assert 'id="upload-form"' in html
    response = client.post(
        f"/groups/{team.group}/documents",
        data={
            "csrf_token": token,
            "title": "Returnee risk assessment",
            "tlp": "TLP:AMBER+STRICT",
            "releasable_to": ["BE", "FR"],
            "handling_code": "H3",
            "handling_conditions": "Not for court use",
            "file": (io.BytesIO(b"%PDF-1.7 content"), "assessment.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    detail_url = response.headers["Location"]
    listing = client.get(f"/groups/{team.group}/documents").get_data(as_text=True)
    assert "Returnee risk assessment" in listing
    assert 'class="tlp tlp-amber-strict"' in listing
    detail = client.get(detail_url).get_data(as_text=True)
    assert "TLP:AMBER+STRICT" in detail and "Not for court use" in detail and "H3" in detail
    document_id = int(re.search(r"/documents/(\d+)", detail_url).group(1))
    page = client.get(f"/documents/{document_id}/download").get_data(as_text=True)
    assert 'class="tlp tlp-amber-strict"' in page and "H3" in page
    got = client.get(f"/documents/{document_id}/content")
    assert got.data == b"%PDF-1.7 content"
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert "attachment" in got.headers["Content-Disposition"]
    preview = client.get(f"/documents/{document_id}/preview")
    assert preview.status_code == 200
    assert preview.headers["Content-Type"] == "application/pdf"
    assert preview.headers["Content-Security-Policy"].startswith("sandbox")
    assert preview.headers["Content-Disposition"].startswith("inline")


def test_xhr_upload_answers_json(app, team, client, login):
    login(client, team.member)
    token, _html = _form(client, team.group)
    response = client.post(
        f"/groups/{team.group}/documents",
        data={"tlp": "TLP:GREEN", "file": (io.BytesIO(PNG), "photo.png")},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 201
    body = response.get_json()
    preview = client.get(f"/documents/{body['id']}/preview")
    assert preview.headers["Content-Type"] == "image/png"
    refused = client.post(
        f"/groups/{team.group}/documents",
        data={"tlp": "TLP:BLUE", "file": (io.BytesIO(b"x"), "x.txt")},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert refused.status_code == 400
    assert "is not a TLP label" in refused.get_json()["error"]["message"]


def test_html_is_never_previewed_or_served_as_html(app, team, upload, client, login):
    evil = b"<html><script>alert(document.cookie)</script></html>"
    doc = upload(team.member_token, team.group, evil, filename="x.html").get_json()
    login(client, team.member)
    assert client.get(f"/documents/{doc['id']}/preview").status_code == 415
    fake_png = upload(team.member_token, team.group, evil, filename="x.png")
    assert fake_png.get_json()["content_type"] != "image/png"
    got = client.get(f"/documents/{doc['id']}/content")
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_amber_reshare_to_a_group_the_coordinator_coordinates(
    app, team, make_user, make_group, token_for, upload, client, runner
):
    reader = make_user(country="DE")
    other = make_group(members={team.coordinator: "coordinator", reader: "member"})
    third = make_group(members={team.member: "coordinator"})
    amber = upload(team.member_token, team.group, b"amber bytes").get_json()["id"]
    strict = upload(team.member_token, team.group, b"s", tlp="TLP:AMBER+STRICT").get_json()["id"]
    reader_token = token_for(reader)
    path = f"/api/v1/documents/{amber}/content"
    assert client.get(path, headers=bearer(reader_token)).status_code == 404

    # A member (not coordinator) cannot re-share, even to a group they coordinate.
    assert (
        client.post(
            f"/api/v1/documents/{amber}/shares",
            json={"group_id": third},
            headers=bearer(team.member_token),
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/documents/{strict}/shares",
            json={"group_id": other},
            headers=bearer(team.coordinator_token),
        ).status_code
        == 403
    )
    shared = client.post(
        f"/api/v1/documents/{amber}/shares",
        json={"group_id": other},
        headers=bearer(team.coordinator_token),
    )
    assert shared.status_code == 201, shared.get_json()
    assert client.get(path, headers=bearer(reader_token)).data == b"amber bytes"
    listing = client.get(f"/api/v1/groups/{other}/documents", headers=bearer(reader_token))
    assert [d["id"] for d in listing.get_json()] == [amber]

    for group in (other, team.group):
        result = runner.invoke(args=["emisa", "rotate-group-key", "--group", str(group)])
        assert result.exit_code == 0, result.output
    assert client.get(path, headers=bearer(reader_token)).data == b"amber bytes"
    assert client.get(path, headers=bearer(team.member_token)).data == b"amber bytes"
