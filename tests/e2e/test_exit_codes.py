"""Exit codes a script can use (README.md, "Exit codes"), and in machine mode every fatal
error as an `error {message, code}` line on stdout before the exit."""

import json
import socket
import subprocess

import pytest

from peerchat_harness import TIMEOUT, peerchat_bin

USAGE, CANNOT_JOIN, IN_USE, CANNOT_LISTEN, STORAGE = 2, 3, 4, 5, 6


def run(tmp_path, *args, stdin=""):
    """Runs peerchat to its end with stdin already closed; returns (status, stdout events, stderr)."""
    cmd = [peerchat_bin(), *args]
    if "--listen" not in args:
        cmd += ["--listen", "127.0.0.1:0"]
    if "--data-dir" not in args:
        cmd += ["--data-dir", str(tmp_path / "data")]
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=TIMEOUT * 2)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, events, done.stderr


def fatal_errors(events):
    return [e for e in events if e.get("event") == "error" and "code" in e]


def test_version_prints_the_version_and_exits_zero(tmp_path):
    done = subprocess.run([peerchat_bin(), "--version"], capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0
    assert done.stdout.startswith("peerchat ") and done.stdout.strip().split()[1][0].isdigit()


@pytest.mark.parametrize("args", [["--bogus"], ["--max-links", "0"], ["--listen"],
                                  ["--join", "hello"], ["--join", "peerchat://nohost/lobby#s"]])
def test_a_usage_error_exits_2_with_one_json_error_line(tmp_path, args):
    status, events, stderr = run(tmp_path, "--json", *args)
    assert status == USAGE, stderr
    errors = fatal_errors(events)
    assert len(errors) == 1 and errors[0]["code"] == USAGE, events
    assert [e for e in events if e.get("event") != "error"] == [], "nothing starts"
    assert len([line for line in stderr.splitlines() if line.strip()]) == 1, stderr


def test_join_with_neither_an_address_nor_an_invite_names_it(tmp_path):
    status, events, stderr = run(tmp_path, "--join", "hello")
    assert status == USAGE
    assert "hello" in stderr and "HOST:PORT" in stderr


def test_a_busy_port_exits_5(cluster, tmp_path):
    member = cluster.spawn("member")
    status, events, stderr = run(tmp_path, "--json", "--listen", member.listen)
    assert status == CANNOT_LISTEN, stderr
    errors = fatal_errors(events)
    assert errors and errors[-1]["code"] == CANNOT_LISTEN and member.listen in errors[-1]["message"]


def test_a_data_directory_in_use_exits_4(cluster, tmp_path):
    member = cluster.spawn("member")
    status, events, stderr = run(tmp_path, "--json", "--data-dir", str(member.data_dir))
    assert status == IN_USE, stderr
    errors = fatal_errors(events)
    assert len(errors) == 1 and errors[0]["code"] == IN_USE and "in use" in errors[0]["message"]


def test_a_database_that_is_not_ours_exits_6(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.db").write_bytes(b"not a database at all, just some bytes" * 100)
    status, events, stderr = run(tmp_path, "--json")
    assert status == STORAGE, stderr
    assert [e["code"] for e in fatal_errors(events)] == [STORAGE]


def test_a_wrong_secret_exits_3_with_stdin_already_closed(cluster, tmp_path):
    founder = cluster.spawn("founder", room="lobby", extra_args=["--secret", "right"])
    for json_flag in (["--json"], []):
        status, events, stderr = run(tmp_path, *json_flag, "--join", founder.listen, "--secret", "wrong",
                                     "--data-dir", str(tmp_path / f"data{len(json_flag)}"))
        assert status == CANNOT_JOIN, stderr
        errors = fatal_errors(events)
        assert errors and errors[-1]["code"] == CANNOT_JOIN and "wrong room secret" in errors[-1]["message"]


def test_nobody_reachable_exits_3_with_stdin_already_closed(tmp_path):
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        status, events, stderr = run(tmp_path, "--json", "--join", f"127.0.0.1:{port}")
    assert status == CANNOT_JOIN, stderr
    assert [e["code"] for e in fatal_errors(events)] == [CANNOT_JOIN]
