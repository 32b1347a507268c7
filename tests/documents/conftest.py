"""Helpers for document tests: upload and download through the real HTTP API."""

from __future__ import annotations

import io

import pytest

from tests.conftest import bearer


@pytest.fixture
def upload(client):
    """``upload(token, group_id, data, **fields)``: POST /api/v1/groups/{gid}/documents."""

    def do_upload(token, group_id, data: bytes, filename="report.pdf", **fields):
        form = {"title": "Report", "tlp": "TLP:AMBER", **fields}
        form["file"] = (io.BytesIO(data), filename)
        return client.post(
            f"/api/v1/groups/{group_id}/documents",
            data=form,
            headers=bearer(token),
            content_type="multipart/form-data",
        )

    return do_upload


@pytest.fixture
def download(client):
    def do_download(token, document_id, version=None):
        query = f"?version={version}" if version is not None else ""
        return client.get(f"/api/v1/documents/{document_id}/content{query}", headers=bearer(token))

    return do_download


@pytest.fixture
def team(make_user, make_group, token_for):
    """A coordinator and a member of one group, with API tokens."""

    class Team:
        coordinator = make_user("coord@agency.example", country="BE")
        member = make_user("member@agency.example", country="FR")
        group = make_group(members={coordinator: "coordinator", member: "member"})
        coordinator_token = token_for(coordinator)
        member_token = token_for(member)

    return Team
