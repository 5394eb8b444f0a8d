#include "hbone/byte_ring.h"

#include <algorithm>
#include <cstring>

namespace zmesh::hbone::detail {

void ByteRing::grow(size_t need) {
  size_t capacity = std::max<size_t>(capacity_, 16 * 1024);
  while (capacity < need) capacity *= 2;
  auto bigger = std::make_unique<uint8_t[]>(capacity);
  size_t first = std::min(size_, capacity_ - head_);
  if (size_ > 0) {
    std::memcpy(bigger.get(), buf_.get() + head_, first);
    std::memcpy(bigger.get() + first, buf_.get(), size_ - first);
  }
  buf_ = std::move(bigger);
  capacity_ = capacity;
  head_ = 0;
}

void ByteRing::append(const void* data, size_t n) {
  if (n == 0) return;
  if (size_ + n > capacity_) grow(size_ + n);
  size_t tail = (head_ + size_) & (capacity_ - 1);
  size_t first = std::min(n, capacity_ - tail);
  const auto* bytes = static_cast<const uint8_t*>(data);
  std::memcpy(buf_.get() + tail, bytes, first);
  std::memcpy(buf_.get(), bytes + first, n - first);
  size_ += n;
}

size_t ByteRing::read(void* out, size_t n) {
  n = std::min(n, size_);
  size_t first = std::min(n, capacity_ - head_);
  auto* bytes = static_cast<uint8_t*>(out);
  if (n > 0) {
    std::memcpy(bytes, buf_.get() + head_, first);
    std::memcpy(bytes + first, buf_.get(), n - first);
  }
  head_ = (head_ + n) & (capacity_ - 1);
  size_ -= n;
  if (size_ == 0) head_ = 0;  // keeps the next appends contiguous
  return n;
}

void ByteRing::read_into(std::vector<uint8_t>& out, size_t n) {
  n = std::min(n, size_);
  if (n == 0) return;
  size_t first = std::min(n, capacity_ - head_);
  const uint8_t* start = buf_.get() + head_;
  out.insert(out.end(), start, start + first);
  out.insert(out.end(), buf_.get(), buf_.get() + (n - first));
  head_ = (head_ + n) & (capacity_ - 1);
  size_ -= n;
  if (size_ == 0) head_ = 0;
}

std::pair<const uint8_t*, size_t> ByteRing::front(size_t max) const {
  size_t n = std::min({max, size_, capacity_ - head_});
  return {buf_.get() + head_, n};
}

void ByteRing::consume(size_t n) {
  n = std::min(n, size_);
  head_ = (head_ + n) & (capacity_ - 1);
  size_ -= n;
  if (size_ == 0) head_ = 0;
}

std::pair<uint8_t*, size_t> ByteRing::prepare(size_t want) {
  if (capacity_ - size_ < want) grow(size_ + want);
  size_t tail = (head_ + size_) & (capacity_ - 1);
  size_t contiguous = tail >= head_ && size_ < capacity_ ? capacity_ - tail : head_ - tail;
  prepared_ = tail;
  return {buf_.get() + tail, std::min(want, contiguous)};
}

void ByteRing::commit(size_t n) {
  // Emptied meanwhile: head_ was reset, but the new bytes sit where prepare() put them.
  if (size_ == 0) head_ = prepared_;
  size_ += n;
}

}  // namespace zmesh::hbone::detail
