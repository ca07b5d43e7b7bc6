// libFuzzer: arbitrary bytes as a log file, recovered in every mode, and
// read by the reader with and without skipping. Checks, beyond "no crash":
// a successful recovery leaves a file that reads back clean from end to end,
// whose records are exactly the recovered log, and storage equals its replay.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/engine.h"
#include "core/log_reader.h"
#include "core/simulator.h"

using unbundled::Engine;
using unbundled::RecoveryMode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (bool skip : {false, true}) {
    unbundled::log::Reader reader(bytes, [](const unbundled::log::Problem&) {}, skip);
    unbundled::log::Record r;
    while (reader.ReadRecord(&r)) {
    }
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
    unbundled::Storage replay;
    unbundled::log::Reader again(engine.wal().file().bytes(),
                                 [&problems](const unbundled::log::Problem&) { ++problems; }, false);
    unbundled::log::Record r;
    while (again.ReadRecord(&r)) {
      ++records;
      replay.Apply(r.entry);
    }
    if (problems != 0) __builtin_trap();
    if (records != engine.wal().records().size() || records != result.replayed) __builtin_trap();
    if (replay.rows() != engine.storage().rows()) __builtin_trap();
    if (engine.wal().head() != result.recovered) __builtin_trap();
  }
  // The simulator's views of a recovered log must not fail either.
  unbundled::Simulator sim;
  sim.OpenLog(bytes);
  sim.Apply(unbundled::Json{{"op", "recover"}, {"recovery", "skip"}});
  sim.StateJson();
  for (const auto& r : sim.engine().wal().records()) sim.Record(r.lsn);
  return 0;
}
