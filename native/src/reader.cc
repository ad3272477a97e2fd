#include "reader.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>

#include <bpf/libbpf.h>
#include <string.h>

#include "errors.h"

namespace socktap {

// Batch framing, decoded by agent/capture/decode.ts: per record a u32 length, a u32 reserved
// word, the record bytes, then zero padding to 8 bytes so every record header is aligned.
constexpr size_t kFrameHeader = 8;

Reader::Reader(Napi::Env env, int ringbuf_map_fd, Napi::Function on_batch, const ReaderOptions& opts)
    : map_fd_(ringbuf_map_fd), opts_(opts) {
  auto done = on_finalized_;
  tsfn_ = Napi::ThreadSafeFunction::New(env, on_batch, "socktap-ringbuf-reader", opts_.max_pending_batches, 1,
                                        [done](Napi::Env fenv) {
                                          if (*done) (*done)(fenv);
                                        });
  // Do not keep the event loop alive by itself: the owning Tracer holds a ref while running.
  tsfn_.Unref(env);
}

Reader::~Reader() { Stop(); }

void Reader::Start(Napi::Env env) {
  rb_ = ring_buffer__new(map_fd_, &Reader::OnRecord, this, nullptr);
  if (!rb_) {
    int err = errno;
    throw MakeError(env, kErrSystem,
                    std::string("cannot open the BPF ring buffer for reading: ") + strerror(err), err);
  }
  batch_ = NewBatch(0);
  running_ = true;
  thread_ = std::thread(&Reader::Run, this);
}

void Reader::StopThread() {
  if (thread_.joinable()) {
    running_ = false;
    thread_.join();
  }
  if (rb_) {
    ring_buffer__free(rb_);
    rb_ = nullptr;
  }
}

void Reader::Release(std::function<void(Napi::Env)> done) {
  if (released_ || !tsfn_) return;
  *on_finalized_ = std::move(done);
  tsfn_.Release();
  released_ = true;
}

void Reader::Stop() {
  StopThread();
  Release(nullptr);
}

void Reader::Run() {
  auto last_trim = std::chrono::steady_clock::now();
  while (running_.load(std::memory_order_relaxed)) {
    // poll returns on a forced wakeup (the ring is filling) or after the interval; consume then
    // drains what arrived without a wakeup.
    ring_buffer__poll(rb_, opts_.poll_interval_ms);
    ring_buffer__consume(rb_);
    Flush();
    // Batches are freed on the JS thread when their Buffer is collected; glibc keeps freed
    // multi-MiB blocks in its arenas (it raises its mmap threshold after such frees), so a burst
    // left the agent hundreds of MiB larger for good (measured: 860 MiB after 64 KiB bodies at
    // 500 MB/s). Handing free arena memory back once a second keeps the fast path (no mmap per
    // batch: that made the reader slow enough to lose 2-3x more events under the same burst).
    auto now = std::chrono::steady_clock::now();
    if (now - last_trim >= std::chrono::seconds(1)) {
      malloc_trim(0);
      last_trim = now;
    }
  }
  ring_buffer__consume(rb_);
  Flush();
  delete batch_;
  batch_ = nullptr;
}

Reader::Batch* Reader::NewBatch(size_t room) {
  auto* b = new Batch();
  {
    std::lock_guard<std::mutex> lock(pool_->mu);
    if (!pool_->free.empty()) {
      b->bytes = std::move(pool_->free.back());
      pool_->free.pop_back();
    }
  }
  if (b->bytes.size() < room) b->bytes.resize(room);
  return b;
}

int Reader::OnRecord(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Reader*>(ctx);
  Batch* b = self->batch_;
  size_t padded = (size + 7) & ~size_t(7);
  size_t off = b->used;
  size_t end = off + kFrameHeader + padded;
  // Grown by doubling; resize() neither zeroes (UninitAllocator) nor runs per record.
  if (end > b->bytes.size()) b->bytes.resize(std::max(end, std::max<size_t>(2 * b->bytes.size(), 64 << 10)));
  uint8_t* o = b->bytes.data() + off;
  uint32_t len = static_cast<uint32_t>(size);
  memcpy(o, &len, 4);
  memset(o + 4, 0, 4);
  memcpy(o + kFrameHeader, data, size);
  if (padded != size) memset(o + kFrameHeader + size, 0, padded - size);
  b->used = end;
  b->records++;
  if (b->used >= self->opts_.batch_bytes) self->Flush();
  return 0;
}

void Reader::Recycle(const uint8_t* data) {
  std::lock_guard<std::mutex> lock(pool_->mu);
  auto it = pool_->out.find(data);
  if (it == pool_->out.end()) return;
  Bytes* bytes = it->second;
  pool_->out.erase(it);
  // The Buffer keeps pointing at the memory; its finalizer then frees an empty vector.
  if (pool_->free.size() < kPoolBatches) pool_->free.push_back(std::move(*bytes));
}

void Reader::Flush() {
  Batch* b = batch_;
  if (b->records == 0) return;
  batch_ = NewBatch(b->used);
  uint32_t records = b->records;
  auto pending = pending_records_;
  uint64_t before = pending->fetch_add(records);
  // Over the record bound, the batch is dropped like one the full TSFN queue refuses. With
  // nothing pending it always goes: a batch larger than the bound must not starve JS forever.
  bool fits = opts_.max_pending_records == 0 || before == 0 || before + records <= opts_.max_pending_records;
  napi_status st = napi_queue_full;
  if (fits) {
    auto pool = pool_;
    st = tsfn_.NonBlockingCall(b, [pending, pool](Napi::Env env, Napi::Function fn, Batch* batch) {
      // JS thread. The vector's memory becomes the Buffer's: no copy.
      auto* h = new Handed{std::move(batch->bytes), nullptr, pool};
      size_t len = batch->used;
      uint32_t n = batch->records;
      pending->fetch_sub(n);
      delete batch;
      if (env == nullptr || fn.IsEmpty()) {  // the function is being torn down
        delete h;
        return;
      }
      h->key = h->bytes.data();
      {
        std::lock_guard<std::mutex> lock(pool->mu);
        pool->out[h->key] = &h->bytes;
      }
      Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
          env, h->bytes.data(), len,
          [](Napi::Env, uint8_t*, Handed* done) {
            {
              std::lock_guard<std::mutex> lock(done->pool->mu);
              done->pool->out.erase(done->key);
            }
            delete done;
          },
          h);
      fn.Call({buf, Napi::Number::New(env, n)});
    });
  }
  if (st == napi_ok) {
    counters_.batches_delivered++;
    counters_.records_delivered += records;
  } else {
    // napi_queue_full (JS is behind) or napi_closing (stopping): drop, count, never block.
    pending->fetch_sub(records);
    counters_.batches_dropped++;
    counters_.records_dropped += records;
    delete b;
  }
}

}  // namespace socktap
