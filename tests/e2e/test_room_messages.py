"""Room messages: every member receives every other member's lines, once each, in order."""

from collections import Counter

from peerchat_harness import TIMEOUT

NODES = 5
PER_NODE = 20


def test_every_node_receives_every_message_of_the_others_exactly_once_in_send_order(cluster):
    room = cluster.start_room(NODES)
    sent = {node.id: [f"{node.name} line {i:02d}" for i in range(PER_NODE)] for node in room}
    for node in room:
        for text in sent[node.id]:
            node.send(text)

    expected = (NODES - 1) * PER_NODE
    for node in room:
        node.wait_until(lambda _: len(node.received_messages()) >= expected, 2 * TIMEOUT,
                        what=f"{expected} messages from the others")

    # What each author's own echo says it sent: ids and seqs the others must have received.
    # An echo may be read after the others already have the line, so wait for it too.
    for node in room:
        node.wait_until(lambda _: len(node.own_messages()) >= len(sent[node.id]), TIMEOUT,
                        what="the node's own echoes")
    authored = {node.id: node.own_messages() for node in room}
    for node in room:
        assert [m["text"] for m in authored[node.id]] == sent[node.id]

    for receiver in room:
        got = receiver.received_messages()
        ids = Counter(m["id"] for m in got)
        assert [i for i, n in ids.items() if n > 1] == [], f"{receiver.name}: duplicate ids"
        keys = Counter((m["from"]["id"], m["seq"]) for m in got)
        assert [k for k, n in keys.items() if n > 1] == [], f"{receiver.name}: duplicate seqs"
        assert len(got) == expected
        for author in room:
            if author is receiver:
                continue
            from_author = [m for m in got if m["from"]["id"] == author.id]
            seqs = [m["seq"] for m in from_author]
            assert seqs == sorted(seqs), f"{receiver.name} shows {author.name} out of order"
            assert [m["text"] for m in from_author] == sent[author.id]
            assert ({m["id"] for m in from_author}
                    == {m["id"] for m in authored[author.id]})
