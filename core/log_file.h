// LogFile: the write-ahead log's file, modelled exactly, in the manner of
// LevelDB's and RocksDB's fault-injection files. The file has *written*
// bytes (in the operating system's cache) and *synced* bytes (on disk);
// synced <= written. This one small class owns the rule of what survives a
// crash; everything else just appends and syncs.
//
// The bytes live in memory (natively and in wasm alike), in segments of
// kSegmentBytes, each allocated once at its full size: a long log grows
// without ever copying what it holds (a contiguous buffer grown by a
// quarter held up to 2.25x its bytes while it moved, and WebAssembly's
// memory never shrinks back). A LogSink, when attached, mirrors every
// change onto a real file (`unbundled run --log`).
//
// A copy of the file (a checkpoint, CopyFrom) shares its segments and their
// list: each file reads only its own first size() bytes, so appending at the
// end never changes what another file holds. Anything else that would
// change shared bytes (a cut, a rewrite, a flipped byte, or an append where
// the bytes have moved on past this file's end, unless they are those very
// bytes, as when time travel replays the same steps) first gives this file
// copies of its own of the list and of the segments it changes. Checkpoints
// of a long log therefore cost nothing for the log's bytes.
#ifndef UNBUNDLED_CORE_LOG_FILE_H_
#define UNBUNDLED_CORE_LOG_FILE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace unbundled {

class LogFile;

// A read-only view of a log file's bytes [0, size()), which lie in
// segments (or, made from a string_view, in one piece: a file read from
// disk). Valid until the file changes.
class LogBytes {
 public:
  LogBytes() = default;
  explicit LogBytes(std::string_view flat) : flat_(flat), size_(flat.size()) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  char operator[](std::size_t offset) const;
  // The `n` bytes from `offset` (offset + n <= size()): a view into the
  // segment that holds them, or, when they cross from one segment into the
  // next, into *scratch, where they are copied.
  std::string_view View(std::size_t offset, std::size_t n, std::string* scratch) const;
  // Appends the `n` bytes from `offset` to *out.
  void AppendTo(std::size_t offset, std::size_t n, std::string* out) const;
  // All of it, in one string.
  std::string str() const;
  // Calls `each(std::string_view)` on each piece, in order.
  template <typename F>
  void ForEachPiece(F each) const;

  friend bool operator==(const LogBytes& a, std::string_view b);
  friend bool operator!=(const LogBytes& a, std::string_view b) { return !(a == b); }

 private:
  friend class LogFile;
  using Segments = std::vector<std::shared_ptr<std::string>>;
  LogBytes(const Segments* segments, std::size_t size) : segments_(segments), size_(size) {}
  // The piece that holds `offset` (< size()): from it to its end, or to size().
  std::string_view PieceAt(std::size_t offset) const;

  std::string_view flat_;
  const Segments* segments_ = nullptr;
  std::size_t size_ = 0;
};

// Receives every change made to a LogFile, in order. Implementations write a
// real file; an I/O error there is fatal to the caller (as a failed fsync is
// to PostgreSQL), so these methods have no way to fail.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Append(const char* data, std::size_t n) = 0;
  virtual void Sync() = 0;
  // The file now holds exactly `bytes` (after a crash cut it, or recovery
  // rewrote it).
  virtual void Replace(const LogBytes& bytes) = 0;
  // One byte at `offset` changed (bit rot).
  virtual void Overwrite(std::size_t offset, char byte) = 0;
};

class LogFile {
 public:
  LogFile() = default;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Appends to the written bytes.
  void Append(const std::string& data);
  // Makes every written byte durable (fsync).
  void Sync();

  // A power loss: only the synced bytes survive, plus the first `torn_bytes`
  // bytes of the unsynced tail (a torn write). What survived is on disk now.
  // `torn_bytes` must be at most unsynced().
  void LosePower(std::size_t torn_bytes);
  // Cuts the file to `size` bytes (recovery dropping a torn tail).
  void Truncate(std::size_t size);
  // Replaces the whole file with `bytes`, all durable (recovery rewriting it
  // without the records it skipped).
  void Rewrite(std::string bytes);
  // Replaces the whole file with `bytes`, of which the first `synced` are
  // durable (retention removing durable records from before the tail).
  void Rewrite(std::string bytes, std::size_t synced);
  // Inverts every bit of the byte at `offset` (< size()), on disk.
  void FlipByte(std::size_t offset);

  // Bytes live in segments of this many (64 KiB).
  static constexpr std::size_t kSegmentBytes = std::size_t{1} << 16;

  LogBytes bytes() const { return LogBytes(segments_.get(), size_); }
  std::size_t size() const { return size_; }
  std::size_t synced() const { return synced_; }
  std::size_t unsynced() const { return size_ - synced_; }

  // Makes this file hold exactly what `other` holds (bytes and how many are
  // synced), without its sink: a checkpoint of the file. O(1): the bytes are
  // shared.
  void CopyFrom(const LogFile& other) {
    segments_ = other.segments_;
    size_ = other.size_;
    synced_ = other.synced_;
  }

  // `sink` (may be null) must outlive this file or be detached first. It
  // must already hold exactly bytes(): from then on it is told every change.
  void AttachSink(LogSink* sink) { sink_ = sink; }

 private:
  using Segments = LogBytes::Segments;
  // Makes this file the only holder of its list of segments and of the
  // segment that holds byte `offset` (a copy of its bytes up to this
  // file's end), dropping bytes past size_ that only a dropped copy had
  // appended; `offset` == size_ readies the segment an append writes to.
  std::string& OwnSegmentAt(std::size_t offset);
  // Replaces the bytes with `bytes`, in new segments.
  void Fill(std::string_view bytes);
  // Cuts this file to its first `size` bytes (<= size_).
  void Cut(std::size_t size);

  std::shared_ptr<Segments> segments_ = std::make_shared<Segments>();
  std::size_t size_ = 0;    // this file is the first size_ bytes of its segments
  std::size_t synced_ = 0;  // bytes [0, synced_) are on disk
  LogSink* sink_ = nullptr;
};

template <typename F>
void LogBytes::ForEachPiece(F each) const {
  for (std::size_t at = 0; at < size_;) {
    std::string_view piece = PieceAt(at);
    each(piece);
    at += piece.size();
  }
}

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_LOG_FILE_H_
