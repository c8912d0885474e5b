"""What a person notices at the terminal (issue 18, item 10), on a real pseudo-terminal:
/invite qr leaves a prompt, commands ignore case, /nodes marks us and counts in words, the
join hint names nobody in particular, a private message's status reads once, our own private
offer names both ends, and /cancel replaces the progress bar with one plain line."""

import re

from peerchat_harness import TIMEOUT
# mallory_and_bob is the fixture of test_terminal: a machine-mode member and bob on a pty.
from test_terminal import TerminalNode, mallory_and_bob, wait_joined  # noqa: F401


def test_invite_qr_leaves_the_prompt_drawn_under_the_code(mallory_and_bob):
    _, bob = mallory_and_bob
    mark = len(bob.output)
    bob.type(b"/invite qr\r")
    bob.read_until(b"peerchat://", since=mark)
    bob.drain(1.0)
    shown = bob.output[mark:]
    assert shown.count(b"\n") > 20, "a QR code is many rows"
    last_row = shown[shown.rindex(b"\n") + 1:]
    assert b"> " in last_row, f"no prompt under the QR code: {shown[-300:]!r}"


def test_commands_ignore_case(mallory_and_bob):
    mallory, bob = mallory_and_bob
    mark = len(bob.output)
    bob.type(b"/WHO\r")
    bob.read_until(b"2 members:", since=mark)
    bob.type(b"/QUIT\r")
    assert bob.proc.wait(timeout=TIMEOUT) == 0
    mallory.wait_event("member-left", peer__name="bob")


def test_nodes_marks_us_and_says_one_member(cluster, tmp_path):
    alone = TerminalNode("solo", tmp_path / "solo", "")  # founds a room of its own
    try:
        alone.read_until(b"type /help")
        mark = len(alone.output)
        alone.type(b"/nodes\r")
        alone.read_until(b"* 1 member:", since=mark)
        alone.read_until(b"(you)", since=mark)
    finally:
        alone.stop()


def test_the_join_hint_names_nobody_in_particular(cluster, tmp_path):
    bob = TerminalNode("bob", tmp_path / "bob", "")
    try:
        bob.read_until(b"others join with:")
        bob.read_until(b"--join")
        assert b"--name bob" not in bob.output
        assert b"--name their-name --join" in bob.output
    finally:
        bob.stop()


def test_a_pending_private_message_says_so_once(mallory_and_bob):
    mallory, bob = mallory_and_bob
    mallory.kill()
    mark = len(bob.output)
    bob.type(b"/msg mallory are you there\r")
    bob.read_until(b"kept and retried", timeout=TIMEOUT, since=mark)
    shown = bob.output[mark:]
    assert shown.count(b"not delivered yet") == 1, shown


def test_our_own_private_offer_names_sender_and_recipient(mallory_and_bob, tmp_path):
    mallory, bob = mallory_and_bob
    path = tmp_path / "notes.txt"
    path.write_bytes(b"for mallory only\n")
    mark = len(bob.output)
    bob.type(f"/send mallory {path}\r".encode())
    bob.read_until(b"file offered:", since=mark)
    bob.read_until(b"[shared]", since=mark)
    line = bob.output[bob.output.rindex(b"file offered:"):]
    assert re.search(rb"from bob\[[0-9a-f]{8}\] \(private, to mallory\[[0-9a-f]{8}\]\)", line), line


def test_cancel_says_cancelled_and_no_bar_follows(cluster, tmp_path):
    mallory = cluster.spawn("mallory")
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(1024 * 1024 * 1024)  # sparse: long enough to cancel mid-way
    bob = TerminalNode("bob", tmp_path / "bob", mallory.listen)
    try:
        wait_joined(mallory, bob)
        mallory.send(f"/send * {big}")
        offer = mallory.wait_event("file-offer")
        file_id = offer["file"]["id"][:8].encode()
        bob.read_until(b"/get " + file_id)
        bob.type(b"/get " + file_id + b"\r")
        bob.read_until(b"* file " + file_id + b" [")
        mark = len(bob.output)
        bob.type(b"/cancel " + file_id + b"\r")
        bob.read_until(b"* file " + file_id + b" cancelled: download stopped", since=mark)
        bob.drain(1.5)  # progress would be reported twice a second
        shown = bob.output[mark:]
        assert b"failed: cancelled" not in shown
        typed = shown.index(b"/cancel " + file_id)
        assert b"\x1b[1A" not in shown[typed:], "the line typed was drawn over"
        after = shown[shown.index(b" cancelled: download stopped"):]
        assert b"* file " + file_id + b" [" not in after, "a bar after the cancel"
    finally:
        bob.stop()
