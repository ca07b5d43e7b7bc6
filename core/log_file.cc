#include "core/log_file.h"

#include <algorithm>
#include <utility>

namespace unbundled {

void LogFile::Append(const std::string& data) {
  bytes_ += data;
  if (sink_ != nullptr) sink_->Append(data.data(), data.size());
}

void LogFile::Sync() {
  synced_ = bytes_.size();
  if (sink_ != nullptr) sink_->Sync();
}

void LogFile::LosePower(std::size_t torn_bytes) {
  bytes_.resize(synced_ + std::min(torn_bytes, unsynced()));
  // The torn bytes that made it are on the platter now.
  synced_ = bytes_.size();
  if (sink_ != nullptr) sink_->Replace(bytes_);
}

void LogFile::Truncate(std::size_t size) {
  if (size >= bytes_.size()) return;
  bytes_.resize(size);
  synced_ = std::min(synced_, size);
  if (sink_ != nullptr) sink_->Replace(bytes_);
}

void LogFile::Rewrite(std::string bytes) {
  bytes_ = std::move(bytes);
  synced_ = bytes_.size();
  if (sink_ != nullptr) sink_->Replace(bytes_);
}

void LogFile::FlipByte(std::size_t offset) {
  bytes_[offset] = static_cast<char>(~static_cast<unsigned char>(bytes_[offset]));
  if (sink_ != nullptr) sink_->Overwrite(offset, bytes_[offset]);
}

}  // namespace unbundled
