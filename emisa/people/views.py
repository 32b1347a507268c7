"""People pages: my profile, the directory, a person's page and card, networks of contact points."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from emisa import audit
from emisa.access import can, require
from emisa.access.countries import COUNTRIES, country_name
from emisa.access.people import ProfileField, shared_group_ids, viewer_group_ids
from emisa.access.visibility import FIELD_DEFAULTS
from emisa.accounts.models import User
from emisa.accounts.operations import find_user
from emisa.extensions import csrf, db, limiter
from emisa.groups.models import WorkingGroup
from emisa.operations import OperationError
from emisa.people import operations, photo, tilemap, vcard
from emisa.people.forms import (
    FIELD_LABELS,
    CoordinatorForm,
    CountriesForm,
    DesignateForm,
    NetworkForm,
    PhotoForm,
    ProfileForm,
    TermForm,
    agency_choices,
)
from emisa.people.models import AGENCY_LABELS, ContactPoint, ExpertiseTerm, Network, agency_label
from emisa.people.operations import PER_PAGE, DirectoryFilter
from emisa.web import (
    load,
    load_checked,
    on_refusal,
    page_count,
    page_number,
    page_url,
    whole_number_arg,
)

bp = Blueprint("people", __name__)


def _lookup_key() -> str:
    """Per account, so that one harvester's many addresses share one budget."""
    if current_user.is_authenticated:
        return f"people:{current_user.id}"
    return "people:" + (request.remote_addr or "")


# Directory and contact-point lookups, pages and API alike, draw on one budget per account:
# harvesting a law-enforcement directory is itself an attack.
def _lookup_refused(limit) -> None:
    """Hitting the limit may be harvesting: it is in the audit log, with the path asked."""
    audit.record_event(
        "people.lookup_limited",
        outcome="denied",
        details={"limit": str(limit.limit), "path": request.path},
    )


lookup_limit = limiter.shared_limit(
    lambda: current_app.config["EMISA_PEOPLE_LOOKUP_LIMIT"],
    scope="people-lookup",
    key_func=_lookup_key,
    on_breach=_lookup_refused,
)


def person_profile(person_id: int):
    """The profile of an account, checked with the policy (404 when hidden or absent)."""
    user = load(User, person_id)
    profile = operations.profile_of(user)
    require(current_user, "view", profile)
    return profile


def _group_filter(args) -> int | None:
    """``?group_id=``: a group whose members the caller may list, else 403/404 by the policy."""
    group_id = whole_number_arg("group_id", args=args)
    if group_id is not None:
        load_checked(WorkingGroup, group_id, "list_members")
    return group_id


def directory_filter(args) -> DirectoryFilter:
    return DirectoryFilter.from_args(args, _group_filter(args))


# My profile


def _profile_form(user: User) -> ProfileForm:
    profile = operations.profile_of(user)
    form = ProfileForm()
    if request.method == "GET":
        form.name.data = user.name
        form.organisation.data = user.organisation
        for name in ("position", "bio", "phone", "secure_email", "other_contact"):
            getattr(form, name).data = getattr(profile, name)
        form.agency_type.data = profile.agency_type or ""
        form.languages.data = list(profile.languages or [])
        form.expertise.data = ", ".join(profile.expertise or [])
        for field in FIELD_DEFAULTS:
            getattr(form, f"vis_{field}").data = profile.level(field).word
    return form


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = current_user._get_current_object()
    require(user, "edit", operations.profile_of(user))
    form = _profile_form(user)
    status = 200
    if form.validate_on_submit():
        values = {
            name: getattr(form, name).data
            for name in (
                "name",
                "organisation",
                "position",
                "agency_type",
                "languages",
                "expertise",
                "bio",
                "phone",
                "secure_email",
                "other_contact",
            )
        }
        values["visibility"] = {f: getattr(form, f"vis_{f}").data for f in FIELD_DEFAULTS}
        on_refusal(lambda status: _profile_page(user, form, status))
        operations.update_profile(user, values)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("people.edit_profile"))
    elif request.method == "POST":
        status = 400
    return _profile_page(user, form, status)


def _profile_page(user: User, form: ProfileForm, status: int):
    return (
        render_template(
            "people/edit.html",
            form=form,
            photo_form=PhotoForm(prefix="photo"),
            profile=operations.profile_of(user),
            field_labels=FIELD_LABELS,
            vocabulary=operations.vocabulary(),
            contact_fields=("phone", "secure_email", "other_contact"),
        ),
        status,
    )


@bp.route("/profile/photo", methods=["POST"])
@csrf.exempt
@login_required
def upload_photo():
    """CSRFProtect would parse the body under the 1 MiB limit of other forms before this
    view raises it for the photo; the view asks it to check the token once it has."""
    user = current_user._get_current_object()
    require(user, "edit", operations.profile_of(user))
    request.max_content_length = photo.MAX_BYTES + 64 * 1024
    csrf.protect()  # an expired token answers as on every other form (emisa.errors)
    upload = PhotoForm(prefix="photo").photo.data
    on_refusal(url_for("people.edit_profile"))
    data, width, height = photo.reencode(upload.read() if upload else b"")
    operations.store_photo(user, data, width, height)
    flash(_("Your photo is saved."), "success")
    return redirect(url_for("people.edit_profile"))


