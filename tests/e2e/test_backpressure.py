"""A publisher that writes faster than the room can carry is slowed down, never dropped:
machine mode stops reading stdin while the node's send queues are backed up."""

import threading


from peerchat_harness import TIMEOUT

LINES = 20000  # far more than a send queue holds (8192 frames) once the receivers lag
# This publisher floods on purpose: lift the per-member event limit that would mute it.
UNLIMITED = ("--member-event-rate", "0")


def flood(publisher):
    """Writes LINES lines in one blocking write (the pipe fills whenever the node stops
    reading); returns the writer thread and the lines."""
    lines = [f"flood {i:05d} {'x' * 80}" for i in range(LINES)]
    payload = "".join(line + "\n" for line in lines)
    writer = threading.Thread(target=lambda: (publisher.proc.stdin.write(payload),
                                              publisher.proc.stdin.flush()), daemon=True)
    writer.start()
    return writer, lines


def stats(node):
    since = node.mark()
    node.send("/stats")
    return node.wait_event("stats", since=since)


def wait_publisher_drained(publisher, receivers):
    """Polls until the publisher has said every line and every receiver has shown them all
    (the publisher's frame counters never settle: SWIM probes its neighbours over the links)."""
    publisher.wait_until(lambda _: len(publisher.own_messages()) >= LINES, 4 * TIMEOUT,
                         what=f"{LINES} own lines said")
    for node in receivers:
        node.wait_until(lambda _: len(node.received_messages()) >= LINES, 4 * TIMEOUT,
                        what=f"{LINES} flood lines")


def test_a_flood_of_input_is_accepted_whole_without_dropping_a_link(cluster):
    publisher, *receivers = cluster.start_room(3, extra_args=UNLIMITED)
    writer, lines = flood(publisher)
    wait_publisher_drained(publisher, receivers)
    writer.join(TIMEOUT)
    assert [m["text"] for m in publisher.own_messages()] == lines
    for node in cluster.nodes:
        assert "send queue full" not in node.stderr_text(), node.name
    assert stats(publisher)["links"] == len(receivers)


def test_a_flood_of_input_reaches_every_receiver_whole_and_in_order(cluster):
    publisher, *receivers = cluster.start_room(3, extra_args=UNLIMITED)
    writer, lines = flood(publisher)
    for node in receivers:
        node.wait_until(lambda _: len(node.received_messages()) >= LINES, 2 * TIMEOUT,
                        what=f"{LINES} flood lines")
    writer.join(TIMEOUT)
    for node in receivers:
        got = node.received_messages()
        # Every line exactly once; in order, except a line whose gap was given up, which is
        # shown when it comes and flagged late.
        assert sorted(m["text"] for m in got) == sorted(lines)
        in_order = [m["text"] for m in got if not m.get("late")]
        assert in_order == [line for line in lines if line in set(in_order)]
