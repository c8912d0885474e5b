"""Private messages between real processes: only the recipient shows them, the sender hears
`delivered`, and a message to a member who is away is kept, reported pending, and delivered
when it is back — even after the sender restarted in between."""

import sqlite3
import time

from peerchat_harness import TIMEOUT, wait_all_know


def wait_rows(node, row):
    """The store is written in the background: poll until `row` is there."""
    deadline = time.monotonic() + TIMEOUT
    while row not in direct_rows(node):
        assert time.monotonic() < deadline, f"{node.name} never stored {row}: {direct_rows(node)}"
        time.sleep(0.1)  # polling interval


def direct_rows(node):
    db = sqlite3.connect(f"file:{node.data_dir / 'history.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT text, outgoing, status FROM direct_messages").fetchall()
    finally:
        db.close()


def test_a_private_message_reaches_only_its_recipient_and_is_acknowledged(cluster):
    alice, bob, carol = cluster.start_room(3, names=["alice", "bob", "carol"])
    alice.send("/msg bob meet me at noon")
    got = bob.wait_event("direct", text="meet me at noon")
    assert got["from"]["id"] == alice.id and got["to"]["id"] == bob.id
    sent = alice.wait_event("direct", text="meet me at noon")
    alice.wait_event("direct-status", id=sent["id"], status="delivered")
    carol.send("/nodes")  # a round trip to carol: had she shown it, it would be before this
    carol.wait_event("nodes")
    assert not carol.events_of("direct")
    wait_rows(alice, ("meet me at noon", 1, 0))  # outgoing, delivered
    wait_rows(bob, ("meet me at noon", 0, 0))
    assert direct_rows(carol) == [], "kept by sender and recipient only"


def test_names_that_are_ambiguous_or_unknown_get_a_clear_error(cluster):
    alice, bob1, bob2 = cluster.start_room(3, names=["alice", "bob", "bob"])
    alice.send("/msg bob hello")
    assert "ambiguous" in alice.wait_event("error")["message"]
    alice.send(f"/msg {bob2.id[:8]} hello you")
    bob2.wait_event("direct", text="hello you")
    since = alice.mark()
    alice.send("/msg nobody hi")
    assert "no member named" in alice.wait_event("error", since=since)["message"]


def test_a_message_to_an_absent_member_is_delivered_when_it_is_back(cluster):
    alice = cluster.spawn("alice")
    bob = cluster.spawn("bob", join=alice)
    wait_all_know([alice, bob])
    bob.kill()
    alice.wait_event("member-left", peer__id=bob.id)
    alice.send(f"/msg {bob.id} while you were out")
    sent = alice.wait_event("direct", text="while you were out")
    alice.wait_event("direct-status", id=sent["id"], status="pending")
    # The sender restarts too: the message is in its store and still goes.
    alice.leave()
    assert alice.wait_exit() == 0
    alice2 = cluster.respawn(alice)
    bob2 = cluster.respawn(bob, join=alice2)
    got = bob2.wait_event("direct", text="while you were out", timeout=60)
    assert got["from"]["id"] == alice.id
    alice2.wait_event("direct-status", id=sent["id"], status="delivered", timeout=60)
