"""Input from a pipe reaches the room: when stdin ends, the node finishes joining, sends what
it read, waits until each line has reached another member, then leaves and exits 0; or exits
7 with one line saying what was not delivered."""

import json
import subprocess

import pytest

from peerchat_harness import TIMEOUT, peerchat_bin

NOT_DELIVERED = 7


def ask_invite(node):
    since = node.mark()
    node.send("/invite")
    return node.wait_event("invite", since=since)["url"]


def pipe_into(tmp_path, name, text, *args):
    cmd = [peerchat_bin(), "--name", name, "--listen", "127.0.0.1:0",
           "--data-dir", str(tmp_path / name), *args]
    return subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=TIMEOUT * 3)


@pytest.mark.parametrize("mode", [["--json"], []], ids=["json", "plain"])
def test_piped_lines_reach_another_member_and_the_node_exits_zero(cluster, tmp_path, mode):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--closed"])
    done = pipe_into(tmp_path, "piper", "a\nb\n", *mode, "--join", ask_invite(founder))
    assert done.returncode == 0, done.stdout + done.stderr
    for text in ("a", "b"):
        message = founder.wait_event("message", text=text)
        assert message["from"]["name"] == "piper"
    founder.wait_event("member-left", peer__name="piper", reason="left")


def test_piped_lines_of_a_restarted_member_reach_the_room(cluster, tmp_path):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--closed"])
    url = ask_invite(founder)
    assert pipe_into(tmp_path, "piper", "first\n", "--join", url).returncode == 0
    founder.wait_event("message", text="first")
    # Restarted with its data directory alone, it rejoins through the members it remembers.
    done = pipe_into(tmp_path, "piper", "second\n")
    assert done.returncode == 0, done.stdout + done.stderr
    founder.wait_event("message", text="second")


def test_lines_nobody_receives_exit_7_with_one_line_saying_so(tmp_path):
    done = pipe_into(tmp_path, "alone", "into the void\n", "--json", "--delivery-timeout", "2")
    assert done.returncode == NOT_DELIVERED, done.stdout + done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    errors = [e for e in events if e["event"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == NOT_DELIVERED, events
    assert "reached no other member" in errors[0]["message"]


def test_a_founder_whose_input_is_empty_leaves_at_once_with_zero(tmp_path):
    done = pipe_into(tmp_path, "quiet", "", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert [json.loads(line)["event"] for line in done.stdout.splitlines()][0] == "ready"
