#!/usr/bin/env python3
"""Where woken threads ran, and how long they waited to run.

Reads `perf script -F comm,tid,cpu,time,event,trace` output of a
`perf sched record` (stdin or a file) and prints, per thread name, the share
of its wake-ups that ran on the CPU of the thread that woke it ("same") or on
the other one ("cross"), with the mean and median delay from the wake-up
(sched_waking) to the thread running (sched_switch). On this VM a wake-up on
an idle other vCPU costs several times one on the waker's own: see
bench/README.md, What stands in the way, REQ<->REP.

    perf sched record -o s.data -- sh -c "…REQ/REP pair…"
    perf script -i s.data -F comm,tid,cpu,time,event,trace | python3 tools/wakes.py
"""

import collections
import re
import statistics
import sys

LINE = re.compile(r"\s*(\S.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)")
WAKING = re.compile(r"comm=(.*?) pid=(\d+) ")
SWITCH = re.compile(r"next_comm=(.*?) next_pid=(\d+) ")


def main() -> None:
    source = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    pending = {}  # woken tid -> (time, waker's cpu)
    delays = collections.defaultdict(lambda: collections.defaultdict(list))
    for line in source:
        m = LINE.match(line)
        if not m:
            continue
        _, _, cpu, t, event, trace = m.groups()
        if event.endswith("sched_waking"):
            w = WAKING.search(trace)
            if w:
                pending[w.group(2)] = (float(t), int(cpu))
        elif event.endswith("sched_switch"):
            s = SWITCH.search(trace + " ")
            if s and s.group(2) in pending:
                woken_at, waker_cpu = pending.pop(s.group(2))
                kind = "same" if waker_cpu == int(cpu) else "cross"
                delays[s.group(1)][kind].append((float(t) - woken_at) * 1e6)
    for name, kinds in sorted(delays.items(), key=lambda kv: -sum(map(len, kv[1].values()))):
        total = sum(len(v) for v in kinds.values())
        if total < 100:
            continue
        parts = [
            f"{k} {len(v) / total:4.0%} mean {statistics.mean(v):5.1f} µs median {statistics.median(v):5.1f} µs"
            for k, v in sorted(kinds.items())
        ]
        print(f"{name:20} {total:7} wake-ups   " + "   ".join(parts))


if __name__ == "__main__":
    main()
