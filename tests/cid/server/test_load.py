"""Loading a registry in ``cid serve``: the steps a large load reports as it goes."""

from __future__ import annotations

from pathlib import Path

from cid.registry._demo import write_demo
from cid.server._live import LiveUpdates

NOW = 1_795_000_000


def test_a_load_reports_reading_assembling_and_indexing(tmp_path: Path) -> None:
    reg = write_demo(tmp_path / "reg", now=NOW)
    steps: list[tuple[str, int, int]] = []
    live = LiveUpdates(reg.path, now=NOW, progress=lambda *step: steps.append(step))
    names = sorted(reg.zones)
    assert [s for s, _, _ in steps if s.startswith("assembling")] == [
        f"assembling {n}" for n in names
    ]
    for name in names:
        count = len(list((reg.path / "zones" / name / "descriptors").glob("*.cose")))
        if count:
            assert (f"reading {name}", 0, count) in steps
    assert steps[-1] == ("indexing", 0, 0)
    assert live.authority.origins