@bp.route("/profile/photo/remove", methods=["POST"])
@login_required
def remove_photo():
    user = current_user._get_current_object()
    require(user, "edit", operations.profile_of(user))
    operations.remove_photo(user)
    flash(_("Your photo is removed."), "success")
    return redirect(url_for("people.edit_profile"))


# The directory and a person's page


@bp.route("/people")
@login_required
@lookup_limit
def directory():
    require(current_user, "search_people")
    page = page_number()
    wanted = directory_filter(request.args)
    profiles, total = operations.directory(current_user, wanted, page)
    pages = page_count(total, PER_PAGE)
    if page > pages:
        abort(404)
    audit.record_event("people.searched", details={**wanted.audit_details(), "page": page})
    entries = [operations.shown(current_user, profile) for profile in profiles]
    groups = [
        (group.id, group.name)
        for group in db.session.scalars(
            db.select(WorkingGroup)
            .where(
                WorkingGroup.id.in_(viewer_group_ids(current_user)),
            )
            .order_by(WorkingGroup.name)
        )
    ]
    return render_template(
        "people/directory.html",
        entries=entries,
        total=total,
        wanted=wanted,
        countries=COUNTRIES,
        country_name=country_name,
        agency_choices=agency_choices(),
        agency_label=agency_label,
        languages=operations.LANGUAGES,
        vocabulary=operations.vocabulary(),
        groups=groups,
        can_curate=bool(can(current_user, "curate_expertise")),
        page=page,
        pages=pages,
        page_url=page_url,
    )


@bp.route("/people/<int:person_id>")
@login_required
@lookup_limit
def person(person_id: int):
    profile = person_profile(person_id)
    entry = operations.shown(current_user, profile)
    audit.record_event("people.profile_viewed", target=profile.user)
    shared = [
        db.session.get(WorkingGroup, gid) for gid in shared_group_ids(current_user, profile.user)
    ]
    networks = [
        network
        for network in db.session.scalars(db.select(Network).order_by(Network.name))
        if can(current_user, "designate", network)
    ]
    designate_form = None
    if networks and profile.user.is_usable:
        designate_form = DesignateForm(prefix="designate")
        designate_form.network.choices = [SelectChoice(n.id, n.name) for n in networks]
    return render_template(
        "people/person.html",
        entry=entry,
        profile=profile,
        shared_groups=shared if profile.user_id != current_user.id else [],
        country_name=country_name,
        agency_label=agency_label,
        languages=operations.LANGUAGES,
        vocabulary=set(operations.vocabulary()),
        can_export=bool(can(current_user, "export_vcard", profile)),
        designate_form=designate_form,
        points=operations.contact_points(person=profile.user),
    )


def photo_response(person_id: int) -> Response:
    """The re-encoded photo, to whom the profile's photo field is visible."""
    user = load(User, person_id)
    require(current_user, "view", ProfileField(operations.profile_of(user), "photo"))
    stored = operations.photo_of(user)
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.route("/people/<int:person_id>/photo")
@login_required
def person_photo(person_id: int):
    return photo_response(person_id)


def vcard_response(person_id: int) -> Response:
    user = load(User, person_id)
    profile = operations.profile_of(user)
    require(current_user, "export_vcard", profile)
    body = vcard.card(operations.shown(current_user, profile))
    audit.record_event("people.vcard_exported", target=user)
    response = Response(body, mimetype="text/vcard")
    response.headers["Content-Disposition"] = f'attachment; filename="contact-{user.id}.vcf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/people/<int:person_id>/vcard")
@login_required
@lookup_limit
def person_vcard(person_id: int):
    return vcard_response(person_id)


# The expertise vocabulary


@bp.route("/people/expertise", methods=["GET", "POST"])
@login_required
def expertise():
    require(current_user, "curate_expertise")
    form = TermForm()
    status = 200
    if form.validate_on_submit():
        on_refusal(lambda status: _expertise_page(form, status))
        operations.add_term(form.label.data)
        flash(_("The tag is added to the vocabulary."), "success")
        return redirect(url_for("people.expertise"))
    elif request.method == "POST":
        status = 400
    return _expertise_page(form, status)


def _expertise_page(form: TermForm, status: int):
    terms = db.session.scalars(db.select(ExpertiseTerm).order_by(ExpertiseTerm.label)).all()
    return render_template("people/expertise.html", form=form, terms=terms), status


@bp.route("/people/expertise/<int:term_id>/remove", methods=["POST"])
@login_required
def remove_term(term_id: int):
    require(current_user, "curate_expertise")
    operations.remove_term(load(ExpertiseTerm, term_id))
    flash(_("The tag is removed from the vocabulary; profiles keep it as a free tag."), "success")
    return redirect(url_for("people.expertise"))


