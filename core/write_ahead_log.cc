#include "core/write_ahead_log.h"

#include <utility>

namespace unbundled {

const LogEntry& WriteAheadLog::Append(LogOp op, const std::string& key, Document value) {
  LogEntry entry;
  entry.lsn = head() + 1;
  entry.op = op;
  entry.key = key;
  entry.value = std::move(value);
  entries_.push_back(std::move(entry));
  return entries_.back();
}

}  // namespace unbundled
