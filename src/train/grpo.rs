//! The GRPO loop (and Dr. GRPO through its options), one step at a time.
//!
//! How this departs from textbook GRPO (Shao et al. 2024), deliberately:
//! - only the parameters the [`TrainingPlan`] names train, each at base lr × its multiplier;
//! - the reference policy is the initial value of the *trained* parameters over the shared frozen
//!   ones (identical to a frozen copy of the initial model, without keeping one);
//! - when a step is on-policy (1 epoch, 1 mini-batch) the old log-probs are the detached current
//!   ones (ratio ≡ 1), saving a forward pass; otherwise they are recomputed once after rollout by the
//!   same engine that trains, like veRL;
//! - a rollout's reward is one scalar for the whole response (outcome reward), broadcast to its
//!   tokens through the advantage; NaN rewards stop the run with the rollout named.

use super::advantage::{group_advantages, AdvNorm};
use super::loss::{aggregate, grpo_token_loss, ClipConfig, KlKind, KlTerm, LossAgg};
use super::optim::{accumulate, AdamWConfig, GradStore, Schedule};
use super::policy::Policy;
use crate::backend::{Compute, Train};
use crate::model::generate::{generate, GenerateOptions};
use crate::model::logprobs::{token_logprobs_with_entropy, PackedBatch};
use crate::model::Qwen;
use anyhow::{bail, Context, Result};
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

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
    pub kl_type: String,
    /// Multiply KL by the ratio (TRL's bias correction).
    pub kl_ratio_weighted: bool,
    /// ε_low.
    pub clip_low: f64,
    /// ε_high (clip-higher when larger).
    pub clip_high: f64,
    /// Dual-clip constant (0 = off).
    pub dual_clip: f64,
    /// `grpo` (seq-mean-token-mean), `token_mean`/`bnpo`, `dr_grpo`, `dapo`.
    pub loss_agg: String,
    /// `group_std` (GRPO), `center` (Dr. GRPO), `batch_std`.
    pub adv_norm: String,
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
            kl_type: "low_var_kl".into(),
            kl_ratio_weighted: false,
            clip_low: 0.2,
            clip_high: 0.2,
            dual_clip: 0.0,
            loss_agg: "grpo".into(),
            adv_norm: "group_std".into(),
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
            loss_agg: "dr_grpo".into(),
            adv_norm: "center".into(),
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
        AdvNorm::parse(&self.adv_norm)?;
        LossAgg::parse(&self.loss_agg, self.max_response_len)?;
        KlKind::parse(&self.kl_type)?;
        Ok(())
    }
}

/// A prompt to roll out, with what its reward needs.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Prompt token ids (template applied).
    pub prompt_ids: Vec<u32>,
    /// Reference answer.
    pub answer: String,
}

/// Everything logged for one rollout step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepMetrics {
    /// Rollout step (0-based).
    pub step: usize,
    /// Mean reward.
    pub reward_mean: f64,
    /// Reward standard deviation (population).
    pub reward_std: f64,
    /// Fraction of rollouts with reward ≥ 1 (binary verifiable rewards).
    pub accuracy: f64,
    /// Mean per-token KL to the reference (k3), 0 when β = 0.
    pub kl: f64,
    /// Fraction of tokens whose ratio was clipped.
    pub clip_frac: f64,
    /// Mean per-token entropy of the policy.
    pub entropy: f64,
    /// Mean response length in tokens.
    pub response_len: f64,
    /// Fraction of responses cut by the length limit.
    pub truncated_frac: f64,
    /// Global gradient norm (last optimizer step, before clipping).
    pub grad_norm: f64,
    /// Learning rate (last optimizer step).
    pub lr: f64,
    /// L2 norm of each layer's change since the start.
    pub weight_change: Vec<f64>,
    /// Seconds generating rollouts.
    pub t_rollout: f64,
    /// Seconds on old/reference log-probs.
    pub t_logprob: f64,
    /// Seconds on forward/backward/optimizer.
    pub t_update: f64,
}

/// Host rows -> `[B, T]` tensor on the training backend (rows padded to `t` with 0).
fn rows_tensor(rows: &[Vec<f32>], t: usize, dev: &burn::tensor::Device<Train>) -> Tensor<Train, 2> {
    let flat: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.iter().copied().chain(std::iter::repeat(0.0)).take(t))
        .collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), t]), dev)
}

fn host2(t: Tensor<Compute, 2>) -> Result<Vec<Vec<f32>>> {
    let [_, c] = t.dims();
    let v = t
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(v.chunks(c.max(1)).map(<[f32]>::to_vec).collect())
}

/// One rollout: prompt index, response tokens, reward, advantage.
struct Rollout {
    prompt: usize,
    tokens: Vec<u32>,
    finished: bool,
    reward: f64,
    adv: f64,
}

