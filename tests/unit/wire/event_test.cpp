#include "wire/event.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "crypto/identity.hpp"

namespace peerchat::wire {
namespace {

constexpr std::size_t max_text = 64;

class event_test : public testing::Test {
protected:
  static void SetUpTestSuite() { crypto_init(); }

  pb::EventBody text_body(const std::string& text, std::uint64_t seq = 1) const {
    pb::EventBody b;
    b.set_author(std::string(alice_.id().as_string_view()));
    b.set_seq(seq);
    b.set_lamport(7);
    b.set_sent_us(1'700'000'000'000'000);
    b.mutable_text()->set_text(text);
    return b;
  }

  std::optional<verified_event> verify(const pb::SignedEvent& ev) {
    return verify_event(ev, max_text, ec_);
  }

  identity alice_ = identity::generate();
  identity mallory_ = identity::generate();
  std::error_code ec_;
};

TEST_F(event_test, sign_then_verify_succeeds_and_lifts_author_seq_lamport_and_id) {
  const auto signed_event = sign_event(text_body("hello", 3), alice_);
  const auto ev = verify(signed_event);
  ASSERT_TRUE(ev) << ec_.message();
  EXPECT_FALSE(ec_);
  EXPECT_EQ(ev->author, alice_.id());
  EXPECT_EQ(ev->seq, seq_no{3});
  EXPECT_EQ(ev->lamport, lamport_time{7});
  EXPECT_EQ(ev->id, id_of(signed_event));
  EXPECT_EQ(ev->body.text().text(), "hello");
  EXPECT_EQ(ev->signed_event.SerializeAsString(), signed_event.SerializeAsString());
}

TEST_F(event_test, verify_accepts_a_nick_event) {
  auto body = text_body("");
  body.mutable_nick()->set_old_name("alice");
  body.mutable_nick()->set_new_name("alicia");
  EXPECT_TRUE(verify(sign_event(body, alice_))) << ec_.message();
}

TEST_F(event_test, verify_accepts_a_leave_event) {
  auto body = text_body("");
  body.mutable_leave();
  EXPECT_TRUE(verify(sign_event(body, alice_))) << ec_.message();
}

TEST_F(event_test, verify_accepts_text_exactly_at_the_limit) {
  EXPECT_TRUE(verify(sign_event(text_body(std::string(max_text, 'a')), alice_)))
      << ec_.message();
}

TEST_F(event_test, verify_clears_a_previous_error) {
  ec_ = errc::protocol_violation;
  EXPECT_TRUE(verify(sign_event(text_body("hi"), alice_)));
  EXPECT_FALSE(ec_);
}

TEST_F(event_test, id_of_is_stable_for_the_same_event) {
  const auto ev = sign_event(text_body("hello"), alice_);
  EXPECT_EQ(id_of(ev), id_of(ev));
  EXPECT_EQ(id_of(ev), id_of(sign_event(text_body("hello"), alice_)));
}

TEST_F(event_test, id_of_differs_for_different_bodies) {
  EXPECT_NE(id_of(sign_event(text_body("hello"), alice_)),
            id_of(sign_event(text_body("hellp"), alice_)));
  EXPECT_NE(id_of(sign_event(text_body("hello", 1), alice_)),
            id_of(sign_event(text_body("hello", 2), alice_)));
}

TEST_F(event_test, id_of_depends_only_on_the_body_bytes) {
  auto ev = sign_event(text_body("hello"), alice_);
  const auto before = id_of(ev);
  ev.set_signature(std::string(64, '\0'));
  EXPECT_EQ(id_of(ev), before);
}

// --- forged events: well-formed, but the signature does not match --------------------------

TEST_F(event_test, altered_body_byte_is_a_bad_signature) {
  auto ev = sign_event(text_body("hello"), alice_);
  const auto pos = ev.body().find("hello");
  ASSERT_NE(pos, std::string::npos);
  (*ev.mutable_body())[pos] = 'j';
  EXPECT_FALSE(verify(ev));
  EXPECT_EQ(ec_, errc::bad_signature);
}

TEST_F(event_test, altered_signature_byte_is_a_bad_signature) {
  auto ev = sign_event(text_body("hello"), alice_);
  (*ev.mutable_signature())[10] ^= 0x01;
  EXPECT_FALSE(verify(ev));
  EXPECT_EQ(ec_, errc::bad_signature);
}

TEST_F(event_test, all_zero_signature_is_a_bad_signature) {
  auto ev = sign_event(text_body("hello"), alice_);
  ev.set_signature(std::string(64, '\0'));
  EXPECT_FALSE(verify(ev));
  EXPECT_EQ(ec_, errc::bad_signature);
}

TEST_F(event_test, signature_by_another_key_is_a_bad_signature) {
  EXPECT_FALSE(verify(sign_event(text_body("hello"), mallory_)));
  EXPECT_EQ(ec_, errc::bad_signature);
}

TEST_F(event_test, signature_from_another_event_is_a_bad_signature) {
  auto ev = sign_event(text_body("hello"), alice_);
  ev.set_signature(sign_event(text_body("other"), alice_).signature());
  EXPECT_FALSE(verify(ev));
  EXPECT_EQ(ec_, errc::bad_signature);
}

// --- malformed events: rejected before any signature check ----------------------------------

struct malformed_case {
  const char* name;
  // Turns a valid body (by alice) into a malformed one; the result is signed by alice.
  void (*spoil_body)(pb::EventBody&);
  // Then spoils the signed event itself, if set.
  void (*spoil_event)(pb::SignedEvent&);
};

void PrintTo(const malformed_case& c, std::ostream* os) { *os << c.name; }

class event_malformed_table : public testing::WithParamInterface<malformed_case>,
                              public event_test {};

TEST_P(event_malformed_table, is_event_malformed) {
  auto body = text_body("hello");
  if (GetParam().spoil_body) GetParam().spoil_body(body);
  auto ev = sign_event(body, alice_);
  if (GetParam().spoil_event) GetParam().spoil_event(ev);
  EXPECT_FALSE(verify(ev));
  EXPECT_EQ(ec_, errc::event_malformed) << ec_.message();
}

INSTANTIATE_TEST_SUITE_P(
    table, event_malformed_table,
    testing::Values(
        malformed_case{"empty_signature", nullptr,
                       [](pb::SignedEvent& e) { e.clear_signature(); }},
        malformed_case{"signature_63_bytes", nullptr,
                       [](pb::SignedEvent& e) { e.mutable_signature()->pop_back(); }},
        malformed_case{"signature_65_bytes", nullptr,
                       [](pb::SignedEvent& e) { e.mutable_signature()->push_back('\0'); }},
        malformed_case{"empty_body", nullptr, [](pb::SignedEvent& e) { e.clear_body(); }},
        malformed_case{"body_not_protobuf", nullptr,
                       [](pb::SignedEvent& e) { e.set_body(std::string(8, '\xff')); }},
        malformed_case{"seq_zero", [](pb::EventBody& b) { b.set_seq(0); }, nullptr},
        malformed_case{"missing_kind", [](pb::EventBody& b) { b.clear_kind(); }, nullptr},
        malformed_case{"author_missing", [](pb::EventBody& b) { b.clear_author(); }, nullptr},
        malformed_case{"author_31_bytes",
                       [](pb::EventBody& b) { b.mutable_author()->pop_back(); }, nullptr},
        malformed_case{"author_33_bytes",
                       [](pb::EventBody& b) { b.mutable_author()->push_back('\0'); }, nullptr},
        malformed_case{"text_over_the_limit",
                       [](pb::EventBody& b) {
                         b.mutable_text()->set_text(std::string(max_text + 1, 'a'));
                       },
                       nullptr},
        malformed_case{"new_nick_over_the_limit",
                       [](pb::EventBody& b) {
                         b.mutable_nick()->set_new_name(std::string(max_text + 1, 'a'));
                       },
                       nullptr},
        malformed_case{"old_nick_over_the_limit",
                       [](pb::EventBody& b) {
                         b.mutable_nick()->set_old_name(std::string(max_text + 1, 'a'));
                         b.mutable_nick()->set_new_name("x");
                       },
                       nullptr}),
    [](const auto& p) { return std::string(p.param.name); });

TEST_F(event_test, peek_header_reads_author_and_seq_as_a_full_parse_does) {
  const std::string bytes = text_body("hello", 42).SerializeAsString();
  const auto header = peek_header(bytes);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->author, alice_.id());
  EXPECT_EQ(header->seq, seq_no{42});
}

TEST_F(event_test, peek_header_takes_the_last_occurrence_of_a_field_like_protobuf) {
  // Concatenated messages merge, later scalars and bytes winning: mallory's author and seq 9.
  auto later = text_body("x", 9);
  later.set_author(std::string(mallory_.id().as_string_view()));
  const std::string bytes = text_body("hello", 3).SerializeAsString() + later.SerializeAsString();
  pb::EventBody parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  const auto header = peek_header(bytes);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->author.as_string_view(), parsed.author());
  EXPECT_EQ(header->author, mallory_.id());
  EXPECT_EQ(header->seq.value, parsed.seq());
}

TEST_F(event_test, peek_header_refuses_truncated_bytes_and_a_wrong_sized_author) {
  const std::string bytes = text_body("hello").SerializeAsString();
  EXPECT_FALSE(peek_header(bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(peek_header(std::string(8, '\xff')));
  auto short_author = text_body("hello");
  short_author.mutable_author()->pop_back();
  EXPECT_FALSE(peek_header(short_author.SerializeAsString()));
  EXPECT_FALSE(peek_header(""));
}

// A chain of alice's events 1..n, each naming its predecessor's id as prev_hash.
std::vector<pb::SignedEvent> chain_of(const identity& author, std::uint64_t n) {
  std::vector<pb::SignedEvent> out;
  std::string prev;
  for (std::uint64_t seq = 1; seq <= n; ++seq) {
    pb::EventBody b;
    b.set_author(std::string(author.id().as_string_view()));
    b.set_seq(seq);
    b.set_lamport(seq);
    b.set_prev_hash(prev);
    b.mutable_text()->set_text("line " + std::to_string(seq));
    out.push_back(sign_event(b, author));
    const auto id = id_of(out.back());
    prev.assign(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size());
  }
  return out;
}

TEST_F(event_test, a_batch_is_vouched_for_by_its_hash_chain_and_its_newest_signature) {
  auto batch = chain_of(alice_, 5);
  // Spoil the signatures of all but the newest: the chain alone carries them.
  for (std::size_t i = 0; i + 1 < batch.size(); ++i) batch[i].set_signature(std::string(64, 'x'));
  std::size_t rejected = 9;
  const auto ok = verify_batch(batch, max_text, rejected);
  EXPECT_EQ(rejected, 0u);
  ASSERT_EQ(ok.size(), 5u);
  for (std::size_t i = 0; i < ok.size(); ++i) EXPECT_EQ(ok[i].seq, seq_no{i + 1});
}

TEST_F(event_test, a_tampered_event_in_a_batch_is_rejected_and_the_rest_kept) {
  auto batch = chain_of(alice_, 5);
  pb::EventBody body;
  ASSERT_TRUE(body.ParseFromString(batch[2].body()));
  body.mutable_text()->set_text("forged");
  batch[2].set_body(body.SerializeAsString());  // seq 3: its signature no longer matches
  std::size_t rejected = 0;
  const auto ok = verify_batch(batch, max_text, rejected);
  EXPECT_EQ(rejected, 1u);
  ASSERT_EQ(ok.size(), 4u);
  for (const auto& ev : ok) EXPECT_NE(ev.body.text().text(), "forged");
}

TEST_F(event_test, a_batch_whose_newest_signature_is_bad_loses_that_event_and_checks_the_rest_alone) {
  auto batch = chain_of(alice_, 3);
  batch[2].set_signature(std::string(64, 'x'));
  batch[1].set_signature(std::string(64, 'x'));  // no longer vouched for: checked alone, fails
  std::size_t rejected = 0;
  const auto ok = verify_batch(batch, max_text, rejected);
  EXPECT_EQ(rejected, 2u);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].seq, seq_no{1}) << "its own signature is good";
}

TEST_F(event_test, another_authors_event_cannot_borrow_a_chain) {
  auto batch = chain_of(alice_, 2);
  auto mallory_batch = chain_of(mallory_, 1);
  // Mallory's event placed before alice's seq 2 is not what alice's prev_hash names.
  batch.insert(batch.begin() + 1, mallory_batch[0]);
  batch[0].set_signature(std::string(64, 'x'));
  std::size_t rejected = 0;
  const auto ok = verify_batch(batch, max_text, rejected);
  EXPECT_EQ(rejected, 1u) << "alice's seq 1 is no longer next to its successor";
  EXPECT_EQ(ok.size(), 2u);
}

}  // namespace
}  // namespace peerchat::wire
