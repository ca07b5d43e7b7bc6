// Consumer: one derived system reading the change stream at its own position,
// like a Kafka consumer group with its committed offset.
//
// position: the LSN of the last change event this consumer processed (0: none).
// This is one less than Kafka's "position", which is the next offset to read.
#ifndef UNBUNDLED_CORE_CONSUMER_H_
#define UNBUNDLED_CORE_CONSUMER_H_

#include <memory>
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

  // Processes one event and moves the position to its LSN.
  void Deliver(const ChangeEvent& event) {
    system_->Apply(event);
    position_ = event.lsn;
  }
  // Replaces the derived state (for a rebuild) and sets the position.
  void Reset(std::unique_ptr<DerivedSystem> system, Lsn position) {
    system_ = std::move(system);
    position_ = position;
  }
  void set_position(Lsn position) { position_ = position; }

  const ConsumerSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  Lsn position() const { return position_; }
  const DerivedSystem& system() const { return *system_; }

 private:
  ConsumerSpec spec_;
  std::unique_ptr<DerivedSystem> system_;
  Lsn position_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_CONSUMER_H_
