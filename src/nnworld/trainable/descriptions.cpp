#include "nnworld/trainable/descriptions.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "nnworld/core/error.hpp"
#include "nnworld/core/statistics.hpp"
#include "nnworld/trainable/ensemble_kernels.hpp"
#include "nnworld/trainable/ensemble_measure.hpp"

namespace nnworld::trainable {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// p, F per record and V, from the replicas not in group `skip` (−1: all).
struct Fields {
  std::vector<std::vector<double>> p, f;
  std::vector<double> v;
};

Fields fields(const std::vector<ReplicaRecord>& records, const core::Grid& grid, int k,
              std::int64_t groups, std::int64_t skip,
              const std::vector<std::array<double, 3>>& bandwidth) {
  const auto nc = static_cast<std::size_t>(grid.size());
  const auto m = static_cast<std::int64_t>(records.front().f.size());
  Fields out;
  std::vector<double> vsum(nc, 0.0), vcnt(nc, 0.0);
  for (std::size_t j = 0; j < records.size(); ++j) {
    const ReplicaRecord& rec = records[j];
    Ensemble e;
    e.dims = k;
    std::vector<double> fsum(nc, 0.0), fcnt(nc, 0.0);
    for (std::int64_t r = 0; r < m; ++r) {
      if (skip >= 0 && r % groups == skip) continue;
      const double* q = rec.q.data() + r * k;
      e.q.insert(e.q.end(), q, q + k);
      ++e.replicas;
      const std::int64_t c = kernels::flat_cell(grid, q);
      if (c < 0) continue;
      const double fr = rec.f[static_cast<std::size_t>(r)];
      if (std::isfinite(fr)) {
        fsum[static_cast<std::size_t>(c)] += fr;
        fcnt[static_cast<std::size_t>(c)] += 1.0;
      }
      if (j + 1 < records.size()) {
        const double fn = records[j + 1].f[static_cast<std::size_t>(r)];
        const double dt = records[j + 1].time - rec.time;
        if (std::isfinite(fr) && std::isfinite(fn) && dt > 0.0) {
          vsum[static_cast<std::size_t>(c)] -= (fn - fr) / dt;
          vcnt[static_cast<std::size_t>(c)] += 1.0;
        }
      }
    }
    out.p.push_back(kde_density(grid, e, bandwidth[j]).p);
    std::vector<double> f(nc, kNaN);
    for (std::size_t c = 0; c < nc; ++c) {
      if (fcnt[c] > 0.0) f[c] = fsum[c] / fcnt[c];
    }
    out.f.push_back(std::move(f));
  }
  out.v.assign(nc, kNaN);
  for (std::size_t c = 0; c < nc; ++c) {
    if (vcnt[c] > 0.0) out.v[c] = vsum[c] / vcnt[c];
  }
  return out;
}

// The F residual terms at record j, cell c.
struct Terms {
  double c25 = kNaN, bohm = kNaN;  // bohm = 4D Q (R_M2 = R_25 − bohm/μ)
};

struct Geometry {
  const core::Grid* grid;
  int k;
  std::vector<std::int64_t> interior;  // cells
  std::vector<double> diffusion;       // D per cell
  std::vector<Point> drift;            // a per cell
};

Terms terms(const Fields& fl, const std::vector<ReplicaRecord>& records, std::size_t j,
            std::int64_t c, const Geometry& g) {
  const core::Grid& grid = *g.grid;
  const auto& p = fl.p[j];
  const auto& f = fl.f[j];
  const double dt = records[j + 1].time - records[j - 1].time;
  auto at = [](const std::vector<double>& u, std::int64_t i) {
    return u[static_cast<std::size_t>(i)];
  };
  const double dfdt = (at(fl.f[j + 1], c) - at(fl.f[j - 1], c)) / dt;
  // γ|∇F|² = a·∇F (γ = a·∇F/|∇F|²), ∇ by central differences; Q by the 3-point Laplacian.
  double ugf = 0.0, lap_sqrt = 0.0;
  for (int a = 0; a < g.k; ++a) {
    const std::int64_t s = grid.stride(a);
    const double h = grid.spacing(a);
    const double gf = (at(f, c + s) - at(f, c - s)) / (2.0 * h);
    ugf += g.drift[static_cast<std::size_t>(c)][a] * gf;
    lap_sqrt += (std::sqrt(std::max(0.0, at(p, c + s))) - 2.0 * std::sqrt(std::max(0.0, at(p, c))) +
                 std::sqrt(std::max(0.0, at(p, c - s)))) /
                (h * h);
  }
  Terms t;
  t.c25 = dfdt + ugf + at(fl.v, c);
  const double sp = std::sqrt(std::max(0.0, at(p, c)));
  t.bohm = sp > 0.0 ? 4.0 * g.diffusion[static_cast<std::size_t>(c)] * lap_sqrt / sp : kNaN;
  return t;
}

// The KM drift and diffusion at q, linearly interpolated between the centres of the
// cells with an estimate (cells without one are left out of the weights; none: 0, 0).
struct Moments12 {
  Point a{};
  double d = 0.0;  // D (axis mean)
};
Moments12 km_at(const core::Grid& grid, const std::vector<std::uint8_t>& ok,
                const std::vector<Point>& drift, const std::vector<double>& diffusion,
                const double* q) {
  const int k = grid.dims;
  std::array<std::int64_t, 3> lo{0, 0, 0};
  std::array<double, 3> frac{0.0, 0.0, 0.0};
  for (int a = 0; a < k; ++a) {
    const double x = (q[a] + grid.extent[a]) / grid.spacing(a);  // point index coordinate
    auto i = static_cast<std::int64_t>(std::floor(x));
    i = std::clamp<std::int64_t>(i, 0, grid.points[a] - 2);
    lo[a] = i;
    frac[a] = std::clamp(x - static_cast<double>(i), 0.0, 1.0);
  }
  Moments12 m;
  double wsum = 0.0;
  for (int corner = 0; corner < (1 << k); ++corner) {
    std::int64_t flat = 0;
    double w = 1.0;
    for (int a = 0; a < k; ++a) {
      const int bit = (corner >> a) & 1;
      flat = flat * grid.points[a] + lo[a] + bit;
      w *= bit != 0 ? frac[a] : 1.0 - frac[a];
    }
    if (w == 0.0 || ok[static_cast<std::size_t>(flat)] == 0) continue;
    for (int a = 0; a < k; ++a) m.a[a] += w * drift[static_cast<std::size_t>(flat)][a];
    m.d += w * diffusion[static_cast<std::size_t>(flat)];
    wsum += w;
  }
  if (wsum > 0.0) {
    for (int a = 0; a < k; ++a) m.a[a] /= wsum;
    m.d /= wsum;
  }
  return m;
}

// Adds a unit mass spread as N(mean, var) per axis (var = 0: a point) to `cells` (cell
// probabilities from the normal CDF; box grid; mass outside is dropped).
void add_gaussian(const core::Grid& grid, const Point& mean, double var, double mass,
                  std::vector<double>& cells) {
  const int k = grid.dims;
  std::array<std::vector<std::pair<std::int64_t, double>>, 3> axis;
  for (int a = 0; a < k; ++a) {
    const double h = grid.spacing(a);
    if (!(var > 0.0)) {
      const std::int64_t c = kernels::cell_index(grid, a, mean[a]);
      if (c >= 0) axis[a].emplace_back(c, 1.0);
      continue;
    }
    const double sd = std::sqrt(var);
    const double lo_edge = -grid.extent[a] - 0.5 * h;
    auto first = static_cast<std::int64_t>(std::floor((mean[a] - 6.0 * sd - lo_edge) / h));
    auto last = static_cast<std::int64_t>(std::floor((mean[a] + 6.0 * sd - lo_edge) / h));
    first = std::max<std::int64_t>(first, 0);
    last = std::min<std::int64_t>(last, grid.points[a] - 1);
    for (std::int64_t c = first; c <= last; ++c) {
      const double x0 = lo_edge + static_cast<double>(c) * h, x1 = x0 + h;
      const double pr = 0.5 * (std::erf((x1 - mean[a]) / (std::sqrt(2.0) * sd)) -
                               std::erf((x0 - mean[a]) / (std::sqrt(2.0) * sd)));
      if (pr > 0.0) axis[a].emplace_back(c, pr);
    }
  }
  if (k == 1) {
    for (const auto& [c, pr] : axis[0]) cells[static_cast<std::size_t>(c)] += mass * pr;
  } else {
    for (const auto& [c0, p0] : axis[0]) {
      for (const auto& [c1, p1] : axis[1]) {
        cells[static_cast<std::size_t>(c0 * grid.points[1] + c1)] += mass * p0 * p1;
      }
    }
  }
}

struct OneStep {
  ResidualSummary fokker_planck, continuity;
  double correlation = 1.0;        // mean over the records of Π_a (1 + 2 bw_a/h_a)
  double time = 0.0;               // the record of the z fields (the most cells)
  std::vector<double> z_fp, z_m1;  // residual/se per cell there (NaN elsewhere)
};

// The one-step transport test (see the header). Per record with q_next, per group g: the
// histogram of q_next and the two predictions from q; deletions subtract a group.
OneStep one_step(const std::vector<ReplicaRecord>& records, const core::Grid& grid,
                 const std::vector<std::uint8_t>& ok, const std::vector<Point>& drift,
                 const std::vector<double>& diffusion, const DescriptionOptions& o,
                 std::int64_t groups) {
  const int k = grid.dims;
  const auto nc = static_cast<std::size_t>(grid.size());
  const auto m = static_cast<std::int64_t>(records.front().f.size());
  OneStep out;
  out.z_fp.assign(nc, kNaN);
  out.z_m1.assign(nc, kNaN);
  std::int64_t best = -1;
  double corr_sum = 0.0;
  std::int64_t corr_n = 0;
  for (const auto& rec : records) {
    if (rec.q_next.size() != rec.q.size()) continue;
    std::vector<std::vector<double>> hist(static_cast<std::size_t>(groups),
                                          std::vector<double>(nc, 0.0));
    auto fp = hist, m1 = hist;
    std::vector<double> count(static_cast<std::size_t>(groups), 0.0);
    for (std::int64_t r = 0; r < m; ++r) {
      const auto g = static_cast<std::size_t>(r % groups);
      count[g] += 1.0;
      const double* q = rec.q.data() + r * k;
      const std::int64_t c = kernels::flat_cell(grid, rec.q_next.data() + r * k);
      if (c >= 0) hist[g][static_cast<std::size_t>(c)] += 1.0;
      const Moments12 km = km_at(grid, ok, drift, diffusion, q);
      Point mean_fp{0, 0, 0}, mean_m1{0, 0, 0};
      for (int a = 0; a < k; ++a) {
        mean_fp[a] = q[a] + km.a[a];
        mean_m1[a] = q[a] + 2.0 * km.a[a];
      }
      add_gaussian(grid, mean_fp, 2.0 * km.d, 1.0, fp[g]);
      add_gaussian(grid, mean_m1, 0.0, 1.0, m1[g]);
    }
    // Densities without group `skip` (−1: all), smoothed with the full data's bandwidth.
    Ensemble next;
    next.dims = k;
    next.replicas = m;
    next.q = rec.q_next;
    const std::array<double, 3> bw =
        o.bandwidth > 0.0 ? std::array<double, 3>{o.bandwidth, o.bandwidth, o.bandwidth}
                          : silverman_bandwidth(next);
    double corr = 1.0;
    for (int a = 0; a < k; ++a) corr *= 1.0 + 2.0 * bw[a] / grid.spacing(a);
    corr_sum += corr;
    ++corr_n;
    auto density = [&](const std::vector<std::vector<double>>& parts, std::int64_t skip) {
      std::vector<double> d(nc, 0.0);
      double n = 0.0;
      for (std::int64_t g = 0; g < groups; ++g) {
        if (g == skip) continue;
        n += count[static_cast<std::size_t>(g)];
        for (std::size_t c = 0; c < nc; ++c) d[c] += parts[static_cast<std::size_t>(g)][c];
      }
      for (double& v : d) v /= n * grid.cell_volume();
      return smooth_density(grid, std::move(d), bw);
    };
    const auto full_h = density(hist, -1), full_fp = density(fp, -1), full_m1 = density(m1, -1);
    std::vector<std::vector<double>> est_fp, est_m1;
    for (std::int64_t g = 0; g < groups; ++g) {
      const auto h = density(hist, g), a = density(fp, g), b = density(m1, g);
      std::vector<double> rf(nc), rm(nc);
      for (std::size_t c = 0; c < nc; ++c) {
        rf[c] = h[c] - a[c];
        rm[c] = h[c] - b[c];
      }
      est_fp.push_back(std::move(rf));
      est_m1.push_back(std::move(rm));
    }
    const auto se_fp = core::jackknife_se(est_fp), se_m1 = core::jackknife_se(est_m1);
    std::vector<double> total(nc, 0.0);
    for (const auto& h : hist) {
      for (std::size_t c = 0; c < nc; ++c) total[c] += h[c];
    }
    std::int64_t used = 0;
    std::vector<double> zf(nc, kNaN), zm(nc, kNaN);
    for (std::size_t c = 0; c < nc; ++c) {
      if (total[c] < static_cast<double>(o.min_count)) continue;
      ++used;
      const double rf = full_h[c] - full_fp[c], rm = full_h[c] - full_m1[c];
      zf[c] = rf / se_fp[c];
      zm[c] = rm / se_m1[c];
      if (se_fp[c] > 0.0 && std::isfinite(se_fp[c])) {
        out.fokker_planck.chi2 += (rf / se_fp[c]) * (rf / se_fp[c]);
        ++out.fokker_planck.dof;
      }
      if (se_m1[c] > 0.0 && std::isfinite(se_m1[c])) {
        out.continuity.chi2 += (rm / se_m1[c]) * (rm / se_m1[c]);
        ++out.continuity.dof;
      }
    }
    if (used > best) {
      best = used;
      out.time = rec.time;
      out.z_fp = std::move(zf);
      out.z_m1 = std::move(zm);
    }
  }
  if (corr_n > 0) out.correlation = corr_sum / static_cast<double>(corr_n);
  return out;
}

}  // namespace

