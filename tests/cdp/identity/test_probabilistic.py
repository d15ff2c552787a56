"""Splink links weak evidence (name + masked phone + address) on a synthetic population."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from omniretail.cdp.identity.evaluate import evaluate
from omniretail.platform.engine import DuckDBEngine, work_path
from tests.cdp.identity.factories import run_steps, synthetic_world, work_rows


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], dict]:
    home = tmp_path_factory.mktemp("splink")
    mp = pytest.MonkeyPatch()
    mp.setenv("OMNIRETAIL_HOME", str(home / "home"))
    mp.setenv("OMNIRETAIL_DEMO", "1")
    from omniretail.platform import config

    config.reset_settings()
    rows, truth = synthetic_world(600, seed=11)
    out = run_steps(rows, "identity")["identity"]
    truth_dir = home / "world" / "truth"
    truth_dir.mkdir(parents=True)
    keys = sorted(truth)
    pq.write_table(
        pa.table(
            {
                "source": [k.split(":", 1)[0] for k in keys],
                "source_record_id": [k.split(":", 1)[1] for k in keys],
                "person_id": [f"P{truth[k]:07d}" for k in keys],
            }
        ),
        truth_dir / "identity_truth.parquet",
    )
    yield home / "world", truth, out
    mp.undo()
    config.reset_settings()


def test_platform_records_are_linked_by_weak_evidence(resolved) -> None:
    _world, truth, out = resolved
    assert out["probabilistic_edges"] > 100
    rows = work_rows(
        "SELECT m.record_key, m.cluster_rule, e.evidence FROM identity_map m"
        " JOIN identity_edges e ON e.right_key = m.record_key OR e.left_key = m.record_key"
        " WHERE m.record_key LIKE 'tmall:%' AND e.rule LIKE 'splink:%'"
    )
    assert len({r["record_key"] for r in rows}) > 100
    assert all(r["cluster_rule"].startswith("splink:") for r in rows)
    assert any('"agree":"masked_phone,name' in r["evidence"] for r in rows)


def test_pairwise_precision_and_recall(resolved) -> None:
    world, _truth, _out = resolved
    engine = DuckDBEngine(work_path(), read_only=True)
    try:
        result = evaluate(engine, world)
    finally:
        engine.close()
    assert result["matched_records"] == result["truth_records"] == result["resolved_records"]
    assert result["precision"] >= 0.99
    # the synthetic mini-program records without phone have nothing to link them by
    assert result["recall"] >= 0.8
    assert result["f1"] == pytest.approx(
        2 * result["precision"] * result["recall"] / (result["precision"] + result["recall"]),
        abs=1e-5,
    )


def test_evaluate_counts_pairs_from_cluster_sizes(home: Path, tmp_path: Path) -> None:
    engine = DuckDBEngine()
    engine.register_arrow(
        "identity_map",
        pa.table(
            {
                "record_key": ["s:1", "s:2", "s:3", "s:4", "s:5", "s:t"],
                "customer_id": ["C1", "C1", "C1", "C2", "C2", "C2"],
            }
        ),
    )
    (tmp_path / "truth").mkdir()
    pq.write_table(
        pa.table(
            {
                "source": ["s"] * 6,
                "source_record_id": ["1", "2", "3", "4", "5", "t"],
                "person_id": ["P1", "P1", "P2", "P2", "P2", None],  # t: a test account
            }
        ),
        tmp_path / "truth" / "identity_truth.parquet",
    )
    result = evaluate(engine, tmp_path)
    # predicted pairs: 3 + 3 = 6; true pairs: P1 1 + P2 3 = 4; shared: (1,2) and (4,5) = 2
    assert result["predicted_pairs"] == 6
    assert result["true_pairs"] == 4
    assert result["true_positive_pairs"] == 2
    assert result["precision"] == pytest.approx(2 / 6, abs=1e-6)
    assert result["recall"] == pytest.approx(0.5, abs=1e-6)


def test_delivery_records_link_by_address(home: Path) -> None:
    """A delivery-app record (王女士, privacy number: only the address and the surname) links to
    the Tmall record with the same flat; sharing only a house number (a building of many
    flats) does not link."""
    from tests.cdp.identity.factories import record

    rows, truth = synthetic_world(600, seed=5)
    tmall = [r for r in rows if r["source"] == "tmall"]
    extra = []
    for i, t in enumerate(tmall[:150]):
        p = truth[t["record_key"]]
        pos = next(r for r in rows if r["record_key"] == f"pos:P{p}")
        extra.append(
            record(
                "meituan",
                f"MT{i}",
                platform_buyer_id=f"mt{i}",
                name=t["name"][0] + ("女士" if pos["gender"] == "F" else "先生"),
                gender=pos["gender"],
                address=t["address"] + f"{i % 30 + 1}栋1单元{i % 9 + 1}01室",
            )
        )
        extra.append(
            record(
                "tmall",
                f"TA{i}",
                platform_buyer_id=f"tba{i}",
                address=t["address"] + f"{i % 30 + 1}栋1单元{i % 9 + 1}01室",
                phone_masked=t["phone_masked"],
                name=t["name"],
            )
        )
        # a neighbour in the same building, another flat, nothing else in common
        extra.append(
            record(
                "eleme",
                f"EL{i}",
                platform_buyer_id=f"el{i}",
                name="欧阳女士",
                address=t["address"] + f"{i % 30 + 1}栋2单元{i % 9 + 1}02室",
            )
        )
    run_steps(rows + extra, "identity")
    cust = {
        r["record_key"]: r["customer_id"]
        for r in work_rows("SELECT record_key, customer_id FROM identity_map")
    }
    linked = sum(
        cust[f"meituan:MT{i}"] == cust[f"pos:P{truth[t['record_key']]}"]
        for i, t in enumerate(tmall[:150])
    )
    neighbours = sum(
        cust[f"eleme:EL{i}"] == cust[f"meituan:MT{i}"] for i in range(len(tmall[:150]))
    )
    assert linked >= 140
    assert neighbours == 0


def test_prior_from_masked_phones_is_the_share_beyond_chance() -> None:
    """λ by the method of moments: 5 clusters show a masked phone (10 pairs); 3 pairs share
    one (a value on 3 clusters); with chance agreement u = 0.1 and m = 0.55,
    λ = (3/10 − 0.1) / (0.55 − 0.1)."""
    from omniretail.cdp.identity.probabilistic import M_PROBABILITIES, _prior_from_masked_phones

    engine = DuckDBEngine()
    engine.execute(
        "CREATE TABLE _idr_clusters AS SELECT * FROM (VALUES"
        " (1, ['138****0001']), (2, ['138****0001']), (3, ['138****0001', '139****0002']),"
        " (4, ['150****0003']), (5, ['151****0004']), (6, CAST([] AS VARCHAR[])))"
        " AS t(cluster, phone_masked)"
    )
    m = M_PROBABILITIES["phone"][0][0]
    got = _prior_from_masked_phones(engine, {"phone": {"same masked phone": 0.1}})
    assert got == pytest.approx((3 / 10 - 0.1) / (m - 0.1))
    # no more sharing than chance: no estimate (the rule-based prior stays)
    assert _prior_from_masked_phones(engine, {"phone": {"same masked phone": 0.4}}) is None
    assert _prior_from_masked_phones(engine, {}) is None
