// Storage: the current key/value table, a materialized view of the log.
// It holds exactly what replaying every log entry in LSN order would produce,
// and remembers the LSN of the last entry it applied.
//
// A row shares its document with the change stream (DocRef) and knows the
// index of the log record that wrote it, which becomes the next record's
// `prev`: so an event's "before" image is found in the log, never copied.
#ifndef UNBUNDLED_CORE_STORAGE_H_
#define UNBUNDLED_CORE_STORAGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/cow_map.h"
#include "core/shared_key.h"
#include "core/types.h"

namespace unbundled {

struct StoredRow {
  DocRef doc;
  // Index of the log record that wrote it: a hint, valid while that record's
  // LSN is `lsn` (retention and recovery renumber records; LSNs stay).
  std::uint32_t record = 0;
  Lsn lsn = 0;  // of the log entry that wrote it
};

// A storage image: what a database checkpoint writes (PostgreSQL flushing
// its buffers at a checkpoint). Taking one is O(1): the rows are shared.
struct StorageImage {
  Lsn lsn = 0;  // the storage LSN it was taken at
  CowMap<SharedKey, StoredRow> rows;
};

class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // The stored document, or nullptr when the key is absent.
  const Doc* Get(std::string_view key) const {
    const StoredRow* row = Find(key);
    return row == nullptr ? nullptr : row->doc.get();
  }
  const StoredRow* Find(std::string_view key) const;

  // Applies one log entry (record index `record`, LSN `lsn`): a put stores
  // `doc`, a delete (doc null) removes the key. Entries arrive in LSN order.
  // True when the key was present; then *old (when not null) receives the
  // row it had. *shared (when not null) receives the key as storage holds
  // it (for a delete, as it held it; a new SharedKey when it was absent),
  // for the change event to share.
  bool Apply(std::string_view key, DocRef doc, std::uint32_t record, Lsn lsn,
             StoredRow* old = nullptr, SharedKey* shared = nullptr);

  // Makes this storage a copy of `other`: O(1), the rows' tree and the
  // documents are shared, and copied only where either changes later.
  void CopyFrom(const Storage& other) {
    rows_ = other.rows_;
    lsn_ = other.lsn_;
  }

  StorageImage Image() const { return {lsn_, rows_}; }
  // Makes storage hold exactly the image (recovery starting from a checkpoint).
  void Load(const StorageImage& image) {
    rows_ = image.rows;
    lsn_ = image.lsn;
  }

  // Forgets everything (the database's memory is lost in a crash).
  void Clear() {
    rows_.clear();
    lsn_ = 0;
  }

  // LSN of the last applied log entry (0: none).
  Lsn lsn() const { return lsn_; }
  // Rows in key order (byte-wise), with O(log n) access by rank.
  const CowMap<SharedKey, StoredRow>& rows() const { return rows_; }
  // Key -> document, copied: for tests and tools that compare contents.
  std::map<std::string, Document> Contents() const;

 private:
  CowMap<SharedKey, StoredRow> rows_;
  Lsn lsn_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_STORAGE_H_
