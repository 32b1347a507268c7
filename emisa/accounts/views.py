"""Sign-in (password, then code), enrolment, invitations and the user's own account page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from emisa import audit
from emisa.access import require
from emisa.accounts import lockout, operations, totp
from emisa.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    PreferencesForm,
    ReauthForm,
    SetPasswordForm,
    TokenForm,
)
from emisa.accounts.login import (
    LoginFailed,
    check_code,
    check_password,
    reauthenticate,
    reauthentication_failed,
)
from emisa.accounts.models import ApiToken, AuthSession
from emisa.accounts.passwords import verify_password
from emisa.accounts.preferences import PreferenceError, set_preferences
from emisa.accounts.sessions import (
    advance_session,
    end_all_access,
    issue_token,
    live_sessions,
    live_tokens,
    revoke,
    start_session,
)
from emisa.database import keep_before_refusal
from emisa.extensions import db, limiter
from emisa.forms import ConfirmForm
from emisa.i18n import LANGUAGE_COOKIE, LANGUAGES, term
from emisa.operations import OperationError

bp = Blueprint("auth", __name__)

# Reachable before the second factor is passed; everything else waits for it.
OPEN_ENDPOINTS = {"static", "auth.login", "auth.logout", "auth.invitation", "auth.language"}
STAGE_ENDPOINTS = {"password": "auth.code", "enrol": "auth.enrol"}


def _safe_next(default: str = "groups.dashboard", target: str | None = None) -> str:
    """``next`` (or ``target``) when it is a path on this site, else the default page."""
    target = (request.args.get("next") if target is None else target) or ""
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not parts.netloc
    ):
        return target
    return url_for(default)


def _sign_in(user, stage: str) -> None:
    """Start a fresh session at ``stage``; any session this browser had is ended."""
    if current_user.is_authenticated and current_user.auth_session is not None:
        revoke(current_user.auth_session)
    start_session(user, stage)
    db.session.flush()
    login_user(user)


def _advance(stage: str) -> None:
    advance_session(current_user.auth_session, stage)
    login_user(current_user._get_current_object())


def gate_unfinished_sign_in():
    """Before any page: an account mid sign-in reaches only its next step."""
    if request.path.startswith("/api/") or not current_user.is_authenticated:
        return None
    session = current_user.auth_session
    if session is None:
        return None
    if session.stage != "full":
        if request.endpoint in OPEN_ENDPOINTS or request.endpoint == STAGE_ENDPOINTS[session.stage]:
            return None
        return redirect(url_for(STAGE_ENDPOINTS[session.stage]))
    if not current_user.is_usable:
        state = current_user.effective_state
        logout_user()
        flash(
            _("This account is %(state)s. Contact an administrator.", state=term(state)), "danger"
        )
        return redirect(url_for("auth.login"))
    return None


def _login_limit_key() -> str:
    return "login:" + (request.remote_addr or "")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("60 per minute", key_func=_login_limit_key, methods=["POST"])
def login():
    if current_user.is_authenticated and current_user.is_fully_authenticated:
        return redirect(_safe_next())
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = check_password(form.email.data, form.password.data)
        except LoginFailed as failure:
            flash(failure.message, "danger")
            status = failure.status
            if failure.retry_after:
                headers["Retry-After"] = str(failure.retry_after)
        else:
            if user.totp_enrolled_at:
                _sign_in(user, "password")
                return redirect(url_for("auth.code", next=request.args.get("next")))
            if not user.totp_pending_secret:
                operations.begin_enrolment(user)
            _sign_in(user, "enrol")
            return redirect(url_for("auth.enrol"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.route("/login/code", methods=["GET", "POST"])
@login_required
def code():
    session = current_user.auth_session
    if session is None or session.stage != "password":
        return redirect(url_for("groups.dashboard"))
    form = CodeForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            method = check_code(current_user, form.code.data)
        except LoginFailed as failure:
            flash(failure.message, "danger")
            status = failure.status
            if failure.retry_after:
                headers["Retry-After"] = str(failure.retry_after)
            if status == 403:
                # Both factors passed but the account is closed: this sign-in ends here.
                revoke(session)
                keep_before_refusal()
                logout_user()
                return render_template("auth/login.html", form=LoginForm()), status
        else:
            _advance("full")
            if method == "recovery-code":
                left = totp.remaining_recovery_codes(current_user)
                flash(
                    ngettext(
                        "You signed in with a recovery code; %(num)d remains.",
                        "You signed in with a recovery code; %(num)d remain.",
                        left,
                    ),
                    "warning",
                )
            return redirect(_safe_next())
    elif request.method == "POST":
        status = 400
    return render_template("auth/code.html", form=form), status, headers


def _enrolment_page(form: CodeForm, status: int = 200):
    secret = operations.pending_secret(current_user)
    uri = totp.provisioning_uri(current_user, secret) if secret else None
    return (
        render_template(
            "auth/enrol.html",
            form=form,
            secret=secret,
            qr_svg=totp.qr_svg(uri) if uri else None,
        ),
        status,
    )


@bp.route("/enrol", methods=["GET", "POST"])
@login_required
def enrol():
    """Enrol (or re-enrol) TOTP: scan or type the secret, confirm with a code."""
    session = current_user.auth_session
    if session is None or (session.stage != "enrol" and not current_user.totp_pending_secret):
        return redirect(url_for("groups.dashboard"))
    start_form, form = ConfirmForm(prefix="start"), CodeForm()
    if request.method == "POST" and "start-csrf_token" in request.form:
        if start_form.validate_on_submit():
            operations.begin_enrolment(current_user)
        return redirect(url_for("auth.enrol"))
    if form.validate_on_submit():
        codes = operations.confirm_enrolment(current_user, form.code.data)
        if codes is None:
            keep_before_refusal()
            flash(_("That code does not match. Check your device's clock and try again."), "danger")
            return _enrolment_page(form, 400)
        first = session.stage != "full"
        if not first:
            flash(
                _("The new device is enrolled; every other session and API token was ended."),
                "info",
            )
        else:
            _advance("full")
        # A first enrolment goes on to confirm language and time zone; a new device does not.
        return render_template(
            "auth/recovery_codes.html",
            codes=codes,
            next_url=url_for("auth.welcome") if first else url_for("groups.dashboard"),
        )
    return _enrolment_page(form, 400 if request.method == "POST" else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Signs this account out everywhere and revokes its API tokens.

    A sign-in that has not passed the second factor only ends itself: knowing the password
    alone must not let anyone sign the real user out of their other sessions.
    """
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        if user.is_fully_authenticated:
            end_all_access(user)
            audit.record("auth.logout", actor=user, target=user)
        elif user.auth_session is not None:
            revoke(user.auth_session)
        logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def invitation(token: str):
    invite = operations.open_invitation(token)
    if invite is None:
        audit.record_event("account.invitation_invalid", outcome="denied")
        return render_template("auth/invitation_invalid.html"), 404
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = operations.accept_invitation(invite, form.password.data)
        except OperationError as error:
            form.password.errors.append(str(error))
            status = 400
        else:
            operations.begin_enrolment(user)
            _sign_in(user, "enrol")
            return redirect(url_for("auth.enrol"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/invitation.html", form=form, user=invite.user), status


# --- the user's own account -------------------------------------------------------------


def _account_page(status: int = 200, **forms):
    require(current_user, "use")
    forms.setdefault("password_form", ChangePasswordForm(prefix="pw"))
    forms.setdefault("recovery_form", ReauthForm(prefix="rc"))
    forms.setdefault("reenrol_form", ReauthForm(prefix="re"))
    forms.setdefault("token_form", TokenForm(prefix="tk"))
    forms.setdefault("preferences_form", _preferences_form(prefix="pf"))
    return (
        render_template(
            "account/index.html",
            sessions=live_sessions(current_user),
            tokens=live_tokens(current_user),
            recovery_left=totp.remaining_recovery_codes(current_user),
            **forms,
        ),
        status,
    )


@bp.route("/account")
@login_required
def account():
    return _account_page()


def _preferences_form(**kwargs) -> PreferencesForm:
    return PreferencesForm(
        language=current_user.language or get_locale().language,
        time_zone=current_user.time_zone or "UTC",
        digits=current_user.digits or "latn",
        **kwargs,
    )


def _store_preferences(form: PreferencesForm) -> bool:
    """Store the form's three preferences, or put the refusal on the field at fault."""
    if not form.validate_on_submit():
        return False
    try:
        set_preferences(
            current_user,
            language=form.language.data,
            time_zone=form.time_zone.data,
            digits=form.digits.data,
        )
    except PreferenceError as error:
        getattr(form, error.field).errors.append(error.message)
        return False
    return True


@bp.route("/account/preferences", methods=["POST"])
@login_required
def preferences():
    """Language, time zone and digits from the account page."""
    require(current_user, "use")
    form = _preferences_form(prefix="pf")
    if not _store_preferences(form):
        return _account_page(400, preferences_form=form)
    # Said in the language just chosen: the next request's locale.
    refresh()
    flash(_("Your language, time zone and digits were saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/welcome", methods=["GET", "POST"])
@login_required
def welcome():
    """First sign-in: the person confirms the language (from the browser) and time zone
    (the browser's, filled in by static/js/app.js) before anything is shown in them."""
    require(current_user, "use")
    form = _preferences_form()
    if request.method == "POST":
        if _store_preferences(form):
            return redirect(url_for("groups.dashboard"))
        return render_template("account/welcome.html", form=form), 400
    return render_template("account/welcome.html", form=form)


@bp.route("/language", methods=["POST"])
def language():
    """The language switch: a signed-in account keeps its choice; anyone else gets a cookie
    the locale selector reads after the account and before the browser's languages."""
    form = ConfirmForm()
    chosen = request.form.get("language")
    back = _safe_next("auth.login", request.form.get("next") or "")
    if not form.validate_on_submit() or chosen not in LANGUAGES:
        flash(_("Choose one of the offered languages."), "danger")
        return redirect(back)
    response = redirect(back)
    if current_user.is_authenticated and current_user.is_fully_authenticated:
        require(current_user, "use")
        set_preferences(current_user, language=chosen)
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=365 * 24 * 3600,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def _locked_out_page():
    """Re-authentication shares the sign-in lockout: a stolen session cannot guess on."""
    locked = lockout.current_lockout(current_user.email)
    if locked is None:
        return None
    audit.record_event("auth.locked_out", outcome="denied", target=current_user)
    flash(locked.message, "danger")
    body, status = _account_page(429)
    return body, status, {"Retry-After": str(locked.retry_after)}


def reauthenticated(form) -> bool:
    """The form's password and code prove the signed-in person is present; failures go on the
    form's fields (used by every form that confirms a sensitive change)."""
    try:
        reauthenticate(current_user, form.current_password.data, form.code.data)
    except LoginFailed as failure:
        getattr(form, failure.field or "current_password").errors.append(failure.message)
        return False
    return True


def _reauthenticated(form: ReauthForm) -> bool:
    return form.validate_on_submit() and reauthenticated(form)


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    require(current_user, "use")
    if (locked := _locked_out_page()) is not None:
        return locked
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            failure = reauthentication_failed(
                current_user, "current_password", _("The current password is wrong.")
            )
            form.current_password.errors.append(failure.message)
        else:
            try:
                operations.change_password(current_user, form.password.data)
            except OperationError as error:
                form.password.errors.append(str(error))
            else:
                flash(
                    _("Password changed. Every other session and all API tokens were ended."),
                    "success",
                )
                return redirect(url_for("auth.account"))
    return _account_page(400, password_form=form)


def _refused_reauthentication(prefix: str, form_name: str):
    """Password and a current code before a sensitive change: None once both are proven,
    otherwise the page to answer with (the failed attempt counts towards the lockout)."""
    require(current_user, "use")
    if (locked := _locked_out_page()) is not None:
        return locked
    form = ReauthForm(prefix=prefix)
    if _reauthenticated(form):
        return None
    keep_before_refusal()
    return _account_page(400, **{form_name: form})


@bp.route("/account/recovery-codes", methods=["POST"])
@login_required
def regenerate_recovery_codes():
    if (refused := _refused_reauthentication("rc", "recovery_form")) is not None:
        return refused
    codes = totp.new_recovery_codes(current_user)
    audit.record("auth.recovery_codes_regenerated", target=current_user)
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/account/totp", methods=["POST"])
@login_required
def reenrol_totp():
    if (refused := _refused_reauthentication("re", "reenrol_form")) is not None:
        return refused
    operations.begin_enrolment(current_user)
    audit.record("auth.totp_reenrolment_started", target=current_user)
    return redirect(url_for("auth.enrol"))


@bp.route("/account/sessions/<int:session_id>/revoke", methods=["POST"])
@login_required
def revoke_session(session_id: int):
    require(current_user, "use")
    target = db.session.scalar(
        select(AuthSession).where(
            AuthSession.id == session_id, AuthSession.user_id == current_user.id
        )
    )
    if target is None or not ConfirmForm(prefix="rv").validate_on_submit():
        abort(404)
    revoke(target)
    audit.record("auth.session_revoked", target=current_user, details={"session_id": session_id})
    if target.id == current_user.auth_session.id:
        logout_user()
        return redirect(url_for("auth.login"))
    flash(_("The session was ended."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    require(current_user, "use")
    form = TokenForm(prefix="tk")
    if not form.validate_on_submit():
        return _account_page(400, token_form=form)
    token, plain = issue_token(current_user, form.name.data)
    audit.record("auth.token_issued", target=current_user, details={"name": token.name})
    return render_template("account/token_created.html", token=token, plain=plain)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    require(current_user, "use")
    target = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    )
    if target is None or not ConfirmForm(prefix="rv").validate_on_submit():
        abort(404)
    revoke(target)
    audit.record("auth.token_revoked", target=current_user, details={"token_id": token_id})
    flash(_("The token was revoked."), "success")
    return redirect(url_for("auth.account"))
