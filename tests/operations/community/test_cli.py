"""``omniretail community import``: a GB18030 export with a custom mapping, bad rows reported."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.platform import db, migrate
from tests.omnichannel.factories import retail_world


def test_import_a_gb18030_export_with_a_mapping(home: Path, tmp_path: Path) -> None:
    migrate.upgrade()
    with db.session_scope() as s:
        retail_world(s)
    f = tmp_path / "groups.csv"
    text = "chat,name,member,joined,scene\nwrX,福利群,u1,2026-11-01 10:00,3\nwrX,福利群,u2,,3\n"
    f.write_bytes(text.encode("gb18030"))
    m = tmp_path / "mapping.json"
    m.write_text(
        '{"chat_id": "chat", "group_name": "name", "member_key": "member", '
        '"joined_at": "joined", "join_scene": "scene"}'
    )
    r = CliRunner().invoke(
        app, ["community", "import", str(f), "--store", "S1", "--mapping", str(m)]
    )
    assert r.exit_code == 0, r.output
    assert '"members": 1' in r.output
    assert '"row": 3' in r.output
    assert "入群时间" in r.output
