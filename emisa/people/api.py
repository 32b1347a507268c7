"""Profiles, the directory and national contact points over the JSON API."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from emisa import audit
from emisa.access import require
from emisa.access.countries import UnknownCountry, normalise_country
from emisa.access.visibility import FIELD_DEFAULTS
from emisa.accounts.models import User
from emisa.api.blueprint import api_blueprint, errors, links
from emisa.api.pagination import Page, paginated
from emisa.api.schemas import DatabaseId, written
from emisa.extensions import db
from emisa.operations import OperationError
from emisa.people import operations, photo
from emisa.people.models import AgencyType, ContactPoint, Network
from emisa.people.operations import LIMITS, DirectoryFilter
from emisa.people.views import (
    directory_filter,
    lookup_limit,
    person_profile,
    photo_response,
    vcard_response,
)
from emisa.web import load, load_checked

blp = api_blueprint("api_people", __name__, "Profiles, the directory and national contact points")

# A directory page holds at most this many people, whatever ``per_page`` asks.
MAX_DIRECTORY_PAGE = 50

_LEVELS = ["nobody", "co-members", "platform"]
# What the profile's operations accept, stated for the document (emisa.people.operations):
# empty, or a phone number / an email address without control or direction characters.
_ADDRESS = "[^@\\s\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]"
_PHONE = "A phone number has digits, spaces and + ( ) . / - only."
_EMAIL = "This is not an email address."


class ProfileIn(Schema):
    name = fields.String(validate=written(max_chars=LIMITS["name"]))
    organisation = fields.String(validate=written(max_chars=LIMITS["organisation"]))
    position = fields.String(allow_none=True, validate=validate.Length(max=LIMITS["position"]))
    agency_type = fields.String(
        allow_none=True, validate=validate.OneOf(["", *(a.value for a in AgencyType)])
    )
    languages = fields.List(fields.String(), metadata={"description": "ISO 639-1 codes"})
    expertise = fields.List(fields.String(), metadata={"description": "tags"})
    bio = fields.String(allow_none=True, validate=validate.Length(max=LIMITS["bio"]))
    phone = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=LIMITS["phone"]),
            validate.Regexp(r"^(\+?[0-9()./-][0-9 ()./-]{1,48}[0-9()./-])?$", error=_PHONE),
        ],
    )
    secure_email = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=LIMITS["secure_email"]),
            validate.Regexp(rf"^({_ADDRESS}+@{_ADDRESS}+\.{_ADDRESS}+)?$", error=_EMAIL),
        ],
    )
    other_contact = fields.String(
        allow_none=True, validate=validate.Length(max=LIMITS["other_contact"])
    )
    visibility = fields.Nested(
        Schema.from_dict(
            {name: fields.String(validate=validate.OneOf(_LEVELS)) for name in FIELD_DEFAULTS},
            name="VisibilityIn",
        ),
        metadata={"description": "field name (or `profile`) → nobody, co-members or platform"},
    )


class PersonOut(Schema):
    """A profile as the caller may see it: hidden fields are absent, hidden identity null."""

    id = fields.Integer()
    name = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    position = fields.String()
    agency_type = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    expertise = fields.List(fields.String())
    bio = fields.String()
    phone = fields.String()
    secure_email = fields.String()
    other_contact = fields.String()
    has_photo = fields.Boolean()


class OwnProfileOut(PersonOut):
    visibility = fields.Dict(keys=fields.String(), values=fields.String())


class ContactPointOut(Schema):
    id = fields.Integer()
    network = fields.String()
    network_id = fields.Integer()
    country = fields.String()
    agency_type = fields.String()
    person = fields.Nested(PersonOut, allow_none=True)


class DesignateIn(Schema):
    user_id = DatabaseId(required=True)
    country = fields.String(required=True)
    agency_type = fields.String(
        required=True, validate=validate.OneOf([a.value for a in AgencyType])
    )


@blp.route("/me/profile")
@blp.response(200, OwnProfileOut)
@errors(blp, 401)
def get_my_profile():
    """My own profile, every field, with the visibility of each."""
    user = current_user._get_current_object()
    return operations.own_profile(user, operations.profile_of(user))


@blp.route("/me/profile", methods=["PUT"])
@blp.arguments(ProfileIn, required=False)
@blp.response(200, OwnProfileOut)
@errors(blp, 400, 401)
def put_my_profile(body):
    """Change my profile; fields left out keep their value."""
    user = current_user._get_current_object()
    require(user, "edit", operations.profile_of(user))
    profile = operations.update_profile(user, body)
    return operations.own_profile(user, profile)


@blp.route("/me/profile/photo", methods=["PUT"])
@blp.doc(
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"photo": {"type": "string", "format": "binary"}},
                    "required": ["photo"],
                }
            }
        }
    }
)
@blp.response(200, OwnProfileOut)
@errors(blp, 400, 401, 413)
def put_my_photo():
    """Upload my photo (JPEG, PNG or WebP, at most 4 MiB); it is redrawn without metadata."""
    user = current_user._get_current_object()
    require(user, "edit", operations.profile_of(user))
    request.max_content_length = photo.MAX_BYTES + 64 * 1024
    upload = request.files.get("photo")
    data, width, height = photo.reencode(upload.read() if upload else b"")
    operations.store_photo(user, data, width, height)
    return operations.own_profile(user, operations.profile_of(user))


@blp.route("/me/profile/photo", methods=["DELETE"])
@blp.response(204)
@errors(blp, 401)
def delete_my_photo():
    """Remove my photo."""
    user = current_user._get_current_object()
    require(user, "edit", operations.profile_of(user))
    operations.remove_photo(user)


@blp.route("/people/<int:person_id>/photo")
@blp.response(200, description="image/jpeg")
@errors(blp, 401, 404)
def get_person_photo(person_id: int):
    """A person's photo, to whom it is visible."""
    return photo_response(person_id)


