"""``omniretail recs``: evaluate recommenders on any interaction file; query served results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml

NAME = "recs"
app = typer.Typer(help="Product recommendations (商品推荐).", no_args_is_help=True)


def _echo(payload: object) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@app.command("evaluate")
def evaluate(
    interactions: Path | None = typer.Option(
        None, "--interactions", help="CSV/TSV/Parquet/XLSX file (or --source)."
    ),
    source: str | None = typer.Option(
        None,
        "--source",
        help="An imported source instead of a file: its paid goods lines after the import's "
        "cleaning (no duplicates, returns, cancellations or postage), ids as text.",
    ),
    user_col: str | None = typer.Option(
        None, "--user-col", help="Column with the customer (user) id."
    ),
    item_col: str | None = typer.Option(
        None, "--item-col", help="Column with the product (item) id."
    ),
    time_col: str | None = typer.Option(None, "--time-col", help="Event time (time decay)."),
    rating_col: str | None = typer.Option(None, "--rating-col", help="Weight/rating column."),
    item_text_col: str | None = typer.Option(
        None, "--item-text-col", help="Product name/description column (enables 'content')."
    ),
    item_category_col: str | None = typer.Option(None, "--item-category-col"),
    split: str = typer.Option("random", "--split", help="random (stratified per user) or time."),
    test_ratio: float = typer.Option(0.25, "--test-ratio"),
    k: int = typer.Option(10, "--k", help="Length of each recommendation list."),
    algorithms: list[str] = typer.Option(
        [], "--algorithms", "-a", help="Algorithms to compare (repeat); default: all."
    ),
    keep_seen: bool = typer.Option(
        False, "--keep-seen", help="Allow products already bought in training (repurchase)."
    ),
    seed: int = typer.Option(42, "--seed"),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel sheet (default: all)."),
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="Algorithm parameter ALGO.NAME=VALUE (repeat), e.g. -p als.factors=32 "
        "-p als.binary=true -p ease.l2=500; see `recs algorithms` for each one's parameters.",
    ),
) -> None:
    """Split, fit each algorithm, print MAP, nDCG@k, precision@k, recall@k, coverage, timings.

    Reports how many test customers and rows were scored; customers with no training history
    (time split) are scored separately with the popularity fallback (cold_start)."""
    from rich.console import Console

    from omniretail.insight.recommend.evaluate import catalog_from_interactions
    from omniretail.insight.recommend.evaluate import evaluate as run
    from omniretail.insight.recommend.io import read_table

    params = parse_params(param)
    source_report = None
    if (interactions is None) == (source is None):
        raise typer.BadParameter("give --interactions FILE or --source NAME (one of them)")
    if source is not None:
        from omniretail.insight.history.transactions import source_lines

        frame, source_report = source_lines(source)
        user_col, item_col = "customer_id", "sku"
        time_col = time_col or "purchased_at"
    elif interactions is not None:
        frame = read_table(interactions, sheet=sheet)
    if user_col is None or item_col is None:
        raise typer.BadParameter("--interactions needs --user-col and --item-col")
    items = catalog_from_interactions(
        frame, item_col=item_col, text_col=item_text_col, category_col=item_category_col
    )
    console = Console(stderr=True)
    with console.status("evaluating") as status:
        report = run(
            frame,
            user_col=user_col,
            item_col=item_col,
            time_col=time_col,
            rating_col=rating_col,
            split=split,
            test_ratio=test_ratio,
            k=k,
            algorithms=algorithms or None,
            items=items,
            remove_seen=not keep_seen,
            seed=seed,
            params=params,
            on_algorithm=lambda name: status.update(f"fitting and ranking: {name}"),
        )
    if source_report is not None:
        report = {"source": source_report, **report}
    _echo(report)


def parse_params(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """``als.factors=32`` → {"als": {"factors": 32}}; values parsed as YAML scalars."""
    out: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        algo, dot, name = key.strip().partition(".")
        if not sep or not dot or not algo or not name:
            raise typer.BadParameter(f"{pair!r}: expected ALGO.NAME=VALUE", param_hint="--param")
        value = yaml.safe_load(raw) if raw.strip() else None
        out.setdefault(algo, {})[name] = value
    return out


@app.command("algorithms")
def algorithms() -> None:
    """List the available recommenders and their parameters."""
    from omniretail.insight.recommend import available, create

    _echo({name: " ".join((type(create(name)).__doc__ or "").split()) for name in available()})


@app.command("customer")
def customer(customer_id: str, k: int = typer.Option(10, "--k")) -> None:
    """Published top-k recommendations for a customer."""
    from omniretail.cli._operator import visible_store_codes
    from omniretail.insight.recommend import service

    codes = visible_store_codes("read")  # another store's customer is unknown, as in the API
    _echo(service.customer_recommendations(customer_id=customer_id, k=k, store_codes=codes))


@app.command("likely-customers")
def likely_customers(sku: str, n: int = typer.Option(100, "--n")) -> None:
    """The customers most likely to buy a product."""
    from omniretail.cli._operator import visible_store_codes
    from omniretail.insight.recommend import service

    codes = visible_store_codes("read")  # a store user: the most likely of their customers
    _echo(service.likely_customers(sku=sku, n=n, store_codes=codes))


@app.command("bought-together")
def bought_together(sku: str, k: int = typer.Option(10, "--k")) -> None:
    """Products frequently bought together with a product."""
    from omniretail.insight.recommend import service

    _echo(service.bought_together(sku=sku, k=k))


@app.command("new-product")
def new_product(
    name: str = typer.Option(..., "--name", help="Product name, e.g. 良品铺子 芝士 腰果 120g"),
    category_code: str | None = typer.Option(None, "--category"),
    brand: str | None = typer.Option(None, "--brand"),
    flavor: str | None = typer.Option(None, "--flavor"),
    price: float | None = typer.Option(None, "--price"),
    n: int = typer.Option(100, "--n"),
) -> None:
    """Cold start: the customers most likely to like a product that is not on sale yet."""
    from omniretail.cli._operator import visible_store_codes
    from omniretail.insight.recommend import service

    attrs = {"name": name, "category_code": category_code, "brand": brand, "flavor": flavor}
    attrs = {k: v for k, v in attrs.items() if v is not None}
    if price is not None:
        attrs["price"] = str(price)
    codes = visible_store_codes("read")
    _echo(service.customers_for_new_product(attributes=attrs, n=n, store_codes=codes))
