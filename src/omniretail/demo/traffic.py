"""Store traffic of the demo world: the people-counter vendor's exports and the visit events.

- ``exports/counter/counter_doors.csv``: the counted doors (计数器点位) of every direct store (the
  franchisees share no counter data): the main door, which counts people passing (过店) where
  the store faces a street or a concourse, and a side door in the larger stores.
- ``exports/counter/counter_counts.csv``: hourly in / out / passing counts per door from
  COUNTER_START (the counters were installed then) to the world's end, during opening hours.
  Visitors follow the store's POS tickets hour by hour at the store's conversion rate (15-35 %),
  so 进店转化率 and the traffic × conversion × ticket decomposition mean something.
- Two broken counters: one store's main door stops counting after 14:00 for the last ten days
  (a ``counter_stopped`` finding), another's out-sensor over-counts for two weeks of September
  2026 (``out_exceeds_in``: those store-days are not counted).
- ``exports/visits/visits.jsonl`` (events API format): mini-program members' separate consent to
  face recognition (人脸识别授权, some withdrawn later) and the face vendor's member matches
  at the flagship stores — including matches of members who never consented, which the
  pipeline must leave out.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from omniretail.demo.calendar import DAYS, HOURS, N_DAYS
from omniretail.demo.catalog import CH
from omniretail.demo.context import World
from omniretail.demo.rand import uuid_array
from omniretail.demo.writers import concat, json_escape, padded, ts_text, write_csv

COUNTER_START = np.datetime64("2025-10-01", "D")
PASSING_TYPES = ("flagship", "street", "transport_hub")  # doors on a street or concourse
SIDE_DOOR_AREA = 150.0  # m²: larger stores have a second, counted side door
FACE_TYPES = ("flagship",)  # stores with the face-recognition vendor


def _open_hours(spec: str) -> tuple[int, int]:
    """``HH:MM-HH:MM`` → the first and last hour bucket the store is open in."""
    a, b = spec.split("-")
    return int(a[:2]), int(b[:2]) if b[3:] != "00" else int(b[:2]) - 1


def _tickets(w: World) -> np.ndarray:
    """Paid POS tickets per store × day × hour."""
    o = w.orders
    pos = (o.channel == CH["pos"]) & (o.store >= 0) & (o.status == 0)
    n = w.stores.num_rows
    cell = (o.store[pos] * N_DAYS + o.day[pos]) * 24 + o.secs[pos] // 3600
    return np.bincount(cell, minlength=n * N_DAYS * 24).reshape(n, N_DAYS, 24)


def write_traffic(w: World) -> None:
    rng = w.rng("traffic")
    codes = w.col("stores", "store_code").astype(str)
    types = w.col("stores", "store_type").astype(str)
    kind = w.col("stores", "store_kind").astype(str)
    area = w.col("stores", "area_m2").astype(float)
    hours = w.col("stores", "opening_hours").astype(str)
    counted = np.flatnonzero(kind != "加盟")
    first_day = int((COUNTER_START - DAYS[0]).astype(int))
    days = np.arange(first_day, N_DAYS)

    # doors
    door_store, door_code, door_name, door_passing = [], [], [], []
    for s in counted:
        door_store.append(s)
        door_code.append("D1")
        door_name.append("正门")
        door_passing.append(types[s] in PASSING_TYPES)
        if area[s] >= SIDE_DOOR_AREA:
            door_store += [s]
            door_code += ["D2"]
            door_name += ["侧门"]
            door_passing += [False]
    write_csv(
        pa.table(
            {
                "门店编码": pa.array(codes[door_store]),
                "门编码": door_code,
                "名称": door_name,
                "统计过店": ["是" if p else "否" for p in door_passing],
            }
        ),
        w.path("exports/counter/counter_doors.csv"),
        bom=True,
    )
    w.record("exports/counter/counter_doors.csv", len(door_store))

    # expected tickets per store-hour (the store's mean day × the hour profile × weekday) over
    # the store's conversion: visitors; the realised tickets add the day's own ups and downs
    tickets = _tickets(w)[counted][:, days]  # stores × days × 24
    profile = np.asarray(HOURS["offline"], float)
    mean_day = tickets.sum(axis=(1, 2)) / len(days)
    shape = profile / profile.sum()
    expected = mean_day[:, None, None] * shape[None, None, :]
    conversion = rng.uniform(0.15, 0.35, len(counted))
    lam = (0.6 * expected + 0.4 * tickets) / conversion[:, None, None] + 0.2
    visitors = rng.poisson(lam)
    visitors = np.maximum(visitors, tickets)  # every buyer came in
    open_mask = np.zeros((len(counted), 24), bool)
    for i, s in enumerate(counted):
        a, b = _open_hours(hours[s])
        open_mask[i, a : b + 1] = True
    visitors = visitors * open_mask[:, None, :]
    entry = rng.uniform(0.08, 0.22, len(counted))

    rows_store, rows_door, rows_day, rows_hour, rows_in, rows_out, rows_pass = (
        [] for _ in range(7)
    )
    stopped = int(np.argmax(area[counted] >= SIDE_DOOR_AREA))  # a store with two doors
    miscounted = len(counted) // 2
    for i, s in enumerate(counted):
        doors = [j for j, ds in enumerate(door_store) if ds == s]
        v = visitors[i]  # days × 24
        split = [v] if len(doors) == 1 else [rng.binomial(v, 0.7)]
        if len(doors) == 2:
            split.append(v - split[0])
        for j, part in zip(doors, split, strict=True):
            out = part.copy()
            if i == miscounted and door_code[j] == "D1":
                bad = (DAYS[days] >= np.datetime64("2026-09-07")) & (
                    DAYS[days] <= np.datetime64("2026-09-20")
                )
                out[bad] = np.ceil(part[bad] * 1.4).astype(out.dtype) + 1
            if i == stopped and door_code[j] == "D1":
                part = part.copy()
                part[-10:, 14:] = 0
                out[-10:, 14:] = 0
            d_idx, h_idx = np.nonzero(open_mask[i][None, :] & np.ones((len(days), 1), bool))
            rows_store.append(np.full(len(d_idx), s))
            rows_door.append(np.full(len(d_idx), j))
            rows_day.append(days[d_idx])
            rows_hour.append(h_idx)
            rows_in.append(part[d_idx, h_idx])
            rows_out.append(out[d_idx, h_idx])
            passing = (
                np.round(part[d_idx, h_idx] / entry[i]).astype(np.int64)
                if door_passing[j]
                else np.full(len(d_idx), -1)
            )
            rows_pass.append(passing)
    st, dr, dy, hr = (np.concatenate(x) for x in (rows_store, rows_door, rows_day, rows_hour))
    ins, outs, passing = (np.concatenate(x) for x in (rows_in, rows_out, rows_pass))
    order = np.lexsort((dr, st, hr, dy))
    st, dr, dy, hr, ins, outs, passing = (x[order] for x in (st, dr, dy, hr, ins, outs, passing))
    pass_arr = pa.array(passing, mask=passing < 0).cast(pa.string())
    table = pa.table(
        {
            "门店编码": pa.array(codes[st]),
            "门编码": pa.array(np.asarray(door_code)[dr]),
            "时段开始": ts_text(dy, hr * 3600),
            "进店人数": pa.array(ins.astype(np.int64)),
            "出店人数": pa.array(outs.astype(np.int64)),
            "过店人数": pass_arr,
        }
    )
    rel = "exports/counter/counter_counts.csv"
    w.record(rel, write_csv(table, w.path(rel), bom=True))
    _face_events(w, rng, counted, types, first_day)


def _face_events(
    w: World, rng: np.random.Generator, counted: np.ndarray, types: np.ndarray, first_day: int
) -> None:
    """Face-recognition consent of mini-program members and the vendor's matches at the
    flagship stores (some of members who never consented: the pipeline must drop them)."""
    from omniretail.demo.identities import find_in

    mini = w.sources["miniprogram"]
    o = w.orders
    face_store = np.zeros(w.stores.num_rows, bool)
    face_store[counted[np.isin(types[counted], FACE_TYPES)]] = True
    pos = np.flatnonzero(
        (o.channel == CH["pos"]) & (o.store >= 0) & (o.day >= first_day) & (o.status == 0)
    )
    pos = pos[face_store[o.store[pos]]]
    rec = find_in(mini, o.person[pos])
    pos, rec = pos[rec >= 0], rec[rec >= 0]
    members = np.unique(rec)
    consent = members[rng.random(len(members)) < 0.45]
    withdrawn = consent[rng.random(len(consent)) < 0.1]
    first_visit = np.full(len(mini), N_DAYS, np.int64)
    np.minimum.at(first_visit, rec, o.day[pos])
    # consent a few days before the first visit in the counter window; withdrawals later
    c_day = np.maximum(first_day - 30, first_visit[consent] - rng.integers(1, 20, len(consent)))
    w_day = np.minimum(N_DAYS - 1, first_visit[withdrawn] + 60)
    # matches: most visits of consented members, a few of the others (refused downstream)
    has_consent = np.isin(rec, consent)
    matched = rng.random(len(pos)) < np.where(has_consent, 0.7, 0.08)
    m_pos, m_rec = pos[matched], rec[matched]
    c_secs = rng.integers(9 * 3600, 21 * 3600, len(consent))
    m_secs = np.maximum(0, o.secs[m_pos] - rng.integers(60, 900, len(m_pos)))
    parts = [
        ("Face Recognition Consent Granted", consent, c_day, c_secs, None),
        (
            "Face Recognition Consent Withdrawn",
            withdrawn,
            w_day,
            np.full(len(withdrawn), 72000),
            None,
        ),
        ("Face Matched", m_rec, o.day[m_pos], m_secs, o.store[m_pos]),
    ]
    codes = pa.array(w.col("stores", "store_code").astype(str))
    lines: list[pa.Array] = []
    for event, who, day, secs, store in parts:
        n = len(who)
        if n == 0:
            continue
        props = (
            concat(
                '{"store_code":"',
                codes.take(pa.array(store)),
                '","score":0.9',
                padded(rng.integers(0, 99, n), 2),
                "}",
            )  # fmt: skip
            if store is not None
            else pa.repeat(pa.scalar('{"purpose":"到店识别与会员服务"}'), n)
        )
        lines.append(
            concat(
                '{"type":"track","event":"',
                event,
                '","messageId":"',
                uuid_array(rng, n),
                '","userId":"',
                json_escape(pa.array(mini.record_id[who])),
                '","timestamp":"',
                ts_text(day, secs, sep="T", suffix="+08:00"),
                '","context":{"app":"miniprogram","library":"face-vendor"},"properties":',
                props,
                "}",
            )  # fmt: skip
        )
    rel = "exports/visits/visits.jsonl"
    path = w.path(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = pa.concat_arrays(lines) if lines else pa.array([], pa.string())
    with path.open("w", encoding="utf-8") as fh:
        for line in text.to_pylist():
            fh.write(line + "\n")
    w.record(rel, len(text))
