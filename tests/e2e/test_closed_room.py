"""Closed rooms: only members that prove the secret get in; everyone else is told
`wrong room secret` and exits non-zero, while the room keeps chatting."""

import os
import stat

from peerchat_harness import assert_everyone_hears_everyone, wait_all_know

SECRET = "correct horse battery staple"


def closed_room(cluster, n, secret=SECRET, room="lobby", prefix="m"):
    """n members of a closed room, each joining through the previous one."""
    members = [cluster.spawn(f"{prefix}0", room=room, extra_args=["--secret", secret])]
    for i in range(1, n):
        members.append(cluster.spawn(f"{prefix}{i}", join=members[-1],
                                     extra_args=["--secret", secret]))
    wait_all_know(members)
    return members


def assert_refused(intruder, room):
    """The intruder gives up with `wrong room secret`; the members never list it."""
    error = intruder.wait_event("error")
    assert "wrong room secret" in error["message"], error
    assert intruder.wait_exit() != 0, "a refused join must not exit with success"
    assert not intruder.events_of("ready"), "a refused joiner must never be ready"
    room_ids = {node.id for node in room}
    for member in room:
        assert {p["id"] for p in member.nodes()} == room_ids
        assert all(e["peer"]["id"] in room_ids for e in member.events_of("member-joined"))


def test_members_with_the_secret_join_and_chat(cluster):
    room = closed_room(cluster, 3)
    assert_everyone_hears_everyone(room, "closed")


def test_a_wrong_secret_is_refused_and_the_room_keeps_chatting(cluster):
    room = closed_room(cluster, 2)
    intruder = cluster.spawn("intruder", join=room[1], wait_ready=False,
                             extra_args=["--secret", "a guess"])
    assert_refused(intruder, room)
    line = room[1].wait_stderr("wrong room secret")
    assert "closing link" in line
    assert_everyone_hears_everyone(room, "after a wrong secret")


def test_a_missing_secret_is_refused_and_the_room_keeps_chatting(cluster):
    room = closed_room(cluster, 2)
    intruder = cluster.spawn("intruder", join=room[0], wait_ready=False)
    assert_refused(intruder, room)
    room[0].wait_stderr("wrong room secret")
    assert_everyone_hears_everyone(room, "after a missing secret")


def test_two_rooms_with_one_name_and_different_secrets_never_mix(cluster):
    red = closed_room(cluster, 2, secret="red secret", prefix="red")
    blue = closed_room(cluster, 2, secret="blue secret", prefix="blue")
    assert red[0].room == blue[0].room == "lobby"
    # A blue member's address given to a red joiner: refused, and neither room grows.
    stray = cluster.spawn("stray", join=blue[1], wait_ready=False,
                          extra_args=["--secret", "red secret"])
    assert_refused(stray, blue)
    assert_everyone_hears_everyone(red, "red")
    assert_everyone_hears_everyone(blue, "blue")
    for node in red:
        assert not [m for m in node.received_messages() if m["text"].startswith("blue")]
    for node in blue:
        assert not [m for m in node.received_messages() if m["text"].startswith("red")]


def test_a_secret_file_closes_the_room_like_a_secret(cluster, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n")  # as `echo` writes it: the newline is not part of it
    founder = cluster.spawn("founder", room="lobby", extra_args=["--secret-file", str(secret_file)])
    joiner = cluster.spawn("joiner", join=founder, extra_args=["--secret", SECRET])
    wait_all_know([founder, joiner])


def test_an_unreadable_secret_file_is_a_one_line_error(cluster, tmp_path):
    node = cluster.spawn("n", wait_ready=False,
                         extra_args=["--secret-file", str(tmp_path / "missing")])
    assert node.wait_exit() != 0
    errors = [line for line in node.stderr_text().splitlines() if "error" in line]
    assert len(errors) == 1 and "secret file" in errors[0], node.stderr_text()


def test_closed_keeps_the_founders_secret_across_a_restart(cluster):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--closed"])
    saved = founder.data_dir / "room.secret"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    secret = saved.read_text().strip()
    assert len(secret) >= 22, "a fresh secret has at least 128 bits"
    founder.leave()
    assert founder.wait_exit() == 0

    again = cluster.respawn(founder, room="lobby", extra_args=["--closed"])
    assert saved.read_text().strip() == secret
    joiner = cluster.spawn("joiner", join=again, extra_args=["--secret", secret])
    wait_all_know([again, joiner])


def ask_invite(node):
    since = node.mark()
    node.send("/invite")
    return node.wait_event("invite", since=since)["url"]


def test_a_joiner_with_the_invite_alone_comes_back_after_a_plain_restart(cluster):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--closed"])
    joiner = cluster.spawn("joiner", join=ask_invite(founder))
    wait_all_know([founder, joiner])
    saved = joiner.data_dir / "room.secret"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    joiner.leave()
    assert joiner.wait_exit() == 0

    # Only the data directory: room, secret and the members' addresses come from there.
    again = cluster.respawn(joiner, name_flag=False)
    assert again.room == "lobby"
    wait_all_know([founder, again])
    assert_everyone_hears_everyone([founder, again], "back")


def test_a_restarted_member_whose_secret_no_longer_fits_gives_up_with_cannot_join(cluster):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--secret", SECRET])
    joiner = cluster.spawn("joiner", join=founder, extra_args=["--secret", SECRET])
    wait_all_know([founder, joiner])
    joiner.leave()
    assert joiner.wait_exit() == 0
    (joiner.data_dir / "room.secret").write_text("not the room's secret\n")

    again = cluster.respawn(joiner, name_flag=False, wait_ready=False)
    assert again.wait_exit() == 3, "cannot join"
    error = again.wait_event("error", code=3)
    assert "wrong room secret" in error["message"], error
    assert founder.member_ids() == {founder.id}
