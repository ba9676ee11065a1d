//! Layer contribution (paper Eq. 4) and the layer selections built on it (§4): rankings for
//! "Boost B10" / "Only B5" and the profiling-free "middle k" heuristic.

use anyhow::{bail, ensure, Result};
use std::cmp::Ordering;

/// Layer contribution ℓ = (score − base) / (full − base): the fraction of the full-parameter RL
/// gain recovered by training one layer. 1.0 matches full training, above 1.0 beats it, below 0
/// is worse than the untrained model.
///
/// Errors when `full == base` (no RL gain to divide by) or any input is not finite.
pub fn contribution(score: f64, base: f64, full: f64) -> Result<f64> {
    ensure!(
        score.is_finite() && base.is_finite() && full.is_finite(),
        "contribution needs finite scores, got score={score}, base={base}, full={full}"
    );
    let gain = full - base;
    if gain == 0.0 {
        bail!(
            "layer contribution is undefined when full == base (both {base}): \
             full-parameter training gained nothing over the base model"
        );
    }
    Ok((score - base) / gain)
}

/// One row of a per-layer results table: the score of the model with only `layer` trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerScore {
    /// Decoder layer index (0-based).
    pub layer: usize,
    /// In-domain score of the single-layer-trained model.
    pub score: f64,
}

/// A [`LayerScore`] with its contribution ℓ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerContribution {
    /// Decoder layer index (0-based).
    pub layer: usize,
    /// In-domain score of the single-layer-trained model.
    pub score: f64,
    /// ℓ = (score − base) / (full − base).
    pub contribution: f64,
}

/// ℓ for every row, in input order. Errors as [`contribution`] does.
pub fn contribution_table(
    rows: &[LayerScore],
    base: f64,
    full: f64,
) -> Result<Vec<LayerContribution>> {
    rows.iter()
        .map(|r| {
            Ok(LayerContribution {
                layer: r.layer,
                score: r.score,
                contribution: contribution(r.score, base, full)?,
            })
        })
        .collect()
}

/// Descending order with NaN last; equal values keep index order (the sort is stable).
fn desc(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
    }
}

/// Indices of the `k` largest values, largest first; ties go to the lower index and NaN ranks
/// last. `k` larger than `values.len()` returns every index.
pub fn top_k(values: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| desc(values[a], values[b]));
    idx.truncate(k);
    idx
}

/// Indices of the `k` smallest values, smallest first; ties go to the lower index and NaN ranks
/// last. `k` larger than `values.len()` returns every index.
pub fn bottom_k(values: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| match (values[a].is_nan(), values[b].is_nan()) {
        (false, false) => desc(values[b], values[a]),
        _ => desc(values[a], values[b]),
    });
    idx.truncate(k);
    idx
}

/// The paper's profiling-free selection (§4.3): `k` consecutive layers starting at
/// ⌊L/2⌋ − ⌈k/2⌉ (k = 5 gives 11..=15 for L = 28 and 15..=19 for L = 36).
///
/// When the window would start below 0 (only possible for k close to L) it is moved to start at
/// 0. Errors when `k > num_layers`.
pub fn middle_layers(num_layers: usize, k: usize) -> Result<Vec<usize>> {
    ensure!(
        k <= num_layers,
        "middle_layers: cannot pick {k} layers from a model with {num_layers} layers"
    );
    let start = (num_layers / 2).saturating_sub(k.div_ceil(2));
    Ok((start..start + k).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contribution_hand_worked() {
        // base 40, full 50: a layer scoring 45 recovers half the gain, 52 recovers 120%.
        assert!((contribution(45.0, 40.0, 50.0).unwrap() - 0.5).abs() < 1e-12);
        assert!((contribution(52.0, 40.0, 50.0).unwrap() - 1.2).abs() < 1e-12);
        assert!((contribution(38.0, 40.0, 50.0).unwrap() + 0.2).abs() < 1e-12);
        let err = contribution(45.0, 40.0, 40.0).unwrap_err().to_string();
        assert!(err.contains("full == base"), "{err}");
        assert!(contribution(f64::NAN, 40.0, 50.0).is_err());
    }

    #[test]
    fn table_keeps_order() {
        let rows = [
            LayerScore {
                layer: 3,
                score: 0.6,
            },
            LayerScore {
                layer: 1,
                score: 0.5,
            },
        ];
        let t = contribution_table(&rows, 0.4, 0.6).unwrap();
        assert_eq!(t[0].layer, 3);
        assert!((t[0].contribution - 1.0).abs() < 1e-12);
        assert!((t[1].contribution - 0.5).abs() < 1e-12);
    }

    #[test]
    fn rankings_break_ties_by_index() {
        let v = [0.5, 0.9, 0.5, f64::NAN, 0.1, 0.9];
        assert_eq!(top_k(&v, 3), vec![1, 5, 0]);
        assert_eq!(bottom_k(&v, 3), vec![4, 0, 2]);
        assert_eq!(top_k(&v, 10), vec![1, 5, 0, 2, 4, 3]);
        assert_eq!(bottom_k(&v, 10), vec![4, 0, 2, 1, 5, 3]);
        assert!(top_k(&[], 2).is_empty());
    }

    #[test]
    fn middle_layers_match_paper() {
        assert_eq!(middle_layers(28, 5).unwrap(), (11..=15).collect::<Vec<_>>());
        assert_eq!(middle_layers(36, 5).unwrap(), (15..=19).collect::<Vec<_>>());
        // ⌊28/2⌋ − ⌈4/2⌉ = 12.
        assert_eq!(middle_layers(28, 4).unwrap(), vec![12, 13, 14, 15]);
        assert_eq!(middle_layers(3, 3).unwrap(), vec![0, 1, 2]);
        assert!(middle_layers(4, 0).unwrap().is_empty());
        assert!(middle_layers(4, 5).is_err());
    }
}
