//! GRPO-family losses over `[B, T]` token tensors: clipped surrogate (clip-higher, dual-clip),
//! KL estimators to the reference policy, and loss aggregation. Pure functions; the loop composes
//! them. Shapes: `logp`, `old`, `reference`, `mask`: `[B, T]`; `adv`: `[B]`.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Clipped-surrogate settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClipConfig {
    /// Lower clip ε_low: ratio ≥ 1 − ε_low.
    pub eps_low: f64,
    /// Upper clip ε_high (clip-higher when > ε_low).
    pub eps_high: f64,
    /// Dual-clip constant c (> 1) bounding the loss of negative-advantage tokens; `None` = off.
    pub dual_clip: Option<f64>,
}

impl Default for ClipConfig {
    fn default() -> Self {
        Self {
            eps_low: 0.2,
            eps_high: 0.2,
            dual_clip: None,
        }
    }
}

/// Per-token clipped surrogate loss `max(−A·r, −A·clip(r, 1−ε_low, 1+ε_high))` (optionally
/// dual-clipped for A < 0), with `r = exp(logp − old)` (log-ratio clamped to ±20 like veRL).
/// Returns `(loss [B, T], ratio [B, T])`.
pub fn policy_loss<B: Backend>(
    logp: Tensor<B, 2>,
    old: Tensor<B, 2>,
    adv: Tensor<B, 1>,
    clip: &ClipConfig,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let ratio = (logp - old).clamp(-20.0, 20.0).exp();
    let a = adv.unsqueeze_dim::<2>(1); // [B, 1]
    let l1 = ratio.clone() * a.clone().neg();
    let l2 = ratio.clone().clamp(1.0 - clip.eps_low, 1.0 + clip.eps_high) * a.clone().neg();
    let mut loss = l1.max_pair(l2);
    if let Some(c) = clip.dual_clip {
        // For A < 0 the loss is capped at −A·c; for A ≥ 0 it is unchanged.
        let cap = a.clone().neg() * c;
        let capped = loss.clone().min_pair(cap.expand(loss.dims()));
        let neg = a.lower_elem(0.0).expand(loss.dims());
        loss = loss.mask_where(neg, capped);
    }
    (loss, ratio)
}

/// KL estimators of KL(π ‖ π_ref) per token, with `d = logp − ref`. In option maps: `k1` (also
/// `kl`), `k2` (also `mse`), `k3` (also `low_var_kl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KlKind {
    /// k1 = d.
    #[serde(alias = "kl")]
    K1,
    /// k2 = ½ d².
    #[serde(alias = "mse")]
    K2,
    /// k3 = e^{−d} + d − 1 (veRL's `low_var_kl`, TRL's estimator).
    #[serde(alias = "low_var_kl")]
    K3,
}

/// Per-token KL estimate `[B, T]`. `clamp` applies veRL's bounds for k3 (exponent to ±20, value
/// to [−10, 10]); TRL does not clamp.
pub fn kl_penalty<B: Backend>(
    logp: Tensor<B, 2>,
    reference: Tensor<B, 2>,
    kind: KlKind,
    clamp: bool,
) -> Tensor<B, 2> {
    let d = logp - reference;
    match kind {
        KlKind::K1 => d,
        KlKind::K2 => d.powi_scalar(2) * 0.5,
        KlKind::K3 => {
            let neg = d.neg(); // ref − logp
            let neg = if clamp { neg.clamp(-20.0, 20.0) } else { neg };
            let k3 = neg.clone().exp() - neg - 1.0;
            if clamp {
                k3.clamp(-10.0, 10.0)
            } else {
                k3
            }
        }
    }
}

/// How per-token losses become one scalar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossAgg {
    /// Σ l·m / Σ m over the micro-batch (veRL `token-mean`, TRL `bnpo`).
    TokenMean,
    /// mean over sequences of (Σ_t l / |o_i|) — original GRPO (TRL `grpo`).
    SeqMeanTokenMean,
    /// Σ l·m / (B · normalizer) — Dr. GRPO with a constant normalizer (max response length).
    SeqMeanTokenSumNorm {
        /// The constant, usually the max response length.
        normalizer: f64,
    },
    /// Σ l·m / tokens in the whole accumulated batch (TRL `dapo`): token-mean across
    /// gradient-accumulation steps, so short and long micro-batches weigh by their tokens.
    GlobalTokenMean,
}

