#include "bench/workloads.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace unbundled {
namespace bench {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

const char* kCities[] = {"London", "Paris", "Oslo", "Lagos", "Lima", "Pune", "Kyoto", "Perth"};
const char* kWords[] = {"graph", "log", "stream", "index", "kafka", "snapshot", "replica", "shard"};

// One put and a flush of every consumer. The document arrives as JSON text,
// as a client sends it to a database (and the page's bulk step writes it).
void PutThenFlush(Engine* engine, const std::string& key, std::string_view document) {
  WriteResult result;
  engine->PutText(key, document, WriteOptions(), &result);
  std::size_t delivered;
  engine->FlushAll(&delivered);
}

}  // namespace

Json SmallDocument(std::size_t i) {
  // Built field by field: nlohmann's initializer-list constructor copies
  // every element once more, which cost a fifth of the put + flush workload.
  Json doc(Json::value_t::object);
  std::string name = "user ";
  name.append(kWords[i % 8]).append(" ").append(kWords[(i / 8) % 8]);
  doc["name"] = std::move(name);
  doc["city"] = kCities[i % 8];
  doc["age"] = static_cast<int>(18 + i % 60);
  return doc;
}

void SmallDocumentText(std::size_t i, std::string* out) {
  // The compact text, fields in name order: what SmallDocument(i) is
  // logged as.
  out->assign("{\"age\":").append(std::to_string(18 + i % 60));
  out->append(",\"city\":\"").append(kCities[i % 8]);
  out->append("\",\"name\":\"user ").append(kWords[i % 8]).append(" ").append(kWords[(i / 8) % 8]);
  out->append("\"}");
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

Measure PutFlushNew(std::size_t n, std::unique_ptr<Engine>* kept) {
  auto engine = std::make_unique<Engine>();
  AddThreeConsumers(engine.get());
  const auto start = Clock::now();
  std::string document;
  for (std::size_t i = 0; i < n; ++i) {
    SmallDocumentText(i, &document);
    PutThenFlush(engine.get(), KeyOf(i), document);
  }
  Measure m{n, MsSince(start), engine->wal().file().size()};
  if (kept != nullptr) *kept = std::move(engine);
  return m;
}

std::unique_ptr<Engine> EngineWithHistory(std::size_t history) {
  auto engine = std::make_unique<Engine>();
  AddThreeConsumers(engine.get());
  ChangeEvent event;
  for (std::size_t i = 0; i < history; ++i) engine->Put(KeyOf(i % 1000), SmallDocument(i), &event);
  std::size_t delivered;
  engine->FlushAll(&delivered);
  return engine;
}

Measure PutFlushAfterHistory(Engine* engine, std::size_t first, std::size_t count) {
  const std::size_t bytes0 = engine->wal().file().size();
  const auto start = Clock::now();
  std::string document;
  for (std::size_t i = first; i < first + count; ++i) {
    SmallDocumentText(i, &document);
    PutThenFlush(engine, KeyOf(i % 1000), document);
  }
  return {count, MsSince(start), engine->wal().file().size() - bytes0};
}

std::unique_ptr<Engine> CrashedEngine(std::size_t entries) {
  auto engine = std::make_unique<Engine>();
  ChangeEvent event;
  for (std::size_t i = 0; i < entries; ++i) {
    engine->Put(KeyOf(i % 10000), SmallDocument(i), &event);
  }
  engine->Crash(CrashKind::kProcess, 0);
  return engine;
}

Measure RecoverAfterCrash(Engine* engine) {
  RecoveryResult result;
  const auto start = Clock::now();
  engine->Recover(nullptr, &result);
  return {result.replayed, MsSince(start), engine->wal().file().size()};
}

std::unique_ptr<Simulator> SimulatorWithConsumers() {
  auto sim = std::make_unique<Simulator>();
  for (const char* spec :
       {R"({"name":"by_city","type":"secondary_index","field":"city"})",
        R"({"name":"city_stats","type":"materialized_view","group_by":"city","sum":"age"})",
        R"({"name":"search","type":"full_text","fields":["name"]})"}) {
    sim->Apply(Json{{"op", "add_consumer"}, {"mode", "replay"}, {"consumer", Json::parse(spec)}});
  }
  return sim;
}

std::unique_ptr<Simulator> SimulatorWithEntries(std::size_t entries) {
  auto sim = SimulatorWithConsumers();
  sim->Apply(Json{{"op", "put_random"}, {"count", entries}, {"keys", entries / 2}, {"seed", 1}});
  sim->Apply(Json{{"op", "flush"}});
  return sim;
}

Measure SerializeState(const Simulator& sim) {
  const auto start = Clock::now();
  const std::string json = sim.State().dump();
  return {1, MsSince(start), json.size()};
}

Measure ViewWindow(const Simulator& sim, std::size_t times) {
  // As the page asks for it: a JSON string in, a JSON string out.
  const std::string request = R"({"wal":{"count":60},"events":{"count":60}})";
  std::size_t bytes = 0;
  const auto start = Clock::now();
  for (std::size_t i = 0; i < times; ++i) bytes = sim.View(request).size();
  return {times, MsSince(start), bytes};
}

Measure Checkpoint(const Simulator& sim, std::size_t times) {
  std::vector<std::unique_ptr<Simulator>> copies;
  copies.reserve(times);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < times; ++i) copies.push_back(sim.Clone());
  const double ms = MsSince(start);  // not the copies' teardown
  return {times, ms, 0};
}

