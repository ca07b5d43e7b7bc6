#include "core/consumer.h"

#include <algorithm>

namespace unbundled {

const char* OffsetStorageName(OffsetStorage offsets) {
  return offsets == OffsetStorage::kWithState ? "with_state" : "separate";
}

void Consumer::Deliver(const ChangeEvent& event) {
  const bool commits_now = since_commit_ + 1 >= spec_.commit_every;
  if (spec_.offsets == OffsetStorage::kWithState && !committed_state_ && !commits_now) {
    committed_state_ = system_->Clone();
  }
  system_->Apply(event);
  position_ = event.lsn;
  ++processed_;
  if (event.lsn <= high_water_) ++redelivered_;
  high_water_ = std::max(high_water_, event.lsn);
  ++since_commit_;
  if (commits_now) Commit();
}

void Consumer::Commit() {
  committed_ = position_;
  committed_state_.reset();
  since_commit_ = 0;
}

Lsn Consumer::Crash() {
  rewound_from_ = position_;
  rewound_to_ = committed_;
  if (spec_.offsets == OffsetStorage::kWithState && committed_state_) {
    system_ = std::move(committed_state_);
  }
  position_ = committed_;
  since_commit_ = 0;
  return committed_;
}

void Consumer::StartFromSnapshot(std::unique_ptr<DerivedSystem> system, Lsn at,
                                 std::size_t rows) {
  system_ = std::move(system);
  position_ = committed_ = high_water_ = at;
  committed_state_.reset();
  since_commit_ = 0;
  snapshot_lsn_ = at;
  snapshot_rows_ = rows;
  processed_ = redelivered_ = 0;
  rewound_from_ = rewound_to_ = 0;
  ahead_ = false;
  dropped_ = 0;
}

}  // namespace unbundled
