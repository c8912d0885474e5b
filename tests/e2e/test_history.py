"""History that survives: catch-up at join, one order everywhere, restarts without --join,
members back from offline, crash safety during a burst, and refusal of bad databases."""

import os
import sqlite3
import subprocess
import time

import pytest

from peerchat_harness import (TIMEOUT, Node, assert_everyone_hears_everyone, peerchat_bin,
                              wait_all_know)


def say_all(node, lines):
    for line in lines:
        node.send(line)
    for line in lines:
        node.wait_message(line, node)


def wait_remembers_peers(node, peers):
    """Peer addresses are written in the background: a node killed the moment it joined may
    not have them yet (and would come back alone, or knowing only a peer that has left since).
    Wait until the address of every one of `peers` is on disk."""
    wanted = {bytes.fromhex(p.id) for p in peers}
    deadline = time.monotonic() + TIMEOUT
    while True:
        db = sqlite3.connect(f"file:{node.data_dir / 'history.db'}?mode=ro", uri=True)
        try:
            known = {peer for (peer,) in db.execute("SELECT peer FROM peer_addresses")}
            if wanted <= known:
                return
        finally:
            db.close()
        assert time.monotonic() < deadline, f"{node.name} never stored the addresses of {peers}"
        time.sleep(0.05)  # polling interval


def history_ids(node, n=10000):
    return [e["id"] for e in node.history(n)]


def test_a_newcomer_gets_the_history_and_every_node_shows_it_in_the_same_order(cluster):
    room = cluster.start_room(3)
    lines = {node.id: [f"{node.name} line {i}" for i in range(5)] for node in room}
    for i in range(5):
        for node in room:
            node.send(lines[node.id][i])
    for receiver in room:
        for author in room:
            for line in lines[author.id]:
                receiver.wait_message(line, author)

    newcomer = cluster.spawn("late", join=room[2])
    synced = newcomer.wait_event("synced")
    assert synced["events"] == 15 and synced["unavailable"] == 0
    assert not newcomer.received_messages(), "history is stored, not replayed as live lines"
    # A newcomer sees the room's latest lines, marked as fetched, after one `missed` event.
    missed = newcomer.wait_event("missed")
    assert missed == {**missed, "lines": 15, "shown": 15, "returning": False}
    assert newcomer.events.index(missed) < newcomer.events.index(synced)

    histories = {node.name: newcomer_history for node, newcomer_history in
                 ((node, node.history()) for node in room + [newcomer])}
    reference = histories[room[0].name]
    assert len(reference) == 15
    for name, events in histories.items():
        assert [e["id"] for e in events] == [e["id"] for e in reference], f"{name} differs"
    order = [(e["lamport"], e["from"]["id"]) for e in reference]
    assert order == sorted(order), "display order is (Lamport, author id)"
    assert [e["text"] for e in newcomer.history(3)] == [e["text"] for e in reference[-3:]]
    assert [e["id"] for e in newcomer.missed_messages()] == [e["id"] for e in reference]


def test_a_restart_without_options_resumes_room_name_history_and_rejoins(cluster):
    alice = cluster.spawn("alice")
    bob = cluster.spawn("bob", join=alice)
    wait_all_know([alice, bob])
    say_all(bob, ["bob before"])
    alice.wait_message("bob before", bob)
    wait_remembers_peers(bob, [alice])
    bob.kill()
    alice.wait_event("member-left", peer__id=bob.id)
    missed = [f"while bob was away {i}" for i in range(20)]
    say_all(alice, missed)

    db = sqlite3.connect(f"file:{bob.data_dir / 'history.db'}?mode=ro", uri=True)
    members = {row[0].hex(): row[1] for row in db.execute("SELECT id, name FROM members")}
    peers = [row[0] for row in db.execute("SELECT addr FROM peer_addresses")]
    db.close()
    assert members.get(alice.id) == "alice", "member records are kept"
    assert alice.listen in peers, "and where to find them again"

    back = Node("ignored", bob.data_dir, name_flag=False, run=1)
    cluster.nodes.append(back)
    assert back.id == bob.id and back.room == alice.room
    assert back.wait_event("ready")["name"] == "bob", "the stored name, not $USER"
    assert back.wait_event("synced")["events"] == len(missed)
    # What it missed is shown, not counted: a `missed` event, then the newest 20 lines in order.
    assert back.wait_event("missed") == {**back.wait_event("missed"), "lines": 20, "shown": 20,
                                         "returning": True}
    assert [e["text"] for e in back.missed_messages()] == missed
    texts = [e["text"] for e in back.history()]
    assert texts == ["bob before"] + missed
    wait_all_know([alice, back])
    assert_everyone_hears_everyone([alice, back], "after the restart")