_DIRECTORY_PARAMETERS = [
    {"in": "query", "name": name, "schema": {"type": "string"}, "description": text}
    for name, text in (
        ("q", "Words of a visible name or organisation."),
        ("country", "ISO 3166-1 alpha-2 code."),
        ("agency_type", "police, prosecution, judiciary, ..."),
        ("expertise", "One tag."),
        ("language", "ISO 639-1 code."),
        ("group_id", "A group whose members the caller may list."),
    )
]


@blp.route("/people")
@lookup_limit
@paginated(blp, PersonOut(many=True), _DIRECTORY_PARAMETERS)
@errors(blp, 400, 401, 403, 404, 429)
def list_people(page: Page):
    """The directory: profiles visible to the caller, at most 50 a page. Rate limited."""
    require(current_user, "search_people")
    page = Page(page.number, min(page.size, MAX_DIRECTORY_PAGE))
    wanted: DirectoryFilter = directory_filter(request.args)
    profiles, total = operations.directory(current_user, wanted, page.number, page.size)
    audit.record_event(
        "people.searched", details={**wanted.audit_details(), "page": page.number, "via": "api"}
    )
    return page.answer([operations.shown(current_user, p) for p in profiles], total)


@blp.route("/people/<int:person_id>")
@lookup_limit
@blp.response(200, PersonOut)
@errors(blp, 401, 404, 429)
def get_person(person_id: int):
    """A profile as the caller may see it; 404 if hidden."""
    profile = person_profile(person_id)
    audit.record_event("people.profile_viewed", target=profile.user, details={"via": "api"})
    return operations.shown(current_user, profile)


@blp.route("/people/<int:person_id>/vcard")
@lookup_limit
@blp.response(200, description="text/vcard")
@errors(blp, 401, 404, 429)
def get_person_vcard(person_id: int):
    """The contact as a vCard 4.0, with only the fields the caller may see."""
    return vcard_response(person_id)


def _point(point: ContactPoint) -> dict:
    profile = operations.profile_of(point.user)
    person = operations.shown(current_user, profile) if _seen(profile) else None
    return {
        "id": point.id,
        "network": point.network.name,
        "network_id": point.network_id,
        "country": point.country,
        "agency_type": point.agency_type,
        "person": person,
    }


def _seen(profile) -> bool:
    from emisa.access import can

    return bool(can(current_user, "view", profile))


@blp.route("/contact-points")
@lookup_limit
@blp.doc(
    parameters=[
        {
            "in": "query",
            "name": "network",
            "schema": {"type": "string"},
            "description": "id or slug",
        },
        {"in": "query", "name": "country", "schema": {"type": "string"}},
    ]
)
@blp.response(200, ContactPointOut(many=True))
@errors(blp, 400, 401, 404, 429)
def list_contact_points():
    """National contact points; ``person`` is null when their profile is hidden from the caller."""
    require(current_user, "search_people")
    network = None
    wanted = (request.args.get("network") or "").strip()
    if wanted:
        network = db.session.scalar(
            db.select(Network).where(
                Network.id == int(wanted)
                if wanted.isdigit() and len(wanted) < 10
                else Network.slug == wanted
            )
        )
        if network is None:
            raise OperationError(_("No such network."), 404)
        require(current_user, "view", network)
    country = (request.args.get("country") or "").strip()
    if country:
        try:
            country = normalise_country(country)
        except UnknownCountry as error:
            raise OperationError(str(error)) from None
    audit.record_event(
        "contact_points.viewed",
        target_type="network",
        target_id=network.id if network else "",
        details={"country": country or None, "via": "api"},
    )
    return [_point(point) for point in operations.contact_points(network, country or None)]


@blp.route("/networks/<int:network_id>/contact-points", methods=["POST"])
@links(blp, 201, "DELETE /contact-points/{point_id}")
@blp.arguments(DesignateIn)
@blp.response(201, ContactPointOut)
@errors(blp, 400, 401, 403, 404, 409)
def designate(body, network_id: int):
    """Designate a national contact point (the network's coordinators and admins)."""
    network = load_checked(Network, network_id, "designate")
    person = load(User, body["user_id"])
    require(current_user, "view", operations.profile_of(person))
    point = operations.designate(
        network,
        body["country"],
        body["agency_type"],
        person,
        current_user._get_current_object(),
    )
    return _point(point)


@blp.route("/contact-points/<int:point_id>", methods=["DELETE"])
@blp.response(204)
@errors(blp, 401, 403, 404)
def remove_contact_point(point_id: int):
    """Remove a designation (the network's coordinators and admins)."""
    point = load(ContactPoint, point_id)
    require(current_user, "designate", point.network)
    operations.remove_contact_point(point)
