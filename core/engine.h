// Engine: the database inside-out, as a typed C++ API.
//
// Writes (Put, Delete) touch only the write-ahead log and storage, and append
// one change event to the change stream. Consumers do not see the event until
// someone calls Flush or Step for them (lazy propagation), so they lag.
//
// Every method validates all of its input before changing anything: a method
// that returns a non-ok Status has changed nothing at all.
#ifndef UNBUNDLED_CORE_ENGINE_H_
#define UNBUNDLED_CORE_ENGINE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/change_stream.h"
#include "core/consumer.h"
#include "core/status.h"
#include "core/storage.h"
#include "core/types.h"
#include "core/write_ahead_log.h"

namespace unbundled {

// How a consumer added to a running system catches up.
enum class JoinMode {
  // Process a synthesized "r" event for every stored row (key order), take
  // the storage LSN as position, then follow the stream from there.
  kSnapshot,
  // Start at position 0 and process the whole event history on later flushes.
  kReplay,
};

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Appends a put to the log, applies it to storage and emits a "c" or "u"
  // event, returned in *event.
  Status Put(const std::string& key, const Document& value, ChangeEvent* event);

  // Deletes a present key (log entry, storage, "d" event; *deleted = true and
  // *event set). Deleting an absent key writes nothing: *deleted = false.
  Status Delete(const std::string& key, bool* deleted, ChangeEvent* event);

  // The stored document or nullptr.
  const Document* Get(const std::string& key) const { return storage_.Get(key); }

  // Every consumer processes all of its pending events in LSN order.
  // *delivered counts the events processed. Cost: O(pending events).
  void FlushAll(std::size_t* delivered);
  // The named consumer processes all of its pending events.
  Status Flush(const std::string& consumer, std::size_t* delivered);

  // The named consumer processes exactly its next pending event. *event points
  // at it, or is nullptr when nothing is pending.
  Status Step(const std::string& consumer, const ChangeEvent** event);

  // Adds a consumer. For kSnapshot, *snapshot (if not null) receives the
  // synthesized "r" events in the order they were applied. *position is the
  // new consumer's position.
  Status AddConsumer(const ConsumerSpec& spec, JoinMode mode,
                     std::vector<ChangeEvent>* snapshot, Lsn* position);

  Status RemoveConsumer(const std::string& consumer);

  // Discards the consumer's state and re-derives it by a fresh snapshot of
  // storage; its position becomes the storage LSN.
  Status Rebuild(const std::string& consumer, std::vector<ChangeEvent>* snapshot,
                 Lsn* position);

  // Asks the consumer's derived system, as it is now.
  Status Query(const std::string& consumer, const Json& query, Json* result) const;

  // Looks up a consumer; nullptr when there is none of that name.
  const Consumer* FindConsumer(const std::string& name) const;
  // Number of events the consumer has not processed yet.
  std::size_t Lag(const Consumer& consumer) const {
    return stream_.CountAfter(consumer.position());
  }

  const WriteAheadLog& wal() const { return wal_; }
  const Storage& storage() const { return storage_; }
  const ChangeStream& stream() const { return stream_; }
  // Consumers in the order they were added.
  const std::vector<std::unique_ptr<Consumer>>& consumers() const { return consumers_; }

 private:
  Consumer* FindMutable(const std::string& name);
  const ChangeEvent& Write(LogOp op, const std::string& key, const Document& value);
  std::size_t CatchUp(Consumer* consumer);
  // Feeds a fresh snapshot of storage to `system`; returns the number of rows.
  std::size_t Snapshot(DerivedSystem* system, std::vector<ChangeEvent>* events) const;

  WriteAheadLog wal_;
  Storage storage_;
  ChangeStream stream_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_ENGINE_H_