def test_a_member_back_from_offline_gets_the_lines_of_an_author_who_is_offline_now(cluster):
    alice, bob, carol = cluster.start_room(3, names=["alice", "bob", "carol"])
    wait_remembers_peers(carol, [alice])  # bob leaves before carol is back
    carol.kill()
    say_all(bob, ["bob says this while carol is away"])
    alice.wait_message("bob says this while carol is away", bob)
    bob.leave()
    assert bob.wait_exit() == 0
    back = cluster.respawn(carol)  # no --join: through the peers it remembers
    back.wait_event("synced")
    assert "bob says this while carol is away" in [e["text"] for e in back.history()]


def test_a_history_limit_keeps_only_the_newest_lines(cluster):
    alice = cluster.spawn("alice")
    say_all(alice, [f"line {i}" for i in range(30)])
    newcomer = cluster.spawn("newcomer", join=alice, extra_args=["--history-limit", "5"])
    assert newcomer.wait_event("synced")["events"] == 5
    assert [e["text"] for e in newcomer.history()] == [f"line {i}" for i in range(25, 30)]


def own_rows(db_path, author_hex):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute(
            "SELECT e.seq FROM events e JOIN authors a USING (author_no) WHERE a.key = ?",
            (bytes.fromhex(author_hex),)).fetchall()
        return [seq for (seq,) in rows]
    finally:
        db.close()


def test_a_node_killed_mid_burst_restarts_intact_and_numbers_on_without_reuse(cluster):
    alice = cluster.spawn("alice")
    bob = cluster.spawn("bob", join=alice)
    wait_all_know([alice, bob])
    for i in range(2000):
        bob.send(f"burst {i}")
    bob.wait_until(lambda events: len([e for e in events if e.get("event") == "message"]) >= 200,
                   what="200 lines of the burst shown")
    bob.kill()
    shown = {e["seq"] for e in bob.own_messages()}
    stored = own_rows(bob.data_dir / "history.db", bob.id)
    assert len(stored) == len(set(stored)), "no duplicates"
    assert stored == list(range(1, len(stored) + 1)), "gap-free"
    assert shown <= set(stored), f"shown but lost: {sorted(shown - set(stored))[:5]}"
    print(f"\nkilled after {len(shown)} lines shown; {len(stored)} on disk")

    back = cluster.respawn(bob, join=alice)
    back.send("after the crash")
    after = back.wait_message("after the crash", back)
    assert after["seq"] == len(stored) + 1, "numbering continues from the disk"
    got = alice.wait_message("after the crash", back)
    assert got["seq"] == after["seq"]
    by_seq = {}
    for e in alice.events_of("message", from__id=bob.id):
        assert by_seq.setdefault(e["seq"], e["text"]) == e["text"], f"seq {e['seq']} reused"


