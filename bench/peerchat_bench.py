#!/usr/bin/env python3
"""peerchat benchmarks: real processes on 127.0.0.1, driven through machine mode (--json),
measured from their own event stamps, their /stats counters and /proc.

  peerchat_bench.py latency --nodes 10 --messages 500 --rate 50
  peerchat_bench.py throughput --nodes 10 --duration 10
  peerchat_bench.py sync --events 100000 --authors 10   (a newcomer fetches K events of history)
  peerchat_bench.py idle --nodes 50 --duration 20       (CPU of an idle room)
  peerchat_bench.py file --file-size 1073741824 --receivers 4  (file rate, chat delay meanwhile)
  peerchat_bench.py suite quick|readme      (readme: the table in bench/README.md)
  peerchat_bench.py smoke                   (correctness only; exit 1 if anything is missing)
  peerchat_bench.py report RUNS.jsonl...    (tables of medians and of raw runs, from saved runs)

Prints one JSON line per run on stdout, then a Markdown table of medians; writes runs.jsonl,
table.md and latency-cdf.png into --out (default bench/results/DATE). See bench/README.md.
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import files
import modes
import report
import sync
from nodes import find_binary
from room import Setup

SUITES = {
    # What `make bench` runs by default: a minute or so.
    "quick": [("latency", 10, 500, 50), ("throughput", 10, 10), ("sync", 100_000, 10),
              ("file", 1 << 30, 1)],
    # The table in bench/README.md; run with --repeat 3.
    "readme": [("latency", 10, 500, 50), ("latency", 50, 500, 50), ("latency", 200, 200, 10),
               ("throughput", 10, 10), ("sync", 100_000, 10), ("idle", 50, 20, 5),
               ("file", 1 << 30, 1), ("file", 1 << 30, 4)],
}
# Correctness only, and quick: a small room's messages, and a small history to a newcomer.
SMOKE = [("latency", 5, 50, 50), ("sync", 2000, 4), ("file", 8 << 20, 2)]


def parse_args(argv):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bin", help="peerchat binary (default: $PEERCHAT_BIN, else "
                        "build/default/src/peerchat of this checkout)")
    common.add_argument("--out", help="results directory (default: bench/results/DATE)")
    common.add_argument("--repeat", type=int, default=1, help="runs of each configuration")
    common.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    common.add_argument("--size", type=int, default=100, help="message size in bytes")
    common.add_argument("--timeout", type=float, default=60.0,
                        help="seconds any wait may last without progress (generous: a loaded "
                        "machine is slow, and a timeout is reported, never hidden)")
    common.add_argument("--no-plot", action="store_true", help="skip the gnuplot CDF")
    common.add_argument("--keep", action="store_true", help="keep node data dirs and logs")
    common.add_argument("--node-arg", action="append", default=[], metavar="ARG",
                        help="extra option for every node, repeatable "
                        "(e.g. --node-arg=--target-links --node-arg=3)")
    common.add_argument("--make-history", help="make_history binary (default: "
                        "$PEERCHAT_MAKE_HISTORY, else bench/make_history of the binary's build)")

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    lat = sub.add_parser("latency", parents=[common], help="paced messages from random members")
    lat.add_argument("--nodes", type=int, default=10)
    lat.add_argument("--messages", type=int, default=500)
    lat.add_argument("--rate", type=float, default=50.0, help="messages per second, room-wide")
    thr = sub.add_parser("throughput", parents=[common], help="one publisher, as fast as it can")
    thr.add_argument("--nodes", type=int, default=10)
    thr.add_argument("--duration", type=float, default=10.0, help="seconds of publishing")
    syn = sub.add_parser("sync", parents=[common], help="a newcomer fetches K events of history")
    syn.add_argument("--events", type=int, default=100_000, help="events the room holds")
    syn.add_argument("--authors", type=int, default=10, help="authors of those events")
    idle = sub.add_parser("idle", parents=[common], help="CPU of an idle room")
    idle.add_argument("--nodes", type=int, default=50)
    idle.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    idle.add_argument("--settle", type=float, default=5.0,
                      help="seconds between full membership and the measured window")
    fil = sub.add_parser("file", parents=[common], help="one file to R receivers, chat meanwhile")
    fil.add_argument("--file-size", type=int, default=1 << 30, help="bytes")
    fil.add_argument("--receivers", type=int, default=1)
    suite = sub.add_parser("suite", parents=[common], help="a named set of runs")
    suite.add_argument("name", choices=sorted(SUITES))
    sub.add_parser("smoke", parents=[common], help="N=5, M=50 and a 2000-event sync: "
                   "correctness only, for ctest")
    rep = sub.add_parser("report", help="tables from saved runs.jsonl files")
    rep.add_argument("files", nargs="+")
    return parser.parse_args(argv)


def report_saved(files):
    results = []
    for name in files:
        with open(name, encoding="utf-8") as f:
            results += [json.loads(line) for line in f if line.strip()]
    print(report.markdown(results, raw=True))
    return 0


def plan(args):
    """The configurations to run, as tuples like those in SUITES."""
    if args.mode == "latency":
        return [("latency", args.nodes, args.messages, args.rate)]
    if args.mode == "throughput":
        return [("throughput", args.nodes, args.duration)]
    if args.mode == "sync":
        return [("sync", args.events, args.authors)]
    if args.mode == "idle":
        return [("idle", args.nodes, args.duration, args.settle)]
    if args.mode == "file":
        return [("file", args.file_size, args.receivers)]
    if args.mode == "suite":
        return SUITES[args.name]
    return SMOKE


def run_one(spec, args, setup, seed):
    kind, count, *rest = spec
    if kind == "latency":
        messages, rate = rest
        return modes.run_latency(setup, count, messages, rate, args.size, seed)
    if kind == "sync":
        (authors,) = rest
        tool = sync.find_make_history(args.make_history, setup.binary)
        return sync.run_sync(setup, tool, count, authors, seed)
    if kind == "idle":
        duration, settle = rest
        return modes.run_idle(setup, count, duration, settle, seed)
    if kind == "file":
        (receivers,) = rest
        return files.run_files(setup, count, receivers, seed)
    (duration,) = rest
    return modes.run_throughput(setup, count, duration, args.size, seed)


def out_dir(args):
    if args.out:
        path = Path(args.out)
    elif args.mode == "smoke":
        path = Path(tempfile.mkdtemp(prefix="peerchat-bench-smoke-"))
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(__file__).resolve().parent / "results" / stamp
    path.mkdir(parents=True, exist_ok=True)
    return path


def smoke_failures(result):
    """Correctness only: every message reached every other member exactly once; a newcomer
    synced and stored the whole history."""
    if result["mode"] == "sync":
        return sync.sync_failures(result)
    if result["mode"] == "file":
        return files.file_failures(result)
    problems = []
    if result["delivered"] != result["expected"]:
        problems.append(f"delivered {result['delivered']} of {result['expected']}")
    if result["duplicates"]:
        problems.append(f"{result['duplicates']} duplicate deliveries")
    return problems


def main(argv):
    args = parse_args(argv)
    if args.mode == "report":
        return report_saved(args.files)
    setup = Setup(find_binary(args.bin), args.timeout, args.keep, tuple(args.node_arg))
    out = out_dir(args)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    results, series = [], []
    with open(out / "runs.jsonl", "a", encoding="utf-8") as jsonl:
        for spec in plan(args):
            pooled = []
            for rep in range(args.repeat):
                print(f"# {spec} run {rep + 1}/{args.repeat}", file=sys.stderr, flush=True)
                result, latencies = run_one(spec, args, setup, seed + len(results))
                line = json.dumps(result, sort_keys=True)
                print(line, flush=True)
                jsonl.write(line + "\n")
                results.append(result)
                pooled += latencies
            series.append((report.label(results[-1]), pooled))
    table = report.markdown(results, raw=args.repeat > 1)
    (out / "table.md").write_text(table + "\n", encoding="utf-8")
    print("\n" + table)
    if not args.no_plot and args.mode != "smoke":
        png = report.plot_cdf(out, series)
        if png:
            print(f"\nlatency CDF: {png}")
    if args.mode == "smoke":
        return smoke_verdict(results, out, args)
    print(f"results: {out}")
    return 0


def smoke_verdict(results, out, args):
    problems = [p for r in results for p in smoke_failures(r)]
    if not args.out and not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    if problems:
        print("SMOKE FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    print("smoke: every member knew all, every message reached every member once, "
          "the newcomer synced and stored the whole history, every receiver got the file intact")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
