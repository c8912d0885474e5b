"""Nicknames: a change reaches every member, and equal names stay apart by id."""

import subprocess

import pytest

from peerchat_harness import peerchat_bin


def test_a_nick_change_is_announced_with_old_and_new_name_on_every_other_node(cluster):
    room = cluster.start_room(3, names=["ann", "bob", "cat"])
    bob = room[1]
    bob.send("/nick robert")
    for other in (room[0], room[2]):
        nick = other.wait_event("nick", peer__id=bob.id)
        assert (nick["old"], nick["new"]) == ("bob", "robert")


def test_two_members_with_the_same_name_are_listed_separately_by_id(cluster):
    ann, twin1, twin2 = cluster.start_room(3, names=["ann", "twin", "twin"])
    for viewer in (ann, twin1, twin2):
        twins = [p for p in viewer.nodes() if p["name"] == "twin"]
        assert sorted(p["id"] for p in twins) == sorted([twin1.id, twin2.id])


def test_a_nick_that_copies_another_members_name_leaves_both_distinguishable_by_id(cluster):
    ann, bob, cat = cluster.start_room(3, names=["ann", "bob", "cat"])
    cat.send("/nick bob")
    for viewer in (ann, bob):
        viewer.wait_event("nick", peer__id=cat.id, new="bob")
    for viewer in (ann, bob, cat):
        bobs = [p for p in viewer.nodes() if p["name"] == "bob"]
        assert sorted(p["id"] for p in bobs) == sorted([bob.id, cat.id])


@pytest.mark.parametrize("name", ["", "x" * 65, "evil\x1b[2J"], ids=["empty", "65-bytes", "escape"])
def test_an_unusable_name_is_refused_at_start_before_anything_is_created(tmp_path, name):
    # Every member would refuse its hello ("bad name"), so the node must not start with it.
    data_dir = tmp_path / "node"
    proc = subprocess.run([peerchat_bin(), "--json", "--name", name, "--listen", "127.0.0.1:0",
                           "--data-dir", str(data_dir)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert '"ready"' not in proc.stdout
    first = proc.stderr.splitlines()[0]
    assert first.startswith("--name: ") and "1 to 64 bytes of UTF-8" in first, proc.stderr
    assert not data_dir.exists()