def refused_start(data_dir, *extra):
    """Runs peerchat on data_dir and returns (exit status, stderr lines)."""
    proc = subprocess.run([peerchat_bin(), "--json", "--name", "x", "--listen", "127.0.0.1:0",
                           "--data-dir", str(data_dir), *extra],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    # The line saying the directory was made private (test_private_at_rest) is not a refusal.
    return proc.returncode, [line for line in proc.stderr.splitlines()
                             if line.strip() and "readable by others" not in line]


def test_a_bad_database_is_refused_with_one_clear_line_and_left_untouched(tmp_path):
    cases = {
        "garbage": lambda p: p.write_bytes(b"SQLite format 3\0" + os.urandom(4080)),
        "not a database": lambda p: p.write_text("hello, I am a text file\n" * 100),
        "foreign": lambda p: sqlite3.connect(p).executescript(
            "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT);"
            "INSERT INTO accounts (owner) VALUES ('someone else');").close(),
    }
    for case, make in cases.items():
        data_dir = tmp_path / case.replace(" ", "-")
        data_dir.mkdir()
        db_path = data_dir / "history.db"
        make(db_path)
        before = db_path.read_bytes()
        status, lines = refused_start(data_dir)
        assert status != 0, case
        assert len(lines) == 1 and "history.db" in lines[0], f"{case}: {lines}"
        assert db_path.read_bytes() == before, f"{case}: the file was changed"


def test_a_database_in_use_by_another_peerchat_is_refused(cluster):
    alice = cluster.spawn("alice")
    status, lines = refused_start(alice.data_dir)
    assert status != 0
    assert len(lines) == 1 and "in use" in lines[0], lines
    alice.send("still fine")
    alice.wait_message("still fine", alice)


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs of our own (needs root; skips otherwise)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small file system here (needs root): {made.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_a_full_disk_refuses_new_lines_with_a_clear_error_and_keeps_the_old_ones(small_disk):
    node = Node("filler", small_disk / "node")
    try:
        shown = []
        for i in range(2000):
            line = f"{i:05d} " + "x" * 2000
            since = node.mark()
            node.send(line)
            event = node.wait_for(lambda e: e.get("event") in ("message", "error"), since=since,
                                  what="the line shown or refused")
            if event["event"] == "error":
                assert "not sent" in event["message"] and "full" in event["message"], event
                break
            shown.append(line)
        else:
            raise AssertionError("the disk never filled")
        assert node.running(), "a full disk is an error message, not a crash"
        node.send("/history 3")
        assert node.wait_event("history")["events"][-1]["text"] == shown[-1]
    finally:
        node.stop()
    db = sqlite3.connect(f"file:{small_disk / 'node' / 'history.db'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Every line shown is there (kind 10: a text event; a small leave event may follow).
        assert db.execute("SELECT count(*) FROM events WHERE kind = 10").fetchone()[0] == len(shown)
    finally:
        db.close()


def test_a_read_only_data_directory_is_refused_with_one_clear_line(small_disk):
    data_dir = small_disk / "node"
    node = Node("before", data_dir)
    node.leave()
    assert node.wait_exit() == 0
    node.stop()
    db_path = data_dir / "history.db"
    before = db_path.read_bytes()
    remount = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True)
    assert remount.returncode == 0, remount.stderr
    status, lines = refused_start(data_dir)
    assert status != 0
    assert len(lines) == 1 and "read-only" in lines[0], lines
    assert db_path.read_bytes() == before


def test_a_member_back_from_a_long_absence_sees_the_newest_lines_and_how_many_more(cluster):
    alice = cluster.spawn("alice")
    bob = cluster.spawn("bob", join=alice)
    wait_all_know([alice, bob])
    wait_remembers_peers(bob, [alice])
    bob.kill()
    alice.wait_event("member-left", peer__id=bob.id)
    missed = [f"line {i}" for i in range(30)]
    say_all(alice, missed)
    back = cluster.respawn(bob)
    back.wait_event("synced")  # the lines shown come before it
    assert back.wait_event("missed") == {**back.wait_event("missed"), "lines": 30, "shown": 20,
                                         "returning": True}
    assert [e["text"] for e in back.missed_messages()] == missed[-20:]
    assert not back.received_messages()
