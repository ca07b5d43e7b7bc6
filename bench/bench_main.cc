// bench_runner: the engine workloads with a wall clock, one JSON line each.
// Built natively (build/bench/bench_runner) and as WebAssembly for Node
// (build-wasm/bench/bench_runner.js); scripts/bench runs both and compares.
//   bench_runner [--quick]     --quick: smaller sizes, for a smoke run
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "bench/workloads.h"
#include "core/simulator.h"

namespace {

using Clock = std::chrono::steady_clock;
using unbundled::Json;
namespace bench = unbundled::bench;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void Print(const Json& j) { std::printf("%s\n", j.dump().c_str()); std::fflush(stdout); }

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const std::size_t million = quick ? 100000 : 1000000;

  {  // Put + flush of N new small documents, three consumers.
    const std::size_t heap0 = bench::HeapBytes();
    auto t0 = Clock::now();
    auto engine = bench::PutFlush(million);
    auto t1 = Clock::now();
    const std::size_t heap = bench::HeapBytes() - heap0;
    Print({{"workload", "put_flush"}, {"n", million}, {"ms", Ms(t0, t1)},
           {"per_item_us", Ms(t0, t1) * 1000 / million},
           {"heap_bytes_per_key", static_cast<double>(heap) / million},
           {"record_bytes_per_entry", static_cast<double>(engine->wal().file().size()) / million}});
  }
  for (std::size_t history : {std::size_t{1000}, million}) {  // one put + flush after a history
    auto engine = bench::EngineWithHistory(history);
    const std::size_t n = 20000;
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i) bench::PutFlushOne(engine.get(), history + i);
    auto t1 = Clock::now();
    Print({{"workload", "put_flush_one_after_history"}, {"n", history}, {"ms", Ms(t0, t1)},
           {"per_item_us", Ms(t0, t1) * 1000 / n}});
  }
  {  // Memory per log entry: the log grows, storage and state do not. The
     // history first fills the change stream's small cache of documents.
    auto engine = bench::EngineWithHistory(10000);
    const std::size_t n = quick ? 50000 : 200000;
    const std::size_t heap0 = bench::HeapBytes();
    const std::size_t bytes0 = engine->wal().file().size();
    for (std::size_t i = 0; i < n; ++i) bench::PutFlushOne(engine.get(), i);
    const double heap = static_cast<double>(bench::HeapBytes() - heap0) / n;
    const double record = static_cast<double>(engine->wal().file().size() - bytes0) / n;
    Print({{"workload", "memory_per_entry"}, {"n", n}, {"heap_bytes_per_entry", heap},
           {"record_bytes_per_entry", record}, {"ratio", heap / record}});
  }
  {  // Recovery after a process crash: read, verify and replay the log.
    const std::size_t n = 100000;
    auto engine = std::make_unique<unbundled::Engine>();
    for (std::size_t i = 0; i < n; ++i) {
      unbundled::WriteResult w;
      engine->Put(bench::KeyOf(i % 10000), bench::SmallDocument(i), unbundled::WriteOptions(), &w);
    }
    engine->Crash(unbundled::CrashKind::kProcess, 0);
    unbundled::RecoveryResult result;
    auto t0 = Clock::now();
    engine->Recover(nullptr, &result);
    auto t1 = Clock::now();
    Print({{"workload", "recover"}, {"n", n}, {"ms", Ms(t0, t1)}, {"per_item_us", Ms(t0, t1) * 1000 / n}});
  }
  // What a page asks for: the whole state against a view, and a checkpoint.
  for (std::size_t n : {std::size_t{1000}, std::size_t{100000}}) {
    unbundled::Simulator sim;
    for (const char* c : {R"({"op":"add_consumer","mode":"replay","consumer":{"name":"by_city","type":"secondary_index","field":"city"}})",
                          R"({"op":"add_consumer","mode":"replay","consumer":{"name":"stats","type":"materialized_view","group_by":"city","sum":"age"}})",
                          R"({"op":"add_consumer","mode":"replay","consumer":{"name":"search","type":"full_text","fields":["name"]}})"}) {
      sim.Apply(Json::parse(c));
    }
    sim.Apply(Json{{"op", "put_random"}, {"count", n}, {"keys", n / 2}, {"seed", 1}});
    sim.Apply(Json{{"op", "flush"}});
    auto t0 = Clock::now();
    const std::string state = sim.StateJson();
    auto t1 = Clock::now();
    std::string view;
    for (int i = 0; i < 10; ++i) view = sim.View(std::string(R"({"wal":{"count":60},"events":{"count":60}})"));
    auto t2 = Clock::now();
    auto copy = sim.Clone();
    auto t3 = Clock::now();
    Print({{"workload", "state"}, {"n", n}, {"ms", Ms(t0, t1)}, {"bytes", state.size()}});
    Print({{"workload", "view"}, {"n", n}, {"ms", Ms(t1, t2) / 10}, {"bytes", view.size()}});
    Print({{"workload", "checkpoint"}, {"n", n}, {"ms", Ms(t2, t3)}});
  }
  return 0;
}
