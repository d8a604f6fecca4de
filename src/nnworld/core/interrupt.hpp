#pragma once
// Clean interrupts: SIGINT and SIGTERM set a flag that long loops read at their safe points (a
// progress update outside a parallel region, a checkpoint opportunity); the run then stops,
// writes a valid data.h5 and a summary with "status": "interrupted", and the CLI exits 130
// (SIGINT) or 143 (SIGTERM). A second signal ends the process at once (the default action).
//
//   core::install_interrupt_handlers();   // once, in main (single-process runs only)
//   …
//   core::throw_if_interrupted();         // at a safe point: throws core::Interrupted
#include "nnworld/core/error.hpp"

namespace nnworld::core {

// Stopped by a signal at a safe point: exit code 130 (SIGINT) or 143 (SIGTERM).
struct Interrupted : Error {
  int signal_number;
  explicit Interrupted(int signal);
};

// Installs the handlers (SIGINT, SIGTERM). Without them (library use, MPI ranks) signals keep
// their default action and no safe point ever throws.
void install_interrupt_handlers();
// The signal received (0: none yet).
[[nodiscard]] int interrupt_signal();
// Throws Interrupted if a signal has been received.
void throw_if_interrupted();
// Forgets a received signal (tests).
void clear_interrupt();
// Sets the flag as the handler would (tests).
void raise_interrupt_for_test(int signal);

}  // namespace nnworld::core
