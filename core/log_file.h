// LogFile: the write-ahead log's file, modelled exactly, in the manner of
// LevelDB's and RocksDB's fault-injection files. The file has *written*
// bytes (in the operating system's cache) and *synced* bytes (on disk);
// synced <= written. This one small class owns the rule of what survives a
// crash; everything else just appends and syncs.
//
// The bytes live in memory (natively and in wasm alike). A LogSink, when
// attached, mirrors every change onto a real file (`unbundled run --log`).
//
// A copy of the file (a checkpoint, CopyFrom) shares its bytes: each file
// reads only its own first size() bytes of a shared buffer, so appending at
// the end of the buffer never changes what another file holds. Anything else
// that would change shared bytes (a cut, a rewrite, a flipped byte, or an
// append where the buffer has moved on past this file's end, unless the
// buffer holds those very bytes there, as when time travel replays the same
// steps) first gives this file a copy of its own. Checkpoints of a long log therefore cost
// nothing for the log's bytes.
#ifndef UNBUNDLED_CORE_LOG_FILE_H_
#define UNBUNDLED_CORE_LOG_FILE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace unbundled {

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
  virtual void Replace(std::string_view bytes) = 0;
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

  std::string_view bytes() const { return std::string_view(buffer_->data(), size_); }
  std::size_t size() const { return size_; }
  std::size_t synced() const { return synced_; }
  std::size_t unsynced() const { return size_ - synced_; }

  // Makes this file hold exactly what `other` holds (bytes and how many are
  // synced), without its sink: a checkpoint of the file. O(1): the bytes are
  // shared.
  void CopyFrom(const LogFile& other) {
    buffer_ = other.buffer_;
    size_ = other.size_;
    synced_ = other.synced_;
  }

  // `sink` (may be null) must outlive this file or be detached first. It
  // must already hold exactly bytes(): from then on it is told every change.
  void AttachSink(LogSink* sink) { sink_ = sink; }

 private:
  // Gives this file a buffer of its own (holding its bytes) unless it has
  // one already; `for_append` allows sharing while the buffer ends where
  // this file does.
  void Own(bool for_append);

  std::shared_ptr<std::string> buffer_ = std::make_shared<std::string>();
  std::size_t size_ = 0;    // this file is (*buffer_)[0, size_)
  std::size_t synced_ = 0;  // bytes [0, synced_) are on disk
  LogSink* sink_ = nullptr;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_LOG_FILE_H_
