// The MPI layer (see parallel.hpp). Built with NNWORLD_HAVE_MPI when CMake found MPI; without it
// every Comm has one rank.
#include "nnworld/core/parallel.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>

#include "nnworld/core/error.hpp"

#ifdef NNWORLD_HAVE_MPI
#include <mpi.h>
#endif

namespace nnworld::core {

namespace {

Comm& world_comm() {
  static Comm comm;
  return comm;
}

const Comm* g_current = nullptr;

#ifdef NNWORLD_HAVE_MPI
// A Comm of more than one rank is MPI_COMM_WORLD (the only one nnworld makes).
MPI_Comm mpi() {
  return MPI_COMM_WORLD;
}

int count(std::int64_t n, const char* what) {
  if (n > INT_MAX) {
    throw Error("MPI", std::string(what) + ": " + std::to_string(n) + " elements in one message",
                "at most 2³¹ − 1 per rank (use more ranks)");
  }
  return static_cast<int>(n);
}

template <class T>
void allgather_impl(const Comm& c, std::span<T> values, std::int64_t n, std::int64_t block,
                    std::int64_t width, MPI_Datatype type) {
  if (static_cast<std::int64_t>(values.size()) != n * width) {
    throw Error("Comm::allgather", std::to_string(values.size()) + " values",
                std::to_string(n) + " items × " + std::to_string(width));
  }
  std::vector<int> counts(static_cast<std::size_t>(c.size())), displs(counts.size());
  for (int r = 0; r < c.size(); ++r) {
    const Share s = c.share_of(r, n, block);
    counts[static_cast<std::size_t>(r)] = count(s.size() * width, "allgather");
    displs[static_cast<std::size_t>(r)] = count(s.begin * width, "allgather");
  }
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values.data(), counts.data(), displs.data(),
                 type, mpi());
}
#endif

}  // namespace

Share Comm::split(int r, int size, std::int64_t n, std::int64_t block) {
  if (block < 1) block = 1;
  if (size < 1) size = 1;
  const std::int64_t blocks = (n + block - 1) / block;
  const std::int64_t base = blocks / size;
  const std::int64_t extra = blocks % size;
  const std::int64_t first = r * base + std::min<std::int64_t>(r, extra);
  const std::int64_t mine = base + (r < extra ? 1 : 0);
  Share s;
  s.begin = std::min(n, first * block);
  s.end = std::min(n, (first + mine) * block);
  return s;
}

#ifdef NNWORLD_HAVE_MPI

void Comm::allgather(std::span<double> values, std::int64_t n, std::int64_t block,
                     std::int64_t width) const {
  if (size_ > 1) allgather_impl(*this, values, n, block, width, MPI_DOUBLE);
}

void Comm::allgather(std::span<std::int32_t> values, std::int64_t n, std::int64_t block,
                     std::int64_t width) const {
  if (size_ > 1) allgather_impl(*this, values, n, block, width, MPI_INT32_T);
}

void Comm::broadcast(std::string& bytes, int from) const {
  if (size_ == 1) return;
  long long len = static_cast<long long>(bytes.size());
  MPI_Bcast(&len, 1, MPI_LONG_LONG, from, mpi());
  bytes.resize(static_cast<std::size_t>(len));
  if (len > 0) MPI_Bcast(bytes.data(), count(len, "broadcast"), MPI_CHAR, from, mpi());
}

std::vector<std::string> Comm::allgather_strings(const std::string& mine) const {
  if (size_ == 1) return {mine};
  const int len = count(static_cast<std::int64_t>(mine.size()), "allgather_strings");
  std::vector<int> lens(static_cast<std::size_t>(size_)), displs(lens.size());
  MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, mpi());
  std::int64_t total = 0;
  for (std::size_t r = 0; r < lens.size(); ++r) {
    displs[r] = count(total, "allgather_strings");
    total += lens[r];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR,
                 mpi());
  std::vector<std::string> out;
  for (std::size_t r = 0; r < lens.size(); ++r) out.push_back(all.substr(displs[r], lens[r]));
  return out;
}

std::int64_t Comm::min(std::int64_t v) const {
  if (size_ == 1) return v;
  long long x = v, out = 0;
  MPI_Allreduce(&x, &out, 1, MPI_LONG_LONG, MPI_MIN, mpi());
  return out;
}

std::int64_t Comm::sum(std::int64_t v) const {
  if (size_ == 1) return v;
  long long x = v, out = 0;
  MPI_Allreduce(&x, &out, 1, MPI_LONG_LONG, MPI_SUM, mpi());
  return out;
}

void Comm::sum(std::span<std::int64_t> values) const {
  if (size_ == 1 || values.empty()) return;
  static_assert(sizeof(std::int64_t) == sizeof(long long));
  MPI_Allreduce(MPI_IN_PLACE, values.data(), count(static_cast<std::int64_t>(values.size()), "sum"),
                MPI_LONG_LONG, MPI_SUM, mpi());
}

void Comm::barrier() const {
  if (size_ > 1) MPI_Barrier(mpi());
}

// Whether an MPI launcher started this process (mpirun/mpiexec of Open MPI or MPICH, srun with
// PMI/PMIx). A plain `nnworld run` does not initialise MPI at all: it is one rank, starts no MPI
// runtime, and leaves none of its allocations behind.
bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  initialised_ = true;
  Comm& w = world_comm();
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size_);
}

MpiSession::~MpiSession() {
  if (!initialised_) return;
  world_comm() = Comm();
  MPI_Finalize();
}

void MpiSession::abort(int code) {
  int init = 0;
  MPI_Initialized(&init);
  if (init && world_comm().size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

bool MpiSession::available() {
  return true;
}

#else  // no MPI: one rank

void Comm::allgather(std::span<double>, std::int64_t, std::int64_t, std::int64_t) const {}
void Comm::allgather(std::span<std::int32_t>, std::int64_t, std::int64_t, std::int64_t) const {}
void Comm::broadcast(std::string&, int) const {}
std::vector<std::string> Comm::allgather_strings(const std::string& mine) const {
  return {mine};
}
std::int64_t Comm::min(std::int64_t v) const {
  return v;
}
std::int64_t Comm::sum(std::int64_t v) const {
  return v;
}
void Comm::sum(std::span<std::int64_t>) const {}
void Comm::barrier() const {}

MpiSession::MpiSession(int&, char**&) {}
MpiSession::~MpiSession() = default;
void MpiSession::abort(int code) {
  std::exit(code);
}
bool MpiSession::available() {
  return false;
}

#endif

const Comm& Comm::world() {
  return world_comm();
}

const Comm& current_comm() {
  return g_current != nullptr ? *g_current : world_comm();
}

CommScope::CommScope(const Comm& comm) : previous_(g_current) {
  g_current = &comm;
}

CommScope::~CommScope() {
  g_current = previous_;
}

}  // namespace nnworld::core
