"""Nicknames: a change reaches every member, and equal names stay apart by id."""


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
