"""Console pages (推荐模型): the recommendation model's offline metrics with a chart, and
"find customers for a new product" (新品找人; store-limited users find their stores' customers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from omniretail.insight.recommend import service
from omniretail.omnichannel.product import service as product_service
from omniretail.platform.auth.deps import DbSession, principal_from_user
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.errors import DomainError
from omniretail.platform.i18n import _

router = APIRouter(tags=["console"])

METRIC_ORDER = ("ndcg@10", "map", "precision@10", "recall@10", "coverage", "train_seconds")


def _metrics_table() -> tuple[list[dict[str, Any]], str | None]:
    try:
        rows = service.model_metrics()
    except DomainError as exc:
        return [], exc.detail
    table: dict[str, dict[str, Any]] = {}
    for r in rows:
        table.setdefault(str(r["algorithm"]), {"algorithm": str(r["algorithm"])})[
            str(r["metric"])
        ] = float(r["value"])
    ordered = sorted(table.values(), key=lambda r: -float(r.get("ndcg@10", 0.0)))
    return ordered, None


def _page(request: Request, **extra: Any) -> HTMLResponse:
    metrics, problem = _metrics_table()
    context: dict[str, Any] = {
        "metrics": metrics,
        "metric_names": METRIC_ORDER,
        "problem": problem,
        "form": {},
        "result": None,
        "form_error": None,
    }
    context.update(extra)
    return render(request, "recs/model.html", context)


@router.get("/models/recommendations", response_class=HTMLResponse)
def recommendation_model(request: Request, user: ConsoleUser) -> HTMLResponse:
    return _page(request)


@router.post(
    "/models/recommendations/new-product",
    response_class=HTMLResponse,
    dependencies=[CsrfProtected],
)
def new_product(
    request: Request,
    user: ConsoleUser,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    category_code: Annotated[str, Form()] = "",
    brand: Annotated[str, Form()] = "",
    flavor: Annotated[str, Form()] = "",
    price: Annotated[str, Form()] = "",
    n: Annotated[int, Form(ge=1, le=1000)] = 50,
) -> HTMLResponse:
    form = {
        "name": name.strip(),
        "category_code": category_code.strip(),
        "brand": brand.strip(),
        "flavor": flavor.strip(),
        "price": price.strip(),
        "n": n,
    }
    attrs: dict[str, Any] = {
        k: v for k, v in form.items() if k not in ("n", "price") and isinstance(v, str) and v
    }
    if price.strip():
        try:
            attrs["price"] = float(price)
        except ValueError:
            return _page(request, form=form, form_error="price")
    if not attrs.get("name"):
        return _page(request, form=form, form_error="name")
    categories = {c.code.casefold(): c for c in product_service.list_categories(db)}
    code = str(attrs.get("category_code") or "")
    if code and categories and code.casefold() not in categories:
        # an unknown code matched nothing and gave bare ids: say so, with the codes there are
        known = sorted(categories.values(), key=lambda c: c.code)
        return _page(
            request,
            form=form,
            form_error=_("Unknown category code %(code)s. Known categories: %(known)s")
            % {"code": code, "known": "、".join(f"{c.name}（{c.code}）" for c in known[:30])},
        )
    try:
        result = service.customers_for_new_product(
            attributes=attrs, n=n, store_codes=store_scope(principal_from_user(user)).codes()
        )
    except DomainError as exc:
        return _page(request, form=form, form_error=exc.detail)
    return _page(request, form=form, result=result)
