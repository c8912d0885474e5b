"""The interactive terminal, on a real pseudo-terminal: what other members send is shown, never
obeyed. A member's message full of escape sequences must not clear our screen, set our window
title or forge a line of ours."""

import os
import pty
import select
import subprocess
import time

import pytest

from peerchat_harness import TIMEOUT, peerchat_bin


class TerminalNode:
    """A peerchat process whose stdin and stdout are a pty, as when a person runs it."""

    def __init__(self, name, data_dir, join):
        master, slave = pty.openpty()
        self.master = master
        self.output = b""
        self.proc = subprocess.Popen(
            [peerchat_bin(), "--name", name, "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
             "--join", join],
            stdin=slave, stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)

    def read_until(self, needle, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while needle not in self.output:
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


@pytest.fixture
def mallory_and_bob(cluster, tmp_path):
    mallory = cluster.spawn("mallory")
    bob = TerminalNode("bob", tmp_path / "bob", mallory.listen)
    try:
        # The member list that admits bob marks where its history ends; a line mallory sends
        # before that is history (fetched, not shown), so wait for the catch-up's report.
        bob.read_until(b"* history:")
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
