// Simulator: the one JSON-in/JSON-out entry point over Engine, shared by the
// native program and the WebAssembly module.
//
//   Apply({"op": "put", "key": "u1", "value": {...}})  -> {"ok": true, "event": {...}, ...}
//   Apply({"op": "flush"})                             -> {"ok": true, "delivered": 3}
//   Apply(<anything wrong>)                            -> {"ok": false, "error": "key: ..."}
//
// Ops are listed once, in the table in core/ops.h. A step that fails changes
// nothing. This layer only translates JSON to Engine calls and back; Engine
// is the model.
#ifndef UNBUNDLED_CORE_SIMULATOR_H_
#define UNBUNDLED_CORE_SIMULATOR_H_

#include <optional>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/ops.h"
#include "core/status.h"
#include "core/types.h"
#include "core/user_json.h"

namespace unbundled {

class JsonText;

class Simulator {
 public:
  Simulator() = default;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Applies one step. Never throws.
  Json Apply(const Json& step);
  // Same, from and to JSON text. Text that is not JSON is an error result.
  std::string Apply(const std::string& step_json);
  // Applies one step exactly as Apply does, without building its result
  // (time travel replaying steps whose results are known): whether it was
  // taken. Throws std::bad_alloc when memory runs out, as Apply does.
  bool Replay(const Json& step);

  // A recover, replay_storage, verify, truncate, compact, add_consumer (by
  // snapshot) or rebuild step prepared in parts, for a page that must not
  // block for long (Engine::PrepareRecover): Prepare checks the step as
  // Apply would (an error result changes nothing) and starts its work;
  // AdvancePrepared takes up to `budget` records of it. Both return
  // {"ok": true, "done", "phase", "at", "of"}: for a recovery or a storage
  // replay "reading" (at/of: bytes of the log file), then "replaying" (log
  // entries); for a verify "folding" the stream to each consumer's position
  // and "feeding" the rows to a fresh copy of it (both in change events:
  // those read, and the snapshot's r events, the total estimated), then
  // "comparing" (consumers); for a compaction "scanning" for each key's
  // newest entry, then for it or a truncation "removing" (both in log
  // entries); for a snapshot "snapshotting" (storage rows). A part works
  // in one phase. Apply(step) then takes the step, with the same result
  // and the same engine as without the work, done already (a truncation
  // or a compaction with other LSNs, or a consumer of another spec, does
  // its own). Any other step (or another Prepare, or CopyFrom) drops the
  // work, which nothing shows until the step: that is the cancel.
  Json Prepare(const Json& step);
  std::string Prepare(const std::string& step_json);
  Json AdvancePrepared(std::size_t budget);

  // The whole state: head, log, storage, events and consumers, sorted.
  Json State() const;
  // The same as JSON text (what dump() writes of it), written directly.
  std::string StateJson() const;

  // What a page draws, whatever the length of the history: windows of the
  // log, the change stream, storage and each consumer's state rows, with
  // every consumer's summary and the totals. Cost O(window + consumers)
  // while the database is up. The request names the windows (all optional):
  //   {"wal": {"start", "count"}, "events": {"start", "count"},
  //    "storage": {"start", "count", "prefix"}, "rows": {consumer: {"start", "count"}},
  //    "locate": [lsn, ...]}
  // A missing wal or events start shows the newest; storage and rows start
  // at 0. Each window's items equal the matching slice of State(). An error
  // result names the field that is wrong.
  Json View(const Json& request) const;
  std::string View(const std::string& request_json) const;
  static constexpr std::size_t kDefaultViewWindow = 50;
  static constexpr std::size_t kMaxViewWindow = 1000;

  // A bulk step's fields (put_random), read and checked against the limits
  // (kMaxBulkDocuments, kMaxBulkKeys, kMaxBulkFrom) as the step would be.
  // Lets a caller that takes a big step in parts (the page) refuse the
  // whole step first, with the engine's own error, before any part is
  // written.
  struct BulkStep {
    std::uint64_t count = 0;
    std::uint64_t seed = 1;
    std::uint64_t keys = 0;  // count when the step has none
    std::uint64_t from = 0;
  };
  static Status ReadBulkStep(const Json& step, BulkStep* out);

  // A small part of the state, O(number of consumers):
  // {"head": 7, "positions": {"name": 5, ...}}. Lets a page track positions
  // after every step without serializing the whole history each time.
  Json Positions() const;

  // A checkpoint of the whole simulator (see Engine::Clone): applying the
  // same steps to it and to this one gives the same results.
  std::unique_ptr<Simulator> Clone() const {
    auto copy = std::make_unique<Simulator>();
    copy->CopyFrom(*this);
    return copy;
  }
  // Restores a checkpoint into this simulator.
  void CopyFrom(const Simulator& other) {
    engine_.CopyFrom(other.engine_);
    meter_ = other.meter_;
  }

  // One log record as bytes, for a bytes view: its header fields, its payload,
  // and whether its checksum still holds. An error result for an LSN that is
  // not in the file.
  Json Record(Lsn lsn) const;

  // Opens an existing log file's bytes: the database is down until "recover".
  void OpenLog(std::string bytes) { engine_.OpenLog(std::move(bytes)); }

  const Engine& engine() const { return engine_; }
  Engine* mutable_engine() { return &engine_; }

