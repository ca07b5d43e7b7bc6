// SharedVector: an append-mostly array whose copies share their elements.
//
// The elements lie in chunks of kChunk, so a long array grows without ever
// copying what it holds (a contiguous one grown by a quarter held 2.25x its
// elements while it moved, and WebAssembly's memory never shrinks back).
//
// A copy (a checkpoint of the engine) shares the chunks and their list and
// reads only its own first size() elements, so appending at the end never
// changes what another copy holds. An append where the array has moved on
// past this copy's end, of the element it already holds there (a replay of
// the same steps), takes that element as it is. Any other change (to an
// element, or another append there) first gives this copy its own list and
// its own copy of the chunk it changes. LogFile does the same for the log's
// bytes.
#ifndef UNBUNDLED_CORE_SHARED_VECTOR_H_
#define UNBUNDLED_CORE_SHARED_VECTOR_H_

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace unbundled {

template <typename T>
class SharedVector {
 public:
  static constexpr std::size_t kChunk = 4096;  // elements per chunk

  SharedVector() : chunks_(std::make_shared<Chunks>()) {}
  explicit SharedVector(const std::vector<T>& items) : chunks_(std::make_shared<Chunks>()) {
    for (const T& item : items) push_back(item);
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](std::size_t i) const { return (*(*chunks_)[i / kChunk])[i % kChunk]; }
  const T& back() const { return (*this)[size_ - 1]; }

  // A random-access iterator over this copy's elements.
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    const_iterator(const SharedVector* v, std::size_t i) : v_(v), i_(i) {}
    reference operator*() const { return (*v_)[i_]; }
    pointer operator->() const { return &(*v_)[i_]; }
    reference operator[](difference_type n) const { return (*v_)[i_ + n]; }
    const_iterator& operator++() { ++i_; return *this; }
    const_iterator operator++(int) { const_iterator t = *this; ++i_; return t; }
    const_iterator& operator--() { --i_; return *this; }
    const_iterator operator--(int) { const_iterator t = *this; --i_; return t; }
    const_iterator& operator+=(difference_type n) { i_ += n; return *this; }
    const_iterator& operator-=(difference_type n) { i_ -= n; return *this; }
    friend const_iterator operator+(const_iterator a, difference_type n) { return a += n; }
    friend const_iterator operator+(difference_type n, const_iterator a) { return a += n; }
    friend const_iterator operator-(const_iterator a, difference_type n) { return a -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.i_ == b.i_; }
    friend bool operator!=(const const_iterator& a, const const_iterator& b) { return a.i_ != b.i_; }
    friend bool operator<(const const_iterator& a, const const_iterator& b) { return a.i_ < b.i_; }
    friend bool operator>(const const_iterator& a, const const_iterator& b) { return a.i_ > b.i_; }
    friend bool operator<=(const const_iterator& a, const const_iterator& b) { return a.i_ <= b.i_; }
    friend bool operator>=(const const_iterator& a, const const_iterator& b) { return a.i_ >= b.i_; }

   private:
    const SharedVector* v_ = nullptr;
    std::size_t i_ = 0;
  };
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void push_back(const T& item) {
    const std::size_t k = size_ / kChunk, within = size_ % kChunk;
    if (k < chunks_->size()) {
      Chunk& chunk = *(*chunks_)[k];
      // The array already holds this very element here (time travel
      // replaying the same steps after restoring a checkpoint): take it as
      // ours, copying nothing.
      if (chunk.size() > within && chunk[within] == item) {
        ++size_;
        return;
      }
      // The chunk ends where this copy does, and is the last: append in
      // place (another copy reads only its own first elements).
      if (chunk.size() == within && k + 1 == chunks_->size()) {
        chunk.push_back(item);
        ++size_;
        return;
      }
      OwnChunk(k).push_back(item);
      ++size_;
      return;
    }
    if (within == 0 && k == chunks_->size()) {
      auto chunk = NewChunk(k);
      chunk->push_back(item);
      chunks_->push_back(std::move(chunk));
      ++size_;
      return;
    }
    OwnChunk(k).push_back(item);
    ++size_;
  }
  // An element to change (copies its chunk first if it is shared).
  T& mutable_at(std::size_t i) { return OwnChunk(i / kChunk)[i % kChunk]; }
  void clear() {
    chunks_ = std::make_shared<Chunks>();
    size_ = 0;
  }

 private:
  using Chunk = std::vector<T>;
  using Chunks = std::vector<std::shared_ptr<Chunk>>;

  // A new chunk k. Past the first, an array is long: its chunk takes its
  // full room at once instead of growing (and moving) twelve times on the
  // way. The first grows as it fills, so that a short log holds little.
  static std::shared_ptr<Chunk> NewChunk(std::size_t k) {
    auto chunk = std::make_shared<Chunk>();
    if (k > 0) chunk->reserve(kChunk);
    return chunk;
  }

  // Makes this copy the only holder of its list of chunks and of chunk k
  // (holding this copy's elements of it, and none past them; a new chunk
  // when k is the next one).
  Chunk& OwnChunk(std::size_t k) {
    const std::size_t ours = (size_ + kChunk - 1) / kChunk;
    if (chunks_.use_count() > 1 || chunks_->size() > ours) {
      chunks_ = std::make_shared<Chunks>(
          chunks_->begin(), chunks_->begin() + static_cast<std::ptrdiff_t>(std::min(ours, chunks_->size())));
    }
    if (k == chunks_->size()) {
      chunks_->push_back(NewChunk(k));
      return *chunks_->back();
    }
    std::shared_ptr<Chunk>& chunk = (*chunks_)[k];
    const std::size_t used = std::min(kChunk, size_ - k * kChunk);
    if (chunk.use_count() > 1) {
      chunk = std::make_shared<Chunk>(chunk->begin(), chunk->begin() + static_cast<std::ptrdiff_t>(used));
    } else {
      chunk->resize(used);  // drop what only a dropped copy had appended
    }
    return *chunk;
  }

  std::shared_ptr<Chunks> chunks_;
  std::size_t size_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_SHARED_VECTOR_H_
