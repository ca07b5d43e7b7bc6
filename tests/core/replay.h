// An independent replay of log entries into key -> document, for tests that
// check storage against the log.
#ifndef UNBUNDLED_TESTS_CORE_REPLAY_H_
#define UNBUNDLED_TESTS_CORE_REPLAY_H_

#include <map>
#include <string>
#include <vector>

#include "core/types.h"

namespace unbundled {

inline void ReplayInto(const LogEntry& entry, std::map<std::string, Document>* rows) {
  if (entry.op == LogOp::kPut) {
    (*rows)[entry.key] = entry.value;
  } else {
    rows->erase(entry.key);
  }
}

inline std::map<std::string, Document> Replay(const std::vector<LogEntry>& entries) {
  std::map<std::string, Document> rows;
  for (const auto& e : entries) ReplayInto(e, &rows);
  return rows;
}

}  // namespace unbundled

#endif  // UNBUNDLED_TESTS_CORE_REPLAY_H_
