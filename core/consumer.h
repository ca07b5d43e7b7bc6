// Consumer: one derived system reading the change stream at its own position,
// like a Kafka consumer group with its committed offset.
//
// position:  the LSN of the last change event this consumer processed (0:
//            none). One less than Kafka's "position", the next offset to read.
// committed: the position it last saved (a Kafka offset commit). A consumer
//            that crashes restarts from its committed position, so the events
//            after it are delivered again: at-least-once delivery.
#ifndef UNBUNDLED_CORE_CONSUMER_H_
#define UNBUNDLED_CORE_CONSUMER_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/derived_system.h"
#include "core/types.h"

namespace unbundled {

// Where a consumer keeps its position relative to its derived state.
enum class OffsetStorage {
  // State and position are committed together, atomically (a Kafka Streams
  // or Flink checkpoint). A crash returns both to the last commit, so every
  // event affects the state exactly once.
  kWithState,
  // The state lives in an external store where every change is durable at
  // once; only the position is committed (Kafka's auto-commit). A crash
  // returns the position but not the state, so redelivered events are
  // applied twice.
  kSeparate,
};

const char* OffsetStorageName(OffsetStorage offsets);

// How a consumer's derived system applies an event (DerivedSystem::Process).
enum class ApplyMode {
  kDelta,   // subtract the event's `before`, add its `after`
  kUpsert,  // subtract its own copy of the key's last row (a state store)
};

const char* ApplyModeName(ApplyMode mode);

constexpr std::size_t kMaxCommitEvery = 1000000;

// What a consumer is: its unique name, its type and that type's config, and
// how it commits its position.
struct ConsumerSpec {
  std::string name;
  std::string type;
  Json config = Json::object();
  OffsetStorage offsets = OffsetStorage::kWithState;
  std::size_t commit_every = 1;  // commit after every N processed events
  ApplyMode apply = ApplyMode::kDelta;
  // Fed by the application instead of the log (spec "feed": "direct"): the
  // other half of a dual write. It reads no change events, so flush and step
  // do not reach it and it pins no log; each direct write the application
  // sends it is applied as an upsert (the application knows no before image).
  bool direct = false;

  friend bool operator==(const ConsumerSpec& a, const ConsumerSpec& b) {
    return a.name == b.name && a.type == b.type && a.config == b.config && a.offsets == b.offsets &&
           a.commit_every == b.commit_every && a.apply == b.apply && a.direct == b.direct;
  }
};

class Consumer {
 public:
  Consumer(ConsumerSpec spec, std::unique_ptr<DerivedSystem> system)
      : spec_(std::move(spec)), system_(std::move(system)) {}
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // A deep copy: state, committed state and every counter.
  std::unique_ptr<Consumer> Clone() const;

  // Processes one change event from the stream and moves the position to its
  // LSN; commits when commit_every events have been processed since the last
  // commit.
  void Deliver(const ChangeEvent& event);
  // A direct consumer: applies a write the application sent it (an event
  // with no before image; the consumer's own state store supplies it). Its
  // state is an external store, durable at once, so the position (the
  // highest LSN it was sent) counts as committed. Writes can arrive out of
  // LSN order, which is the dual-write race.
  void DeliverDirect(const ChangeEvent& event);
  // Saves the position (and, with_state, the state with it).
  void Commit();
  // Loses what was not committed and restarts at once from the committed
  // position. Returns that position.
  Lsn Crash();

  // Takes `system`, already loaded from a snapshot of `rows` stored rows at
  // storage LSN `at`, as the derived state (on joining, or for a rebuild).
  // The snapshot's state and position count as committed.
  void StartFromSnapshot(std::unique_ptr<DerivedSystem> system, Lsn at, std::size_t rows);

  // Set by recovery when the consumer has seen writes the database no longer
  // has: its position is past the recovered head, or it processed an LSN
  // that recovery dropped (`dropped`, 0 if none). Cleared by a rebuild.
  void MarkAhead(Lsn dropped) {
    ahead_ = true;
    dropped_ = dropped;
  }
  bool ahead() const { return ahead_; }
  Lsn dropped() const { return dropped_; }

  const ConsumerSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  Lsn position() const { return position_; }
  Lsn committed() const { return committed_; }
  const DerivedSystem& system() const { return *system_; }
  // The state a crash would take it back to: as of the last commit with
  // with_state offsets, else the state now (which a crash keeps).
  const DerivedSystem& committed_system() const {
    return committed_state_ ? *committed_state_ : *system_;
  }
  // Whether the state began from a snapshot, at which storage LSN, of how
  // many rows; and how many change events it processed from the stream since.
  // This is what makes the cost of snapshot against replay visible.
  bool from_snapshot() const { return snapshot_lsn_.has_value(); }
  Lsn snapshot_lsn() const { return snapshot_lsn_.value_or(0); }
  std::size_t snapshot_rows() const { return snapshot_rows_; }
  std::size_t processed() const { return processed_; }
  // Events processed that had been processed before (after a crash).
  std::size_t redelivered() const { return redelivered_; }
  // The last crash: it rewound the position from `rewound_from` to
  // `rewound_to`; events in between are (or will be) delivered again.
  bool has_rewind() const { return rewound_from_ > rewound_to_; }
  // The newest LSN whose effect the derived state may hold: the position,
  // or for separate offsets (whose state is not rolled back by a crash) the
  // highest LSN ever processed.
  Lsn seen() const {
    return spec_.offsets == OffsetStorage::kSeparate ? std::max(position_, high_water_) : position_;
  }
  Lsn rewound_from() const { return rewound_from_; }
  Lsn rewound_to() const { return rewound_to_; }

 private:
  ConsumerSpec spec_;
  std::unique_ptr<DerivedSystem> system_;
  Lsn position_ = 0;
  Lsn committed_ = 0;
  // with_state only: the state as of the last commit, copied just before the
  // first change after it (null while it equals the current state, which is
  // always the case with commit_every = 1).
  std::unique_ptr<DerivedSystem> committed_state_;
  std::size_t since_commit_ = 0;
  Lsn high_water_ = 0;  // the highest LSN ever processed
  std::optional<Lsn> snapshot_lsn_;
  std::size_t snapshot_rows_ = 0;
  std::size_t processed_ = 0;
  std::size_t redelivered_ = 0;
  Lsn rewound_from_ = 0;
  Lsn rewound_to_ = 0;
  bool ahead_ = false;
  Lsn dropped_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_CONSUMER_H_
