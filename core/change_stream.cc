#include "core/change_stream.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace unbundled {

ChangeEvent ChangeStream::Capture(const LogEntry& entry, const Document* before) {
  ChangeEvent event;
  event.lsn = entry.lsn;
  event.key = entry.key;
  if (before != nullptr) event.before = *before;
  if (entry.op == LogOp::kPut) {
    event.op = before == nullptr ? ChangeOp::kCreate : ChangeOp::kUpdate;
    event.after = entry.value;
  } else {
    event.op = ChangeOp::kDelete;
  }
  return event;
}

void ChangeStream::Append(ChangeEvent event) {
  assert(events_.empty() || event.lsn == events_.back().lsn + 1);
  events_.push_back(std::move(event));
}

std::size_t ChangeStream::FirstAfter(Lsn position) const {
  if (events_.empty()) return 0;
  const Lsn first = events_.front().lsn;
  if (position < first) return 0;
  return static_cast<std::size_t>(std::min<Lsn>(position - first + 1, events_.size()));
}

}  // namespace unbundled
