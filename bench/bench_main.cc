// bench_runner: the engine workloads (bench/workloads.h) with a wall clock,
// one JSON line each. Built natively (build/bench/bench_runner) and as
// WebAssembly for Node (build-wasm/bench/bench_runner.js); scripts/bench runs
// both and compares them.
//
//   bench_runner [--quick] [--repeat K] [--max-history H] [--only GROUP]
//     --quick          smaller sizes, for a smoke run
//     --repeat K       time each workload K times and report the median (3)
//     --max-history H  cap the history of put_flush_after_history (for a
//                      wasm run that cannot hold a million entries)
//     --only GROUP     run one group: memory_per_entry, put_flush_new,
//                      put_flush_after_history, recover, state (state, view,
//                      checkpoint and a late consumer's snapshot), import (an
//                      import's replay)
//
// Each line: {"workload", "n", "ms" (median), "runs_ms", "items_per_s", ...}.
// The last line is {"workload":"process","peak_bytes"}: peak RSS natively,
// the size of linear memory in wasm (it never shrinks, so that is its peak).
// scripts/bench runs each group in its own process, native then wasm, so a
// pair is measured close together in time and each peak is its group's.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#if !defined(__EMSCRIPTEN__)
#include <sys/resource.h>
#include <unistd.h>
#endif

#include "bench/workloads.h"
#include "core/node_pool.h"

namespace {

using unbundled::Json;
namespace bench = unbundled::bench;

// Bytes the heap hands out now: the same count natively and in wasm. glibc
// serves big blocks (the log's buffer) by mmap and counts them apart
// (hblkhd); Emscripten's dlmalloc has no mmap. Natively, tree nodes and
// documents come from the engine's pool on huge pages (core/node_pool.h),
// whose blocks in use are added.
double HeapBytes() {
#if defined(__EMSCRIPTEN__)
  return static_cast<double>(static_cast<unsigned>(mallinfo().uordblks));
#else
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd +
                             unbundled::node_pool::ThreadStats().in_use);
#endif
}

