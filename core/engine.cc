#include "core/engine.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "core/log_format.h"

namespace unbundled {

namespace {

Status UnknownConsumer(const std::string& name) {
  return Status::Invalid("consumer", "no consumer named '" + name + "'");
}

std::size_t RecordSize(const std::string& key, const std::string& value_json) {
  return log::kHeaderSize + log::kKeyLengthSize + key.size() + value_json.size();
}

}  // namespace

Status DatabaseDown() { return Status::Invalid("database is down", "recover first"); }

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

Status Engine::Write(LogOp op, const std::string& key, DocRef doc,
                     const std::string& value_json, const WriteOptions& options,
                     WriteResult* result) {
  Status s = CheckFault(options, RecordSize(key, value_json));
  if (!s.ok()) return s;
  // The key's previous record is the new one's `prev`: the event's "before"
  // image, which is what a CDC connector reading a row-image log sees.
  const StoredRow* old = storage_.Find(key);
  const std::uint32_t prev = old != nullptr ? old->record : kNoRecord;
  if (old != nullptr) stream_.Cache(prev, old->doc);
  const std::size_t index = wal_.Append(op, key, value_json, prev);
  if (doc) stream_.Cache(index, doc);
  storage_.Apply(key, std::move(doc), static_cast<std::uint32_t>(index), wal_.head());
  stream_.Append(index);
  result->written = true;
  stream_.Event(stream_.size() - 1, &result->event);
  switch (options.fault) {
    case WriteFault::kNone:
      if (commit_mode_ == CommitMode::kSync) wal_.Sync();
      result->acknowledged = true;
      result->durable = commit_mode_ == CommitMode::kSync;
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
  return Put(key, Document(value), options, result);
}

Status Engine::Put(const std::string& key, Document&& value, const WriteOptions& options,
                   WriteResult* result) {
  if (down_) return DatabaseDown();
  Status s = ValidateKey(key, "key");
  std::string value_json;
  if (s.ok()) s = ValidateValue(value, "value", &value_json);
  if (!s.ok()) return s;
  *result = WriteResult();
  return Write(LogOp::kPut, key, MakeDoc(std::move(value)), value_json, options, result);
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
  if (storage_.Get(key) == nullptr) {
    if (options.fault != WriteFault::kNone) {
      return Status::Invalid("crash", "'" + key +
                                          "' is absent, so this delete writes nothing and has "
                                          "no write to crash in");
    }
    result->acknowledged = true;
    return Status::OK();
  }
  return Write(LogOp::kDelete, key, nullptr, "", options, result);
}

Status Engine::Delete(const std::string& key, bool* deleted, ChangeEvent* event) {
  WriteResult result;
  Status s = Delete(key, WriteOptions(), &result);
  if (!s.ok()) return s;
  *deleted = result.written;
  if (result.written && event != nullptr) *event = result.event;
  return s;
}

Status Engine::Get(const std::string& key, const Document** value) const {
  if (down_) return DatabaseDown();
  Status s = ValidateKey(key, "key");
  if (!s.ok()) return s;
  *value = storage_.Get(key);
  return Status::OK();
}

Status Engine::CanDeliver(const Consumer& consumer) const {
  if (down_) return DatabaseDown();
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
  for (auto& c : consumers_) {
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

std::size_t Engine::Snapshot(DerivedSystem* system, std::vector<ChangeEvent>* events) const {
  const Lsn at = storage_.lsn();
  for (const auto& [key, row] : storage_.rows()) {
    ChangeEvent read;
    read.lsn = at;
    read.op = ChangeOp::kRead;
    read.key = key;
    read.after = row.doc;
    system->Apply(read);
    if (events != nullptr) events->push_back(std::move(read));
  }
  return storage_.rows().size();
}

Status Engine::AddConsumer(const ConsumerSpec& spec, JoinMode mode,
                           std::vector<ChangeEvent>* snapshot, Lsn* position) {
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
  std::unique_ptr<DerivedSystem> system;
  Status s = CreateDerivedSystem(spec.type, spec.config, "consumer", &system);
  if (!s.ok()) return s;
  if (mode == JoinMode::kSnapshot) {
    std::size_t rows = Snapshot(system.get(), snapshot);
    auto consumer = std::make_unique<Consumer>(spec, nullptr);
    consumer->StartFromSnapshot(std::move(system), storage_.lsn(), rows);
    consumers_.push_back(std::move(consumer));
  } else {
    consumers_.push_back(std::make_unique<Consumer>(spec, std::move(system)));
  }
  *position = consumers_.back()->position();
  return Status::OK();
}

Status Engine::RemoveConsumer(const std::string& consumer) {
  for (auto it = consumers_.begin(); it != consumers_.end(); ++it) {
    if ((*it)->name() == consumer) {
      consumers_.erase(it);
      return Status::OK();
    }
  }
  return UnknownConsumer(consumer);
}

Status Engine::Rebuild(const std::string& consumer, std::vector<ChangeEvent>* snapshot,
                       Lsn* position) {
  Consumer* c = FindMutable(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  if (down_) return DatabaseDown();
  std::unique_ptr<DerivedSystem> fresh;
  // The spec was validated when the consumer was added, so this succeeds.
  Status s = CreateDerivedSystem(c->spec().type, c->spec().config, "consumer", &fresh);
  if (!s.ok()) return s;
  std::size_t rows = Snapshot(fresh.get(), snapshot);
  c->StartFromSnapshot(std::move(fresh), storage_.lsn(), rows);
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
  Status s = CreateDerivedSystem(c->spec().type, c->spec().config, "consumer", &fresh);
  if (!s.ok()) return s;
  Snapshot(fresh.get(), nullptr);
  return fresh->Query(query, result);
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
    const Document* doc = storage_.Get(key.get<std::string>());
    bool stale = doc == nullptr;
    if (doc != nullptr) {
      auto it = doc->find(field);
      stale = it == doc->end() || IndexTerm(*it) != term;
    }
    result->push_back({{"key", key}, {"value", doc == nullptr ? Json(nullptr) : *doc},
                       {"stale", stale}});
  }
  return Status::OK();
}

Status Engine::Scan(const std::string& prefix, std::size_t limit,
                    std::vector<std::pair<std::string, const Document*>>* rows, bool* more) const {
  if (down_) return DatabaseDown();
  rows->clear();
  *more = false;
  for (auto it = storage_.rows().lower_bound(prefix);
       it != storage_.rows().end() && it.key().compare(0, prefix.size(), prefix) == 0; ++it) {
    if (rows->size() == limit) {
      *more = true;
      break;
    }
    rows->emplace_back(it.key(), it.value().doc.get());
  }
  return Status::OK();
}

Status Engine::ReplayStorage(std::size_t* replayed) {
  if (down_) return DatabaseDown();
  std::optional<log::Problem> problem;
  std::vector<LogEntry> entries;
  {
    log::Reader reader(wal_.file().bytes(), [&problem](const log::Problem& p) {
      if (!problem) problem = p;
    }, /*skip_corruption=*/false);
    log::Record record;
    while (reader.ReadRecord(&record)) entries.push_back(std::move(record.entry));
  }
  if (problem) {
    return Status::Invalid("log", "the record at byte offset " + std::to_string(problem->offset) +
                                      " does not verify (" + problem->reason +
                                      "), so storage was not replaced; crash and recover to "
                                      "deal with it");
  }
  // The file's records are the index's, one for one (it verified), so each
  // row keeps the index of the record that wrote it.
  storage_.Clear();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto& entry = entries[i];
    DocRef doc = entry.op == LogOp::kPut ? MakeDoc(std::move(entry.value)) : nullptr;
    storage_.Apply(entry.key, std::move(doc), static_cast<std::uint32_t>(i), entry.lsn);
  }
  *replayed = entries.size();
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
  if (!down_) {
    return Status::Invalid("recover", "the database is up, so there is nothing to recover "
                                      "(crash it first)");
  }
  const RecoveryMode m = mode != nullptr ? *mode : recovery_mode_;
  const SharedVector<RecordInfo> before = wal_.records();  // shared, not copied
  std::vector<LogEntry> entries;
  ReadReport report;
  Status s = wal_.Recover(m, &entries, &report);
  if (!s.ok()) return s;

  // Replay into a fresh storage, and capture the change stream again from
  // the recovered log: it is what the log now says happened.
  storage_.Clear();
  stream_.Clear();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto& entry = entries[i];
    const StoredRow* old = storage_.Find(entry.key);
    wal_.SetPrev(i, old != nullptr ? old->record : kNoRecord);
    // Only a skipped record can leave a delete of an absent key: no event.
    if (entry.op == LogOp::kPut || old != nullptr) stream_.Append(i);
    DocRef doc = entry.op == LogOp::kPut ? MakeDoc(std::move(entry.value)) : nullptr;
    storage_.Apply(entry.key, std::move(doc), static_cast<std::uint32_t>(i), entry.lsn);
  }
  down_ = false;

  *result = RecoveryResult();
  result->mode = m;
  result->recovered = wal_.head();
  result->replayed = entries.size();
  result->discarded_bytes = report.discarded_bytes;
  result->problems = std::move(report.problems);
  for (const auto& r : before) {
    const RecordInfo* now = wal_.Find(r.lsn);
    if (now == nullptr) {
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

Status Engine::Verify(std::vector<ConsumerCheck>* checks) const {
  if (down_) return DatabaseDown();
  checks->clear();
  for (const auto& c : consumers_) {
    ConsumerCheck check;
    check.name = c->name();
    std::unique_ptr<DerivedSystem> fresh;
    Status s = CreateDerivedSystem(c->spec().type, c->spec().config, "consumer", &fresh);
    if (!s.ok()) return s;
    std::size_t from = 0;
    ChangeEvent event;
    if (c->from_snapshot()) {
      // Built as the consumer was: the rows storage held at the snapshot's
      // LSN (folded from the events up to it), read in key order, then the
      // events after it. The same as a fold for every aggregate but a list,
      // whose order a snapshot cannot know.
      from = stream_.FirstAfter(c->snapshot_lsn());
      std::map<std::string, DocRef> rows;
      for (std::size_t i = 0; i < from; ++i) {
        if (!stream_.Event(i, &event)) continue;
        if (event.op == ChangeOp::kDelete) {
          rows.erase(event.key);
        } else {
          rows[event.key] = event.after;
        }
      }
      for (const auto& [key, value] : rows) {
        fresh->Apply({c->snapshot_lsn(), ChangeOp::kRead, key, nullptr, value});
      }
    }
    const std::size_t end = stream_.FirstAfter(c->position());
    for (std::size_t i = from; i < end; ++i) {
      if (stream_.Event(i, &event)) fresh->Apply(event);
    }
    const Json expected = fresh->State();
    const Json actual = c->system().State();
    std::set<std::string> keys;
    for (const auto& [k, v] : expected.items()) keys.insert(k);
    for (const auto& [k, v] : actual.items()) keys.insert(k);
    for (const auto& k : keys) {
      const Json e = expected.contains(k) ? expected[k] : Json(nullptr);
      const Json a = actual.contains(k) ? actual[k] : Json(nullptr);
      if (e == a) continue;
      check.consistent = false;
      if (check.differences.size() < 5) {
        check.differences.push_back({{"key", k}, {"expected", e}, {"actual", a}});
      }
    }
    if (c->ahead()) {
      check.consistent = false;
      check.reason = "ahead of the log";
    } else if (!check.consistent) {
      check.reason = "state differs from processing each event once";
    }
    checks->push_back(std::move(check));
  }
  return Status::OK();
}

std::unique_ptr<Engine> Engine::Clone() const {
  auto copy = std::make_unique<Engine>();
  copy->CopyFrom(*this);
  return copy;
}

void Engine::CopyFrom(const Engine& other) {
  wal_.CopyFrom(other.wal_);
  storage_.CopyFrom(other.storage_);
  stream_.CopyFrom(other.stream_);
  consumers_.clear();
  for (const auto& c : other.consumers_) consumers_.push_back(c->Clone());
  commit_mode_ = other.commit_mode_;
  recovery_mode_ = other.recovery_mode_;
  down_ = other.down_;
  recovered_head_ = other.recovered_head_;
}

void Engine::OpenLog(std::string bytes) {
  wal_.Load(std::move(bytes));
  storage_.Clear();
  stream_.Clear();
  down_ = true;
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
