"""Ground truth of the demo world and the true response to offers.

The response model (documented in docs/demo-world.md) — for person *i*:

* baseline purchase rate per day ``λ_i = orders_per_year_i / 365``, times 0.1 when the person
  has churned by the end of the world (win-back is rare);
* an offer worth ``v`` CNY multiplies the rate by ``m_i(v) = max(0, 1 + u_i · v / (v + 20))``
  with ``u_i = 2.5 · coupon_sensitivity_i`` (negative for the ~5 % "sleeping dogs");
* orders in a window of ``w`` days are Poisson(``λ_i · m_i · w``), so the purchase probability
  is ``1 − exp(−λ_i m_i w)``; each order is worth ``expected_basket_i`` on average
  (``30 + 60 · (1 − price_sensitivity_i)`` CNY), drawn from a Gamma with shape 4.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from omniretail.demo.calendar import N_DAYS
from omniretail.demo.context import World
from omniretail.demo.people import persons_table
from omniretail.demo.rand import Arr
from omniretail.demo.writers import write_parquet

UPLIFT_SCALE = 2.5
HALF_SATURATION = 20.0
CHURNED_RATE = 0.1
BASKET_SHAPE = 4.0


def expected_basket(price_sensitivity: Arr) -> Arr:
    return 30.0 + 60.0 * (1.0 - np.asarray(price_sensitivity, float))


def offer_response_table(w: World) -> pa.Table:
    p = w.people
    alive = p.churn_day >= N_DAYS
    rate = p.orders_per_year / 365.0 * np.where(alive, 1.0, CHURNED_RATE)
    u = UPLIFT_SCALE * p.coupon_sens
    table = pa.table(
        {
            "person_id": p.person_id,
            "alive": alive,
            "base_rate_per_day": rate,
            "offer_uplift": u,
            "expected_basket": expected_basket(p.price_sens),
        }
    )
    eff = true_effect(table, offer_value=10.0, window_days=30)
    return table.append_column("p_purchase_30d", eff.column("p_control")).append_column(
        "uplift_30d_offer10", eff.column("uplift_probability")
    )


def _load(persons: Path | pa.Table) -> pa.Table:
    if isinstance(persons, pa.Table):
        return persons
    path = Path(persons)
    if path.is_dir():
        path = path / "truth" / "offer_response.parquet"
    return pq.read_table(path)


def _select(table: pa.Table, person_ids: Arr | list[str] | None) -> pa.Table:
    if person_ids is None:
        return table
    ids = pa.array(np.asarray(person_ids, dtype=str))
    idx = pc.index_in(ids, value_set=table.column("person_id"))
    if idx.null_count:
        missing = ids.filter(pc.is_null(idx))[0].as_py()
        raise KeyError(f"unknown person_id {missing!r}")
    return table.take(idx)


def _multiplier(u: Arr, offer_value: float) -> Arr:
    return np.maximum(0.0, 1.0 + u * offer_value / (offer_value + HALF_SATURATION))


def true_effect(
    persons: Path | pa.Table,
    person_ids: Arr | list[str] | None = None,
    *,
    offer_value: float = 10.0,
    window_days: int = 30,
) -> pa.Table:
    """Exact expected response per person with and without the offer."""
    t = _select(_load(persons), person_ids)
    rate = t.column("base_rate_per_day").to_numpy()
    u = t.column("offer_uplift").to_numpy()
    basket = t.column("expected_basket").to_numpy()
    mu0 = rate * window_days
    mu1 = mu0 * _multiplier(u, offer_value)
    p0, p1 = 1 - np.exp(-mu0), 1 - np.exp(-mu1)
    return pa.table(
        {
            "person_id": t.column("person_id"),
            "p_control": p0,
            "p_treated": p1,
            "uplift_probability": p1 - p0,
            "spend_control": mu0 * basket,
            "spend_treated": mu1 * basket,
            "uplift_spend": (mu1 - mu0) * basket,
        }
    )


def simulate_response(
    persons: Path | pa.Table,
    person_ids: Arr | list[str],
    treated: Arr | list[bool],
    *,
    offer_value: float = 10.0,
    window_days: int = 30,
    rng: np.random.Generator | int | None = None,
) -> pa.Table:
    """Draw how the given persons respond in the window after a campaign.

    ``persons`` is a world directory, its ``truth/offer_response.parquet`` or that table;
    ``treated[i]`` says whether ``person_ids[i]`` received the offer. Returns ``person_id``,
    ``treated``, ``orders``, ``purchased`` and ``spend`` (CNY)."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    t = _select(_load(persons), person_ids)
    treat = np.asarray(treated, bool)
    if len(treat) != t.num_rows:
        raise ValueError("treated must have one entry per person_id")
    rate = t.column("base_rate_per_day").to_numpy()
    u = t.column("offer_uplift").to_numpy()
    basket = t.column("expected_basket").to_numpy()
    mu = rate * window_days * np.where(treat, _multiplier(u, offer_value), 1.0)
    orders = gen.poisson(mu)
    spend = np.where(
        orders > 0, gen.gamma(np.maximum(orders, 1) * BASKET_SHAPE, basket / BASKET_SHAPE), 0.0
    )
    return pa.table(
        {
            "person_id": t.column("person_id"),
            "treated": treat,
            "orders": orders.astype(np.int32),
            "purchased": orders > 0,
            "spend": np.round(spend, 2),
        }
    )


