// libFuzzer: arbitrary text as a step, applied to a small running system
// (consumers of every kind, some writes, a crashed consumer, a checkpoint and
// a compaction). A step the
// engine refuses must change nothing at all; no input may crash it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/simulator.h"

namespace {

void SetUp(unbundled::Simulator* sim) {
  for (const char* step : {
           R"({"op":"add_consumer","consumer":{"name":"i","type":"secondary_index","fields":["city","team"]}})",
           R"({"op":"add_consumer","consumer":{"name":"v","type":"materialized_view","group_by":"city","sum":"age","list":true,"offsets":"separate","commit_every":2}})",
           R"({"op":"add_consumer","consumer":{"name":"t","type":"full_text"}})",
           R"({"op":"put","key":"u1","value":{"city":"London","age":36,"team":"a"}})",
           R"({"op":"configure","commit":"async"})",
           R"({"op":"put","key":"u2","value":{"city":"Paris","age":41,"team":"b"}})",
           R"({"op":"sync"})",
           R"({"op":"flush"})",
           R"({"op":"crash_consumer","consumer":"v"})",
           R"({"op":"put","key":"u3","value":{"city":"Oslo","bio":"log stream"}})",
           R"({"op":"put","key":"u1","value":{"city":"Oslo","age":37,"team":"a"}})",
           R"({"op":"delete","key":"u2"})",
           R"({"op":"sync"})",
           R"({"op":"checkpoint"})",
           R"({"op":"compact","upto":3})",
           R"({"op":"add_consumer","consumer":{"name":"w","type":"materialized_view","group_by":"city","apply":"upsert"},"mode":"replay"})",
       }) {
    sim->Apply(std::string(step));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  unbundled::Simulator sim;
  SetUp(&sim);
  const std::string before = sim.StateJson();
  const std::string result = sim.Apply(std::string(reinterpret_cast<const char*>(data), size));
  if (result.find("\"ok\":false") != std::string::npos && sim.StateJson() != before) __builtin_trap();
  // Whatever happened, the system can go on: recover if it went down, flush.
  sim.Apply(std::string(R"({"op":"recover"})"));
  sim.Apply(std::string(R"({"op":"flush"})"));
  sim.StateJson();
  return 0;
}
