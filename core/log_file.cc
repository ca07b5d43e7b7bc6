#include "core/log_file.h"

#include <algorithm>
#include <utility>

namespace unbundled {

namespace {
constexpr std::size_t kSegment = LogFile::kSegmentBytes;

std::shared_ptr<std::string> NewSegment() {
  auto segment = std::make_shared<std::string>();
  segment->reserve(kSegment);  // once: a segment never moves its bytes
  return segment;
}
}  // namespace

// ---------------------------------------------------------------- LogBytes

std::string_view LogBytes::PieceAt(std::size_t offset) const {
  if (segments_ == nullptr) return flat_.substr(offset);
  const std::string& segment = *(*segments_)[offset / kSegment];
  const std::size_t within = offset % kSegment;
  // This file's bytes in the segment: to its end, or to size().
  const std::size_t end = std::min(kSegment, size_ - (offset - within));
  return std::string_view(segment.data() + within, end - within);
}

char LogBytes::operator[](std::size_t offset) const { return PieceAt(offset)[0]; }

std::string_view LogBytes::View(std::size_t offset, std::size_t n, std::string* scratch) const {
  if (n == 0) return {};
  std::string_view piece = PieceAt(offset);
  if (piece.size() >= n) return piece.substr(0, n);
  scratch->clear();
  AppendTo(offset, n, scratch);
  return *scratch;
}

void LogBytes::AppendTo(std::size_t offset, std::size_t n, std::string* out) const {
  while (n > 0) {
    std::string_view piece = PieceAt(offset);
    const std::size_t take = std::min(n, piece.size());
    out->append(piece.data(), take);
    offset += take;
    n -= take;
  }
}

std::string LogBytes::str() const {
  std::string all;
  all.reserve(size_);
  AppendTo(0, size_, &all);
  return all;
}

bool operator==(const LogBytes& a, std::string_view b) {
  if (a.size() != b.size()) return false;
  std::size_t at = 0;
  bool same = true;
  a.ForEachPiece([&](std::string_view piece) {
    same = same && b.compare(at, piece.size(), piece) == 0;
    at += piece.size();
  });
  return same;
}

// ---------------------------------------------------------------- LogFile

std::string& LogFile::OwnSegmentAt(std::size_t offset) {
  const std::size_t k = offset / kSegment;
  const std::size_t ours = (size_ + kSegment - 1) / kSegment;  // segments holding this file's bytes
  if (segments_.use_count() > 1 || segments_->size() > ours) {
    segments_ = std::make_shared<Segments>(
        segments_->begin(), segments_->begin() + static_cast<std::ptrdiff_t>(std::min(ours, segments_->size())));
  }
  if (k == segments_->size()) {
    segments_->push_back(NewSegment());
    return *segments_->back();
  }
  std::shared_ptr<std::string>& segment = (*segments_)[k];
  const std::size_t used = std::min(kSegment, size_ - k * kSegment);
  if (segment.use_count() > 1) {
    auto copy = NewSegment();
    copy->assign(segment->data(), used);
    segment = std::move(copy);
  } else {
    segment->resize(used);  // drop bytes only a dropped copy had appended
  }
  return *segment;
}

void LogFile::Fill(std::string_view bytes) {
  auto segments = std::make_shared<Segments>();
  segments->reserve((bytes.size() + kSegment - 1) / kSegment);
  for (std::size_t at = 0; at < bytes.size(); at += kSegment) {
    segments->push_back(NewSegment());
    segments->back()->assign(bytes.substr(at, kSegment));
  }
  segments_ = std::move(segments);
  size_ = bytes.size();
}

void LogFile::Append(const std::string& data) {
  // The segments already hold these very bytes at this file's end (time
  // travel replaying the same steps after restoring a checkpoint): take
  // them as ours, copying nothing.
  bool held = !data.empty();
  for (std::size_t at = size_, done = 0; held && done < data.size();) {
    const std::size_t k = at / kSegment, within = at % kSegment;
    if (k >= segments_->size() || (*segments_)[k]->size() <= within) {
      held = false;
      break;
    }
    const std::string& segment = *(*segments_)[k];
    const std::size_t take = std::min(data.size() - done, segment.size() - within);
    held = std::string_view(data).substr(done, take) == std::string_view(segment).substr(within, take);
    at += take;
    done += take;
  }
  if (!held) {
    for (std::size_t done = 0; done < data.size();) {
      const std::size_t k = size_ / kSegment, within = size_ % kSegment;
      std::string* segment;
      if (k == segments_->size() && within == 0) {
        // A new segment, at the end of the list (another file sharing the
        // list reads only its own, earlier, segments).
        segments_->push_back(NewSegment());
        segment = segments_->back().get();
      } else if (k + 1 == segments_->size() && (*segments_)[k]->size() == within) {
        segment = (*segments_)[k].get();  // it ends where this file does
      } else {
        segment = &OwnSegmentAt(size_);
      }
      const std::size_t take = std::min(data.size() - done, kSegment - within);
      segment->append(data, done, take);
      size_ += take;
      done += take;
    }
  } else {
    size_ += data.size();
  }
  if (sink_ != nullptr) sink_->Append(data.data(), data.size());
}

void LogFile::Sync() {
  synced_ = size_;
  if (sink_ != nullptr) sink_->Sync();
}

void LogFile::Cut(std::size_t size) {
  size_ = size;
  const std::size_t ours = (size_ + kSegment - 1) / kSegment;
  if (segments_.use_count() > 1) {
    segments_ = std::make_shared<Segments>(
        segments_->begin(), segments_->begin() + static_cast<std::ptrdiff_t>(std::min(ours, segments_->size())));
  } else if (segments_->size() > ours) {
    segments_->resize(ours);
  }
}

void LogFile::LosePower(std::size_t torn_bytes) {
  Cut(synced_ + std::min(torn_bytes, unsynced()));
  // The torn bytes that made it are on the platter now.
  synced_ = size_;
  if (sink_ != nullptr) sink_->Replace(bytes());
}

void LogFile::Truncate(std::size_t size) {
  if (size >= size_) return;
  Cut(size);
  synced_ = std::min(synced_, size);
  if (sink_ != nullptr) sink_->Replace(bytes());
}

void LogFile::Rewrite(std::string bytes) {
  Fill(bytes);
  synced_ = size_;
  if (sink_ != nullptr) sink_->Replace(this->bytes());
}

void LogFile::Rewrite(std::string bytes, std::size_t synced) {
  Fill(bytes);
  synced_ = std::min(synced, size_);
  if (sink_ != nullptr) sink_->Replace(this->bytes());
}

void LogFile::FlipByte(std::size_t offset) {
  std::string& segment = OwnSegmentAt(offset);
  char& b = segment[offset % kSegment];
  b = static_cast<char>(~static_cast<unsigned char>(b));
  if (sink_ != nullptr) sink_->Overwrite(offset, b);
}

}  // namespace unbundled
