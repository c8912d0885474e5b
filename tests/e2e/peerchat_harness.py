"""Drives real peerchat processes through machine mode (--json) for the end-to-end tests.

A Node is one process: its stdout JSON lines are collected by a reader thread, and tests wait
for conditions on them with generous timeouts (the suite runs on a loaded 2-core machine, so
nothing here sleeps for correctness: every wait polls a condition until a deadline).
"""

import json
import os
import random
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

# Long enough that a slow, busy machine never flakes; a passing run never waits this long.
TIMEOUT = 30.0
# Member states that count as "in the room"; left/failed entries may linger in the table.
LIVE_STATES = ("alive", "suspect")


def now_us():
    """The wall clock in µs, as the nodes stamp ts_us (all processes share this clock)."""
    return time.time_ns() // 1000


def peerchat_bin():
    default = Path(__file__).resolve().parents[2] / "build/default/src/peerchat"
    path = Path(os.environ.get("PEERCHAT_BIN", default))
    assert path.is_file(), f"peerchat binary not found at {path} (set PEERCHAT_BIN)"
    return str(path)


def _field(event, dotted):
    """event['a']['b'] for the match key 'a__b' (keyword arguments cannot contain dots)."""
    value = event
    for part in dotted.split("__"):
        if not isinstance(value, dict) or part not in value:
            return _missing
        value = value[part]
    return value


_missing = object()


def _matches(event, kind, match):
    if kind is not None and event.get("event") != kind:
        return False
    return all(_field(event, key) == want for key, want in match.items())


