"""Invites: /invite prints one line that a new node joins with, closed rooms included."""

from peerchat_harness import assert_everyone_hears_everyone, wait_all_know

# A space and a '#' make the invite percent-encode the secret.
SECRET = "two words #and more"


def ask_invite(node):
    since = node.mark()
    node.send("/invite")
    return node.wait_event("invite", since=since)["url"]


def test_the_invite_of_a_closed_room_joins_a_new_node_that_has_no_other_setting(cluster):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--secret", SECRET])
    url = ask_invite(founder)
    assert url == f"peerchat://{founder.listen}/lobby#two%20words%20%23and%20more"
    assert founder.events_of("ready")[0]["invite"] == url
    joiner = cluster.spawn("joiner", join=url)
    assert joiner.room == "lobby"
    wait_all_know([founder, joiner])
    # A joiner's own invite works too: it names the joiner's address and the same secret.
    third = cluster.spawn("third", join=ask_invite(joiner))
    wait_all_know([founder, joiner, third])
    assert_everyone_hears_everyone([founder, joiner, third], "invited")


def test_an_open_room_invite_has_no_secret_and_joins(cluster):
    founder = cluster.spawn("founder", room="open")
    url = ask_invite(founder)
    assert url == f"peerchat://{founder.listen}/open"
    joiner = cluster.spawn("joiner", join=url)
    wait_all_know([founder, joiner])


def test_an_unreachable_first_address_in_an_invite_falls_back_to_the_next(cluster):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--secret", "s"])
    # Port 1 on loopback refuses at once; the joiner must go on to the member's real address.
    url = ask_invite(founder).replace("peerchat://", "peerchat://127.0.0.1:1,")
    joiner = cluster.spawn("joiner", join=url)
    wait_all_know([founder, joiner])


def test_a_malformed_invite_is_a_one_line_error_and_a_failed_start(cluster):
    node = cluster.spawn("n", join="peerchat://nohost/lobby#s", wait_ready=False)
    assert node.wait_exit() != 0
    errors = [line for line in node.stderr_text().splitlines() if line.strip()]
    assert len(errors) == 1 and "malformed invite" in errors[0], node.stderr_text()


def test_an_invite_with_a_wrong_secret_is_refused_with_wrong_room_secret(cluster):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--secret", SECRET])
    forged = ask_invite(founder).split("#")[0] + "#guess"
    intruder = cluster.spawn("intruder", join=forged, wait_ready=False)
    assert "wrong room secret" in intruder.wait_event("error")["message"]
    assert intruder.wait_exit() != 0
    assert [p["id"] for p in founder.nodes()] == [founder.id]
