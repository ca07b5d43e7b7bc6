#include "core/engine.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/json_reader.h"
#include "core/log_format.h"
#include "core/log_reader.h"
#include "core/log_writer.h"
#include "core/user_json.h"

namespace unbundled {

namespace {

// A request id or client name: 1 to 64 bytes of UTF-8.
Status ValidateName(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > kMaxRequestIdBytes || !IsValidUtf8(name)) {
    return Status::Invalid(field, "must be 1 to " + std::to_string(kMaxRequestIdBytes) +
                                      " bytes of UTF-8 (got " +
                                      std::to_string(name.size()) + " bytes)");
  }
  return Status::OK();
}

}  // namespace

std::uint32_t Engine::RecordOf(const StoredRow& row) const {
  const auto& records = wal_.records();
  if (row.record < records.size() && records[row.record].lsn == row.lsn) return row.record;
  const RecordInfo* found = wal_.Find(row.lsn);
  return found == nullptr ? kNoRecord : static_cast<std::uint32_t>(found - &records[0]);
}

Status Engine::NewSystem(const ConsumerSpec& spec, std::unique_ptr<DerivedSystem>* out) {
  Status s = CreateDerivedSystem(spec.type, spec.config, "consumer", out);
  if (s.ok()) (*out)->SetUpsert(spec.apply == ApplyMode::kUpsert);
  return s;
}

Status DatabaseDown() { return Status::Invalid("database is down", "recover first"); }

Status UnknownConsumer(const std::string& name) {
  return Status::Invalid("consumer", "no consumer named '" + name + "'");
}

Status Engine::CheckFault(const WriteOptions& options, std::size_t record_size) const {
  if (options.fault == WriteFault::kBeforeSync) {
    const std::size_t unsynced = wal_.file().unsynced() + record_size;
    if (options.torn_bytes > unsynced) {
      return Status::Invalid("torn_bytes", "must be at most " + std::to_string(unsynced) +
                                               " (the unsynced bytes, this record's " +
                                               std::to_string(record_size) + " included)");
    }
  } else if (options.torn_bytes != 0) {
    return Status::Invalid("torn_bytes", "only a crash \"before_sync\" can tear a write");
  }
  return Status::OK();
}

Status Engine::Write(LogOp op, const std::string& key, DocRef doc, const WriteOptions& options,
                     WriteResult* result) {
  const std::string_view value_json = doc ? doc->text() : std::string_view();
  Status s = CheckFault(options, log::RecordSize(key, value_json, options.request_id));
  if (!s.ok()) return s;
  // Storage takes the write first, in one search, handing back the row it
  // replaces; the new record's index and LSN are the log's next ones.
  const std::size_t index = wal_.records().size();
  const Lsn lsn = wal_.NextLsn();
  const DocRef after = doc;  // for the cache and the application's second write
  StoredRow old;
  SharedKey shared;  // the key as storage holds it, for the event to share
  const bool had = storage_.Apply(key, std::move(doc), static_cast<std::uint32_t>(index), lsn,
                                  &old, &shared);
  // The key's previous record is the new one's `prev`: the event's "before"
  // image, which is what a CDC connector reading a row-image log sees.
  const std::uint32_t prev = had ? RecordOf(old) : kNoRecord;
  if (prev != kNoRecord) stream_.Cache(prev, old.doc, shared);
  // Retention removed the record that wrote the old row: the event keeps
  // the row it replaces as its own before image.
  if (had && prev == kNoRecord) stream_.KeepBefore(lsn, old.doc);
  stream_.Cache(index, after, shared);
  const std::size_t appended = wal_.Append(op, key, value_json, prev, options.request_id);
  assert(appended == index && wal_.head() == lsn);
  (void)appended;
  stream_.Append(index);
  result->written = true;
  result->lsn = wal_.head();
  result->key = key;
  if (!options.request_id.empty()) requests_[options.request_id] = {wal_.head(), key};
  stream_.Event(stream_.size() - 1, &result->event);
  switch (options.fault) {
    case WriteFault::kNone:
      if (commit_mode_ == CommitMode::kSync) wal_.Sync();
      result->acknowledged = true;
      result->durable = commit_mode_ == CommitMode::kSync;
      // The application's second write, to the direct consumers.
      if (options.direct == DualWrite::kNow) {
        SendDirect({lsn, op, key, after}, &result->direct_to);
      }
      if (options.direct == DualWrite::kLater) {
        clients_[options.client].push_back({lsn, op, key, after});
        result->direct_pending = true;
      }
      break;
    case WriteFault::kBeforeSync:
      wal_.MarkLastUnacknowledged();
      GoDown(CrashKind::kPower, options.torn_bytes);
      break;
    case WriteFault::kAfterSync:
      wal_.Sync();
      wal_.MarkLastUnacknowledged();
      result->durable = true;
      GoDown(CrashKind::kProcess, 0);
      break;
  }
  return Status::OK();
}

Status Engine::Put(const std::string& key, const Document& value, const WriteOptions& options,
                   WriteResult* result) {
  if (down_) return DatabaseDown();
  Status s = ValidateKey(key, "key");
  std::string value_json;
  if (s.ok()) s = ValidateValue(value, "value", &value_json);
  if (!s.ok()) return s;
  *result = WriteResult();
  bool duplicate = false;
  if (!(s = CheckRequest(options, result, &duplicate)).ok() || duplicate) return s;
  return Write(LogOp::kPut, key, MakeDocFromText(value_json), options, result);
}

Status Engine::PutText(const std::string& key, std::string_view value_text,
                       const WriteOptions& options, WriteResult* result) {
  if (down_) return DatabaseDown();
  Status s = ValidateKey(key, "key");
  if (!s.ok()) return s;
  if (!IsStoredForm(value_text)) {
    Document value;
    if (!(s = ParseUserJson(std::string(value_text), "value", &value)).ok()) return s;
    return Put(key, value, options, result);
  }
  *result = WriteResult();
  bool duplicate = false;
  if (!(s = CheckRequest(options, result, &duplicate)).ok() || duplicate) return s;
  return Write(LogOp::kPut, key, MakeDocFromText(value_text), options, result);
}

Status Engine::Insert(const std::string& prefix, const Document& value,
                      const WriteOptions& options, WriteResult* result) {
  if (down_) return DatabaseDown();
  const std::string key = prefix + std::to_string(wal_.NextLsn());
  Status s = ValidateKey(key, "prefix");
  std::string value_json;
  if (s.ok()) s = ValidateValue(value, "value", &value_json);
  if (!s.ok()) return s;
  WriteResult r;
  bool duplicate = false;
  if (!(s = CheckRequest(options, &r, &duplicate)).ok()) return s;
  if (!duplicate) {
    s = Write(LogOp::kPut, key, MakeDocFromText(value_json), options, &r);
    if (!s.ok()) return s;
  }
  *result = std::move(r);
  return Status::OK();
}

Status Engine::CheckRequest(const WriteOptions& options, WriteResult* result,
                            bool* duplicate) const {
  Status s;
  if (options.direct != DualWrite::kNone && !(s = ValidateName(options.client, "client")).ok()) {
    return s;
  }
  if (options.request_id.empty()) return Status::OK();
  if (!(s = ValidateName(options.request_id, "request_id")).ok()) return s;
  if (!dedupe_requests_) return Status::OK();
  auto it = requests_.find(options.request_id);
  if (it == requests_.end()) return Status::OK();
  if (options.fault != WriteFault::kNone) {
    return Status::Invalid("crash", "request '" + options.request_id +
                                        "' was already applied at LSN " +
                                        std::to_string(it->second.lsn) +
                                        ", so this retry writes nothing and has no write to "
                                        "crash in");
  }
  result->duplicate = true;
  result->acknowledged = true;
  result->durable = it->second.lsn <= wal_.durable_lsn();
  result->lsn = it->second.lsn;
  result->key = it->second.key;
  *duplicate = true;
  return Status::OK();
}

void Engine::SendDirect(const PendingDirect& write, std::vector<std::string>* to) {
  ChangeEvent event;
  event.lsn = write.lsn;
  event.op = write.doc ? ChangeOp::kUpdate : ChangeOp::kDelete;
  event.key = write.key;
  event.after = write.doc;
  for (auto& c : consumers_) {
    if (!c->spec().direct) continue;
    c->DeliverDirect(event);
    to->push_back(c->name());
  }
}

