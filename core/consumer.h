// Consumer: one derived system reading the change stream at its own position,
// like a Kafka consumer group with its committed offset.
//
// position: the LSN of the last change event this consumer processed (0: none).
// This is one less than Kafka's "position", which is the next offset to read.
#ifndef UNBUNDLED_CORE_CONSUMER_H_
#define UNBUNDLED_CORE_CONSUMER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/derived_system.h"
#include "core/types.h"

namespace unbundled {

// What a consumer is: its unique name, its type and that type's config.
struct ConsumerSpec {
  std::string name;
  std::string type;
  Json config = Json::object();
};

class Consumer {
 public:
  Consumer(ConsumerSpec spec, std::unique_ptr<DerivedSystem> system)
      : spec_(std::move(spec)), system_(std::move(system)) {}
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Processes one change event from the stream and moves the position to its LSN.
  void Deliver(const ChangeEvent& event) {
    system_->Apply(event);
    position_ = event.lsn;
    ++processed_;
  }
  // Takes `system`, already loaded from a snapshot of `rows` stored rows at
  // storage LSN `at`, as the derived state (on joining, or for a rebuild).
  void StartFromSnapshot(std::unique_ptr<DerivedSystem> system, Lsn at, std::size_t rows) {
    system_ = std::move(system);
    position_ = at;
    snapshot_lsn_ = at;
    snapshot_rows_ = rows;
    processed_ = 0;
  }

  const ConsumerSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  Lsn position() const { return position_; }
  const DerivedSystem& system() const { return *system_; }
  // Whether the state began from a snapshot, at which storage LSN, of how
  // many rows; and how many change events it processed from the stream since.
  // This is what makes the cost of snapshot against replay visible.
  bool from_snapshot() const { return snapshot_lsn_.has_value(); }
  Lsn snapshot_lsn() const { return snapshot_lsn_.value_or(0); }
  std::size_t snapshot_rows() const { return snapshot_rows_; }
  std::size_t processed() const { return processed_; }

 private:
  ConsumerSpec spec_;
  std::unique_ptr<DerivedSystem> system_;
  Lsn position_ = 0;
  std::optional<Lsn> snapshot_lsn_;
  std::size_t snapshot_rows_ = 0;
  std::size_t processed_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_CONSUMER_H_
