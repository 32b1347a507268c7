"""The anchor: deleting the newest entries, or forging or deleting the anchor, is found."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from sqlalchemy import select, text, update

from emisa.audit import anchor, flush_pending, record_event
from emisa.audit.anchor import Head
from emisa.audit.log import _chain_key
from emisa.audit.models import AuditEntry
from emisa.extensions import db
from tests.audit.conftest import verify


def append_events(app, count: int) -> None:
    """``count`` appends, one transaction each, as the end of ``count`` requests would make."""
    with app.app_context():
        for n in range(count):
            record_event("test.probe", details={"n": n})
            flush_pending()


def newest(app) -> Head:
    with app.app_context():
        last = select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc())
        return Head(*db.session.execute(last.limit(1)).one())


def anchored(app) -> Head | None:
    with app.app_context():
        return anchor.read(_chain_key())


def anchor_path(app):
    with app.app_context():
        return anchor.path()


def keep_only_up_to(app, seq: int) -> None:
    """What an intruder with database access does: delete the newest rows with plain SQL."""
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_entries WHERE seq > :seq"), {"seq": seq})
        db.session.commit()


def audit_verify(runner, *options):
    return runner.invoke(args=["emisa", "audit-verify", *options])


def test_an_intact_log_is_anchored_at_its_newest_entry(app, busy_log, runner):
    assert anchored(app) == newest(app) == (busy_log[-1], newest(app).entry_hash)
    assert verify(app).ok
    assert audit_verify(runner).exit_code == 0


@pytest.mark.parametrize("deleted", [1, 3, "all"])
def test_deleting_the_newest_entries_is_found(app, busy_log, runner, deleted):
    last = busy_log[-1]
    keep_only_up_to(app, 0 if deleted == "all" else last - deleted)
    result = verify(app)
    assert not result.ok
    expected = f"entry {last} named by the anchor is missing: the newest entries were deleted"
    assert expected in result.message
    cli = audit_verify(runner)
    assert cli.exit_code == 1
    assert expected in cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1


def test_entries_appended_after_a_deletion_do_not_hide_it(app, busy_log, runner, caplog):
    """The log regrows past the anchored position: appends must not move the anchor on."""
    last = busy_log[-1]
    keep_only_up_to(app, last - 2)
    append_events(app, 5)
    assert anchored(app).seq == last
    result = verify(app)
    assert not result.ok
    assert f"entry {last} does not carry the hash named by the anchor" in result.message
    assert audit_verify(runner).exit_code == 1
    assert "no longer carries the anchored hash" in caplog.text


def plain_sha256(old_mac: str, head: Head) -> str:
    return hashlib.sha256(f"{head.seq}:{head.entry_hash}".encode()).hexdigest()


def other_key(old_mac: str, head: Head) -> str:
    return anchor._mac(b"a guessed key of 32 bytes length", head)


def old_mac_kept(old_mac: str, head: Head) -> str:
    return old_mac


@pytest.mark.parametrize("forge_mac", [old_mac_kept, plain_sha256, other_key])
def test_an_anchor_moved_back_without_the_key_is_refused(app, busy_log, runner, forge_mac):
    """The attack in full: delete the newest rows, then point the anchor at the new last one."""
    kept = busy_log[-3]
    keep_only_up_to(app, kept)
    path = anchor_path(app)
    old_mac = json.loads(path.read_text())["mac"]
    head = newest(app)
    assert head.seq == kept
    forged = json.dumps({"seq": head.seq, "hash": head.entry_hash, "mac": forge_mac(old_mac, head)})
    path.write_text(forged)
    result = verify(app)
    assert not result.ok and "is not authentic" in result.message
    cli = audit_verify(runner)
    assert cli.exit_code == 1 and "is not authentic" in cli.stderr
    append_events(app, 1)  # later appends leave the forged file as evidence
    assert path.read_text() == forged
    assert not verify(app).ok


@pytest.mark.parametrize("content", ["", "not json", '{"seq": 3}', '["a list"]'])
def test_a_damaged_anchor_fails(app, busy_log, content):
    anchor_path(app).write_text(content)
    result = verify(app)
    assert not result.ok and "cannot be read" in result.message


def test_concurrent_appends_keep_the_anchor_on_the_newest_entry(app, busy_log, caplog):
    append_events(app, 20)
    start, failures = threading.Barrier(2), []

    def appender():
        try:
            start.wait()
            append_events(app, 25)
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=appender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    result = verify(app)
    assert result.ok and result.checked == len(busy_log) + 70
    assert anchored(app) == newest(app)
    assert "audit anchor" not in caplog.text


def test_a_new_log_anchors_its_first_entry(app, runner):
    assert anchored(app) is None
    assert verify(app).ok
    append_events(app, 1)
    assert anchored(app) == newest(app) and newest(app).seq == 1
    assert audit_verify(runner).exit_code == 0


@pytest.mark.parametrize("deleted_entries", [0, 2])
def test_a_deleted_anchor_fails_until_an_operator_reanchors(
    app, busy_log, runner, caplog, deleted_entries
):
    """Deleting the anchor (to hide deleted entries) is itself reported, and stays reported."""
    keep_only_up_to(app, busy_log[-1] - deleted_entries)
    anchor_path(app).unlink()
    append_events(app, 3)  # appends do not recreate it: that would erase the evidence
    assert anchored(app) is None
    assert "missing while the log holds older entries" in caplog.text
    result = verify(app)
    assert not result.ok and "no anchor at" in result.message
    cli = audit_verify(runner)
    assert cli.exit_code == 1 and "audit-verify --reanchor" in cli.stderr

    cli = audit_verify(runner, "--reanchor")
    assert cli.exit_code == 0
    assert f"anchor set to entry {newest(app).seq}" in cli.stdout
    assert anchored(app) == newest(app) and verify(app).ok
    append_events(app, 1)
    assert anchored(app) == newest(app) and verify(app).ok


def test_reanchor_accepts_an_explained_truncation(app, busy_log, runner):
    """A database restored from an older backup: reported, then accepted by the operator."""
    keep_only_up_to(app, busy_log[-4])
    assert audit_verify(runner).exit_code == 1
    assert audit_verify(runner, "--reanchor").exit_code == 0
    assert anchored(app) == newest(app) and verify(app).ok


def test_reanchor_refuses_a_broken_chain(app, busy_log, runner):
    middle = busy_log[len(busy_log) // 2]
    with app.app_context():
        db.session.execute(update(AuditEntry).where(AuditEntry.seq == middle).values(outcome="x"))
        db.session.commit()
    before = anchor_path(app).read_bytes()
    cli = audit_verify(runner, "--reanchor")
    assert cli.exit_code == 1 and f"entry {middle}" in cli.stderr
    assert anchor_path(app).read_bytes() == before
