// SharedVector: an append-mostly array whose copies share their elements.
//
// A copy (a checkpoint of the engine) shares the buffer and reads only its
// own first size() elements, so appending at the end of the buffer never
// changes what another copy holds. An append where the buffer has moved on
// past this copy's end, of the element the buffer already holds there (a
// replay of the same steps), takes that element as it is. Any other change
// (to an element, or another append there) first gives this copy a buffer
// of its own. LogFile does the same for the log's bytes.
#ifndef UNBUNDLED_CORE_SHARED_VECTOR_H_
#define UNBUNDLED_CORE_SHARED_VECTOR_H_

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace unbundled {

template <typename T>
class SharedVector {
 public:
  SharedVector() : buffer_(std::make_shared<std::vector<T>>()) {}
  explicit SharedVector(std::vector<T> items)
      : buffer_(std::make_shared<std::vector<T>>(std::move(items))), size_(buffer_->size()) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](std::size_t i) const { return (*buffer_)[i]; }
  const T& back() const { return (*buffer_)[size_ - 1]; }
  const T* begin() const { return buffer_->data(); }
  const T* end() const { return buffer_->data() + size_; }

  void push_back(const T& item) {
    // The shared buffer already holds this very element here (time travel
    // replaying the same steps after restoring a checkpoint): take it as
    // ours, copying nothing.
    if (buffer_.use_count() > 1 && buffer_->size() > size_ && (*buffer_)[size_] == item) {
      ++size_;
      return;
    }
    Own(/*for_append=*/true);
    // Grow by a quarter (at most 25% unused capacity, not up to 100%).
    if (buffer_->capacity() == buffer_->size()) buffer_->reserve(buffer_->size() + buffer_->size() / 4 + 16);
    buffer_->push_back(item);
    ++size_;
  }
  // An element to change (copies the buffer first if it is shared).
  T& mutable_at(std::size_t i) {
    Own(/*for_append=*/false);
    return (*buffer_)[i];
  }
  void clear() {
    buffer_ = std::make_shared<std::vector<T>>();
    size_ = 0;
  }

 private:
  void Own(bool for_append) {
    if (buffer_.use_count() == 1) {
      buffer_->resize(size_);  // drop what only a dropped copy had appended
      return;
    }
    if (for_append && buffer_->size() == size_) return;
    buffer_ = std::make_shared<std::vector<T>>(buffer_->begin(), buffer_->begin() + size_);
  }

  std::shared_ptr<std::vector<T>> buffer_;
  std::size_t size_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_SHARED_VECTOR_H_
