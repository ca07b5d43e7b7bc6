#include "core/log_file.h"

#include <algorithm>
#include <utility>

namespace unbundled {

void LogFile::Own(bool for_append) {
  if (buffer_.use_count() == 1) {
    buffer_->resize(size_);  // drop bytes only a dropped copy had appended
    return;
  }
  if (for_append && buffer_->size() == size_) return;
  buffer_ = std::make_shared<std::string>(buffer_->data(), size_);
}

void LogFile::Append(const std::string& data) {
  if (buffer_.use_count() > 1 && buffer_->size() - size_ >= data.size() &&
      buffer_->compare(size_, data.size(), data) == 0) {
    // The shared buffer already holds these very bytes here (time travel
    // replaying the same steps after restoring a checkpoint): take them as
    // ours, copying nothing.
    size_ += data.size();
    if (sink_ != nullptr) sink_->Append(data.data(), data.size());
    return;
  }
  Own(/*for_append=*/true);
  // Grow by a quarter, not the library's doubling: a long log then holds at
  // most 25% of unused capacity instead of up to 100%.
  if (buffer_->capacity() < buffer_->size() + data.size()) {
    buffer_->reserve(std::max(buffer_->size() + data.size(), buffer_->size() + buffer_->size() / 4));
  }
  buffer_->append(data);
  size_ += data.size();
  if (sink_ != nullptr) sink_->Append(data.data(), data.size());
}

void LogFile::Sync() {
  synced_ = size_;
  if (sink_ != nullptr) sink_->Sync();
}

void LogFile::LosePower(std::size_t torn_bytes) {
  Own(/*for_append=*/false);
  size_ = synced_ + std::min(torn_bytes, unsynced());
  buffer_->resize(size_);
  // The torn bytes that made it are on the platter now.
  synced_ = size_;
  if (sink_ != nullptr) sink_->Replace(bytes());
}

void LogFile::Truncate(std::size_t size) {
  if (size >= size_) return;
  Own(/*for_append=*/false);
  size_ = size;
  buffer_->resize(size_);
  synced_ = std::min(synced_, size);
  if (sink_ != nullptr) sink_->Replace(bytes());
}

void LogFile::Rewrite(std::string bytes) {
  buffer_ = std::make_shared<std::string>(std::move(bytes));
  size_ = buffer_->size();
  synced_ = size_;
  if (sink_ != nullptr) sink_->Replace(this->bytes());
}

void LogFile::Rewrite(std::string bytes, std::size_t synced) {
  buffer_ = std::make_shared<std::string>(std::move(bytes));
  size_ = buffer_->size();
  synced_ = std::min(synced, size_);
  if (sink_ != nullptr) sink_->Replace(this->bytes());
}

void LogFile::FlipByte(std::size_t offset) {
  Own(/*for_append=*/false);
  char& b = (*buffer_)[offset];
  b = static_cast<char>(~static_cast<unsigned char>(b));
  if (sink_ != nullptr) sink_->Overwrite(offset, b);
}

}  // namespace unbundled