def identity_truth_table(w: World) -> pa.Table:
    """One row per distinct raw identity record present in the exports."""
    from omniretail.demo.exports_offline import group_assignments
    from omniretail.demo.identities import KINDS

    sources: list[str] = []
    ids: list[Arr] = []
    persons: list[Arr] = []
    kinds: list[Arr] = []
    for name, src in w.sources.items():
        present = np.ones(len(src), bool)
        if name not in ("pos", "miniprogram", "app", "wechat_oa", "wecom"):
            present[:] = False
            if src.order_record is not None:
                present[src.order_record[src.order_record >= 0]] = True
            if name == "groupbuy":
                leader, _ = group_assignments(w, w.channel_lines("groupbuy"))
                present[leader] = True
        sources.append(name)
        ids.append(src.record_id[present])
        persons.append(src.person[present])
        kinds.append(np.where(src.person[present] < 0, "test", KINDS[name]))
    for ex in w.extra:
        sources.append(ex.source)
        ids.append(ex.record_id)
        persons.append(ex.person)
        kinds.append(np.full(len(ex.person), ex.kind))
    src_col = np.concatenate([np.full(len(i), s) for s, i in zip(sources, ids, strict=True)])
    person = np.concatenate(persons)
    # a person with another record in the same source
    src_no = np.concatenate([np.full(len(i), k) for k, i in enumerate(ids)])
    key = src_no.astype(np.int64) * (w.people.n + 1) + np.maximum(person, 0)
    _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    dup = (counts[inv] > 1) & (person >= 0)
    pid = w.people.person_id[np.maximum(person, 0)]
    return pa.table(
        {
            "source": src_col,
            "source_record_id": np.concatenate(ids),
            "person_id": pa.array(pid, mask=person < 0),
            "kind": np.concatenate(kinds),
            "is_duplicate": dup,
        }
    )


def write_truth(w: World) -> None:
    p = w.people
    persons = persons_table(p, w.stores, expected_basket(p.price_sens))
    w.record("truth/persons.parquet", write_parquet(persons, w.path("truth/persons.parquet")))
    ident = identity_truth_table(w)
    w.record(
        "truth/identity_truth.parquet", write_parquet(ident, w.path("truth/identity_truth.parquet"))
    )
    resp = offer_response_table(w)
    w.record(
        "truth/offer_response.parquet", write_parquet(resp, w.path("truth/offer_response.parquet"))
    )
