"""Files between real processes: an offer to the room reaches everyone, /get pulls the chunks
(each checked) into the downloads folder, the result is byte-identical; a download resumes
after a restart; names from the network cannot escape the downloads folder or overwrite."""

import hashlib
import os
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


def offer(sender, who, path, *receivers):
    """Offers `path` and returns the file id every receiver saw in its file-offer."""
    since = {r.name: r.mark() for r in receivers}
    sender.send(f"/send {who} {path}")
    ids = {r.wait_event("file-offer", since=since[r.name], file__name=path.name)["file"]["id"] for r in receivers}
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
