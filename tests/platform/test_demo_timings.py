"""The demo build's timing table says, after every phase and step, the process's peak RSS so far:
the step after which it rises is the one that set the build's peak."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rich.console import Console

from omniretail.cli.demo import _peak_rss_mb, _print_timings, _timed


@pytest.mark.skipif(sys.platform == "win32", reason="no getrusage on Windows")
def test_the_timings_record_the_peak_rss_of_each_phase(tmp_path: Path) -> None:
    timings: list[tuple[str, float, float, float]] = []
    with _timed(timings, "small"):
        pass
    before = timings[0][3]
    assert before > 10  # a Python process with numpy and pandas loaded: tens of MB at least
    with _timed(timings, "big"):
        block = bytearray(300 * 1024 * 1024)  # 300 MB, touched
        for i in range(0, len(block), 4096):
            block[i] = 1
        del block
    assert timings[1][3] >= timings[0][3]
    assert timings[1][3] >= 300
    _print_timings(Console(file=open(tmp_path / "out.txt", "w")), timings, 1.0, tmp_path)  # noqa: SIM115
    saved = json.loads((tmp_path / "demo-timings.json").read_text(encoding="utf-8"))
    assert [t[0] for t in saved["timings"]] == ["small", "big"]
    assert [len(t) for t in saved["timings"]] == [4, 4]
    assert saved["timings"][1][3] == round(timings[1][3])
    assert saved["peak_rss_mb"] >= saved["timings"][1][3]
    assert saved["peak_rss_mb"] <= round(_peak_rss_mb())
    assert "peak MB" in (tmp_path / "out.txt").read_text(encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux's /proc")
def test_the_peak_is_in_megabytes() -> None:
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    hwm_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    assert _peak_rss_mb() == pytest.approx(hwm_kb / 1024, rel=0.05, abs=20)
