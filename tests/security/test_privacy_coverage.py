"""Every operational table that names a customer has a privacy rule (a domain's
``privacy_hooks.py``), so an erasure cannot miss a new table: this test fails on a table with a
customer column that no rule covers and that is not listed below as holding no one."""

from __future__ import annotations

from omniretail.platform.db import Base, import_all_models
from omniretail.platform.privacy import registry

# tables with a customer-like column that hold nothing about a person (with the reason)
NOT_PERSONAL: dict[str, str] = {}


def _customer_columns(table: str) -> list[str]:
    cols = Base.metadata.tables[table].columns
    return [c.name for c in cols if c.name == "customer_id" or c.name.endswith("_customer_id")]


def test_every_table_naming_a_customer_has_a_rule() -> None:
    import_all_models()
    reg = registry.discover()
    covered = {(r.table, r.customer_column) for r in reg.tables}
    missing = [
        (t, c)
        for t in sorted(Base.metadata.tables)
        for c in _customer_columns(t)
        if (t, c) not in covered and t not in NOT_PERSONAL
    ]
    assert not missing, f"add a TableRule in the owning domain's privacy_hooks.py: {missing}"


def test_rules_name_real_tables_and_columns() -> None:
    import_all_models()
    reg = registry.discover()
    tables = Base.metadata.tables
    for r in reg.tables:
        t = tables[r.via[1]] if r.via else tables[r.table]
        assert r.customer_column in t.columns, r
        for c in r.clear + r.scrub:
            assert c in tables[r.table].columns, (r.table, c)
    for v in reg.values:
        for c in v.columns:
            assert c in tables[v.table].columns, (v.table, c)
    assert reg.resolver is not None
