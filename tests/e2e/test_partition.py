"""Two halves of a room on two network namespaces joined by a veth pair: the link goes down,
each half chats on its own, the link comes back, and every node ends with the same history.
Needs root (or CAP_NET_ADMIN) for `ip netns`; skips with a clear message otherwise."""

import os
import subprocess
import time

import pytest

from peerchat_harness import TIMEOUT, Node, wait_all_know

SUBNET = "10.77.{}.{}"


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@pytest.fixture
def two_hosts():
    """Namespaces left and right, 10.77.0.1 and 10.77.0.2, joined by a veth pair."""
    tag = f"pc{os.getpid() % 100000}"
    left, right = f"{tag}l", f"{tag}r"
    try:
        ip("netns", "add", left)
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"cannot create network namespaces here (needs root): {e}")
    try:
        ip("netns", "add", right)
        ip("link", "add", f"{tag}a", "type", "veth", "peer", "name", f"{tag}b")
        ip("link", "set", f"{tag}a", "netns", left)
        ip("link", "set", f"{tag}b", "netns", right)
        for ns, dev, host in ((left, f"{tag}a", 1), (right, f"{tag}b", 2)):
            ip("-n", ns, "addr", "add", f"{SUBNET.format(0, host)}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        yield {"left": (left, f"{tag}a", SUBNET.format(0, 1)),
               "right": (right, f"{tag}b", SUBNET.format(0, 2))}
    finally:
        ip("netns", "del", left, check=False)
        ip("netns", "del", right, check=False)


def test_two_halves_that_chatted_apart_converge_to_the_same_history(cluster, two_hosts):
    def spawn(name, side, join=None):
        ns, _, addr = two_hosts[side]
        node = Node(name, cluster.tmp_path / name, join=join.listen if join else None,
                    listen=f"{addr}:0", prefix=("ip", "netns", "exec", ns))
        cluster.nodes.append(node)
        return node

    a1 = spawn("a1", "left")
    a2 = spawn("a2", "left", a1)
    b1 = spawn("b1", "right", a1)
    b2 = spawn("b2", "right", b1)
    room = [a1, a2, b1, b2]
    wait_all_know(room)

    left_ns, left_dev, _ = two_hosts["left"]
    ip("-n", left_ns, "link", "set", left_dev, "down")
    for node, other_side in ((a1, (b1, b2)), (b1, (a1, a2))):
        for gone in other_side:
            node.wait_event("member-left", peer__id=gone.id)

    apart = {node.id: [f"{node.name} apart {i}" for i in range(5)] for node in room}
    for node in room:
        for line in apart[node.id]:
            node.send(line)
    for half in ((a1, a2), (b1, b2)):
        for receiver in half:
            for author in half:
                for line in apart[author.id]:
                    receiver.wait_message(line, author)

    print(f"\nhalves apart and chatting at {time.monotonic():.1f}")
    ip("-n", left_ns, "link", "set", left_dev, "up")
    # Rejoining a member held as failed is tried every 10 s; then anti-entropy fills the rest.
    wait_all_know(room, timeout=TIMEOUT * 2)
    deadline = time.monotonic() + TIMEOUT
    while True:
        histories = {node.name: sorted(e["id"] for e in node.history()) for node in room}
        if all(len(h) == 20 for h in histories.values()) and len({tuple(h) for h in histories.values()}) == 1:
            break
        assert time.monotonic() < deadline, f"histories differ: { {k: len(v) for k, v in histories.items()} }"
        time.sleep(0.5)  # polling interval between /history rounds
    print(f"converged at {time.monotonic():.1f}")
    texts = sorted(e["text"] for e in a1.history())
    assert texts == sorted(line for lines in apart.values() for line in lines)
    orders = {tuple(e["id"] for e in node.history()) for node in room}
    assert len(orders) == 1, "and in the same order everywhere"
