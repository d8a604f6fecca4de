#include "nnworld/core/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <string>

namespace nnworld::core {

namespace {
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler may only touch a lock-free int");

extern "C" void on_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {  // the second signal: stop now
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}
}  // namespace

Interrupted::Interrupted(int signal)
    : Error("signal " + std::string(signal == SIGINT ? "SIGINT" : "SIGTERM"),
            "interrupted; the run stopped at a safe point", "",
            signal == SIGINT ? exit_codes::interrupted_int : exit_codes::interrupted_term),
      signal_number(signal) {}

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int interrupt_signal() {
  return g_signal.load(std::memory_order_relaxed);
}

void throw_if_interrupted() {
  if (const int sig = interrupt_signal(); sig != 0) throw Interrupted(sig);
}

void clear_interrupt() {
  g_signal.store(0);
}

void raise_interrupt_for_test(int signal) {
  g_signal.store(signal);
}

}  // namespace nnworld::core
