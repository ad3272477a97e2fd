// The ring-buffer reader: one background thread consumes the BPF ring buffer and hands
// JavaScript whole batches of records through one ThreadSafeFunction (one JS call per batch).
// The hand-off queue is bounded; when JavaScript falls behind, batches are dropped and counted,
// never waited for, so the kernel side is never slowed by a slow consumer.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <thread>
#include <utility>
#include <vector>

struct ring_buffer;

namespace socktap {

// An allocator whose resize() leaves the new bytes as they are: the reader writes every byte of a
// record right after growing the batch for it, so zeroing them first was a second pass over each
// batch (5 % of the reader thread's samples, measured live).
template <typename T>
struct UninitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <typename U>
  UninitAllocator(const UninitAllocator<U>&) {}
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) {
      ::new (static_cast<void*>(p)) U;
    } else {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  }
};

struct ReaderOptions {
  // Consume period; the kernel side does not wake us per event. 50 ms: measured, draining every
  // 10 ms cost the agent about 25 % more CPU per request for no gain, and 50 ms stays far inside
  // the 250 ms syscall-to-sink budget.
  int poll_interval_ms = 50;
  size_t batch_bytes = 4 << 20;       // a batch is handed over when it reaches this size
  size_t max_pending_batches = 64;    // bounded hand-off: batches queued for JS at most
  // Records (events) queued for JS at most, over all queued batches; 0: bounded by batches only.
  // The config's probe_event_queue_size: a batch that would pass it is dropped and counted.
  uint64_t max_pending_records = 0;
};

struct ReaderCounters {
  std::atomic<uint64_t> batches_delivered{0};
  std::atomic<uint64_t> records_delivered{0};
  std::atomic<uint64_t> batches_dropped{0};
  std::atomic<uint64_t> records_dropped{0};
};

class Reader {
 public:
  // JS thread. `on_batch(buffer, records)` is called on the JS thread for each batch.
  Reader(Napi::Env env, int ringbuf_map_fd, Napi::Function on_batch, const ReaderOptions& opts);
  ~Reader();

  // JS thread: starts the reader thread. Throws a JS error when the ring buffer cannot be opened.
  void Start(Napi::Env env);
  // Any thread but the reader's: stops the thread after a final consume and flush, frees the
  // ring-buffer consumer. Idempotent.
  void StopThread();
  // JS thread: releases the ThreadSafeFunction. Batches already queued are still delivered;
  // `done` runs on the JS thread after the last of them. Idempotent (a second `done` is dropped).
  void Release(std::function<void(Napi::Env)> done);
  // JS thread: StopThread() then Release() without a completion callback.
  void Stop();

  // JS thread: the memory of a batch Buffer (its data pointer) that JavaScript is done with goes
  // back to the reader for a later batch. The Buffer must not be read after this. Unknown or
  // already recycled pointers are ignored.
  void Recycle(const uint8_t* data);

  // JS thread: whether pending deliveries keep the event loop alive.
  void Ref(Napi::Env env) { if (!released_) tsfn_.Ref(env); }
  void Unref(Napi::Env env) { if (!released_) tsfn_.Unref(env); }

  const ReaderCounters& counters() const { return counters_; }

 private:
  using Bytes = std::vector<uint8_t, UninitAllocator<uint8_t>>;
  struct Batch {
    Bytes bytes;         // its size is its room; `used` bytes are records
    size_t used = 0;
    uint32_t records = 0;
  };
  // Batch memory JavaScript gave back (Recycle), for the reader thread's next batches. Why: a
  // fresh megabyte per batch is fresh pages, and the reader thread's page faults and copies into
  // them were most of its CPU (measured live). Shared with the Buffers' finalizers, which may run
  // after this Reader is gone.
  struct Pool {
    std::mutex mu;
    std::vector<Bytes> free;                       // reader thread and JS thread, under mu
    std::unordered_map<const uint8_t*, Bytes*> out;  // JS thread: batches JavaScript holds
  };
  struct Handed {
    Bytes bytes;
    const uint8_t* key;
    std::shared_ptr<Pool> pool;
  };
  static constexpr size_t kPoolBatches = 4;
  std::shared_ptr<Pool> pool_ = std::make_shared<Pool>();
  // Reader thread: a batch with room, recycled when there is one.
  Batch* NewBatch(size_t room);

  // Reader thread.
  void Run();
  static int OnRecord(void* ctx, void* data, size_t size);
  void Flush();

  int map_fd_;
  ReaderOptions opts_;
  Napi::ThreadSafeFunction tsfn_;
  // Shared with the TSFN finalizer, which may run after this Reader is gone (process teardown).
  std::shared_ptr<std::function<void(Napi::Env)>> on_finalized_ =
      std::make_shared<std::function<void(Napi::Env)>>();
  // Records handed to the TSFN and not yet delivered to JS. Shared with the queued callbacks,
  // which decrement it on the JS thread and may outlive this Reader at teardown.
  std::shared_ptr<std::atomic<uint64_t>> pending_records_ = std::make_shared<std::atomic<uint64_t>>(0);
  ring_buffer* rb_ = nullptr;
  std::thread thread_;
  std::atomic<bool> running_{false};
  bool released_ = false;
  Batch* batch_ = nullptr;  // owned by the reader thread while it runs
  ReaderCounters counters_;
};

}  // namespace socktap
