"""Files between real processes: an offer to the room reaches everyone, /get pulls the chunks
(each checked) into the downloads folder, the result is byte-identical; a download resumes
after a restart; names from the network cannot escape the downloads folder or overwrite."""

import hashlib
import sqlite3
import time
from pathlib import Path

from peerchat_harness import TIMEOUT, wait_all_know

CHUNK = 256 * 1024


def make_file(path, size, seed=1):
    """Deterministic content that differs per chunk (so a chunk put in the wrong place shows)."""
    data = bytearray()
    block = 0
    while len(data) < size:
        data += hashlib.sha256(f"{seed}:{block}".encode()).digest() * 1024
        block += 1
    path.write_bytes(bytes(data[:size]))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def offer(sender, who, path, *receivers, name=None):
    """Offers `path` and returns the file id every receiver saw in its file-offer."""
    since = {r.name: r.mark() for r in receivers}
    sender.send(f"/send {who} {path}")
    name = name or path.name
    ids = {r.wait_event("file-offer", since=since[r.name], file__name=name)["file"]["id"] for r in receivers}
    assert len(ids) == 1, ids
    return ids.pop()


def test_a_file_offered_to_the_room_arrives_whole_and_checked(cluster, tmp_path):
    alice, bob, carol = cluster.start_room(3, names=["alice", "bob", "carol"])
    src = tmp_path / "report.bin"
    digest = make_file(src, 3 * CHUNK + 1234)
    file_id = offer(alice, "*", src, alice, bob, carol)
    offer_event = bob.events_of("file-offer")[-1]["file"]
    assert offer_event["from"]["id"] == alice.id and offer_event["size"] == src.stat().st_size
    bob.send(f"/get {file_id[:8]}")
    done = bob.wait_event("file-complete", file_id=file_id)
    assert done["sha256"] == digest
    got = Path(done["path"])
    assert got.parent == bob.data_dir / "downloads" and got.name == "report.bin"
    assert got.read_bytes() == src.read_bytes()
    assert not list(got.parent.glob("*.part*")), "the partial file and its record are gone"
    assert not carol.events_of("file-complete"), "carol did not ask for it"
    bob.send("/files")
    listed = bob.wait_event("files")["files"]
    assert [(f["id"], f["state"]) for f in listed] == [(file_id, "complete")]


def test_a_private_file_goes_to_its_recipient_only(cluster, tmp_path):
    alice, bob, carol = cluster.start_room(3, names=["alice", "bob", "carol"])
    src = tmp_path / "secret.txt"
    make_file(src, 1000)
    file_id = offer(alice, "bob", src, bob)
    assert bob.events_of("file-offer")[-1]["file"]["to_room"] is False
    bob.send(f"/get {file_id}")
    assert Path(bob.wait_event("file-complete", file_id=file_id)["path"]).read_bytes() == src.read_bytes()
    carol.send("/files")
    assert carol.wait_event("files")["files"] == [], "carol never heard of it"


def test_a_private_offer_to_an_absent_member_survives_the_senders_restart(cluster, tmp_path):
    alice, bob, carol = cluster.start_room(3, names=["alice", "bob", "carol"])
    src = tmp_path / "for-bob.bin"
    digest = make_file(src, CHUNK + 77)
    bob.kill()
    since = alice.mark()
    alice.send(f"/send bob {src}")  # bob is still listed: his failure is not detected yet
    alice.wait_event("file-offer", since=since, file__name="for-bob.bin")
    alice.kill()  # right after the offer was shown: by then its record is written
    alice = cluster.respawn(alice, join=carol)
    alice.wait_ready()
    bob = cluster.respawn(bob, join=carol)
    file_id = bob.wait_event("file-offer", file__name="for-bob.bin", timeout=60)["file"]["id"]
    bob.send(f"/get {file_id}")
    assert bob.wait_event("file-complete", file_id=file_id, timeout=60)["sha256"] == digest
    # bob's receipt is remembered, so alice's next start does not offer it to him again.
    wait_offer_delivered(alice, file_id)


