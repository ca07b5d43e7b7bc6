// The engine workloads the benchmarks measure, as plain functions: the same
// code runs natively (bench_runner, and Google Benchmark's engine_bench) and
// as WebAssembly under Node (bench_runner.js), so the two can be compared.
#ifndef UNBUNDLED_BENCH_WORKLOADS_H_
#define UNBUNDLED_BENCH_WORKLOADS_H_

#include <cstddef>
#include <memory>
#include <string>

#include "core/engine.h"

namespace unbundled {
namespace bench {

// A small user document: {"name", "city", "age"}, about 60 bytes of JSON.
Json SmallDocument(std::size_t i);
std::string KeyOf(std::size_t i);
// The three consumers of the figures: an index on city, a view of age by
// city, a full-text index on name.
void AddThreeConsumers(Engine* engine);

// Bytes the heap holds now (malloc's count, the same natively and in wasm).
std::size_t HeapBytes();

// Put + flush of `n` new small documents, three consumers, a flush after
// every put. Returns the engine (the caller measures around it).
std::unique_ptr<Engine> PutFlush(std::size_t n);

// An engine whose `history` events over 1,000 keys were written and
// processed; one more put + flush is then timed by the caller.
std::unique_ptr<Engine> EngineWithHistory(std::size_t history);
void PutFlushOne(Engine* engine, std::size_t i);

}  // namespace bench
}  // namespace unbundled

#endif  // UNBUNDLED_BENCH_WORKLOADS_H_
