#include "bench/workloads.h"

#include <malloc.h>

namespace unbundled {
namespace bench {

namespace {
const char* kCities[] = {"London", "Paris", "Oslo", "Lagos", "Lima", "Pune", "Kyoto", "Perth"};
const char* kWords[] = {"graph", "log", "stream", "index", "kafka", "snapshot", "replica", "shard"};
}  // namespace

Json SmallDocument(std::size_t i) {
  return {{"name", std::string("user ") + kWords[i % 8] + " " + kWords[(i / 8) % 8]},
          {"city", kCities[i % 8]},
          {"age", static_cast<int>(18 + i % 60)}};
}

std::string KeyOf(std::size_t i) { return "user" + std::to_string(i); }

void AddThreeConsumers(Engine* engine) {
  Lsn position;
  engine->AddConsumer({"by_city", "secondary_index", {{"field", "city"}}}, JoinMode::kReplay,
                      nullptr, &position);
  engine->AddConsumer({"city_stats", "materialized_view", {{"group_by", "city"}, {"sum", "age"}}},
                      JoinMode::kReplay, nullptr, &position);
  engine->AddConsumer({"search", "full_text", {{"fields", {"name"}}}}, JoinMode::kReplay, nullptr,
                      &position);
}

std::size_t HeapBytes() {
#if defined(__EMSCRIPTEN__)
  return static_cast<std::size_t>(mallinfo().uordblks);
#else
  return mallinfo2().uordblks;
#endif
}

std::unique_ptr<Engine> PutFlush(std::size_t n) {
  auto engine = std::make_unique<Engine>();
  AddThreeConsumers(engine.get());
  std::size_t delivered;
  for (std::size_t i = 0; i < n; ++i) {
    WriteResult result;
    engine->Put(KeyOf(i), SmallDocument(i), WriteOptions(), &result);
    engine->FlushAll(&delivered);
  }
  return engine;
}

std::unique_ptr<Engine> EngineWithHistory(std::size_t history) {
  auto engine = std::make_unique<Engine>();
  AddThreeConsumers(engine.get());
  for (std::size_t i = 0; i < history; ++i) {
    WriteResult result;
    engine->Put(KeyOf(i % 1000), SmallDocument(i), WriteOptions(), &result);
  }
  std::size_t delivered;
  engine->FlushAll(&delivered);
  return engine;
}

void PutFlushOne(Engine* engine, std::size_t i) {
  WriteResult result;
  engine->Put(KeyOf(i % 1000), SmallDocument(i), WriteOptions(), &result);
  std::size_t delivered;
  engine->FlushAll(&delivered);
}

}  // namespace bench
}  // namespace unbundled
