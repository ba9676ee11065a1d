//! Benchmark scores from per-problem records: avg@k (mean accuracy over k samples), pass@k
//! (unbiased estimator of Chen et al. 2021), maj@k (majority answer correct).

use super::voting::{vote, Record};
use anyhow::{ensure, Result};

/// Unbiased pass@k from `n` samples of which `c` are correct: 1 − C(n−c, k) / C(n, k), the
/// probability that k samples drawn without replacement include a correct one.
///
/// Computed as 1 − Π_{i=n−c+1..=n} (1 − k/i), which never forms the (huge) binomials.
/// Errors unless 1 ≤ k ≤ n and c ≤ n.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Result<f64> {
    ensure!(k >= 1, "pass@k needs k >= 1, got k = {k}");
    ensure!(
        k <= n,
        "pass@k needs k <= n (samples per problem), got k = {k}, n = {n}"
    );
    ensure!(
        c <= n,
        "pass@k: {c} correct out of {n} samples is impossible"
    );
    if n - c < k {
        return Ok(1.0);
    }
    let prod: f64 = (n - c + 1..=n).map(|i| 1.0 - k as f64 / i as f64).product();
    Ok(1.0 - prod)
}

/// Mean of [`pass_at_k`] over records, each using its own sample count as n.
/// Errors when `records` is empty or a record has fewer than k samples.
pub fn pass_at_k_mean(records: &[Record], k: usize) -> Result<f64> {
    ensure!(!records.is_empty(), "pass@k over no records is undefined");
    let mut sum = 0.0;
    for r in records {
        let c = r.correct.iter().filter(|&&x| x).count();
        sum += pass_at_k(r.correct.len(), c, k)
            .map_err(|e| e.context(format!("problem {:?}", r.id)))?;
    }
    Ok(sum / records.len() as f64)
}

/// avg@k: each problem's fraction of correct samples, averaged over problems (so every problem
/// weighs the same even if sample counts differ). Errors when `records` is empty or a record has
/// no samples.
pub fn avg_at_k(records: &[Record]) -> Result<f64> {
    ensure!(!records.is_empty(), "avg@k over no records is undefined");
    let mut sum = 0.0;
    for r in records {
        ensure!(!r.correct.is_empty(), "problem {:?} has no samples", r.id);
        sum += r.correct.iter().filter(|&&x| x).count() as f64 / r.correct.len() as f64;
    }
    Ok(sum / records.len() as f64)
}

/// maj@k: the fraction of problems whose majority answer ([`vote`], ties by first occurrence)
/// is correct. Correctness of the majority answer is read off the first sample that gave it
/// (the grader already judged every sample), so no answer-equivalence check is needed here.
/// A problem with no extracted answer counts as wrong. Errors when `records` is empty or a
/// record's `answers` and `correct` differ in length.
pub fn maj_at_k(records: &[Record]) -> Result<f64> {
    ensure!(!records.is_empty(), "maj@k over no records is undefined");
    let mut right = 0usize;
    for r in records {
        ensure!(
            r.answers.len() == r.correct.len(),
            "problem {:?}: {} answers but {} correctness flags",
            r.id,
            r.answers.len(),
            r.correct.len()
        );
        if let Some(m) = vote(r.answers.iter().map(|a| a.as_deref())) {
            let first = r
                .answers
                .iter()
                .position(|a| a.as_deref() == Some(m.as_str()));
            if first.is_some_and(|i| r.correct[i]) {
                right += 1;
            }
        }
    }
    Ok(right as f64 / records.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn pass_at_k_hand_worked() {
        // n=4, c=1, k=2: 1 − C(3,2)/C(4,2) = 1 − 3/6 = 0.5.
        assert!(close(pass_at_k(4, 1, 2).unwrap(), 0.5));
        // n=5, c=2, k=2: 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7.
        assert!(close(pass_at_k(5, 2, 2).unwrap(), 0.7));
        // k=1 is the plain accuracy c/n.
        assert!(close(pass_at_k(8, 3, 1).unwrap(), 3.0 / 8.0));
        assert!(close(pass_at_k(4, 3, 2).unwrap(), 1.0));
        assert!(close(pass_at_k(4, 0, 4).unwrap(), 0.0));
        assert!(pass_at_k(4, 1, 5).is_err());
        assert!(pass_at_k(4, 5, 1).is_err());
        assert!(pass_at_k(4, 1, 0).is_err());
        // Large n stays finite where binomials would overflow: n=1000, c=1, k=10 → 10/1000.
        assert!(close(pass_at_k(1000, 1, 10).unwrap(), 0.01));
    }

    fn rec(correct: &[bool], answers: &[Option<&str>]) -> Record {
        Record {
            id: "p".into(),
            correct: correct.to_vec(),
            answers: answers.iter().map(|a| a.map(String::from)).collect(),
        }
    }

    #[test]
    fn avg_and_maj_hand_worked() {
        let recs = [
            // majority "4" (2 of 3), and "4" is right.
            rec(&[true, false, true], &[Some("4"), Some("5"), Some("4")]),
            // majority "7" (tie 1–1, first seen), which is wrong.
            rec(&[false, true], &[Some("7"), Some("8")]),
            // nothing extracted: wrong.
            rec(&[false], &[None]),
        ];
        // avg@k = (2/3 + 1/2 + 0) / 3 = 7/18.
        assert!(close(avg_at_k(&recs).unwrap(), 7.0 / 18.0));
        assert!(close(maj_at_k(&recs).unwrap(), 1.0 / 3.0));
        // pass@1 mean equals avg@k.
        assert!(close(pass_at_k_mean(&recs, 1).unwrap(), 7.0 / 18.0));
        assert!(pass_at_k_mean(&recs, 2).is_err());
        assert!(avg_at_k(&[]).is_err());
    }
}