Status Engine::DirectWrite(const std::string& client, PendingDirect* sent,
                           std::vector<std::string>* to) {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    return Status::Invalid("client", "'" + client +
                                         "' has no second write waiting (a put, delete or "
                                         "insert with \"direct\": \"later\" leaves one)");
  }
  *sent = it->second.front();
  it->second.pop_front();
  if (it->second.empty()) clients_.erase(it);
  to->clear();
  SendDirect(*sent, to);
  return Status::OK();
}

Status Engine::CrashClient(const std::string& client, std::vector<PendingDirect>* lost) {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    return Status::Invalid("client", "'" + client +
                                         "' has no second write waiting, so its crash would "
                                         "lose nothing");
  }
  lost->assign(it->second.begin(), it->second.end());
  clients_.erase(it);
  return Status::OK();
}

std::size_t Engine::PendingDirectCount() const {
  std::size_t n = 0;
  for (const auto& [name, writes] : clients_) n += writes.size();
  return n;
}

Status Engine::Put(const std::string& key, const Document& value, ChangeEvent* event) {
  WriteResult result;
  Status s = Put(key, value, WriteOptions(), &result);
  if (s.ok() && event != nullptr) *event = result.event;
  return s;
}

Status Engine::Delete(const std::string& key, const WriteOptions& options, WriteResult* result) {
  if (down_) return DatabaseDown();
  Status s = ValidateKey(key, "key");
  if (!s.ok()) return s;
  *result = WriteResult();
  bool duplicate = false;
  if (!(s = CheckRequest(options, result, &duplicate)).ok() || duplicate) return s;
  if (storage_.Get(key) == nullptr) {
    if (options.fault != WriteFault::kNone) {
      return Status::Invalid("crash", "'" + key +
                                          "' is absent, so this delete writes nothing and has "
                                          "no write to crash in");
    }
    result->acknowledged = true;
    return Status::OK();
  }
  return Write(LogOp::kDelete, key, nullptr, options, result);
}

Status Engine::Delete(const std::string& key, bool* deleted, ChangeEvent* event) {
  WriteResult result;
  Status s = Delete(key, WriteOptions(), &result);
  if (!s.ok()) return s;
  *deleted = result.written;
  if (result.written && event != nullptr) *event = result.event;
  return s;
}

Status Engine::Get(const std::string& key, const Doc** value) const {
  if (down_) return DatabaseDown();
  Status s = ValidateKey(key, "key");
  if (!s.ok()) return s;
  *value = storage_.Get(key);
  return Status::OK();
}

Status Engine::CanDeliver(const Consumer& consumer) const {
  if (consumer.spec().direct) {
    return Status::Invalid("consumer", "'" + consumer.name() +
                                           "' is fed directly by the application (a dual "
                                           "write), not by the log: it has no events to "
                                           "flush or step");
  }
  if (down_) return DatabaseDown();
  if (OutOfRange(consumer)) return Status::Invalid("consumer", OutOfRangeReason(consumer));
  if (consumer.ahead()) {
    const std::string why =
        consumer.dropped() != 0
            ? "it processed LSN " + std::to_string(consumer.dropped()) + ", which recovery dropped"
            : "it has processed up to LSN " + std::to_string(consumer.seen()) +
                  ", the head is LSN " + std::to_string(wal_.head());
    return Status::Invalid("consumer", "'" + consumer.name() + "' is ahead of the log (" + why +
                                           "): it has seen writes the database no longer has; "
                                           "rebuild it");
  }
  return Status::OK();
}

std::size_t Engine::CatchUp(const std::vector<Consumer*>& consumers, std::size_t limit,
                            bool* more) {
  if (more != nullptr) *more = false;
  if (consumers.empty()) return 0;
  Lsn lowest = consumers.front()->position();
  for (const Consumer* c : consumers) lowest = std::min(lowest, c->position());
  const std::size_t first = stream_.FirstAfter(lowest);
  const std::size_t durable_end = stream_.FirstAfter(wal_.durable_lsn());
  const std::size_t end = first >= durable_end           ? first
                          : durable_end - first > limit ? first + limit
                                                        : durable_end;
  if (more != nullptr) *more = end < durable_end;
  std::size_t delivered = 0;
  ChangeEvent event;
  for (std::size_t i = first; i < end; ++i) {
    // While up, every record reads back (the process keeps its own buffers).
    if (!stream_.Event(i, &event)) break;
    for (Consumer* c : consumers) {
      if (c->position() < event.lsn) {
        c->Deliver(event);
        ++delivered;
      }
    }
  }
  return delivered;
}

Status Engine::FlushAll(std::size_t* delivered,
                        std::vector<std::pair<std::string, std::string>>* refused,
                        std::size_t limit, bool* more) {
  if (down_) return DatabaseDown();
  std::vector<Consumer*> ready;
  ready.reserve(consumers_.size());
  for (auto& c : consumers_) {
    if (c->spec().direct) continue;  // not fed by the log
    Status s = CanDeliver(*c);
    if (!s.ok()) {
      if (refused != nullptr) refused->emplace_back(c->name(), s.message());
      continue;
    }
    ready.push_back(c.get());
  }
  *delivered = CatchUp(ready, limit, more);
  return Status::OK();
}

