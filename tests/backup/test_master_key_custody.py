"""Custody of the master key: K-of-N SLIP-39 shares, recovery checked against the keyring."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from emisa.backup.custody import split_key
from emisa.crypto.master import parse_key_set
from emisa.platform import prepare_platform
from tests.backup.conftest import run
from tests.backup.test_backup_restore import read_back


def installed_key(data_dir: Path) -> tuple[int, bytes]:
    current, keys = parse_key_set((data_dir / "master-keys.json").read_text(), "key file")
    return current, keys[current]


def audit_actions(app) -> list[str]:
    from emisa.audit.models import AuditEntry
    from emisa.extensions import db

    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


@pytest.fixture
def keyed(app, make_group):
    """A group whose key exists, wrapped by the master key: what a rebuilt key must open."""
    from emisa.crypto import keyring
    from emisa.database import commit

    group = make_group()
    with app.app_context():
        keyring.current_group_key(group)
        commit()
    return group


def split(app, shares: int = 5, threshold: int = 3) -> list[str]:
    result = run(app, "master-key", "split", "--shares", str(shares), "--threshold", str(threshold))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == shares and all(len(line.split()) == 33 for line in lines)
    return lines


def test_any_three_of_five_shares_rebuild_the_key_and_both_steps_are_audited(
    app, app_config, tmp_path, keyed
):
    shares = split(app)
    assert "crypto.master_key_split" in audit_actions(app)
    rebuilt = tmp_path / "custody" / "master-keys.json"
    result = run(
        app, "master-key", "recover", "--to", str(rebuilt), stdin="\n".join(shares[::2]) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert installed_key(rebuilt.parent) == installed_key(app_config["EMISA_DATA_DIR"])
    assert oct(rebuilt.stat().st_mode & 0o777) == "0o600"
    assert audit_actions(app)[-1] == "crypto.master_key_recovered"
    assert run(app, "audit-verify").exit_code == 0

    # Shares can also come from files, one per custodian.
    files = []
    for n, share in enumerate(shares[1:4]):
        files += ["--share-file", str(tmp_path / f"share-{n}.txt")]
        (tmp_path / f"share-{n}.txt").write_text(share + "\n")
    again = run(app, "master-key", "recover", "--to", str(tmp_path / "again.json"), *files)
    assert again.exit_code == 0, again.output


def test_too_few_wrong_or_foreign_shares_install_nothing(app, tmp_path, keyed):
    shares = split(app)
    destination = tmp_path / "master-keys.json"

    def recover(lines: list[str]):
        result = run(app, "master-key", "recover", "--to", str(destination), stdin="\n".join(lines))
        assert result.exit_code == 1
        assert not destination.exists()
        return result.output

    assert "Wrong number of mnemonics" in recover(shares[:2])
    words = shares[0].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    assert "Invalid mnemonic checksum" in recover([" ".join(words), *shares[1:3]])
    # Valid shares of another key: SLIP-39 accepts them, the keyring does not.
    foreign = split_key(os.urandom(32), 5, 3)
    assert "does not open the group keys" in recover(foreign[:3])
    assert "no shares given" in recover([])
    assert "crypto.master_key_recovered" not in audit_actions(app)


def test_recovery_never_overwrites_a_key_file(app, app_config, keyed):
    shares = split(app)
    key_file = Path(app_config["EMISA_DATA_DIR"]) / "master-keys.json"
    before = key_file.read_bytes()
    result = run(app, "master-key", "recover", stdin="\n".join(shares[:3]))
    assert result.exit_code == 1 and "already exists" in result.output
    assert key_file.read_bytes() == before


def test_split_refuses_thresholds_that_make_no_sense(app, keyed):
    for shares, threshold in ((3, 4), (5, 0), (17, 3), (3, 1)):
        result = run(
            app, "master-key", "split", "--shares", str(shares), "--threshold", str(threshold)
        )
        assert result.exit_code == 1 and result.stdout == "", (shares, threshold)
    assert "crypto.master_key_split" not in audit_actions(app)


def test_lost_server_rebuilt_from_a_backup_and_custodians_shares(
    app, tmp_path, seeded, empty_platform
):
    """The data directory, key file included, is gone: only a backup and shares are left."""
    shares = split(app)
    backup = tmp_path / "backup"
    assert run(app, "backup", "--to", str(backup)).exit_code == 0

    bare = empty_platform(key_from=None)
    data_dir = Path(bare.config["EMISA_DATA_DIR"])
    recovered = run(
        bare, "master-key", "recover", "--backup", str(backup), stdin="\n".join(shares[2:])
    )
    assert recovered.exit_code == 0, recovered.output
    assert (data_dir / "master-keys.json").exists()

    restarted = empty_platform(bare.config["SQLALCHEMY_DATABASE_URI"], data_dir=data_dir)
    restored = run(restarted, "restore", "--from", str(backup))
    assert restored.exit_code == 0, restored.output
    actions = audit_actions(restarted)
    assert actions[-2:] == ["crypto.master_key_recovered", "backup.restored"]
    assert not (data_dir / "master-key-recovered.json").exists()
    read_back(restarted, seeded, [])
    assert run(restarted, "audit-verify").exit_code == 0


def test_the_embedded_default_warns_that_the_key_sits_beside_the_data(app, capsys):
    prepare_platform(app)
    warning = capsys.readouterr().err
    assert "the master key is kept in" in warning and "master-keys.json" in warning
    assert "master-key split" in warning


def test_no_warning_when_the_key_comes_from_the_environment(app_config, capsys, request):
    app_config["EMISA_MASTER_KEY"] = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo3ODkwMTI="
    prepare_platform(request.getfixturevalue("app"))
    assert "master key is kept" not in capsys.readouterr().err