Measure LateConsumer(const Simulator& sim, std::size_t listed) {
  std::unique_ptr<Simulator> copy = sim.Clone();
  copy->SetSnapshotEventsListed(listed);
  const std::string step =
      R"({"op":"add_consumer","mode":"snapshot","consumer":{"name":"late","type":"full_text","fields":["name"]}})";
  const auto start = Clock::now();
  const std::string result = copy->Apply(step);
  const double ms = MsSince(start);
  const Json r = Json::parse(result);
  if (!r.value("ok", false)) {
    std::fprintf(stderr, "LateConsumer: %s\n", result.c_str());
    std::abort();
  }
  return {r["snapshot_rows"].get<std::size_t>(), ms, result.size()};
}

std::vector<std::string> ImportChunks(std::size_t steps) {
  static const char* const kScaleCities[] = {"London", "Paris", "Oslo", "Lagos", "Lima", "Pune"};
  std::vector<std::string> chunks;
  for (std::size_t first = 0; first < steps; first += 256) {
    Json chunk = Json::array();
    for (std::size_t i = first; i < std::min(steps, first + 256); ++i) {
      if (i % 100 == 99) {
        chunk.push_back(Json{{"op", "flush"}});
        continue;
      }
      Json value(Json::value_t::object);
      value["name"] = "user " + std::to_string(i);
      value["city"] = kScaleCities[i % 6];
      value["age"] = static_cast<int>(20 + i % 50);
      Json step(Json::value_t::object);
      step["op"] = "put";
      step["key"] = "u" + std::to_string(i % 20000);
      step["value"] = std::move(value);
      chunk.push_back(std::move(step));
    }
    chunks.push_back(chunk.dump());
  }
  return chunks;
}

Measure ImportReplay(const std::vector<std::string>& chunks, std::size_t steps) {
  auto sim = SimulatorWithConsumers();
  std::size_t bytes = 0, replayed = 0;
  const auto start = Clock::now();
  for (const std::string& text : chunks) {
    Json parsed;
    if (!ParseUserJson(text, "steps", &parsed).ok()) std::abort();
    for (const Json& step : parsed) replayed += sim->Replay(step) ? 1 : 0;
    bytes += text.size();
  }
  const double ms = MsSince(start);  // not the simulator's teardown
  if (replayed != steps) std::abort();  // every step is one the engine takes
  return {steps, ms, bytes};
}

}  // namespace bench
}  // namespace unbundled