/// The name of a [`LossAgg`] in option maps (TRL's and veRL's spellings are aliases); the
/// Dr. GRPO normaliser comes from the run's max response length ([`LossAggKind::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossAggKind {
    /// [`LossAgg::TokenMean`].
    #[serde(alias = "token-mean", alias = "bnpo")]
    TokenMean,
    /// [`LossAgg::SeqMeanTokenMean`].
    #[serde(alias = "seq-mean-token-mean", alias = "grpo")]
    SeqMeanTokenMean,
    /// [`LossAgg::SeqMeanTokenSumNorm`].
    #[serde(alias = "seq-mean-token-sum-norm", alias = "dr_grpo")]
    SeqMeanTokenSumNorm,
    /// [`LossAgg::GlobalTokenMean`].
    #[serde(alias = "dapo")]
    GlobalTokenMean,
}

impl LossAggKind {
    /// The aggregation, with `max_response_len` as Dr. GRPO's constant normaliser.
    pub fn resolve(self, max_response_len: usize) -> LossAgg {
        match self {
            Self::TokenMean => LossAgg::TokenMean,
            Self::SeqMeanTokenMean => LossAgg::SeqMeanTokenMean,
            Self::SeqMeanTokenSumNorm => LossAgg::SeqMeanTokenSumNorm {
                normalizer: max_response_len as f64,
            },
            Self::GlobalTokenMean => LossAgg::GlobalTokenMean,
        }
    }
}

/// Aggregates `loss [B, T]` under `mask [B, T]` for one micro-batch of an accumulation of
/// `grad_accum` micro-batches holding `batch_tokens` tokens in all (used by `GlobalTokenMean`).
/// Every mode but `GlobalTokenMean` divides by `grad_accum`, as TRL does, so accumulated gradients
/// average over micro-batches.
pub fn aggregate<B: Backend>(
    loss: Tensor<B, 2>,
    mask: Tensor<B, 2>,
    agg: LossAgg,
    grad_accum: usize,
    batch_tokens: f64,
) -> Tensor<B, 1> {
    let ga = grad_accum.max(1) as f64;
    let b = loss.dims()[0] as f64;
    let lm = loss * mask.clone();
    match agg {
        LossAgg::TokenMean => lm.sum() / mask.sum().clamp_min(1.0) / ga,
        LossAgg::SeqMeanTokenMean => {
            (lm.sum_dim(1) / mask.sum_dim(1).clamp_min(1.0))
                .mean()
                .reshape([1])
                / ga
        }
        LossAgg::SeqMeanTokenSumNorm { normalizer } => lm.sum() / (b * normalizer) / ga,
        LossAgg::GlobalTokenMean => lm.sum() / batch_tokens.max(1.0),
    }
}

/// KL-to-reference term of the loss (veRL `use_kl_loss`, TRL `beta`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KlTerm {
    /// Coefficient β.
    pub coef: f64,
    /// Estimator.
    pub kind: KlKind,
    /// veRL's clamping of k3.
    pub clamp: bool,
    /// Multiply the per-token KL by the importance ratio (TRL's `use_bias_correction_kl`).
    pub ratio_weighted: bool,
}

