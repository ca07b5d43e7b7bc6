// Doc: an immutable stored document, kept as its compact JSON text, the
// very bytes a put record stores as its value (core/json_writer.h), in one
// allocation with a reference count. Storage, the change stream's events
// and a consumer's state store share it (DocRef); nothing holds a parsed
// tree. Derived systems read the top-level fields they index straight from
// the text (Find, ForEachField); the page and the tests get a parsed copy
// (ToJson) only for what they show.
//
// A small document costs its text plus 8 bytes, where a parsed nlohmann
// object cost about 350 bytes more (a std::map node per field).
#ifndef UNBUNDLED_CORE_DOC_H_
#define UNBUNDLED_CORE_DOC_H_

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace unbundled {

class DocRef;

// A field's value inside a document: its compact JSON text.
class DocValue {
 public:
  DocValue() = default;
  explicit DocValue(std::string_view raw) : raw_(raw) {}

  std::string_view raw() const { return raw_; }
  bool is_string() const { return !raw_.empty() && raw_[0] == '"'; }
  bool is_number() const {
    return !raw_.empty() && (raw_[0] == '-' || (raw_[0] >= '0' && raw_[0] <= '9'));
  }
  bool is_boolean() const { return !raw_.empty() && (raw_[0] == 't' || raw_[0] == 'f'); }
  // A string's content, unescaped. Only for is_string().
  std::string String() const;
  // A string's content as it is in the text when it has no escapes (the
  // common case): then true, and *view points into the document.
  bool PlainString(std::string_view* view) const;
  // An integer written without fraction or exponent that fits in 64 bits.
  bool Integer(std::int64_t* value) const;
  // The value parsed.
  nlohmann::json ToJson() const;

 private:
  std::string_view raw_;
};

class Doc {
 public:
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;

  // The compact JSON text of the object.
  std::string_view text() const { return {data(), size_}; }
  // The object parsed (a copy).
  nlohmann::json ToJson() const;
  // The top-level field `name`: false when the object has none.
  bool Find(std::string_view name, DocValue* value) const;
  // Calls f(name, value) for each top-level field in order; `name` is the
  // field name's text between its quotes (escaped as in the text).
  template <typename F>
  void ForEachField(F f) const {
    const char* p = data() + 1;  // after '{'
    const char* end = data() + size_ - 1;  // at '}'
    while (p < end) {
      const char* name_end = SkipString(p);
      const char* value = name_end + 1;  // after ':'
      const char* value_end = SkipValue(value);
      f(std::string_view(p + 1, static_cast<std::size_t>(name_end - p - 2)),
        DocValue(std::string_view(value, static_cast<std::size_t>(value_end - value))));
      p = value_end + 1;  // after ','
    }
  }

  // Equal JSON values (1 and 1.0 are equal, as nlohmann compares them).
  friend bool operator==(const Doc& a, const Doc& b);
  friend bool operator==(const Doc& a, const nlohmann::json& b);
  friend bool operator!=(const Doc& a, const nlohmann::json& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Doc& doc);

 private:
  friend class DocRef;
  friend DocRef MakeDocFromText(std::string_view compact);
  explicit Doc(std::uint32_t size) : size_(size) {}
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  // The end of the string literal at p (just past its closing quote).
  static const char* SkipString(const char* p);
  // The end of the compact JSON value at p.
  static const char* SkipValue(const char* p);

  mutable std::uint32_t refs_ = 1;  // not atomic: an engine is used by one thread
  std::uint32_t size_;
  // the text follows
};

// A counted reference to a Doc; null means absent (a delete's "after").
class DocRef {
 public:
  DocRef() = default;
  DocRef(std::nullptr_t) {}  // NOLINT: null converts, as for a smart pointer
  DocRef(const DocRef& other) : doc_(other.doc_) {
    if (doc_ != nullptr) ++doc_->refs_;
  }
  DocRef(DocRef&& other) noexcept : doc_(other.doc_) { other.doc_ = nullptr; }
  DocRef& operator=(DocRef other) noexcept {
    std::swap(doc_, other.doc_);
    return *this;
  }
  ~DocRef() { Release(); }

  const Doc* get() const { return doc_; }
  const Doc& operator*() const { return *doc_; }
  const Doc* operator->() const { return doc_; }
  explicit operator bool() const { return doc_ != nullptr; }
  friend bool operator==(const DocRef& a, std::nullptr_t) { return a.doc_ == nullptr; }
  friend bool operator!=(const DocRef& a, std::nullptr_t) { return a.doc_ != nullptr; }
  friend bool operator==(const DocRef& a, const DocRef& b) { return a.doc_ == b.doc_; }
  friend bool operator!=(const DocRef& a, const DocRef& b) { return a.doc_ != b.doc_; }
  friend std::ostream& operator<<(std::ostream& os, const DocRef& ref);

 private:
  friend DocRef MakeDocFromText(std::string_view compact);
  explicit DocRef(Doc* doc) : doc_(doc) {}
  void Release();

  Doc* doc_ = nullptr;
};

// A document from the compact text AppendCompactJson wrote for an object
// (the caller guarantees it: the field readers rely on that form).
DocRef MakeDocFromText(std::string_view compact);
// A document from a parsed JSON object (serialized here; a string that is
// not UTF-8, which validation refuses before a put, is written with
// replacement characters).
DocRef MakeDoc(const nlohmann::json& object);

// The term a value is indexed under: a string's content, a number's or a
// boolean's JSON text; none for null, objects and arrays.
std::optional<std::string> IndexTerm(const DocValue& value);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_DOC_H_
