// Benchmarks of the engine's two performance promises (README, "Benchmarks"):
//  1. a flush costs O(pending events), not O(history): flushing one new event
//     costs the same with 1,000 or 1,000,000 events already processed;
//  2. put + flush throughput with the three derived systems;
//  3. what the crash lab costs: CRC-32C over record bytes, and recovery
//     (read, verify and replay the whole log file) after a crash.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "bench/workloads.h"
#include "core/crc32c.h"
#include "core/engine.h"

namespace unbundled {
namespace {

using bench::KeyOf;
using bench::SmallDocument;

// One put followed by a flush of all three consumers, after `history` events
// have already been written and processed. The keys are updated in place so
// the derived state stays the same size whatever the history.
void BM_FlushOneEventAfterHistory(benchmark::State& state) {
  const std::size_t history = static_cast<std::size_t>(state.range(0));
  auto engine = bench::EngineWithHistory(history);
  std::size_t i = history;
  for (auto _ : state) bench::PutFlushOne(engine.get(), i++);
  state.counters["history_events"] = static_cast<double>(history);
}
BENCHMARK(BM_FlushOneEventAfterHistory)->Arg(1000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

// Put + flush of 1,000,000 new small documents, flushing after every put.
void BM_PutFlushThroughput(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto engine = bench::PutFlush(n);
    benchmark::DoNotOptimize(engine->wal().head());
    state.PauseTiming();  // do not time the teardown of a million documents
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_PutFlushThroughput)->Arg(1000000)->Iterations(1)->Unit(benchmark::kMillisecond);

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
    state.PauseTiming();
    auto engine = std::make_unique<Engine>();
    ChangeEvent event;
    for (std::size_t i = 0; i < n; ++i) engine->Put(KeyOf(i % 10000), SmallDocument(i), &event);
    engine->Crash(CrashKind::kProcess, 0);
    state.ResumeTiming();
    RecoveryResult result;
    engine->Recover(nullptr, &result);
    benchmark::DoNotOptimize(result.recovered);
    state.PauseTiming();
    state.counters["log_bytes"] = static_cast<double>(engine->wal().file().size());
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_RecoverAfterCrash)->Arg(100000)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace unbundled

BENCHMARK_MAIN();
