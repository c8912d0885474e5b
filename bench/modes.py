"""The two measurements: latency (paced messages from random members) and throughput (one
publisher as fast as its node accepts). Each returns (result dict, latencies in ms)."""

import datetime
import random
import time

import procfs
from nodes import POLL_S
from report import percentiles
from room import BenchRoom

SEND_QUEUE_FULL = "send queue full"  # what a node logs when it drops a link that fell behind


def text_of(prefix, index, size):
    """A unique message of exactly `size` bytes: its index, then padding."""
    head = f"{prefix}{index:07d} "
    return head + "x" * max(0, size - len(head))


def base_result(mode, params):
    return {"mode": mode, "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "params": params, "machine": procfs.machine()}


# --- latency -----------------------------------------------------------------------------------


def run_latency(setup, nodes, messages, rate, size, seed):
    params = {"nodes": nodes, "messages": messages, "rate": rate, "size": size, "seed": seed,
              "node_args": list(setup.node_args)}
    result = base_result("latency", params)
    rng = random.Random(seed)
    room = BenchRoom(setup, nodes, rng)
    failed = True
    try:
        result["spawn_s"] = room.start()
        result["membership_s"] = room.wait_full_membership()
        before = room.snapshot()
        authors = send_paced(room, messages, rate, size, rng)
        wait_until_settled(room, lambda node: node.message_count() >= messages, setup.timeout)
        after = room.snapshot()
        rss = room.memory_mib()
        latencies = analyse_deliveries(room, authors, result)
        add_costs(result, before, after, rss, result["delivered"])
        result["links_dropped_queue_full"] = room.stderr_count(SEND_QUEUE_FULL)
        failed = False
        return result, latencies
    finally:
        room.stop(failed)


def send_paced(room, messages, rate, size, rng):
    """Sends `messages` lines at `rate` per second, each from a random member; returns the
    author's index for each message (the text carries the message's index)."""
    authors = [rng.randrange(len(room.nodes)) for _ in range(messages)]
    start = time.monotonic()
    for i, author in enumerate(authors):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        room.nodes[author].send(text_of("m", i, size))
    return authors


def wait_until_settled(room, done, timeout):
    """Waits until done(node) holds for every node, or until nothing new has arrived anywhere
    for `timeout` seconds (then the result reports what is missing)."""
    last_total, last_change = -1, time.monotonic()
    while not all(done(node) for node in room.nodes):
        total = sum(node.message_count() for node in room.nodes)
        if total != last_total:
            last_total, last_change = total, time.monotonic()
        elif time.monotonic() - last_change > timeout:
            return False
        time.sleep(POLL_S)
    return True


def analyse_deliveries(room, authors, result):
    """Counts unique deliveries to non-authors and returns their latencies in ms: the
    receiver's ts_us minus the author's sent_us (one machine, one clock)."""
    author_ids = [room.nodes[a].id for a in authors]
    # An author's first line floods (its tree does not exist yet); later ones follow the tree.
    first_line = {authors.index(a) for a in set(authors)}
    latencies, duplicates, delivered = [], 0, 0
    by_kind = {"first": [], "later": []}
    for node in room.nodes:
        seen = set()
        for m in node.messages():
            index = int(m["text"][1:8])
            if m["from"]["id"] == node.id or author_ids[index] != m["from"]["id"]:
                continue
            if index in seen:
                duplicates += 1
                continue
            seen.add(index)
            delivered += 1
            latencies.append((m["ts_us"] - m["sent_us"]) / 1000)
            by_kind["first" if index in first_line else "later"].append(latencies[-1])
    expected = len(authors) * (len(room.nodes) - 1)
    result.update({"delivered": delivered, "expected": expected,
                   "delivery": delivered / expected if expected else 1.0,
                   "duplicates": duplicates, "latency_ms": percentiles(latencies),
                   "first_lines": len(first_line),
                   "latency_ms_first_lines": percentiles(by_kind["first"]),
                   "latency_ms_later_lines": percentiles(by_kind["later"])})
    return latencies


def add_costs(result, before, after, memory, delivered):
    """CPU, memory and wire cost of the window between two snapshots, per delivery."""
    rss, anon = memory
    window_us = (after["mono"] - before["mono"]) * 1e6
    nodes_cpu = after["cpu_us"] - before["cpu_us"]
    driver_cpu = after["driver_cpu_us"] - before["driver_cpu_us"]
    others_cpu = after["machine_busy_us"] - before["machine_busy_us"] - nodes_cpu - driver_cpu
    per = max(delivered, 1)
    capacity = window_us * result["machine"]["nproc"]
    result.update({
        "window_s": round(window_us / 1e6, 3),
        "cpu_us_per_delivery": nodes_cpu / per,
        "bytes_per_delivery": (after["bytes_sent"] - before["bytes_sent"]) / per,
        "frames_per_delivery": (after["frames_sent"] - before["frames_sent"]) / per,
        # SWIM's UDP probes: background traffic, shown per delivery to compare with the above.
        "datagram_bytes_per_delivery":
            (after["datagram_bytes_sent"] - before["datagram_bytes_sent"]) / per,
        # Full copies of an event that reached a node per first copy: 1.0 is no waste.
        "copies_per_event": ((after["event_copies"] - before["event_copies"])
                             / max(after["events_delivered"] - before["events_delivered"], 1)),
        "grafts": after["grafts_sent"] - before["grafts_sent"],
        "rss_mib": {"mean": sum(rss) / len(rss), "max": max(rss)},
        "anon_rss_mib": {"mean": sum(anon) / len(anon), "max": max(anon)},
        # Shares of the whole machine during the window: the nodes, this driver, and everyone
        # else (other builds and tests on a shared machine skew the numbers; this says how much).
        "cpu_pct": {"nodes": 100 * nodes_cpu / capacity, "driver": 100 * driver_cpu / capacity,
                    "others": max(0.0, 100 * others_cpu / capacity)},
        "links_per_node": {"min": min(after["links"]), "max": max(after["links"])},
    })


# --- throughput -----------------------------------------------------------------------------------


def run_throughput(setup, nodes, duration, size, seed):
    params = {"nodes": nodes, "duration_s": duration, "size": size, "seed": seed,
              "node_args": list(setup.node_args)}
    result = base_result("throughput", params)
    rng = random.Random(seed)
    # One member publishing as fast as it can is what the per-member event limit stops.
    unlimited = setup._replace(node_args=setup.node_args + ("--member-event-rate", "0"))
    room = BenchRoom(unlimited, nodes, rng)
    failed = True
    try:
        room.start()
        result["membership_s"] = room.wait_full_membership()
        publisher = room.nodes[rng.randrange(nodes)]
        before = room.snapshot()
        offered, blocked_s = publish_for(publisher, duration, size, setup.timeout)
        # The node may still hold lines it has read but not yet said, and receivers may still
        # be catching up: wait until everyone has everything, or nothing moves for `timeout`.
        wait_until_settled(room, lambda node: node.message_count() >= offered, setup.timeout)
        after = room.snapshot()
        rss = room.memory_mib()
        latencies = analyse_stream(room, publisher, offered, result)
        result["publisher_blocked_pct"] = 100 * blocked_s / duration
        add_costs(result, before, after, rss, result["delivered"])
        result["links_dropped_queue_full"] = room.stderr_count(SEND_QUEUE_FULL)
        failed = False
        return result, latencies
    finally:
        room.stop(failed)


def publish_for(node, duration, size, timeout, batch=64):
    """Writes lines to node's stdin for `duration` seconds, as fast as the node reads them.
    Returns (lines written, seconds spent blocked in write: the node's backpressure)."""
    written, blocked = 0, 0.0
    end = time.monotonic() + duration
    while time.monotonic() < end:
        data = "".join(text_of("t", written + i, size) + "\n" for i in range(batch)).encode()
        start = time.monotonic()
        node.write_raw(data, timeout)
        blocked += time.monotonic() - start
        written += batch
    return written, blocked


def analyse_stream(room, publisher, offered, result):
    """What the publisher accepted (its own echoes) and what reached each receiver."""
    own = [m for m in publisher.messages() if m["from"]["id"] == publisher.id]
    first_sent = min(m["sent_us"] for m in own)
    last_sent = max(m["sent_us"] for m in own)
    accepted = {m["seq"] for m in own}
    latencies, per_receiver, last_delivery = [], [], first_sent
    for node in room.nodes:
        if node is publisher:
            continue
        got = {}
        for m in node.messages():
            if m["from"]["id"] == publisher.id and m["seq"] in accepted and m["seq"] not in got:
                got[m["seq"]] = m
                latencies.append((m["ts_us"] - m["sent_us"]) / 1000)
        per_receiver.append(len(got))
        if got:
            last_delivery = max(last_delivery, max(m["ts_us"] for m in got.values()))
    receivers = len(per_receiver)
    delivered = sum(per_receiver)
    span_s = max(last_delivery - first_sent, 1) / 1e6
    result.update({
        "offered": offered, "accepted": len(accepted),
        "accept_rate": len(accepted) / max(last_sent - first_sent, 1) * 1e6,
        "delivered": delivered, "expected": len(accepted) * receivers,
        "delivery": delivered / max(len(accepted) * receivers, 1),
        "lost": len(accepted) * receivers - delivered,
        "delivered_to_every_receiver": min(per_receiver),
        # Messages per second that reached every receiver: from the first send to the moment
        # the last receiver showed the last message.
        "msgs_per_s_to_all": min(per_receiver) / span_s,
        "latency_ms": percentiles(latencies)})
    return latencies


# --- idle -----------------------------------------------------------------------------------------


def run_idle(setup, nodes, duration, settle, seed):
    """An idle room: after membership is complete and `settle` seconds more, the CPU every node
    uses over `duration` seconds with nothing said: SWIM probes, anti-entropy digests, timers."""
    params = {"nodes": nodes, "duration_s": duration, "settle_s": settle, "seed": seed,
              "node_args": list(setup.node_args)}
    result = base_result("idle", params)
    room = BenchRoom(setup, nodes, random.Random(seed))
    failed = True
    try:
        room.start()
        result["membership_s"] = room.wait_full_membership()
        time.sleep(settle)  # joins leave work behind (view shuffles, summaries): not idle yet
        before = room.snapshot()
        # Nanosecond scheduler accounts: an idle node uses only a few 10 ms ticks in a window.
        cpu_start = time.monotonic()
        per_node_before = [procfs.runtime_us(node.pid) for node in room.nodes]
        time.sleep(duration)  # the measured window: nothing to wait for, by design
        per_node_after = [procfs.runtime_us(node.pid) for node in room.nodes]
        cpu_window_us = (time.monotonic() - cpu_start) * 1e6
        after = room.snapshot()
        window_us = (after["mono"] - before["mono"]) * 1e6  # for the counters: /stats to /stats
        # CPU is read between the snapshots, so their /stats round trips are not in it.
        pct = [100 * (a - b) / cpu_window_us for a, b in zip(per_node_after, per_node_before)]
        per_node_s = nodes * window_us / 1e6
        others_cpu = (after["machine_busy_us"] - before["machine_busy_us"]
                      - sum(per_node_after) + sum(per_node_before)
                      - (after["driver_cpu_us"] - before["driver_cpu_us"]))
        result.update({
            "window_s": round(window_us / 1e6, 3),
            # Percent of one core: per node (mean, max) and the whole room together.
            "cpu_pct_of_core": {"per_node_mean": sum(pct) / nodes, "per_node_max": max(pct),
                                "room_total": sum(pct)},
            "bytes_sent_per_node_s": (after["bytes_sent"] - before["bytes_sent"]) / per_node_s,
            "frames_sent_per_node_s": (after["frames_sent"] - before["frames_sent"]) / per_node_s,
            "datagrams_sent_per_node_s":
                (after["datagrams_sent"] - before["datagrams_sent"]) / per_node_s,
            "datagram_bytes_sent_per_node_s":
                (after["datagram_bytes_sent"] - before["datagram_bytes_sent"]) / per_node_s,
            "links_per_node": {"min": min(after["links"]), "max": max(after["links"])},
            "cpu_pct": {"others": max(0.0, 100 * others_cpu
                                      / (window_us * result["machine"]["nproc"]))},
        })
        failed = False
        return result, []
    finally:
        room.stop(failed)
