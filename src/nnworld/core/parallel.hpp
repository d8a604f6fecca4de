#pragma once
// Ranks: the MPI layer of the engines. A Comm is a group of processes (MPI ranks) that share
// one piece of work; engines split their independent items (replicas, chains, sub-runs) into
// contiguous shares, one per rank, compute their own share and then gather every share in item
// order, so that everything computed afterwards (histograms, moments, pooled statistics) sees
// the same numbers in the same order on any rank count: results are bit-identical for 1, 2, 4…
// ranks, as they are for any thread count.
//
//   core::MpiSession mpi(argc, argv);        // main(): MPI_Init_thread … MPI_Finalize
//   const core::Comm& comm = core::current_comm();
//   const core::Share s = comm.share(replicas, 256);   // this rank's [begin, end)
//   … compute items s.begin … s.end − 1 …
//   comm.allgather(values, replicas, 256, K);          // every rank now has every item
//
// Without MPI (built without it, or the program never called MpiSession) every Comm has one
// rank and every collective is a no-op. mpi.h is included by parallel.cpp only.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace nnworld::core {

// Items [begin, end) of a split.
struct Share {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  [[nodiscard]] std::int64_t size() const { return end - begin; }
};

class Comm {
 public:
  // One rank, no communication.
  Comm() = default;

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  [[nodiscard]] bool root() const { return rank_ == 0; }

  // Rank r's items of n, split into contiguous runs of whole blocks of `block` items (the
  // last block may be short): the ⌈n/block⌉ blocks go to the ranks in order, the first
  // (blocks mod size) ranks taking one block more. A kernel that works in fixed blocks by item
  // index therefore does the same arithmetic on every item whatever the rank count.
  [[nodiscard]] Share share_of(int r, std::int64_t n, std::int64_t block = 1) const {
    return split(r, size_, n, block);
  }
  // The same split for any group size.
  [[nodiscard]] static Share split(int r, int size, std::int64_t n, std::int64_t block = 1);
  [[nodiscard]] Share share(std::int64_t n, std::int64_t block = 1) const {
    return share_of(rank_, n, block);
  }

  // `values` holds n items of `width` doubles each; this rank has filled its share(n, block).
  // Afterwards every rank holds every item (MPI_Allgatherv, in item order).
  void allgather(std::span<double> values, std::int64_t n, std::int64_t block,
                 std::int64_t width = 1) const;
  // The same for 32-bit integers.
  void allgather(std::span<std::int32_t> values, std::int64_t n, std::int64_t block,
                 std::int64_t width = 1) const;
  // Sends `bytes` from rank `from` to every rank (sizes are sent first).
  void broadcast(std::string& bytes, int from) const;
  // Every rank's string, in rank order (on every rank).
  [[nodiscard]] std::vector<std::string> allgather_strings(const std::string& mine) const;
  [[nodiscard]] std::int64_t min(std::int64_t v) const;
  [[nodiscard]] std::int64_t sum(std::int64_t v) const;
  // Element-wise integer sum (histograms: exact, so bit-identical for any split).
  void sum(std::span<std::int64_t> values) const;
  void barrier() const;
  // Every item of n, made by the rank whose share_of holds it, sent to every rank in item order:
  // pack(i) on the owner gives the item's bytes, unpack(i, bytes) on every other rank takes them.
  template <class Pack, class Unpack>
  void share_items(std::int64_t n, Pack&& pack, Unpack&& unpack) const {
    if (size_ == 1) return;
    for (int r = 0; r < size_; ++r) {
      const Share theirs = share_of(r, n);
      for (std::int64_t i = theirs.begin; i < theirs.end; ++i) {
        std::string bytes = r == rank_ ? pack(i) : std::string();
        broadcast(bytes, r);
        if (r != rank_) unpack(i, bytes);
      }
    }
  }

  // MPI_COMM_WORLD (a one-rank Comm when MPI is absent or not initialised).
  [[nodiscard]] static const Comm& world();

 private:
  int rank_ = 0;
  int size_ = 1;
  friend class MpiSession;
};

// Plain values and vectors as bytes (their bits, so an item crosses ranks unchanged).
class ByteWriter {
 public:
  template <class T>
  void put(const T* values, std::size_t count) {
    out_.append(reinterpret_cast<const char*>(values), count * sizeof(T));
  }
  template <class T>
  void value(T v) {
    put(&v, 1);
  }
  template <class T>
  void vector(const std::vector<T>& v) {
    value(static_cast<std::int64_t>(v.size()));
    put(v.data(), v.size());
  }
  [[nodiscard]] std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::string& in) : in_(in) {}
  template <class T>
  void get(T* values, std::size_t count) {
    std::memcpy(static_cast<void*>(values), in_.data() + at_, count * sizeof(T));
    at_ += count * sizeof(T);
  }
  template <class T>
  T value() {
    T v{};
    get(&v, 1);
    return v;
  }
  template <class T>
  std::vector<T> vector() {
    std::vector<T> v(static_cast<std::size_t>(value<std::int64_t>()));
    get(v.data(), v.size());
    return v;
  }

 private:
  const std::string& in_;
  std::size_t at_ = 0;
};

// The Comm the engines split their work over: Comm::world() unless a CommScope is active. The
// world suite runs each sub-run on one rank under a CommScope of a one-rank Comm.
[[nodiscard]] const Comm& current_comm();

class CommScope {
 public:
  explicit CommScope(const Comm& comm);
  CommScope(const CommScope&) = delete;
  CommScope& operator=(const CommScope&) = delete;
  ~CommScope();

 private:
  const Comm* previous_;
};

// Initialises MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI; OpenMP threads compute)
// if nnworld was built with it and an MPI launcher started the process (mpirun, mpiexec, srun:
// OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE is set); finalises it on exit. A process
// started otherwise is one rank and never touches MPI.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  ~MpiSession();
  // Ends the whole job (MPI_Abort) with `code`: a rank that failed alone must not leave the
  // others waiting in a collective.
  [[noreturn]] static void abort(int code);
  // Whether this build can run on several ranks.
  [[nodiscard]] static bool available();

 private:
  bool initialised_ = false;
};

}  // namespace nnworld::core
