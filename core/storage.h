// Storage: the current key/value table, a materialized view of the log.
// It holds exactly what replaying every log entry in LSN order would produce,
// and remembers the LSN of the last entry it applied.
#ifndef UNBUNDLED_CORE_STORAGE_H_
#define UNBUNDLED_CORE_STORAGE_H_

#include <map>
#include <string>

#include "core/types.h"

namespace unbundled {

class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // The stored document, or nullptr when the key is absent.
  const Document* Get(const std::string& key) const;

  // Applies one log entry. Entries must arrive in LSN order.
  void Apply(const LogEntry& entry);
  // The same, taking the entry's document instead of copying it.
  void Apply(LogEntry&& entry);

  // Forgets everything (the database's memory is lost in a crash).
  void Clear() {
    rows_.clear();
    lsn_ = 0;
  }

  // LSN of the last applied log entry (0: none).
  Lsn lsn() const { return lsn_; }
  // Rows in key order (byte-wise).
  const std::map<std::string, Document>& rows() const { return rows_; }

 private:
  std::map<std::string, Document> rows_;
  Lsn lsn_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_STORAGE_H_
