"""Run every benchmark in turn (`make bench`). The fire-lag one takes about --fires minutes, the burst one
about 10 minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = [
    ["bench_preview.py"],
    ["bench_bulk_load.py"],
    ["bench_retention.py"],
    ["bench_fire_lag.py", "--fires", "30", "--idle", "10000"],
    ["bench_burst.py", "--fires", "1000"],
    ["bench_tick_cost.py"],
    ["bench_tick_cost.py", "--sizes", "1000", "--ledger-rows", "1000000"],
]

if __name__ == "__main__":
    failed = 0
    for bench in BENCHES:
        print(f"\n=== {' '.join(bench)}", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / bench[0]), *bench[1:]]) != 0
    sys.exit(1 if failed else 0)
