//! Outcome advantages for group-sampled rollouts, over plain slices (testable without tensors).
//!
//! Rewards arrive prompt-major: `rewards[p * g + i]` is sample `i` of prompt `p`.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// How a group's centred rewards are scaled. In option maps: `group_std` (also `grpo`,
/// `group`), `center` (also `dr_grpo`, `none`), `batch_std` (also `batch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvNorm {
    /// GRPO: `(r - mean_g) / (std_g + eps)`, std unbiased (n - 1), as veRL and TRL.
    #[serde(alias = "grpo", alias = "group")]
    GroupStd,
    /// Dr. GRPO: `r - mean_g` (no std division).
    #[serde(alias = "dr_grpo", alias = "none")]
    Center,
    /// TRL `scale_rewards="batch"`: `(r - mean_g) / (std_batch + eps)`.
    #[serde(alias = "batch")]
    BatchStd,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Unbiased standard deviation; 0 for fewer than two values.
fn std_unbiased(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// One advantage per rollout. `eps` is 1e-6 in veRL, 1e-4 in TRL. A reward that is NaN is an
/// error naming the rollout (a broken reward function must not train silently). Groups of size 1
/// follow veRL: mean 0, std 1, so `A = r`.
pub fn group_advantages(
    rewards: &[f64],
    group: usize,
    norm: AdvNorm,
    eps: f64,
) -> Result<Vec<f64>> {
    if group == 0 || rewards.len() % group != 0 {
        bail!(
            "{} rewards cannot be split into groups of {group}",
            rewards.len()
        );
    }
    if let Some(i) = rewards.iter().position(|r| !r.is_finite()) {
        bail!(
            "reward of rollout {i} (prompt {}, sample {}) is {}: rewards must be finite numbers",
            i / group,
            i % group,
            rewards[i]
        );
    }
    let batch_std = std_unbiased(rewards);
    let mut out = Vec::with_capacity(rewards.len());
    for g in rewards.chunks(group) {
        let (m, s) = if group == 1 {
            (0.0, 1.0)
        } else {
            (mean(g), std_unbiased(g))
        };
        for r in g {
            out.push(match norm {
                AdvNorm::GroupStd => (r - m) / (s + eps),
                AdvNorm::Center => r - m,
                AdvNorm::BatchStd => (r - m) / (batch_std + eps),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpo_matches_hand_worked_numbers() {
        // Group [1, 0, 0.5, 0]: mean 0.375, unbiased std = sqrt(0.6875/3) = 0.478714.
        let a = group_advantages(
            &[1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0, 0.0],
            4,
            AdvNorm::GroupStd,
            1e-4,
        )
        .unwrap();
        let s = (0.6875f64 / 3.0).sqrt();
        assert!((a[0] - 0.625 / (s + 1e-4)).abs() < 1e-12);
        assert!((a[1] + 0.375 / (s + 1e-4)).abs() < 1e-12);
        // TRL's recorded advantages for that batch.
        assert!(
            (a[0] - 1.305309772491455).abs() < 1e-6 && (a[6] - 1.4997000694274902).abs() < 1e-6
        );
    }

    #[test]
    fn dr_grpo_only_centres_and_constant_groups_give_zero() {
        let a =
            group_advantages(&[1.0, 0.0, 1.0, 1.0, 1.0, 1.0], 3, AdvNorm::Center, 1e-6).unwrap();
        let want = [1.0 / 3.0, -2.0 / 3.0, 1.0 / 3.0, 0.0, 0.0, 0.0];
        assert!(a.iter().zip(want).all(|(x, y)| (x - y).abs() < 1e-12));
    }

    #[test]
    fn batch_std_and_singletons() {
        let a = group_advantages(&[2.0, 0.0], 1, AdvNorm::GroupStd, 1e-6).unwrap();
        assert_eq!(a, vec![2.0 / (1.0 + 1e-6), 0.0]);
        let b = group_advantages(&[1.0, 0.0, 0.0, 0.0], 2, AdvNorm::BatchStd, 0.0).unwrap();
        assert!((b[0] - 0.5 / 0.5).abs() < 1e-12); // batch std of [1,0,0,0] = 0.5
    }

    #[test]
    fn nan_rewards_are_named_errors() {
        let e = group_advantages(&[1.0, f64::NAN], 2, AdvNorm::GroupStd, 1e-6).unwrap_err();
        assert!(e.to_string().contains("rollout 1"));
        assert!(group_advantages(&[1.0; 3], 2, AdvNorm::GroupStd, 1e-6).is_err());
        let name = |s: &str| serde_json::from_value::<AdvNorm>(serde_json::json!(s));
        assert_eq!(name("grpo").unwrap(), AdvNorm::GroupStd);
        assert_eq!(name("dr_grpo").unwrap(), AdvNorm::Center);
        assert!(name("grpo2").unwrap_err().to_string().contains("group_std"));
    }
}
