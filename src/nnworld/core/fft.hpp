#pragma once
// FFTs on a periodic core::Grid (FFTW3), and the spectral derivatives built on them.
//
//   core::Fft fft(grid);                   // plans made once (FFTW_ESTIMATE), reused
//   fft.forward(psi);  ... fft.backward(psi);   // in place, complex, backward scaled by 1/n
//   auto d = core::spectral_derivative(fft, f, 0);   // ∂f/∂q1 of a real periodic field
//
// Determinism: a K-dimensional transform is done axis by axis as batches of 1-D transforms,
// in chunks of a fixed number of lines whatever the thread count; each chunk runs one FFTW
// plan on new arrays (fftw_execute_dft), so every line sees the same arithmetic for any
// --threads and results are bit-identical across thread counts. Threads: OpenMP over chunks.
#include <complex>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "nnworld/core/grid.hpp"

namespace nnworld::core {

using Complex = std::complex<double>;

class Fft {
 public:
  // Throws std::invalid_argument for a grid with box boundaries (spectral methods need
  // periodicity).
  explicit Fft(const Grid& grid);
  ~Fft();
  Fft(const Fft&) = delete;
  Fft& operator=(const Fft&) = delete;

  [[nodiscard]] const Grid& grid() const { return grid_; }
  // In place; data.size() must be grid().size(). forward: Σ_j f_j e^{−i k·q_j};
  // backward: the inverse, including the 1/n scaling.
  void forward(std::span<Complex> data) const;
  void backward(std::span<Complex> data) const;
  // Angular wavenumbers of axis a in FFT order (Grid::wavenumbers).
  [[nodiscard]] const std::vector<double>& k(int a) const { return k_[a]; }
  // |k|² at every flat index (row-major, like the grid).
  [[nodiscard]] const std::vector<double>& k_squared() const { return k2_; }

 private:
  struct AxisPlans;
  void transform(std::span<Complex> data, bool forward) const;
  Grid grid_;
  std::vector<std::unique_ptr<AxisPlans>> axes_;
  std::array<std::vector<double>, 3> k_;
  std::vector<double> k2_;
};

// ∂f/∂q_a of a real periodic field by FFT (the Nyquist mode of an even axis is dropped, so the
// derivative of a real field stays real).
[[nodiscard]] std::vector<double> spectral_derivative(const Fft& fft, std::span<const double> f,
                                                      int axis);
// ∇²f = Σ_a ∂²f/∂q_a² by FFT.
[[nodiscard]] std::vector<double> spectral_laplacian(const Fft& fft, std::span<const double> f);
// Every first derivative at once: out[a] = ∂f/∂q_a (one forward transform).
[[nodiscard]] std::vector<std::vector<double>> spectral_gradient(const Fft& fft,
                                                                 std::span<const double> f);

}  // namespace nnworld::core
