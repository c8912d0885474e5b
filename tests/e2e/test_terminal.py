"""The interactive terminal, on a real pseudo-terminal: what other members send is shown, never
obeyed. A member's message full of escape sequences must not clear our screen, set our window
title or forge a line of ours."""

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import pytest

from peerchat_harness import TIMEOUT, peerchat_bin


class TerminalNode:
    """A peerchat process whose stdin and stdout are a pty, as when a person runs it."""

    def __init__(self, name, data_dir, join, extra_args=(), stderr_on_pty=False):
        master, slave = pty.openpty()
        # The size the report used: a real terminal has one.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 35, 120, 0, 0))
        self.master = master
        self.output = b""
        self.proc = subprocess.Popen(
            [peerchat_bin(), "--name", name, "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
             *(["--join", join] if join else []), *extra_args],
            stdin=slave, stdout=slave, stderr=slave if stderr_on_pty else subprocess.DEVNULL)
        os.close(slave)

    def type(self, keys, chunk=512):
        """Keys as a person types or pastes them: in pieces, the output drained meanwhile."""
        for i in range(0, len(keys), chunk):
            os.write(self.master, keys[i:i + chunk])
            self.drain(0.01)

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return

    def read_until(self, needle, timeout=TIMEOUT, since=0):
        deadline = time.monotonic() + timeout
        while needle not in self.output[since:]:
            left = deadline - time.monotonic()
            assert left > 0, f"{needle!r} not shown; the terminal showed {self.output[-800:]!r}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the process closed the pty
                    pass

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)


def wait_joined(member, terminal):
    """Until the terminal's node is in the room: it says who it is, and the member saw it join."""
    terminal.read_until(b"* you are")
    member.wait_event("member-joined", peer__name="bob")


@pytest.fixture
def mallory_and_bob(cluster, tmp_path):
    mallory = cluster.spawn("mallory")
    bob = TerminalNode("bob", tmp_path / "bob", mallory.listen)
    try:
        wait_joined(mallory, bob)
        yield mallory, bob
    finally:
        bob.stop()


def test_escape_sequences_in_a_message_are_shown_not_obeyed(mallory_and_bob):
    mallory, bob = mallory_and_bob
    # Window title, clear screen, cursor up and erase line, then a bell.
    mallory.send("\x1b]0;pwned\x07hi \x1b[2J there\x1b[1A\x1b[K\x07 end")
    bob.read_until(b" end")
    line = bob.output[bob.output.rindex(b"mallory["):]
    assert b"^[]0;pwned^Ghi ^[[2J there^[[1A^[[K^G end" in line
    for obeyed in (b"\x1b]0;", b"\x1b[2J", b"\x1b[1A", b"\x07"):
        assert obeyed not in bob.output, f"{obeyed!r} reached the terminal"


def test_a_line_over_the_limit_is_refused_and_stays_editable(mallory_and_bob):
    # 10,000 characters aborted the process inside libedit (heap corruption past 8 KiB).
    mallory, bob = mallory_and_bob
    mark = len(bob.output)
    bob.type(b"x" * 10_000 + b"\r")
    bob.read_until(b"line too long: 10000 bytes, at most 4096", since=mark)
    assert bob.proc.poll() is None, "the terminal died on a long line"
    # The text is still there: cut it down to the limit and send it.
    bob.type(b"\x7f" * 5_904 + b"\r", chunk=256)
    mallory.wait_event("message", text="x" * 4096, from__name="bob")


def test_a_ten_thousand_character_line_is_sent_whole_under_a_higher_limit(cluster, tmp_path):
    mallory = cluster.spawn("mallory", extra_args=["--max-text-bytes", "20000"])
    bob = TerminalNode("bob", tmp_path / "bob", mallory.listen, extra_args=["--max-text-bytes", "20000"])
    try:
        wait_joined(mallory, bob)
        text = "".join(chr(ord("a") + i % 26) for i in range(10_000))
        bob.type(text.encode() + b"\r")
        mallory.wait_event("message", text=text, from__name="bob")
        assert bob.proc.poll() is None
    finally:
        bob.stop()


def test_editing_keys_change_the_line_before_it_is_sent(mallory_and_bob):
    mallory, bob = mallory_and_bob
    # Left twice, a word inserted, Home, Delete, End, Backspace; then history: Up resends.
    bob.type(b"hxllo wrld\x1b[D\x1b[D\x1b[Do\x1b[H\x1b[C\x1b[3~e\x1b[F!\x7f?\r")
    mallory.wait_event("message", text="hello world?", from__name="bob")
    bob.type(b"\x1b[A\x15again\r")
    mallory.wait_event("message", text="again", from__name="bob")
    bob.type(b"\x1b[A\x1b[A\r")
    mallory.wait_until(lambda events: len(mallory.events_of("message", text="hello world?")) == 2,
                       what="the line recalled with Up sent again")


def test_logs_go_to_a_private_file_not_over_the_chat(cluster, tmp_path):
    mallory = cluster.spawn("mallory")
    data_dir = tmp_path / "bob"
    # stderr on the terminal too, as when a person starts it; debug logs plenty.
    bob = TerminalNode("bob", data_dir, mallory.listen, extra_args=["--log-level", "debug"],
                       stderr_on_pty=True)
    try:
        wait_joined(mallory, bob)
        mallory.send("hello bob")
        bob.read_until(b"hello bob")
        # Killed: bob's node then logs its failed dials to it.
        mallory.kill()
        bob.read_until(b"mallory failed")
        deadline = time.monotonic() + TIMEOUT
        while b"failed" not in (data_dir / "peerchat.log").read_bytes():
            assert time.monotonic() < deadline, "nothing logged after a member died"
            bob.drain(0.2)
        bob.drain(1)
    finally:
        bob.stop()
    for level in (b" debug ", b" info ", b" warning "):
        assert level not in bob.output, f"a log line reached the chat: {bob.output[-600:]!r}"
    log = data_dir / "peerchat.log"
    assert log.stat().st_mode & 0o777 == 0o600
    assert b" debug " in log.read_bytes()


def test_a_newcomer_is_shown_the_rooms_last_lines_under_a_divider(cluster, tmp_path):
    mallory = cluster.spawn("mallory")
    for i in range(3):
        mallory.send(f"earlier {i}")
        mallory.wait_event("message", text=f"earlier {i}")
    bob = TerminalNode("bob", tmp_path / "bob", mallory.listen)
    try:
        bob.read_until(b"earlier 2")
        screen = bob.output
        divider = screen.index("— the room's last 3 lines before you joined —".encode())
        assert divider < screen.index(b"earlier 0") < screen.index(b"earlier 1") < screen.index(b"earlier 2")
        assert b"* history:" not in screen, "the lines are shown, not counted"
    finally:
        bob.stop()


def test_a_member_cut_off_from_everyone_is_told_in_the_chat_and_told_when_back(cluster, tmp_path):
    mallory = cluster.spawn("mallory")
    bob = TerminalNode("bob", tmp_path / "bob", mallory.listen)
    try:
        wait_joined(mallory, bob)
        bob_addr = re.search(rb"listening on (\S+)", bob.output).group(1).decode()
        mallory.kill()
        bob.read_until(b"! warning: no link to any member of the room now")
        mark = len(bob.output)
        cluster.respawn(mallory, join=bob_addr)
        bob.read_until(b"* linked to the room again", since=mark)
    finally:
        bob.stop()
