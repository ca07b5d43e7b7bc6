// libFuzzer: arbitrary bytes as a log file, recovered in every mode, and
// read by the reader with and without skipping. Checks, beyond "no crash":
// a successful recovery leaves a file that reads back clean from end to end,
// whose records are exactly the recovered log, and storage equals its replay.
// Each input is checked as it is and again with its checksums made valid.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/engine.h"
#include "core/log_format.h"
#include "core/log_reader.h"
#include "core/simulator.h"

using unbundled::Engine;
using unbundled::RecoveryMode;

namespace {

// The input with every record's checksum made right, walking records by their
// length fields: random bytes almost never carry a valid CRC-32C, so without
// this the fuzzer would rarely get past the checksum into payload decoding,
// LSN order and replay.
std::string WithValidChecksums(std::string bytes) {
  namespace log = unbundled::log;
  std::size_t offset = 0;
  while (bytes.size() - offset >= log::kHeaderSize) {
    char* p = &bytes[offset];
    const std::uint32_t length = static_cast<std::uint8_t>(p[4]) | static_cast<std::uint8_t>(p[5]) << 8 |
                                 static_cast<std::uint8_t>(p[6]) << 16 |
                                 static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[7])) << 24;
    if (length > bytes.size() - offset - log::kHeaderSize) break;
    const std::uint32_t crc =
        unbundled::crc32c::Mask(unbundled::crc32c::Value(p + log::kTypeOffset, 1 + 8 + length));
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(crc >> (8 * i));
    offset += log::kHeaderSize + length;
  }
  return bytes;
}

void Check(const std::string& bytes) {
  for (bool skip : {false, true}) {
    // A reader that keeps values as text (the engine's replays) reads and
    // refuses exactly what a parsing one does.
    std::vector<std::size_t> problems[2];
    unbundled::log::Reader reader(bytes, [&](const unbundled::log::Problem& p) { problems[0].push_back(p.offset); }, skip);
    unbundled::log::Reader as_text(bytes, [&](const unbundled::log::Problem& p) { problems[1].push_back(p.offset); }, skip);
    as_text.KeepValuesAsText();
    unbundled::log::Record r, t;
    for (;;) {
      const bool more = reader.ReadRecord(&r);
      if (more != as_text.ReadRecord(&t)) __builtin_trap();
      if (!more) break;
      if (r.offset != t.offset || r.size != t.size || r.entry.lsn != t.entry.lsn || r.entry.op != t.entry.op ||
          r.entry.key != t.entry.key || r.entry.request_id != t.entry.request_id) {
        __builtin_trap();
      }
      if (!t.value_text.empty() &&
          (!t.entry.value.is_null() || unbundled::Document::parse(t.value_text) != r.entry.value)) {
        __builtin_trap();
      }
      if (t.value_text.empty() && t.entry.value != r.entry.value) __builtin_trap();
    }
    if (problems[0] != problems[1]) __builtin_trap();
  }
  for (RecoveryMode mode : {RecoveryMode::kPointInTime, RecoveryMode::kAbsolute, RecoveryMode::kSkip}) {
    Engine engine;
    engine.OpenLog(bytes);
    unbundled::RecoveryResult result;
    if (!engine.Recover(&mode, &result).ok()) {
      if (mode != RecoveryMode::kAbsolute) __builtin_trap();  // only absolute may refuse
      if (engine.wal().file().bytes() != bytes) __builtin_trap();  // and it changes nothing
      continue;
    }
    std::size_t problems = 0, records = 0;
    std::map<std::string, unbundled::Document> replay;
    unbundled::log::Reader again(engine.wal().file().bytes(),
                                 [&problems](const unbundled::log::Problem&) { ++problems; }, false);
    unbundled::log::Record r;
    while (again.ReadRecord(&r)) {
      ++records;
      if (r.entry.op == unbundled::LogOp::kPut) {
        replay[r.entry.key] = r.entry.value;
      } else {
        replay.erase(r.entry.key);
      }
    }
    if (problems != 0) __builtin_trap();
    if (records != engine.wal().records().size() || records != result.replayed) __builtin_trap();
    if (replay != engine.storage().Contents()) __builtin_trap();
    if (engine.wal().head() != result.recovered) __builtin_trap();
  }
  // The same through the simulator's steps, as the page drives it: after a
  // successful recover, State() reports a head equal to the last record's LSN,
  // records laid end to end from offset 0, and a file exactly their size.
  for (const char* mode : {"point_in_time", "absolute", "skip"}) {
    unbundled::Simulator sim;
    sim.OpenLog(bytes);
    const unbundled::Json result = sim.Apply(unbundled::Json{{"op", "recover"}, {"recovery", mode}});
    const unbundled::Json state = sim.State();
    if (!result.value("ok", false)) {
      if (std::string(mode) != "absolute") __builtin_trap();
      continue;
    }
    if (state["down"].get<bool>()) __builtin_trap();
    const unbundled::Json& wal = state["wal"];
    const std::uint64_t last = wal.empty() ? 0 : wal.back()["lsn"].get<std::uint64_t>();
    if (state["head"].get<std::uint64_t>() != last) __builtin_trap();
    if (result["recovered"].get<std::uint64_t>() != last) __builtin_trap();
    std::uint64_t offset = 0;
    for (const auto& e : wal) {
      if (e["offset"].get<std::uint64_t>() != offset) __builtin_trap();
      offset += e["size"].get<std::uint64_t>();
    }
    if (state["log"]["bytes"].get<std::uint64_t>() != offset) __builtin_trap();
    if (result["problems"].empty() && offset != bytes.size()) __builtin_trap();  // nothing cut
  }
  // The simulator's views of a recovered log must not fail either.
  unbundled::Simulator sim;
  sim.OpenLog(bytes);
  sim.Apply(unbundled::Json{{"op", "recover"}, {"recovery", "skip"}});
  sim.StateJson();
  for (const auto& r : sim.engine().wal().records()) sim.Record(r.lsn);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  Check(bytes);
  const std::string fixed = WithValidChecksums(bytes);
  if (fixed != bytes) Check(fixed);
  return 0;
}
