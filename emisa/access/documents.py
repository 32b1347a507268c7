"""Rules for documents: the TLP marking decides who reads, the group role who manages.

Every action first asks whether the user may read the document at all (a denial
hides it: 404), so a coordinator who is not a named recipient of a TLP:RED
document cannot even learn that it exists, let alone delete it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from emisa.access.decision import Decision, allow, deny
from emisa.access.discussions import attachment_of_hidden_post, post_body_read_clause
from emisa.access.groups import in_visible_group
from emisa.access.marked import read_marked, verify_marking
from emisa.access.markings import Tlp
from emisa.access.membership import member_group_ids, membership_of
from emisa.access.policy import actor_decision, can, rule
from emisa.access.roles import GroupRole
from emisa.access.sql import json_list_empty, readable_clause


def _read(user, document) -> Decision:
    if not can(user, "view", document.group):
        return deny("This document's group is not open to your country.", hide=True)
    seen = read_marked(user, document)
    if not seen:
        return seen
    # A file attached to a post is read like the post: hidden, it is for author and moderators.
    hidden = attachment_of_hidden_post(user, document)
    return seen if hidden is None else hidden


def document_read_clause(user) -> ColumnElement[bool]:
    """SQL twin of ``_read`` above, for paging and counting document lists."""
    from emisa.documents.models import Document

    if not actor_decision(user):
        return sa.false()
    return sa.and_(
        in_visible_group(user, Document.group_id),
        readable_clause(user, Document.marked_columns(), member_group_ids(user)),
        sa.not_(_attached_to_hidden_post_clause(user)),
    )


def _attached_to_hidden_post_clause(user) -> ColumnElement[bool]:
    """SQL twin of ``attachment_of_hidden_post``: on a hidden post ``user`` may not read."""
    from emisa.discussions.models import Post, PostAttachment, Thread
    from emisa.documents.models import Document

    return sa.exists().where(
        PostAttachment.document_id == Document.id,
        Post.id == PostAttachment.post_id,
        Thread.id == Post.thread_id,
        Post.hidden_at.is_not(None),
        sa.not_(post_body_read_clause(user)),
    )


def _role(user, group) -> str | None:
    membership = membership_of(user, group)
    return membership.role if membership is not None else None


def _readable_then(user, document, check) -> Decision:
    seen = _read(user, document)
    return check() if seen else seen


@rule("document", "read", "download", "preview")
def _read_document(user, document) -> Decision:
    return _read(user, document)


@rule("document", "edit", "delete", "upload_version")
def _manage(user, document) -> Decision:
    """Changing what everyone reads or downloads: its uploader (still a member) or a coordinator."""

    def check() -> Decision:
        role = _role(user, document.group)
        if role == GroupRole.COORDINATOR:
            return allow("coordinator")
        if role == GroupRole.MEMBER and document.uploader_id == user.id:
            return allow("uploader")
        return deny("Only the uploader or a coordinator of the group may do this.")

    return _readable_then(user, document, check)


@rule("document", "reshare")
def _may_reshare(user, document) -> Decision:
    def check() -> Decision:
        if not document.label.reshareable:
            return deny("Only TLP:AMBER documents can be re-shared.")
        if _role(user, document.group) != GroupRole.COORDINATOR:
            return deny("Only a coordinator of the document's group may re-share it.")
        return allow("coordinator of an AMBER document")

    return _readable_then(user, document, check)


@dataclass(frozen=True)
class ShareTarget:
    """A request to re-share ``document`` to ``group``, as the policy sees it."""

    __policy_type__ = "document_share"
    document: object
    group: object


@rule("document_share", "create")
def _share_to(user, target: ShareTarget) -> Decision:
    decision = _may_reshare(user, target.document)
    if not decision:
        return decision
    if target.group.id == target.document.group_id:
        return deny("The document already belongs to this group.", status=409)
    if _role(user, target.group) != GroupRole.COORDINATOR:
        return deny("You can only re-share to another group you coordinate.")
    if any(s.group_id == target.group.id for s in target.document.shares):
        return deny("The document is already shared with this group.", status=409)
    return allow("coordinator of both groups")


@rule("document", "publish")
def _publish(user, document) -> Decision:
    def check() -> Decision:
        if document.label is not Tlp.CLEAR:
            return deny("Only TLP:CLEAR documents can be made public.")
        if document.releasable_to or document.origin_countries or document.group.allowed_countries:
            return deny("A document restricted to some countries cannot be made public.")
        if _role(user, document.group) != GroupRole.COORDINATOR:
            return deny("Only a coordinator of the document's group may publish it.")
        return allow("coordinator of a CLEAR document")

    return _readable_then(user, document, check)


def public_read(document) -> Decision:
    """Anyone, signed in or not, may read a TLP:CLEAR document a coordinator published."""
    if (
        document.public
        and document.label is Tlp.CLEAR
        and not document.releasable_to
        and not document.origin_countries
        and not document.group.allowed_countries
        and verify_marking(document)
    ):
        return allow("published TLP:CLEAR document")
    return deny("not published", hide=True)


def public_read_clause() -> ColumnElement[bool]:
    """SQL twin of ``public_read``, for the public library page."""
    from emisa.documents.models import Document
    from emisa.groups.models import WorkingGroup

    unrestricted_groups = sa.select(WorkingGroup.id).where(
        json_list_empty(WorkingGroup.allowed_countries)
    )
    return sa.and_(
        Document.public.is_(sa.true()),
        Document.tlp == Tlp.CLEAR.value,
        json_list_empty(Document.releasable_to),
        json_list_empty(Document.origin_countries),
        Document.group_id.in_(unrestricted_groups),
    )
