"""``omniretail link``: declarative linking of a partner's member list against ours."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from omniretail.cdp.identity.link import load_link_config
from omniretail.platform.errors import InvalidInput
from tests.cdp.identity.factories import CITIES, GIVEN, SURNAMES

CONFIG = {
    "unique_id": "id",
    "threshold": 0.9,
    "clean": {
        "name": ["strip", "simplified", "no_spaces"],
        "phone": ["phone"],
        "email": ["strip", "lower"],
    },
    "comparisons": [
        {"column": "name", "method": "jaro_winkler", "thresholds": [0.9]},
        {"column": "phone", "method": "exact"},
        {"column": "birthday", "method": "date"},
        {"column": "city", "method": "exact"},
        {"column": "email", "method": "email"},
    ],
    "blocking": [["phone"], ["name", "birthday"]],
    "training": {"deterministic": [["phone", "name"]], "recall": 0.8, "em_blocking": [["city"]]},
}


def _lists(tmp_path: Path, n: int = 800) -> tuple[Path, Path, set[tuple[str, str]]]:
    rnd = random.Random(3)
    ours, partner, truth = [], [], set()
    for i in range(n):
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
        phone = f"1{rnd.choice([3, 5, 8])}{rnd.randrange(10**9):09d}"
        bday = f"19{rnd.randrange(60, 99)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 28):02d}"
        city = rnd.choice(CITIES)
        email = f"user{i}@qq.com"
        ours.append(
            {
                "id": f"O{i}",
                "name": name,
                "phone": phone,
                "birthday": bday,
                "city": city,
                "email": email,
            }
        )
        if i % 2 == 0:  # half of our members are also the partner's, formatted their way
            fmt = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}" if i % 4 else phone
            partner.append(
                {
                    "id": f"X{i}",
                    "name": f" {name} ",
                    "phone": fmt,
                    "birthday": bday,
                    "city": city,
                    "email": email.upper(),
                }
            )
            truth.add((f"O{i}", f"X{i}"))
        else:
            partner.append(
                {
                    "id": f"X{i}",
                    "name": rnd.choice(SURNAMES) + rnd.choice(GIVEN),
                    "phone": f"1{rnd.randrange(3, 9)}{rnd.randrange(10**9):09d}",
                    "birthday": bday,
                    "city": rnd.choice(CITIES),
                    "email": None,
                }
            )
    paths = []
    for name, rows in (("ours.csv", ours), ("partner.csv", partner)):
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        paths.append(path)
    return paths[0], paths[1], truth


def test_link_two_lists_from_the_cli(tmp_path: Path) -> None:
    from omniretail.cli.main import app

    ours, partner, truth = _lists(tmp_path)
    config = tmp_path / "link.yaml"
    config.write_text(yaml.safe_dump(CONFIG, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(
        app, ["link", "--config", str(config), str(ours), str(partner), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) >= {"unique_id_l", "unique_id_r", "match_probability"}
    found = {(r["unique_id_l"], r["unique_id_r"]) for r in rows}
    found |= {(b, a) for a, b in found}
    hits = truth & found
    assert len(hits) / len(truth) >= 0.98
    assert len([p for p in found if p[0].startswith("O")]) <= len(truth) * 1.02


def test_dedupe_one_list(tmp_path: Path) -> None:
    from omniretail.cdp.identity.link import LinkConfig, link_files

    ours, _partner, _truth = _lists(tmp_path, 400)
    text = ours.read_text(encoding="utf-8").splitlines()
    # five members registered twice under new ids
    extra = [
        ",".join(["D" + line.split(",", 1)[0][1:], line.split(",", 1)[1]]) for line in text[1:6]
    ]
    ours.write_text("\n".join([*text, *extra]) + "\n", encoding="utf-8")
    cfg = LinkConfig.model_validate(CONFIG)
    out = link_files(cfg, ours, None, tmp_path / "dupes.csv")
    assert out["link_type"] == "dedupe_only"
    with (tmp_path / "dupes.csv").open(encoding="utf-8") as f:
        pairs = {tuple(sorted((r["unique_id_l"], r["unique_id_r"]))) for r in csv.DictReader(f)}
    expected = {tuple(sorted((f"O{i}", f"D{i}"))) for i in range(5)}
    assert expected <= pairs


def test_bad_configuration_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {"comparisons": [{"column": "name", "method": "soundex"}], "blocking": [["name"]]}
        ),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as err:
        load_link_config(path)
    assert err.value.field == "comparisons.0.method"
