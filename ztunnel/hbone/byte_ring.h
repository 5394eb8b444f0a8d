// A FIFO of bytes in one growable circular buffer: a stream's receive or send queue without a
// heap allocation per chunk. Capacity doubles as needed and is kept, so a busy stream stops
// allocating once it has reached its peak fill (bounded by flow control or the send bound).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace zmesh::hbone::detail {

class ByteRing {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  void append(const void* data, size_t n);
  // Moves up to `n` bytes to `out`; returns how many.
  size_t read(void* out, size_t n);
  // Moves exactly `n` (<= size()) bytes to the end of `out`.
  void read_into(std::vector<uint8_t>& out, size_t n);
  void clear() { head_ = size_ = 0; }

  // Zero-copy access. front(): the first contiguous run of queued bytes (at most `max`);
  // consume(n) drops n bytes from the front.
  std::pair<const uint8_t*, size_t> front(size_t max) const;
  void consume(size_t n);
  // prepare(): contiguous free space at the back (up to `want`, growing the buffer when less
  // than `want` is free in total); commit(n) appends the n bytes written there. Reading may
  // go on in between (e.g. while a socket read fills the space); appending may not.
  std::pair<uint8_t*, size_t> prepare(size_t want);
  void commit(size_t n);

 private:
  void grow(size_t need);

  std::unique_ptr<uint8_t[]> buf_;
  size_t capacity_ = 0;  // a power of two, or 0
  size_t head_ = 0;
  size_t size_ = 0;
  size_t prepared_ = 0;  // where the last prepare()'s space starts
};

}  // namespace zmesh::hbone::detail
