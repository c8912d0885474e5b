"""A member who comes back is present in every view: after a restart on its data directory,
after a crash, and after a failed attempt whose goodbye nobody heard at the time.

The barrier in each test is a line the returning member says once it is back: links keep
order, so a member that shows the line has also had whatever that member sent before it, the
old run's Leave event included. Nothing here sleeps for correctness.
"""

import signal
import time

from peerchat_harness import LIVE_STATES, TIMEOUT, wait_all_know

SECRET = "a secret the failed attempt does not know"


def marks(members):
    """Where each member's events stand now: pass to assert_present_everywhere."""
    return {m.name: m.mark() for m in members}


def assert_present_everywhere(others, back, since, tag):
    """back is listed alive by every other member and heard by each; since the marks `since`
    (taken before back started), none showed it leaving after showing it joining (its old
    run's failure or goodbye may come first), and the last news of it, if any, is its joining."""
    line = f"{tag}: {back.name} is back"
    back.send(line)
    for other in others:
        other.wait_message(line, back)
        news = [e["event"] for e in other.events[since[other.name]:]
                if e.get("event") in ("member-joined", "member-left") and e["peer"]["id"] == back.id]
        joined_at = news.index("member-joined") if "member-joined" in news else len(news)
        assert "member-left" not in news[joined_at:], (
            f"{other.name} showed {back.name} leaving after it joined: {news}")
        # A member that never saw it go (a crash refuted in time) shows nothing at all.
        assert not news or news[-1] == "member-joined", f"{other.name} last showed {back.name}: {news}"
        states = [p["state"] for p in other.nodes() if p["id"] == back.id]
        assert states and states[0] in LIVE_STATES, f"{other.name} lists {back.name} as {states}"
    wait_all_know(others + [back])


def wait_refused(members, timeout=TIMEOUT):
    """Waits until some member logged refusing a dialer with the wrong secret."""
    deadline = time.monotonic() + timeout
    while not any("wrong room secret" in m.stderr_text() for m in members):
        assert time.monotonic() < deadline, "no member ever refused the failed attempt"
        time.sleep(0.05)  # polling interval, not a correctness delay


def test_a_member_restarted_on_its_data_directory_after_quitting_is_alive_everywhere(cluster):
    *others, leaver = cluster.start_room(4)
    leaver.send("/quit")
    assert leaver.wait_exit() == 0
    for other in others:
        other.wait_event("member-left", peer__id=leaver.id)
    since = marks(others)
    back = cluster.respawn(leaver)
    assert back.id == leaver.id
    assert_present_everywhere(others, back, since, "after quitting")


def test_a_killed_member_restarted_at_once_is_alive_everywhere(cluster):
    *others, victim = cluster.start_room(4)
    since = marks(others)
    victim.kill()
    back = cluster.respawn(victim)
    assert_present_everywhere(others, back, since, "after a crash")


def test_a_member_back_after_a_failed_attempt_is_alive_everywhere(cluster):
    # The failed attempt starts on the data directory with a wrong secret: it is ready at once
    # (it remembers members to dial), is refused by each, and leaves. That run's Leave event is
    # on its disk alone, and reaches the others only when the member is back, after its new hello.
    *others, leaver = cluster.start_room(4, extra_args=("--secret", SECRET))
    leaver.send("/quit")
    assert leaver.wait_exit() == 0
    for other in others:
        other.wait_event("member-left", peer__id=leaver.id)
    attempt = cluster.respawn(leaver, extra_args=("--secret", "not the room's secret"))
    wait_refused(others)
    if attempt.running():
        attempt.signal(signal.SIGTERM)
    attempt.wait_exit()
    since = marks(others)
    back = cluster.respawn(leaver, extra_args=("--secret", SECRET))
    assert_present_everywhere(others, back, since, "after a failed attempt")
