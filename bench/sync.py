"""Join/sync mode: a newcomer joins a member that holds K events and fetches the room's history.

make_history (built next to store_bench) fills the founder's data directory with K signed,
hash-chained events from A authors; the founder starts on it; a newcomer joins through it.
Times come from the newcomer's own stamps: its start (the driver's stamp just before spawning
it), its `ready` and its `synced` event. Then the driver waits until the newcomer's store holds
all K (the version vector's sum, read from history.db without disturbing the node), stops it
and counts what it stored.
"""

import json
import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import procfs
from modes import base_result
from nodes import POLL_S, BenchNode, stop_nodes


def find_make_history(explicit, peerchat_binary):
    """--make-history, else $PEERCHAT_MAKE_HISTORY, else bench/make_history of the build that
    holds the peerchat binary (build/PRESET/src/peerchat -> build/PRESET/bench/make_history)."""
    path = Path(explicit or os.environ.get("PEERCHAT_MAKE_HISTORY")
                or Path(peerchat_binary).resolve().parents[1] / "bench" / "make_history")
    if not path.is_file():
        raise SystemExit(f"make_history not found at {path} (build it, or pass --make-history / "
                         "set PEERCHAT_MAKE_HISTORY)")
    return str(path)


def make_history(tool, data_dir, events, authors, seed):
    done = subprocess.run([tool, "--data-dir", str(data_dir), "--events", str(events),
                           "--authors", str(authors), "--seed", str(seed)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"make_history failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def _query_ro(db, sql, *args):
    """One value from a read-only connection, closed at once: a reader still open when the node
    exits would keep it from checkpointing and removing its WAL."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def stored_prefix(db, newcomer_id):
    """Sum of the version vector in the newcomer's history.db (its own events left out): events
    held without gaps. Cheap (one row per author) and read-only, so it can be polled while the
    node writes."""
    try:
        return _query_ro(db, "SELECT coalesce(sum(contiguous_seq), 0) FROM authors WHERE key != ?",
                         bytes.fromhex(newcomer_id))
    except sqlite3.Error:
        return 0  # not created yet, or busy: ask again


def stored_count(db, newcomer_id):
    """Events held in history.db, the newcomer's own (its leave) left out."""
    return _query_ro(db, "SELECT count(*) FROM events JOIN authors USING (author_no) "
                     "WHERE key != ?", bytes.fromhex(newcomer_id))


def store_bytes(data_dir):
    """history.db and whatever WAL is left beside it."""
    return sum(p.stat().st_size for p in Path(data_dir).glob("history.db*")
               if not p.name.endswith(".lock"))


def wait_stored(db, newcomer_id, events, timeout):
    """Waits until the store holds all `events` (or the count stops moving for `timeout`);
    returns the wall time in µs when it did, or None."""
    last, last_change = -1, time.monotonic()
    while True:
        held = stored_prefix(db, newcomer_id)
        if held >= events:
            return time.time_ns() // 1000
        if held != last:
            last, last_change = held, time.monotonic()
        elif time.monotonic() - last_change > timeout:
            return None
        time.sleep(POLL_S / 5)


def run_sync(setup, tool, events, authors, seed):
    params = {"events": events, "authors": authors, "text_bytes": 100, "seed": seed,
              "node_args": list(setup.node_args)}
    result = base_result("sync", params)
    tmp = Path(tempfile.mkdtemp(prefix="peerchat-bench-sync-"))
    nodes, failed = [], True
    try:
        result["history"] = make_history(tool, tmp / "founder", events, authors, seed)
        founder = BenchNode(setup.binary, "founder", tmp / "founder", extra_args=setup.node_args)
        nodes.append(founder)
        founder.wait_ready(setup.timeout)
        busy_before, founder_cpu_before = procfs.machine_busy_us(), procfs.cpu_us(founder.pid)
        driver_before, mono_before = procfs.self_cpu_us(), time.monotonic()
        newcomer = BenchNode(setup.binary, "newcomer", tmp / "newcomer", join=founder.listen,
                             extra_args=setup.node_args)
        nodes.append(newcomer)
        ready = newcomer.wait_ready(setup.timeout)
        synced = newcomer.wait_event("synced", setup.timeout + events / 10_000)
        stats = newcomer.ask("/stats", "stats", setup.timeout)
        db = newcomer.data_dir / "history.db"
        stored_us = wait_stored(db, newcomer.id, events, setup.timeout)
        # CPU until everything is stored: the newcomer's whole life so far, the founder's since
        # the newcomer started.
        cpu = {"newcomer": procfs.cpu_us(newcomer.pid),
               # its event loop (receiving, verifying) apart from the store worker (writing)
               "newcomer_loop": procfs.cpu_us(newcomer.pid, newcomer.pid),
               "founder": procfs.cpu_us(founder.pid) - founder_cpu_before}
        window_us = (time.monotonic() - mono_before) * 1e6
        others = (procfs.machine_busy_us() - busy_before - cpu["newcomer"] - cpu["founder"]
                  - (procfs.self_cpu_us() - driver_before))
        newcomer.terminate()
        newcomer.reap(30)  # closing the store checkpoints its WAL
        held = stored_count(db, newcomer.id)
        size = store_bytes(newcomer.data_dir)
        analyse_sync(result, newcomer, ready, synced, stored_us, stats, cpu, held, size)
        result["cpu_pct"] = {"others": max(0.0, 100 * others
                                           / (window_us * result["machine"]["nproc"]))}
        failed = False
        return result, []
    finally:
        stop_nodes(nodes, tmp, setup.keep_dirs or failed)


def analyse_sync(result, newcomer, ready, synced, stored_us, stats, cpu, held, size):
    events = result["params"]["events"]
    start_us = newcomer.started_us
    sync_s = (synced["ts_us"] - start_us) / 1e6
    received = stats.get("bytes_received", 0)
    result.update({
        "synced_events": synced["events"], "unavailable": synced["unavailable"],
        "stored_events": held,
        # From the driver's stamp just before spawning the newcomer, and from its `ready`.
        "sync_s": sync_s,
        "sync_from_ready_s": (synced["ts_us"] - ready["ts_us"]) / 1e6,
        # Until the newcomer's history.db held all K (the driver polls its version vector).
        "stored_s": (stored_us - start_us) / 1e6 if stored_us else None,
        "events_per_s": events / sync_s,
        # Link bytes the newcomer received until synced (above TLS: length prefixes + frames).
        "bytes_received": received,
        "mb_per_s": received / sync_s / 1e6,
        "store_bytes": size,
        "store_bytes_per_100k": size * 100_000 / max(held, 1),
        "cpu_s": {"newcomer": cpu["newcomer"] / 1e6, "newcomer_loop": cpu["newcomer_loop"] / 1e6,
                  "founder": cpu["founder"] / 1e6},
    })


def sync_failures(result):
    """Correctness only: the newcomer said it synced all K and its store holds all K."""
    events = result["params"]["events"]
    problems = []
    if result["synced_events"] != events:
        problems.append(f"synced {result['synced_events']} of {events} events")
    if result["unavailable"]:
        problems.append(f"{result['unavailable']} events unavailable")
    if result["stored_events"] != events:
        problems.append(f"newcomer stored {result['stored_events']} of {events} events")
    return problems
