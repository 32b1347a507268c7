"""Discussion pages: thread list, thread with nested posts, editor, moderation."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from emisa import audit
from emisa.access import can, require
from emisa.access.discussions import ThreadMove
from emisa.access.validation import eligible_recipients
from emisa.discussions import attachments
from emisa.discussions import operations as ops
from emisa.discussions.attachments import wants_files
from emisa.discussions.forms import (
    BODY_HELP,
    EditForm,
    HideForm,
    MoveForm,
    ReplyForm,
    ThreadForm,
)
from emisa.discussions.models import Post, Thread
from emisa.extensions import csrf, db
from emisa.forms import ConfirmForm
from emisa.groups.models import WorkingGroup
from emisa.groups.operations import visible_groups
from emisa.notifications.operations import follows
from emisa.web import load, load_checked, on_refusal, page_count, page_number, page_url

bp = Blueprint("discussions", __name__)


@bp.route("/groups/<int:group_id>/discussions")
@login_required
def index(group_id: int):
    group = load_checked(WorkingGroup, group_id, "read_content")
    page = page_number()
    rows, total = ops.visible_threads(current_user, group, page)
    pages = page_count(total, ops.THREADS_PER_PAGE)
    if page > pages:
        abort(404)
    return render_template(
        "discussions/index.html",
        group=group,
        rows=rows,
        page=page,
        pages=pages,
        page_url=page_url,
        can_post=bool(can(current_user, "contribute", group)),
        following=follows(current_user.id, group.id),
    )


def _thread_form(group: WorkingGroup) -> ThreadForm:
    form = ThreadForm()
    form.recipients.choices = [
        SelectChoice(user.id, f"{user.name} ({user.country})")
        for user in eligible_recipients(group)
    ]
    return form


@bp.route("/groups/<int:group_id>/discussions/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its CSRF token itself, after the files were encrypted on arrival
@login_required
def new_thread(group_id: int):
    group = load_checked(WorkingGroup, group_id, "contribute")
    status = 400 if request.method == "POST" else 200
    on_refusal(lambda status: _new_page(group, _thread_form(group), status))
    uploads = None
    if request.method == "POST" and wants_files():
        uploads = attachments.receive(group.id)
        group = load_checked(WorkingGroup, group_id, "contribute")
    form = _thread_form(group)
    on_refusal(lambda status: _new_page(group, form, status))
    if form.validate_on_submit():
        thread = ops.create_thread(
            group,
            current_user,
            form.title.data,
            form.body.data,
            form.tlp.data,
            form.releasable_to.data,
            form.recipients.data,
        )
        files = (
            attachments.attach(ops.first_post(thread), thread, current_user, uploads)
            if uploads
            else []
        )
        flash(_posted(_("Your thread was posted."), files), "success")
        return redirect(url_for("discussions.thread", thread_id=thread.id))
    return _new_page(group, form, status)


def _new_page(group: WorkingGroup, form: ThreadForm, status: int):
    return render_template(
        "discussions/new.html",
        group=group,
        form=form,
        body_help=BODY_HELP,
        attach_help=attachments.ATTACH_HELP,
    ), status


def _posted(message: str, files: list) -> str:
    if not files:
        return message
    stored = ngettext(
        "%(num)d file went into the group's documents, encrypted, with its marking.",
        "%(num)d files went into the group's documents, encrypted, with its marking.",
        len(files),
    )
    return f"{message} {stored}"


# What a coordinator's pin or lock did, as the flash message says it.
_MODERATED = {
    "pin": _l("The thread was pinned."),
    "unpin": _l("The thread was unpinned."),
    "lock": _l("The thread was locked."),
    "unlock": _l("The thread was unlocked."),
}


def _thread_page(thread: Thread, status: int = 200, reply_form: ReplyForm | None = None):
    pages_total = None
    page = page_number()
    views, pages_total = ops.post_views(current_user, thread, page)
    if page > pages_total:
        abort(404)
    audit.record_event("thread.read", target=thread, details={"page": page})
    ops.mark_seen(current_user, thread)
    group = thread.group
    moderator = bool(can(current_user, "moderate", thread))
    return render_template(
        "discussions/thread.html",
        group=group,
        thread=thread,
        title=ops.thread_title(thread),
        posts=views,
        page=page,
        pages=pages_total,
        page_url=page_url,
        can_reply=bool(can(current_user, "reply", thread)) and not thread.locked,
        can_moderate=moderator,
        can_move=moderator
        and any(can(current_user, "perform", ThreadMove(thread, g)) for g in _other_groups(thread)),
        reply_form=reply_form or ReplyForm(),
        attach_help=attachments.ATTACH_HELP,
        # Per-post links are this prefix and the post's id: one url_for per page, not per post.
        post_base=url_for("discussions.post_link", post_id=0).removesuffix("0"),
        body_help=BODY_HELP,
        recipients=[user.name for user in thread.named_recipients],
        locked_message=_(ops.LOCKED_MESSAGE),
    ), status


def _other_groups(thread: Thread) -> list[WorkingGroup]:
    return [g for g in visible_groups(current_user) if g.id != thread.group_id]


@bp.route("/threads/<int:thread_id>")
@login_required
def thread(thread_id: int):
    return _thread_page(load_checked(Thread, thread_id, "read"))


@bp.route("/threads/<int:thread_id>/posts", methods=["POST"])
@csrf.exempt  # ReplyForm checks its CSRF token itself, after the files were encrypted on arrival
@login_required
def reply(thread_id: int):
    thread = load_checked(Thread, thread_id, "reply")
    on_refusal(lambda status: _thread_page(load_checked(Thread, thread_id, "read"), status))
    uploads = None
    if wants_files():
        uploads = attachments.receive(thread.group_id)
        thread = load_checked(Thread, thread_id, "reply")  # the body took a while: ask again
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread_page(thread, 400, form)
    try:
        parent_id = int(form.parent_id.data) if form.parent_id.data else None
    except ValueError:
        abort(400)
    on_refusal(lambda status: _thread_page(db.session.get(Thread, thread_id), status, form))
    post = ops.add_post(thread, current_user, form.body.data, parent_id)
    files = attachments.attach(post, thread, current_user, uploads) if uploads else []
    if files:
        flash(_posted(_("Your reply was posted."), files), "success")
    return redirect(url_for("discussions.post_link", post_id=post.id))


@bp.route("/posts/<int:post_id>")
@login_required
def post_link(post_id: int):
    """A stable link to a post: opens the page of the thread that holds it, at the post."""
    post = load_checked(Post, post_id, "read")
    page = ops.page_of_post(post.thread_id, post.id) or 1
    return redirect(
        url_for(
            "discussions.thread", thread_id=post.thread_id, page=page, _anchor=f"post-{post.id}"
        )
    )


@bp.route("/posts/<int:post_id>/source")
@login_required
def post_markdown(post_id: int):
    """A post's Markdown, for the Quote button: a quote keeps lists, tables and code."""
    post = load_checked(Post, post_id, "read_body")
    audit.record_event("post.source_read", target=post, group_id=post.group_id)
    response = make_response(ops.post_source(post))
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = load_checked(Post, post_id, "edit")
    form = EditForm()
    status = 400 if request.method == "POST" else 200
    if request.method == "GET":
        form.body.data = ops.post_source(post)
    elif form.validate_on_submit():
        on_refusal(lambda status: _edit_page(post, form, status))
        ops.edit_post(post, form.body.data, current_user)
        flash(_("Your post was updated."), "success")
        return redirect(url_for("discussions.post_link", post_id=post.id))
    return _edit_page(post, form, status)