class Node:
    """One peerchat process in machine mode."""

    def __init__(self, name, data_dir, join=None, room=None, log_level=None,
                 wait_ready=True, extra_args=(), run=0, name_flag=True,
                 listen="127.0.0.1:0", prefix=()):
        self.name = name
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        suffix = f".run{run}" if run else ""
        self.stderr_path = self.data_dir.parent / f"{self.data_dir.name}{suffix}.stderr"
        # PEERCHAT_E2E_LOG_LEVEL=debug makes a failing run tell more.
        log_level = log_level or os.environ.get("PEERCHAT_E2E_LOG_LEVEL", "info")
        # name_flag=False starts without --name: a restarted node takes its stored name.
        # prefix runs the node under another command, e.g. `ip netns exec NS`.
        cmd = list(prefix) + [peerchat_bin(), "--json"] + (["--name", name] if name_flag else []) + [
               "--listen", listen, "--data-dir", str(self.data_dir), "--log-level", log_level]
        if join:
            cmd += ["--join", join]
        if room:
            cmd += ["--room", room]
        cmd += list(extra_args)
        self.cmd = cmd
        self.events = []  # every stdout line, parsed; guarded by _cond
        self._cond = threading.Condition()
        self._stdout_closed = False
        # stderr goes to a file: a pipe nobody drains could fill up and stall the node.
        self._stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr_file, text=True, encoding="utf-8",
                                     bufsize=1)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self.id = self.listen = self.room = None
        if wait_ready:
            self.wait_ready()

    # --- stdout -------------------------------------------------------------------------------

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                # Machine mode promises JSON only; keep the stray line visible in failure dumps.
                event = {"event": "<not json>", "line": line}
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._stdout_closed = True
            self._cond.notify_all()

    def wait_until(self, condition, timeout=TIMEOUT, what="condition"):
        """Waits until condition(events) is truthy and returns its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = condition(self.events)
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if self._stdout_closed or remaining <= 0:
                    why = "exited" if self._stdout_closed else f"timed out after {timeout:.0f} s"
                    raise AssertionError(f"{self.name}: {why} waiting for {what}\n"
                                         + self.describe())
                self._cond.wait(min(remaining, 1.0))

    def wait_for(self, predicate, timeout=TIMEOUT, since=0, what="event"):
        """Waits for the first event at index >= since that satisfies predicate; returns it."""
        def first(events):
            return next((e for e in events[since:] if predicate(e)), None)
        return self.wait_until(first, timeout, what)

    def wait_event(self, kind, timeout=TIMEOUT, since=0, **match):
        """Waits for an event of this kind whose fields equal match (a__b names a nested field)."""
        return self.wait_for(lambda e: _matches(e, kind, match), timeout, since,
                             what=f"{kind} {match}")

    def events_of(self, kind, **match):
        with self._cond:
            return [e for e in self.events if _matches(e, kind, match)]

    def mark(self):
        """An index into events: pass it as since= to wait only for what comes after now."""
        with self._cond:
            return len(self.events)

    def history(self, n=10000, timeout=TIMEOUT):
        """Asks for the last n lines (/history n) and returns the events list, oldest first."""
        since = self.mark()
        self.send(f"/history {n}")
        return self.wait_event("history", timeout, since=since)["events"]

    def wait_ready(self, timeout=TIMEOUT):
        ready = self.wait_event("ready", timeout)
        self.id, self.listen, self.room = ready["id"], ready["listen"], ready["room"]
        return ready

    # --- messages -----------------------------------------------------------------------------

    def received_messages(self):
        """Messages from others as they arrived live (the node also echoes its own lines as
        message events, and shows the lines catch-up fetched marked `missed`)."""
        return [e for e in self.events_of("message") if e["from"]["id"] != self.id and not e.get("missed")]

    def missed_messages(self):
        return [e for e in self.events_of("message") if e.get("missed")]

    def own_messages(self):
        return self.events_of("message", from__id=self.id)

    def wait_message(self, text, author, timeout=TIMEOUT):
        return self.wait_event("message", timeout, text=text, from__id=author.id)

    # --- membership ---------------------------------------------------------------------------

    def nodes(self, timeout=TIMEOUT):
        """Asks the node for its member table (/nodes) and returns the peers list."""
        since = self.mark()
        self.send("/nodes")
        return self.wait_event("nodes", timeout, since=since)["peers"]

    def member_ids(self):
        return {p["id"] for p in self.nodes() if p["state"] in LIVE_STATES}

    def member_count(self):
        return len(self.member_ids())

    # --- input and lifetime -------------------------------------------------------------------

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def leave(self, command="/leave"):
        self.send(command)

    def close_stdin(self):
        self.proc.stdin.close()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def running(self):
        return self.proc.poll() is None

    def wait_exit(self, timeout=TIMEOUT):
        """Returns the exit status (negative: killed by that signal)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout:.0f} s\n"
                                 + self.describe()) from None

    def kill(self):
        if self.running():
            self.proc.kill()
        self.proc.wait()

    def stop(self):
        """Teardown: ask politely (SIGTERM), then insist (SIGKILL)."""
        if self.running():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(5)
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        self._stderr_file.close()

    # --- stderr -------------------------------------------------------------------------------

    def stderr_text(self):
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait_stderr(self, substring, timeout=TIMEOUT):
        """Polls the stderr log until it contains substring; returns the first such line."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.stderr_text().splitlines():
                if substring in line:
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: stderr never mentioned {substring!r}\n"
                                     + self.describe())
            time.sleep(0.05)  # polling interval, not a correctness delay

    # --- diagnostics --------------------------------------------------------------------------

    def describe(self, last_events=12, last_log_lines=25):
        with self._cond:
            tail = self.events[-last_events:]
            authors = Counter(e["from"]["name"] + "/" + e["from"]["id"][:8]
                              for e in self.events if e.get("event") == "message")
        log = self.stderr_text().splitlines()[-last_log_lines:]
        return "\n".join(
            [f"== {self.name} id={self.id} listen={self.listen} exit={self.proc.poll()}",
             f"   cmd: {' '.join(self.cmd)}",
             f"   messages by author: {dict(sorted(authors.items()))}",
             "   last events:"] + [f"     {json.dumps(e)[:300]}" for e in tail]
            + ["   stderr tail:"] + [f"     {line}" for line in log])


class Cluster:
    """The processes of one test, each with its own data directory; stops them all at the end."""

    def __init__(self, tmp_path, seed=None):
        self.tmp_path = Path(tmp_path)
        self.nodes = []
        self.seed = seed if seed is not None else int(os.environ.get(
            "PEERCHAT_E2E_SEED", random.randrange(1 << 32)))
        self.rng = random.Random(self.seed)

    def spawn(self, name, join=None, **kwargs):
        """Starts a node; join is a Node (or "host:port") to join through."""
        if isinstance(join, Node):
            join = join.listen
        data_dir = self.tmp_path / f"{len(self.nodes):02d}-{name}"
        node = Node(name, data_dir, join=join, **kwargs)
        self.nodes.append(node)
        return node

    def respawn(self, old, join=None, **kwargs):
        """Starts a node again on the data directory of `old` (after it exited or was killed)."""
        if isinstance(join, Node):
            join = join.listen
        runs = sum(1 for node in self.nodes if node.data_dir == old.data_dir)
        node = Node(old.name, old.data_dir, join=join, run=runs, **kwargs)
        self.nodes.append(node)
        return node

    def start_room(self, n, names=None, timeout=TIMEOUT, **kwargs):
        """Starts n nodes: a founder, then joiners through random earlier members, and waits
        until every node lists all n as live members. kwargs go to every Node."""
        names = names or [f"n{i}" for i in range(n)]
        room = [self.spawn(names[0], **kwargs)]
        for i in range(1, n):
            # Only the second node joins through the founder, so membership has to spread
            # through members other than the founder.
            through = self.rng.choice(room[1:] or room)
            room.append(self.spawn(names[i], join=through, **kwargs))
        wait_all_know(room, timeout)
        return room

    def stop_all(self):
        for node in self.nodes:
            node.stop()

    def describe(self):
        return "\n".join([f"seed={self.seed} (rerun with PEERCHAT_E2E_SEED={self.seed})"]
                         + [node.describe() for node in self.nodes])


def wait_all_know(room, timeout=TIMEOUT):
    """Waits until each node's /nodes lists exactly the nodes of room as live members."""
    want = {node.id for node in room}
    deadline = time.monotonic() + timeout
    while True:
        views = {node.name: node.member_ids() for node in room}
        if all(view == want for view in views.values()):
            return
        if time.monotonic() > deadline:
            names = {node.id: node.name for node in room}
            pretty = {k: sorted(names.get(i, i[:8]) for i in v) for k, v in views.items()}
            raise AssertionError(f"members never converged on {sorted(names.values())}: {pretty}")
        time.sleep(0.2)  # polling interval between /nodes rounds


def assert_everyone_hears_everyone(room, tag, timeout=TIMEOUT):
    """Each node says one line; every other node receives each of them."""
    lines = {node.id: f"{tag}: hello from {node.name}" for node in room}
    for node in room:
        node.send(lines[node.id])
    for receiver in room:
        for author in room:
            if author is not receiver:
                receiver.wait_message(lines[author.id], author, timeout)


def wait_closed(sock, timeout):
    """Reads until the peer closes the connection; True if it did within timeout."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except OSError:  # reset, or a TLS-level error: closed either way
            return True
