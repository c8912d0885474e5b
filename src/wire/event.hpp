// Signed events: the author signs the serialized EventBody; the event id is its content hash.
// Pure functions; no state.
#pragma once

#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/ids.hpp"
#include "proto/peerchat.pb.h"

namespace peerchat {
class identity;
}

namespace peerchat::wire {

// An event whose signature has been checked, with its fields lifted into strong types.
struct verified_event {
  event_id id;
  peer_id author;
  seq_no seq;
  lamport_time lamport;
  pb::EventBody body;
  pb::SignedEvent signed_event;  // as received, to forward unchanged
};

// Serializes and signs `body` (whose author must be `signer`'s id).
pb::SignedEvent sign_event(const pb::EventBody& body, const identity& signer);

// Id of an event: the content hash of its signed body bytes.
event_id id_of(const pb::SignedEvent& event);

// Decodes and checks an event from the network: a 64-byte signature, well-formed body, 32-byte
// author, seq >= 1, a known kind, text within `max_text_bytes` (event_malformed otherwise), and
// a valid signature by the author (bad_signature otherwise).
std::optional<verified_event> verify_event(pb::SignedEvent event, std::size_t max_text_bytes,
                                           std::error_code& ec);

// The author and seq a serialized EventBody names, read without decoding the rest (no
// allocation): enough to recognise a copy already held before paying for a full decode.
// Agrees with a full parse whenever that succeeds with a valid author; nullopt when the
// bytes are not a protobuf message or name no valid author.
struct event_header {
  peer_id author;
  seq_no seq;
};
std::optional<event_header> peek_header(std::string_view body);

// Checks a catch-up batch as DESIGN.md says: an event whose successor in the batch (same author,
// next seq) names it by hash as prev_hash is covered by that successor's check, so a run of an
// author's events costs one signature verification, for its newest event, plus a hash each.
// Events not so covered are verified on their own signature. Returns the events that pass, in
// batch order; `rejected` counts the others. Takes the events (move them in: catch-up's hot path).
std::vector<verified_event> verify_batch(std::vector<pb::SignedEvent> events,
                                         std::size_t max_text_bytes, std::size_t& rejected);

}  // namespace peerchat::wire
