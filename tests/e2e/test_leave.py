"""Leaving: every way out is graceful and seen promptly; unknown commands go nowhere."""

import signal

import pytest

from peerchat_harness import now_us


def test_a_graceful_leave_is_seen_by_every_other_member_within_one_second(cluster):
    *others, leaver = cluster.start_room(4)
    before_leave = now_us()  # all processes share this wall clock, so ts_us are comparable
    leaver.leave()
    for other in others:
        left = other.wait_event("member-left", peer__id=leaver.id)
        assert left["reason"] == "left"
        assert left["ts_us"] - before_leave < 1_000_000, f"{other.name} saw it late"
    assert leaver.wait_exit() == 0


WAYS_TO_LEAVE = {
    "slash-quit": lambda node: node.send("/quit"),
    "eof-on-stdin": lambda node: node.close_stdin(),
    "sigterm": lambda node: node.signal(signal.SIGTERM),
    "sigint": lambda node: node.signal(signal.SIGINT),
}


@pytest.mark.parametrize("way", WAYS_TO_LEAVE)
def test_each_way_out_leaves_gracefully_and_exits_with_status_zero(cluster, way):
    *others, leaver = cluster.start_room(3)
    WAYS_TO_LEAVE[way](leaver)
    for other in others:
        assert other.wait_event("member-left", peer__id=leaver.id)["reason"] == "left"
    assert leaver.wait_exit() == 0


def test_an_unknown_command_reports_an_error_and_sends_nothing_to_the_room(cluster):
    sender, *others = cluster.start_room(3)
    since = sender.mark()
    sender.send("/frobnicate now")
    sender.wait_event("error", since=since)
    # A line sent after it is a barrier: once it has arrived, the command would have too.
    sender.send("after the unknown command")
    for other in others:
        other.wait_message("after the unknown command", sender)
        texts = [m["text"] for m in other.received_messages() if m["from"]["id"] == sender.id]
        assert texts == ["after the unknown command"]
    # The sender's own echo may come after the others already have the line.
    sender.wait_message("after the unknown command", sender)
    assert [m["text"] for m in sender.own_messages()] == ["after the unknown command"]


def test_an_overlong_input_line_is_refused_in_one_line_and_the_node_goes_on(cluster):
    sender, other = cluster.start_room(2)
    since = sender.mark()
    sender.send("x" * 1_000_000)  # far over the 64 KiB line bound: read, skipped, refused
    error = sender.wait_event("error", since=since)
    assert "longer than" in error["message"] and "\n" not in error["message"]
    sender.send("after the long line")
    other.wait_message("after the long line", sender)
    assert sender.running()
    assert [m["text"] for m in other.received_messages() if m["from"]["id"] == sender.id] == [
        "after the long line"]


def test_a_line_over_max_text_bytes_is_refused_and_one_at_the_bound_is_delivered(cluster):
    sender, other = cluster.start_room(2, extra_args=("--max-text-bytes", "1024"))
    since = sender.mark()
    sender.send("y" * 1025)
    error = sender.wait_event("error", since=since)
    assert "too long" in error["message"] and "1024" in error["message"]
    sender.send("z" * 1024)
    other.wait_message("z" * 1024, sender)
    assert [m["text"] for m in other.received_messages() if m["from"]["id"] == sender.id] == ["z" * 1024]
