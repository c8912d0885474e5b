"""File mode: one member offers a file of S bytes to the room; R receivers /get it at the same
moment. Each receiver's rate is the file's size over the time from its /get (the driver's stamp
just before sending it) to its `file-complete`; with several receivers they may fetch chunks
from each other as well as from the sender (multi-source). Meanwhile the sender says a chat
line every 50 ms and the first receiver answers each: their latency (receiver's `ts_us` minus
author's `sent_us`) is the chat delay during bulk transfer. Every `file-complete` must carry the
file's SHA-256, computed here."""

import hashlib
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import procfs
from modes import base_result
from nodes import BenchNode, stop_nodes
from report import percentiles

CHAT_EVERY_S = 0.05


def make_file(path, size):
    """Random-looking bytes, fast: a random MiB with its index stamped in, repeated."""
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(0, size, 1 << 20):
            piece = (i.to_bytes(8, "little") + block[8:])[:min(1 << 20, size - i)]
            f.write(piece)
            digest.update(piece)
    return digest.hexdigest()


def chat_during(sender, answerer, stop):
    """The sender says a line every CHAT_EVERY_S until `stop`; the answerer says one back."""
    i = 0
    while not stop.is_set():
        sender.send(f"chat-out {i:06d}")
        answerer.send(f"chat-back {i:06d}")
        i += 1
        stop.wait(CHAT_EVERY_S)
    return i


def chat_latencies(node, prefix):
    return [(m["ts_us"] - m["sent_us"]) / 1000 for m in node.messages()
            if m.get("text", "").startswith(prefix)]


def run_files(setup, size, receivers, seed):
    params = {"size": size, "receivers": receivers, "seed": seed, "node_args": list(setup.node_args)}
    result = base_result("file", params)
    tmp = Path(tempfile.mkdtemp(prefix="peerchat-bench-file-"))
    nodes, failed = [], True
    try:
        src = tmp / "payload.bin"
        digest = make_file(src, size)
        sender = BenchNode(setup.binary, "sender", tmp / "sender", extra_args=setup.node_args)
        nodes.append(sender)
        sender.wait_ready(setup.timeout)
        takers = []
        for i in range(receivers):
            node = BenchNode(setup.binary, f"r{i}", tmp / f"r{i}", join=sender.listen,
                             extra_args=setup.node_args)
            nodes.append(node)
            node.wait_ready(setup.timeout)
            takers.append(node)
        for node in takers:
            while len(node.events_of("member-joined")) < receivers:
                time.sleep(0.05)
        since = [n.mark() for n in takers]
        offered_at = time.time_ns() // 1000
        sender.send(f"/send * {src}")
        offers = [n.wait_event("file-offer", setup.timeout + size / 2e8, s) for n, s in zip(takers, since)]
        file_id = offers[0]["file"]["id"]
        result["offer_s"] = (max(o["ts_us"] for o in offers) - offered_at) / 1e6  # hashing it
        cpu_before = [procfs.cpu_us(n.pid) for n in nodes]
        stop = threading.Event()
        chat = threading.Thread(target=chat_during, args=(sender, takers[0], stop), daemon=True)
        started = {}
        for node in takers:
            started[node.name] = time.time_ns() // 1000
            node.send(f"/get {file_id}")
        chat.start()
        done = [n.wait_event("file-complete", setup.timeout + size / 2e7) for n in takers]
        stop.set()
        chat.join()
        cpu = [procfs.cpu_us(n.pid) - b for n, b in zip(nodes, cpu_before)]
        time.sleep(0.5)  # the last chat lines land
        seconds = [(d["ts_us"] - started[n.name]) / 1e6 for n, d in zip(takers, done)]
        rates = [size / s / 1e6 for s in seconds]
        out_ms = chat_latencies(takers[0], "chat-out ")
        back_ms = chat_latencies(sender, "chat-back ")
        result.update({
            "complete": sum(d["sha256"] == digest for d in done),
            "seconds": {"min": min(seconds), "max": max(seconds)},
            "mb_per_s": {"min": min(rates), "median": statistics.median(rates), "max": max(rates)},
            "chat_ms": percentiles(out_ms + back_ms),
            "chat_lines": len(out_ms) + len(back_ms),
            "cpu_s": {"sender": cpu[0] / 1e6, "receivers": sum(cpu[1:]) / 1e6},
            "rss_mib_max": max(procfs.peak_rss_kib(n.pid) for n in nodes) / 1024,
        })
        failed = result["complete"] != receivers
        return result, out_ms + back_ms
    finally:
        stop_nodes(nodes, tmp, setup.keep_dirs or failed)


def file_failures(result):
    n = result["params"]["receivers"]
    return [] if result["complete"] == n else [f"{result['complete']} of {n} receivers got the file intact"]