double ResidualSummary::per_dof() const {
  return dof > 0 ? chi2 / static_cast<double>(dof) : kNaN;
}
double ResidualSummary::z() const {
  return dof > 0 ? (chi2 - static_cast<double>(dof)) / std::sqrt(2.0 * static_cast<double>(dof))
                 : kNaN;
}

NullLaw null_law(std::int64_t jackknife_dof, std::int64_t dof, double correlation) {
  const auto nu = static_cast<double>(jackknife_dof);
  NullLaw n;
  if (nu <= 4.0 || dof <= 0) return {kNaN, kNaN};
  n.expected = nu / (nu - 2.0);
  const double var = 2.0 * nu * nu * (nu - 1.0) / ((nu - 2.0) * (nu - 2.0) * (nu - 4.0));
  n.tolerance = 3.0 * std::sqrt(var * correlation / static_cast<double>(dof));
  return n;
}

DescriptionResult compare_descriptions(const std::vector<ReplicaRecord>& records,
                                       const KramersMoyalResult& km, const DescriptionOptions& o) {
  const core::Grid& grid = o.grid;
  const int k = grid.dims;
  if (records.size() < 3) {
    throw Error("compare_descriptions", std::to_string(records.size()) + " records",
                "at least 3 (time differences are central)");
  }
  const auto m = static_cast<std::int64_t>(records.front().f.size());
  for (const auto& r : records) {
    if (static_cast<std::int64_t>(r.q.size()) != m * k ||
        static_cast<std::int64_t>(r.f.size()) != m) {
      throw Error("compare_descriptions", "records of different sizes",
                  "M × K positions, M values");
    }
  }
  if (km.bin.size() != static_cast<std::size_t>(grid.size())) {
    throw Error("compare_descriptions", "Kramers–Moyal bins on another grid", "the same grid");
  }
  const std::int64_t groups = std::max<std::int64_t>(2, std::min(o.groups, m));
  const auto nc = static_cast<std::size_t>(grid.size());

  // Bandwidths of the full data, kept for every jackknife estimate.
  std::vector<std::array<double, 3>> bw;
  for (const auto& r : records) {
    Ensemble e;
    e.dims = k;
    e.replicas = m;
    e.q = r.q;
    std::array<double, 3> b = silverman_bandwidth(e);
    if (o.bandwidth > 0.0) b = {o.bandwidth, o.bandwidth, o.bandwidth};
    bw.push_back(b);
  }

  // The terms: record j (not the first or last) and cell c with a KM estimate in the ±2 stencil
  // around c, and ≥ min_count replicas in every cell of that stencil at records j − 1, j, j + 1
  // (the packet may move: the support is per record).
  std::vector<std::vector<std::int64_t>> counts;
  for (const auto& r : records) {
    Ensemble e;
    e.dims = k;
    e.replicas = m;
    e.q = r.q;
    counts.push_back(histogram_counts(grid, e));
  }
  Geometry geo{&grid, k, {}, std::vector<double>(nc, kNaN), std::vector<Point>(nc, Point{})};
  std::vector<std::uint8_t> km_ok(nc, 0);
  for (std::size_t c = 0; c < nc; ++c) {
    const KramersMoyalBin& b = km.bin[c];
    if (b.count < o.km_min_count) continue;
    km_ok[c] = 1;
    double d = 0.0;
    for (int a = 0; a < k; ++a) d += b.diffusion[a] / k;
    geo.diffusion[c] = d;
    geo.drift[c] = b.drift;
  }
  std::vector<std::pair<std::size_t, std::int64_t>> cells;  // (record, cell)
  for (std::size_t j = 1; j + 1 < records.size(); ++j) {
    for (std::int64_t c = 0; c < grid.size(); ++c) {
      const auto idx = grid.unflatten(c);
      bool inside = true;
      for (int a = 0; a < k && inside; ++a) {
        if (idx[a] < 2 || idx[a] + 2 >= grid.points[a]) inside = false;
      }
      for (int a = 0; a < k && inside; ++a) {
        const std::int64_t s = grid.stride(a);
        for (std::int64_t d = -2; d <= 2 && inside; ++d) {
          const auto cc = static_cast<std::size_t>(c + d * s);
          inside = km_ok[cc] != 0;
          for (std::size_t jj = j - 1; jj <= j + 1 && inside; ++jj)
            inside = counts[jj][cc] >= o.min_count;
        }
      }
      if (inside) cells.emplace_back(j, c);
    }
  }
  std::vector<std::uint8_t> used(nc, 0);
  for (const auto& [j, c] : cells) used[static_cast<std::size_t>(c)] = 1;
  for (std::int64_t c = 0; c < grid.size(); ++c) {
    if (used[static_cast<std::size_t>(c)]) geo.interior.push_back(c);
  }

  // Residual terms, full data and every group left out.
  auto all_terms = [&](std::int64_t skip) {
    const Fields fl = fields(records, grid, k, groups, skip, bw);
    std::vector<Terms> t;
    for (const auto& [j, c] : cells) t.push_back(terms(fl, records, j, c, geo));
    return std::make_pair(fl, t);
  };
  const auto [full_fields, full] = all_terms(-1);
  std::vector<std::vector<Terms>> jack;
  for (std::int64_t g = 0; g < groups; ++g) jack.push_back(all_terms(g).second);
  const std::size_t nt = full.size();
  auto se_of = [&](auto member) {
    std::vector<std::vector<double>> est;
    for (const auto& jt : jack) {
      std::vector<double> v;
      for (const auto& t : jt) v.push_back(t.*member);
      est.push_back(std::move(v));
    }
    return core::jackknife_se(est);
  };
  const auto se_25 = se_of(&Terms::c25);

  // 1/μ by weighted least squares, R_25 ≈ (1/μ)·4DQ, weights 1/se_25² (the full data's).
  auto fit = [&](const std::vector<Terms>& t) {
    double num = 0.0, den = 0.0;
    for (std::size_t i = 0; i < nt; ++i) {
      const double w = se_25[i] > 0.0 ? 1.0 / (se_25[i] * se_25[i]) : 0.0;
      if (!std::isfinite(t[i].c25) || !std::isfinite(t[i].bohm) || !std::isfinite(w)) continue;
      num += w * t[i].c25 * t[i].bohm;
      den += w * t[i].bohm * t[i].bohm;
    }
    return den > 0.0 ? num / den : kNaN;
  };
  DescriptionResult res;
  res.inverse_mu = fit(full);
  res.inverse_mu_se = core::jackknife_se(
      groups, [&](std::int64_t g) { return fit(jack[static_cast<std::size_t>(g)]); });
  std::vector<std::vector<double>> m2_est;
  for (std::int64_t g = 0; g < groups; ++g) {
    const double c = fit(jack[static_cast<std::size_t>(g)]);
    std::vector<double> v;
    for (const auto& t : jack[static_cast<std::size_t>(g)]) v.push_back(t.c25 - c * t.bohm);
    m2_est.push_back(std::move(v));
  }
  const auto se_m2 = core::jackknife_se(m2_est);

  auto add = [](ResidualSummary& s, double r, double se) {
    if (!std::isfinite(r) || !(se > 0.0) || !std::isfinite(se)) return;
    s.chi2 += (r / se) * (r / se);
    ++s.dof;
  };
  for (std::size_t i = 0; i < nt; ++i) {
    add(res.constraint, full[i].c25, se_25[i]);
    add(res.hamilton_jacobi, full[i].c25 - res.inverse_mu * full[i].bohm, se_m2[i]);
  }
  {
    const OneStep os = one_step(records, grid, km_ok, geo.drift, geo.diffusion, o, groups);
    res.fokker_planck = os.fokker_planck;
    res.continuity = os.continuity;
    res.z_fp = os.z_fp;
    res.z_m1 = os.z_m1;
    res.step_time = os.time;
    res.step_correlation = os.correlation;
  }
  res.field_correlation = std::pow(3.0, k);  // central differences couple c − 1, c, c + 1
  res.jackknife_dof = groups - 1;
  res.cells = static_cast<std::int64_t>(geo.interior.size());
  res.records = static_cast<std::int64_t>(records.size()) - 2;

  // Fields at the record with the most terms, for figures.
  std::vector<std::int64_t> per_record(records.size(), 0);
  for (const auto& jc : cells) ++per_record[jc.first];
  const std::size_t jm =
      cells.empty()
          ? records.size() / 2
          : static_cast<std::size_t>(std::max_element(per_record.begin(), per_record.end()) -
                                     per_record.begin());
  res.time = records[jm].time;
  res.p = full_fields.p[jm];
  res.f = full_fields.f[jm];
  res.v = full_fields.v;
  res.diffusion = geo.diffusion;
  res.gamma.assign(nc, kNaN);
  for (auto* z : {&res.z_25, &res.z_m2}) z->assign(nc, kNaN);
  for (std::size_t i = 0; i < nt; ++i) {
    if (cells[i].first != jm) continue;
    const auto c = static_cast<std::size_t>(cells[i].second);
    res.z_25[c] = full[i].c25 / se_25[i];
    res.z_m2[c] = (full[i].c25 - res.inverse_mu * full[i].bohm) / se_m2[i];
  }
  // γ = a·∇F/|∇F|² per cell at the middle record.
  for (std::int64_t c : geo.interior) {
    double ad = 0.0, gg = 0.0;
    for (int a = 0; a < k; ++a) {
      const std::int64_t s = grid.stride(a);
      const double gf = (full_fields.f[jm][static_cast<std::size_t>(c + s)] -
                         full_fields.f[jm][static_cast<std::size_t>(c - s)]) /
                        (2.0 * grid.spacing(a));
      ad += geo.drift[static_cast<std::size_t>(c)][a] * gf;
      gg += gf * gf;
    }
    res.gamma[static_cast<std::size_t>(c)] = gg > 0.0 ? ad / gg : kNaN;
  }
  return res;
}

}  // namespace nnworld::trainable
