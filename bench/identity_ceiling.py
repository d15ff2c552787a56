"""How much of a demo world's identity can be recovered at all: an oracle links two records
only when they truly belong to the same person AND share a given kind of evidence; its pairwise
recall is the ceiling for any matcher that uses that evidence (precision is 1 by construction).

Run: ``.venv/bin/python bench/identity_ceiling.py WORK.duckdb WORLD_DIR`` where WORK.duckdb
holds ``std_identity_records`` and ``std_identity_links`` (e.g. from bench/identity_world.py).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from omniretail.cdp.identity.components import connected_components  # noqa: E402
from omniretail.platform.engine import DuckDBEngine  # noqa: E402

STRONG = ["member_id", "phone", "email", "unionid", "openid", "wecom_external_userid"]
LEVELS = {
    "strong identifiers and source links": STRONG,
    "+ same masked phone": [*STRONG, "masked"],
    "+ same address (to the room)": [*STRONG, "masked", "addr"],
    "+ same phone ending and surname": [*STRONG, "masked", "addr", "last4 || sur"],
    "+ same real name": [*STRONG, "masked", "addr", "last4 || sur", "name"],
    "+ same phone ending or same city alone": [
        *STRONG, "masked", "addr", "last4 || sur", "name", "last4", "city",
    ],
}  # fmt: skip


ANYTHING = "+ same phone ending or same city alone"


def with_ceiling(recall: float, ceiling: dict[str, float]) -> dict[str, float]:
    """Recall beside the ceiling of the world's evidence (issue 16: every identity benchmark
    reports both): the ceiling with any evidence, and the share of it reached."""
    top = ceiling[ANYTHING]
    return {
        "recall": recall,
        "recall_ceiling": top,
        "recall_ceiling_real_names": ceiling["+ same real name"],
        "recall_share_of_ceiling": round(recall / top, 4) if top else 0.0,
    }


def recall_ceiling(work: str | Path, world: str | Path) -> dict[str, float]:
    """Pairwise recall an oracle reaches with each level of evidence (see the module doc)."""
    tmp = Path(tempfile.mkdtemp())
    shutil.copy(work, tmp / "w.duckdb")
    e = DuckDBEngine(tmp / "w.duckdb")
    truth = Path(world) / "truth" / "identity_truth.parquet"
    e.execute(
        "CREATE TABLE t AS SELECT source || ':' || source_record_id AS record_key,"
        " coalesce(person_id, 'x' || source_record_id) AS person_id"
        f" FROM read_parquet('{truth}')"
    )
    places = [
        str(row["v"])
        for row in e.fetch_rows(
            "SELECT DISTINCT city AS v FROM std_identity_records WHERE city IS NOT NULL"
            " UNION SELECT DISTINCT province FROM std_identity_records WHERE province IS NOT NULL"
        )
    ]
    alt = "|".join(re.escape(p) for p in sorted(places, key=len, reverse=True) if p.strip())
    prefix = f"^(?:(?:{alt})(?:省|市|自治区)?)+".replace("'", "''")
    e.execute(
        rf"""
        CREATE TABLE r AS SELECT row_number() OVER () AS node, s.*, t.person_id,
          CASE WHEN phone LIKE '+861%' THEN substr(phone, 4, 3) || '****' || substr(phone, 11, 4)
               WHEN regexp_full_match(phone_masked, '1[0-9]{{2}}\*{{4}}[0-9]{{4}}')
               THEN phone_masked
          END AS masked,
          CASE WHEN phone LIKE '+861%' THEN right(phone, 4)
               WHEN regexp_full_match(phone_masked, '[0-9*]*\*[0-9]{{4}}')
               THEN right(phone_masked, 4)
          END AS last4,
          substr(name, 1, 1) AS sur,
          nullif(regexp_replace(regexp_replace(address, '\s', '', 'g'), '{prefix}', ''), '')
              AS addr
        FROM std_identity_records s JOIN t USING (record_key)
        """
    )
    out = {}
    for label, keys in LEVELS.items():
        parts = [
            f"SELECT node, '{k}' AS k, CAST({k} AS VARCHAR) AS v, person_id FROM r"
            f" WHERE {k} IS NOT NULL"
            for k in keys
        ]
        e.materialize("vals", " UNION ALL ".join(parts))
        e.materialize(
            "edges",
            "SELECT a.node AS left_node, min(b.node) AS right_node FROM vals a JOIN vals b"
            " ON a.k = b.k AND a.v = b.v AND a.person_id = b.person_id AND a.node <> b.node"
            " GROUP BY a.node, a.k"
            " UNION ALL SELECT a.node, b.node FROM std_identity_links l"
            " JOIN r a ON a.record_key = l.left_key JOIN r b ON b.record_key = l.right_key"
            " WHERE a.person_id = b.person_id",
        )
        connected_components(e, edges="edges", out="cc")
        q = e.fetch_rows(
            """
            WITH j AS (SELECT r.person_id, coalesce(cc.cluster, r.node) AS c
                       FROM r LEFT JOIN cc USING (node)),
                 cells AS (SELECT count(*) AS n FROM j GROUP BY person_id, c),
                 real AS (SELECT count(*) AS n FROM j GROUP BY person_id)
            SELECT (SELECT sum(n * (n - 1) / 2) FROM cells) AS tp,
                   (SELECT sum(n * (n - 1) / 2) FROM real) AS tt
            """
        )[0]
        out[label] = round(float(q["tp"]) / float(q["tt"]), 4)
    e.close()
    shutil.rmtree(tmp)
    return out


def main(work: str, world: str) -> None:
    print(json.dumps({"recall_ceiling": recall_ceiling(work, world)}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
