"""Probabilistic matching of weak evidence with Splink (概率匹配).

Records that carry no shared strong identifier can still be one person: a Tmall order with
only the receiver's name, a masked phone (``138****5678``) and an address; a store sign-up
with name, birthday and city. A Fellegi–Sunter model scores candidate pairs:

- comparisons: name (exact with term-frequency adjustment, so 王伟 counts for less than a
  rare name; one edit apart for names of 3+ characters), birthday, city, masked phone,
  address (exact / Jaro-Winkler ≥ 0.92), gender;
- m probabilities are learned from the deterministic clusters (records that share a strong
  identifier are labelled as the same person), u probabilities by random sampling, the prior
  from deterministic rules;
- candidate pairs come from the configured blocking rules; pairs at or above the threshold
  that join two different deterministic clusters become ``splink:<probability>`` edges.
"""

from __future__ import annotations

from typing import Any

from omniretail.cdp.identity.config import IdentityConfig
from omniretail.cdp.identity.splink_adapter import splink_db_api
from omniretail.platform.engine.base import AnalyticsEngine

MATCH_COLUMNS = ("name_norm", "birthday", "city", "phone_masked", "address_norm", "gender")


def _settings(cfg: IdentityConfig, prior: float) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name_norm",
        comparison_levels=[
            cll.NullLevel("name_norm"),
            cll.ExactMatchLevel("name_norm", term_frequency_adjustments=True),
            cll.CustomLevel(
                "length(name_norm_l) >= 3 AND levenshtein(name_norm_l, name_norm_r) <= 1",
                label_for_charts="one edit apart (3+ characters)",
            ),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address_norm",
        comparison_levels=[
            cll.NullLevel("address_norm"),
            cll.ExactMatchLevel("address_norm"),
            cll.JaroWinklerLevel("address_norm", 0.92),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="node",
        probability_two_random_records_match=prior,
        comparisons=[
            name,
            cl.ExactMatch("birthday"),
            cl.ExactMatch("city"),
            cl.ExactMatch("phone_masked"),
            address,
            cl.ExactMatch("gender"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on(*cols) for cols in cfg.splink.blocking_rules
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
        additional_columns_to_retain=["det_cluster"],
    )


def probabilistic_edges(engine: AnalyticsEngine, cfg: IdentityConfig, labels: str) -> int:
    """Write ``_idr_splink_edges(left_node, right_node, rule, evidence, weight)``."""
    from splink import Linker

    engine.materialize(
        "_idr_splink_input",
        f"""
        SELECT r.node, {", ".join("r." + c for c in MATCH_COLUMNS)},
               coalesce(l.cluster, r.node) AS det_cluster
        FROM _idr_records r LEFT JOIN {labels} l USING (node)
        WHERE r.name_norm IS NOT NULL
          AND (r.phone_masked IS NOT NULL OR r.birthday IS NOT NULL
               OR r.address_norm IS NOT NULL)
        """,
    )
    n = int(engine.scalar("SELECT count(*) FROM _idr_splink_input"))
    clustered = int(
        engine.scalar(
            "SELECT count(*) FROM (SELECT det_cluster FROM _idr_splink_input"
            " GROUP BY det_cluster HAVING count(*) > 1)"
        )
    )
    empty = (
        "SELECT CAST(NULL AS BIGINT) AS left_node, CAST(NULL AS BIGINT) AS right_node,"
        " CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS JSON) AS evidence,"
        " CAST(NULL AS DOUBLE) AS weight WHERE FALSE"
    )
    if n < max(2, cfg.splink.min_records) or clustered == 0:
        engine.materialize("_idr_splink_edges", empty)
        return 0
    # the prior: pairs inside deterministic clusters over all pairs, scaled up by the share of
    # true pairs the strong identifiers are expected to find
    det_pairs = int(
        engine.scalar(
            "SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM _idr_splink_input"
            " GROUP BY det_cluster)"
        )
    )
    prior = min(0.5, max(1e-12, det_pairs / (n * (n - 1) / 2) / cfg.splink.prior_recall))
    db_api = splink_db_api(engine)
    linker = Linker(db_api.register("_idr_splink_input"), _settings(cfg, prior), log_level=None)
    try:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=cfg.splink.u_max_pairs, seed=cfg.splink.seed
        )
        linker.training.estimate_m_from_label_column("det_cluster")
        predictions = linker.inference.predict(
            threshold_match_probability=cfg.splink.threshold, warning_mode="never"
        )
        table = predictions.physical_name
        agree = " || ".join(
            f"CASE WHEN gamma_{c} > 0 THEN '{c},' ELSE '' END" for c in MATCH_COLUMNS
        )
        engine.materialize(
            "_idr_splink_edges",
            f"""
            SELECT node_l AS left_node, node_r AS right_node,
                   'splink:' || CAST(round(match_probability, 4) AS VARCHAR) AS rule,
                   json_object('match_probability', round(match_probability, 6),
                               'match_weight', round(match_weight, 3),
                               'agree', rtrim({agree}, ',')) AS evidence,
                   {float(cfg.splink.weight)} * match_probability AS weight
            FROM {table}
            WHERE det_cluster_l <> det_cluster_r
            """,
        )
    finally:
        db_api.delete_tables_created_by_splink_from_db()
    return int(engine.scalar("SELECT count(*) FROM _idr_splink_edges"))
