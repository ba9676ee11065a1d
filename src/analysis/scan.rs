//! A layer scan's numbers with their uncertainty (paper §3, reported as mean ± std of seeds):
//! every run (base, full, each layer) has one or more seeds, each scored per problem on the same
//! held-out set. A seeded bootstrap over problems (paired across runs: every run sees the same
//! resampled problems) and over each run's seeds gives the standard error of every score, the 95%
//! interval of the full-training gain Δ = full − base, and of each layer's ℓ.
//!
//! ℓ is only defined when full training beat the base: when Δ's interval reaches 0 (or Δ < 0)
//! [`ScanReport::undefined`] holds the sentence that says so and no ℓ is reported.

use anyhow::{bail, ensure, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// One trained (or base) model's per-problem scores: the mean correctness over its samples of
/// every held-out problem, in the held-out set's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedScores {
    /// `base`, `full` or `layer<l>`.
    pub run: String,
    /// The trained layer (single-layer runs).
    pub layer: Option<usize>,
    /// Training seed.
    pub seed: u64,
    /// Per-problem mean correctness.
    pub per_problem: Vec<f64>,
}

/// Mean, standard error and 95% interval of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Point estimate (from the data as observed).
    pub mean: f64,
    /// Bootstrap standard error.
    pub se: f64,
    /// 2.5% bootstrap percentile.
    pub lo: f64,
    /// 97.5% bootstrap percentile.
    pub hi: f64,
}

/// A run's score over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// `base`, `full`, `layer<l>`.
    pub run: String,
    /// The trained layer.
    pub layer: Option<usize>,
    /// Mean over seeds of the accuracy, with its bootstrap uncertainty.
    pub score: Estimate,
    /// Standard deviation of the accuracy across seeds (0 for one seed).
    pub seed_std: f64,
    /// Accuracy of each seed, in seed order.
    pub seed_scores: Vec<f64>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// ℓ with its interval (`None` when undefined, and for base/full).
    pub contribution: Option<Estimate>,
}

/// The whole scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// The base model.
    pub base: RunSummary,
    /// Full-parameter training.
    pub full: RunSummary,
    /// Δ = full − base.
    pub gain: Estimate,
    /// The single-layer runs, by layer.
    pub layers: Vec<RunSummary>,
    /// Why ℓ is not reported (`None` when it is).
    pub undefined: Option<String>,
    /// Held-out problems per score.
    pub problems: usize,
    /// Bootstrap replicates.
    pub replicates: usize,
}

/// Mean of a slice (0 for an empty one).
fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

/// Sample standard deviation (n − 1; 0 for fewer than two values).
pub fn sample_std(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// Standard error of a mean of per-problem scores: sample std / √n.
pub fn standard_error(per_problem: &[f64]) -> f64 {
    if per_problem.len() < 2 {
        return 0.0;
    }
    sample_std(per_problem) / (per_problem.len() as f64).sqrt()
}

/// The `q` quantile of sorted values (linear interpolation, as numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos - pos.floor());
    if i + 1 < sorted.len() {
        sorted[i] * (1.0 - f) + sorted[i + 1] * f
    } else {
        sorted[i]
    }
}

/// Point estimate plus the spread of its replicates (NaN replicates are dropped).
fn estimate(point: f64, mut reps: Vec<f64>) -> Estimate {
    reps.retain(|x| x.is_finite());
    if reps.is_empty() {
        return Estimate {
            mean: point,
            se: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    reps.sort_by(|a, b| a.total_cmp(b));
    Estimate {
        mean: point,
        se: sample_std(&reps),
        lo: quantile(&reps, 0.025),
        hi: quantile(&reps, 0.975),
    }
}

/// The runs of one name (all seeds), checked to share the problem count.
struct Group<'a> {
    run: String,
    layer: Option<usize>,
    seeds: Vec<&'a SeedScores>,
}

impl Group<'_> {
    /// Mean over seeds of the mean over `problems` (indices) of each seed's scores.
    fn score(&self, seeds: &[usize], problems: &[usize]) -> f64 {
        let per_seed: Vec<f64> = seeds
            .iter()
            .map(|&s| {
                let p = &self.seeds[s].per_problem;
                problems.iter().map(|&i| p[i]).sum::<f64>() / problems.len() as f64
            })
            .collect();
        mean(&per_seed)
    }
}

