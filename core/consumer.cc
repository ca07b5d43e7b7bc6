#include "core/consumer.h"

#include <algorithm>

namespace unbundled {

const char* OffsetStorageName(OffsetStorage offsets) {
  return offsets == OffsetStorage::kWithState ? "with_state" : "separate";
}

const char* ApplyModeName(ApplyMode mode) {
  return mode == ApplyMode::kDelta ? "delta" : "upsert";
}

std::unique_ptr<Consumer> Consumer::Clone() const {
  auto copy = std::make_unique<Consumer>(spec_, system_->Clone());
  copy->position_ = position_;
  copy->committed_ = committed_;
  if (committed_state_) copy->committed_state_ = committed_state_->Clone();
  copy->since_commit_ = since_commit_;
  copy->high_water_ = high_water_;
  copy->snapshot_lsn_ = snapshot_lsn_;
  copy->snapshot_rows_ = snapshot_rows_;
  copy->processed_ = processed_;
  copy->redelivered_ = redelivered_;
  copy->rewound_from_ = rewound_from_;
  copy->rewound_to_ = rewound_to_;
  copy->ahead_ = ahead_;
  copy->dropped_ = dropped_;
  return copy;
}

void Consumer::Deliver(const ChangeEvent& event) {
  const bool commits_now = since_commit_ + 1 >= spec_.commit_every;
  if (spec_.offsets == OffsetStorage::kWithState && !committed_state_ && !commits_now) {
    committed_state_ = system_->Clone();
  }
  system_->Process(event);
  position_ = event.lsn;
  ++processed_;
  if (event.lsn <= high_water_) ++redelivered_;
  high_water_ = std::max(high_water_, event.lsn);
  ++since_commit_;
  if (commits_now) Commit();
}

void Consumer::DeliverDirect(const ChangeEvent& event) {
  system_->Process(event);
  position_ = committed_ = high_water_ = std::max(position_, event.lsn);
  ++processed_;
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