# Networks and national contact points


@bp.route("/networks", methods=["GET", "POST"])
@login_required
def networks():
    require(current_user, "search_people")
    form = NetworkForm() if can(current_user, "administer") else None
    status = 200
    if request.method == "POST":
        require(current_user, "administer")
        if form.validate_on_submit():
            on_refusal(lambda status: _networks_page(form, status))
            network = operations.create_network(
                form.name.data, form.description.data or "", form.countries.data
            )
            return redirect(url_for("people.network", network_id=network.id))
        status = 400
    return _networks_page(form, status)


def _networks_page(form: NetworkForm | None, status: int):
    rows = db.session.scalars(db.select(Network).order_by(Network.name)).all()
    return render_template("people/networks.html", networks=rows, form=form), status


@bp.route("/networks/<int:network_id>")
@login_required
@lookup_limit
def network(network_id: int):
    network = load_checked(Network, network_id, "view")
    points = operations.contact_points(network)
    audit.record_event("contact_points.viewed", target_type="network", target_id=network.id)
    covered = sorted({point.country for point in points})
    drawn = sorted(set(network.countries) | set(covered))
    by_country: dict[str, list] = {}
    for point in points:
        by_country.setdefault(point.country, []).append(
            (point, operations.shown(current_user, operations.profile_of(point.user)))
        )
    is_admin = bool(can(current_user, "edit", network))
    countries_form = None
    if is_admin:
        countries_form = CountriesForm(prefix="countries")
        if request.method == "GET":
            countries_form.countries.data = list(network.countries)
    return render_template(
        "people/network.html",
        network=network,
        cells=tilemap.layout(drawn),
        unplaced_names=[country_name(code) for code in tilemap.unplaced(drawn)],
        covered=set(covered),
        by_country=by_country,
        gaps=operations.gaps(network, points),
        country_name=country_name,
        agency_label=agency_label,
        agency_labels=AGENCY_LABELS,
        may_designate=bool(can(current_user, "designate", network)),
        is_admin=is_admin,
        countries_form=countries_form,
        coordinator_form=CoordinatorForm(prefix="coordinator") if is_admin else None,
    )


@bp.route("/networks/<int:network_id>/countries", methods=["POST"])
@login_required
def network_countries(network_id: int):
    network = load_checked(Network, network_id, "edit")
    form = CountriesForm(prefix="countries")  # CSRFProtect checked its token
    on_refusal(url_for("people.network", network_id=network.id))
    operations.set_network_countries(network, form.countries.data)  # refuses unknown codes
    flash(_("The network's countries are saved."), "success")
    return redirect(url_for("people.network", network_id=network.id))


@bp.route("/networks/<int:network_id>/coordinators", methods=["POST"])
@login_required
def add_coordinator(network_id: int):
    network = load_checked(Network, network_id, "edit")
    form = CoordinatorForm(prefix="coordinator")
    if not form.validate_on_submit():
        raise OperationError(_("Give the email of an account."))
    user = find_user(form.email.data)
    on_refusal(url_for("people.network", network_id=network.id))
    if user is None:
        raise OperationError(_("No account has this email address."), 404)
    operations.add_network_coordinator(network, user)
    flash(_("%(name)s now coordinates this network.", name=user.name), "success")
    return redirect(url_for("people.network", network_id=network.id))


@bp.route("/networks/<int:network_id>/coordinators/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_coordinator(network_id: int, user_id: int):
    network = load_checked(Network, network_id, "edit")
    operations.remove_network_coordinator(network, user_id)
    flash(_("The coordinator is removed."), "success")
    return redirect(url_for("people.network", network_id=network.id))


@bp.route("/people/<int:person_id>/designate", methods=["POST"])
@login_required
def designate(person_id: int):
    profile = person_profile(person_id)
    form = DesignateForm(prefix="designate")
    form.network.choices = [
        SelectChoice(n.id, n.name)
        for n in db.session.scalars(db.select(Network).order_by(Network.name))
    ]
    if not form.validate_on_submit():
        raise OperationError(_("Choose a network and an agency type."))
    network = load_checked(Network, form.network.data, "designate")
    on_refusal(url_for("people.person", person_id=person_id))
    operations.designate(
        network,
        profile.user.country,
        form.agency_type.data,
        profile.user,
        current_user._get_current_object(),
    )
    flash(_("The contact point is designated."), "success")
    return redirect(url_for("people.network", network_id=network.id))


@bp.route("/contact-points/<int:point_id>/remove", methods=["POST"])
@login_required
def remove_contact_point(point_id: int):
    point = load(ContactPoint, point_id)
    require(current_user, "designate", point.network)
    network_id = point.network_id
    operations.remove_contact_point(point)
    flash(_("The contact point is removed."), "success")
    return redirect(url_for("people.network", network_id=network_id))