fn groups(runs: &[SeedScores]) -> Result<(Vec<Group<'_>>, usize)> {
    let n = runs.first().map_or(0, |r| r.per_problem.len());
    ensure!(
        n > 0,
        "a layer scan needs per-problem scores; none were given"
    );
    let mut out: Vec<Group> = Vec::new();
    for r in runs {
        ensure!(
            r.per_problem.len() == n,
            "{} seed {} was scored on {} problems, the others on {n}: every run must use the same held-out set",
            r.run,
            r.seed,
            r.per_problem.len()
        );
        ensure!(
            r.per_problem.iter().all(|x| x.is_finite()),
            "{} seed {} has a non-finite per-problem score",
            r.run,
            r.seed
        );
        match out.iter_mut().find(|g| g.run == r.run) {
            Some(g) => {
                ensure!(
                    !g.seeds.iter().any(|s| s.seed == r.seed),
                    "{} seed {} appears twice",
                    r.run,
                    r.seed
                );
                g.seeds.push(r);
            }
            None => out.push(Group {
                run: r.run.clone(),
                layer: r.layer,
                seeds: vec![r],
            }),
        }
    }
    for g in &mut out {
        g.seeds.sort_by_key(|s| s.seed);
    }
    Ok((out, n))
}

/// The sentence a scan prints (and strategy scripts refuse with) when ℓ is undefined.
pub fn undefined_sentence(gain: &Estimate) -> String {
    let half = (gain.hi - gain.lo) / 2.0;
    format!(
        "full-parameter RL did not beat the base: Δ = {:+.3} ± {:.3} (95% interval [{:+.3}, {:+.3}]), so ℓ is undefined",
        gain.mean, half, gain.lo, gain.hi
    )
}

/// Scores, Δ and ℓ of a scan with `replicates` bootstrap draws seeded by `seed`.
pub fn scan_report(runs: &[SeedScores], replicates: usize, seed: u64) -> Result<ScanReport> {
    ensure!(replicates >= 2, "the bootstrap needs at least 2 replicates");
    let (groups, n) = groups(runs)?;
    let find = |name: &str| groups.iter().position(|g| g.run == name);
    let (Some(bi), Some(fi)) = (find("base"), find("full")) else {
        bail!("a layer scan needs a `base` and a `full` run (shard 0 scores them)");
    };
    let mut layer_idx: Vec<usize> = (0..groups.len()).filter(|&i| i != bi && i != fi).collect();
    for &i in &layer_idx {
        ensure!(
            groups[i].layer.is_some(),
            "run `{}` is neither base, full nor a single layer",
            groups[i].run
        );
    }
    layer_idx.sort_by_key(|&i| groups[i].layer);

    let all: Vec<usize> = (0..n).collect();
    let points: Vec<f64> = groups
        .iter()
        .map(|g| g.score(&(0..g.seeds.len()).collect::<Vec<_>>(), &all))
        .collect();
    // Replicates: reps[group][b].
    let mut rng = StdRng::seed_from_u64(seed);
    let mut reps = vec![Vec::with_capacity(replicates); groups.len()];
    let mut problems = vec![0usize; n];
    for _ in 0..replicates {
        problems
            .iter_mut()
            .for_each(|p| *p = rng.random_range(0..n));
        for (g, out) in groups.iter().zip(reps.iter_mut()) {
            let k = g.seeds.len();
            let seeds: Vec<usize> = (0..k).map(|_| rng.random_range(0..k)).collect();
            out.push(g.score(&seeds, &problems));
        }
    }
    let gain_reps: Vec<f64> = reps[fi].iter().zip(&reps[bi]).map(|(f, b)| f - b).collect();
    let gain = estimate(points[fi] - points[bi], gain_reps);
    let undefined = (!(gain.lo > 0.0 && gain.mean > 0.0)).then(|| undefined_sentence(&gain));

    let summary = |i: usize, contribution: Option<Estimate>| {
        let g = &groups[i];
        let seed_scores: Vec<f64> = (0..g.seeds.len()).map(|s| g.score(&[s], &all)).collect();
        RunSummary {
            run: g.run.clone(),
            layer: g.layer,
            score: estimate(points[i], reps[i].clone()),
            seed_std: sample_std(&seed_scores),
            seed_scores,
            seeds: g.seeds.iter().map(|s| s.seed).collect(),
            contribution,
        }
    };
    let layers = layer_idx
        .iter()
        .map(|&i| {
            let ell = undefined.is_none().then(|| {
                let r: Vec<f64> = (0..replicates)
                    .map(|b| (reps[i][b] - reps[bi][b]) / (reps[fi][b] - reps[bi][b]))
                    .collect();
                estimate((points[i] - points[bi]) / (points[fi] - points[bi]), r)
            });
            summary(i, ell)
        })
        .collect();
    Ok(ScanReport {
        base: summary(bi, None),
        full: summary(fi, None),
        gain,
        layers,
        undefined,
        problems: n,
        replicates,
    })
}

