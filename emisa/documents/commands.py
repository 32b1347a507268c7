"""``flask emisa fsck``: group keys that no longer open, orphan blobs and temp files, rows whose
blob is missing or damaged."""

from __future__ import annotations

import click
import sqlalchemy as sa

from emisa import audit
from emisa.cli import emisa_cli
from emisa.crypto import keyring
from emisa.documents.models import Document, DocumentVersion
from emisa.documents.operations import summed_usage, verify_version
from emisa.extensions import db
from emisa.groups.models import WorkingGroup
from emisa.storage import DEFAULT_ORPHAN_AGE, blobs


@emisa_cli.command("fsck")
@click.option(
    "--repair",
    is_flag=True,
    help="Delete orphan blobs and abandoned temp files; correct groups' storage counters.",
)
@click.option(
    "--min-age",
    type=float,
    default=DEFAULT_ORPHAN_AGE,
    show_default=True,
    help="Seconds a blob or temp file must be untouched before it counts as an orphan "
    "(an upload in progress writes its blob just before its row).",
)
def fsck_command(repair: bool, min_age: float) -> None:
    """Check group keys and every document file; exit status 1 when a group key does not
    open under the master key, or a row's file is missing or damaged."""
    import time

    # A group key that no longer unwraps makes all of its group's content unreadable:
    # the first thing an operator must hear about.
    key_problems = keyring.check_group_keys()
    for problem in key_problems:
        click.echo(problem)
    store = blobs.store
    known = set(db.session.scalars(sa.select(DocumentVersion.blob_id)))
    cutoff = time.time() - min_age
    orphans = []
    for blob_id in blobs.iter_blob_ids():
        if blob_id in known:
            continue
        path = getattr(store, "path", None)
        try:
            mtime = path(blob_id).stat().st_mtime if path else 0.0
        except FileNotFoundError:
            continue
        if mtime <= cutoff:
            orphans.append(blob_id)
    temps = list(blobs.iter_orphan_temp_files(min_age))
    for blob_id in orphans:
        click.echo(f"orphan blob {blob_id}" + (": removed" if repair else ""))
        if repair:
            blobs.delete(blob_id)
    for temp in temps:
        click.echo(f"orphan temp file {temp.name}" + (": removed" if repair else ""))
        if repair:
            temp.unlink(missing_ok=True)
    bad = []
    versions = db.session.scalars(
        sa.select(DocumentVersion).join(Document).order_by(DocumentVersion.id)
    )
    checked = 0
    for version in versions:
        checked += 1
        problem = verify_version(version)
        if problem:
            bad.append(version)
            click.echo(
                f"document {version.document_id} version {version.number} "
                f"(blob {version.blob_id}): {problem}"
            )
    miscounted = _check_usage(repair)
    audit.record(
        "documents.fsck",
        details={
            "checked": checked,
            "damaged": [v.blob_id for v in bad],
            "group_key_problems": len(key_problems),
            "orphans": len(orphans) + len(temps),
            "miscounted_groups": miscounted,
            "repair": repair,
        },
    )
    click.echo(
        f"{len(key_problems)} group key problem(s), "
        f"{checked} document version(s) checked, {len(bad)} damaged or missing, "
        f"{len(orphans)} orphan blob(s), {len(temps)} orphan temp file(s)"
        + (" removed" if repair and (orphans or temps) else "")
    )
    if bad or key_problems or (miscounted and not repair):
        click.get_current_context().exit(1)


def _check_usage(repair: bool) -> list[int]:
    """Groups whose stored-bytes counter differs from the sum of their versions; with
    ``repair`` each is locked, summed again and set, so an upload committing meanwhile is
    neither lost nor counted twice."""
    counted = dict(db.session.execute(sa.select(WorkingGroup.id, WorkingGroup.stored_bytes)).all())
    wrong = [gid for gid, total in summed_usage().items() if counted.get(gid) != total]
    for group_id in wrong:
        if repair:
            db.session.execute(
                sa.select(WorkingGroup.id).where(WorkingGroup.id == group_id).with_for_update()
            )
            total = summed_usage(group_id)[group_id]
            db.session.execute(
                sa.update(WorkingGroup.__table__)
                .where(WorkingGroup.__table__.c.id == group_id)
                .values(stored_bytes=total)
            )
        click.echo(
            f"group {group_id}: storage counter {counted.get(group_id)} bytes, versions "
            f"hold {summed_usage(group_id)[group_id]}" + (": repaired" if repair else "")
        )
    return wrong
