"""The generator: determinism, size, files present and readable, CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omniretail.demo import WorldSummary, generate_world
from omniretail.demo.layout import EXPORTS, IDENTITY_COLUMNS, read_export
from omniretail.demo.world import copy_mappings
from omniretail.platform.errors import InvalidInput


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(small_world: WorldSummary, tmp_path: Path) -> None:
    again = generate_world(tmp_path / "again", scale=0.01, seed=7)
    first, second = _digests(small_world.out), _digests(again.out)
    assert first.keys() == second.keys()
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_other_seed_gives_another_world(small_world: WorldSummary, tmp_path: Path) -> None:
    other = generate_world(tmp_path / "other", scale=0.01, seed=8)
    a, b = _digests(small_world.out), _digests(other.out)
    assert a["exports/pos/sales.csv"] != b["exports/pos/sales.csv"]
    assert a["truth/persons.parquet"] != b["truth/persons.parquet"]


def test_counts_grow_linearly_with_scale(small_world: WorldSummary, tmp_path: Path) -> None:
    double = generate_world(tmp_path / "double", scale=0.02, seed=7)
    small, big = small_world.counts, double.counts
    assert small["people"] == 1000
    assert big["people"] == 2000
    for key in ("orders", "order_lines", "identity_records", "events"):
        assert 1.7 < big[key] / small[key] < 2.3, key


def test_scale_one_targets() -> None:
    """The documented sizes at scale 1 follow from the constants (no generation needed)."""
    from omniretail.demo.catalog import CHANNELS, N_SKUS
    from omniretail.demo.geo import CITIES, n_stores

    assert n_stores(1.0) == 200
    assert n_stores(10.0) == 2000
    assert N_SKUS == 2000
    assert len(CHANNELS) == 15
    assert len({c.province for c in CITIES}) >= 10


def test_world_json_describes_the_files(small_world: WorldSummary) -> None:
    info = json.loads((small_world.out / "world.json").read_text("utf-8"))
    assert info["scale"] == 0.01
    assert info["seed"] == 7
    assert (info["start"], info["end"]) == ("2024-11-01", "2026-10-31")
    assert info["counts"]["people"] == 1000
    for rel, rows in info["files"].items():
        assert (small_world.out / rel).is_file(), rel
        assert rows > 0, rel
    assert {e.path for e in EXPORTS} <= set(info["files"])


@pytest.mark.parametrize("spec", EXPORTS, ids=lambda e: e.path)
def test_every_export_is_present_and_parseable(world_dir: Path, spec: object) -> None:
    from omniretail.demo.layout import ExportFile

    assert isinstance(spec, ExportFile)
    table = read_export(world_dir, spec.path)
    assert table.num_rows > 0
    for ic in IDENTITY_COLUMNS:
        if ic.path == spec.path:
            assert ic.column in table.column_names


def test_fifteen_channels_have_exports(world_dir: Path) -> None:
    channels = read_export(world_dir, "exports/master/channels.csv")
    codes = set(channels.column("channel_code").to_pylist())
    assert len(codes) == 15
    exported = {e.channel for e in EXPORTS}
    assert codes <= exported


def test_jd_export_is_gb18030(world_dir: Path) -> None:
    raw = (world_dir / "exports/jd/orders.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gb18030").startswith('"订单号","下单账号"')


def test_xlsx_reads_with_pandas(world_dir: Path) -> None:
    import pandas as pd

    cards = pd.read_excel(world_dir / "exports/giftcard/cards.xlsx", sheet_name="礼品卡", dtype=str)
    assert list(cards.columns)[:3] == ["卡号", "面值", "售价"]
    assert cards["卡号"].str.fullmatch(r"6688\d{12}").all()


def test_invalid_scale_and_seed_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        generate_world(tmp_path, scale=0, seed=1)
    assert err.value.field == "scale"
    with pytest.raises(InvalidInput):
        generate_world(tmp_path, scale=0.0001, seed=1)
    with pytest.raises(InvalidInput) as err:
        generate_world(tmp_path, scale=0.01, seed=-1)
    assert err.value.field == "seed"


def test_smallest_worlds_generate(small_world: WorldSummary, tmp_path: Path) -> None:
    """A world of a few hundred people may draw no record of a source (no corporate account at
    scale 0.002, seed 42): it is generated all the same, with every export a bigger one has."""
    for scale in (0.0005, 0.002):
        summary = generate_world(tmp_path / str(scale), scale=scale, seed=42)
        assert summary.counts["people"] == round(100_000 * scale)
        assert set(summary.files) == set(small_world.files)


def test_mappings_are_copied_when_present(tmp_path: Path) -> None:
    src = tmp_path / "mappings_src"
    src.mkdir()
    (src / "pos_members.yaml").write_text("source: pos\n", "utf-8")
    assert copy_mappings(tmp_path / "w", src) == 1
    assert (tmp_path / "w" / "mappings" / "pos_members.yaml").read_text("utf-8") == "source: pos\n"
    assert copy_mappings(tmp_path / "w2", tmp_path / "missing") == 0


def test_cli_generates_a_world(tmp_path: Path) -> None:
    from omniretail.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "demo-world",
            "--scale",
            "0.005",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "cli"),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["counts"]["people"] == 500
    assert (tmp_path / "cli" / "exports" / "pos" / "sales.csv").is_file()


def test_identical_in_another_process_with_other_hash_seed(
    small_world: WorldSummary, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "proc"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    code = (
        "import sys; from pathlib import Path; from omniretail.demo import generate_world; "
        "generate_world(Path(sys.argv[1]), scale=0.01, seed=7)"
    )
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env)
    assert _digests(out) == _digests(small_world.out)