/// Runs GRPO steps `start..start+cfg.steps` (see the module docs). Problems are visited in a
/// seeded order reshuffled every pass; the position is a function of the step, so a resumed run
/// continues the same stream. `reward(response_text, answer, finished)` scores one rollout.
pub struct GrpoTrainer<'a> {
    /// Settings.
    pub cfg: GrpoConfig,
    /// Training prompts.
    pub problems: &'a [Problem],
    /// Ids that end a response.
    pub stop_ids: Vec<u32>,
    /// Token ids -> text for the reward.
    pub decode: &'a dyn Fn(&[u32]) -> String,
}

impl GrpoTrainer<'_> {
    /// The problems of rollout step `step`.
    pub fn batch_indices(&self, step: usize) -> Vec<usize> {
        let n = self.problems.len();
        (0..self.cfg.train_batch)
            .map(|i| {
                let k = step * self.cfg.train_batch + i;
                let (pass, pos) = (k / n, k % n);
                let order = crate::train::shuffle_order(n, self.cfg.seed.wrapping_add(pass as u64));
                order[pos]
            })
            .collect()
    }

    /// One rollout step and its optimizer updates.
    pub fn step(
        &self,
        policy: &mut Policy,
        step: usize,
        reward: &mut dyn FnMut(&str, &str, bool) -> Result<f64>,
    ) -> Result<StepMetrics> {
        let cfg = &self.cfg;
        cfg.validate()?;
        if self.problems.is_empty() {
            bail!("no training problems");
        }
        let (norm, agg) = (
            AdvNorm::parse(&cfg.adv_norm)?,
            LossAgg::parse(&cfg.loss_agg, cfg.max_response_len)?,
        );
        let clip = ClipConfig {
            eps_low: cfg.clip_low,
            eps_high: cfg.clip_high,
            dual_clip: (cfg.dual_clip > 0.0).then_some(cfg.dual_clip),
        };
        let kl = (cfg.kl_coef != 0.0).then(|| KlTerm {
            coef: cfg.kl_coef,
            kind: KlKind::parse(&cfg.kl_type).expect("validated"),
            clamp: true,
            ratio_weighted: cfg.kl_ratio_weighted,
        });
        let dev = policy.model.embed_tokens.val().device();

        // 1. Rollouts from the current policy.
        let t0 = Instant::now();
        let idx = self.batch_indices(step);
        let prompts: Vec<Vec<u32>> = idx
            .iter()
            .map(|&i| self.problems[i].prompt_ids.clone())
            .collect();
        let opts = GenerateOptions {
            max_new_tokens: cfg.max_response_len,
            temperature: cfg.temperature,
            top_p: cfg.top_p,
            top_k: cfg.top_k,
            seed: cfg.seed ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            samples: cfg.group,
            stop_ids: self.stop_ids.clone(),
            ..Default::default()
        };
        let current = policy.current();
        let completions = generate(&current, &prompts, &opts, None)?;
        let mut rollouts = Vec::with_capacity(completions.len());
        for c in completions {
            let text = (self.decode)(&c.tokens);
            let answer = &self.problems[idx[c.prompt_index]].answer;
            let mut r = reward(&text, answer, c.finished).with_context(|| {
                format!(
                    "reward of prompt {} (problem {})",
                    c.prompt_index, idx[c.prompt_index]
                )
            })?;
            if cfg.truncated_reward_zero && !c.finished {
                r = 0.0;
            }
            rollouts.push(Rollout {
                prompt: c.prompt_index,
                tokens: c.tokens,
                finished: c.finished,
                reward: r,
                adv: 0.0,
            });
        }
        let rewards: Vec<f64> = rollouts.iter().map(|r| r.reward).collect();
        for (r, a) in
            rollouts
                .iter_mut()
                .zip(group_advantages(&rewards, cfg.group, norm, cfg.adv_eps)?)
        {
            r.adv = a;
        }
        let t_rollout = t0.elapsed().as_secs_f64();

        // 2. Old and reference log-probs, once per rollout batch.
        let t1 = Instant::now();
        let on_policy = cfg.epochs == 1 && cfg.mini_batch == cfg.train_batch;
        let micro_rows: Vec<std::ops::Range<usize>> = (0..rollouts.len())
            .step_by(cfg.micro_batch)
            .map(|s| s..(s + cfg.micro_batch).min(rollouts.len()))
            .collect();
        let pack = |r: &std::ops::Range<usize>| -> Result<PackedBatch> {
            let p: Vec<Vec<u32>> = rollouts[r.clone()]
                .iter()
                .map(|x| prompts[x.prompt].clone())
                .collect();
            let c: Vec<Vec<u32>> = rollouts[r.clone()]
                .iter()
                .map(|x| x.tokens.clone())
                .collect();
            PackedBatch::new(&p, &c, 0)
        };
        let per_micro = |m: &Qwen<Compute>| -> Result<Vec<Vec<Vec<f32>>>> {
            micro_rows
                .iter()
                .map(|r| host2(token_logprobs_with_entropy(m, &pack(r)?, 1.0).0))
                .collect()
        };
        let old = if on_policy {
            None
        } else {
            Some(per_micro(&current)?)
        };
        let reference = if kl.is_some() {
            Some(per_micro(&policy.reference())?)
        } else {
            None
        };
        drop(current);
        let t_logprob = t1.elapsed().as_secs_f64();

        // 3. Epochs × mini-batches; micro-batches accumulate gradients.
        let t2 = Instant::now();
        let micro_per_mini = (cfg.mini_batch * cfg.group).div_ceil(cfg.micro_batch);
        let (mut kl_sum, mut clipped, mut ent_sum, mut tokens) = (0.0, 0.0, 0.0, 0.0);
        let mut last = None;
        for _epoch in 0..cfg.epochs {
            for mini in micro_rows.chunks(micro_per_mini) {
                let batch_tokens: f64 = mini
                    .iter()
                    .flat_map(|r| rollouts[r.clone()].iter())
                    .map(|x| x.tokens.len() as f64)
                    .sum();
                let mut store = GradStore::default();
                for r in mini {
                    let k = micro_rows.iter().position(|x| x == r).expect("own range");
                    let batch = pack(r)?;
                    let c = batch.completion_len;
                    if c == 0 {
                        continue;
                    }
                    let mask = rows_tensor(
                        &batch
                            .completion_mask
                            .iter()
                            .map(|m| m.iter().map(|&x| x as f32).collect())
                            .collect::<Vec<_>>(),
                        c,
                        &dev,
                    );
                    let (logp, entropy) = token_logprobs_with_entropy(&policy.model, &batch, 1.0);
                    let old_t = match &old {
                        Some(o) => rows_tensor(&o[k], c, &dev),
                        None => logp.clone().detach(),
                    };
                    let ref_t = reference.as_ref().map(|rf| rows_tensor(&rf[k], c, &dev));
                    let adv = Tensor::<Train, 1>::from_data(
                        TensorData::new(
                            rollouts[r.clone()]
                                .iter()
                                .map(|x| x.adv as f32)
                                .collect::<Vec<_>>(),
                            [r.len()],
                        ),
                        &dev,
                    );
                    let (tok_loss, ratio) = grpo_token_loss(
                        logp.clone(),
                        old_t,
                        ref_t.clone(),
                        adv,
                        &clip,
                        kl.as_ref(),
                    );
                    let loss = aggregate(tok_loss, mask.clone(), agg, mini.len(), batch_tokens);
                    let grads = loss.backward();
                    accumulate(&policy.model, &grads, &mut store);
                    // Metrics from detached values.
                    let n = mask.clone().sum().into_scalar() as f64;
                    tokens += n;
                    ent_sum += (entropy.detach() * mask.clone()).sum().into_scalar() as f64;
                    let out = ratio
                        .clone()
                        .lower_elem(1.0 - clip.eps_low)
                        .bool_or(ratio.greater_elem(1.0 + clip.eps_high))
                        .float()
                        .detach();
                    clipped += (out * mask.clone()).sum().into_scalar() as f64;
                    if let Some(rf) = ref_t {
                        let k3 = super::loss::kl_penalty(logp.detach(), rf, KlKind::K3, true);
                        kl_sum += (k3 * mask).sum().into_scalar() as f64;
                    }
                }
                let model = policy.model.clone();
                let (model, stats) = policy.optim.step(model, &store, &policy.plan)?;
                policy.model = model;
                last = Some(stats);
            }
        }
        let t_update = t2.elapsed().as_secs_f64();
        let n = rewards.len() as f64;
        let mean = rewards.iter().sum::<f64>() / n;
        let stats = last.context("no optimizer step was taken")?;
        Ok(StepMetrics {
            step,
            reward_mean: mean,
            reward_std: (rewards.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt(),
            accuracy: rewards.iter().filter(|&&r| r >= 1.0).count() as f64 / n,
            kl: kl_sum / tokens.max(1.0),
            clip_frac: clipped / tokens.max(1.0),
            entropy: ent_sum / tokens.max(1.0),
            response_len: rollouts.iter().map(|r| r.tokens.len() as f64).sum::<f64>() / n,
            truncated_frac: rollouts.iter().filter(|r| !r.finished).count() as f64 / n,
            grad_norm: stats.grad_norm,
            lr: stats.lr,
            weight_change: policy.weight_change(),
            t_rollout,
            t_logprob,
            t_update,
        })
    }
}
