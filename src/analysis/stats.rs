//! Agreement between layer rankings (paper §3.3: Spearman across datasets and tasks; §3.2:
//! Pearson between in-domain and overall ℓ) and overlap of solved sets (§5: Jaccard).

use anyhow::{ensure, Result};
use std::collections::HashSet;
use std::hash::Hash;

/// 1-based ranks with ties given the average of the ranks they span
/// (`[10, 20, 20, 30]` → `[1, 2.5, 2.5, 4]`). NaN is not allowed (checked by callers).
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && values[idx[j + 1]] == values[idx[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) share ranks i+1..=j+1; their mean is (i + j) / 2 + 1.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

fn check_pair(what: &str, x: &[f64], y: &[f64]) -> Result<()> {
    ensure!(
        x.len() == y.len(),
        "{what} needs two series of the same length, got {} and {}",
        x.len(),
        y.len()
    );
    ensure!(
        x.len() >= 2,
        "{what} needs at least 2 paired values, got {}",
        x.len()
    );
    ensure!(
        x.iter().chain(y).all(|v| v.is_finite()),
        "{what} needs finite values (no NaN or infinity)"
    );
    Ok(())
}

/// Pearson correlation coefficient of two equally long series.
///
/// Errors when the lengths differ, fewer than 2 pairs are given, a value is not finite, or either
/// series is constant (its correlation is undefined).
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pair("pearson", x, y)?;
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    ensure!(
        sxx > 0.0 && syy > 0.0,
        "correlation is undefined for a constant series (every value of one input is the same)"
    );
    Ok((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

/// Spearman rank correlation: Pearson on [`average_ranks`], so ties are handled exactly.
/// Errors as [`pearson`] does.
pub fn spearman(x: &[f64], y: &[f64]) -> Result<f64> {
    check_pair("spearman", x, y)?;
    pearson(&average_ranks(x), &average_ranks(y))
}

/// Jaccard similarity |A ∩ B| / |A ∪ B| of two sets (duplicates are ignored).
/// Two empty sets give 1.0: they are identical, and this keeps the mean of pairwise
/// similarities defined.
pub fn jaccard<T: Eq + Hash>(a: &[T], b: &[T]) -> f64 {
    let a: HashSet<&T> = a.iter().collect();
    let b: HashSet<&T> = b.iter().collect();
    let union = a.union(&b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 30.0]),
            vec![1.0, 2.5, 2.5, 4.0]
        );
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 3.0]),
            vec![3.0, 1.0, 3.0, 3.0]
        );
    }

    #[test]
    fn pearson_hand_worked() {
        // x = [1,2,3], y = [2,4,7]: means 2 and 13/3; dx = [-1,0,1], dy = [-7/3,-1/3,8/3];
        // sxy = 15/3 = 5, sxx = 2, syy = (49+1+64)/9 = 114/9; r = 5 / sqrt(2 * 114/9).
        let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]).unwrap();
        assert!(close(r, 5.0 / (2.0f64 * 114.0 / 9.0).sqrt()), "{r}");
        assert!(close(pearson(&[1.0, 2.0], &[5.0, 3.0]).unwrap(), -1.0));
        let err = pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(err.to_string().contains("constant"), "{err}");
        assert!(pearson(&[1.0], &[1.0]).is_err());
        assert!(pearson(&[1.0, 2.0], &[1.0]).is_err());
    }

    #[test]
    fn spearman_hand_worked() {
        // Monotone but not linear: rank correlation is exactly 1.
        assert!(close(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 4.0, 9.0, 100.0]).unwrap(),
            1.0
        ));
        // x ranks [1,2,3,4], y = [1,3,2,4] ranks the same; d = [0,1,-1,0]; no ties, so
        // rho = 1 - 6*2 / (4*15) = 0.8.
        assert!(close(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap(),
            0.8
        ));
        // Ties: y ranks [1, 2.5, 2.5, 4] against x ranks [1,2,3,4]: dx = [-1.5,-.5,.5,1.5],
        // dy = [-1.5,0,0,1.5]; sxy = 4.5, sxx = 5, syy = 4.5; rho = 4.5/sqrt(22.5).
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 5.0, 5.0, 9.0]).unwrap();
        assert!(close(rho, 4.5 / 22.5f64.sqrt()), "{rho}");
    }

    #[test]
    fn jaccard_hand_worked() {
        assert!(close(jaccard(&["a", "b", "c"], &["b", "c", "d"]), 0.5));
        assert!(close(jaccard(&["a", "a"], &["a"]), 1.0));
        assert!(close(jaccard::<&str>(&[], &[]), 1.0));
        assert!(close(jaccard(&["a"], &[]), 0.0));
    }
}
