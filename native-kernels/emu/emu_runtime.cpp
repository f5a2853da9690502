// The emulated device's runtime (see include/cuda_runtime.h for the model): a memory registry, queued streams,
// events, error state as CUDA keeps it (last error per call, sticky errors after a fault), and the fiber
// scheduler that runs a kernel's threads. Every entry point takes one process-wide lock, so the emulated device
// executes one thing at a time whatever the number of host threads calling it.
#include <cuda_runtime.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace emu {
struct Stream {
  std::deque<std::function<void()>> queue;
  bool blocking;
};
struct Event {
  Stream *stream = nullptr;
  bool recorded = false;
  bool done = false;
  double ms = 0;
};
}  // namespace emu

namespace {
using Clock = std::chrono::steady_clock;

std::recursive_mutex mu;
std::map<uintptr_t, size_t> deviceMem;  // start -> bytes
std::map<uintptr_t, size_t> pinnedMem;
std::set<emu::Stream *> streams;
std::set<emu::Event *> events;
std::unordered_map<const void *, int> maxDynamicShared;
size_t used = 0;
cudaError_t sticky = cudaSuccess;
thread_local cudaError_t lastError = cudaSuccess;
cudaError_t execError = cudaSuccess;  // set by work while it runs (under the lock)
const Clock::time_point epoch = Clock::now();

long envLong(const char *name, long dflt) {
  const char *v = getenv(name);
  if (v == nullptr || *v == '\0') return dflt;
  char *end = nullptr;
  long x = strtol(v, &end, 10);
  return (end != nullptr && *end == '\0' && x >= 0) ? x : dflt;
}
size_t totalMemory() { return (size_t)envLong("LURM_EMU_MEMORY_MB", 4096) << 20; }
int smCount() { return (int)std::max(1L, envLong("LURM_EMU_SMS", 4)); }
int deviceCount() { return (int)envLong("LURM_EMU_DEVICES", 1); }
bool reverseOrder() {
  const char *v = getenv("LURM_EMU_ORDER");
  return v != nullptr && std::string(v) == "reverse";
}
int fillByte() { return (int)envLong("LURM_EMU_FILL", 0xFF) & 0xFF; }

cudaError_t record(cudaError_t e) {
  if (e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure) sticky = e;
  if (e != cudaSuccess) lastError = e;
  return e;
}

// The allocation of `map` holding [p, p + bytes) (an end pointer, bytes 0, counts as inside when endInclusive).
bool within(const std::map<uintptr_t, size_t> &map, const void *p, size_t bytes, bool endInclusive = false) {
  uintptr_t a = (uintptr_t)p;
  auto it = map.upper_bound(a);
  if (it == map.begin()) return false;
  --it;
  uintptr_t end = it->first + it->second;
  if (a + bytes > end) return false;
  return a < end || (endInclusive && bytes == 0 && a == end);
}
bool isDevice(const void *p, size_t bytes) { return within(deviceMem, p, bytes); }
bool touchesDevice(const void *p, size_t bytes) {
  // Any overlap with device memory (for "this must be host memory" checks).
  uintptr_t a = (uintptr_t)p, b = a + std::max<size_t>(bytes, 1);
  auto it = deviceMem.lower_bound(b);
  if (it == deviceMem.begin()) return false;
  --it;
  return it->first + it->second > a;
}
bool isPinned(const void *p, size_t bytes) { return within(pinnedMem, p, bytes); }

void runWork(const std::function<void()> &w) {
  execError = cudaSuccess;
  w();
  if (execError != cudaSuccess) record(execError);
}

void flush(emu::Stream *s) {
  while (!s->queue.empty()) {
    std::function<void()> w = std::move(s->queue.front());
    s->queue.pop_front();
    if (sticky == cudaSuccess) runWork(w);
  }
}
void flushAll() {
  for (emu::Stream *s : streams) flush(s);
}
void flushBlocking() {
  for (emu::Stream *s : streams)
    if (s->blocking) flush(s);
}

cudaError_t submit(cudaStream_t s, std::function<void()> w) {
  if (s == nullptr) {
    flushBlocking();
    runWork(w);
    return sticky != cudaSuccess ? sticky : cudaSuccess;
  }
  if (!streams.count(s)) return record(cudaErrorInvalidResourceHandle);
  s->queue.push_back(std::move(w));
  return cudaSuccess;
}

// ---- fibers --------------------------------------------------------------------------------------------------
constexpr size_t STACK_BYTES = 256 * 1024;

struct Fiber {
  void *sp = nullptr;
  int state = 0;  // RUN, WAIT_BLOCK, WAIT_WARP, DONE
};
enum { RUN = 0, WAIT_BLOCK = 1, WAIT_WARP = 2, DONE = 3 };

struct BlockRun {
  std::vector<Fiber> fibers;
  const std::function<void()> *body = nullptr;
  void *schedulerSp = nullptr;
  int current = 0;
  std::vector<uint64_t> lanes;  // shuffle exchange, one slot per thread
};
BlockRun *running = nullptr;
std::vector<unsigned char *> stacks;  // reused by every launch, one per thread slot
std::unique_ptr<unsigned char[]> dynamicSharedBuf;

unsigned char *stackTop(int i) {
  while ((int)stacks.size() <= i) {
    void *m = mmap(nullptr, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return nullptr;
    mprotect(m, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE);  // overflow faults instead of corrupting a neighbour
    stacks.push_back((unsigned char *)m);
  }
  return stacks[i] + STACK_BYTES;
}
}  // namespace

// x86-64 System V: save the callee-saved registers, MXCSR and the x87 control word on the current stack, store the
// stack pointer in *save, switch to `to` and restore the same from there.
extern "C" void lurm_emu_switch(void **save, void *to);
asm(R"(
.text
.globl lurm_emu_switch
.hidden lurm_emu_switch
.type lurm_emu_switch,@function
lurm_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size lurm_emu_switch, .-lurm_emu_switch
)");

namespace {
[[noreturn]] void fiberEntry() {
  BlockRun *r = running;
  (*r->body)();
  Fiber &f = r->fibers[r->current];
  f.state = DONE;
  lurm_emu_switch(&f.sp, r->schedulerSp);
  __builtin_unreachable();
}

void *initialStack(unsigned char *top) {
  uintptr_t t = (uintptr_t)top & ~(uintptr_t)15;
  unsigned char *a = (unsigned char *)(t - 72);  // == 8 mod 16: the entry sees the stack as after a call
  memset(a, 0, 72);
  uint32_t mxcsr = 0x1F80;
  uint16_t fpcw = 0x037F;
  memcpy(a, &mxcsr, 4);
  memcpy(a + 4, &fpcw, 2);
  void (*entry)() = fiberEntry;
  memcpy(a + 56, &entry, 8);  // after the 8-byte control slot and six registers: the return address
  return a;
}

void yield(int state) {
  BlockRun *r = running;
  Fiber &f = r->fibers[r->current];
  f.state = state;
  lurm_emu_switch(&f.sp, r->schedulerSp);
}

dim3 threadOf(int t, dim3 b) { return dim3(t % b.x, (t / b.x) % b.y, t / (b.x * b.y)); }

// Runs one block: every thread until it ends, releasing barriers when every live thread of their group waits.
cudaError_t runBlock(int threads, dim3 blk) {
  BlockRun &r = *running;
  r.fibers.assign(threads, Fiber{});
  for (int t = 0; t < threads; t++) {
    unsigned char *top = stackTop(t);
    if (top == nullptr) return cudaErrorMemoryAllocation;
    r.fibers[t].sp = initialStack(top);
  }
  bool rev = reverseOrder();
  int live = threads;
  while (live > 0) {
    for (int k = 0; k < threads; k++) {
      int t = rev ? threads - 1 - k : k;
      if (r.fibers[t].state != RUN) continue;
      r.current = t;
      emu::tIdx = threadOf(t, blk);
      lurm_emu_switch(&r.schedulerSp, r.fibers[t].sp);
    }
    live = 0;
    int atBlock = 0;
    bool released = false;
    for (int w = 0; w * 32 < threads; w++) {
      int wl = 0, atWarp = 0;
      for (int t = w * 32; t < std::min(threads, w * 32 + 32); t++) {
        int s = r.fibers[t].state;
        if (s == DONE) continue;
        wl++;
        if (s == WAIT_WARP) atWarp++;
        if (s == WAIT_BLOCK) atBlock++;
      }
      live += wl;
      if (wl > 0 && atWarp == wl) {
        for (int t = w * 32; t < std::min(threads, w * 32 + 32); t++) r.fibers[t].state = RUN;
        released = true;
      }
    }
    if (live > 0 && atBlock == live) {
      for (Fiber &f : r.fibers)
        if (f.state == WAIT_BLOCK) f.state = RUN;
      released = true;
    }
    if (live > 0 && !released) {
      // Threads wait at barriers that can never complete (e.g. __syncthreads under a condition only some
      // threads meet): on hardware a hang or undefined behaviour, here an error.
      fprintf(stderr, "[lurm emulated device] deadlock: %d live threads of block (%u,%u,%u) wait at barriers that cannot complete\n",
              live, emu::bIdx.x, emu::bIdx.y, emu::bIdx.z);
      return cudaErrorLaunchFailure;
    }
  }
  return cudaSuccess;
}

void runGrid(std::function<void()> body, dim3 grid, dim3 blk, size_t shared) {
  int threads = (int)(blk.x * blk.y * blk.z);
  BlockRun r;
  r.body = &body;
  r.lanes.assign(((threads + 31) / 32) * 32, 0);
  BlockRun *outer = running;
  running = &r;
  emu::bDim = blk;
  emu::gDim = grid;
  int fill = fillByte();
  for (unsigned bz = 0; bz < grid.z && execError == cudaSuccess; bz++)
    for (unsigned by = 0; by < grid.y && execError == cudaSuccess; by++)
      for (unsigned bx = 0; bx < grid.x && execError == cudaSuccess; bx++) {
        emu::bIdx = dim3(bx, by, bz);
        memset(dynamicSharedBuf.get(), fill, shared);  // shared memory starts undefined on hardware
        cudaError_t e = runBlock(threads, blk);
        if (e != cudaSuccess) execError = e;
      }
  running = outer;
}

#define GUARD                                         \
  std::lock_guard<std::recursive_mutex> lock_(mu);  \
  if (sticky != cudaSuccess) return sticky

}  // namespace

// ---- device-side entry points --------------------------------------------------------------------------------
namespace emu {
unsigned char *dynamicShared() { return dynamicSharedBuf.get(); }
void syncBlock() { yield(WAIT_BLOCK); }
void syncWarp() { yield(WAIT_WARP); }
uint64_t shuffle(uint64_t bits, int srcLane) {
  BlockRun *r = running;
  int t = r->current;
  int base = t / 32 * 32;
  r->lanes[t] = bits;
  syncWarp();
  int src = base + (srcLane & 31);
  uint64_t v = src < (int)r->fibers.size() && r->fibers[src].state != DONE ? r->lanes[src] : bits;
  syncWarp();
  return v;
}

cudaError_t enqueue(cudaStream_t stream, std::function<void()> work, std::initializer_list<Range> ranges) {
  GUARD;
  for (const Range &g : ranges) {
    if (g.ptr == nullptr && g.bytes == 0) continue;
    if (!isDevice(g.ptr, g.bytes) && !isPinned(g.ptr, g.bytes)) {
      fprintf(stderr, "[lurm emulated device] illegal address: %p (+%zu bytes) is not device memory\n", g.ptr, g.bytes);
      return record(cudaErrorIllegalAddress);
    }
  }
  return record(submit(stream, std::move(work)));
}

cudaError_t launchBody(const void *kernel, dim3 grid, dim3 blk, size_t shared, cudaStream_t stream, std::function<void()> body,
                       const void *const *pointers, int numPointers) {
  GUARD;
  long long threads = (long long)blk.x * blk.y * blk.z;
  if (threads < 1 || threads > 1024 || blk.z > 64 || grid.x < 1 || grid.x > 2147483647u || grid.y < 1 || grid.y > 65535 || grid.z < 1 ||
      grid.z > 65535)
    return record(cudaErrorInvalidConfiguration);
  auto it = maxDynamicShared.find(kernel);
  size_t limit = it == maxDynamicShared.end() ? 48 * 1024 : (size_t)it->second;
  if (shared > limit) return record(cudaErrorInvalidValue);
  for (int i = 0; i < numPointers; i++) {
    const void *p = pointers[i];
    if (p == nullptr) continue;
    if (!within(deviceMem, p, 0, true) && !within(pinnedMem, p, 0, true)) {
      fprintf(stderr, "[lurm emulated device] illegal address: kernel argument %d (%p) is not device memory\n", i, p);
      return record(cudaErrorIllegalAddress);
    }
  }
  if (!dynamicSharedBuf) dynamicSharedBuf.reset(new unsigned char[MAX_DYNAMIC_SHARED]);
  return record(submit(stream, [body = std::move(body), grid, blk, shared] { runGrid(body, grid, blk, shared); }));
}
}  // namespace emu

// ---- runtime API ---------------------------------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int *count) {
  std::lock_guard<std::recursive_mutex> lock_(mu);
  if (count == nullptr) return record(cudaErrorInvalidValue);
  *count = deviceCount();
  return *count > 0 ? cudaSuccess : record(cudaErrorNoDevice);  // LURM_EMU_DEVICES=0: a machine without a GPU
}
cudaError_t cudaSetDevice(int device) {
  GUARD;
  return device >= 0 && device < deviceCount() ? cudaSuccess : record(cudaErrorInvalidDevice);
}
cudaError_t cudaGetDevice(int *device) {
  GUARD;
  if (device == nullptr) return record(cudaErrorInvalidValue);
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int device) {
  GUARD;
  if (p == nullptr) return record(cudaErrorInvalidValue);
  if (device < 0 || device >= deviceCount()) return record(cudaErrorInvalidDevice);
  memset(p, 0, sizeof(*p));
  snprintf(p->name, sizeof(p->name), "lurm emulated device (host CPU, no GPU)");
  p->totalGlobalMem = totalMemory();
  p->sharedMemPerBlock = 48 * 1024;
  p->maxThreadsPerBlock = 1024;
  p->multiProcessorCount = smCount();
  p->major = 9;
  p->minor = 0;
  p->warpSize = 32;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device) {
  GUARD;
  if (value == nullptr) return record(cudaErrorInvalidValue);
  if (device < 0 || device >= deviceCount()) return record(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = smCount(); return cudaSuccess;
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; return cudaSuccess;
  }
  return record(cudaErrorInvalidValue);
}
cudaError_t cudaMemGetInfo(size_t *free, size_t *total) {
  GUARD;
  if (free == nullptr || total == nullptr) return record(cudaErrorInvalidValue);
  *total = totalMemory();
  *free = *total - std::min(used, *total);
  return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t bytes) {
  GUARD;
  if (ptr == nullptr) return record(cudaErrorInvalidValue);
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  size_t rounded = (bytes + 255) / 256 * 256;
  if (used + rounded > totalMemory()) return record(cudaErrorMemoryAllocation);
  void *p = aligned_alloc(256, rounded);
  if (p == nullptr) return record(cudaErrorMemoryAllocation);
  memset(p, fillByte(), rounded);
  deviceMem[(uintptr_t)p] = bytes;
  used += rounded;
  *ptr = p;
  return cudaSuccess;
}
cudaError_t cudaFree(void *ptr) {
  GUARD;
  if (ptr == nullptr) return cudaSuccess;
  flushAll();  // cudaFree synchronises the device
  if (sticky != cudaSuccess) return sticky;
  auto it = deviceMem.find((uintptr_t)ptr);
  if (it == deviceMem.end()) return record(cudaErrorInvalidValue);
  used -= (it->second + 255) / 256 * 256;
  deviceMem.erase(it);
  free(ptr);
  return cudaSuccess;
}
cudaError_t cudaHostAlloc(void **ptr, size_t bytes, unsigned) {
  GUARD;
  if (ptr == nullptr) return record(cudaErrorInvalidValue);
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  void *p = aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
  if (p == nullptr) return record(cudaErrorMemoryAllocation);
  memset(p, fillByte(), bytes);
  pinnedMem[(uintptr_t)p] = bytes;
  *ptr = p;
  return cudaSuccess;
}
cudaError_t cudaFreeHost(void *ptr) {
  GUARD;
  if (ptr == nullptr) return cudaSuccess;
  flushAll();
  if (sticky != cudaSuccess) return sticky;
  auto it = pinnedMem.find((uintptr_t)ptr);
  if (it == pinnedMem.end()) return record(cudaErrorInvalidValue);
  pinnedMem.erase(it);
  free(ptr);
  return cudaSuccess;
}

