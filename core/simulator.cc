#include "core/simulator.h"

#include <algorithm>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "core/crc32c.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/log_format.h"
#include "core/log_reader.h"
#include "core/user_json.h"

namespace unbundled {

namespace {

constexpr std::uint64_t kDefaultScanLimit = 100;
constexpr std::uint64_t kMaxScanLimit = 10000;

Status GetString(const Json& step, const std::string& field, std::string* out) {
  auto it = step.find(field);
  if (it == step.end()) return Status::Invalid(field, "is required");
  if (!it->is_string()) {
    return Status::Invalid(field, std::string("must be a string (got ") + it->type_name() + ")");
  }
  *out = it->get<std::string>();
  return Status::OK();
}

// A whole number from `min` to `max` (`min` is 0 or 1).
Status GetCount(const Json& step, const std::string& field, std::uint64_t max,
                std::uint64_t* out, std::uint64_t min = 0) {
  auto it = step.find(field);
  if (it == step.end()) return Status::Invalid(field, "is required");
  if (!it->is_number_integer() || (it->is_number_integer() && !it->is_number_unsigned() &&
                                   it->get<std::int64_t>() < 0)) {
    return Status::Invalid(field, "must be a whole number from " + std::to_string(min) + " to " +
                                      std::to_string(max) + " (got " + it->dump() + ")");
  }
  std::uint64_t v = it->get<std::uint64_t>();
  if (v < min) return Status::Invalid(field, "must be at least " + std::to_string(min));
  if (v > max) {
    return Status::Invalid(field, "must be at most " + std::to_string(max) + " (got " +
                                      std::to_string(v) + ")");
  }
  *out = v;
  return Status::OK();
}

// One of `choices`, as a string.
Status GetChoice(const Json& step, const std::string& field,
                 const std::vector<std::string>& choices, std::string* out) {
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "\"" : ", \"") + c + "\"";
  auto it = step.find(field);
  if (it == step.end()) return Status::Invalid(field, "is required (" + list + ")");
  if (it->is_string()) {
    for (const auto& c : choices) {
      if (*it == c) {
        *out = c;
        return Status::OK();
      }
    }
  }
  return Status::Invalid(field, "must be one of " + list + " (got " + it->dump() + ")");
}

Json EventsToJson(const std::vector<ChangeEvent>& events) {
  Json j = Json::array();
  for (const auto& e : events) j.push_back(ToJson(e));
  return j;
}

Status ExpectEqual(const std::string& field, const std::string& subject, const Json& actual,
                   const Json& expected) {
  if (actual == expected) return Status::OK();
  return Status::Invalid(field, "expected " + expected.dump() + ", but " + subject + " is " +
                                    actual.dump());
}

Json PendingJson(const PendingDirect& w) {
  return {{"lsn", w.lsn}, {"key", w.key}, {"op", w.doc ? "put" : "delete"}};
}

Json ProblemJson(const log::Problem& p) {
  return {{"offset", p.offset},
          {"bytes", p.bytes},
          {"kind", p.torn_tail ? "torn_tail" : "corruption"},
          {"lsn", p.lsn ? Json(*p.lsn) : Json(nullptr)},
          {"reason", p.reason}};
}

Status WriteOptionsFrom(const Json& step, WriteOptions* options) {
  Status s;
  if (step.contains("crash")) {
    std::string fault;
    if (!(s = GetChoice(step, "crash", {"before_sync", "after_sync"}, &fault)).ok()) return s;
    options->fault = fault == "before_sync" ? WriteFault::kBeforeSync : WriteFault::kAfterSync;
  }
  if (step.contains("request_id")) {
    if (!(s = GetString(step, "request_id", &options->request_id)).ok()) return s;
    if (options->request_id.empty()) {
      return Status::Invalid("request_id", "must be 1 to 64 bytes of UTF-8 (got 0 bytes)");
    }
  }
  if (step.contains("direct")) {
    std::string direct;
    if (!(s = GetChoice(step, "direct", {"now", "later"}, &direct)).ok()) return s;
    options->direct = direct == "now" ? DualWrite::kNow : DualWrite::kLater;
  }
  if (step.contains("client")) {
    if (!(s = GetString(step, "client", &options->client)).ok()) return s;
    if (options->direct == DualWrite::kNone) {
      return Status::Invalid("client", "goes with \"direct\": the client that makes the "
                                       "second write of a dual write");
    }
  }
  if (step.contains("torn_bytes")) {
    std::uint64_t torn = 0;
    if (!(s = GetCount(step, "torn_bytes", log::kHeaderSize + log::kMaxPayloadSize, &torn)).ok()) {
      return s;
    }
    if (options->fault != WriteFault::kBeforeSync) {
      return Status::Invalid("torn_bytes", "goes with \"crash\": \"before_sync\"");
    }
    options->torn_bytes = static_cast<std::size_t>(torn);
  }
  return Status::OK();
}

void WriteResultJson(const WriteResult& w, const WriteOptions& options, Json* result) {
  (*result)["lsn"] = w.written || w.duplicate ? Json(w.lsn) : Json(nullptr);
  if (w.written || w.duplicate) (*result)["key"] = w.key;
  if (w.duplicate) (*result)["duplicate"] = true;
  if (options.direct == DualWrite::kNow) (*result)["direct_to"] = w.direct_to;
  if (w.direct_pending) (*result)["direct_pending"] = options.client;
  (*result)["event"] = w.written ? ToJson(w.event) : Json(nullptr);
  (*result)["acknowledged"] = w.acknowledged;
  (*result)["durable"] = w.durable;
  if (options.fault != WriteFault::kNone) {
    (*result)["crashed"] = options.fault == WriteFault::kBeforeSync ? "power" : "process";
  }
}

std::string Hex(std::string_view bytes, std::size_t from, std::size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = from; i < from + n; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- the table

const std::vector<OpSpec>& Simulator::OpTable() {
  using S = Simulator;
  static const auto* kTable = new std::vector<OpSpec>{
      {"put",
       {{"key", true}, {"value", true}, {"crash", false}, {"torn_bytes", false},
        {"request_id", false}, {"direct", false}, {"client", false}},
       true, false, &S::DoPut,
       "append to the log, apply to storage, emit a `c` or `u` event; with `crash` "
       "(`before_sync` or `after_sync`) the database dies on the way and the write is not "
       "acknowledged; `request_id` is written in the record (with `dedupe_requests` a retry is "
       "answered with the first write's result); `direct` (`\"now\"` or `\"later\"`) makes it a "
       "dual write: `client` (default `app`) also writes to every direct consumer, at once or at "
       "its `direct_write`",
       "`lsn`, `key`, `event`, `acknowledged`, `durable`; with `crash` also `crashed`; a retry "
       "`duplicate`: true; a dual write `direct_to` or `direct_pending`"},
      {"delete",
       {{"key", true}, {"crash", false}, {"torn_bytes", false}, {"request_id", false},
        {"direct", false}, {"client", false}},
       true, false, &S::DoDelete,
       "the same with a `d` event, if the key exists (an absent key writes nothing)",
       "`lsn`, `key`, `event` (null when absent), `acknowledged`, `durable`"},
      {"insert",
       {{"prefix", true}, {"value", true}, {"crash", false}, {"torn_bytes", false},
        {"request_id", false}, {"direct", false}, {"client", false}},
       true, false, &S::DoInsert,
       "a put under a key the database makes: `prefix` + the new entry's LSN (an auto-increment "
       "id), so a retried insert without a request id adds a second row",
       "as put; `key` names the new row"},
      {"direct_write", {{"client", true}}, false, false, &S::DoDirectWrite,
       "the client sends its oldest waiting second write (of a dual write) to every direct "
       "consumer; works while the database is down",
       "`lsn`, `key`, `op`, `to`: the consumers, `waiting`: the client's writes still waiting"},
      {"crash_client", {{"client", true}}, false, false, &S::DoCrashClient,
       "the application client dies between its two writes: its waiting second writes are lost",
       "`lost`: [{`lsn`, `key`}]"},
      {"put_random", {{"count", true}, {"seed", false}, {"keys", false}, {"from", false}}, true, false,
       &S::DoPutRandom,
       "a bulk experiment: `count` (1 to " + Grouped(kMaxBulkDocuments) +
           ") puts of generated user documents "
       "({name, city, age}) to keys `r0`..`r<keys-1>` (default keys = count), the same for the "
       "same `seed`; `from` skips that many of the sequence (the page splits a big step into parts)",
       "`written`, `first`, `last`: the LSNs written"},
      {"get", {{"key", true}}, true, false, &S::DoGet, "read storage", "`value` or null"},
      {"scan", {{"prefix", true}, {"limit", false}}, true, false, &S::DoScan,
       "read the stored rows whose key starts with `prefix`, in key order (at most `limit`, "
       "default 100)",
       "`rows`: [{`key`, `value`}], `more`, `lsn`: the storage LSN"},
      {"replay_storage", {}, true, false, &S::DoReplayStorage,
       "discard storage and replay the log into it (storage is only a view of the log)",
       "`replayed`: entries, `lsn`"},
      {"flush", {{"consumer", false}, {"limit", false}}, true, false, &S::DoFlush,
       "every consumer (or the named one) processes all its pending durable events, in LSN order; "
       "with `limit` only the next `limit` events of the stream (flushing in parts until `more` is "
       "false ends as one whole flush)",
       "`delivered`: events processed; `refused` names consumers that could not take any; with "
       "`limit` also `more`"},
      {"step", {{"consumer", true}}, true, false, &S::DoStep,
       "that consumer processes exactly its next pending durable event",
       "`event`, or null if none pending"},
      {"add_consumer", {{"consumer", true}, {"mode", false}}, true, false, &S::DoAddConsumer,
       "add a consumer (a spec) by `\"snapshot\"` (default) or `\"replay\"`",
       "`position`; with snapshot also `snapshot`: the `r` events applied (all, or as many as "
       "the caller lists: the page 20), and `snapshot_rows`: how many"},
      {"remove_consumer", {{"consumer", true}}, false, false, &S::DoRemoveConsumer,
       "forget a consumer", ""},
      {"rebuild", {{"consumer", true}}, true, false, &S::DoRebuild,
       "discard a consumer's state and re-derive it by a fresh snapshot; position = storage LSN",
       "`position`, `snapshot`, `snapshot_rows` (as `add_consumer`)"},
      {"query",
       {{"consumer", true}, {"fetch", false}, {"as_of", false}, {"min_position", false},
        {"fallback", false}},
       false, true, &S::DoQuery,
       "ask a derived system as it is now (stale if it lags; answers while the database is "
       "down); with `\"fetch\": true` a secondary index's keys are fetched from storage; with "
       "`\"as_of\": \"storage\"` a fresh derivation from storage answers instead; with "
       "`min_position` (read-your-writes: the LSN of your write) it answers only once the "
       "consumer's position has reached it, else `ready` is false, or with `\"fallback\": "
       "\"storage\"` storage answers",
       "`result`; with fetch [{`key`, `value`, `stale`}]; with `min_position` also `ready`, "
       "`position`, `answered_by` (`consumer`, `storage` or null)"},
      {"configure", {{"commit", false}, {"recovery", false}, {"dedupe_requests", false}}, false,
       false, &S::DoConfigure,
       "`commit`: `\"sync\"` (default) or `\"async\"`; `recovery`: `\"point_in_time\"` (default), "
       "`\"absolute\"` or `\"skip\"`; `dedupe_requests`: true answers a write whose "
       "`request_id` was applied before with the first write's result (default false)",
       "`commit`, `recovery`, `dedupe_requests`: the modes now in force"},
      {"sync", {}, true, false, &S::DoSync, "make every written log byte durable (fsync)",
       "`durable`: the highest durable LSN"},
      {"crash", {{"kind", true}, {"torn_bytes", false}}, true, false, &S::DoCrash,
       "crash the database: `\"process\"` loses memory (storage), written bytes survive; "
       "`\"power\"` keeps only synced bytes plus `torn_bytes` of the unsynced tail",
       "`kind`, `surviving_bytes`"},
      {"recover", {{"recovery", false}}, false, false, &S::DoRecover,
       "read the log file from its first byte, verify every record, cut a torn tail, load the "
       "last checkpoint's storage image (if any) and replay the log after it into storage; "
       "`recovery` overrides the configured mode once",
       "`recovered`, `replayed`, `discarded_bytes`, `corruption`, `problems`, `lost`, "
       "`survived_unacknowledged`, `ahead`, `mode`, `checkpoint` (its LSN or null), "
       "`without_checkpoint`: {`replayed`, `complete`}: what a replay of the whole log would "
       "have been, `checkpoint_unused` (why not, if not: a checkpoint past the recovered log's "
       "end, when damage stopped the replay before its LSN, is dropped, since it holds writes the "
       "log lost and new writes take their LSNs)"},
      {"corrupt", {{"lsn", true}, {"byte", false}}, false, false, &S::DoCorrupt,
       "flip one byte of that durable record on disk (bit rot; `byte`: its index in the record, "
       "default the middle of the payload); noticed only by the next recovery",
       "`lsn`, `offset`, `byte`, `was`, `now`"},
      {"checkpoint", {}, true, false, &S::DoCheckpoint,
       "a database checkpoint: sync the log and write a storage image tagged with the storage "
       "LSN; recovery then loads it and replays only the log after it",
       "`lsn`, `rows`, `log_entries` and `replay_entries`: what a recovery would replay without "
       "and with the image"},
      {"truncate", {{"before", true}, {"force", false}}, true, false, &S::DoTruncate,
       "remove the log entries with LSN < `before` (PostgreSQL recycling WAL); refused past the "
       "last checkpoint's LSN + 1, and while a consumer's committed position is < `before` - 1 "
       "(a replication slot pinning WAL) unless `\"force\": true` (max_slot_wal_keep_size), "
       "which puts those consumers out of range",
       "`removed`: the LSNs, `bytes_before`, `bytes_after`, `out_of_range`: the consumers it put out of range (not those that already were)"},
      {"compact", {{"upto", true}, {"tombstones_before", false}}, true, false, &S::DoCompact,
       "Kafka log compaction: among the entries with LSN <= `upto` (durable), keep only the newest "
       "of each key, and drop deletes with LSN < `tombstones_before` (delete.retention.ms); "
       "removed LSNs become gaps",
       "`removed`: the LSNs, `bytes_before`, `bytes_after`, `dropped_tombstones`: [{`key`, "
       "`lsn`}], `missed_deletes`: [{`consumer`, `key`}]"},
      {"commit", {{"consumer", true}}, false, false, &S::DoCommit,
       "that consumer saves its position now (a Kafka offset commit)", "`committed`"},
      {"crash_consumer", {{"consumer", true}}, false, false, &S::DoCrashConsumer,
       "that consumer loses what it had not committed and restarts from its committed position",
       "`rewound_to`, `redeliver`: events that will be delivered again, `out_of_range`: whether "
       "a truncation removed the events after its commit"},
      {"verify", {}, true, false, &S::DoVerify,
       "check every consumer against a fresh one of the same spec built by a snapshot of storage "
       "as it stood at the consumer's position (retention's removed entries are kept for this "
       "check only)",
       "`consistent`, `consumers`: [{`name`, `consistent`, `reason`, `differences`}]"},
      {"expect",
       {{"head", false}, {"down", false}, {"key", false}, {"value", false}, {"lsn", false},
        {"entry", false}, {"event", false}, {"consumer", false}, {"position", false},
        {"lag", false}, {"committed", false}, {"consistent", false}, {"query", false},
        {"result", false}, {"reason_includes", false}, {"out_of_range", false},
        {"state_store_rows", false}, {"log_entries", false}, {"log_start", false},
        {"pinned_by", false}},
       false, false, &S::DoExpect, "check the state (see `expect` below); changes nothing",
       "nothing, or an error saying what differs"},
      {"predict",
       {{"prompt", true}, {"ask", true}, {"answer", true}, {"choices", false}, {"why", false},
        {"key", false}, {"lsn", false}, {"consumer", false}, {"query", false}},
       false, false, &S::DoPredict,
       "a question for the student before the answer is shown (see `predict` below): `ask` names "
       "what, in `expect`'s words; the lesson's `answer` is checked against the engine, so a "
       "stale one fails; changes nothing",
       "`actual`: the engine's value"},
  };
  return *kTable;
}

const std::vector<OpSpec>& Ops() { return Simulator::OpTable(); }

const OpSpec* FindOp(const std::string& name) {
  for (const auto& op : Ops()) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

std::string OpNames() {
  std::string list;
  for (const auto& op : Ops()) list += (list.empty() ? "" : ", ") + op.name;
  return list;
}

Json OpsJson() {
  Json ops = Json::array();
  for (const auto& op : Ops()) {
    Json fields = Json::array();
    for (const auto& f : op.fields) fields.push_back({{"name", f.name}, {"required", f.required}});
    ops.push_back({{"name", op.name},
                   {"fields", std::move(fields)},
                   {"needs_database", op.needs_database},
                   {"summary", op.summary},
                   {"result", op.result}});
  }
  return ops;
}

std::string OpsMarkdown() {
  std::string md =
      "| op | fields | while down | effect | result (besides `\"ok\": true`) |\n"
      "|---|---|---|---|---|\n";
  for (const auto& op : Ops()) {
    std::string fields;
    for (const auto& f : op.fields) {
      fields += (fields.empty() ? "" : ", ") + std::string("`") + f.name + "`" +
                (f.required ? "" : "?");
    }
    if (op.passes_other_fields) fields += ", the type's query field";
    md += "| `" + op.name + "` | " + fields + " | " + (op.needs_database ? "refused" : "works") +
          " | " + op.summary + " | " + op.result + " |\n";
  }
  return md;
}

// ---------------------------------------------------------------- specs

Status ParseConsumerSpec(const Json& spec, const std::string& field, ConsumerSpec* out) {
  if (!spec.is_object()) {
    return Status::Invalid(field, "must be an object like {\"name\": ..., \"type\": ...}");
  }
  ConsumerSpec parsed;
  auto name = spec.find("name");
  if (name == spec.end() || !name->is_string()) {
    return Status::Invalid(field + ".name", "must be a string");
  }
  auto type = spec.find("type");
  if (type == spec.end() || !type->is_string()) {
    return Status::Invalid(field + ".type",
                           "must be one of secondary_index, materialized_view, full_text");
  }
  parsed.name = name->get<std::string>();
  parsed.type = type->get<std::string>();
  // The fields a derived system reads are field names of values, so they
  // share a value's field-name limit (a longer one could never match).
  for (const char* config : {"field", "fields", "group_by", "sum"}) {
    auto it = spec.find(config);
    if (it == spec.end()) continue;
    const bool list = it->is_array();
    for (std::size_t i = 0; i < (list ? it->size() : 1); ++i) {
      const Json& one = list ? (*it)[i] : *it;
      if (one.is_string() && one.get_ref<const std::string&>().size() > kMaxFieldNameBytes) {
        return Status::Invalid(field + "." + config + (list ? "[" + std::to_string(i) + "]" : ""),
                               "must be at most " + std::to_string(kMaxFieldNameBytes) +
                                   " bytes, the limit for a field name (got " +
                                   std::to_string(one.get_ref<const std::string&>().size()) + ")");
      }
    }
  }
  Status s;
  if (spec.contains("offsets")) {
    std::string offsets;
    if (!GetChoice(spec, "offsets", {"with_state", "separate"}, &offsets).ok()) {
      return Status::Invalid(field + ".offsets", "must be one of \"with_state\", \"separate\" (got " +
                                                     spec["offsets"].dump() + ")");
    }
    parsed.offsets = offsets == "separate" ? OffsetStorage::kSeparate : OffsetStorage::kWithState;
  }
  if (spec.contains("commit_every")) {
    const Json& n = spec["commit_every"];
    if (!n.is_number_integer() || n.get<std::int64_t>() < 1 ||
        n.get<std::int64_t>() > static_cast<std::int64_t>(kMaxCommitEvery)) {
      return Status::Invalid(field + ".commit_every", "must be a whole number from 1 to " +
                                                          std::to_string(kMaxCommitEvery) +
                                                          " (got " + n.dump() + ")");
    }
    parsed.commit_every = n.get<std::size_t>();
  }
  if (spec.contains("apply")) {
    std::string apply;
    if (!GetChoice(spec, "apply", {"delta", "upsert"}, &apply).ok()) {
      return Status::Invalid(field + ".apply", "must be one of \"delta\", \"upsert\" (got " +
                                                   spec["apply"].dump() + ")");
    }
    parsed.apply = apply == "upsert" ? ApplyMode::kUpsert : ApplyMode::kDelta;
  }
  if (spec.contains("feed")) {
    std::string feed;
    if (!GetChoice(spec, "feed", {"log", "direct"}, &feed).ok()) {
      return Status::Invalid(field + ".feed", "must be one of \"log\", \"direct\" (got " +
                                                  spec["feed"].dump() + ")");
    }
    parsed.direct = feed == "direct";
    if (parsed.direct) {
      if (spec.contains("apply") && parsed.apply != ApplyMode::kUpsert) {
        return Status::Invalid(field + ".apply",
                               "must be \"upsert\" for a direct consumer: the application "
                               "sends it no before image, so it keeps its own copy of each row");
      }
      if (spec.contains("offsets") || spec.contains("commit_every")) {
        return Status::Invalid(field + ".feed", "a direct consumer reads no log, so it has no "
                                                "offsets or commit_every");
      }
      parsed.apply = ApplyMode::kUpsert;
    }
  }
  for (const auto& [k, v] : spec.items()) {
    if (k != "name" && k != "type" && k != "offsets" && k != "commit_every" && k != "apply" &&
        k != "feed") {
      parsed.config[k] = v;
    }
  }
  *out = std::move(parsed);
  return Status::OK();
}

Json ConsumerSpecJson(const ConsumerSpec& spec) {
  Json j = spec.config;
  j["name"] = spec.name;
  j["type"] = spec.type;
  if (spec.offsets != OffsetStorage::kWithState) j["offsets"] = OffsetStorageName(spec.offsets);
  if (spec.commit_every != 1) j["commit_every"] = spec.commit_every;
  if (spec.direct) {
    j["feed"] = "direct";
  } else if (spec.apply != ApplyMode::kDelta) {
    j["apply"] = ApplyModeName(spec.apply);
  }
  return j;
}

// ---------------------------------------------------------------- dispatch

namespace {

// What a page needs to redraw after a step: positions and flags of each
// consumer, and the log's and storage's ends.
struct Marks {
  Lsn head = 0, storage = 0, durable = 0;
  std::size_t log_bytes = 0, synced_bytes = 0, consumers = 0;
  bool down = false;
  std::vector<std::tuple<std::string, Lsn, Lsn, bool, std::size_t>> each;
};

Marks MarksOf(const Engine& engine) {
  Marks m;
  m.head = engine.wal().head();
  m.storage = engine.storage().lsn();
  m.durable = engine.wal().durable_lsn();
  m.log_bytes = engine.wal().file().size();
  m.synced_bytes = engine.wal().file().synced();
  m.down = engine.down();
  for (const auto& c : engine.consumers()) {
    m.each.emplace_back(c->name(), c->position(), c->committed(), c->ahead(), c->processed());
  }
  return m;
}

// {"lsns": [first, last] | null, "keys": [...], "consumers": [...], "all": bool}
Json Touched(const Json& step, const Marks& before, const Marks& after) {
  Json t = {{"lsns", nullptr}, {"keys", Json::array()}, {"consumers", Json::array()}};
  if (after.head > before.head) t["lsns"] = {before.head + 1, after.head};
  const std::string op = step["op"].get<std::string>();
  if ((op == "put" || op == "delete") && after.head > before.head) t["keys"].push_back(step["key"]);
  std::set<std::string> old;
  for (const auto& e : before.each) old.insert(std::get<0>(e));
  for (const auto& e : after.each) {
    bool changed = !old.count(std::get<0>(e));
    for (const auto& b : before.each) {
      if (std::get<0>(b) == std::get<0>(e)) changed = changed || b != e;
    }
    if (changed) t["consumers"].push_back(std::get<0>(e));
  }
  // Steps that can change any entry, row or event: a crash, a recovery, a
  // flipped byte, a replay of storage, a removed consumer.
  t["all"] = before.down != after.down || after.head < before.head ||
             after.log_bytes < before.log_bytes || op == "corrupt" || op == "replay_storage" ||
             before.each.size() > after.each.size() ||
             (after.storage != before.storage && after.head == before.head);
  return t;
}

}  // namespace

Json Simulator::Apply(const Json& step) { return ApplyStep(step, nullptr); }

Json Simulator::ApplyStep(const Json& step, std::optional<std::vector<Lsn>>* removed) {
  Json result = Json::object();
  Status s;
  removed_out_ = removed;
  struct Reset {
    std::optional<std::vector<Lsn>>** out;
    ~Reset() { *out = nullptr; }
  } reset{&removed_out_};
  try {
    const Marks before = MarksOf(engine_);
    s = Dispatch(step, &result);
    if (s.ok()) result["touched"] = Touched(step, before, MarksOf(engine_));
  } catch (const std::bad_alloc&) {
    throw;  // out of memory is the caller's to handle (the wasm boundary reports it)
  } catch (const std::exception& e) {
    // Handlers validate before they mutate, so nothing has changed; this is
    // a last line of defence that keeps exceptions inside the core.
    s = Status::Invalid("step", std::string("internal error: ") + e.what());
  }
  if (!s.ok()) return {{"ok", false}, {"error", s.message()}};
  result["ok"] = true;
  return result;
}

bool Simulator::Replay(const Json& step) {
  Json result = Json::object();
  quiet_ = true;
  Status s;
  try {
    s = Dispatch(step, &result);
  } catch (const std::bad_alloc&) {
    quiet_ = false;
    throw;
  } catch (const std::exception& e) {
    s = Status::Invalid("step", std::string("internal error: ") + e.what());
  }
  quiet_ = false;
  return s.ok();
}

namespace {

// Reads a step's text under the limits (core/user_json.h: nothing deeper
// than kMaxJsonDepth reaches the handlers, whose dump and copy recurse) and
// writes `answer`'s result for it, or the reading's error, as text.
template <typename Answer>
std::string AnswerStepText(const std::string& step_json, Answer answer,
                           const std::optional<std::vector<Lsn>>* removed = nullptr) {
  Json step;
  Status parsed = ParseUserJson(step_json, "step", &step);
  // A key quoted in a message need not be UTF-8: replace those bytes
  // rather than fail to serialize (found by fuzz_step).
  const Json result = parsed.ok() ? answer(step) : Json{{"ok", false}, {"error", parsed.message()}};
  if (removed == nullptr || !removed->has_value() || !result.value("ok", false)) {
    return result.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  // The result with its "removed" LSNs, the bytes dump() would write of it
  // with them in it: its members in name order, the list in its place.
  JsonText out;
  out.BeginObject();
  bool listed = false;
  auto list = [&out, &listed, &removed]() {
    out.Key("removed");
    out.BeginArray();
    for (Lsn lsn : **removed) out.Uint(lsn);
    out.EndArray();
    listed = true;
  };
  for (const auto& [name, value] : result.items()) {
    if (!listed && name > "removed") list();
    out.Member(name, value);
  }
  if (!listed) list();
  out.EndObject();
  return out.Release();
}

}  // namespace

std::string Simulator::Apply(const std::string& step_json) {
  std::optional<std::vector<Lsn>> removed;
  return AnswerStepText(
      step_json, [this, &removed](const Json& step) { return ApplyStep(step, &removed); }, &removed);
}

std::string Simulator::Prepare(const std::string& step_json) {
  return AnswerStepText(step_json, [this](const Json& step) { return Prepare(step); });
}

Status Simulator::Dispatch(const Json& step, Json* result) {
  const OpSpec* op = nullptr;
  Status s = Check(step, &op);
  // Work prepared for a recover, replay_storage, verify, truncate, compact,
  // add_consumer or rebuild step is for that step: any other could change
  // what it read. Such a step takes it if it is for it; a step taken leaves
  // none behind.
  if (op == nullptr || !Preparable(*op)) engine_.DropPrepared();
  if (!s.ok()) return s;
  written_value_bytes_.reset();
  s = (this->*(op->handler))(step, result);
  if (!s.ok()) return s;
  engine_.DropPrepared();
  meter_.Charge(step, written_value_bytes_);
  return s;
}

Status Simulator::Check(const Json& step, const OpSpec** found) const {
  if (!step.is_object()) return Status::Invalid("step", "must be a JSON object");
  std::string name;
  Status s = GetString(step, "op", &name);
  if (!s.ok()) return s;
  const OpSpec* op = FindOp(name);
  if (op == nullptr) {
    return Status::Invalid("op", "unknown op '" + name + "' (expected one of " + OpNames() + ")");
  }
  if (step.contains("note") && !step["note"].is_string()) {
    return Status::Invalid("note", "must be a string");
  }
  if (step.contains("note") && step["note"].get_ref<const std::string&>().size() > kMaxNoteBytes) {
    return Status::Invalid("note", "must be at most " + std::to_string(kMaxNoteBytes) + " bytes (got " +
                                       std::to_string(step["note"].get_ref<const std::string&>().size()) + ")");
  }
  // A lesson step that shows a refusal says so: the text its error must
  // contain. The step runs as any other (a refused step changes nothing);
  // the scenario runner checks the refusal.
  if (step.contains("refused") && !step["refused"].is_string()) {
    return Status::Invalid("refused", "must be a string (text the step's error must contain)");
  }
  for (const auto& [field, value] : step.items()) {
    if (field == "op" || field == "note" || field == "refused" || op->passes_other_fields) continue;
    bool known = false;
    for (const auto& f : op->fields) known = known || f.name == field;
    if (!known) return Status::Invalid(field, "unknown field for op '" + name + "'");
  }
  *found = op;
  if (op->needs_database && engine_.down()) return DatabaseDown();
  // The session's length and work (core/limits.h), counted as a file's or
  // link's steps are counted before they run, so that any session this
  // simulator holds can be opened again.
  if (!(s = meter_.Check(step, "session")).ok()) return s;
  // A crash, or a write that crashes on the way, leaves the database down
  // until a recover: taken only if that recover fits in the work.
  bool crashes = name == "crash";
  for (const auto& f : op->fields) crashes = crashes || (f.name == "crash" && step.contains("crash"));
  if (crashes) return meter_.CheckRecoveryAfter(step, "session");
  return Status::OK();
}

namespace {

Json ProgressJson(const PrepareProgress& p) {
  return {{"ok", true}, {"done", p.done}, {"phase", p.phase}, {"at", p.at}, {"of", p.of}};
}

// A recover step's `recovery`, which overrides the configured mode once:
// *mode is set and *override_mode points at it, or stays null without one.
Status ReadRecoveryOverride(const Json& step, RecoveryMode* mode,
                            const RecoveryMode** override_mode) {
  *override_mode = nullptr;
  if (!step.contains("recovery")) return Status::OK();
  std::string r;
  Status s = GetChoice(step, "recovery", {"point_in_time", "absolute", "skip"}, &r);
  if (!s.ok()) return s;
  ParseRecoveryMode(r, mode);
  *override_mode = mode;
  return Status::OK();
}

// A truncate step's fields, and a compact step's.
Status ReadTruncate(const Json& step, std::uint64_t* before, bool* force) {
  Status s;
  if (!(s = GetCount(step, "before", std::numeric_limits<std::int64_t>::max(), before)).ok()) {
    return s;
  }
  *force = false;
  if (step.contains("force")) {
    if (!step["force"].is_boolean()) return Status::Invalid("force", "must be true or false");
    *force = step["force"].get<bool>();
  }
  return Status::OK();
}

Status ReadCompact(const Json& step, std::uint64_t* upto, std::uint64_t* tombstones_before) {
  Status s;
  constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (!(s = GetCount(step, "upto", kMax, upto)).ok()) return s;
  *tombstones_before = 0;
  if (step.contains("tombstones_before") &&
      !(s = GetCount(step, "tombstones_before", kMax, tombstones_before)).ok()) {
    return s;
  }
  return Status::OK();
}

}  // namespace

bool Simulator::Preparable(const OpSpec& op) {
  return op.handler == &Simulator::DoRecover || op.handler == &Simulator::DoReplayStorage ||
         op.handler == &Simulator::DoVerify || op.handler == &Simulator::DoTruncate ||
         op.handler == &Simulator::DoCompact || op.handler == &Simulator::DoAddConsumer ||
         op.handler == &Simulator::DoRebuild;
}

Json Simulator::Prepare(const Json& step) {
  Status s;
  try {
    engine_.DropPrepared();
    const OpSpec* op = nullptr;
    s = Check(step, &op);
    if (s.ok() && op->handler == &Simulator::DoRecover) {
      RecoveryMode mode;
      const RecoveryMode* override_mode = nullptr;
      s = ReadRecoveryOverride(step, &mode, &override_mode);
      if (s.ok()) s = engine_.PrepareRecover(override_mode);
    } else if (s.ok() && op->handler == &Simulator::DoReplayStorage) {
      s = engine_.PrepareReplayStorage();
    } else if (s.ok() && op->handler == &Simulator::DoVerify) {
      s = engine_.PrepareVerify();
    } else if (s.ok() && op->handler == &Simulator::DoTruncate) {
      std::uint64_t before = 0;
      bool force = false;
      if ((s = ReadTruncate(step, &before, &force)).ok()) s = engine_.PrepareTruncate(before, force);
    } else if (s.ok() && op->handler == &Simulator::DoCompact) {
      std::uint64_t upto = 0, tombstones_before = 0;
      if ((s = ReadCompact(step, &upto, &tombstones_before)).ok()) {
        s = engine_.PrepareCompact(upto, tombstones_before);
      }
    } else if (s.ok() && op->handler == &Simulator::DoAddConsumer) {
      ConsumerSpec spec;
      JoinMode mode = JoinMode::kSnapshot;
      if ((s = ReadAddConsumer(step, &spec, &mode)).ok()) {
        s = mode == JoinMode::kSnapshot
                ? engine_.PrepareAddConsumer(spec)
                : Status::Invalid("mode", "only a consumer added by \"snapshot\" is prepared in "
                                          "parts: one added by \"replay\" reads nothing as it joins");
      }
    } else if (s.ok() && op->handler == &Simulator::DoRebuild) {
      std::string consumer;
      if ((s = GetString(step, "consumer", &consumer)).ok()) s = engine_.PrepareRebuild(consumer);
    } else if (s.ok()) {
      s = Status::Invalid("op", "only a recover, replay_storage, verify, truncate, compact, "
                                "add_consumer or rebuild step is prepared in parts (got '" +
                                    step["op"].get<std::string>() + "')");
    }
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    s = Status::Invalid("step", std::string("internal error: ") + e.what());
  }
  if (!s.ok()) return {{"ok", false}, {"error", s.message()}};
  return ProgressJson(engine_.AdvancePrepared(0));
}

Json Simulator::AdvancePrepared(std::size_t budget) {
  if (!engine_.has_prepared()) {
    return {{"ok", false},
            {"error", "prepare: no step is being prepared (prepare a recover, replay_storage, "
                      "verify, truncate, compact, add_consumer or rebuild step first; any other "
                      "step drops what was prepared)"}};
  }
  return ProgressJson(engine_.AdvancePrepared(budget));
}

// ---------------------------------------------------------------- handlers

namespace {

// put, delete and insert: the key (or prefix) in `field`, the value when
// the op takes one, the write options, then `write`, and its result.
template <typename Write>
Status WriteStep(const Json& step, const char* field, bool takes_value, bool quiet, Json* result,
                 Write write) {
  std::string name;
  Status s;
  if (!(s = GetString(step, field, &name)).ok()) return s;
  if (takes_value && !step.contains("value")) return Status::Invalid("value", "is required");
  WriteOptions options;
  if (!(s = WriteOptionsFrom(step, &options)).ok()) return s;
  WriteResult w;
  if (!(s = write(name, options, &w)).ok()) return s;
  if (!quiet) WriteResultJson(w, options, result);
  return Status::OK();
}

}  // namespace

void Simulator::NoteWrittenValue(const WriteResult& w) {
  if (w.written && w.event.after) written_value_bytes_ = w.event.after->text().size();
}

Status Simulator::DoPut(const Json& step, Json* result) {
  return WriteStep(step, "key", true, quiet_, result,
                   [&](const std::string& key, const WriteOptions& options, WriteResult* w) {
                     Status s = engine_.Put(key, step["value"], options, w);
                     NoteWrittenValue(*w);
                     return s;
                   });
}

namespace {

// SplitMix64: a tiny, well-mixed generator that gives the same numbers in
// every build (native and wasm), so a put_random step replays exactly.
std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

Status Simulator::ReadBulkStep(const Json& step, BulkStep* out) {
  BulkStep bulk;
  Status s;
  if (!(s = GetCount(step, "count", kMaxBulkDocuments, &bulk.count, 1)).ok()) return s;
  if (step.contains("seed") &&
      !(s = GetCount(step, "seed", std::numeric_limits<std::int64_t>::max(), &bulk.seed)).ok()) {
    return s;
  }
  bulk.keys = bulk.count;
  if (step.contains("keys") && !(s = GetCount(step, "keys", kMaxBulkKeys, &bulk.keys, 1)).ok()) {
    return s;
  }
  if (step.contains("from") && !(s = GetCount(step, "from", kMaxBulkFrom, &bulk.from)).ok()) {
    return s;
  }
  *out = bulk;
  return Status::OK();
}

Status Simulator::DoPutRandom(const Json& step, Json* result) {
  static const char* kFirst[] = {"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald",
                                 "Frances", "John", "Leslie", "Margaret", "Niklaus", "Radia"};
  static const char* kLast[] = {"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth",
                                "Allen", "Backus", "Lamport", "Hamilton", "Wirth", "Perlman"};
  static const char* kCities[] = {"London", "Paris", "Oslo", "Lagos", "Lima", "Pune", "Kyoto",
                                  "Perth"};
  BulkStep bulk;
  Status s = ReadBulkStep(step, &bulk);
  if (!s.ok()) return s;
  const Lsn first = engine_.wal().head() + 1;
  // Each document is written as its stored form (fields in name order, no
  // spaces), which the engine logs as it is.
  std::string doc, key;
  for (std::uint64_t i = bulk.from; i < bulk.from + bulk.count; ++i) {
    const std::uint64_t r = SplitMix(bulk.seed * 0x100000001B3ULL + i);
    doc.assign("{\"age\":").append(std::to_string(18 + (r >> 24) % 70));
    doc.append(",\"city\":\"").append(kCities[(r >> 16) % 8]);
    doc.append("\",\"name\":\"").append(kFirst[r % 12]).append(" ").append(kLast[(r >> 8) % 12]);
    doc.append("\"}");
    key.assign("r").append(std::to_string((r >> 32) % bulk.keys));
    WriteResult w;
    s = engine_.PutText(key, doc, WriteOptions(), &w);
    if (!s.ok()) return s;  // cannot happen: generated keys and documents are valid
  }
  (*result)["written"] = bulk.count;
  (*result)["first"] = first;
  (*result)["last"] = engine_.wal().head();
  return Status::OK();
}

Status Simulator::DoDelete(const Json& step, Json* result) {
  return WriteStep(step, "key", false, quiet_, result,
                   [&](const std::string& key, const WriteOptions& options, WriteResult* w) {
                     return engine_.Delete(key, options, w);
                   });
}

Status Simulator::DoInsert(const Json& step, Json* result) {
  return WriteStep(step, "prefix", true, quiet_, result,
                   [&](const std::string& prefix, const WriteOptions& options, WriteResult* w) {
                     Status s = engine_.Insert(prefix, step["value"], options, w);
                     NoteWrittenValue(*w);
                     return s;
                   });
}

Status Simulator::DoDirectWrite(const Json& step, Json* result) {
  std::string client;
  Status s;
  if (!(s = GetString(step, "client", &client)).ok()) return s;
  PendingDirect sent;
  std::vector<std::string> to;
  if (!(s = engine_.DirectWrite(client, &sent, &to)).ok()) return s;
  *result = PendingJson(sent);
  (*result)["to"] = to;
  auto it = engine_.clients().find(client);
  (*result)["waiting"] = it == engine_.clients().end() ? 0 : it->second.size();
  return Status::OK();
}

Status Simulator::DoCrashClient(const Json& step, Json* result) {
  std::string client;
  Status s;
  if (!(s = GetString(step, "client", &client)).ok()) return s;
  std::vector<PendingDirect> lost;
  if (!(s = engine_.CrashClient(client, &lost)).ok()) return s;
  Json out = Json::array();
  for (const auto& w : lost) out.push_back(PendingJson(w));
  (*result)["lost"] = std::move(out);
  return Status::OK();
}

Status Simulator::DoGet(const Json& step, Json* result) {
  std::string key;
  Status s;
  if (!(s = GetString(step, "key", &key)).ok()) return s;
  const Doc* value = nullptr;
  if (!(s = engine_.Get(key, &value)).ok()) return s;
  (*result)["value"] = value == nullptr ? Json(nullptr) : value->ToJson();
  return Status::OK();
}

Status Simulator::DoScan(const Json& step, Json* result) {
  std::string prefix;
  Status s;
  if (!(s = GetString(step, "prefix", &prefix)).ok()) return s;
  if (prefix.size() > kMaxKeyBytes || !IsValidUtf8(prefix)) {
    return Status::Invalid("prefix", "must be valid UTF-8 of at most " +
                                         std::to_string(kMaxKeyBytes) + " bytes");
  }
  std::uint64_t limit = kDefaultScanLimit;
  if (step.contains("limit")) {
    if (!(s = GetCount(step, "limit", kMaxScanLimit, &limit)).ok()) return s;
    if (limit == 0) return Status::Invalid("limit", "must be at least 1");
  }
  std::vector<std::pair<std::string, const Doc*>> rows;
  bool more = false;
  if (!(s = engine_.Scan(prefix, static_cast<std::size_t>(limit), &rows, &more)).ok()) return s;
  Json out = Json::array();
  for (const auto& [key, value] : rows) out.push_back({{"key", key}, {"value", value->ToJson()}});
  (*result)["rows"] = std::move(out);
  (*result)["more"] = more;
  (*result)["lsn"] = engine_.storage().lsn();
  return Status::OK();
}

Status Simulator::DoReplayStorage(const Json&, Json* result) {
  std::size_t replayed = 0;
  Status s = engine_.ReplayStorage(&replayed);
  if (!s.ok()) return s;
  (*result)["replayed"] = replayed;
  (*result)["lsn"] = engine_.storage().lsn();
  return Status::OK();
}

Status Simulator::DoFlush(const Json& step, Json* result) {
  std::size_t delivered = 0;
  Status s;
  std::uint64_t limit = SIZE_MAX;
  if (step.contains("limit")) {
    if (!(s = GetCount(step, "limit", std::numeric_limits<std::int64_t>::max(), &limit)).ok()) return s;
    if (limit == 0) return Status::Invalid("limit", "must be at least 1");
  }
  bool more = false;
  const std::size_t lim = static_cast<std::size_t>(std::min<std::uint64_t>(limit, SIZE_MAX));
  if (step.contains("consumer")) {
    std::string consumer;
    if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
    if (!(s = engine_.Flush(consumer, &delivered, lim, &more)).ok()) return s;
  } else {
    std::vector<std::pair<std::string, std::string>> refused;
    if (!(s = engine_.FlushAll(&delivered, &refused, lim, &more)).ok()) return s;
    if (!refused.empty()) {
      Json r = Json::object();
      for (const auto& [name, why] : refused) r[name] = why;
      (*result)["refused"] = std::move(r);
    }
  }
  (*result)["delivered"] = delivered;
  if (step.contains("limit")) (*result)["more"] = more;
  return Status::OK();
}

Status Simulator::DoStep(const Json& step, Json* result) {
  std::string consumer;
  Status s;
  if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
  std::optional<ChangeEvent> event;
  if (!(s = engine_.Step(consumer, &event)).ok()) return s;
  (*result)["event"] = event ? ToJson(*event) : Json(nullptr);
  return Status::OK();
}

Status Simulator::ReadAddConsumer(const Json& step, ConsumerSpec* parsed, JoinMode* mode) const {
  if (!step.contains("consumer")) return Status::Invalid("consumer", "is required");
  Status s;
  if (!(s = ParseConsumerSpec(step["consumer"], "consumer", parsed)).ok()) return s;
  *mode = JoinMode::kSnapshot;
  if (step.contains("mode")) {
    const Json& m = step["mode"];
    if (m == "replay") {
      *mode = JoinMode::kReplay;
    } else if (m != "snapshot") {
      return Status::Invalid("mode", "must be \"snapshot\" or \"replay\" (got " + m.dump() + ")");
    }
  }
  if (engine_.consumers().size() >= kMaxConsumers) {
    return Status::Invalid("consumer", "there are already " + std::to_string(kMaxConsumers) +
                                           " consumers, the most a session may have: remove one first");
  }
  return Status::OK();
}

Status Simulator::DoAddConsumer(const Json& step, Json* result) {
  ConsumerSpec parsed;
  JoinMode mode = JoinMode::kSnapshot;
  Status s = ReadAddConsumer(step, &parsed, &mode);
  if (!s.ok()) return s;
  std::vector<ChangeEvent> snapshot;
  Lsn position = 0;
  if (!(s = engine_.AddConsumer(parsed, mode, quiet_ ? nullptr : &snapshot, &position,
                                snapshot_listed_))
           .ok()) {
    return s;
  }
  (*result)["position"] = position;
  if (mode == JoinMode::kSnapshot && !quiet_) {
    (*result)["snapshot"] = EventsToJson(snapshot);
    (*result)["snapshot_rows"] = engine_.consumers().back()->snapshot_rows();
  }
  return Status::OK();
}

Status Simulator::DoRemoveConsumer(const Json& step, Json*) {
  std::string consumer;
  Status s;
  if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
  return engine_.RemoveConsumer(consumer);
}

Status Simulator::DoRebuild(const Json& step, Json* result) {
  std::string consumer;
  Status s;
  if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
  std::vector<ChangeEvent> snapshot;
  Lsn position = 0;
  if (!(s = engine_.Rebuild(consumer, quiet_ ? nullptr : &snapshot, &position, snapshot_listed_))
           .ok()) {
    return s;
  }
  (*result)["position"] = position;
  if (!quiet_) {
    (*result)["snapshot"] = EventsToJson(snapshot);
    (*result)["snapshot_rows"] = engine_.FindConsumer(consumer)->snapshot_rows();
  }
  return Status::OK();
}

Status Simulator::DoQuery(const Json& step, Json* result) {
  std::string consumer;
  Status s;
  if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
  Json query = Json::object();
  for (const auto& [name, value] : step.items()) {
    if (name != "op" && name != "note" && name != "refused" && name != "consumer" &&
        name != "fetch" && name != "as_of" && name != "min_position" && name != "fallback") {
      query[name] = value;
    }
  }
  // Read-your-writes: the caller names the LSN its own write got.
  std::optional<Lsn> min_position;
  if (step.contains("min_position")) {
    std::uint64_t lsn = 0;
    if (!(s = GetCount(step, "min_position", UINT64_MAX, &lsn)).ok()) return s;
    min_position = lsn;
  }
  bool fallback = false;
  if (step.contains("fallback")) {
    if (step["fallback"] != "storage") {
      return Status::Invalid("fallback", "must be \"storage\": who answers when the consumer "
                                         "has not reached min_position");
    }
    if (!min_position) return Status::Invalid("fallback", "goes with min_position");
    fallback = true;
  }
  bool fetch = false;
  if (step.contains("fetch")) {
    if (!step["fetch"].is_boolean()) return Status::Invalid("fetch", "must be true or false");
    fetch = step["fetch"].get<bool>();
  }
  bool fresh = false;
  if (step.contains("as_of")) {
    if (step["as_of"] != "consumer" && step["as_of"] != "storage") {
      return Status::Invalid("as_of", "must be \"consumer\" (the default: the consumer as it is, "
                                      "stale if it lags) or \"storage\" (a fresh derivation "
                                      "from storage now)");
    }
    fresh = step["as_of"] == "storage";
    if (fresh && fetch) return Status::Invalid("as_of", "\"storage\" cannot be combined with fetch");
    if (fresh && min_position) {
      return Status::Invalid("min_position", "goes with a consumer's answer, not \"as_of\": "
                                             "\"storage\" (which is always up to date)");
    }
  }
  if (min_position) {
    const Consumer* c = engine_.FindConsumer(consumer);
    if (c == nullptr) return UnknownConsumer(consumer);
    (*result)["position"] = c->position();
    (*result)["min_position"] = *min_position;
    if (c->position() < *min_position) {
      (*result)["ready"] = false;
      if (!fallback) {
        (*result)["answered_by"] = nullptr;
        (*result)["result"] = nullptr;
        (*result)["reason"] = "'" + consumer + "' is at position " +
                              std::to_string(c->position()) + ", before LSN " +
                              std::to_string(*min_position) +
                              ": its answer would not include that write yet (flush or step "
                              "it, or read with \"fallback\": \"storage\")";
        return Status::OK();
      }
      fresh = true;
    } else {
      (*result)["ready"] = true;
    }
    (*result)["answered_by"] = fresh ? "storage" : "consumer";
  }
  Json answer;
  s = fresh   ? engine_.QueryStorage(consumer, query, &answer)
      : fetch ? engine_.QueryFetch(consumer, query, &answer)
              : engine_.Query(consumer, query, &answer);
  if (!s.ok()) return s;
  (*result)["result"] = answer;
  return Status::OK();
}

Status Simulator::DoConfigure(const Json& step, Json* result) {
  Status s;
  CommitMode commit = engine_.commit_mode();
  RecoveryMode recovery = engine_.recovery_mode();
  if (step.contains("commit")) {
    std::string c;
    if (!(s = GetChoice(step, "commit", {"sync", "async"}, &c)).ok()) return s;
    commit = c == "sync" ? CommitMode::kSync : CommitMode::kAsync;
  }
  if (step.contains("recovery")) {
    std::string r;
    if (!(s = GetChoice(step, "recovery", {"point_in_time", "absolute", "skip"}, &r)).ok()) {
      return s;
    }
    ParseRecoveryMode(r, &recovery);
  }
  bool dedupe = engine_.dedupe_requests();
  if (step.contains("dedupe_requests")) {
    if (!step["dedupe_requests"].is_boolean()) {
      return Status::Invalid("dedupe_requests", "must be true or false");
    }
    dedupe = step["dedupe_requests"].get<bool>();
  }
  engine_.Configure(&commit, &recovery);
  engine_.SetDedupeRequests(dedupe);
  (*result)["commit"] = commit == CommitMode::kSync ? "sync" : "async";
  (*result)["recovery"] = RecoveryModeName(recovery);
  (*result)["dedupe_requests"] = dedupe;
  return Status::OK();
}

Status Simulator::DoSync(const Json&, Json* result) {
  Lsn durable = 0;
  Status s = engine_.Sync(&durable);
  if (!s.ok()) return s;
  (*result)["durable"] = durable;
  return Status::OK();
}

Status Simulator::DoCrash(const Json& step, Json* result) {
  Status s;
  std::string kind;
  if (!(s = GetChoice(step, "kind", {"process", "power"}, &kind)).ok()) return s;
  std::uint64_t torn = 0;
  if (step.contains("torn_bytes")) {
    if (!(s = GetCount(step, "torn_bytes", std::uint64_t(1) << 40, &torn)).ok()) return s;
  }
  s = engine_.Crash(kind == "process" ? CrashKind::kProcess : CrashKind::kPower,
                    static_cast<std::size_t>(torn));
  if (!s.ok()) return s;
  (*result)["kind"] = kind;
  (*result)["surviving_bytes"] = engine_.wal().file().size();
  return Status::OK();
}

Status Simulator::DoRecover(const Json& step, Json* result) {
  RecoveryMode mode;
  const RecoveryMode* override_mode = nullptr;
  Status s = ReadRecoveryOverride(step, &mode, &override_mode);
  if (!s.ok()) return s;
  RecoveryResult rr;
  if (!(s = engine_.Recover(override_mode, &rr)).ok()) return s;
  Json corruption = nullptr;
  Json problems = Json::array();
  for (const auto& p : rr.problems) {
    problems.push_back(ProblemJson(p));
    if (!p.torn_tail && corruption.is_null()) {
      corruption = {{"offset", p.offset}, {"lsn", p.lsn ? Json(*p.lsn) : Json(nullptr)},
                    {"reason", p.reason}};
    }
  }
  Json lost = Json::array();
  for (const auto& l : rr.lost) lost.push_back({{"lsn", l.lsn}, {"acknowledged", l.acknowledged}});
  (*result)["mode"] = RecoveryModeName(rr.mode);
  (*result)["recovered"] = rr.recovered;
  (*result)["replayed"] = rr.replayed;
  (*result)["discarded_bytes"] = rr.discarded_bytes;
  (*result)["corruption"] = std::move(corruption);
  (*result)["problems"] = std::move(problems);
  (*result)["lost"] = std::move(lost);
  (*result)["survived_unacknowledged"] = rr.survived_unacknowledged;
  (*result)["ahead"] = rr.ahead;
  (*result)["checkpoint"] = rr.checkpoint == 0 ? Json(nullptr) : Json(rr.checkpoint);
  (*result)["without_checkpoint"] = {{"replayed", rr.replayed_without_checkpoint},
                                     {"complete", rr.complete_without_checkpoint}};
  if (!rr.checkpoint_unused.empty()) (*result)["checkpoint_unused"] = rr.checkpoint_unused;
  return Status::OK();
}

Status Simulator::DoCheckpoint(const Json&, Json* result) {
  CheckpointResult cr;
  Status s = engine_.Checkpoint(&cr);
  if (!s.ok()) return s;
  (*result)["lsn"] = cr.lsn;
  (*result)["rows"] = cr.rows;
  (*result)["log_entries"] = cr.log_entries;
  (*result)["replay_entries"] = cr.replay_entries;
  return Status::OK();
}

void Simulator::RemovalJson(RemovalResult* r, Json* result) const {
  if (removed_out_ != nullptr) {
    *removed_out_ = std::move(r->removed);
  } else if (!quiet_) {
    (*result)["removed"] = r->removed;
  }
  (*result)["bytes_before"] = r->bytes_before;
  (*result)["bytes_after"] = r->bytes_after;
}

Status Simulator::DoTruncate(const Json& step, Json* result) {
  Status s;
  std::uint64_t before = 0;
  bool force = false;
  if (!(s = ReadTruncate(step, &before, &force)).ok()) return s;
  RemovalResult r;
  if (!(s = engine_.Truncate(before, force, &r)).ok()) return s;
  RemovalJson(&r, result);
  (*result)["out_of_range"] = r.out_of_range;
  return Status::OK();
}

Status Simulator::DoCompact(const Json& step, Json* result) {
  Status s;
  std::uint64_t upto = 0, tombstones_before = 0;
  if (!(s = ReadCompact(step, &upto, &tombstones_before)).ok()) return s;
  RemovalResult r;
  if (!(s = engine_.Compact(upto, tombstones_before, &r)).ok()) return s;
  RemovalJson(&r, result);
  Json dropped = Json::array(), missed = Json::array();
  for (const auto& [key, lsn] : r.dropped_tombstones) dropped.push_back({{"key", key}, {"lsn", lsn}});
  for (const auto& [consumer, key] : r.missed_deletes) {
    missed.push_back({{"consumer", consumer}, {"key", key}});
  }
  (*result)["dropped_tombstones"] = std::move(dropped);
  (*result)["missed_deletes"] = std::move(missed);
  return Status::OK();
}

Status Simulator::DoCorrupt(const Json& step, Json* result) {
  Status s;
  std::uint64_t lsn = 0;
  if (!(s = GetCount(step, "lsn", std::numeric_limits<std::int64_t>::max(), &lsn)).ok()) return s;
  std::optional<std::size_t> byte;
  if (step.contains("byte")) {
    std::uint64_t b = 0;
    if (!(s = GetCount(step, "byte", log::kHeaderSize + log::kMaxPayloadSize, &b)).ok()) return s;
    byte = static_cast<std::size_t>(b);
  }
  CorruptResult c;
  if (!(s = engine_.Corrupt(lsn, byte, &c)).ok()) return s;
  (*result)["lsn"] = c.lsn;
  (*result)["offset"] = c.offset;
  (*result)["byte"] = c.byte;
  (*result)["was"] = c.was;
  (*result)["now"] = c.now;
  return Status::OK();
}

Status Simulator::DoCommit(const Json& step, Json* result) {
  std::string consumer;
  Status s;
  if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
  if (!(s = engine_.Commit(consumer)).ok()) return s;
  (*result)["committed"] = engine_.FindConsumer(consumer)->committed();
  return Status::OK();
}

Status Simulator::DoCrashConsumer(const Json& step, Json* result) {
  std::string consumer;
  Status s;
  if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
  Lsn rewound_to = 0;
  std::size_t redeliver = 0;
  if (!(s = engine_.CrashConsumer(consumer, &rewound_to, &redeliver)).ok()) return s;
  (*result)["rewound_to"] = rewound_to;
  (*result)["redeliver"] = redeliver;
  (*result)["out_of_range"] = engine_.OutOfRange(*engine_.FindConsumer(consumer));
  return Status::OK();
}

namespace {

Json CheckJson(const ConsumerCheck& c) {
  return {{"name", c.name},
          {"consistent", c.consistent},
          {"reason", c.reason.empty() ? Json(nullptr) : Json(c.reason)},
          {"differences", c.differences}};
}

}  // namespace

Status Simulator::DoVerify(const Json&, Json* result) {
  std::vector<ConsumerCheck> checks;
  Status s = engine_.Verify(&checks);
  if (!s.ok()) return s;
  bool all = true;
  Json consumers = Json::array();
  for (const auto& c : checks) {
    all = all && c.consistent;
    consumers.push_back(CheckJson(c));
  }
  (*result)["consistent"] = all;
  (*result)["consumers"] = std::move(consumers);
  return Status::OK();
}

// expect: every check named in the step must hold. Checks:
//   "head": N                                   the log's head LSN
//   "down": bool                                whether the database is down
//   "key": K, "value": V                        storage holds V at K (null: absent)
//   "lsn": N, "entry": E                        the log entry at LSN N is E (null: none)
//   "lsn": N, "event": E                        the change event at LSN N is E (null: none)
//   "consumer": C, "position": N                C's position
//   "consumer": C, "lag": N                     C's lag
//   "consumer": C, "committed": N               C's committed position
//   "consumer": C, "consistent": bool           what verify says of C
//   "consumer": C, "query": {...}, "result": R  C answers the query with R
Status Simulator::DoExpect(const Json& step, Json*) {
  bool checked = false;
  Status s;
  // A field checked against the engine's value, read as predict reads it.
  auto expect_field = [&](const std::string& field) {
    Json actual;
    std::string subject;
    Status st = Observe(field, step, &actual, &subject);
    return st.ok() ? ExpectEqual(field, subject, actual, step[field]) : st;
  };
  if (step.contains("down")) {
    checked = true;
    if (!(s = expect_field("down")).ok()) return s;
  }
  if (step.contains("head")) {
    checked = true;
    if (!(s = expect_field("head")).ok()) return s;
  }
  if (step.contains("lsn") || step.contains("entry") || step.contains("event")) {
    if (!step.contains("lsn")) {
      return Status::Invalid("lsn", "is required with \"entry\" or \"event\"");
    }
    if (!step.contains("entry") && !step.contains("event")) {
      return Status::Invalid("lsn", "needs \"entry\" or \"event\" to check");
    }
    checked = true;
    if (step.contains("entry") && !(s = expect_field("entry")).ok()) return s;
    if (step.contains("event") && !(s = expect_field("event")).ok()) return s;
  }
  if (step.contains("key") != step.contains("value")) {
    return Status::Invalid(step.contains("key") ? "value" : "key",
                           "is required with the other (\"key\" and \"value\" go together)");
  }
  if (step.contains("key")) {
    checked = true;
    if (!(s = expect_field("value")).ok()) return s;
  }
  // The log's size and what pins it.
  for (const char* field : {"log_entries", "log_start", "pinned_by"}) {
    if (!step.contains(field)) continue;
    checked = true;
    if (!(s = expect_field(field)).ok()) return s;
  }
  bool about_consumer = step.contains("position") || step.contains("lag") ||
                        step.contains("query") || step.contains("committed") ||
                        step.contains("consistent") || step.contains("reason_includes") ||
                        step.contains("out_of_range") || step.contains("state_store_rows");
  if (step.contains("result") && !step.contains("query")) {
    return Status::Invalid("query", "is required with \"result\"");
  }
  if (step.contains("query") && !step.contains("result")) {
    return Status::Invalid("result", "is required with \"query\"");
  }
  if (about_consumer || step.contains("consumer")) {
    std::string name;
    if (!(s = GetString(step, "consumer", &name)).ok()) return s;
    const Consumer* c = engine_.FindConsumer(name);
    if (c == nullptr) return UnknownConsumer(name);
    if (!about_consumer) {
      return Status::Invalid("consumer", "needs \"position\", \"lag\", \"committed\", "
                                         "\"consistent\", \"reason_includes\", "
                                         "\"out_of_range\", \"state_store_rows\" or \"query\" "
                                         "to check");
    }
    checked = true;
    for (const char* field : {"position", "lag", "committed", "out_of_range", "state_store_rows"}) {
      if (step.contains(field) && !(s = expect_field(field)).ok()) return s;
    }
    if (step.contains("reason_includes")) {
      std::string text;
      if (!(s = GetString(step, "reason_includes", &text)).ok()) return s;
      std::vector<ConsumerCheck> checks;
      if (!(s = engine_.Verify(&checks)).ok()) return s;
      for (const auto& check : checks) {
        if (check.name != name) continue;
        if (check.reason.find(text) == std::string::npos) {
          return Status::Invalid(
              "reason_includes",
              "expected verify's reason for '" + name + "' to include " + Json(text).dump() +
                  ", but it is " +
                  (check.reason.empty() ? std::string("empty (consistent)")
                                        : Json(check.reason).dump()));
        }
      }
    }
    if (step.contains("consistent")) {
      std::vector<ConsumerCheck> checks;
      if (!(s = engine_.Verify(&checks)).ok()) return s;
      for (const auto& check : checks) {
        if (check.name != name) continue;
        if (Json(check.consistent) != step["consistent"]) {
          return Status::Invalid(
              "consistent", "expected " + step["consistent"].dump() + ", but verify says '" +
                                name + "' is " + (check.consistent ? "consistent" : "not consistent") +
                                (check.differences.empty()
                                     ? ""
                                     : " (differences: " + check.differences.dump() + ")"));
        }
      }
    }
    if (step.contains("query")) {
      if (!step["query"].is_object()) return Status::Invalid("query", "must be an object");
      Json answer;
      if (!(s = c->system().Query(step["query"], &answer)).ok()) {
        return Status::Invalid("query", s.message());
      }
      s = ExpectEqual("result", "the answer of '" + name + "'", answer, step["result"]);
      if (!s.ok()) return s;
    }
  }
  if (!checked) {
    return Status::Invalid("expect", "names nothing to check (use head, down, key+value, "
                                     "lsn+entry, lsn+event, log_entries, log_start, pinned_by, "
                                     "or consumer with position, lag, committed, consistent, "
                                     "reason_includes, out_of_range, state_store_rows or "
                                     "query+result)");
  }
  return Status::OK();
}

namespace {

const std::vector<std::string> kAskable = {
    "head",      "down",      "value",        "entry",          "event",
    "position",  "lag",       "committed",    "consistent",     "result",
    "out_of_range", "state_store_rows", "log_entries", "log_start", "pinned_by"};

}  // namespace

Status Simulator::Observe(const std::string& ask, const Json& step, Json* actual,
                          std::string* subject) const {
  Status s;
  if (ask == "down") {
    *subject = "whether the database is down";
    *actual = engine_.down();
    return Status::OK();
  }
  if (ask == "head" || ask == "log_entries" || ask == "value" || ask == "entry") {
    if (engine_.down()) return DatabaseDown();
  }
  if (ask == "head") {
    *subject = "the head LSN";
    *actual = engine_.wal().head();
    return Status::OK();
  }
  if (ask == "log_entries") {
    *subject = "the number of log entries";
    *actual = VisibleEntries();
    return Status::OK();
  }
  if (ask == "log_start") {
    *subject = "the LSN the log starts at";
    *actual = engine_.wal().start_lsn();
    return Status::OK();
  }
  if (ask == "pinned_by") {
    const LogPins pins = engine_.Pins();
    *subject = "the consumer that pins the log (the lowest committed position)";
    *actual = pins.consumer.empty() ? Json(nullptr) : Json(pins.consumer);
    return Status::OK();
  }
  if (ask == "value") {
    std::string key;
    if (!(s = GetString(step, "key", &key)).ok()) return s;
    const Doc* value = nullptr;
    if (!(s = engine_.Get(key, &value)).ok()) return s;
    *subject = "storage's value of '" + key + "'";
    *actual = value == nullptr ? Json(nullptr) : value->ToJson();
    return Status::OK();
  }
  if (ask == "entry" || ask == "event") {
    std::uint64_t lsn = 0;
    if (!(s = GetCount(step, "lsn", std::numeric_limits<std::int64_t>::max(), &lsn)).ok()) return s;
    if (ask == "entry") {
      const RecordInfo* r = engine_.wal().Find(lsn);
      LogEntry entry;
      std::string why;
      *actual = r != nullptr && engine_.wal().Read(*r, &entry, &why) ? ToJson(entry) : Json(nullptr);
      *subject = "the log entry at LSN " + std::to_string(lsn);
    } else {
      const ChangeStream& stream = engine_.stream();
      const std::size_t i = stream.FirstAfter(lsn - (lsn > 0 ? 1 : 0));
      ChangeEvent event;
      *actual = i < stream.size() && stream.LsnAt(i) == lsn && stream.Event(i, &event)
                    ? ToJson(event)
                    : Json(nullptr);
      *subject = "the change event at LSN " + std::to_string(lsn);
    }
    return Status::OK();
  }
  // The rest are about a consumer.
  std::string name;
  if (!(s = GetString(step, "consumer", &name)).ok()) return s;
  const Consumer* c = engine_.FindConsumer(name);
  if (c == nullptr) return UnknownConsumer(name);
  if (ask == "position") {
    *subject = "the position of '" + name + "'";
    *actual = c->position();
  } else if (ask == "lag") {
    *subject = "the lag of '" + name + "'";
    *actual = engine_.Lag(*c);
  } else if (ask == "committed") {
    *subject = "the committed position of '" + name + "'";
    *actual = c->committed();
  } else if (ask == "out_of_range") {
    *subject = "whether '" + name + "' is out of range";
    *actual = engine_.OutOfRange(*c);
  } else if (ask == "state_store_rows") {
    *subject = "the number of state-store rows of '" + name + "'";
    *actual = c->system().state_store_rows();
  } else if (ask == "consistent") {
    std::vector<ConsumerCheck> checks;
    if (!(s = engine_.Verify(&checks)).ok()) return s;
    for (const auto& check : checks) {
      if (check.name == name) *actual = check.consistent;
    }
    *subject = "whether verify finds '" + name + "' consistent";
  } else {  // result
    if (!step.contains("query") || !step["query"].is_object()) {
      return Status::Invalid("query", "must be an object (the query whose result is asked)");
    }
    if (!(s = c->system().Query(step["query"], actual)).ok()) return Status::Invalid("query", s.message());
    *subject = "the answer of '" + name + "'";
  }
  return Status::OK();
}

Status Simulator::DoPredict(const Json& step, Json* result) {
  Status s;
  std::string prompt, ask;
  if (!(s = GetString(step, "prompt", &prompt)).ok()) return s;
  if (prompt.empty()) return Status::Invalid("prompt", "must not be empty");
  if (!(s = GetChoice(step, "ask", kAskable, &ask)).ok()) return s;
  if (step.contains("why") && !step["why"].is_string()) {
    return Status::Invalid("why", "must be a string");
  }
  if (!step.contains("answer")) {
    return Status::Invalid("answer", "is required (the lesson's answer, which the engine checks)");
  }
  const Json& answer = step["answer"];
  if (step.contains("choices")) {
    const Json& choices = step["choices"];
    if (!choices.is_array() || choices.size() < 2) {
      return Status::Invalid("choices", "must be an array of at least two possible answers");
    }
    bool listed = false;
    for (std::size_t i = 0; i < choices.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (choices[i] == choices[j]) {
          return Status::Invalid("choices", "lists " + choices[i].dump() + " twice");
        }
      }
      listed = listed || choices[i] == answer;
    }
    if (!listed) return Status::Invalid("answer", "must be one of the choices");
  }
  Json actual;
  std::string subject;
  if (!(s = Observe(ask, step, &actual, &subject)).ok()) return s;
  if (actual != answer) {
    return Status::Invalid("answer", "the lesson's answer " + answer.dump() + " is stale: " +
                                         subject + " is " + actual.dump());
  }
  (*result)["actual"] = std::move(actual);
  return Status::OK();
}

// ---------------------------------------------------------------- views

namespace {

// One log entry as the page draws it: where its record lies, whether it is
// on disk and acknowledged, and what it says (or why its bytes no longer
// decode). A put's value is copied from the record as it is when it is in
// the stored form.
void WriteWalEntry(const WriteAheadLog& wal, const RecordInfo& r, JsonText* out) {
  const LogFile& file = wal.file();
  std::string scratch, why;
  log::PayloadParts parts;
  bool read = wal.ReadParts(r, &parts, &scratch, &why);
  Json parsed;  // a value not in the stored form, parsed (as Read would)
  const bool raw = read && parts.op == LogOp::kPut && IsStoredForm(parts.value);
  if (read && parts.op == LogOp::kPut && !raw) {
    LogEntry entry;
    read = log::EntryFromParts(parts, &entry, &why);
    parsed = std::move(entry.value);
  }
  out->BeginObject();
  out->Member("acknowledged", r.acknowledged);
  if (!read) out->Member("damaged", why);
  if (read) out->Member("key", parts.key);
  out->Member("lsn", r.lsn);
  out->Member("offset", r.offset);
  out->Member("op", (read ? parts.op : r.op) == LogOp::kPut ? "put" : "delete");
  if (read && !parts.request_id.empty()) out->Member("request_id", parts.request_id);
  out->Member("size", r.size);
  out->Member("synced", r.offset + r.size <= file.synced());
  if (read && parts.op == LogOp::kPut) {
    out->Key("value");
    if (raw) {
      out->Raw(parts.value);
    } else {
      out->Value(parsed);
    }
  }
  out->EndObject();
}

// Reads an optional {"start", "count"} window of a list of `total` items.
// A missing start shows the newest `count` (when `newest`) or the first.
Status ReadWindow(const Json& request, const std::string& field, std::size_t total,
                  std::size_t default_count, bool newest, std::size_t* start,
                  std::size_t* count) {
  *count = default_count;
  bool has_start = false;
  std::uint64_t v = 0;
  if (request.contains(field)) {
    const Json& w = request[field];
    if (!w.is_object()) return Status::Invalid(field, "must be an object like {\"start\": 0, \"count\": 50}");
    for (const auto& [name, value] : w.items()) {
      if (name != "start" && name != "count" && !(name == "prefix" && field == "storage") &&
          !(name == "full" && field == "wal")) {
        return Status::Invalid(field + "." + name,
                               std::string("unknown field (expected start, count") +
                                   (field == "storage" ? ", prefix)"
                                                       : field == "wal" ? ", full)" : ")"));
      }
    }
    Status s;
    if (w.contains("count")) {
      if (!(s = GetCount(w, "count", Simulator::kMaxViewWindow, &v)).ok()) {
        return Status::Invalid(field + ".count", s.message().substr(s.message().find(": ") + 2));
      }
      *count = static_cast<std::size_t>(v);
    }
    if (w.contains("start")) {
      if (!(s = GetCount(w, "start", std::numeric_limits<std::int64_t>::max(), &v)).ok()) {
        return Status::Invalid(field + ".start", s.message().substr(s.message().find(": ") + 2));
      }
      has_start = true;
    }
  }
  if (!has_start) v = newest && total > *count ? total - *count : 0;
  *start = static_cast<std::size_t>(std::min<std::uint64_t>(v, total));
  *count = std::min(*count, total - *start);
  return Status::OK();
}

}  // namespace

Json Simulator::ConsumerSummary(const Consumer& c) const {
  return {{"name", c.name()},
          {"type", c.spec().type},
          {"config", c.spec().config},
          {"offsets", OffsetStorageName(c.spec().offsets)},
          {"commit_every", c.spec().commit_every},
          {"apply", ApplyModeName(c.spec().apply)},
          {"feed", c.spec().direct ? "direct" : "log"},
          {"state_store_rows", c.system().state_store_rows()},
          {"out_of_range", engine_.OutOfRange(c)},
          {"out_of_range_reason", engine_.OutOfRangeReason(c)},
          {"position", c.position()},
          {"committed", c.committed()},
          {"lag", engine_.Lag(c)},
          {"processed", c.processed()},
          {"redelivered", c.redelivered()},
          {"rewind", c.has_rewind() ? Json{{"from", c.rewound_from()}, {"to", c.rewound_to()}}
                                    : Json(nullptr)},
          {"ahead", c.ahead()},
          {"snapshot", c.from_snapshot()
                           ? Json{{"lsn", c.snapshot_lsn()}, {"rows", c.snapshot_rows()}}
                           : Json(nullptr)}};
}

std::size_t Simulator::VisibleEntries() const {
  // While down, the index still describes the log before the crash: the
  // records whose bytes survived are shown (they are a prefix of the index).
  const WriteAheadLog& wal = engine_.wal();
  const auto& records = wal.records();
  if (!engine_.down()) return records.size();
  auto it = std::partition_point(records.begin(), records.end(), [&wal](const RecordInfo& r) {
    return r.offset + r.size <= wal.file().size();
  });
  return static_cast<std::size_t>(it - records.begin());
}

Json Simulator::LogSummary() const {
  const WriteAheadLog& wal = engine_.wal();
  const LogFile& file = wal.file();
  const std::size_t visible = VisibleEntries();
  std::size_t end_of_whole = file.size();
  if (engine_.down()) {
    end_of_whole = visible == 0 ? 0 : wal.records()[visible - 1].offset + wal.records()[visible - 1].size;
  }
  Json tail = nullptr;
  if (file.size() > end_of_whole) {
    tail = {{"offset", end_of_whole}, {"bytes", file.size() - end_of_whole}};
  }
  // What pins the log: entries after the checkpoint are needed by recovery,
  // entries after the slowest consumer's committed position by it.
  const LogPins pins = engine_.Pins();
  Json checkpoint = nullptr;
  if (engine_.checkpoint()) {
    checkpoint = {{"lsn", engine_.checkpoint()->lsn}, {"rows", engine_.checkpoint()->rows.size()}};
  }
  return {{"bytes", file.size()},
          {"synced_bytes", file.synced()},
          {"durable", wal.durable_lsn()},
          {"tail", std::move(tail)},
          {"entries", visible},
          {"start", wal.start_lsn()},
          {"removed", engine_.removed().size()},
          {"checkpoint", std::move(checkpoint)},
          {"pinned_by",
           {{"checkpoint", pins.checkpoint ? Json(*pins.checkpoint) : Json(nullptr)},
            {"consumer", pins.consumer.empty()
                             ? Json(nullptr)
                             : Json{{"name", pins.consumer}, {"committed", pins.consumer_lsn}}}}},
          {"truncatable_before",
           pins.truncatable_before ? Json(*pins.truncatable_before) : Json(nullptr)}};
}

void Simulator::WriteDown(JsonText* out) const {
  out->Member("down", engine_.down());
  out->Key("down_by");
  if (engine_.down()) {
    out->String(engine_.down_by());
  } else {
    out->Null();
  }
}

Json Simulator::ConfigJson() const {
  return {{"commit", engine_.commit_mode() == CommitMode::kSync ? "sync" : "async"},
          {"recovery", RecoveryModeName(engine_.recovery_mode())},
          {"dedupe_requests", engine_.dedupe_requests()}};
}

Json Simulator::ClientsJson() const {
  Json clients = Json::object();
  for (const auto& [name, writes] : engine_.clients()) {
    Json waiting = Json::array();
    for (const auto& w : writes) waiting.push_back(PendingJson(w));
    clients[name] = std::move(waiting);
  }
  return clients;
}


Json Simulator::Positions() const {
  Json positions = Json::object();
  for (const auto& c : engine_.consumers()) positions[c->name()] = c->position();
  return {{"head", engine_.down() ? Json(nullptr) : Json(engine_.wal().head())},
          {"positions", std::move(positions)}};
}

Json Simulator::State() const { return Json::parse(StateJson()); }

std::string Simulator::StateJson() const {
  const WriteAheadLog& wal = engine_.wal();
  const bool down = engine_.down();
  JsonText out;  // members in name order, as dump() writes them
  out.BeginObject();
  out.Member("clients", ClientsJson());
  out.Member("config", ConfigJson());
  out.Key("consumers");
  out.BeginArray();
  for (const auto& c : engine_.consumers()) {
    Json j = ConsumerSummary(*c);
    j["state"] = c->system().State();
    out.Value(j);
  }
  out.EndArray();
  WriteDown(&out);
  out.Key("events");
  out.BeginArray();
  {
    // While down, events whose records rotted on disk cannot be read back.
    const ChangeStream& stream = engine_.stream();
    ChangeEvent event;
    for (std::size_t i = 0; i < stream.size(); ++i) {
      if (stream.Event(i, &event)) WriteJson(event, &out);
    }
  }
  out.EndArray();
  out.Member("head", down ? std::nullopt : std::optional<Lsn>(wal.head()));
  out.Member("log", LogSummary());
  out.Key("storage");
  out.BeginObject();
  out.Key("data");
  out.BeginObject();
  if (!down) {
    // Keys in byte order, as a JSON object's members are.
    for (const auto& [key, row] : engine_.storage().rows()) {
      out.Key(key.view());
      out.Raw(row.doc->text());
    }
  }
  out.EndObject();
  out.Member("lost", down);
  out.Member("lsn", down ? std::nullopt : std::optional<Lsn>(engine_.storage().lsn()));
  out.EndObject();
  out.Key("wal");
  out.BeginArray();
  const std::size_t visible = VisibleEntries();
  for (std::size_t i = 0; i < visible; ++i) WriteWalEntry(wal, wal.records()[i], &out);
  out.EndArray();
  out.EndObject();
  return out.Release();
}

Json Simulator::View(const Json& request) const {
  std::string text;
  Status s;
  try {
    s = BuildView(request, &text);
  } catch (const std::exception& e) {
    return {{"ok", false}, {"error", std::string("view: internal error: ") + e.what()}};
  }
  if (!s.ok()) return {{"ok", false}, {"error", s.message()}};
  return Json::parse(text);
}

std::string Simulator::View(const std::string& request_json) const {
  Json request;
  if (!ParseUserJson(request_json, "view", &request).ok()) {
    return Json{{"ok", false}, {"error", "view: not valid JSON"}}.dump();
  }
  std::string text;
  Status s;
  try {
    s = BuildView(request, &text);
  } catch (const std::exception& e) {
    return Json{{"ok", false}, {"error", std::string("view: internal error: ") + e.what()}}.dump();
  }
  if (!s.ok()) return Json{{"ok", false}, {"error", s.message()}}.dump();
  return text;
}

namespace {

// A {"start", "count"} window of a list.
struct Window {
  std::size_t start = 0, count = 0;
};

}  // namespace

Status Simulator::BuildView(const Json& request, std::string* text) const {
  if (!request.is_object()) return Status::Invalid("view", "must be a JSON object");
  for (const auto& [name, value] : request.items()) {
    if (name != "wal" && name != "events" && name != "storage" && name != "rows" &&
        name != "locate") {
      return Status::Invalid(name, "unknown field (expected wal, events, storage, rows, locate)");
    }
  }
  const WriteAheadLog& wal = engine_.wal();
  const ChangeStream& stream = engine_.stream();
  const bool down = engine_.down();
  Status s;

  // First the whole request is read and checked, then the reply written.

  // The log: a window of entries by their place in the log (0 = oldest).
  // With "full": true, the entries retention removed are listed too, in LSN
  // order, each marked with what removed it (the checking aid's copy).
  const std::size_t visible = VisibleEntries();
  const auto& records = wal.records();
  const auto& removed = engine_.removed();
  bool full = false;
  if (request.contains("wal") && request["wal"].is_object() && request["wal"].contains("full")) {
    if (!request["wal"]["full"].is_boolean()) return Status::Invalid("wal.full", "must be true or false");
    full = request["wal"]["full"].get<bool>();
  }
  // How many visible records have an LSN <= lsn.
  auto records_upto = [&](Lsn lsn) {
    return static_cast<std::size_t>(
        std::upper_bound(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(visible), lsn,
                         [](Lsn v, const RecordInfo& r) { return v < r.lsn; }) -
        records.begin());
  };
  const std::size_t wal_total = visible + (full ? removed.size() : 0);
  Window log_window;
  if (!(s = ReadWindow(request, "wal", wal_total, kDefaultViewWindow, true, &log_window.start,
                       &log_window.count)).ok()) {
    return s;
  }
  // The LSNs of the oldest and newest listed entries (0: none), to place
  // positions that fall outside the window.
  Lsn first_lsn = visible ? records[0].lsn : 0, last_lsn = visible ? records[visible - 1].lsn : 0;
  const bool merged = full && removed.size() > 0;
  if (merged) {
    const Lsn r_first = removed.begin().key(), r_last = removed.At(removed.size() - 1).key();
    first_lsn = first_lsn == 0 ? r_first : std::min(first_lsn, r_first);
    last_lsn = std::max(last_lsn, r_last);
  }

  // The change stream. While down, events whose records can no longer be
  // read are not listed (as in State()), so the window is over the readable
  // ones; while up every event is readable and the window is O(count).
  const std::vector<std::uint32_t>* readable = down ? &engine_.ReadableEvents() : nullptr;
  const std::size_t events_total = down ? readable->size() : stream.size();
  Window event_window;
  if (!(s = ReadWindow(request, "events", events_total, kDefaultViewWindow, true,
                       &event_window.start, &event_window.count)).ok()) {
    return s;
  }

  // Storage: a page of rows in key order, optionally of keys with a prefix.
  const auto& rows = engine_.storage().rows();
  Window storage_window;
  std::size_t storage_first = 0, storage_total = 0;
  if (down) {
    if (!(s = ReadWindow(request, "storage", 0, 0, false, &storage_window.start,
                         &storage_window.count)).ok()) {
      return s;
    }
  } else {
    std::string prefix;
    if (request.contains("storage") && request["storage"].is_object() &&
        request["storage"].contains("prefix")) {
      const Json& p = request["storage"]["prefix"];
      if (!p.is_string()) return Status::Invalid("storage.prefix", "must be a string");
      prefix = p.get<std::string>();
    }
    // The rows with the prefix are those of rank [Rank(prefix), Rank(end)),
    // where end is the first string above every string with the prefix.
    storage_first = rows.Rank(prefix);
    storage_total = rows.size() - storage_first;
    std::string end = prefix;
    while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
    if (!end.empty()) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      storage_total = rows.Rank(end) - storage_first;
    }
    if (!(s = ReadWindow(request, "storage", storage_total, kDefaultViewWindow, false,
                         &storage_window.start, &storage_window.count)).ok()) {
      return s;
    }
  }

  // Every consumer's summary and a window of its state rows.
  const Json rows_request = request.contains("rows") ? request["rows"] : Json::object();
  if (!rows_request.is_object()) {
    return Status::Invalid("rows", "must be an object of consumer name -> {start, count}");
  }
  for (const auto& [name, window] : rows_request.items()) {
    if (engine_.FindConsumer(name) == nullptr) {
      return Status::Invalid("rows", "no consumer named '" + name + "'");
    }
  }
  std::vector<Window> row_windows;
  for (const auto& c : engine_.consumers()) {
    Json one = rows_request.contains(c->name()) ? Json{{"rows", rows_request[c->name()]}}
                                                : Json::object();
    Window w;
    if (!(s = ReadWindow(one, "rows", c->system().RowCount(), kDefaultViewWindow, false, &w.start,
                         &w.count)).ok()) {
      return Status::Invalid("rows." + c->name(), s.message().substr(s.message().find(": ") + 2));
    }
    row_windows.push_back(w);
  }

  // Where given LSNs are: the place in the log of the entry with that LSN or
  // the first after it, and the same in the change stream (to jump a list
  // to a consumer's position, say). By the LSN's text, as a JSON object's
  // members are ordered.
  std::map<std::string, std::pair<std::size_t, std::size_t>> located;
  if (request.contains("locate")) {
    const Json& lsns = request["locate"];
    if (!lsns.is_array()) return Status::Invalid("locate", "must be an array of LSNs");
    for (const auto& l : lsns) {
      if (!l.is_number_integer() || l.get<std::int64_t>() < 0) {
        return Status::Invalid("locate", "must hold only LSNs (whole numbers >= 0)");
      }
      const Lsn lsn = l.get<Lsn>();
      const std::size_t in_log = lsn == 0 ? 0 : records_upto(lsn - 1);
      std::size_t event = stream.FirstAfter(lsn == 0 ? 0 : lsn - 1);
      if (down) {
        event = static_cast<std::size_t>(std::lower_bound(readable->begin(), readable->end(), event) -
                                         readable->begin());
      }
      // "wal" is the place in the list the window was over (with or
      // without the removed entries), "event" the place in the stream.
      located[std::to_string(lsn)] = {in_log + (full ? removed.Rank(lsn) : 0), event};
    }
  }

  // The reply, its members in name order.
  JsonText out;
  out.BeginObject();
  out.Member("clients", ClientsJson());
  out.Member("config", ConfigJson());
  out.Key("consumers");
  out.BeginArray();
  for (std::size_t i = 0; i < engine_.consumers().size(); ++i) {
    const Consumer& c = *engine_.consumers()[i];
    const Window w = row_windows[i];
    // The summary's members, with "rows" in its place by name.
    const auto write_rows = [&] {
      out.Key("rows");
      out.BeginObject();
      out.Key("items");
      out.BeginArray();
      c.system().WriteRows(w.start, w.count, &out);
      out.EndArray();
      out.Member("start", w.start);
      out.Member("total", c.system().RowCount());
      out.EndObject();
    };
    const Json summary = ConsumerSummary(c);
    bool rows_written = false;
    out.BeginObject();
    for (const auto& [name, value] : summary.items()) {
      if (!rows_written && name > "rows") {
        write_rows();
        rows_written = true;
      }
      out.Member(name, value);
    }
    if (!rows_written) write_rows();
    out.EndObject();
  }
  out.EndArray();
  WriteDown(&out);

  out.Key("events");
  out.BeginObject();
  out.Key("items");
  out.BeginArray();
  ChangeEvent event;
  for (std::size_t i = event_window.start; i < event_window.start + event_window.count; ++i) {
    if (stream.Event(down ? (*readable)[i] : i, &event)) WriteJson(event, &out);
  }
  out.EndArray();
  out.Member("start", event_window.start);
  out.Member("total", events_total);
  out.EndObject();

  out.Member("head", down ? std::nullopt : std::optional<Lsn>(wal.head()));
  out.Key("located");
  out.BeginObject();
  for (const auto& [lsn, at] : located) {
    out.Key(lsn);
    out.BeginObject();
    out.Member("event", at.second);
    out.Member("wal", at.first);
    out.EndObject();
  }
  out.EndObject();
  out.Member("log", LogSummary());
  out.Member("ok", true);

  out.Key("storage");
  out.BeginObject();
  if (down) {
    out.Member("lost", true);
    out.Member("lsn", std::optional<Lsn>());
    out.Key("rows");
    out.BeginArray();
    out.EndArray();
    out.Member("start", std::size_t{0});
    out.Member("total", std::size_t{0});
  } else {
    out.Member("lost", false);
    out.Member("lsn", engine_.storage().lsn());
    out.Key("rows");
    out.BeginArray();
    auto it = rows.At(storage_first + storage_window.start);
    for (std::size_t n = 0; n < storage_window.count; ++n, ++it) {
      out.BeginObject();
      out.Member("key", it.key().view());
      out.Key("value");
      out.Raw(it.value().doc->text());
      out.EndObject();
    }
    out.EndArray();
    out.Member("start", storage_window.start);
    out.Member("total", storage_total);
  }
  out.EndObject();

  out.Key("wal");
  out.BeginObject();
  out.Member("first", first_lsn);
  out.Member("full", full);
  out.Key("items");
  out.BeginArray();
  if (!merged) {
    for (std::size_t i = log_window.start; i < log_window.start + log_window.count; ++i) {
      WriteWalEntry(wal, records[i], &out);
    }
  } else {
    // The merged list's item `start` is the smallest LSN x with
    // (records <= x) + (removed <= x) > start: a binary search over LSNs,
    // O(log^2) whatever the length of the history.
    std::size_t i = 0, k = 0;  // the next record, the next removed entry
    if (log_window.count > 0) {
      Lsn lo = first_lsn, hi = last_lsn;
      while (lo < hi) {
        const Lsn mid = lo + (hi - lo) / 2;
        if (records_upto(mid) + removed.Rank(mid + 1) > log_window.start) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      i = records_upto(lo - 1);
      k = removed.Rank(lo);
    }
    auto it = removed.At(k);
    for (std::size_t n = 0; n < log_window.count; ++n) {
      if (i < visible && (k >= removed.size() || records[i].lsn < it.key())) {
        WriteWalEntry(wal, records[i++], &out);
        continue;
      }
      const RemovedEntry& e = it.value();
      out.BeginObject();
      if (e.dropped_tombstone) out.Member("dropped_tombstone", true);
      out.Member("key", e.key);
      out.Member("lsn", it.key());
      out.Member("op", e.op == LogOp::kPut ? "put" : "delete");
      out.Member("removed", e.truncated ? "truncation" : "compaction");
      if (e.doc) {
        out.Key("value");
        out.Raw(e.doc->text());
      }
      out.EndObject();
      ++k;
      ++it;
    }
  }
  out.EndArray();
  out.Member("last", last_lsn);
  out.Member("start", log_window.start);
  out.Member("total", wal_total);
  out.EndObject();
  out.EndObject();
  *text = out.Release();
  return Status::OK();
}

Json Simulator::Record(Lsn lsn) const {
  const WriteAheadLog& wal = engine_.wal();
  const RecordInfo* r = wal.Find(lsn);
  if (r == nullptr || r->offset + r->size > wal.file().size()) {
    return {{"ok", false}, {"error", "lsn: no log record with LSN " + std::to_string(lsn) +
                                         " in the file"}};
  }
  std::string scratch;
  const std::string_view bytes = wal.file().bytes().View(r->offset, r->size, &scratch);  // the record's
  const char* p = bytes.data();
  const std::uint32_t stored = log::DecodeFixed32(p + log::kChecksumOffset);
  const std::uint32_t length = log::DecodeFixed32(p + log::kLengthOffset);
  const std::size_t covered = r->size - log::kTypeOffset;
  const std::uint32_t actual = crc32c::Value(p + log::kTypeOffset, covered);
  // Types 3 and 4 start the payload with the request id; the key follows.
  const std::uint8_t type = static_cast<std::uint8_t>(p[log::kTypeOffset]);
  const std::uint32_t first =
      r->size >= log::kHeaderSize + 4 ? log::DecodeFixed32(p + log::kHeaderSize) : 0;
  std::string_view key;
  const std::uint32_t key_len = log::KeyOf(bytes, &key) ? static_cast<std::uint32_t>(key.size()) : 0;
  auto hex32 = [](std::uint32_t v) {
    std::string b(4, '\0');
    for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
    return "0x" + Hex(b, 0, 4);
  };
  return {{"ok", true},
          {"lsn", r->lsn},
          {"offset", r->offset},
          {"size", r->size},
          {"synced", r->offset + r->size <= wal.file().synced()},
          {"hex", Hex(bytes, 0, r->size)},
          {"fields",
           {{"checksum", hex32(stored)},
            {"length", length},
            {"type", static_cast<unsigned>(static_cast<unsigned char>(p[log::kTypeOffset]))},
            {"lsn", log::DecodeFixed64(p + log::kLsnOffset)},
            {"key_len", key_len},
            {"request_id_len", log::HasRequestId(type) ? Json(first) : Json(nullptr)}}},
          {"computed_checksum", hex32(crc32c::Mask(actual))},
          {"checksum_ok", crc32c::Unmask(stored) == actual}};
}

}  // namespace unbundled
