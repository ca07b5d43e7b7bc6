// ChangeStream: change data capture. Turns each log entry into a change event
// (c/u/d) and keeps the event history in LSN order, so that consumers can
// read from any position, like a Kafka topic that is never compacted.
//
// Event LSNs increase but need not be dense (a recovery that skipped a
// corrupt record leaves a hole), so events are found by LSN, never by
// assuming LSN n is the n-th event.
#ifndef UNBUNDLED_CORE_CHANGE_STREAM_H_
#define UNBUNDLED_CORE_CHANGE_STREAM_H_

#include <cstddef>
#include <deque>

#include "core/types.h"

namespace unbundled {

class ChangeStream {
 public:
  ChangeStream() = default;
  ChangeStream(const ChangeStream&) = delete;
  ChangeStream& operator=(const ChangeStream&) = delete;

  // Builds the change event for `entry`. `before` is the stored document
  // before the entry was applied (nullptr when the key was absent). A put of
  // an absent key is "c", of a present key "u"; a delete is "d".
  static ChangeEvent Capture(const LogEntry& entry, const Document* before);

  // Appends an event. Its LSN must be greater than the last event's.
  void Append(ChangeEvent event);
  void Clear() { events_.clear(); }

  // Index of the first event with lsn > position. O(1) while the LSNs are
  // dense (the index is guessed from the LSN, then checked), else a binary
  // search. This keeps a flush proportional to the pending events, not to
  // the whole history.
  std::size_t FirstAfter(Lsn position) const;
  // Number of events with lsn > position.
  std::size_t CountAfter(Lsn position) const { return events_.size() - FirstAfter(position); }
  // Number of events with from < lsn <= to.
  std::size_t CountBetween(Lsn from, Lsn to) const {
    std::size_t a = FirstAfter(from), b = FirstAfter(to);
    return b > a ? b - a : 0;
  }

  const std::deque<ChangeEvent>& events() const { return events_; }

 private:
  std::deque<ChangeEvent> events_;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_CHANGE_STREAM_H_
