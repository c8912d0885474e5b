"""Real peerchat processes in machine mode (--json), built for measuring rather than testing.

The reader thread keeps `message` lines as raw bytes and parses them only after the run, so a
fast room is limited by the nodes and not by this driver. Every other event is parsed at once
and can be waited for. Nothing here sleeps for correctness: waits poll a condition until a
deadline, and every time that is reported comes from the nodes' own ts_us / sent_us stamps.
"""

import json
import os
import select
import shutil
import subprocess
import threading
import time
from pathlib import Path

MESSAGE_MARK = b'"event":"message"'
LIVE_STATES = ("alive", "suspect")
POLL_S = 0.05  # how often waits look at counts; never part of a measured time


def find_binary(explicit=None):
    """--bin, else $PEERCHAT_BIN, else the default build next to this checkout."""
    default = Path(__file__).resolve().parents[1] / "build/default/src/peerchat"
    path = Path(explicit or os.environ.get("PEERCHAT_BIN") or default)
    if not path.is_file():
        raise SystemExit(f"peerchat binary not found at {path} (build it, or pass --bin / "
                         "set PEERCHAT_BIN)")
    return str(path)


class BenchNode:
    """One peerchat process: stdin for commands, stdout collected by a reader thread."""

    def __init__(self, binary, name, data_dir, join=None, extra_args=(), log_level="warn"):
        self.name = name
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)  # may hold a prepared history
        self.stderr_path = self.data_dir / "stderr.log"
        cmd = [binary, "--json", "--name", name, "--listen", "127.0.0.1:0",
               "--data-dir", str(self.data_dir), "--log-level", log_level]
        if join:
            cmd += ["--join", join]
        cmd += list(extra_args)
        self.started_us = time.time_ns() // 1000
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=stderr)
        self.pid = self.proc.pid
        self.message_lines = []  # raw bytes; appended by the reader only
        self.events = []         # every other event, parsed; guarded by _cond
        self._cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.id = self.listen = None

    def _read(self):
        for line in self.proc.stdout:
            if MESSAGE_MARK in line:
                self.message_lines.append(line)  # list.append is atomic; counted by polling
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"event": "<not json>", "line": line.decode(errors="replace")}
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- waiting for events ----------------------------------------------------------------

    def mark(self):
        with self._cond:
            return len(self.events)

    def wait_event(self, kind, timeout, since=0):
        """The first event of this kind at index >= since; raises on timeout or exit."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[since:]:
                    if event.get("event") == kind:
                        return event
                since = len(self.events)
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    why = "exited" if self._closed else f"timed out after {timeout:.0f} s"
                    raise RuntimeError(f"{self.name}: {why} waiting for {kind}; "
                                       f"stderr: {self.stderr_tail()}")
                self._cond.wait(min(remaining, 1.0))

    def wait_ready(self, timeout):
        ready = self.wait_event("ready", timeout)
        self.id, self.listen = ready["id"], ready["listen"]
        return ready

    def ask(self, command, kind, timeout):
        """Sends a command and returns the first `kind` event that follows it."""
        since = self.mark()
        self.send(command)
        return self.wait_event(kind, timeout, since)

    def events_of(self, kind):
        with self._cond:
            return [e for e in self.events if e.get("event") == kind]

    # --- messages ----------------------------------------------------------------------------

    def message_count(self):
        """Messages shown so far, own ones included (a node echoes what it says)."""
        return len(self.message_lines)

    def messages(self):
        """Every message event, parsed (call once the run is over: it costs real CPU)."""
        return [json.loads(line) for line in list(self.message_lines)]

    # --- input, /proc and lifetime -------------------------------------------------------------

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def write_raw(self, data, timeout):
        """Writes many lines at once; blocks while the node is not reading (backpressure), but
        raises if the node has read nothing for `timeout` seconds."""
        _, writable, _ = select.select([], [self.proc.stdin], [], timeout)
        if not writable:
            raise RuntimeError(f"{self.name} read no input for {timeout:.0f} s; stderr: "
                               f"{self.stderr_tail()}")
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def running(self):
        return self.proc.poll() is None

    def terminate(self):
        if self.running():
            self.proc.terminate()

    def reap(self, timeout):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def stderr_text(self):
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stderr_tail(self, lines=5):
        return " | ".join(self.stderr_text().splitlines()[-lines:])


def stop_nodes(nodes, tmp, keep):
    """Stops a run's nodes; keeps their data dirs and logs when asked (or the run failed)."""
    for node in nodes:
        node.terminate()
    for node in nodes:
        node.reap(10)
    if keep:
        print(f"# node data and stderr logs kept in {tmp}", flush=True)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