namespace {
// Whether dst and src fit the copy kind: device sides wholly inside one device allocation, host sides outside
// device memory. cudaMemcpyDefault infers each side.
bool copyOk(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  bool dDev, sDev;
  switch (kind) {
    case cudaMemcpyHostToHost: dDev = false; sDev = false; break;
    case cudaMemcpyHostToDevice: dDev = true; sDev = false; break;
    case cudaMemcpyDeviceToHost: dDev = false; sDev = true; break;
    case cudaMemcpyDeviceToDevice: dDev = true; sDev = true; break;
    case cudaMemcpyDefault: dDev = isDevice(dst, bytes); sDev = isDevice(src, bytes); break;
    default: return false;
  }
  bool dOk = dDev ? isDevice(dst, bytes) : !touchesDevice(dst, bytes);
  bool sOk = sDev ? isDevice(src, bytes) : !touchesDevice(src, bytes);
  if (!dOk || !sOk)
    fprintf(stderr, "[lurm emulated device] invalid copy of %zu bytes, kind %d: dst %p is %s, src %p is %s\n", bytes, (int)kind, dst,
            dOk ? "fine" : (dDev ? "not (wholly) device memory" : "device memory"), src, sOk ? "fine" : (sDev ? "not (wholly) device memory" : "device memory"));
  return dOk && sOk;
}
}  // namespace

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  GUARD;
  if (bytes == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr || !copyOk(dst, src, bytes, kind)) return record(cudaErrorInvalidValue);
  flushBlocking();  // the legacy default stream waits for blocking streams only, not for the library's
  memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  GUARD;
  if (bytes == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr || !copyOk(dst, src, bytes, kind)) return record(cudaErrorInvalidValue);
  if (stream != nullptr && !streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
  bool srcHost = !isDevice(src, bytes), dstHost = !isDevice(dst, bytes);
  if (srcHost && !isPinned(src, bytes)) {
    // From pageable memory the runtime stages the source before returning: the caller may reuse it at once.
    auto staged = std::make_shared<std::vector<unsigned char>>((const unsigned char *)src, (const unsigned char *)src + bytes);
    return record(submit(stream, [dst, staged] { memcpy(dst, staged->data(), staged->size()); }));
  }
  if (dstHost && !isPinned(dst, bytes)) {
    // To pageable memory the copy completes before the call returns (after the stream's earlier work).
    if (stream != nullptr) flush(stream);
    if (sticky != cudaSuccess) return sticky;
    memmove(dst, src, bytes);
    return cudaSuccess;
  }
  return record(submit(stream, [dst, src, bytes] { memmove(dst, src, bytes); }));
}
cudaError_t cudaMemset(void *ptr, int value, size_t bytes) {
  GUARD;
  if (bytes == 0) return cudaSuccess;
  if (!isDevice(ptr, bytes)) return record(cudaErrorInvalidValue);
  flushBlocking();
  memset(ptr, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *ptr, int value, size_t bytes, cudaStream_t stream) {
  GUARD;
  if (bytes == 0) return cudaSuccess;
  if (!isDevice(ptr, bytes)) return record(cudaErrorInvalidValue);
  return record(submit(stream, [ptr, value, bytes] { memset(ptr, value, bytes); }));
}

cudaError_t cudaStreamCreate(cudaStream_t *stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags) {
  GUARD;
  if (stream == nullptr) return record(cudaErrorInvalidValue);
  emu::Stream *s = new emu::Stream();
  s->blocking = (flags & cudaStreamNonBlocking) == 0;
  streams.insert(s);
  *stream = s;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  GUARD;
  if (stream == nullptr || !streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
  flush(stream);  // queued work still completes
  streams.erase(stream);
  for (emu::Event *e : events)
    if (e->stream == stream) e->stream = nullptr;
  delete stream;
  return sticky;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  GUARD;
  if (stream == nullptr) {
    flushBlocking();
    return sticky;
  }
  if (!streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
  flush(stream);
  return sticky;
}
cudaError_t cudaDeviceSynchronize() {
  GUARD;
  flushAll();
  return sticky;
}

cudaError_t cudaEventCreate(cudaEvent_t *event) {
  GUARD;
  if (event == nullptr) return record(cudaErrorInvalidValue);
  emu::Event *e = new emu::Event();
  events.insert(e);
  *event = e;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  GUARD;
  if (event == nullptr || !events.count(event)) return record(cudaErrorInvalidResourceHandle);
  if (event->stream != nullptr) flush(event->stream);  // its marker may still be queued
  events.erase(event);
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  GUARD;
  if (event == nullptr || !events.count(event)) return record(cudaErrorInvalidResourceHandle);
  event->recorded = true;
  event->done = false;
  event->stream = stream;
  return record(submit(stream, [event] {
    if (!events.count(event)) return;
    event->done = true;
    event->ms = std::chrono::duration<double, std::milli>(Clock::now() - epoch).count();
  }));
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  GUARD;
  if (event == nullptr || !events.count(event)) return record(cudaErrorInvalidResourceHandle);
  if (event->stream != nullptr) flush(event->stream);
  return sticky;
}
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end) {
  GUARD;
  if (ms == nullptr) return record(cudaErrorInvalidValue);
  if (!events.count(start) || !events.count(end) || !start->recorded || !end->recorded) return record(cudaErrorInvalidResourceHandle);
  if (!start->done || !end->done) return record(cudaErrorNotReady);
  *ms = (float)(end->ms - start->ms);
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  std::lock_guard<std::recursive_mutex> lock_(mu);
  if (sticky != cudaSuccess) return sticky;
  cudaError_t e = lastError;
  lastError = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() {
  std::lock_guard<std::recursive_mutex> lock_(mu);
  return sticky != cudaSuccess ? sticky : lastError;
}
const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorNoKernelImageForDevice: return "no kernel image is available for execution on the device";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unrecognized error code";
}
cudaError_t emuFuncGetAttributes(cudaFuncAttributes *a, const void *func) {
  GUARD;
  if (a == nullptr || func == nullptr) return record(cudaErrorInvalidValue);
  memset(a, 0, sizeof(*a));
  a->maxThreadsPerBlock = 1024;
  auto it = maxDynamicShared.find(func);
  a->maxDynamicSharedSizeBytes = it == maxDynamicShared.end() ? 48 * 1024 : it->second;
  return cudaSuccess;
}
cudaError_t emuFuncSetAttribute(const void *func, cudaFuncAttribute attr, int value) {
  GUARD;
  if (func == nullptr || attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 || (size_t)value > emu::MAX_DYNAMIC_SHARED)
    return record(cudaErrorInvalidValue);
  maxDynamicShared[func] = value;
  return cudaSuccess;
}

// Whether this library is the emulated device (for tests and the commands' backend report).
extern "C" int lurm_emulated(void) { return 1; }

// Test hook: forgets a sticky error and drops queued work, as a process restart would on hardware (a test that
// provokes an illegal address must not poison the tests after it in the same JVM).
extern "C" int lurm_emu_reset(void) {
  std::lock_guard<std::recursive_mutex> lock_(mu);
  for (emu::Stream *s : streams) s->queue.clear();
  sticky = cudaSuccess;
  lastError = cudaSuccess;
  return 0;
}
