"""The console's left navigation: every area of the system, grouped by section.

A domain serves its area's landing page at ``href`` (its ``pages.py`` router is mounted before
the web package's, so its route wins); until then the web package serves an honest
"coming soon" page there. Labels are message ids translated in the templates.

Each area names the roles that may open it (``roles``): the navigation shows a user only
those (:func:`sections_for`), and every console page of an area refuses the other roles
(:func:`may_open`, checked where the console user is resolved) — so the menu never offers a page
that would answer 403 or show a role nothing of its own. The chain's staff open every area but
the administrators' own; a group-buy leader (团长), who is no store's staff, opens their point's
workbench and their account.
"""

from __future__ import annotations

from dataclasses import dataclass

from omniretail.platform.auth.models import ROLES
from omniretail.platform.i18n import N_

STAFF = tuple(r for r in ROLES if r != "leader")  # the chain's own people
EVERYONE = ROLES
ADMINS = ("admin",)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # message id (English); translated at render time
    href: str
    icon: str  # lucide icon name in static/vendor/icons.svg
    summary: str  # what the area is for (shown on its coming-soon page)
    roles: tuple[str, ...] = STAFF  # who may open the area's pages
    refusal: str | None = None  # what the others are told (message id); default: their role


@dataclass(frozen=True)
class NavSection:
    label: str
    items: tuple[NavItem, ...]
    heading: bool = True  # the label is shown above the items


SECTIONS: tuple[NavSection, ...] = (
    NavSection(
        N_("Home"),
        (
            NavItem(
                "overview",
                N_("Overview"),
                "/",
                "house",
                N_("Sales, orders and members across every channel and region."),
            ),
        ),
        heading=False,
    ),
    NavSection(
        N_("Customer data"),
        (
            NavItem(
                "customers",
                N_("Customers"),
                "/customers",
                "users",
                N_(
                    "Customer 360: the golden record of each member with identities, orders, "
                    "tags, points and consent."
                ),
            ),
            NavItem(
                "segments",
                N_("Tags & segments"),
                "/segments",
                "tags",
                N_("The tag catalogue and rule-based segments with live size previews."),
            ),
            NavItem(
                "data",
                N_("Data ingest & quality"),
                "/data",
                "database",
                N_(
                    "Import batches from every channel, quarantined rows with their reasons, "
                    "and identity resolution results."
                ),
            ),
        ),
    ),
    NavSection(
        N_("Insight"),
        (
            NavItem(
                "dashboards",
                N_("Dashboards"),
                "/dashboards",
                "chart-column",
                N_("KPI dashboards by store, channel, region and product category."),
            ),
            NavItem(
                "traffic",
                N_("Store traffic"),
                "/traffic",
                "footprints",
                N_(
                    "Visitors, conversion and ticket by store and hour, and why in-store sales "
                    "moved."
                ),
            ),
            NavItem(
                "models",
                N_("Models"),
                "/models",
                "brain-circuit",
                N_("Customer lifetime value, churn, recommendations, uplift and forecasts."),
            ),
        ),
    ),
    NavSection(
        N_("Marketing"),
        (
            NavItem(
                "campaigns",
                N_("Campaigns"),
                "/campaigns",
                "megaphone",
                N_("Targeted campaigns with holdout groups, messages and measured results."),
            ),
            NavItem(
                "live",
                N_("Live commerce"),
                "/live",
                "radio",
                N_("Live streams and content: what each session brought online and into stores."),
            ),
            NavItem(
                "coupons",
                N_("Coupons"),
                "/coupons",
                "ticket",
                N_("Coupon templates, issuing, redemption and their cost."),
            ),
            NavItem(
                "promotions",
                N_("Promotions"),
                "/promotions",
                "shopping-bag",
                N_("Spend and save, percentage off, flash sales, bundles and team buys."),
            ),
            NavItem(
                "loyalty",
                N_("Loyalty & points"),
                "/loyalty",
                "gift",
                N_("Membership tiers and the points ledger."),
            ),
        ),
    ),
    NavSection(
        N_("Operations"),
        (
            NavItem(
                "omnichannel",
                N_("Omnichannel"),
                "/omnichannel",
                "store",
                N_("Stores, channels, products, inventory, orders and fulfillment."),
            ),
            NavItem(
                "guide",
                N_("Shopping guides"),
                "/guide",
                "user",
                N_(
                    "Clerks' customers, daily task lists, attributed and incremental sales, "
                    "and the clerk workbench."
                ),
            ),
            NavItem(
                "groupbuy",
                N_("Group buying"),
                "/operations/groupbuy",
                "shopping-bag",
                N_("Group leaders, their pickup points, group-buy activities and commission."),
                roles=EVERYONE,  # a leader's own workbench is here
            ),
            NavItem(
                "community",
                N_("Communities"),
                "/operations/community",
                "users",
                N_("WeCom customer groups, live codes, referral campaigns and check-ins."),
            ),
            NavItem(
                "service",
                N_("Customer service"),
                "/service",
                "headset",
                N_("Service tickets, the assistant and review analysis."),
            ),
        ),
    ),
    NavSection(
        N_("System"),
        (
            NavItem(
                "jobs",
                N_("Jobs"),
                "/jobs",
                "clock",
                N_(
                    "Timed work of every domain: schedule, last and next run, duration and "
                    "failures."
                ),
            ),
            NavItem(
                "privacy",
                N_("Privacy requests"),
                "/privacy",
                "lock",
                N_("Export or erase everything held about a customer (administrators)."),
                roles=ADMINS,
                refusal=N_("Only administrators handle privacy requests."),
            ),
            NavItem(
                "settings",
                N_("Settings"),
                "/settings",
                "settings",
                N_("Console users, roles, store scopes and API keys."),
                roles=EVERYONE,  # everyone's own account and language
            ),
        ),
    ),
)


def items() -> list[NavItem]:
    return [item for section in SECTIONS for item in section.items]


def sections_for(role: str | None) -> tuple[NavSection, ...]:
    """The navigation ``role`` sees: the areas it may open, sections left empty dropped
    (no role — an anonymous error page — sees the staff's)."""
    who = role if role is not None else STAFF[0]
    out = []
    for section in SECTIONS:
        items = tuple(i for i in section.items if who in i.roles)
        if items:
            out.append(NavSection(section.label, items, section.heading))
    return tuple(out)


def refusal(role: str, path: str) -> str | None:
    """Why ``role`` may not open the console page at ``path`` (a message id), or None when it
    may (a page outside every area — the login, the language switch — is everyone's)."""
    item = active_item(path)
    if item is None or role in item.roles:
        return None
    return item.refusal or NO_ROLE


NO_ROLE = N_("Your role cannot open this page.")


def home_for(role: str) -> str:
    """Where ``role`` starts: the first area it may open."""
    return next(i.href for s in sections_for(role) for i in s.items)


def active_item(path: str) -> NavItem | None:
    """The item whose ``href`` is the longest prefix of ``path`` (``/`` only matches itself)."""
    best: NavItem | None = None
    for item in items():
        if item.href == "/":
            if path == "/":
                return item
            continue
        if (path == item.href or path.startswith(item.href + "/")) and (
            best is None or len(item.href) > len(best.href)
        ):
            best = item
    return best


ROLE_LABELS: dict[str, str] = {
    "admin": N_("Administrator"),
    "marketer": N_("Marketer"),
    "store_manager": N_("Store manager"),
    "clerk": N_("Clerk"),
    "analyst": N_("Analyst"),
    "leader": N_("Group leader"),
}
