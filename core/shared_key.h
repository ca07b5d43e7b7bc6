// SharedKey: a key's bytes, held once and shared by every part that keeps
// the key: storage's row, the change events built for it, and each derived
// system's sets (a secondary index's posting list, a full-text index's
// posting list per token, a state store). One allocation with a count, as a
// stored document is (core/doc.h); a copy is a pointer and an increment.
//
// Before, each of those held its own std::string: a small document's key
// was kept five times (storage, the city's set, three tokens' sets), 32
// bytes a copy. Now each holds 8 bytes and the key's bytes lie once.
//
// A tree orders SharedKeys byte-wise, as std::string compares, and finds
// them by any string (CowKey<SharedKey>, below): a lookup never allocates.
#ifndef UNBUNDLED_CORE_SHARED_KEY_H_
#define UNBUNDLED_CORE_SHARED_KEY_H_

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/cow_map.h"

namespace unbundled {

class SharedKey {
 public:
  SharedKey() = default;  // the empty key
  // Copies the bytes into a new allocation.
  SharedKey(std::string_view bytes);     // NOLINT: a key converts from text
  SharedKey(const std::string& bytes)    // NOLINT
      : SharedKey(std::string_view(bytes)) {}
  SharedKey(const char* bytes)           // NOLINT
      : SharedKey(std::string_view(bytes)) {}
  SharedKey(const SharedKey& other) : rep_(other.rep_) {
    if (rep_ != nullptr) ++rep_->refs;
  }
  SharedKey(SharedKey&& other) noexcept : rep_(other.rep_) { other.rep_ = nullptr; }
  SharedKey& operator=(SharedKey other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  ~SharedKey() { Release(); }

  std::string_view view() const {
    return rep_ == nullptr ? std::string_view()
                           : std::string_view(reinterpret_cast<const char*>(rep_ + 1), rep_->size);
  }
  explicit operator std::string_view() const { return view(); }
  std::string str() const { return std::string(view()); }
  std::size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  bool empty() const { return size() == 0; }
  // Whether two keys share one allocation, and how many hold it (for
  // tests of sharing).
  bool SharesWith(const SharedKey& other) const { return rep_ != nullptr && rep_ == other.rep_; }
  std::size_t use_count() const { return rep_ == nullptr ? 0 : rep_->refs; }

  friend bool operator==(const SharedKey& a, const SharedKey& b) {
    return a.rep_ == b.rep_ || a.view() == b.view();
  }
  friend bool operator!=(const SharedKey& a, const SharedKey& b) { return !(a == b); }
  friend bool operator<(const SharedKey& a, const SharedKey& b) { return a.view() < b.view(); }
  template <typename S>
  friend bool operator==(const SharedKey& a, const S& b) { return a.view() == std::string_view(b); }
  template <typename S>
  friend bool operator==(const S& a, const SharedKey& b) { return std::string_view(a) == b.view(); }
  template <typename S>
  friend bool operator!=(const SharedKey& a, const S& b) { return !(a == b); }
  template <typename S>
  friend bool operator!=(const S& a, const SharedKey& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const SharedKey& key);

 private:
  struct Rep {
    std::uint32_t refs;  // not atomic: an engine is used by one thread
    std::uint32_t size;
    // the bytes follow
  };
  void Release();

  Rep* rep_ = nullptr;
};

// A JSON string of the key (nlohmann finds it by argument-dependent lookup).
template <typename BasicJson>
void to_json(BasicJson& j, const SharedKey& key) {
  j = std::string(key.view());
}

// Trees order SharedKeys as strings, and find them by any string-like
// argument (std::string, std::string_view, a SharedKey).
template <>
struct CowKey<SharedKey> : StringCowKey {
  template <typename A>
  static std::string_view View(const A& a) {
    if constexpr (std::is_same<A, SharedKey>::value) {
      return a.view();
    } else {
      return std::string_view(a);
    }
  }
  template <typename A>
  static std::uint64_t Head(const A& a) {
    return StringHead(View(a));
  }
  template <typename A, typename B>
  static bool LessTie(const A& a, const B& b) {
    return StringLessTie(View(a), View(b));
  }
  template <typename A, typename B>
  static bool EqualTie(const A& a, const B& b) {
    return StringEqualTie(View(a), View(b));
  }
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_SHARED_KEY_H_