// What the process holds: resident memory natively (/proc/self/statm), the
// module's linear memory (HEAP8.length) in wasm.
double ProcessBytes() {
#if defined(__EMSCRIPTEN__)
  return static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0;
#else
  unsigned long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f != nullptr) {
    if (std::fscanf(f, "%lu %lu", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
#endif
}

double PeakBytes() {
#if defined(__EMSCRIPTEN__)
  return ProcessBytes();
#else
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;  // ru_maxrss is in KiB on Linux
#endif
}

void Print(const Json& line) {
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

// Runs `once` (one timed run, its setup inside it but outside its Measure)
// `repeat` times and prints the median. With a warm-up, the first run is
// reported apart ("warm_up_ms") and left out of the median: a short
// workload's first runs in wasm are V8's baseline code (and natively, cold
// caches); it is what a first click costs. kUntilSteady goes on running it
// until kWarmUpMs have passed ("warm_up_runs"), since V8 optimizes a
// function only after it has run a while, in the background (one run of
// state() at 1,000 entries was not enough): the median is then of the
// steady state, as it is natively. kOnce is for a workload whose runs
// change what the next one measures (put after history grows the history).
enum class WarmUp { kNone, kOnce, kUntilSteady };
constexpr double kWarmUpMs = 500;
void Report(Json line, int repeat, const std::function<bench::Measure()>& once,
            WarmUp warm_up = WarmUp::kNone) {
  std::vector<double> runs;
  bench::Measure m;
  if (warm_up != WarmUp::kNone) {
    const auto start = std::chrono::steady_clock::now();
    line["warm_up_ms"] = once().ms;
    int warm_runs = 1;
    while (warm_up == WarmUp::kUntilSteady &&
           std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < kWarmUpMs) {
      once();
      ++warm_runs;
    }
    line["warm_up_runs"] = warm_runs;
  }
  for (int r = 0; r < repeat; ++r) {
    m = once();
    runs.push_back(m.ms);
  }
  std::vector<double> sorted = runs;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  line["n"] = m.n;
  line["ms"] = median;
  line["runs_ms"] = runs;
  line["items_per_s"] = median > 0 ? m.n / (median / 1000) : 0;
  if (m.bytes != 0) line["bytes"] = m.bytes;
  Print(line);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int repeat = 3;
  std::size_t max_history = 0;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--max-history") == 0 && i + 1 < argc) {
      max_history = static_cast<std::size_t>(std::atoll(argv[++i]));
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: bench_runner [--quick] [--repeat K] [--max-history H] [--only GROUP]\n");
      return 2;
    }
  }
  const std::size_t million = quick ? 100000 : 1000000;
  const auto run = [&only](const char* group) { return only.empty() || only == group; };
  if (!only.empty() && !(run("memory_per_entry") || run("put_flush_new") ||
                         run("put_flush_after_history") || run("recover") || run("state") ||
                         run("import"))) {
    std::fprintf(stderr, "bench_runner: no group '%s'\n", only.c_str());
    return 2;
  }

  // Memory per log entry, first, while the process holds little: N put +
  // flush steps over 1,000 keys, so the log grows and storage and the derived
  // state do not.
  if (run("memory_per_entry")) {
    auto engine = bench::EngineWithHistory(1000);
    const double process0 = ProcessBytes(), heap0 = HeapBytes();
    const bench::Measure m = bench::PutFlushAfterHistory(engine.get(), 1000, million);
    const double n = static_cast<double>(m.n);
    const double record = m.bytes / n;
    const double process = (ProcessBytes() - process0) / n, heap = (HeapBytes() - heap0) / n;
    Print({{"workload", "memory_per_entry"}, {"n", m.n}, {"keys", 1000}, {"ms", m.ms},
           {"items_per_s", n / (m.ms / 1000)}, {"record_bytes_per_entry", record},
#if defined(__EMSCRIPTEN__)
           {"process_measure", "wasm linear memory (HEAP8.length) growth"},
#else
           {"process_measure", "RSS growth (/proc/self/statm)"},
#endif
           {"process_bytes_per_entry", process}, {"process_ratio", process / record},
           {"heap_bytes_per_entry", heap}, {"heap_ratio", heap / record}});
  }

  // (a) Put + flush of N new small documents, three consumers. The first run
  // also counts the heap per stored document.
  if (run("put_flush_new")) {
    double heap_per_document = 0;
    bool first = true;
    Report({{"workload", "put_flush_new"}}, repeat, [&] {
      std::unique_ptr<unbundled::Engine> engine;
      const double heap0 = HeapBytes();
      bench::Measure m = bench::PutFlushNew(million, &engine);
      if (first) heap_per_document = (HeapBytes() - heap0) / static_cast<double>(m.n);
      first = false;
      return m;  // the engine's teardown is not timed
    });
    Print({{"workload", "heap_per_stored_document"}, {"n", million},
           {"heap_bytes_per_document", heap_per_document}});
  }

  // (b) One put + flush after H events of history, 20,000 times.
  for (std::size_t history : {std::size_t{1000}, million}) {
    if (!run("put_flush_after_history")) break;
    if (max_history != 0 && history > max_history) history = max_history;
    auto engine = bench::EngineWithHistory(history);
    std::size_t next = history;
    Report({{"workload", "put_flush_after_history"}, {"history", history}}, repeat, [&] {
      bench::Measure m = bench::PutFlushAfterHistory(engine.get(), next, 20000);
      next += 20000;
      return m;
    }, WarmUp::kOnce);
  }

  // (c) Recovery after a process crash of a 100,000-entry log.
  if (run("recover")) {
    Report({{"workload", "recover"}}, repeat, [&] {
      auto engine = bench::CrashedEngine(100000);
      return bench::RecoverAfterCrash(engine.get());
    });
  }

  // (d) What a page asks for: the whole state, against a view() window and a
  // checkpoint, at 1,000 and 100,000 log entries. A view and a checkpoint
  // take well under a millisecond, so each run times 1,000 of them: on a
  // virtual machine whose speed varies from one moment to the next, a run of
  // ten views (under a millisecond) measured the moment more than the code.
  for (std::size_t entries : {std::size_t{1000}, std::size_t{100000}}) {
    if (!run("state")) break;
    auto sim = bench::SimulatorWithEntries(entries);
    Report({{"workload", "state"}, {"entries", entries}}, repeat,
           [&] { return bench::SerializeState(*sim); }, WarmUp::kUntilSteady);
    Report({{"workload", "view"}, {"entries", entries}}, repeat,
           [&] { return bench::ViewWindow(*sim, 1000); }, WarmUp::kUntilSteady);
    Report({{"workload", "checkpoint"}, {"entries", entries}}, repeat,
           [&] { return bench::Checkpoint(*sim, 1000); }, WarmUp::kUntilSteady);
    // A late consumer's snapshot as the page asks for it (20 r events
    // listed), and with every r event listed.
    Report({{"workload", "snapshot"}, {"entries", entries}}, repeat,
           [&] { return bench::LateConsumer(*sim, 20); }, WarmUp::kOnce);
    Report({{"workload", "snapshot_all"}, {"entries", entries}}, repeat,
           [&] { return bench::LateConsumer(*sim, unbundled::Engine::kAllEvents); }, WarmUp::kOnce);
  }

  // (e) An import's replay of browser.scale's 100,000 steps. Its first run
  // (in wasm: a fresh module, whose memory grows, in V8's baseline code) is
  // reported apart, as what a student's first import costs.
  if (run("import")) {
    const std::size_t steps = quick ? 10000 : 100000;
    const std::vector<std::string> chunks = bench::ImportChunks(steps);
    Report({{"workload", "import_replay"}}, repeat,
           [&] { return bench::ImportReplay(chunks, steps); }, WarmUp::kOnce);
  }

  Print({{"workload", "process"}, {"group", only.empty() ? "all" : only},
#if defined(__EMSCRIPTEN__)
         {"peak_measure", "wasm linear memory"},
#else
         {"peak_measure", "peak RSS (getrusage)"},
#endif
         {"peak_bytes", PeakBytes()}});
  return 0;
}