def _edit_page(post: Post, form: EditForm, status: int):
    return render_template(
        "discussions/edit.html",
        post=post,
        thread=post.thread,
        group=post.thread.group,
        form=form,
        body_help=BODY_HELP,
    ), status


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@login_required
def delete_post(post_id: int):
    post = load_checked(Post, post_id, "delete")
    if ConfirmForm().validate_on_submit():
        ops.delete_post(post, current_user)
        flash(
            _("Your post was deleted. Files attached to it stay in the group's documents."),
            "success",
        )
    return redirect(url_for("discussions.post_link", post_id=post.id))


@bp.route("/posts/<int:post_id>/hide", methods=["POST"])
@login_required
def hide_post(post_id: int):
    post = load_checked(Post, post_id, "hide")
    form = HideForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for hiding the post (3 to 500 characters)."), "danger")
    else:
        on_refusal(url_for("discussions.post_link", post_id=post.id))
        ops.hide_post(post, form.reason.data, current_user)
        flash(_("The post is hidden; its author and the coordinators still see it."), "success")
    return redirect(url_for("discussions.post_link", post_id=post.id))


@bp.route("/posts/<int:post_id>/unhide", methods=["POST"])
@login_required
def unhide_post(post_id: int):
    post = load_checked(Post, post_id, "hide")
    if ConfirmForm().validate_on_submit():
        ops.unhide_post(post, current_user)
        flash(_("The post is visible again."), "success")
    return redirect(url_for("discussions.post_link", post_id=post.id))


