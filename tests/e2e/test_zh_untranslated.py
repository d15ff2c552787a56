"""Chinese first, for real: every console page, walked in zh-CN as the admin on the e2e seed
world, shows no untranslated English and no raw code — neither in the page's visible text nor
in its charts' labels (ECharts draws on a canvas, so the chart options are read).

What is allowed (``ALLOWED``): brand names, units, acronyms a Chinese retail marketer reads
daily (SKU, ROI…), numbers, and what a user types or copies (``<code>``, ``<kbd>``, ``<pre>``,
form values, elements marked ``translate="no"``). Everything else in Latin letters is a finding.

``KNOWN`` lists what was still found, per page, when this test was written: a page's list may
only shrink (the test fails on a new finding and on a listed one that is gone, so the list is
kept honest). Empty it page by page; ``ZH_REPORT=findings.json`` writes what was found.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from omniretail.platform.console import nav

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # walks ~20 pages: about a minute

# Visible text nodes outside code-like elements, and every ECharts instance's labels.
COLLECT_JS = """
() => {
  const skip = (el) =>
    el.closest('script,style,code,kbd,pre,samp,textarea,[translate="no"],[hidden]');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || skip(el) || !node.textContent.trim()) continue;
    if (!el.getClientRects().length) continue;                 // not rendered
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[placeholder],[title],[aria-label]')) {
    if (skip(el)) continue;
    for (const a of ['title', 'aria-label']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  if (window.echarts) {
    for (const el of document.querySelectorAll('[_echarts_instance_]')) {
      const chart = echarts.getInstanceByDom(el);
      if (!chart) continue;
      const o = chart.getOption();
      const texts = [];
      for (const t of o.title || []) texts.push(t.text, t.subtext);
      for (const l of o.legend || []) for (const d of l.data || []) texts.push(d && d.name || d);
      for (const axis of [...(o.xAxis || []), ...(o.yAxis || [])]) {
        texts.push(axis.name);
        if (axis.type !== 'category') continue;
        for (const d of axis.data || []) texts.push(d && d.value || d);
      }
      for (const s of o.series || []) {
        texts.push(s.name);
        for (const d of s.data || []) if (d && typeof d === 'object' && d.name) texts.push(d.name);
        for (const n of s.nodes || []) texts.push(n.name);
        for (const c of s.categories || []) texts.push(c.name);
      }
      for (const t of texts) if (typeof t === 'string' && t.trim()) out.push(t.trim());
    }
  }
  return out;
}
"""

# Latin words of two letters or more, or codes with _ / - inside (order_completed, A/B).
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_\-/.][A-Za-z0-9]+)*")
ALLOWED = {
    # acronyms and units read daily in Chinese retail
    "SKU",
    "ROI",
    "KPI",
    "GMV",
    "CSV",
    "API",
    "ID",
    "UTC",
    "POS",
    "O2O",
    "RFM",
    "CLV",
    "SLA",
    "NPS",
    "CSAT",
    "AOV",
    "SMS",
    "pp",
    "kg",
    "g",
    "ml",
    "km",
    "h",
    "min",
    "s",
    "ms",
    "pct",
    "BG/NBD",
    "Gamma-Gamma",
    "AUC",
    "nDCG",
    "MAP",
    "k",
    "N",
    "n",
    "p",
    "vs",
    "A/B",
    "OpenAPI",
    "Swagger",
    "CDP",
    "Excel",
    "PDF",
    "AI",
    "APP",
    "ERP",
    "JSON",
    "YAML",
    "JSON/YAML",
    "Webhook",  # the channel's name in Chinese products too (企业微信 "Webhook 地址")
    "ID-Mapping",
    # the WeChat identifiers' own names, as WeChat's Chinese documentation writes them
    "openid",
    "unionid",
    # the authors of a model cited on its page
    "Fader",
    "Hardie",
    "Lee",
    # brand and product names
    "omniretail",
    "Omniretail",
    "WeChat",
    "WeCom",
    "Tmall",
    "JD",
    "Meituan",
    "Douyin",
    "Eleme",
    "App",
    "app",
    # the language switch names the other language in itself
    "English",
}

KNOWN: dict[str, set[str]] = {}


def _pages(page: Any, base: str) -> list[str]:
    """Every navigation area, and the same-site GET pages its landing page links to."""
    found: list[str] = []
    for item in nav.items():
        if item.href not in found:
            found.append(item.href)
    for href in list(found):
        page.goto(href)
        links = page.eval_on_selector_all(
            "main a[href^='/']", "els => els.map((e) => e.getAttribute('href'))"
        )
        for link in links:
            path = link.split("#")[0].split("?")[0]
            if (
                path
                and path not in found
                and not path.startswith(("/api", "/static", "/logout", "/docs"))
                and not path.endswith((".csv", ".xlsx", ".json", ".html"))
            ):
                found.append(path)
    return found[:60]


def findings(texts: list[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        for word in WORD.findall(text):
            if word in ALLOWED or len(word) < 2 and word.isupper():
                continue
            if re.fullmatch(r"[A-Z]{1,2}\d*|[A-Z]\d{3,}|\d+[A-Za-z]{1,2}", word):
                continue  # a store/customer code's prefix (C000…, S001), a size (150g)
            found.add(word)
    return found


def test_every_page_is_chinese(logged_in_page, live_server) -> None:  # type: ignore[no-untyped-def]
    page = logged_in_page
    report: dict[str, set[str]] = {}
    for path in _pages(page, live_server.url):
        response = page.goto(path)
        assert response is not None, path
        assert response.status < 500, path
        page.wait_for_load_state("networkidle")
        report[path] = findings(page.evaluate(COLLECT_JS))
    if os.environ.get("ZH_REPORT"):  # the findings as JSON, to rewrite KNOWN from
        Path(os.environ["ZH_REPORT"]).write_text(
            json.dumps({k: sorted(v) for k, v in report.items()}, ensure_ascii=False)
        )
    problems = []
    for path, words in sorted(report.items()):
        new = words - KNOWN.get(path, set())
        gone = KNOWN.get(path, set()) - words
        if new:
            problems.append(f"{path}: untranslated {sorted(new)}")
        if gone:
            problems.append(f"{path}: fixed, strike from KNOWN {sorted(gone)}")
    assert not problems, "\n".join(problems)
