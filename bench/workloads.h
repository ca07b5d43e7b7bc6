// The engine workloads the benchmarks measure, as plain functions: the same
// code runs natively (bench_runner, and Google Benchmark's engine_bench) and
// as WebAssembly under Node (bench_runner.js), so the two can be compared.
//
// Each workload is a setup, which is not timed, and a timed part, which
// returns a Measure: the wall-clock time of exactly that part
// (std::chrono::steady_clock) and what it processed. Both harnesses report
// that time, so they measure the same region.
//
// Only the engine's public calls are used (Engine::Put, PutText, FlushAll,
// AddConsumer, Crash, Recover, wal(); Simulator::Apply, State, View, Clone),
// so the workloads stay valid while the engine's internals change.
#ifndef UNBUNDLED_BENCH_WORKLOADS_H_
#define UNBUNDLED_BENCH_WORKLOADS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/simulator.h"

namespace unbundled {
namespace bench {

struct Measure {
  std::size_t n = 0;      // items the timed part processed
  double ms = 0;          // its wall-clock time
  std::size_t bytes = 0;  // bytes it produced or read, where the workload says
};

// A small user document: {"name", "city", "age"}, about 60 bytes of JSON.
Json SmallDocument(std::size_t i);
// The same document as the JSON text a client sends (its compact text, the
// bytes its log record holds), written into *out.
void SmallDocumentText(std::size_t i, std::string* out);
std::string KeyOf(std::size_t i);
// The three consumers of the figures: a secondary index on city, a
// materialized view of the sum of age grouped by city, a full-text index on
// name.
void AddThreeConsumers(Engine* engine);

// (a) Put + flush of `n` new small documents, each sent as JSON text (keys user0..user<n-1>) into a
// fresh engine with the three consumers, a flush after every put. The
// engine is handed to *kept if not null (so its memory can be counted, and
// its teardown is not timed); bytes: the log file's size.
Measure PutFlushNew(std::size_t n, std::unique_ptr<Engine>* kept = nullptr);

// (b) An engine with the three consumers whose `history` puts over 1,000
// keys were written and processed (setup, not timed) ...
std::unique_ptr<Engine> EngineWithHistory(std::size_t history);
// ... then `count` more put + flush steps over the same 1,000 keys, so the
// log grows and storage and derived state do not. `first` numbers the
// documents. bytes: what the log file grew by.
Measure PutFlushAfterHistory(Engine* engine, std::size_t first, std::size_t count);

// (c) An engine of `entries` puts over 10,000 keys, crashed (process
// crash: the unsynced tail survives in the page cache) ...
std::unique_ptr<Engine> CrashedEngine(std::size_t entries);
// ... and its recovery: read the log file from its first byte, verify every
// record, replay it into storage. n: entries replayed; bytes: the log file.
Measure RecoverAfterCrash(Engine* engine);

// A simulator with the three consumers (by_city, city_stats, search), joined
// by replay, and nothing else.
std::unique_ptr<Simulator> SimulatorWithConsumers();

// (d) A simulator with the three consumers and `entries` log entries (one
// put_random step over entries/2 keys, then a flush) ...
std::unique_ptr<Simulator> SimulatorWithEntries(std::size_t entries);
// ... the whole state serialized as the JSON the page and the tests read.
// bytes: the JSON's length.
Measure SerializeState(const Simulator& sim);
// ... what the page draws instead: a view() window of 60 log entries and 60
// events, `times` times. bytes: one view's JSON length.
Measure ViewWindow(const Simulator& sim, std::size_t times);
// ... a checkpoint for time travel (a copy of the simulator), `times`
// times (the copies are kept until the time is taken: not their teardown).
Measure Checkpoint(const Simulator& sim, std::size_t times);
// ... a late consumer (a full-text index, the costliest to fill) added by
// snapshot, on a checkpoint of `sim` taken outside the time, its result
// listing `listed` r events (the page lists 20; Engine::kAllEvents lists
// every row, as a script that asks for all gets). n: rows read; bytes: the
// result's JSON length.
Measure LateConsumer(const Simulator& sim, std::size_t listed);

// (e) An import's replay, as the page's import runs it in the engine: the
// steps of browser.scale's scenario (`steps` steps: puts of small user
// documents over 20,000 keys, a flush every 100th; the three consumers), handed
// over as JSON text in chunks of 256 steps, each parsed and its steps
// replayed (Simulator::Replay, which the import's replayRefused calls).
// Untimed: building the texts. bytes: their total length.
std::vector<std::string> ImportChunks(std::size_t steps);
Measure ImportReplay(const std::vector<std::string>& chunks, std::size_t steps);

}  // namespace bench
}  // namespace unbundled

#endif  // UNBUNDLED_BENCH_WORKLOADS_H_
