// The corpus generator's parts (make_corpus*.cpp): each writes the seeds of some targets.
#pragma once

#include <string>

namespace peerchat::fuzz {

// Writes one seed file, fuzz/corpus/<target>/<name> under the generator's output directory.
void write_seed(const std::string& target, const std::string& name, const std::string& bytes);

void write_room_seeds();   // make_corpus_room.cpp
void write_core_seeds();   // make_corpus_cores.cpp: member_table, failure_detector,
                           // fifo_delivery, plumtree

}  // namespace peerchat::fuzz
