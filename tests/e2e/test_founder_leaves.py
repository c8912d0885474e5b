"""The room outlives its founder: newcomers join through the remaining members and chat."""

from peerchat_harness import assert_everyone_hears_everyone, wait_all_know


def test_after_the_founder_leaves_newcomers_joining_through_different_members_chat_with_all(
        cluster):
    founder, b, c = cluster.start_room(3)
    founder.leave()
    assert founder.wait_exit() == 0
    for member in (b, c):
        left = member.wait_event("member-left", peer__id=founder.id)
        assert left["reason"] == "left"

    d = cluster.spawn("newcomer-d", join=b)
    e = cluster.spawn("newcomer-e", join=c)
    room = [b, c, d, e]
    wait_all_know(room)

    # Both directions: the newcomers hear the old members and the old members hear them.
    assert_everyone_hears_everyone(room, "after the founder left")
