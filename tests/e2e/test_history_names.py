"""/history as a person reads it (issue 18, item 6): N means N chat lines, nick changes not
counted, and each line keeps the name its author had when writing it, on every member, also
one that fetched the lines as history and one whose author renamed by restarting."""

from peerchat_harness import wait_all_know


def names_and_texts(events):
    return [(e["from"]["name"], e["text"]) for e in events]


def test_history_n_shows_n_lines_however_many_nick_changes_are_among_them(cluster):
    alice, bob = cluster.start_room(2, names=["alice", "bob"])
    for i, name in enumerate(["a1", "a2", "a3"]):
        alice.send(f"line {i}")
        alice.wait_message(f"line {i}", alice)
        alice.send(f"/nick {name}")
        alice.wait_event("nick", new=name)
    alice.send("line 3")
    bob.wait_message("line 3", alice)
    assert [e["text"] for e in bob.history(3)] == ["line 1", "line 2", "line 3"]
    assert len(alice.history(4)) == 4


def test_each_line_keeps_the_name_its_author_had_then(cluster):
    alice, bob = cluster.start_room(2, names=["alice", "bob"])
    alice.send("as alice")
    alice.wait_message("as alice", alice)
    alice.send("/nick alicia")
    bob.wait_event("nick", new="alicia")
    alice.send("as alicia")
    bob.wait_message("as alicia", alice)
    want = [("alice", "as alice"), ("alicia", "as alicia")]
    assert names_and_texts(bob.history(2)) == want
    assert names_and_texts(alice.history(2)) == want
    # A newcomer has only the fetched events and alice's record (which says alicia).
    carol = cluster.spawn("carol", join=bob)
    carol.wait_event("synced")
    assert names_and_texts(carol.history(2)) == want


def test_a_rename_by_restarting_under_another_name_is_announced_and_kept_in_history(cluster):
    alice, bob = cluster.start_room(2, names=["alice", "bob"])
    bob.send("as bob")
    alice.wait_message("as bob", bob)
    bob.leave()
    bob.wait_exit()
    robert = cluster.respawn(bob, join=alice, extra_args=["--name", "robert"], name_flag=False)
    nick = alice.wait_event("nick", new="robert")
    assert nick["old"] == "bob"
    robert.send("as robert")
    alice.wait_message("as robert", robert)
    assert names_and_texts(alice.history(2)) == [("bob", "as bob"), ("robert", "as robert")]
    wait_all_know([alice, robert])
