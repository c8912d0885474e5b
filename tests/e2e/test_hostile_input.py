"""Hostile input: a bad link is refused, and the node and the room carry on."""

import random
import socket
import ssl
import subprocess

import pytest

from peerchat_harness import assert_everyone_hears_everyone, wait_closed

# The node's handshake timeout is 5 s; allow for a loaded machine.
CLOSE_TIMEOUT = 15.0


@pytest.fixture
def room(cluster):
    return cluster.start_room(3)


def connect(node):
    host, port = node.listen.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=CLOSE_TIMEOUT)


def assert_room_carries_on(room, tag):
    assert all(node.running() for node in room), "a member died"
    assert_everyone_hears_everyone(room, tag)


def test_random_bytes_are_refused_and_the_room_carries_on(room):
    target = room[1]
    with connect(target) as sock:
        sock.sendall(random.Random(1).randbytes(4096))
        assert wait_closed(sock, CLOSE_TIMEOUT), "the node kept a garbage link open"
    target.wait_stderr("TLS handshake failed")
    assert_room_carries_on(room, "after random bytes")


def test_a_silent_connection_is_closed_after_the_handshake_timeout(room):
    target = room[1]
    with connect(target) as sock:
        assert wait_closed(sock, CLOSE_TIMEOUT), "the node kept a silent link open"
    assert_room_carries_on(room, "after a silent connection")


def test_the_handshake_timeout_is_an_option(cluster):
    # Two nodes, 600 ms and 60 s: when the short one has closed its silent connection, the
    # long one still holds its own. An order, not a clock reading, so a loaded machine passes.
    short = cluster.spawn("short", extra_args=("--handshake-timeout-ms", "600"))
    long = cluster.spawn("long", extra_args=("--handshake-timeout-ms", "60000"))
    with connect(long) as held, connect(short) as dropped:
        assert wait_closed(dropped, CLOSE_TIMEOUT), "the 600 ms node kept a silent link open"
        held.setblocking(False)
        with pytest.raises(BlockingIOError):
            held.recv(1)  # nothing to read and not closed: the 60 s node still waits
    assert short.running() and long.running()


def test_a_node_of_another_room_is_refused_and_never_becomes_a_member(room, cluster):
    target = room[1]
    # It may give up before it is ready, so do not wait for its ready event.
    intruder = cluster.spawn("intruder", join=target, room="otherroom", wait_ready=False)
    target.wait_stderr("wrong room")
    room_ids = {node.id for node in room}
    for member in room:
        assert {p["id"] for p in member.nodes()} == room_ids
        assert all(e["peer"]["id"] in room_ids for e in member.events_of("member-joined"))
    if not intruder.running():
        assert intruder.wait_exit() != 0, "a refused join must not exit with success"
    assert_room_carries_on(room, "after the intruder")


@pytest.fixture
def client_cert(tmp_path):
    """A throwaway self-signed Ed25519 certificate, as any peer would present."""
    key, cert = tmp_path / "client.key", tmp_path / "client.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=x"],
                   check=True, capture_output=True)
    return cert, key


def tls_connect(node, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    # The node's certificate is self-signed; this client attacks it, it does not trust it.
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert, key)
    return ctx.wrap_socket(connect(node))


def test_an_oversize_frame_length_closes_the_link_and_the_room_carries_on(room, client_cert):
    target = room[1]
    with tls_connect(target, *client_cert) as tls:
        tls.sendall(b"\xff\xff\xff\xff")  # 4 GiB announced; the limit is 1 MiB
        assert wait_closed(tls, CLOSE_TIMEOUT), "the node kept an oversize-frame link open"
    target.wait_stderr("frame larger than the limit")
    assert_room_carries_on(room, "after an oversize frame")