  // The most "r" events the result of an add_consumer or a rebuild lists
  // in `snapshot` (all, unless set); its `snapshot_rows` counts every row
  // read. A page that shows a few need not have the whole of storage
  // written out as events: at 60,000 rows that was 90% of the step's time.
  // A setting of this simulator, not of its state: CopyFrom keeps it.
  void SetSnapshotEventsListed(std::size_t most) { snapshot_listed_ = most; }
  std::size_t snapshot_events_listed() const { return snapshot_listed_; }

  // The op table (core/ops.h) is built from these handlers.
  static const std::vector<OpSpec>& OpTable();

 private:
  Status Dispatch(const Json& step, Json* result);
  // Everything Dispatch checks before the step's handler runs: the step's
  // shape, its op (*op, once known) and fields, the database being up if
  // the op needs it, and the session's limits.
  Status Check(const Json& step, const OpSpec** op) const;
  // Whether the op's work can be prepared in parts (recover, replay_storage, verify).
  // An add_consumer step's consumer and mode, checked as the step checks
  // them before the engine does.
  Status ReadAddConsumer(const Json& step, ConsumerSpec* parsed, JoinMode* mode) const;
  static bool Preparable(const OpSpec& op);
  // The view's JSON text, or an error (the request is checked whole first).
  Status BuildView(const Json& request, std::string* text) const;
  Json ConsumerSummary(const Consumer& c) const;
  Json LogSummary() const;
  Json ConfigJson() const;
  // Dual writes' second halves waiting in application clients, by client.
  Json ClientsJson() const;
  // The "down" and "down_by" members of state() and view().
  void WriteDown(JsonText* out) const;
  // Log entries the views list: all while up; while down, those whose
  // bytes survived the crash.
  std::size_t VisibleEntries() const;

  Status DoPut(const Json& step, Json* result);
  Status DoDelete(const Json& step, Json* result);
  Status DoInsert(const Json& step, Json* result);
  Status DoDirectWrite(const Json& step, Json* result);
  Status DoCrashClient(const Json& step, Json* result);
  Status DoPutRandom(const Json& step, Json* result);
  Status DoGet(const Json& step, Json* result);
  Status DoScan(const Json& step, Json* result);
  Status DoReplayStorage(const Json& step, Json* result);
  Status DoFlush(const Json& step, Json* result);
  Status DoStep(const Json& step, Json* result);
  Status DoAddConsumer(const Json& step, Json* result);
  Status DoRemoveConsumer(const Json& step, Json* result);
  Status DoRebuild(const Json& step, Json* result);
  Status DoQuery(const Json& step, Json* result);
  Status DoConfigure(const Json& step, Json* result);
  Status DoSync(const Json& step, Json* result);
  Status DoCrash(const Json& step, Json* result);
  Status DoRecover(const Json& step, Json* result);
  Status DoCorrupt(const Json& step, Json* result);
  Status DoCommit(const Json& step, Json* result);
  Status DoCheckpoint(const Json& step, Json* result);
  Status DoTruncate(const Json& step, Json* result);
  Status DoCompact(const Json& step, Json* result);
  Status DoCrashConsumer(const Json& step, Json* result);
  Status DoVerify(const Json& step, Json* result);
  Status DoExpect(const Json& step, Json* result);
  Status DoPredict(const Json& step, Json* result);
  // The engine's value of what a predict step asks (`ask`, located by the
  // step's key, lsn, consumer and query), and what it is, in words.
  Status Observe(const std::string& ask, const Json& step, Json* actual,
                 std::string* subject) const;

  // Keeps the size of the value a put or an insert wrote (for the meter).
  void NoteWrittenValue(const WriteResult& w);

  Engine engine_;
  // The session's steps and work so far, against core/limits.h.
  SessionMeter meter_;
  // The compact size of the value the step being dispatched wrote (a put or
  // an insert), for the meter, which would otherwise write it again.
  std::optional<std::size_t> written_value_bytes_;
  // Set while Replay runs: handlers skip building the parts of a result
  // that cost (change events with their documents, removed LSNs).
  bool quiet_ = false;
  // Apply's work. A truncation's or a compaction's list of removed LSNs
  // goes to *removed (when not null) instead of into the result's value,
  // for Apply(text) to write as text: as an nlohmann array, 80,000 LSNs
  // took 33 million instructions to build, write and destroy, four fifths
  // of the step.
  Json ApplyStep(const Json& step, std::optional<std::vector<Lsn>>* removed);
  // Where DoTruncate and DoCompact put that list while ApplyStep runs.
  std::optional<std::vector<Lsn>>* removed_out_ = nullptr;
  // A truncation's or a compaction's part of a result.
  void RemovalJson(RemovalResult* r, Json* result) const;
  std::size_t snapshot_listed_ = Engine::kAllEvents;
};

// Reads a consumer spec {"name", "type", "offsets"?, "commit_every"?,
// ...config}. Errors are named under `field` (e.g. "consumer.type").
Status ParseConsumerSpec(const Json& spec, const std::string& field, ConsumerSpec* out);
// The spec as JSON, as ParseConsumerSpec reads it.
Json ConsumerSpecJson(const ConsumerSpec& spec);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_SIMULATOR_H_
