//! Supervised warm-up: teacher-forced cross-entropy on (prompt, target) pairs, so a tiny model
//! trained from scratch reaches a starting accuracy that RL can improve.

use super::optim::{accumulate, AdamWConfig, GradStore};
use super::policy::Policy;
use crate::model::logprobs::{token_logprobs, PackedBatch};
use anyhow::{bail, Result};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// SFT settings (the names of `sft`'s options).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SftConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Pairs per step.
    pub batch: usize,
    /// Data-order seed.
    pub seed: u64,
    /// AdamW learning rate.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
}

impl SftConfig {
    /// The optimizer of the warm-up.
    pub fn optimizer(&self) -> AdamWConfig {
        AdamWConfig {
            lr: self.lr,
            weight_decay: self.weight_decay,
            ..Default::default()
        }
    }
}

impl Default for SftConfig {
    fn default() -> Self {
        Self {
            steps: 200,
            batch: 32,
            seed: 0,
            lr: 1e-3,
            weight_decay: 0.0,
        }
    }
}

/// One step on the given pairs; returns the mean token cross-entropy.
pub fn sft_step(policy: &mut Policy, prompts: &[Vec<u32>], targets: &[Vec<u32>]) -> Result<f64> {
    if targets.iter().any(Vec::is_empty) {
        bail!("an SFT target is empty");
    }
    let batch = PackedBatch::new(prompts, targets, 0)?;
    let dev = policy.model.embed_tokens.val().device();
    let c = batch.completion_len;
    let mask: Vec<f32> = batch
        .completion_mask
        .iter()
        .flat_map(|m| m.iter().map(|&x| x as f32))
        .collect();
    let mask = Tensor::<crate::backend::Train, 2>::from_data(
        TensorData::new(mask, [prompts.len(), c]),
        &dev,
    );
    let logp = token_logprobs(&policy.model, &batch, 1.0);
    let loss = (logp * mask.clone()).sum().neg() / mask.sum();
    let value = loss.clone().into_scalar().elem::<f64>();
    let grads = loss.backward();
    let mut store = GradStore::default();
    accumulate(&policy.model, &grads, &mut store);
    policy.apply(&store)?;
    Ok(value)
}

/// Runs `cfg.steps` steps over `pairs` in seeded order; returns the loss of every step.
pub fn train_sft(
    policy: &mut Policy,
    pairs: &[(Vec<u32>, Vec<u32>)],
    cfg: &SftConfig,
    mut on_step: impl FnMut(usize, f64),
) -> Result<Vec<f64>> {
    if pairs.is_empty() {
        bail!("no SFT examples");
    }
    let mut losses = Vec::with_capacity(cfg.steps);
    let n = pairs.len();
    for step in 0..cfg.steps {
        let (p, t): (Vec<Vec<u32>>, Vec<Vec<u32>>) = (0..cfg.batch.max(1))
            .map(|i| {
                let k = step * cfg.batch + i;
                let order = super::shuffle_order(n, cfg.seed.wrapping_add((k / n) as u64));
                pairs[order[k % n]].clone()
            })
            .unzip();
        let loss = sft_step(policy, &p, &t)?;
        on_step(step, loss);
        losses.push(loss);
    }
    Ok(losses)
}
