"""Hostile peers: one process opens a thousand connections while a member floods the room
with events; two honest members keep chatting with every line delivered. The delay of their
lines is printed (pytest -s); the target lives in bench/README.md, not in an assertion."""

import socket
import statistics
import threading

from peerchat_harness import TIMEOUT, wait_all_know


def open_connections(host, port, count, stop, attempts):
    """Opens `count` TCP connections and holds them silent until stop is set."""
    held = []
    for _ in range(count):
        if stop.is_set():
            break
        attempts.append(1)
        try:
            held.append(socket.create_connection((host, port), timeout=2))
        except OSError:
            pass  # refused or reset: the node defends itself
    stop.wait()
    for s in held:
        s.close()


def test_honest_members_chat_through_a_connection_flood_and_an_event_flood(cluster):
    alice, bob, mallory = cluster.start_room(3, names=["alice", "bob", "mallory"])

    stop = threading.Event()
    attempts = []
    host, port = alice.listen.rsplit(":", 1)
    opener = threading.Thread(target=open_connections,
                              args=(host, int(port), 1000, stop, attempts), daemon=True)
    opener.start()
    flood = "".join(f"flood {i} {'x' * 100}\n" for i in range(20000))
    flooder = threading.Thread(target=lambda: (mallory.proc.stdin.write(flood),
                                               mallory.proc.stdin.flush()), daemon=True)
    flooder.start()
    try:
        # The flood is under way: mallory has said plenty, and alice has muted it.
        mallory.wait_until(lambda _: len(mallory.own_messages()) > 1000, what="mallory flooding")
        alice.wait_stderr("sends events faster than")
        alice.wait_until(lambda _: len(attempts) >= 1000, what="1000 connections opened")
        alice.wait_stderr("refused")

        delays_ms = []
        for i in range(20):
            for speaker, listener in ((alice, bob), (bob, alice)):
                line = f"honest {i} from {speaker.name}"
                speaker.send(line)
                got = listener.wait_message(line, speaker, TIMEOUT)
                delays_ms.append((got["ts_us"] - got["sent_us"]) / 1000)
        print(f"\nhonest lines: {len(delays_ms)} delivered, delay median "
              f"{statistics.median(delays_ms):.1f} ms, max {max(delays_ms):.1f} ms; "
              f"mallory said {len(mallory.own_messages())}, alice showed "
              f"{len(alice.events_of('message', from__id=mallory.id))} of them; "
              f"{len(attempts)} connections opened at alice")
        assert len(delays_ms) == 40
        assert len(alice.events_of("message", from__id=mallory.id)) < len(mallory.own_messages())
    finally:
        stop.set()
        opener.join(TIMEOUT)
    assert alice.running() and bob.running()
    wait_all_know([alice, bob, mallory])
