//! The settings of a GRPO-family run, named after the paper's App. A tables, with the batch
//! arithmetic checked in sentences.

use super::advantage::AdvNorm;
use super::loss::{KlKind, LossAggKind};
use super::optim::{AdamWConfig, Schedule};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// Hyper-parameters of a GRPO-family run (names follow the paper's App. A tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrpoConfig {
    /// Rollout steps (each samples `train_batch` prompts, then takes `updates_per_step` optimizer steps).
    pub steps: usize,
    /// Prompts per rollout step.
    pub train_batch: usize,
    /// Prompts per optimizer step (PPO mini-batch).
    pub mini_batch: usize,
    /// Rollouts per backward pass (gradients accumulate over a mini-batch).
    pub micro_batch: usize,
    /// Rollouts per prompt (G).
    pub group: usize,
    /// Passes over each rollout batch (PPO epochs).
    pub epochs: usize,
    /// Max response length in tokens.
    pub max_response_len: usize,
    /// Sampling temperature.
    pub temperature: f32,
    /// Nucleus sampling.
    pub top_p: f32,
    /// Top-k sampling (0 = off).
    pub top_k: usize,
    /// Base learning rate.
    pub lr: f64,
    /// AdamW β1.
    pub beta1: f64,
    /// AdamW β2.
    pub beta2: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Global grad-norm clip (0 = off).
    pub max_grad_norm: f64,
    /// Linear warm-up steps.
    pub warmup_steps: u64,
    /// `constant` or `cosine`.
    pub schedule: Schedule,
    /// KL coefficient β (0 = no reference forward).
    pub kl_coef: f64,
    /// `k1`, `k2`, `k3` / `low_var_kl`.
    pub kl_type: KlKind,
    /// Multiply KL by the ratio (TRL's bias correction).
    pub kl_ratio_weighted: bool,
    /// ε_low.
    pub clip_low: f64,
    /// ε_high (clip-higher when larger).
    pub clip_high: f64,
    /// Dual-clip constant (0 = off).
    pub dual_clip: f64,
    /// `grpo` (seq-mean-token-mean), `token_mean`/`bnpo`, `dr_grpo`, `dapo`.
    pub loss_agg: LossAggKind,
    /// `group_std` (GRPO), `center` (Dr. GRPO), `batch_std`.
    pub adv_norm: AdvNorm,
    /// ε in the std division.
    pub adv_eps: f64,
    /// Responses cut by the length limit get reward 0.
    pub truncated_reward_zero: bool,
    /// Seed for data order and sampling.
    pub seed: u64,
}

impl Default for GrpoConfig {
    fn default() -> Self {
        Self {
            steps: 10,
            train_batch: 8,
            mini_batch: 8,
            micro_batch: 8,
            group: 4,
            epochs: 1,
            max_response_len: 64,
            temperature: 1.0,
            top_p: 1.0,
            top_k: 0,
            lr: 1e-6,
            beta1: 0.9,
            beta2: 0.999,
            weight_decay: 0.01,
            max_grad_norm: 1.0,
            warmup_steps: 0,
            schedule: Schedule::Constant,
            kl_coef: 0.001,
            kl_type: KlKind::K3,
            kl_ratio_weighted: false,
            clip_low: 0.2,
            clip_high: 0.2,
            dual_clip: 0.0,
            loss_agg: LossAggKind::SeqMeanTokenMean,
            adv_norm: AdvNorm::GroupStd,
            adv_eps: 1e-6,
            truncated_reward_zero: false,
            seed: 0,
        }
    }
}

impl GrpoConfig {
    /// Dr. GRPO (Liu et al. 2025): no std normalisation, constant length normaliser, no KL.
    pub fn dr_grpo() -> Self {
        Self {
            loss_agg: LossAggKind::SeqMeanTokenSumNorm,
            adv_norm: AdvNorm::Center,
            kl_coef: 0.0,
            ..Self::default()
        }
    }

    /// The optimizer settings of this run.
    pub fn optimizer(&self) -> AdamWConfig {
        AdamWConfig {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: 1e-8,
            weight_decay: self.weight_decay,
            max_grad_norm: self.max_grad_norm,
            schedule: self.schedule,
            warmup_steps: self.warmup_steps,
            total_steps: (self.steps * self.updates_per_step()) as u64,
            min_lr_ratio: 0.0,
        }
    }

    /// Optimizer steps per rollout step.
    pub fn updates_per_step(&self) -> usize {
        self.epochs * self.train_batch.div_ceil(self.mini_batch.max(1))
    }

    /// Checks the batch arithmetic with sentences.
    pub fn validate(&self) -> Result<()> {
        if self.train_batch == 0
            || self.group == 0
            || self.mini_batch == 0
            || self.micro_batch == 0
            || self.epochs == 0
        {
            bail!("train_batch, mini_batch, micro_batch, group and epochs must all be ≥ 1");
        }
        if (self.mini_batch * self.group) % self.micro_batch != 0 {
            bail!(
                "micro_batch {} must divide mini_batch × group = {} × {} = {} rollouts, so no \
                 micro-batch straddles two mini-batches",
                self.micro_batch,
                self.mini_batch,
                self.group,
                self.mini_batch * self.group
            );
        }
        if self.train_batch % self.mini_batch != 0 {
            bail!(
                "train_batch {} must be a multiple of mini_batch {}",
                self.train_batch,
                self.mini_batch
            );
        }
        if self.max_response_len == 0 {
            bail!("max_response_len must be ≥ 1");
        }
        Ok(())
    }
}
