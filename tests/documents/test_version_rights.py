"""Only a document's uploader or a coordinator may replace what everyone downloads."""

from __future__ import annotations

import io

from tests.conftest import bearer
from tests.support.web import csrf_from


def _api_version(client, token: str, document_id: int, data: bytes):
    return client.post(
        f"/api/v1/documents/{document_id}/versions",
        data={"file": (io.BytesIO(data), "v.txt")},
        headers=bearer(token),
        content_type="multipart/form-data",
    )


def _page_version(browser, document_id: int, data: bytes):
    page = browser.get(f"/documents/{document_id}")
    token = csrf_from(page.get_data(as_text=True)) if page.status_code == 200 else ""
    return browser.post(
        f"/documents/{document_id}/versions",
        data={"csrf_token": token, "file": (io.BytesIO(data), "v.txt")},
        content_type="multipart/form-data",
    )


def test_only_uploader_or_coordinator_add_versions(
    app, client, make_user, make_group, token_for, login, upload, download
):
    coordinator = make_user("coord@agency.example", country="BE")
    uploader = make_user("uploader@agency.example", country="FR")
    colleague = make_user("colleague@agency.example", country="NL")
    partner = make_user("partner@ngo.example", country="BE", kind="partner")
    outsider = make_user("outsider@agency.example", country="BE")
    group = make_group(
        members={
            coordinator: "coordinator",
            uploader: "member",
            colleague: "member",
            partner: "member",
        }
    )
    tokens = {p: token_for(p) for p in (coordinator, uploader, colleague, partner, outsider)}
    green = upload(tokens[uploader], group, b"original", tlp="TLP:GREEN").get_json()["id"]

    # Another member, a partner of the group and a library reader from outside: refused.
    for persona, status in ((colleague, 403), (partner, 403), (outsider, 403)):
        assert _api_version(client, tokens[persona], green, b"replaced").status_code == status
    pages = app.test_client()
    login(pages, colleague)
    assert _page_version(pages, green, b"replaced").status_code == 403
    assert download(tokens[outsider], green).data == b"original"

    # The uploader and a coordinator: accepted, through the API and the page.
    assert _api_version(client, tokens[uploader], green, b"second").status_code == 201
    coordinator_pages = app.test_client()
    login(coordinator_pages, coordinator)
    assert _page_version(coordinator_pages, green, b"third").status_code == 303
    assert download(tokens[colleague], green).data == b"third"

    # The right goes with the uploader's membership role: as an observer, no more versions.
    from emisa.database import commit
    from emisa.extensions import db
    from emisa.groups.models import Membership

    with app.app_context():
        membership = db.session.scalar(
            db.select(Membership).where(
                Membership.group_id == group, Membership.user_id == uploader.id
            )
        )
        membership.role = "observer"
        commit()
    assert _api_version(client, tokens[uploader], green, b"fourth").status_code == 403
    assert download(tokens[colleague], green).data == b"third"
