"""Figures for docs/benchmarks.md, from the files benches/cadence_soak.sh collects.

    plot.py cadence SIM_LOG INTERVAL_S POLLS OUT.png   offsets of poll starts from the grid
    plot.py rss RSS_TSV OUT.png                        the daemon's RSS over the soak
"""

import re
import statistics
import sys
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LINE = re.compile(r"^\[(\S+Z) DEBUG \S+\] request (\S+)")


def poll_starts(log_path):
    """Arrival times (s) of each poll's first request: a device_query right after a
    device_list belongs to the same poll (the daemon lists devices first when it must)."""
    starts, previous = [], None
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            m = LINE.match(line)
            if not m:
                continue
            t = datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
            command = m.group(2)
            if not (command == "device_query" and previous == "device_list"):
                starts.append(t)
            previous = command
    return starts


def cadence(log_path, interval, polls, out):
    interval, polls = float(interval), int(polls)
    starts = poll_starts(log_path)[:polls]
    raw = [t - starts[0] - round((t - starts[0]) / interval) * interval for t in starts]
    # A poll never starts before its tick, so the earliest start marks the grid.
    offsets = [1000 * (r - min(raw)) for r in raw]
    late = sorted(abs(o) for o in offsets)
    pct = lambda q: late[min(len(late) - 1, int(q * len(late)))]  # noqa: E731
    print(
        f"cadence: {len(offsets)} polls every {interval:g} s, offsets from the grid (ms): "
        f"median {statistics.median(offsets):.1f}, p95 |{pct(0.95):.1f}|, "
        f"p99 |{pct(0.99):.1f}|, max |{late[-1]:.1f}|"
    )
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(range(len(offsets)), offsets, ".", markersize=3)
    ax.set_xlabel("poll number")
    ax.set_ylabel("start offset from the grid (ms)")
    ax.set_title(
        f"Poll start offsets, {len(offsets)} polls every {interval:g} s, "
        "EAGLE answering in 0–3 s"
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def rss(tsv_path, out):
    with open(tsv_path, encoding="utf-8") as tsv:
        rows = [line.split() for line in tsv.readlines()[1:]]
    minutes = [int(s) / 60 for s, _ in rows]
    mib = [int(k) / 1024 for _, k in rows]
    print(f"soak: {minutes[-1]:.0f} min, RSS first {mib[0]:.1f} MiB, last {mib[-1]:.1f} MiB, "
          f"max {max(mib):.1f} MiB")
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(minutes, mib)
    ax.set_ylim(0, max(mib) * 1.2)
    ax.set_xlabel("minutes")
    ax.set_ylabel("RSS (MiB)")
    ax.set_title(f"Daemon RSS over a {minutes[-1]:.0f}-minute soak (sampled every 10 s)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    {"cadence": cadence, "rss": rss}[sys.argv[1]](*sys.argv[2:])
