#pragma once
// Input checks shared by the partition-function methods (spec §1a, existence of Z).
#include "nnworld/network/network.hpp"

namespace nnworld::thermo::detail {

// β must be finite and > 0; throws nnworld::Error otherwise.
void check_beta(double beta, const char* where);

// Existence of Z(β) = ∫ dᴺx e^{−βH} (spec §1a). Throws nnworld::Error when Z diverges:
//   * bounded f (tanh, logistic) and m ≥ 1 (H ≥ ½(1 − m)|x|² − O(|x|) is not confining);
//   * linear f and Ĝ − mI with a negative eigenvalue (H unbounded below);
//   * linear f and Ĝ − mI with a zero mode, if `zero_mode_is_error` (flat direction).
// Returns the number of zero modes of Ĝ − mI for linear f (else 0).
int check_existence(const network::Network& net, const char* where, bool zero_mode_is_error,
                    double zero_mode_tolerance);

}  // namespace nnworld::thermo::detail