@bp.route("/posts/<int:post_id>/history")
@login_required
def history(post_id: int):
    post = load_checked(Post, post_id, "history")
    audit.record_event("post.history_read", target=post, group_id=post.group_id)
    return render_template(
        "discussions/history.html",
        post=post,
        thread=post.thread,
        group=post.thread.group,
        title=ops.thread_title(post.thread),
        current=ops.post_source(post),
        revisions=ops.revisions_of(post),
    )


@bp.route("/threads/<int:thread_id>/<any(pin, unpin, lock, unlock):action>", methods=["POST"])
@login_required
def moderate(thread_id: int, action: str):
    thread = load_checked(Thread, thread_id, "moderate")
    if ConfirmForm().validate_on_submit():
        if action in ("pin", "unpin"):
            ops.set_pinned(thread, action == "pin", current_user)
        else:
            ops.set_locked(thread, action == "lock", current_user)
        flash(_MODERATED[action], "success")
    return redirect(url_for("discussions.thread", thread_id=thread.id))


@bp.route("/threads/<int:thread_id>/move", methods=["GET", "POST"])
@login_required
def move(thread_id: int):
    thread = load_checked(Thread, thread_id, "moderate")
    targets = [
        g for g in _other_groups(thread) if can(current_user, "perform", ThreadMove(thread, g))
    ]
    form = MoveForm()
    form.target.choices = [SelectChoice(g.id, g.name) for g in targets]
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        target = load(WorkingGroup, form.target.data)
        require(current_user, "perform", ThreadMove(thread, target))
        ops.move_thread(thread, target, current_user)
        flash(_("The thread was moved to %(group)s.", group=target.name), "success")
        return redirect(url_for("discussions.thread", thread_id=thread.id))
    return render_template(
        "discussions/move.html",
        thread=thread,
        group=thread.group,
        title=ops.thread_title(thread),
        form=form,
        targets=targets,
    ), status


@bp.route("/groups/<int:group_id>/discussions/members.json")
@login_required
def members_json(group_id: int):
    """Names for the editor's @mention autocomplete: members of a group the caller reads."""
    group = load_checked(WorkingGroup, group_id, "read_content")
    members = sorted(
        (
            {"id": m.user_id, "name": m.user.name, "country": m.user.country}
            for m in group.memberships
            if m.user.is_usable
        ),
        key=lambda m: m["name"].casefold(),
    )
    return jsonify(members)


@bp.route("/groups/<int:group_id>/<any(follow, unfollow):action>", methods=["POST"])
@login_required
def follow(group_id: int, action: str):
    from emisa.notifications.operations import set_follow

    group = load_checked(WorkingGroup, group_id, "read_content")
    if ConfirmForm().validate_on_submit():
        set_follow(current_user.id, group.id, action == "follow")
        flash(
            _("You will be notified of new threads in this group.")
            if action == "follow"
            else _("You no longer follow this group."),
            "success",
        )
    return redirect(url_for("discussions.index", group_id=group.id))
