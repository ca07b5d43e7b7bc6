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
  assert(events_.empty() || event.lsn > events_.back().lsn);
  events_.push_back(std::move(event));
}

std::size_t ChangeStream::FirstAfter(Lsn position) const {
  if (events_.empty() || position < events_.front().lsn) return 0;
  if (position >= events_.back().lsn) return events_.size();
  // A guess that holds while LSNs are dense; verified before it is trusted.
  const Lsn guess = position - events_.front().lsn + 1;
  if (guess < events_.size() && events_[guess - 1].lsn <= position && events_[guess].lsn > position) {
    return static_cast<std::size_t>(guess);
  }
  auto it = std::upper_bound(events_.begin(), events_.end(), position,
                             [](Lsn p, const ChangeEvent& e) { return p < e.lsn; });
  return static_cast<std::size_t>(it - events_.begin());
}

}  // namespace unbundled
