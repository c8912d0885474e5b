// Seeds for the pure cores' targets. Each is a short sequence of operations in the format its
// harness reads (see the switch in each *_fuzz.cpp): an opcode byte, then its arguments.
#include <initializer_list>
#include <string>
#include <string_view>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/make_corpus.hpp"

namespace peerchat::fuzz {
namespace {

// Opcodes as the harnesses number them.
namespace member_table_op { constexpr std::uint8_t merge = 0, update_self = 1, set_self_state = 2, rename = 3; }
namespace detector_op { constexpr std::uint8_t merge = 0, tick = 1, ack = 2, probe_now = 3, suspected = 4, cleared = 5; }
namespace delivery_op { constexpr std::uint8_t offer = 0, offer_far = 1, expire = 2, baseline = 3; }
namespace tree_op {
constexpr std::uint8_t up = 0, down = 1, broadcast = 2, duplicate = 3, prune = 4, ihave = 5, graft = 6,
                       graft_author = 7, optimize = 8, tick = 9;
}

enum state : std::uint8_t { alive, suspect, failed, left };

void merge(input_writer& w, std::uint8_t peer, state s, std::uint64_t incarnation) {
  w.byte(member_table_op::merge).byte(peer).byte(s).u64(incarnation).bytes("name").bytes("127.0.0.1:7001").u16(peer);
}

void member_table_seeds() {
  input_writer joins;
  for (std::uint8_t p = 1; p <= 7; ++p) merge(joins, p, alive, 1);
  write_seed("member_table", "table-fills-up", joins.data());
  input_writer lifecycle;
  merge(lifecycle, 1, alive, 1);
  merge(lifecycle, 1, suspect, 1);
  merge(lifecycle, 1, alive, 2);
  merge(lifecycle, 1, failed, 2);
  merge(lifecycle, 1, left, 3);
  lifecycle.byte(member_table_op::rename).byte(1).bytes("renamed");
  write_seed("member_table", "suspect-refute-fail-leave", lifecycle.data());
  input_writer self;
  merge(self, 0, suspect, 5);
  self.byte(member_table_op::update_self).bytes("me").bytes("127.0.0.1:7000");
  self.byte(member_table_op::set_self_state).byte(left);
  merge(self, 0, failed, 50);
  write_seed("member_table", "rumours-about-self", self.data());
}

void failure_detector_seeds() {
  input_writer w;
  for (std::uint8_t p = 1; p <= 4; ++p) w.byte(detector_op::merge).byte(p).u16(1).byte(alive);
  for (std::uint8_t peer = 1; peer <= 4; ++peer) w.byte(detector_op::tick).byte(0).u16(500).byte(detector_op::ack).byte(peer).byte(1);
  write_seed("failure_detector", "probes-answered", w.data());
  input_writer silent;
  for (std::uint8_t p = 1; p <= 4; ++p) silent.byte(detector_op::merge).byte(p).u16(1).byte(alive);
  for (int i = 0; i < 8; ++i) silent.byte(detector_op::tick).byte(0).u16(250);
  silent.byte(detector_op::suspected).byte(2).u16(1).u16(5).byte(detector_op::probe_now).byte(3);
  silent.byte(detector_op::tick).byte(0).u16(2000).byte(detector_op::cleared).byte(2);
  write_seed("failure_detector", "probes-unanswered", silent.data());
}

void fifo_delivery_seeds() {
  input_writer w;
  for (const std::uint8_t seq : std::initializer_list<std::uint8_t>{1, 3, 2, 5, 4})
    w.byte(delivery_op::offer).byte(1).byte(seq);
  write_seed("fifo_delivery", "reordered", w.data());
  input_writer gap;
  gap.byte(delivery_op::baseline).byte(2).u16(10);
  for (const std::uint8_t seq : std::initializer_list<std::uint8_t>{11, 14, 15})
    gap.byte(delivery_op::offer).byte(2).byte(seq);
  gap.byte(delivery_op::expire).byte(0).u16(2500).byte(delivery_op::offer).byte(2).byte(12);
  gap.byte(delivery_op::offer_far).byte(2).u64(1000);
  write_seed("fifo_delivery", "gap-given-up-then-late", gap.data());
}

void plumtree_seeds() {
  input_writer w;
  for (std::uint8_t p = 1; p <= 4; ++p) w.byte(tree_op::up).byte(p);
  w.byte(tree_op::broadcast).byte(0).byte(1).byte(0);             // our own event
  w.byte(tree_op::broadcast).byte(1).byte(1).byte(1).byte(1);      // first copy, from 1
  w.byte(tree_op::duplicate).byte(2).byte(1).byte(tree_op::prune).byte(3).byte(1);
  w.byte(tree_op::broadcast).byte(1).byte(2).byte(1).byte(1).byte(tree_op::tick).u16(300);
  w.byte(tree_op::ihave).byte(3).byte(2).byte(2).byte(1).byte(2).byte(2).byte(tree_op::tick).u16(3000);
  w.byte(tree_op::graft).byte(4).byte(1).byte(1).byte(2).byte(tree_op::graft_author).byte(3).byte(1);
  w.byte(tree_op::optimize).byte(3).byte(1).byte(1).byte(tree_op::down).byte(1).byte(tree_op::tick).u16(3000);
  write_seed("plumtree", "push-prune-ihave-graft", w.data());
}

namespace catch_up_op { constexpr std::uint8_t want = 0, received = 1, next_want = 2, answered = 3, source_lost = 4; }

namespace transfers_op {
constexpr std::uint8_t offer = 0, get = 1, cancel = 2, request = 3, chunk = 4, hashes = 5, have = 6,
                       part_opened = 7, written = 8, read = 9, finished = 10, tick = 11;
}

// An offer from member 1, fetched: hashes that do not match, a bitmap, chunks, disk answers.
void transfers_seeds() {
  input_writer w;
  w.byte(transfers_op::offer).byte(0).byte(1).byte(30).byte(1).byte('s').byte(1).byte('n').byte(1);
  w.byte(transfers_op::get).byte(0).byte(0).byte(28);
  w.byte(transfers_op::hashes).byte(0).byte(0).bytes(std::string(64, 'h'));
  w.byte(transfers_op::have).byte(1).byte(0).byte(1).bytes("").byte(1);
  w.byte(transfers_op::part_opened).byte(0).u16(12).byte(1).byte(0).byte(1);
  w.byte(transfers_op::chunk).byte(0).byte(0).byte(0).byte(0);
  w.byte(transfers_op::written).byte(0).byte(0);
  w.byte(transfers_op::tick).byte(0).u16(500).byte(1).byte(0);
  write_seed("transfers", "offer-fetch-and-answers", w.data());
  input_writer serve;
  serve.byte(transfers_op::offer).byte(1).byte(1).byte(3).byte(1).byte('s').byte(1).byte('n').byte(1);
  serve.byte(transfers_op::request).byte(2).byte(0).byte(3).byte(0).byte(1).byte(2).byte(1).byte(1);
  serve.byte(transfers_op::read).byte(0).byte(1).byte(transfers_op::cancel).byte(0).byte(0);
  serve.byte(transfers_op::finished).byte(0).byte(0).byte(1);
  write_seed("transfers", "requests-for-unknown-and-known", serve.data());
}

void catch_up_seeds() {
  input_writer w;
  w.byte(catch_up_op::want).byte(1).byte(0).byte(20).byte(catch_up_op::want).byte(2).byte(5).byte(9);
  w.byte(catch_up_op::next_want).byte(0).byte(catch_up_op::next_want).byte(0);
  for (std::uint8_t seq = 1; seq <= 12; ++seq) w.byte(catch_up_op::received).byte(1).byte(seq);
  w.byte(catch_up_op::answered).byte(0).byte(catch_up_op::source_lost).byte(0).byte(catch_up_op::next_want).byte(0);
  w.byte(catch_up_op::received).byte(2).byte(6).byte(catch_up_op::answered).byte(0);
  write_seed("catch_up", "two-authors-in-two-wants", w.data());
}


// line_editor: reads, each a terminal width and the bytes one read(2) returned.
void line_editor_seeds() {
  const auto reads = [](std::initializer_list<std::string_view> parts) {
    input_writer w;
    for (const auto part : parts) w.byte(40).bytes(part);
    return w.data();
  };
  write_seed("line_editor", "typed-and-sent", reads({"hello", " there\r"}));
  write_seed("line_editor", "arrows-home-end-delete", reads({"h\xc3\xa9llo", "\x1b[H\x1b[C\x1b[3~", "\x1bOF!\x7f\r"}));
  write_seed("line_editor", "emacs-keys", reads({"one two three\x17\x01\x06\x0b\x05x\x02\x15\r"}));
  write_seed("line_editor", "history-walk", reads({"first\rsecond\rdraft", "\x1b[A\x1b[A\x1b[B\x10\x0e\r"}));
  write_seed("line_editor", "split-escape-and-utf8", reads({"ab\x1b", "[", "D\xe2\x82", "\xac\x1b[1;5D\x1b", "b\r"}));
  write_seed("line_editor", "long-line-scrolls", reads({std::string(300, 'x'), "\x1b[D\x1b[D\x01\x1b[1;5C", "\r"}));
  write_seed("line_editor", "paste-with-crlf", reads({"\x1b[200~a\r\nb\nc\x1b[201~\r"}));
}

}  // namespace

void write_core_seeds() {
  line_editor_seeds();
  catch_up_seeds();
  transfers_seeds();
  member_table_seeds();
  failure_detector_seeds();
  fifo_delivery_seeds();
  plumtree_seeds();
}

}  // namespace peerchat::fuzz