/// The whole per-token GRPO objective: surrogate + β·KL. Returns `(loss [B, T], ratio [B, T])`.
pub fn grpo_token_loss<B: Backend>(
    logp: Tensor<B, 2>,
    old: Tensor<B, 2>,
    reference: Option<Tensor<B, 2>>,
    adv: Tensor<B, 1>,
    clip: &ClipConfig,
    kl: Option<&KlTerm>,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let (loss, ratio) = policy_loss(logp.clone(), old, adv, clip);
    match (kl, reference) {
        (Some(k), Some(r)) if k.coef != 0.0 => {
            let mut per = kl_penalty(logp, r, k.kind, k.clamp);
            if k.ratio_weighted {
                per = per * ratio.clone();
            }
            (loss + per * k.coef, ratio)
        }
        _ => (loss, ratio),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    type B = crate::backend::Compute;

    fn t2(rows: &[&[f32]]) -> Tensor<B, 2> {
        let (b, t) = (rows.len(), rows[0].len());
        Tensor::from_data(TensorData::new(rows.concat(), [b, t]), &Default::default())
    }
    fn t1(xs: &[f32]) -> Tensor<B, 1> {
        Tensor::from_data(
            TensorData::new(xs.to_vec(), [xs.len()]),
            &Default::default(),
        )
    }
    fn host<const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
        t.into_data().to_vec::<f32>().unwrap()
    }

    #[test]
    fn surrogate_clips_both_sides() {
        // ratios e^{0.5}=1.6487 and e^{-0.5}=0.6065 for A=+1 and A=−1.
        let logp = t2(&[&[0.5, -0.5], &[0.5, -0.5]]);
        let old = t2(&[&[0.0, 0.0], &[0.0, 0.0]]);
        let (l, _) = policy_loss(
            logp.clone(),
            old.clone(),
            t1(&[1.0, -1.0]),
            &ClipConfig::default(),
        );
        let l = host(l);
        // A=+1: max(−1.6487, −1.2) = −1.2 ; max(−0.6065, −0.8) = −0.6065
        // A=−1: max(1.6487, 1.2) = 1.6487 ; max(0.6065, 0.8) = 0.8
        let want = [-1.2, -(-0.5f32).exp(), 0.5f32.exp(), 0.8];
        for (x, y) in l.iter().zip(want) {
            assert!((x - y).abs() < 1e-6, "{l:?}");
        }
        // Clip-higher widens only the upper bound.
        let (l, _) = policy_loss(
            logp.clone(),
            old.clone(),
            t1(&[1.0, -1.0]),
            &ClipConfig {
                eps_high: 0.28,
                ..Default::default()
            },
        );
        assert!((host(l)[0] + 1.28).abs() < 1e-6);
        // Dual clip caps the negative-advantage loss at c·|A|.
        let (l, _) = policy_loss(
            t2(&[&[3.0]]),
            t2(&[&[0.0]]),
            t1(&[-1.0]),
            &ClipConfig {
                dual_clip: Some(3.0),
                ..Default::default()
            },
        );
        assert!((host(l)[0] - 3.0).abs() < 1e-6);
        let (l, _) = policy_loss(
            t2(&[&[3.0]]),
            t2(&[&[0.0]]),
            t1(&[1.0]),
            &ClipConfig {
                dual_clip: Some(3.0),
                ..Default::default()
            },
        );
        assert!((host(l)[0] + 1.2).abs() < 1e-6);
    }

    #[test]
    fn kl_estimators() {
        let (lp, rf) = (t2(&[&[-1.0, -2.0]]), t2(&[&[-1.5, -1.0]]));
        // d = 0.5, −1.0
        assert_eq!(
            host(kl_penalty(lp.clone(), rf.clone(), KlKind::K1, false)),
            vec![0.5, -1.0]
        );
        assert_eq!(
            host(kl_penalty(lp.clone(), rf.clone(), KlKind::K2, false)),
            vec![0.125, 0.5]
        );
        let k3 = host(kl_penalty(lp.clone(), rf.clone(), KlKind::K3, false));
        let want = [(-0.5f32).exp() + 0.5 - 1.0, 1f32.exp() - 1.0 - 1.0];
        assert!((k3[0] - want[0]).abs() < 1e-6 && (k3[1] - want[1]).abs() < 1e-6);
        // veRL's clamp bounds k3 at 10.
        let big = host(kl_penalty(t2(&[&[-30.0]]), t2(&[&[0.0]]), KlKind::K3, true));
        assert_eq!(big, vec![10.0]);
    }

    #[test]
    fn aggregation_modes() {
        let l = t2(&[&[1.0, 2.0, 3.0], &[4.0, 0.0, 0.0]]);
        let m = t2(&[&[1.0, 1.0, 1.0], &[1.0, 0.0, 0.0]]);
        let v = |agg, ga, n| host(aggregate(l.clone(), m.clone(), agg, ga, n))[0];
        assert!((v(LossAgg::TokenMean, 1, 0.0) - 10.0 / 4.0).abs() < 1e-6);
        assert!((v(LossAgg::SeqMeanTokenMean, 1, 0.0) - (2.0 + 4.0) / 2.0).abs() < 1e-6);
        assert!(
            (v(LossAgg::SeqMeanTokenSumNorm { normalizer: 5.0 }, 1, 0.0) - 10.0 / 10.0).abs()
                < 1e-6
        );
        assert!((v(LossAgg::GlobalTokenMean, 2, 8.0) - 10.0 / 8.0).abs() < 1e-6);
        assert!((v(LossAgg::TokenMean, 2, 0.0) - 10.0 / 8.0).abs() < 1e-6);
        let name = |s: &str| serde_json::from_value::<LossAggKind>(serde_json::json!(s));
        assert_eq!(
            name("dr_grpo").unwrap().resolve(8),
            LossAgg::SeqMeanTokenSumNorm { normalizer: 8.0 }
        );
        assert_eq!(name("bnpo").unwrap(), LossAggKind::TokenMean);
        assert!(name("drgrpo")
            .unwrap_err()
            .to_string()
            .contains("seq_mean_token_sum_norm"));
    }
}
