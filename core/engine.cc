#include "core/engine.h"

#include <utility>

namespace unbundled {

namespace {

Status UnknownConsumer(const std::string& name) {
  return Status::Invalid("consumer", "no consumer named '" + name + "'");
}

}  // namespace

const ChangeEvent& Engine::Write(LogOp op, const std::string& key, const Document& value) {
  // The event's "before" is captured from storage before the write, which is
  // what a CDC connector reading a row-image log sees.
  const LogEntry& entry = wal_.Append(op, key, op == LogOp::kPut ? value : Document());
  ChangeEvent event = ChangeStream::Capture(entry, storage_.Get(key));
  storage_.Apply(entry);
  stream_.Append(std::move(event));
  return stream_.events().back();
}

Status Engine::Put(const std::string& key, const Document& value, ChangeEvent* event) {
  Status s = ValidateKey(key, "key");
  if (s.ok()) s = ValidateValue(value, "value");
  if (!s.ok()) return s;
  const ChangeEvent& e = Write(LogOp::kPut, key, value);
  if (event != nullptr) *event = e;
  return Status::OK();
}

Status Engine::Delete(const std::string& key, bool* deleted, ChangeEvent* event) {
  Status s = ValidateKey(key, "key");
  if (!s.ok()) return s;
  *deleted = storage_.Get(key) != nullptr;
  if (!*deleted) return Status::OK();
  const ChangeEvent& e = Write(LogOp::kDelete, key, Document());
  if (event != nullptr) *event = e;
  return Status::OK();
}

std::size_t Engine::CatchUp(Consumer* consumer) {
  const auto& events = stream_.events();
  std::size_t first = stream_.FirstAfter(consumer->position());
  for (std::size_t i = first; i < events.size(); ++i) consumer->Deliver(events[i]);
  return events.size() - first;
}

void Engine::FlushAll(std::size_t* delivered) {
  std::size_t total = 0;
  for (auto& c : consumers_) total += CatchUp(c.get());
  *delivered = total;
}

Status Engine::Flush(const std::string& consumer, std::size_t* delivered) {
  Consumer* c = FindMutable(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  *delivered = CatchUp(c);
  return Status::OK();
}

Status Engine::Step(const std::string& consumer, const ChangeEvent** event) {
  Consumer* c = FindMutable(consumer);
  if (c == nullptr) return UnknownConsumer(consumer);
  std::size_t next = stream_.FirstAfter(c->position());
  if (next == stream_.events().size()) {
    *event = nullptr;
    return Status::OK();
  }
  c->Deliver(stream_.events()[next]);
  *event = &stream_.events()[next];
  return Status::OK();
}

std::size_t Engine::Snapshot(DerivedSystem* system, std::vector<ChangeEvent>* events) const {
  const Lsn at = storage_.lsn();
  for (const auto& [key, value] : storage_.rows()) {
    ChangeEvent read;
    read.lsn = at;
    read.op = ChangeOp::kRead;
    read.key = key;
    read.after = value;
    system->Apply(read);
    if (events != nullptr) events->push_back(std::move(read));
  }
  return storage_.rows().size();
}

Status Engine::AddConsumer(const ConsumerSpec& spec, JoinMode mode,
                           std::vector<ChangeEvent>* snapshot, Lsn* position) {
  if (spec.name.empty()) return Status::Invalid("consumer.name", "must not be empty");
  if (spec.name.size() > kMaxConsumerNameBytes || !IsValidUtf8(spec.name)) {
    return Status::Invalid("consumer.name", "must be valid UTF-8 of at most " +
                                                std::to_string(kMaxConsumerNameBytes) + " bytes");
  }
  if (FindConsumer(spec.name) != nullptr) {
    return Status::Invalid("consumer.name", "a consumer named '" + spec.name + "' already exists");
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
