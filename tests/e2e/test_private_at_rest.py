"""The data directory is its owner's alone: created 0700, every file in it 0600, and an
existing one tightened on start with one line saying so."""

import os
import stat
import subprocess

from peerchat_harness import TIMEOUT, peerchat_bin, wait_all_know


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def modes_under(directory):
    out = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            out[os.path.relpath(path, directory)] = mode(path)
    return out


def test_a_new_data_directory_is_0700_and_its_files_0600(tmp_path):
    data = tmp_path / "fresh" / "data"
    done = subprocess.run([peerchat_bin(), "--json", "--listen", "127.0.0.1:0", "--data-dir", str(data)],
                          input="", capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert mode(data) == 0o700
    files = modes_under(data)
    assert "history.db" in files and "identity.key" in files
    assert {name: m for name, m in files.items() if m & 0o077} == {}, files


def test_a_private_message_at_rest_is_readable_by_its_owner_only(cluster):
    alice = cluster.spawn("alice")
    bob = cluster.spawn("bob", join=alice)
    wait_all_know([alice, bob])
    alice.send(f"/msg {bob.id[:8]} a secret for bob")
    bob.wait_event("direct", text="a secret for bob")
    for node in (alice, bob):
        assert mode(node.data_dir) == 0o700
        files = modes_under(node.data_dir)
        assert "history.db-wal" in files, files  # SQLite's WAL, where the line is first written
        assert {name: m for name, m in files.items() if m & 0o077} == {}, files


def test_an_existing_open_data_directory_is_tightened_on_start_with_one_line(cluster):
    node = cluster.spawn("n")
    node.leave()
    assert node.wait_exit() == 0
    os.chmod(node.data_dir, 0o755)
    os.chmod(node.data_dir / "history.db", 0o644)
    again = cluster.respawn(node)
    assert mode(again.data_dir) == 0o700
    assert mode(again.data_dir / "history.db") == 0o600
    lines = [line for line in again.stderr_text().splitlines() if "readable by others" in line]
    assert len(lines) == 1, again.stderr_text()