def wait_offer_delivered(node, file_id):
    """The store is written in the background: poll until the offer is marked delivered."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        db = sqlite3.connect(f"file:{node.data_dir / 'history.db'}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT delivered FROM files WHERE hex(id) = ?", (file_id.upper(),)).fetchall()
        finally:
            db.close()
        if rows == [(1,)]:
            return
        assert time.monotonic() < deadline, f"{node.name} never marked {file_id} delivered: {rows}"
        time.sleep(0.1)  # polling interval


def held_chunks(node, name, file_id):
    record = node.data_dir / "downloads" / f"{name}.{file_id[:8]}.part.have"
    return record.read_bytes().count(1) if record.exists() else 0


def wait_some_chunks(node, name, file_id, at_least):
    deadline = time.monotonic() + TIMEOUT
    while held_chunks(node, name, file_id) < at_least:
        assert time.monotonic() < deadline, f"{node.name} never held {at_least} chunks of {name}"
        time.sleep(0.005)  # polling interval: the transfer is fast


def test_a_download_resumes_after_the_receiver_is_killed(cluster, tmp_path):
    alice = cluster.spawn("alice")
    bob = cluster.spawn("bob", join=alice)
    wait_all_know([alice, bob])
    src = tmp_path / "big.bin"
    chunks = 1024  # 256 MiB: long enough to be caught half way
    digest = make_file(src, chunks * CHUNK)
    file_id = offer(alice, "*", src, bob)
    bob.send(f"/get {file_id}")
    wait_some_chunks(bob, "big.bin", file_id, 8)
    bob.kill()
    held = held_chunks(bob, "big.bin", file_id)
    assert 0 < held < chunks, "killed half way"
    back = cluster.respawn(bob)  # no /get: the download is remembered
    done = back.wait_event("file-complete", file_id=file_id, timeout=120)
    assert done["sha256"] == digest
    assert hashlib.sha256(Path(done["path"]).read_bytes()).hexdigest() == digest
    # The held chunks were kept, not fetched again: what came over the links after the restart
    # is the rest of the file (plus frames and hashes), well under the whole of it.
    since = back.mark()
    back.send("/stats")
    received = back.wait_event("stats", since=since)["bytes_received"]
    assert received < (chunks - held) * CHUNK + chunks * 64 + 1024 * 1024, (received, held)


def test_a_download_waits_for_the_sender_to_come_back(cluster, tmp_path):
    alice = cluster.spawn("alice")
    bob = cluster.spawn("bob", join=alice)
    carol = cluster.spawn("carol", join=alice)  # keeps the room alive while alice is away
    wait_all_know([alice, bob, carol])
    src = tmp_path / "big.bin"
    digest = make_file(src, 1024 * CHUNK)
    file_id = offer(alice, "*", src, bob)
    bob.send(f"/get {file_id}")
    wait_some_chunks(bob, "big.bin", file_id, 8)
    alice.kill()
    cluster.respawn(alice)  # it still offers the file after a restart
    done = bob.wait_event("file-complete", file_id=file_id, timeout=120)
    assert done["sha256"] == digest


def test_names_cannot_escape_the_downloads_folder_or_overwrite(cluster, tmp_path):
    alice, bob = cluster.start_room(2, names=["alice", "bob"])
    first = tmp_path / "a" / "..hidden"
    first.parent.mkdir()
    make_file(first, 100, seed=1)
    id1 = offer(alice, "*", first, bob, name="hidden")  # offered under a clean name already
    second = tmp_path / "b" / "hidden"
    second.parent.mkdir()
    make_file(second, 200, seed=2)
    id2 = offer(alice, "*", second, bob)
    bob.send(f"/get {id1}")
    p1 = Path(bob.wait_event("file-complete", file_id=id1)["path"])
    bob.send(f"/get {id2}")
    p2 = Path(bob.wait_event("file-complete", file_id=id2)["path"])
    downloads = bob.data_dir / "downloads"
    assert p1 == downloads / "hidden" and p2 == downloads / "hidden (1)"
    assert p1.read_bytes() == first.read_bytes() and p2.read_bytes() == second.read_bytes()


def test_bad_commands_and_files_get_a_clear_error(cluster, tmp_path):
    alice, bob = cluster.start_room(2, names=["alice", "bob"], extra_args=["--max-file-size", "1000"])
    cases = [
        (f"/send * {tmp_path / 'missing.bin'}", "cannot read"),
        (f"/send * {tmp_path}", "not a regular file"),
        (f"/send nobody {tmp_path}", "no member named"),
        ("/get 1234abcd", "no file"),
        ("/get", "usage: /get"),
    ]
    big = tmp_path / "big.bin"
    make_file(big, 5000)
    cases.append((f"/send * {big}", "above the limit"))
    for line, expected in cases:
        since = alice.mark()
        alice.send(line)
        assert expected in alice.wait_event("error", since=since)["message"], line
    assert alice.running()


def test_a_file_outlives_its_sender_among_those_who_hold_it(cluster, tmp_path):
    """carol auto-accepts and holds the file; the sender leaves; dave fetches it from carol."""
    alice = cluster.spawn("alice")
    carol = cluster.spawn("carol", join=alice, extra_args=["--auto-accept"])
    dave = cluster.spawn("dave", join=alice)
    wait_all_know([alice, carol, dave])
    src = tmp_path / "album.zip"
    digest = make_file(src, 9 * CHUNK + 5)
    file_id = offer(alice, "*", src, carol, dave)
    assert carol.wait_event("file-complete", file_id=file_id)["sha256"] == digest
    alice.leave()
    assert alice.wait_exit() == 0
    dave.send(f"/get {file_id}")
    done = dave.wait_event("file-complete", file_id=file_id)
    assert done["sha256"] == digest and Path(done["path"]).read_bytes() == src.read_bytes()
