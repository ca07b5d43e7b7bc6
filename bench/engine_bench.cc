// Benchmarks of the engine's performance promises (README, "Benchmarks"):
//  1. a flush costs O(pending events), not O(history): flushing one new event
//     costs the same with 1,000 or 1,000,000 events already processed;
//  2. put + flush throughput with the three derived systems;
//  3. what the crash lab costs: CRC-32C over record bytes, and recovery
//     (read, verify and replay the whole log file) after a crash;
//  4. state(): the whole state serialized, at 1,000 and 100,000 entries.
// The workloads are bench/workloads.cc, the same that bench_runner times
// natively and in wasm.
#include <benchmark/benchmark.h>

#include <string>

#include "bench/workloads.h"
#include "core/crc32c.h"

namespace unbundled {
namespace {

// Every engine benchmark reports the time its workload function measured
// (UseManualTime), the same region bench_runner reports natively and in wasm.
void Record(benchmark::State& state, const bench::Measure& m) {
  state.SetIterationTime(m.ms / 1000);
}

// One put followed by a flush of all three consumers, after `history` events
// have already been written and processed. The keys are updated in place so
// the derived state stays the same size whatever the history.
void BM_FlushOneEventAfterHistory(benchmark::State& state) {
  const std::size_t history = static_cast<std::size_t>(state.range(0));
  auto engine = bench::EngineWithHistory(history);
  std::size_t i = history;
  for (auto _ : state) Record(state, bench::PutFlushAfterHistory(engine.get(), i++, 1));
  state.counters["history_events"] = static_cast<double>(history);
}
BENCHMARK(BM_FlushOneEventAfterHistory)
    ->Arg(1000)
    ->Arg(1000000)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// Put + flush of 1,000,000 new small documents, flushing after every put.
void BM_PutFlushThroughput(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) Record(state, bench::PutFlushNew(n));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_PutFlushThroughput)
    ->Arg(1000000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// CRC-32C over a 4 KiB buffer: the checksum every record pays on write and read.
void BM_Crc32c(benchmark::State& state) {
  std::string data(4096, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131);
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::Value(data.data(), data.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Crc32c);

// Recovery after a process crash: read the whole log file from its first
// byte, verify every record's checksum, replay it into storage and capture
// the change stream again. 100,000 entries over 10,000 keys.
void BM_RecoverAfterCrash(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto engine = bench::CrashedEngine(n);
    const bench::Measure m = bench::RecoverAfterCrash(engine.get());
    Record(state, m);
    state.counters["log_bytes"] = static_cast<double>(m.bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_RecoverAfterCrash)
    ->Arg(100000)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The whole state serialized as JSON (what state() returns), at 1,000 and
// 100,000 log entries with the three consumers.
void BM_SerializeState(benchmark::State& state) {
  auto sim = bench::SimulatorWithEntries(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    const bench::Measure m = bench::SerializeState(*sim);
    Record(state, m);
    state.counters["json_bytes"] = static_cast<double>(m.bytes);
  }
}
BENCHMARK(BM_SerializeState)
    ->Arg(1000)
    ->Arg(100000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace unbundled

BENCHMARK_MAIN();
