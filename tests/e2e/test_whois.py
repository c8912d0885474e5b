"""Fingerprints: /whois shows a member's whole key; a name that turns up with a second key
makes every member warn."""

from peerchat_harness import wait_all_know


def ask(node, line, kind):
    since = node.mark()
    node.send(line)
    return node.wait_for(lambda e: e.get("event") in (kind, "error"), since=since, what=kind)


def test_whois_shows_the_full_fingerprint_of_a_member(cluster):
    alice, bob = cluster.start_room(2, names=["alice", "bob"])
    answer = ask(alice, "/whois bob", "whois")
    assert answer["event"] == "whois", answer
    assert answer["peer"]["id"] == bob.id
    groups = answer["fingerprint"].split(" ")
    assert len(groups) == 16 and all(len(g) == 4 for g in groups)
    assert "".join(groups) == bob.id, "the fingerprint is the whole key"
    assert answer["names"] == ["bob"] and answer["state"] == "alive" and not answer["self"]
    # By id prefix, and for ourselves, too.
    assert ask(alice, f"/whois {bob.id[:8]}", "whois")["peer"]["id"] == bob.id
    assert ask(bob, "/whois bob", "whois")["self"] is True


def test_a_name_seen_with_another_key_warns_every_member_and_whois_asks_for_the_id(cluster):
    alice, bob = cluster.start_room(2, names=["alice", "bob"])
    impostor = cluster.spawn("alice", join=bob)
    wait_all_know([alice, bob, impostor])
    for node in (alice, bob, impostor):
        warning = node.wait_event("warning", name="alice")
        assert warning["kind"] == "name-collision"
        assert "alice" in warning["message"] and "/whois" in warning["message"]
        # Whoever came second, the two keys are the impostor's and alice's.
        assert {warning["peer"]["id"], *warning["seen_with"]} == {alice.id, impostor.id}
    error = ask(bob, "/whois alice", "whois")
    assert error["event"] == "error" and "ambiguous" in error["message"], error
    assert alice.id[:8] in error["message"] and impostor.id[:8] in error["message"]
    assert ask(bob, f"/whois {impostor.id[:8]}", "whois")["peer"]["id"] == impostor.id
    assert not bob.events_of("warning", name="bob"), "no warning about names that did not collide"