/// Spearman's ρ with a 95% interval from Fisher's z with the Fieller–Hartley–Pearson variance
/// 1.06 / (n − 3) (needs n ≥ 4 for the interval; `(rho, lo, hi)`).
pub fn spearman_interval(x: &[f64], y: &[f64]) -> Result<(f64, f64, f64)> {
    let rho = super::spearman(x, y)?;
    let n = x.len() as f64;
    if n < 4.0 {
        return Ok((rho, f64::NAN, f64::NAN));
    }
    let z = rho.clamp(-0.999_999, 0.999_999).atanh();
    let half = 1.96 * (1.06 / (n - 3.0)).sqrt();
    Ok((rho, (z - half).tanh(), (z + half).tanh()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, layer: Option<usize>, seed: u64, p: Vec<f64>) -> SeedScores {
        SeedScores {
            run: name.into(),
            layer,
            seed,
            per_problem: p,
        }
    }

    /// `n` problems, fraction `acc` of them solved (the first ones).
    fn solved(n: usize, acc: f64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                if (i as f64) < acc * n as f64 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    #[test]
    fn clear_gain_gives_intervals_around_the_point() {
        let n = 400;
        let runs = vec![
            run("base", None, 0, solved(n, 0.3)),
            run("full", None, 1, solved(n, 0.6)),
            run("full", None, 2, solved(n, 0.62)),
            run("layer0", Some(0), 1, solved(n, 0.45)),
            run("layer0", Some(0), 2, solved(n, 0.45)),
        ];
        let r = scan_report(&runs, 500, 7).unwrap();
        assert!(r.undefined.is_none());
        assert!((r.gain.mean - 0.31).abs() < 1e-12);
        assert!(r.gain.lo > 0.2 && r.gain.hi < 0.42, "{:?}", r.gain);
        let l = r.layers[0].contribution.unwrap();
        assert!((l.mean - 0.15 / 0.31).abs() < 1e-12);
        assert!(l.lo < l.mean && l.mean < l.hi);
        // One seed, n problems: the bootstrap SE is the binomial one, √(p(1−p)/n).
        let want = (0.3f64 * 0.7 / n as f64).sqrt();
        assert!(
            (r.base.score.se - want).abs() < 0.25 * want,
            "{}",
            r.base.score.se
        );
        assert_eq!(r.full.seed_scores, vec![0.6, 0.62]);
        assert!((r.full.seed_std - (0.0002f64).sqrt()).abs() < 1e-12);
        // Same seed, same data: the same numbers.
        assert_eq!(r, scan_report(&runs, 500, 7).unwrap());
    }

    #[test]
    fn no_gain_means_no_contribution() {
        let n = 200;
        let runs = vec![
            run("base", None, 0, solved(n, 0.5)),
            run("full", None, 1, solved(n, 0.48)),
            run("layer3", Some(3), 1, solved(n, 0.55)),
        ];
        let r = scan_report(&runs, 300, 1).unwrap();
        let msg = r.undefined.as_deref().unwrap();
        assert!(
            msg.starts_with("full-parameter RL did not beat the base: Δ = -0.020 ±"),
            "{msg}"
        );
        assert!(msg.ends_with("so ℓ is undefined"));
        assert!(r.layers[0].contribution.is_none());
        assert_eq!(r.layers[0].layer, Some(3));
    }

    #[test]
    fn mismatched_sets_and_missing_runs_are_errors() {
        let e = scan_report(
            &[
                run("base", None, 0, vec![1.0; 3]),
                run("full", None, 0, vec![1.0; 4]),
            ],
            10,
            0,
        )
        .unwrap_err();
        assert!(e.to_string().contains("same held-out set"), "{e}");
        let e = scan_report(&[run("base", None, 0, vec![1.0; 3])], 10, 0).unwrap_err();
        assert!(e.to_string().contains("`full`"), "{e}");
    }

    #[test]
    fn spearman_interval_hand_worked() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let y = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 7.0];
        let (rho, lo, hi) = spearman_interval(&x, &y).unwrap();
        // ρ = 1 − 6·Σd²/(n(n²−1)) = 1 − 6·8/504.
        assert!((rho - (1.0 - 48.0 / 504.0)).abs() < 1e-12);
        let z = rho.atanh();
        let h = 1.96 * (1.06f64 / 5.0).sqrt();
        assert!((lo - (z - h).tanh()).abs() < 1e-12 && (hi - (z + h).tanh()).abs() < 1e-12);
        assert!(spearman_interval(&x[..3], &y[..3]).unwrap().1.is_nan());
    }
}
