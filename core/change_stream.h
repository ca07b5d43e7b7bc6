// ChangeStream: change data capture, as a view over the write-ahead log.
//
// Every log entry that changed storage is one change event (c/u/d). The
// stream stores no events and no documents: it keeps the index of each
// event's log record and builds the event from the log when asked. A put of
// a key whose previous record is absent or a delete is "c", of a present key
// "u"; its "before" image is the document of the key's previous record
// (RecordInfo::prev). So each document exists once, in the log, and a small
// cache of decoded documents (shared with storage) keeps reading the newest
// events cheap; it holds each record's key as storage does, so the
// derived systems that keep the key share its bytes (core/shared_key.h).
//
// Event LSNs increase but need not be dense (a recovery that skipped a
// corrupt record leaves a hole), so events are found by LSN, never by
// assuming LSN n is the n-th event.
#ifndef UNBUNDLED_CORE_CHANGE_STREAM_H_
#define UNBUNDLED_CORE_CHANGE_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cow_map.h"
#include "core/shared_key.h"
#include "core/shared_vector.h"
#include "core/types.h"
#include "core/write_ahead_log.h"

namespace unbundled {

class ChangeStream {
 public:
  explicit ChangeStream(const WriteAheadLog* wal) : wal_(wal) {}
  ChangeStream(const ChangeStream&) = delete;
  ChangeStream& operator=(const ChangeStream&) = delete;

  // The record at `record` (an index into the log's records) is the next
  // event. Its LSN must be greater than the last event's.
  void Append(std::size_t record);
  // Forgets every event (recovery captures them again from the log). The
  // kept before images stay: they belong to records, not to this process.
  void Clear() {
    records_.clear();
    ClearCache();
  }
  // Makes the events exactly these records' (indexes into the log's
  // records, in LSN order), as Clear then Append of each would.
  void Assign(SharedVector<std::uint32_t> records) {
    records_ = std::move(records);
    ClearCache();
  }
  // Forgets the kept before images too (a different log file is opened).
  void ClearBefores() { befores_.clear(); }

  // Retention removed log records: `map` gives each old record index its
  // new one (kNoRecord: removed). Their events go with them.
  void Remap(const std::vector<std::uint32_t>& map);
  // Keeps the before image of the event at `lsn`, whose key's previous
  // record was (or is about to be) removed: the event still says what it
  // replaced, as a Debezium event carries its own "before".
  void KeepBefore(Lsn lsn, const DocRef& doc) { befores_.Set(lsn, doc); }
  // Every kept before image, by its event's LSN; a retention's work edits
  // a copy of them (an O(1) copy, nodes shared) and sets it when it is done.
  const CowMap<Lsn, DocRef>& befores() const { return befores_; }
  void SetBefores(CowMap<Lsn, DocRef> befores) { befores_ = std::move(befores); }
  bool HasBefore(Lsn lsn) const { return befores_.contains(lsn); }
  std::size_t kept_befores() const { return befores_.size(); }

  // Makes this stream list the same events as `other` (whose log this
  // stream's log is a copy of): O(1), the lists shared. The cache of
  // decoded documents is not copied: this stream starts with none, and
  // reads its records' documents from the log as it needs them (copying
  // 4,096 slots was nearly all of a checkpoint's time, and 48 KB of each
  // checkpoint the page keeps in wasm).
  void CopyFrom(const ChangeStream& other) {
    records_ = other.records_;
    ClearCache();
    befores_ = other.befores_;
  }

  // Number of events.
  std::size_t size() const { return records_.size(); }
  // LSN of the i-th event.
  Lsn LsnAt(std::size_t i) const { return wal_->records()[records_[i]].lsn; }
  // Index of the i-th event's log record.
  std::size_t RecordOf(std::size_t i) const { return records_[i]; }

  // Builds the i-th event from the log. False when its record (or the
  // previous record of its key) cannot be read: only while the database is
  // down after its buffers were lost with bytes that rotted on disk.
  bool Event(std::size_t i, ChangeEvent* event) const;
  // Whether Event(i) would succeed, without building the event: its key can
  // be read, and each document it would carry verifies. What the engine
  // asks of every event while the database is down (which of them a
  // consumer may still be shown). `found` remembers, by record index, the
  // documents found readable so far, so that an update's `before`, checked
  // already as an earlier event's `after`, is not checked again.
  bool Readable(std::size_t i, std::vector<bool>* found) const;
  // Event(i) without its `before` document (event->before is null; the op
  // is still `u` when there was one): what folding the stream into rows
  // needs. False exactly when Event(i) is. `found` remembers, by record
  // index, the documents found readable so far, so that a `before` the
  // caller already read as an earlier event's `after` is not read again
  // (verify folds the whole stream: reading each `before` was half of it).
  bool EventWithoutBefore(std::size_t i, ChangeEvent* event, std::vector<bool>* found) const;

  // The document of a put record (by record index), decoded from the log
  // unless cached; null for a delete or a record that cannot be read.
  DocRef DocumentOf(std::size_t record) const;
  // Remembers a record's decoded document and its key as storage holds it
  // (the writer has both already), so the record's event shares them.
  void Cache(std::size_t record, const DocRef& doc, const SharedKey& key) const;
  // Whether DocumentOf(record) would give a document, without making one.
  bool HasDocument(std::size_t record) const;
  // Forgets decoded documents (the database's memory is lost in a crash).
  void ClearCache() const;

  // Index of the first event with lsn > position. O(1) while the LSNs are
  // dense (the index is guessed from the LSN, then checked), else a binary
  // search. This keeps a flush proportional to the pending events, not to
  // the whole history.
  std::size_t FirstAfter(Lsn position) const;
  // Number of events with lsn > position.
  std::size_t CountAfter(Lsn position) const { return size() - FirstAfter(position); }
  // Number of events with from < lsn <= to.
  std::size_t CountBetween(Lsn from, Lsn to) const {
    std::size_t a = FirstAfter(from), b = FirstAfter(to);
    return b > a ? b - a : 0;
  }

 private:
  // HasDocument, remembering each record found readable in `found` (sized
  // to the log's records by the caller) and asking no second time.
  bool HasDocument(std::size_t record, std::vector<bool>* found) const;
  // A record's key (into *key unless it is null): as the writer cached it,
  // else read from the record's bytes. False when the bytes cannot say.
  bool KeyOfRecord(std::size_t record, SharedKey* key) const;
  // Decoded documents of recent records, by record index modulo the size:
  // no slots until the first is cached.
  static constexpr std::size_t kCacheSize = 4096;
  struct Slot {
    std::size_t record = static_cast<std::size_t>(-1);
    DocRef doc;
    SharedKey key;
  };

  const WriteAheadLog* wal_;
  SharedVector<std::uint32_t> records_;  // 4 bytes per event, shared with checkpoints
  // The slot of `record`, if it holds that record.
  const Slot* Cached(std::size_t record) const {
    if (cache_.empty()) return nullptr;
    const Slot& slot = cache_[record % kCacheSize];
    return slot.record == record ? &slot : nullptr;
  }
  mutable std::vector<Slot> cache_;
  // Before images of events whose key's previous record was removed, by LSN.
  CowMap<Lsn, DocRef> befores_;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_CHANGE_STREAM_H_