Status Engine::Flush(const std::string& consumer, std::size_t* delivered, std::size_t limit,
                     bool* more) {
  Consumer* c = FindMutable(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  Status s = CanDeliver(*c);
  if (!s.ok()) return s;
  *delivered = CatchUp({c}, limit, more);
  return Status::OK();
}

Status Engine::Step(const std::string& consumer, std::optional<ChangeEvent>* event) {
  Consumer* c = FindMutable(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  Status s = CanDeliver(*c);
  if (!s.ok()) return s;
  event->reset();
  const std::size_t next = stream_.FirstAfter(c->position());
  if (next >= stream_.FirstAfter(wal_.durable_lsn())) return Status::OK();
  ChangeEvent e;
  if (!stream_.Event(next, &e)) return Status::OK();
  c->Deliver(e);
  *event = std::move(e);
  return Status::OK();
}

// A step's work done ahead of it, in parts (Engine::Prepare*): the step
// then takes it (Take*) if it is for the same step, and does it in one go
// (Finish) if not.
class Engine::Work {
 public:
  Work(WorkKind kind, RecoveryMode mode) : kind(kind), mode(mode) {}
  virtual ~Work() = default;
  // Takes up to `budget` records of the work, within one phase.
  virtual PrepareProgress Advance(const Engine& engine, std::size_t budget) = 0;
  // Does what is left of it, in one go.
  void Finish(const Engine& engine) {
    while (!Advance(engine, SIZE_MAX).done) {
    }
  }

  const WorkKind kind;
  const RecoveryMode mode;  // a recovery's
};

// A snapshot's work (a consumer added by snapshot, or rebuilt): storage's
// rows fed as "r" events, in key order, to a fresh system of the consumer's
// spec. It reads the engine and never changes it: it walks a copy of
// storage's tree (O(1), its nodes shared).
class Engine::SnapshotWork : public Engine::Work {
 public:
  SnapshotWork(const Engine& engine, WorkKind kind, ConsumerSpec spec,
               std::unique_ptr<DerivedSystem> system)
      : Work(kind, RecoveryMode::kPointInTime),
        spec(std::move(spec)),
        system(std::move(system)),
        rows_(engine.storage_.rows()),
        at_(engine.storage_.lsn()),
        next_(rows_.begin()) {}

  // Takes up to `budget` rows.
  PrepareProgress Advance(const Engine&, std::size_t budget) override {
    ChangeEvent read;
    read.lsn = at_;
    read.op = ChangeOp::kRead;
    for (std::size_t n = 0; n < budget && next_ != rows_.end(); ++n, ++next_, ++fed) {
      read.key = next_.key();
      read.after = next_.value().doc;
      system->Process(read);
    }
    PrepareProgress progress;
    progress.phase = "snapshotting";
    progress.at = fed;
    progress.of = rows_.size();
    progress.done = next_ == rows_.end();
    return progress;
  }

  const ConsumerSpec spec;
  std::unique_ptr<DerivedSystem> system;
  std::size_t fed = 0;  // rows fed so far

 private:
  const CowMap<SharedKey, StoredRow> rows_;
  const Lsn at_;
  CowMap<SharedKey, StoredRow>::const_iterator next_;
};

void Engine::ListSnapshot(std::vector<ChangeEvent>* events, std::size_t listed) const {
  if (events == nullptr) return;
  for (auto it = storage_.rows().begin(); it != storage_.rows().end() && events->size() < listed; ++it) {
    ChangeEvent read;
    read.lsn = storage_.lsn();
    read.op = ChangeOp::kRead;
    read.key = it.key();
    read.after = it.value().doc;
    events->push_back(std::move(read));
  }
}

std::unique_ptr<Engine::SnapshotWork> Engine::TakeSnapshot(WorkKind kind, const ConsumerSpec& spec,
                                                           std::unique_ptr<DerivedSystem> system) {
  std::unique_ptr<Work> work = std::move(prepared_);
  if (work != nullptr && work->kind == kind) {
    auto* snapshot = static_cast<SnapshotWork*>(work.get());
    if (snapshot->spec == spec) {
      work.release();
      return std::unique_ptr<SnapshotWork>(snapshot);
    }
  }
  return std::make_unique<SnapshotWork>(*this, kind, spec, std::move(system));
}

Status Engine::CheckAddConsumer(const ConsumerSpec& spec, JoinMode mode,
                                std::unique_ptr<DerivedSystem>* system) const {
  if (down_) return DatabaseDown();
  if (spec.name.empty()) return Status::Invalid("consumer.name", "must not be empty");
  if (spec.name.size() > kMaxConsumerNameBytes || !IsValidUtf8(spec.name)) {
    return Status::Invalid("consumer.name", "must be valid UTF-8 of at most " +
                                                std::to_string(kMaxConsumerNameBytes) + " bytes");
  }
  if (FindConsumer(spec.name) != nullptr) {
    return Status::Invalid("consumer.name", "a consumer named '" + spec.name + "' already exists");
  }
  if (spec.commit_every < 1 || spec.commit_every > kMaxCommitEvery) {
    return Status::Invalid("consumer.commit_every",
                           "must be from 1 to " + std::to_string(kMaxCommitEvery));
  }
  Status s = NewSystem(spec, system);
  if (!s.ok()) return s;
  // (On an empty log there is nothing to replay, and both modes are one.)
  if (mode == JoinMode::kReplay && spec.direct && wal_.head() > 0) {
    return Status::Invalid("mode", "a direct consumer is fed by the application, not the log, "
                                   "so it cannot replay the log; add it by \"snapshot\"");
  }
  if (mode == JoinMode::kReplay && wal_.start_lsn() > 1) {
    return Status::Invalid("mode", "a replay would miss the log entries before LSN " +
                                       std::to_string(wal_.start_lsn()) +
                                       ", which a truncation removed, so the consumer would be "
                                       "silently incomplete; add it by \"snapshot\"");
  }
  return Status::OK();
}

Status Engine::PrepareAddConsumer(const ConsumerSpec& spec) {
  prepared_.reset();
  std::unique_ptr<DerivedSystem> system;
  Status s = CheckAddConsumer(spec, JoinMode::kSnapshot, &system);
  if (!s.ok()) return s;
  prepared_ = std::make_unique<SnapshotWork>(*this, WorkKind::kAddConsumer, spec, std::move(system));
  return Status::OK();
}

Status Engine::AddConsumer(const ConsumerSpec& spec, JoinMode mode,
                           std::vector<ChangeEvent>* snapshot, Lsn* position,
                           std::size_t listed) {
  std::unique_ptr<DerivedSystem> system;
  Status s = CheckAddConsumer(spec, mode, &system);
  if (!s.ok()) return s;
  if (mode == JoinMode::kSnapshot) {
    std::unique_ptr<SnapshotWork> work = TakeSnapshot(WorkKind::kAddConsumer, spec, std::move(system));
    work->Finish(*this);
    ListSnapshot(snapshot, listed);
    auto consumer = std::make_unique<Consumer>(spec, nullptr);
    consumer->StartFromSnapshot(std::move(work->system), storage_.lsn(), work->fed);
    consumers_.push_back(std::move(consumer));
  } else {
    prepared_.reset();
    consumers_.push_back(std::make_unique<Consumer>(spec, std::move(system)));
  }
  *position = consumers_.back()->position();
  return Status::OK();
}

Status Engine::RemoveConsumer(const std::string& consumer) {
  for (auto it = consumers_.begin(); it != consumers_.end(); ++it) {
    if ((*it)->name() == consumer) {
      consumers_.erase(it);
      missed_.erase(consumer);
      return Status::OK();
    }
  }
  return UnknownConsumer(consumer);
}

Status Engine::CheckRebuild(const std::string& consumer, const Consumer** c,
                            std::unique_ptr<DerivedSystem>* fresh) const {
  if ((*c = FindConsumer(consumer)) == nullptr) return UnknownConsumer(consumer);
  if (down_) return DatabaseDown();
  // The spec was validated when the consumer was added, so this succeeds.
  return NewSystem((*c)->spec(), fresh);
}

Status Engine::PrepareRebuild(const std::string& consumer) {
  prepared_.reset();
  const Consumer* c = nullptr;
  std::unique_ptr<DerivedSystem> fresh;
  Status s = CheckRebuild(consumer, &c, &fresh);
  if (!s.ok()) return s;
  prepared_ = std::make_unique<SnapshotWork>(*this, WorkKind::kRebuild, c->spec(), std::move(fresh));
  return Status::OK();
}

Status Engine::Rebuild(const std::string& consumer, std::vector<ChangeEvent>* snapshot,
                       Lsn* position, std::size_t listed) {
  const Consumer* found = nullptr;
  std::unique_ptr<DerivedSystem> fresh;
  Status s = CheckRebuild(consumer, &found, &fresh);
  if (!s.ok()) return s;
  std::unique_ptr<SnapshotWork> work = TakeSnapshot(WorkKind::kRebuild, found->spec(), std::move(fresh));
  work->Finish(*this);
  ListSnapshot(snapshot, listed);
  missed_.erase(consumer);
  Consumer* c = FindMutable(consumer);
  c->StartFromSnapshot(std::move(work->system), storage_.lsn(), work->fed);
  *position = c->position();
  return Status::OK();
}

Status Engine::Query(const std::string& consumer, const Json& query, Json* result) const {
  const Consumer* c = FindConsumer(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  return c->system().Query(query, result);
}

Status Engine::QueryStorage(const std::string& consumer, const Json& query,
                            Json* result) const {
  const Consumer* c = FindConsumer(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  if (down_) return DatabaseDown();
  std::unique_ptr<DerivedSystem> fresh;
  Status s = NewSystem(c->spec(), &fresh);
  if (!s.ok()) return s;
  SnapshotWork work(*this, WorkKind::kAddConsumer, c->spec(), std::move(fresh));
  work.Finish(*this);
  return work.system->Query(query, result);
}

Status Engine::QueryFetch(const std::string& consumer, const Json& query, Json* result) const {
  const Consumer* c = FindConsumer(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  if (c->spec().type != "secondary_index") {
    return Status::Invalid("fetch", "only a secondary_index lookup can fetch from storage ('" +
                                        consumer + "' is a " + c->spec().type + ")");
  }
  if (down_) return DatabaseDown();
  Json keys;
  Status s = c->system().Query(query, &keys);
  if (!s.ok()) return s;
  // The field asked about: named in the query, or the index's only field.
  const Json& config = c->spec().config;
  std::string field = query.contains("field")             ? query["field"].get<std::string>()
                      : config.contains("field")          ? config["field"].get<std::string>()
                                                          : config["fields"][0].get<std::string>();
  const auto term = IndexTerm(query["value"]);
  *result = Json::array();
  for (const auto& key : keys) {
    const Doc* doc = storage_.Get(key.get<std::string>());
    bool stale = doc == nullptr;
    if (doc != nullptr) {
      DocValue value;
      stale = !doc->Find(field, &value) || IndexTerm(value) != term;
    }
    result->push_back({{"key", key}, {"value", doc == nullptr ? Json(nullptr) : doc->ToJson()},
                       {"stale", stale}});
  }
  return Status::OK();
}

Status Engine::Scan(const std::string& prefix, std::size_t limit,
                    std::vector<std::pair<std::string, const Doc*>>* rows, bool* more) const {
  if (down_) return DatabaseDown();
  rows->clear();
  *more = false;
  for (auto it = storage_.rows().lower_bound(prefix);
       it != storage_.rows().end() && it.key().view().substr(0, prefix.size()) == prefix; ++it) {
    if (rows->size() == limit) {
      *more = true;
      break;
    }
    rows->emplace_back(it.key().str(), it.value().doc.get());
  }
  return Status::OK();
}

// A recovery's or a storage replay's work before it changes the engine: the
// log file read back (a RecoveryRead), then its entries replayed into a
// storage of its own, with each record's `prev` link (the key's newest put
// before it), the records that are change events and the applied requests,
// as the engine will hold them. It reads the engine and never changes it.
class Engine::LogReplay : public Engine::Work {
 public:
  LogReplay(const Engine& engine, WorkKind kind, RecoveryMode mode)
      : Work(kind, mode),
        read(engine.wal_, kind == WorkKind::kRecover && mode == RecoveryMode::kSkip) {}

  // Takes up to `budget` records of reading or, once the log is read, of
  // replaying: a part never spans both.
  PrepareProgress Advance(const Engine& engine, std::size_t budget) override;

  WriteAheadLog::RecoveryRead read;
  // Once the read is done: why the step is refused (then nothing is replayed).
  Status refused;
  // The checkpoint's image the replay starts from (none: empty storage),
  // or why a recovery did not use the checkpoint.
  std::optional<StorageImage> image;
  std::string checkpoint_unused;
  bool drop_checkpoint = false;  // a recovery's: the checkpoint is past its log's end
  // What a recovery makes of the file (its index of the records read back),
  // or the index as it is, for a storage replay; the replay sets each
  // record's `prev` link in it.
  WriteAheadLog::RecoveryPlan plan;
  Storage storage;
  SharedVector<std::uint32_t> events;  // the records that are change events
  std::unordered_map<std::string, std::uint32_t> present;  // key -> its newest put
  std::map<std::string, AppliedRequest> requests;
  std::size_t next = 0;      // the next record to replay
  std::size_t replayed = 0;  // entries replayed into storage

 private:
  // After the read: what refuses the step, and the image to start from.
  void StartReplay(const Engine& engine);
  bool replay_started_ = false;
};

void Engine::LogReplay::StartReplay(const Engine& engine) {
  replay_started_ = true;
  const auto& checkpoint = engine.checkpoint_;
  if (kind == WorkKind::kRecover) {
    refused = WriteAheadLog::CheckRecovered(mode, read.report);
    const Lsn head = engine.wal_.HeadWith(read.records);
    if (checkpoint && checkpoint->lsn <= head) {
      image = *checkpoint;
    } else if (checkpoint) {
      // Its image holds writes the recovered log lost, and new writes will
      // take their LSNs: kept, a later recovery (once the head passed its
      // LSN again) would load it, lost writes and all.
      drop_checkpoint = true;
      checkpoint_unused = "the checkpoint at LSN " + std::to_string(checkpoint->lsn) +
                          " is past the recovered log's end (LSN " + std::to_string(head) +
                          "), so it was dropped: it holds writes the log lost, whose LSNs new "
                          "writes take";
    }
  } else if (!read.report.problems.empty()) {
    const log::Problem& problem = read.report.problems.front();
    refused = Status::Invalid("log", "the record at byte offset " + std::to_string(problem.offset) +
                                         " does not verify (" + problem.reason +
                                         "), so storage was not replaced; crash and recover to "
                                         "deal with it");
  } else if (engine.wal_.start_lsn() > 1) {
    // Once a truncation removed entries, the log alone no longer holds every
    // write: the replay starts from the last checkpoint's image.
    if (!checkpoint) {
      refused = Status::Invalid("log", "the log starts at LSN " +
                                           std::to_string(engine.wal_.start_lsn()) +
                                           " and there is no checkpoint to replay it onto");
    } else {
      image = *checkpoint;
    }
  }
  if (!refused.ok()) return;
  if (image) storage.Load(*image);
  // The records read back are the index's to be (a recovery's) or the
  // index's as it is (a storage replay's: the file verified), one for one.
  if (kind == WorkKind::kRecover) {
    plan = engine.wal_.PlanRecovery(read.records, read.report);
  } else {
    plan.index = engine.wal_.records();
  }
}

PrepareProgress Engine::LogReplay::Advance(const Engine& engine, std::size_t budget) {
  PrepareProgress progress;
  if (!read.done()) {
    // A part ends with its phase: a record costs more to replay than to
    // read, so a caller that sizes parts by time sizes each phase's anew.
    // Once read, the progress is the next phase's, at its start.
    if (!read.Read(budget)) {
      progress.at = read.bytes_read();
      progress.of = engine.wal_.file().size();
    } else {
      progress.phase = "replaying";
      progress.of = read.records.size();
    }
    return progress;
  }
  if (!replay_started_) StartReplay(engine);
  const auto& records = read.records;
  if (refused.ok()) {
    // The records read are the index's to be, one for one, so each row
    // keeps the index of the record that wrote it.
    const std::size_t end = next + std::min(budget, records.size() - next);
    for (; next < end; ++next) {
      const std::size_t i = next;
      const LogEntry& entry = records[i].entry;
      if (!entry.request_id.empty()) requests[entry.request_id] = {entry.lsn, entry.key};
      const auto old = present.find(entry.key);
      const std::uint32_t prev = old != present.end() ? old->second : kNoRecord;
      if (plan.index[i].prev != prev) plan.index.mutable_at(i).prev = prev;
      // Only a skipped record can leave a delete of an absent key: no event
      // (unless retention removed its put, whose row the event then keeps).
      if (entry.op == LogOp::kPut || prev != kNoRecord || engine.stream_.HasBefore(entry.lsn)) {
        events.push_back(static_cast<std::uint32_t>(i));
      }
      if (entry.op == LogOp::kPut) {
        present[entry.key] = static_cast<std::uint32_t>(i);
      } else if (old != present.end()) {
        present.erase(old);
      }
      if (image && entry.lsn <= image->lsn) continue;
      // A value in the stored form is the document's text as it is (nothing
      // parsed, nothing written again); one in another form was parsed.
      DocRef doc = entry.op != LogOp::kPut            ? nullptr
                   : !records[i].value_text.empty() ? MakeDocFromText(records[i].value_text)
                                                    : MakeDoc(entry.value);
      storage.Apply(entry.key, std::move(doc), static_cast<std::uint32_t>(i), entry.lsn);
      ++replayed;
    }
  }
  progress.phase = "replaying";
  progress.at = next;
  progress.of = records.size();
  progress.done = !refused.ok() || next == records.size();
  return progress;
}

Engine::Engine() : stream_(&wal_) {}
Engine::~Engine() = default;

std::unique_ptr<Engine::LogReplay> Engine::TakeReplay(WorkKind kind, RecoveryMode mode) {
  std::unique_ptr<Work> work = std::move(prepared_);
  if (work != nullptr && work->kind == kind && work->mode == mode) {
    return std::unique_ptr<LogReplay>(static_cast<LogReplay*>(work.release()));
  }
  return std::make_unique<LogReplay>(*this, kind, mode);
}

std::size_t Engine::InstallReplay(LogReplay* work) {
  if (work->kind == WorkKind::kRecover) {
    wal_.InstallRecovered(std::move(work->plan));
  } else {
    wal_.SetIndex(std::move(work->plan.index));
  }
  storage_.CopyFrom(work->storage);
  stream_.Assign(std::move(work->events));
  requests_ = std::move(work->requests);
  return work->replayed;
}

namespace {

// What a storage replay's work is prepared in: it reads the log as it
// stands, stopping at any record that does not verify.
constexpr RecoveryMode kReplayStorageRead = RecoveryMode::kPointInTime;

Status NothingToRecover() {
  return Status::Invalid("recover", "the database is up, so there is nothing to recover "
                                    "(crash it first)");
}

}  // namespace

Status Engine::PrepareRecover(const RecoveryMode* mode) {
  prepared_.reset();
  if (!down_) return NothingToRecover();
  prepared_ = std::make_unique<LogReplay>(*this, WorkKind::kRecover,
                                          mode != nullptr ? *mode : recovery_mode_);
  return Status::OK();
}

Status Engine::PrepareReplayStorage() {
  prepared_.reset();
  if (down_) return DatabaseDown();
  prepared_ = std::make_unique<LogReplay>(*this, WorkKind::kReplayStorage, kReplayStorageRead);
  return Status::OK();
}

PrepareProgress Engine::AdvancePrepared(std::size_t budget) {
  assert(prepared_ != nullptr);
  return prepared_->Advance(*this, budget);
}

void Engine::DropPrepared() { prepared_.reset(); }

Status Engine::ReplayStorage(std::size_t* replayed) {
  if (down_) return DatabaseDown();
  std::unique_ptr<LogReplay> work = TakeReplay(WorkKind::kReplayStorage, kReplayStorageRead);
  work->Finish(*this);
  if (!work->refused.ok()) return work->refused;
  *replayed = InstallReplay(work.get());
  return Status::OK();
}

void Engine::Configure(const CommitMode* commit, const RecoveryMode* recovery) {
  if (commit != nullptr) commit_mode_ = *commit;
  if (recovery != nullptr) recovery_mode_ = *recovery;
}

Status Engine::Sync(Lsn* durable) {
  if (down_) return DatabaseDown();
  wal_.Sync();
  *durable = wal_.durable_lsn();
  return Status::OK();
}

void Engine::GoDown(CrashKind kind, std::size_t torn_bytes) {
  if (kind == CrashKind::kPower) wal_.mutable_file()->LosePower(torn_bytes);
  // The database's memory: storage is gone. The log index is kept until
  // recovery only to tell what was lost; the event history stays on view
  // but nothing is delivered until recovery rebuilds it from the file.
  storage_.Clear();
  stream_.ClearCache();
  wal_.DropBuffers();
  down_ = true;
  down_by_ = kind == CrashKind::kPower ? "power" : "process";
  readable_.reset();
}

const std::vector<std::uint32_t>& Engine::ReadableEvents() const {
  if (!readable_) {
    auto readable = std::make_shared<std::vector<std::uint32_t>>();
    std::vector<bool> found;
    for (std::size_t i = 0; i < stream_.size(); ++i) {
      if (stream_.Readable(i, &found)) readable->push_back(static_cast<std::uint32_t>(i));
    }
    readable_ = std::move(readable);
  }
  return *readable_;
}

Status Engine::Crash(CrashKind kind, std::size_t torn_bytes) {
  if (down_) return DatabaseDown();
  if (kind == CrashKind::kProcess && torn_bytes != 0) {
    return Status::Invalid("torn_bytes", "only a power crash can tear a write");
  }
  if (torn_bytes > wal_.file().unsynced()) {
    return Status::Invalid("torn_bytes", "must be at most " +
                                             std::to_string(wal_.file().unsynced()) +
                                             " (the unsynced bytes)");
  }
  GoDown(kind, torn_bytes);
  return Status::OK();
}

Status Engine::Recover(const RecoveryMode* mode, RecoveryResult* result) {
  if (!down_) return NothingToRecover();
  const RecoveryMode m = mode != nullptr ? *mode : recovery_mode_;
  std::unique_ptr<LogReplay> work = TakeReplay(WorkKind::kRecover, m);
  work->Finish(*this);
  if (!work->refused.ok()) return work->refused;
  const SharedVector<RecordInfo> before = wal_.records();  // shared, not copied

  // The file and its index as recovery found them; storage, from the
  // newest checkpoint's image when it is usable; and the change stream,
  // captured again from the recovered log: it is what the log now says
  // happened.
  *result = RecoveryResult();
  if (work->image) result->checkpoint = work->image->lsn;
  result->checkpoint_unused = work->checkpoint_unused;
  result->replayed_without_checkpoint = work->read.records.size();
  result->complete_without_checkpoint = wal_.start_lsn() == 1;
  result->replayed = InstallReplay(work.get());
  if (work->drop_checkpoint) checkpoint_.reset();
  down_ = false;
  readable_.reset();

  result->mode = m;
  result->recovered = wal_.head();
  result->discarded_bytes = work->read.report.discarded_bytes;
  result->problems = std::move(work->read.report.problems);
  // Both indexes are in LSN order: walked side by side.
  const auto& after = wal_.records();
  std::size_t at = 0;
  for (const auto& r : before) {
    while (at < after.size() && after[at].lsn < r.lsn) ++at;
    if (at == after.size() || after[at].lsn != r.lsn) {
      result->lost.push_back({r.lsn, r.acknowledged});
    } else if (!r.acknowledged && r.lsn > recovered_head_) {
      // Reported once: by the recovery after the crash that lost its reply.
      result->survived_unacknowledged.push_back(r.lsn);
    }
  }
  recovered_head_ = wal_.head();
  // A consumer that saw a write recovery lost must be rebuilt: past the
  // head, or (after skipping a corrupt record) at a hole below it.
  for (auto& c : consumers_) {
    Lsn dropped = 0;
    for (const auto& l : result->lost) {
      if (l.lsn <= c->seen() && l.lsn <= wal_.head()) {
        dropped = l.lsn;
        break;
      }
    }
    if (c->seen() > wal_.head() || dropped != 0) {
      c->MarkAhead(dropped);
      result->ahead.push_back(c->name());
    }
  }
  return Status::OK();
}

Status Engine::Corrupt(Lsn lsn, std::optional<std::size_t> byte, CorruptResult* result) {
  const RecordInfo* r = wal_.Find(lsn);
  if (r == nullptr || r->offset + r->size > wal_.file().size()) {
    return Status::Invalid("lsn", "no log record with LSN " + std::to_string(lsn) + " in the file");
  }
  if (r->offset + r->size > wal_.file().synced()) {
    return Status::Invalid("lsn", "LSN " + std::to_string(lsn) +
                                      " is not durable yet: only bytes on disk can rot (sync first)");
  }
  const std::size_t at =
      byte.value_or(log::kHeaderSize + (r->size - log::kHeaderSize) / 2);
  if (at >= r->size) {
    return Status::Invalid("byte", "must be less than " + std::to_string(r->size) +
                                       " (the record's size)");
  }
  result->lsn = lsn;
  result->byte = at;
  result->offset = r->offset + at;
  result->was = static_cast<unsigned char>(wal_.file().bytes()[result->offset]);
  wal_.Rot(result->offset);
  result->now = static_cast<unsigned char>(wal_.file().bytes()[result->offset]);
  return Status::OK();
}

Status Engine::Checkpoint(CheckpointResult* result) {
  if (down_) return DatabaseDown();
  // A checkpoint first makes the log durable up to its own LSN (PostgreSQL
  // flushes WAL before it writes the checkpoint record).
  wal_.Sync();
  checkpoint_ = storage_.Image();
  *result = CheckpointResult();
  result->lsn = checkpoint_->lsn;
  result->rows = checkpoint_->rows.size();
  result->log_entries = wal_.records().size();
  result->replay_entries = wal_.records().size() - FirstRecordAfter(checkpoint_->lsn);
  return Status::OK();
}

std::size_t Engine::FirstRecordAfter(Lsn lsn) const {
  const auto& records = wal_.records();
  std::size_t lo = 0, hi = records.size();
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (records[mid].lsn <= lsn) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::string Engine::OutOfRangeReason(const Consumer& consumer) const {
  if (!OutOfRange(consumer)) return "";
  return "'" + consumer.name() + "' is out of range: its next event (after LSN " +
         std::to_string(consumer.position()) +
         ") was removed by a truncation, and the log now starts at LSN " +
         std::to_string(wal_.start_lsn()) +
         " (Kafka's OFFSET_OUT_OF_RANGE; a PostgreSQL slot whose wal_status is lost); rebuild it "
         "by snapshot";
}

LogPins Engine::Pins() const {
  LogPins pins;
  if (checkpoint_) pins.checkpoint = checkpoint_->lsn;
  bool first = true;
  for (const auto& c : consumers_) {
    if (OutOfRange(*c) || c->spec().direct) continue;  // a lost slot pins nothing
    if (first || c->committed() < pins.consumer_lsn) {
      pins.consumer = c->name();
      pins.consumer_lsn = c->committed();
      first = false;
    }
  }
  // The furthest a truncation without force may go: recovery needs the
  // entries after the checkpoint, each consumer those after its commit.
  if (checkpoint_) {
    pins.truncatable_before = checkpoint_->lsn + 1;
    if (!first) pins.truncatable_before = std::min(*pins.truncatable_before, pins.consumer_lsn + 1);
  }
  return pins;
}

std::string Engine::KeyOf(const RecordInfo& record) const {
  std::string scratch;
  std::string_view key;
  if (!log::KeyOf(wal_.Bytes(record, &scratch), &key)) return "";
  return std::string(key);
}

Status Engine::CheckTruncate(Lsn before, bool force) const {
  if (down_) return DatabaseDown();
  if (before < 1 || before > wal_.head() + 1) {
    return Status::Invalid("before", "must be from 1 to " + std::to_string(wal_.head() + 1) +
                                         " (the head + 1)");
  }
  if (!checkpoint_) {
    return Status::Invalid("before", "there is no checkpoint, so storage recovery still needs "
                                     "every entry from LSN 1; checkpoint first");
  }
  if (before > checkpoint_->lsn + 1) {
    const Lsn needed = checkpoint_->lsn + 1;
    return Status::Invalid(
        "before", "storage recovery would still need the entries from LSN " +
                      std::to_string(needed) + " (" +
                      (checkpoint_ ? "the last checkpoint is at LSN " +
                                         std::to_string(checkpoint_->lsn)
                                   : std::string("there is no checkpoint")) +
                      "), so before can be at most " + std::to_string(needed) +
                      "; checkpoint first");
  }
  std::vector<std::string> pinning;
  for (const auto& c : consumers_) {
    if (!OutOfRange(*c) && !c->spec().direct && c->committed() + 1 < before) {
      pinning.push_back(c->name() + " (committed position " + std::to_string(c->committed()) +
                        ")");
    }
  }
  if (!pinning.empty() && !force) {
    std::string names;
    for (const auto& n : pinning) names += (names.empty() ? "" : ", ") + n;
    return Status::Invalid("before", "consumers still need entries before LSN " +
                                         std::to_string(before) + ": " + names +
                                         " (a replication slot pins WAL from the position its "
                                         "consumer confirmed); \"force\": true removes them "
                                         "anyway, as max_slot_wal_keep_size does");
  }
  return Status::OK();
}

Status Engine::CheckCompact(Lsn upto, Lsn tombstones_before) const {
  if (down_) return DatabaseDown();
  if (upto < 1 || upto > wal_.durable_lsn()) {
    return Status::Invalid("upto", "must be from 1 to " + std::to_string(wal_.durable_lsn()) +
                                       " (the durable LSN: only synced entries are compacted, "
                                       "as Kafka never cleans the active segment)");
  }
  if (tombstones_before > upto) {
    return Status::Invalid("tombstones_before", "must be at most upto (" +
                                                    std::to_string(upto) + ")");
  }
  if (checkpoint_ && tombstones_before > checkpoint_->lsn + 1) {
    // Recovery loads the image and replays the log after it: a delete after
    // the image is what removes that key again.
    return Status::Invalid(
        "tombstones_before",
        "must be at most " + std::to_string(checkpoint_->lsn + 1) +
            ": recovery loads the checkpoint at LSN " + std::to_string(checkpoint_->lsn) +
            " and still needs the deletes after it to remove those keys from the image");
  }
  return Status::OK();
}

// A truncation's or a compaction's work before it changes the engine:
// which records go (a compaction scans from its newest entry back, keeping
// each key's newest), then the log without them, built by a
// WriteAheadLog::Removal, with what the change stream and Verify need kept
// in copies of the engine's: the before images of kept events whose
// previous record goes, and the removed entries as the checking aid. It
// reads the engine and never changes it.
class Engine::RemovalWork : public Engine::Work {
 public:
  // A truncation's before (b unused), or a compaction's upto and
  // tombstones_before.
  RemovalWork(const Engine& engine, WorkKind kind, Lsn a, Lsn b)
      : Work(kind, RecoveryMode::kPointInTime),
        a(a),
        b(b),
        remove(engine.wal_.records().size()),
        dropped(kind == WorkKind::kCompact ? remove.size() : 0),
        log(engine.wal_),
        removed(engine.removed_),
        befores(engine.stream_.befores()) {
    if (kind == WorkKind::kTruncate) {
      const auto& records = engine.wal_.records();
      for (std::size_t i = 0; i < remove.size(); ++i) remove[i] = records[i].lsn < a;
    } else {
      scan_ = scan_end_ = engine.FirstRecordAfter(a);
    }
  }

  PrepareProgress Advance(const Engine& engine, std::size_t budget) override;

  const Lsn a, b;
  std::vector<bool> remove;   // by record index
  std::vector<bool> dropped;  // of those, a compaction's dropped tombstones
  RemovalResult result;      // its removed LSNs, dropped tombstones and missed deletes
  // The deletes consumers missed, in the order found: consumer, {key, LSN}.
  std::vector<std::pair<std::string, std::pair<std::string, Lsn>>> missed;
  WriteAheadLog::Removal log;
  CowMap<Lsn, RemovedEntry> removed;
  CowMap<Lsn, DocRef> befores;

 private:
  // A compaction's scan: which of the records before index scan_ go, from
  // the newest back.
  void Scan(const Engine& engine, std::size_t budget);
  std::size_t scan_ = 0, scan_end_ = 0;  // records left to scan; of
  std::unordered_set<std::string> newer_;  // keys with a newer entry <= upto
};

void Engine::RemovalWork::Scan(const Engine& engine, std::size_t budget) {
  const auto& records = engine.wal_.records();
  const Lsn tombstones_before = b;
  for (std::size_t n = 0; n < budget && scan_ > 0; ++n) {
    const std::size_t i = --scan_;
    const RecordInfo& r = records[i];
    std::string key = engine.KeyOf(r);
    if (newer_.count(key) != 0) {
      remove[i] = true;
      continue;
    }
    if (r.op == LogOp::kDelete && r.lsn < tombstones_before) {
      remove[i] = true;
      dropped[i] = true;
      result.dropped_tombstones.emplace_back(key, r.lsn);
      for (const auto& c : engine.consumers_) {
        if (c->spec().direct) continue;  // it never reads the log
        // Behind the tombstone and holding the key: in its state now (which
        // for separate offsets holds the newest LSN it ever processed), or
        // at its commit, where a consumer that commits its state with its
        // position goes back to after a crash (and reads on from there).
        // An upsert consumer's state store says exactly whether it holds
        // the key; for a delta consumer the log says what it held, as far
        // as the log knows (it may have been delivered less: entries
        // compacted away before it reached them).
        const Lsn seen = c->seen(), committed = c->committed();
        const bool rewinds = c->spec().offsets == OffsetStorage::kWithState;
        const bool upsert = c->spec().apply == ApplyMode::kUpsert;
        if ((seen < r.lsn && (upsert ? c->system().StoreHas(key) : engine.HeldAt(i, key, seen))) ||
            (rewinds && committed < r.lsn &&
             (upsert ? c->committed_system().StoreHas(key)
                     : engine.HeldAt(i, key, committed)))) {
          missed.push_back({c->name(), {key, r.lsn}});
          result.missed_deletes.emplace_back(c->name(), key);
        }
      }
    }
    newer_.insert(std::move(key));
  }
  if (scan_ == 0) {
    std::reverse(result.dropped_tombstones.begin(), result.dropped_tombstones.end());
    std::reverse(result.missed_deletes.begin(), result.missed_deletes.end());
    newer_ = {};
  }
}

PrepareProgress Engine::RemovalWork::Advance(const Engine& engine, std::size_t budget) {
  // A part works in one phase: a compaction's scan, then the removal.
  PrepareProgress progress;
  if (scan_ > 0) {
    Scan(engine, budget);
    budget = 0;
  }
  if (scan_ > 0) {
    progress.phase = "scanning";
    progress.at = scan_end_ - scan_;
    progress.of = scan_end_;
    return progress;
  }
  const auto& records = engine.wal_.records();
  const bool truncation = kind == WorkKind::kTruncate;
  for (std::size_t n = 0; n < budget && !log.done(); ++n) {
    const std::size_t i = log.taken();
    const RecordInfo& r = records[i];
    if (remove[i]) {
      result.removed.push_back(r.lsn);
      removed.Set(r.lsn, {r.op, engine.KeyOf(r),
                          r.op == LogOp::kPut ? engine.stream_.DocumentOf(i) : nullptr, truncation,
                          !truncation && dropped[i]});
      befores.erase(r.lsn);
    } else if (r.prev != kNoRecord && remove[r.prev] && records[r.prev].op == LogOp::kPut) {
      befores.Set(r.lsn, engine.stream_.DocumentOf(r.prev));
    }
    log.Take(remove[i]);
  }
  progress.phase = "removing";
  progress.at = log.taken();
  progress.of = records.size();
  progress.done = log.done();
  return progress;
}

std::unique_ptr<Engine::RemovalWork> Engine::TakeRemoval(WorkKind kind, Lsn a, Lsn b) {
  std::unique_ptr<Work> work = std::move(prepared_);
  if (work != nullptr && work->kind == kind) {
    auto* removal = static_cast<RemovalWork*>(work.get());
    if (removal->a == a && removal->b == b) {
      work.release();
      return std::unique_ptr<RemovalWork>(removal);
    }
  }
  return std::make_unique<RemovalWork>(*this, kind, a, b);
}

void Engine::InstallRemoval(RemovalWork* work, RemovalResult* result) {
  *result = std::move(work->result);
  for (auto& [name, missed] : work->missed) missed_[name].push_back(std::move(missed));
  result->bytes_before = result->bytes_after = wal_.file().size();
  if (result->removed.empty()) return;
  removed_ = std::move(work->removed);
  stream_.SetBefores(std::move(work->befores));
  stream_.Remap(wal_.InstallRemoval(std::move(work->log)));
  result->bytes_after = wal_.file().size();
}

Status Engine::PrepareTruncate(Lsn before, bool force) {
  prepared_.reset();
  Status s = CheckTruncate(before, force);
  if (!s.ok()) return s;
  prepared_ = std::make_unique<RemovalWork>(*this, WorkKind::kTruncate, before, 0);
  return Status::OK();
}

Status Engine::PrepareCompact(Lsn upto, Lsn tombstones_before) {
  prepared_.reset();
  Status s = CheckCompact(upto, tombstones_before);
  if (!s.ok()) return s;
  prepared_ = std::make_unique<RemovalWork>(*this, WorkKind::kCompact, upto, tombstones_before);
  return Status::OK();
}

Status Engine::Truncate(Lsn before, bool force, RemovalResult* result) {
  Status s = CheckTruncate(before, force);
  if (!s.ok()) return s;
  std::unique_ptr<RemovalWork> work = TakeRemoval(WorkKind::kTruncate, before, 0);
  work->Finish(*this);
  std::vector<bool> was_out(consumers_.size());
  for (std::size_t i = 0; i < consumers_.size(); ++i) was_out[i] = OutOfRange(*consumers_[i]);
  InstallRemoval(work.get(), result);
  wal_.SetStart(before);
  // Those this truncation put out of range (one that already was is not
  // put out of range again).
  for (std::size_t i = 0; i < consumers_.size(); ++i) {
    if (!was_out[i] && OutOfRange(*consumers_[i])) result->out_of_range.push_back(consumers_[i]->name());
  }
  return Status::OK();
}

Status Engine::Compact(Lsn upto, Lsn tombstones_before, RemovalResult* result) {
  Status s = CheckCompact(upto, tombstones_before);
  if (!s.ok()) return s;
  std::unique_ptr<RemovalWork> work = TakeRemoval(WorkKind::kCompact, upto, tombstones_before);
  work->Finish(*this);
  InstallRemoval(work.get(), result);
  return Status::OK();
}

bool Engine::HeldAt(std::size_t i, const std::string& key, Lsn position) const {
  const auto& records = wal_.records();
  for (std::size_t j = i;; j = records[j].prev) {
    if (records[j].lsn <= position) return records[j].op == LogOp::kPut;
    if (records[j].prev == kNoRecord) {
      i = j;
      break;
    }
  }
  // The key's older entries, if any, are ones retention removed before.
  for (std::size_t rank = removed_.Rank(records[i].lsn); rank-- > 0;) {
    auto it = removed_.At(rank);
    if (it.key() <= position && it.value().key == key) return it.value().op == LogOp::kPut;
  }
  return false;
}

Status Engine::Commit(const std::string& consumer) {
  Consumer* c = FindMutable(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  c->Commit();
  return Status::OK();
}

Status Engine::CrashConsumer(const std::string& consumer, Lsn* rewound_to,
                             std::size_t* redeliver) {
  Consumer* c = FindMutable(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  const Lsn from = c->position();
  *rewound_to = c->Crash();
  *redeliver = stream_.CountBetween(*rewound_to, from);
  return Status::OK();
}

namespace {

// A materialized view's list is in arrival order, which a snapshot (key
// order) cannot know: lists compare as sets.
void SortLists(Json* state) {
  for (auto& [group, value] : state->items()) {
    if (value.is_object() && value.contains("list") && value["list"].is_array()) {
      std::sort(value["list"].begin(), value["list"].end());
    }
  }
}

}  // namespace

// A verify's work: storage as it stood at each consumer's position, folded
// once in LSN order from the change stream and the entries retention
// removed, fed as a snapshot to a fresh system of the consumer's spec; then
// each consumer compared with its fresh one. It reads the engine and never
// changes it.
class Engine::VerifyWork : public Engine::Work {
 public:
  explicit VerifyWork(const Engine& engine)
      : Work(WorkKind::kVerify, RecoveryMode::kPointInTime),
        fresh_(engine.consumers_.size()),
        removed_(engine.removed_.begin()) {
    order_.resize(engine.consumers_.size());
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    std::sort(order_.begin(), order_.end(), [&engine](std::size_t a, std::size_t b) {
      return engine.consumers_[a]->position() < engine.consumers_[b]->position();
    });
    fold_end_ = order_.empty() ? 0
                               : engine.stream_.FirstAfter(engine.consumers_[order_.back()]->position());
  }

  // Takes up to `budget` records, within one phase: change events or
  // retention's entries folded, rows fed, or consumers compared (a
  // consumer counted as its rows; at least one a part).
  PrepareProgress Advance(const Engine& engine, std::size_t budget) override;

  Status error;                       // a fresh system could not be made
  std::vector<ConsumerCheck> checks;  // in the consumers' order

 private:
  // Folds into rows_ up to `at`: false when the budget ran out first.
  bool Fold(const Engine& engine, Lsn at, std::size_t budget, std::size_t* spent);

  std::vector<std::size_t> order_;  // consumers by position
  std::size_t built_ = 0;           // consumers (in order_) whose fresh system is fed
  std::vector<std::unique_ptr<DerivedSystem>> fresh_;
  std::map<std::string, DocRef> rows_;
  std::size_t next_event_ = 0, fold_end_ = 0;
  CowMap<Lsn, RemovedEntry>::const_iterator removed_;
  ChangeEvent event_;
  std::vector<bool> found_;  // records whose documents were read (EventWithoutBefore)
  bool feeding_ = false;
  std::map<std::string, DocRef>::const_iterator feed_;
  std::size_t fed_ = 0;       // rows fed to fresh systems
  std::size_t fed_done_ = 0;  // of those, to the systems whose feeding ended
};

bool Engine::VerifyWork::Fold(const Engine& engine, Lsn at, std::size_t budget,
                              std::size_t* spent) {
  const ChangeStream& stream = engine.stream_;
  for (; *spent < budget; ++*spent) {
    const bool have_event = next_event_ < stream.size() && stream.LsnAt(next_event_) <= at;
    const bool have_removed = removed_ != engine.removed_.end() && removed_.key() <= at;
    if (!have_event && !have_removed) return true;
    if (have_removed && (!have_event || removed_.key() < stream.LsnAt(next_event_))) {
      if (removed_.value().op == LogOp::kPut) {
        rows_[removed_.value().key] = removed_.value().doc;
      } else {
        rows_.erase(removed_.value().key);
      }
      ++removed_;
      continue;
    }
    if (stream.EventWithoutBefore(next_event_, &event_, &found_)) {
      if (event_.op == ChangeOp::kDelete) {
        rows_.erase(event_.key.str());
      } else {
        rows_[event_.key.str()] = event_.after;
      }
    }
    ++next_event_;
  }
  return false;
}

PrepareProgress Engine::VerifyWork::Advance(const Engine& engine, std::size_t budget) {
  // A part works in one phase: folding the stream to a consumer's position,
  // feeding the rows to its fresh system (a row costs more than an event),
  // or comparing. Its progress is then the next part's phase.
  std::size_t spent = 0;
  if (budget > 0 && error.ok() && built_ < order_.size()) {
    const std::size_t o = order_[built_];
    const Consumer& c = *engine.consumers_[o];
    if (!feeding_) {
      if (Fold(engine, c.position(), budget, &spent) && (error = NewSystem(c.spec(), &fresh_[o])).ok()) {
        feeding_ = true;
        feed_ = rows_.begin();
      }
    } else {
      for (; feed_ != rows_.end() && spent < budget; ++feed_, ++spent, ++fed_) {
        fresh_[o]->Process({c.position(), ChangeOp::kRead, feed_->first, nullptr, feed_->second});
      }
      if (feed_ == rows_.end()) {
        feeding_ = false;
        ++built_;
        fed_done_ = fed_;
      }
    }
  } else if (budget > 0) {
    while (error.ok() && checks.size() < order_.size() && spent < budget) {
      const std::size_t o = checks.size();
      checks.push_back(engine.CheckConsumer(*engine.consumers_[o], *fresh_[o]));
      spent += std::max<std::size_t>(1, fresh_[o]->RowCount());
      fresh_[o].reset();
    }
  }
  PrepareProgress progress;
  if (error.ok() && built_ < order_.size()) {
    // In change events: those read from the stream, and the snapshot's r
    // events fed to the fresh systems (a consumer not fed yet counted at
    // what the rows are now, or storage's rows if more).
    progress.phase = feeding_ ? "feeding" : "folding";
    const std::size_t rows = std::max(rows_.size(), engine.storage_.rows().size());
    progress.at = next_event_ + fed_;
    progress.of = std::max(progress.at, fold_end_ + fed_done_ + rows * (order_.size() - built_));
  } else {
    progress.phase = "comparing";
    progress.at = checks.size();
    progress.of = order_.size();
  }
  progress.done = !error.ok() || checks.size() == order_.size();
  return progress;
}

std::unique_ptr<Engine::VerifyWork> Engine::TakeVerify() const {
  std::unique_ptr<Work> work = std::move(prepared_);
  if (work != nullptr && work->kind == WorkKind::kVerify) {
    return std::unique_ptr<VerifyWork>(static_cast<VerifyWork*>(work.release()));
  }
  return std::make_unique<VerifyWork>(*this);
}

Status Engine::PrepareVerify() {
  prepared_.reset();
  if (down_) return DatabaseDown();
  prepared_ = std::make_unique<VerifyWork>(*this);
  return Status::OK();
}

Status Engine::Verify(std::vector<ConsumerCheck>* checks) const {
  if (down_) return DatabaseDown();
  std::unique_ptr<VerifyWork> work = TakeVerify();
  work->Finish(*this);
  if (!work->error.ok()) return work->error;
  *checks = std::move(work->checks);
  return Status::OK();
}

ConsumerCheck Engine::CheckConsumer(const Consumer& c, const DerivedSystem& fresh) const {
  ConsumerCheck check;
  check.name = c.name();
  // An index compares its trees with the fresh one's (SameState), and
  // builds its state as JSON only when they differ, to name the keys; a
  // view's lists are in arrival order, which a fresh view cannot know, so
  // its states are compared with their lists sorted. Building both states
  // as JSON for every consumer was a third of a verify's instructions.
  const bool view = c.spec().type == "materialized_view";
  if (view || !fresh.SameState(c.system())) {
    Json expected = fresh.State();
    Json actual = c.system().State();
    if (view) {
      SortLists(&expected);
      SortLists(&actual);
    }
    // The keys that differ are looked for only when the states do, and
    // their values are read in place: copying each key's value (a list of
    // thousands of keys at scale) was 12% of a verify's instructions.
    if (expected != actual) {
      std::set<std::string> keys;
      for (const auto& [k, v] : expected.items()) keys.insert(k);
      for (const auto& [k, v] : actual.items()) keys.insert(k);
      static const Json kAbsent = nullptr;
      for (const auto& k : keys) {
        const auto ie = expected.find(k);
        const auto ia = actual.find(k);
        const Json& e = ie != expected.end() ? *ie : kAbsent;
        const Json& a = ia != actual.end() ? *ia : kAbsent;
        if (e == a) continue;
        check.consistent = false;
        if (check.differences.size() < 5) {
          check.differences.push_back({{"key", k}, {"expected", e}, {"actual", a}});
        }
      }
    }
  }
  std::string missed;
  auto m = missed_.find(c.name());
  if (m != missed_.end()) {
    for (const auto& [key, lsn] : m->second) {
      if (lsn <= c.position()) {
        missed += (missed.empty() ? "" : ", ") + std::string("'") + key + "' (LSN " +
                  std::to_string(lsn) + ")";
      }
    }
  }
  if (c.ahead()) {
    check.consistent = false;
    check.reason = "ahead of the log";
  } else if (!check.consistent && OutOfRange(c)) {
    check.reason = "out of range: a truncation removed events it had not processed (the log "
                   "starts at LSN " + std::to_string(wal_.start_lsn()) + "); rebuild it";
  } else if (!check.consistent && !missed.empty()) {
    check.reason = "never learned of the delete of " + missed +
                   ": compaction dropped the tombstone before the consumer reached it";
  } else if (!check.consistent) {
    check.reason = "state differs from a fresh snapshot of storage at its position (LSN " +
                   std::to_string(c.position()) + ")";
    if (c.spec().apply == ApplyMode::kDelta) {
      // Name the cause this consumer met: redelivery, retention, or both.
      // It met compaction if an entry after where its state began (its
      // snapshot, or LSN 0) was removed.
      const bool redelivered = c.redelivered() > 0;
      const Lsn began = c.from_snapshot() ? c.snapshot_lsn() : 0;
      const bool removed = removed_.size() > removed_.Rank(began + 1);
      check.reason += ": a delta consumer subtracts each event's before image, which is wrong ";
      if (redelivered && !removed) {
        check.reason += "for an event it saw twice (redelivery)";
      } else if (removed && !redelivered) {
        check.reason += "for a row it never saw (compaction removed its entry)";
      } else {
        check.reason += "for a row it never saw (compaction removed its entry) or an event "
                        "it saw twice (redelivery)";
      }
      check.reason += "; an upsert consumer subtracts its own copy";
    }
  }
  return check;
}

std::unique_ptr<Engine> Engine::Clone() const {
  auto copy = std::make_unique<Engine>();
  copy->CopyFrom(*this);
  return copy;
}

void Engine::CopyFrom(const Engine& other) {
  prepared_.reset();
  wal_.CopyFrom(other.wal_);
  storage_.CopyFrom(other.storage_);
  stream_.CopyFrom(other.stream_);
  consumers_.clear();
  for (const auto& c : other.consumers_) consumers_.push_back(c->Clone());
  commit_mode_ = other.commit_mode_;
  recovery_mode_ = other.recovery_mode_;
  down_ = other.down_;
  down_by_ = other.down_by_;
  readable_ = other.readable_;
  recovered_head_ = other.recovered_head_;
  checkpoint_ = other.checkpoint_;
  removed_ = other.removed_;
  missed_ = other.missed_;
  clients_ = other.clients_;
  dedupe_requests_ = other.dedupe_requests_;
  requests_ = other.requests_;
}

void Engine::OpenLog(std::string bytes) {
  prepared_.reset();
  wal_.Load(std::move(bytes));
  storage_.Clear();
  stream_.Clear();
  stream_.ClearBefores();
  checkpoint_.reset();
  removed_.clear();
  missed_.clear();
  requests_.clear();
  down_ = true;
  down_by_ = "opened";
  readable_.reset();
}

const Consumer* Engine::FindConsumer(const std::string& name) const {
  for (const auto& c : consumers_) {
    if (c->name() == name) return c.get();
  }
  return nullptr;
}

Consumer* Engine::FindMutable(const std::string& name) {
  return const_cast<Consumer*>(FindConsumer(name));
}

}  // namespace unbundled
