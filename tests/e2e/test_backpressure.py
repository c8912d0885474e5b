"""A publisher that writes faster than the room can carry is slowed down, never dropped:
machine mode stops reading stdin while the node's send queues are backed up."""

import threading

from peerchat_harness import TIMEOUT

LINES = 20000  # far more than a send queue holds (8192 frames) once the receivers lag


def test_a_flood_of_input_reaches_every_receiver_whole_and_in_order(cluster):
    publisher, *receivers = cluster.start_room(3)
    payload = "".join(f"flood {i:05d} {'x' * 80}\n" for i in range(LINES))
    # One blocking write of everything: the pipe fills whenever the node stops reading.
    writer = threading.Thread(target=lambda: (publisher.proc.stdin.write(payload),
                                              publisher.proc.stdin.flush()), daemon=True)
    writer.start()
    for node in receivers:
        node.wait_until(lambda _: len(node.received_messages()) >= LINES, 4 * TIMEOUT,
                        what=f"{LINES} flood lines")
    writer.join(TIMEOUT)
    for node in receivers:
        texts = [m["text"] for m in node.received_messages()]
        assert texts == [f"flood {i:05d} {'x' * 80}" for i in range(LINES)]
    for node in cluster.nodes:
        assert "send queue full" not in node.stderr_text(), node.name
