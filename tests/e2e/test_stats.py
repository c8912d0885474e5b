"""/stats: a node reports the frames and bytes it moved over its links."""

import time

from peerchat_harness import TIMEOUT, wait_all_know

COUNTERS = ("bytes_sent", "bytes_received", "frames_sent", "frames_received")
ALL_COUNTERS = COUNTERS + ("datagrams_sent", "datagrams_received", "datagram_bytes_sent",
                           "datagram_bytes_received", "events_delivered", "event_copies",
                           "ihave_refs_sent", "grafts_sent")


def stats(node):
    since = node.mark()
    node.send("/stats")
    return node.wait_event("stats", since=since)


def test_stats_count_plausible_traffic_after_a_message_exchange(cluster):
    room = cluster.start_room(3)
    before = {node.id: stats(node) for node in room}
    text = "x" * 100
    for node in room:
        node.send(f"{node.name} {text}")
    for receiver in room:
        for author in room:
            if author is not receiver:
                receiver.wait_message(f"{author.name} {text}", author)
    wait_all_know(room)

    for node in room:
        # Two members that dial each other at once hold two links until one is closed as a
        # duplicate: wait for the count to settle (it must, or the deadline fails the test).
        deadline = time.monotonic() + TIMEOUT
        while (after := stats(node))["links"] != len(room) - 1:
            assert time.monotonic() < deadline, after
            time.sleep(0.05)
        for key in COUNTERS:
            assert after[key] > before[node.id][key], (node.name, key, before[node.id], after)
        # Each node received two 100-byte lines at least once, and sent its own to two peers;
        # every frame has a 4-byte length prefix, so bytes outnumber frames by far.
        assert after["bytes_received"] - before[node.id]["bytes_received"] > 2 * 100
        assert after["bytes_sent"] - before[node.id]["bytes_sent"] > 2 * 100
        assert after["bytes_sent"] >= 4 * after["frames_sent"]
        assert after["bytes_received"] >= 4 * after["frames_received"]


def test_stats_count_each_event_once_delivered_and_every_copy_that_came(cluster):
    room = cluster.start_room(3)
    for node in room:
        node.send(f"copies from {node.name}")
    for receiver in room:
        for author in room:
            if author is not receiver:
                receiver.wait_message(f"copies from {author.name}", author)
    for node in room:
        got = stats(node)
        assert got["events_delivered"] >= 2, got
        assert got["event_copies"] >= got["events_delivered"], got


def test_stats_count_the_swim_datagrams_a_node_exchanges(cluster):
    # Probes go over the link to a linked member and as UDP datagrams to the others: with two
    # links each, every one of four members has someone it probes by UDP.
    room = cluster.start_room(4, extra_args=("--max-links", "2"))
    deadline = time.monotonic() + TIMEOUT
    for node in room:
        while True:
            got = stats(node)
            if got["datagrams_sent"] > 0 and got["datagrams_received"] > 0:
                break
            assert time.monotonic() < deadline, f"{node.name} exchanged no datagrams: {got}"
            time.sleep(0.2)  # polling interval, not a correctness delay
        assert got["datagram_bytes_sent"] > 0 and got["datagram_bytes_received"] > 0, got


def test_stats_of_a_lone_founder_are_zero_with_no_links(cluster):
    founder = cluster.spawn("solo")
    got = stats(founder)
    assert got["links"] == 0
    assert all(got[key] == 0 for key in ALL_COUNTERS), got


def test_both_ends_of_a_quiet_link_count_the_same_frames_and_bytes(cluster):
    a, b = cluster.start_room(2)
    a.send("hello b")
    b.wait_message("hello b", a)
    b.send("hello a")
    a.wait_message("hello a", b)
    # Both ends count frames above TLS, so once nothing is in flight, what one side sent the
    # other has received. Poll: a frame may still be on its way when we first ask.
    deadline = time.monotonic() + TIMEOUT
    while True:
        sa, sb = stats(a), stats(b)
        pairs = [(sa["bytes_sent"], sb["bytes_received"]), (sb["bytes_sent"], sa["bytes_received"]),
                 (sa["frames_sent"], sb["frames_received"]),
                 (sb["frames_sent"], sa["frames_received"])]
        if all(x == y for x, y in pairs):
            return
        assert time.monotonic() < deadline, f"ends never agreed: a={sa} b={sb}"
        time.sleep(0.2)  # polling interval, not a correctness delay
