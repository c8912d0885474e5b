"""A room of N peerchat processes on 127.0.0.1, and the snapshots a measurement is made of."""

import shutil
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import procfs
from nodes import LIVE_STATES, POLL_S, BenchNode

COUNTERS = ("bytes_sent", "bytes_received", "frames_sent", "frames_received",
            "datagrams_sent", "datagram_bytes_sent", "events_delivered", "event_copies", "grafts_sent")


class Setup(NamedTuple):
    """How to run nodes: the same for every run of one invocation."""
    binary: str
    timeout: float          # longest wait without progress, in seconds
    keep_dirs: bool = False  # keep data dirs and stderr logs after a successful run
    node_args: tuple = ()    # extra options for every node, e.g. ("--target-links", "3")


class BenchRoom:
    """N nodes: a founder, then each joining through a random earlier member."""

    def __init__(self, setup, n, rng):
        self.setup, self.n, self.rng, self.timeout = setup, n, rng, setup.timeout
        self.tmp = Path(tempfile.mkdtemp(prefix="peerchat-bench-"))
        self.nodes = []

    # --- start ----------------------------------------------------------------------------------

    def start(self):
        """Spawns every node (each waits for the previous one's `ready`: a joiner needs an
        address). Returns seconds from the founder's start to the last node's ready."""
        for i in range(self.n):
            # Like the e2e suite: only the second node joins through the founder, so
            # membership has to spread through the others.
            through = self.rng.choice(self.nodes[1:] or self.nodes) if self.nodes else None
            node = BenchNode(self.setup.binary, f"b{i:03d}", self.tmp / f"{i:03d}",
                             join=through.listen if through else None,
                             extra_args=self.setup.node_args)
            self.nodes.append(node)
            node.wait_ready(self.timeout)
        last_ready = max(n.events_of("ready")[0]["ts_us"] for n in self.nodes)
        return (last_ready - self.nodes[0].started_us) / 1e6

    def wait_full_membership(self):
        """Waits until every node lists all N as live members; returns seconds from the founder's
        start to the moment the last node learnt its last member (the nodes' own stamps)."""
        want = {node.id for node in self.nodes}
        deadline = time.monotonic() + self.timeout + self.n * 0.2
        while not all(self._members_joined(node) >= want - {node.id} for node in self.nodes):
            if time.monotonic() > deadline:
                raise RuntimeError(f"membership never converged: {self._views_summary(want)}")
            time.sleep(POLL_S)
        # member-joined events say when; /nodes confirms nobody is also marked gone.
        for node in self.nodes:
            while self._live_ids(node) != want:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{node.name} lists {len(self._live_ids(node))} live "
                                       f"members, not {self.n}")
                time.sleep(POLL_S)
        done_us = max(self._completed_us(node, want) for node in self.nodes)
        return (done_us - self.nodes[0].started_us) / 1e6

    @staticmethod
    def _members_joined(node):
        return {e["peer"]["id"] for e in node.events_of("member-joined")}

    def _live_ids(self, node):
        peers = node.ask("/nodes", "nodes", self.timeout)["peers"]
        return {p["id"] for p in peers if p["state"] in LIVE_STATES}

    @staticmethod
    def _completed_us(node, want):
        """ts_us of the member-joined event that completed node's view (its ready if none)."""
        missing = set(want) - {node.id}
        stamp = node.events_of("ready")[0]["ts_us"]
        for e in node.events_of("member-joined"):
            if e["peer"]["id"] in missing:
                missing.discard(e["peer"]["id"])
                stamp = e["ts_us"]
        return stamp

    def _views_summary(self, want):
        sizes = sorted(len(self._members_joined(n) & want) + 1 for n in self.nodes)
        return f"members known per node (want {len(want)}): {sizes}"

    # --- measuring -------------------------------------------------------------------------------

    def snapshot(self):
        """CPU of every node and of the machine, and every node's wire counters, now."""
        stats = [node.ask("/stats", "stats", self.timeout) for node in self.nodes]
        return {"mono": time.monotonic(),
                "cpu_us": sum(procfs.cpu_us(node.pid) for node in self.nodes),
                "machine_busy_us": procfs.machine_busy_us(),
                "driver_cpu_us": procfs.self_cpu_us(),
                # .get: a node from before a counter existed reports none (counted as 0)
                **{key: sum(s.get(key, 0) for s in stats) for key in COUNTERS},
                "links": [s["links"] for s in stats]}

    def memory_mib(self):
        """(peak RSS, anonymous RSS now) of every node, in MiB."""
        return ([procfs.peak_rss_kib(node.pid) / 1024 for node in self.nodes],
                [procfs.anon_rss_kib(node.pid) / 1024 for node in self.nodes])

    def stderr_count(self, substring):
        return sum(node.stderr_text().count(substring) for node in self.nodes)

    # --- stop -------------------------------------------------------------------------------------

    def stop(self, failed=False):
        """SIGTERM to all at once (each leaves gracefully), then reap; data dirs are removed
        unless asked to keep them or the run failed."""
        for node in self.nodes:
            node.terminate()
        for node in self.nodes:
            node.reap(10)
        if self.setup.keep_dirs or failed:
            print(f"# node data and stderr logs kept in {self.tmp}", flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
