//! One GRPO step (and Dr. GRPO through its options): rollout → reward → advantage → old and
//! reference log-probs → mini-batch losses → optimizer steps.
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

use super::advantage::group_advantages;
use super::config::GrpoConfig;
use super::loss::{aggregate, grpo_token_loss, ClipConfig, KlTerm};
use super::optim::{accumulate, GradStore, StepStats};
use super::policy::Policy;
use crate::backend::{Compute, Train};
use crate::model::generate::{generate, GenerateOptions};
use crate::model::logprobs::{token_logprobs_with_entropy, PackedBatch};
use crate::model::Qwen;
use anyhow::{bail, Context, Result};
use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Instant;

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
    /// Mean per-token KL term to the reference (the configured estimator, × ratio when
    /// `kl_ratio_weighted`, as TRL logs it), 0 when β = 0.
    pub kl: f64,
    /// Fraction of tokens whose clip was active (TRL's `clip_ratio/region_mean`).
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

/// One rollout: which prompt, the response tokens, reward and advantage.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    /// Index into [`Rollouts::prompts`].
    pub prompt: usize,
    /// Response token ids.
    pub tokens: Vec<u32>,
    /// Ended by a stop id (not cut by the length limit).
    pub finished: bool,
    /// Scalar outcome reward.
    pub reward: f64,
    /// Advantage, broadcast to every token of the response.
    pub adv: f64,
}

/// A rollout batch: the prompts and `group` rollouts of each, prompt-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollouts {
    /// Prompt token ids.
    pub prompts: Vec<Vec<u32>>,
    /// The rollouts.
    pub items: Vec<Rollout>,
}

impl Rollouts {
    /// The rows `r` packed for a forward pass (prompt left-padded, response right-padded).
    pub fn pack(&self, r: &Range<usize>) -> Result<PackedBatch> {
        let items = &self.items[r.clone()];
        let p: Vec<Vec<u32>> = items
            .iter()
            .map(|x| self.prompts[x.prompt].clone())
            .collect();
        let c: Vec<Vec<u32>> = items.iter().map(|x| x.tokens.clone()).collect();
        PackedBatch::new(&p, &c, 0)
    }
}

/// Per-rollout log-probs of the old policy (`None`: on-policy, the detached current ones) and
/// of the reference (`None`: no KL term).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Old-policy token log-probs, one row per rollout.
    pub old: Option<Vec<Vec<f32>>>,
    /// Reference token log-probs, one row per rollout.
    pub reference: Option<Vec<Vec<f32>>>,
}

/// Sums of per-token quantities over the update, for the step's metrics. Clip counts follow
/// TRL's `clip_ratio/region_mean` and veRL's `pg_clipfrac`: a token counts only where the clip
/// is active (ratio below 1 − ε_low with A < 0, or above 1 + ε_high with A > 0).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UpdateSums {
    /// Response tokens seen.
    pub tokens: f64,
    /// Σ entropy.
    pub entropy: f64,
    /// Σ of the per-token KL term (the configured estimator, unclamped, × ratio when
    /// `kl_ratio_weighted`: what TRL logs as `kl`).
    pub kl: f64,
    /// Tokens whose clip was active.
    pub clipped: f64,
    /// Σ of the micro-batch losses (the mini-batch loss that was back-propagated).
    pub loss: f64,
}

impl UpdateSums {
    /// `x / tokens`, 0 when no token was seen.
    fn per_token(&self, x: f64) -> f64 {
        x / self.tokens.max(1.0)
    }
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

    /// One rollout step and its optimizer updates:
    /// rollout → reward → advantage → old/ref log-probs → (epochs × mini-batches) loss → step.
    pub fn step(
        &self,
        policy: &mut Policy,
        step: usize,
        reward: &mut dyn FnMut(&str, &str, bool) -> Result<f64>,
    ) -> Result<StepMetrics> {
        self.cfg.validate()?;
        if self.problems.is_empty() {
            bail!("no training problems");
        }
        let t0 = Instant::now();
        let batch = self.rollout(&policy.current(), step, reward)?;
        let t_rollout = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        let targets = self.old_and_ref_logprobs(policy, &batch)?;
        let t_logprob = t1.elapsed().as_secs_f64();

        let t2 = Instant::now();
        let mut sums = UpdateSums::default();
        let mut last = None;
        for _epoch in 0..self.cfg.epochs {
            for mini in self.minibatches(batch.items.len()) {
                let grads =
                    self.minibatch_grads(&policy.model, &batch, &mini, &targets, &mut sums)?;
                last = Some(policy.apply(&grads)?);
            }
        }
        let stats = last.context("no optimizer step was taken")?;
        let t_update = t2.elapsed().as_secs_f64();
        Ok(StepMetrics::new(
            step,
            &batch,
            &sums,
            &stats,
            policy.weight_change(),
            [t_rollout, t_logprob, t_update],
        ))
    }

    /// Samples `group` responses for each problem of rollout step `step` from `model`, scores
    /// them and computes their group advantages.
    pub fn rollout(
        &self,
        model: &Qwen<Compute>,
        step: usize,
        reward: &mut dyn FnMut(&str, &str, bool) -> Result<f64>,
    ) -> Result<Rollouts> {
        let cfg = &self.cfg;
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
        let mut items = Vec::with_capacity(prompts.len() * cfg.group);
        for c in generate(model, &prompts, &opts, None)? {
            let text = (self.decode)(&c.tokens);
            let problem = idx[c.prompt_index];
            let mut r =
                reward(&text, &self.problems[problem].answer, c.finished).with_context(|| {
                    format!("reward of prompt {} (problem {problem})", c.prompt_index)
                })?;
            if cfg.truncated_reward_zero && !c.finished {
                r = 0.0;
            }
            items.push(Rollout {
                prompt: c.prompt_index,
                tokens: c.tokens,
                finished: c.finished,
                reward: r,
                adv: 0.0,
            });
        }
        let rewards: Vec<f64> = items.iter().map(|r| r.reward).collect();
        let adv = group_advantages(&rewards, cfg.group, cfg.adv_norm, cfg.adv_eps)?;
        for (r, a) in items.iter_mut().zip(adv) {
            r.adv = a;
        }
        Ok(Rollouts { prompts, items })
    }

    /// Row ranges of the micro-batches, `micro_batch` rollouts each.
    fn micro_rows(&self, n: usize) -> Vec<Range<usize>> {
        let m = self.cfg.micro_batch;
        (0..n).step_by(m).map(|s| s..(s + m).min(n)).collect()
    }

    /// The micro-batches of each mini-batch (`mini_batch` prompts × `group` rollouts).
    pub fn minibatches(&self, n: usize) -> Vec<Vec<Range<usize>>> {
        let per_mini = (self.cfg.mini_batch * self.cfg.group).div_ceil(self.cfg.micro_batch);
        self.micro_rows(n)
            .chunks(per_mini)
            .map(<[_]>::to_vec)
            .collect()
    }

    /// Old log-probs (unless the step is on-policy: 1 epoch, 1 mini-batch, where they are the
    /// detached current ones) and reference log-probs (when β ≠ 0), once per rollout batch.
    pub fn old_and_ref_logprobs(&self, policy: &Policy, batch: &Rollouts) -> Result<Targets> {
        let cfg = &self.cfg;
        let per_rollout = |m: &Qwen<Compute>| -> Result<Vec<Vec<f32>>> {
            let mut rows = Vec::with_capacity(batch.items.len());
            for r in self.micro_rows(batch.items.len()) {
                rows.extend(host2(
                    token_logprobs_with_entropy(m, &batch.pack(&r)?, 1.0).0,
                )?);
            }
            Ok(rows)
        };
        let on_policy = cfg.epochs == 1 && cfg.mini_batch == cfg.train_batch;
        Ok(Targets {
            old: if on_policy {
                None
            } else {
                Some(per_rollout(&policy.current())?)
            },
            reference: if cfg.kl_coef != 0.0 {
                Some(per_rollout(&policy.reference())?)
            } else {
                None
            },
        })
    }

    /// Loss and accumulated gradients of one mini-batch (its micro-batches `mini`) under the
    /// configured clip, KL and aggregation; adds its token statistics to `sums`.
    pub fn minibatch_grads(
        &self,
        model: &Qwen<Train>,
        batch: &Rollouts,
        mini: &[Range<usize>],
        targets: &Targets,
        sums: &mut UpdateSums,
    ) -> Result<GradStore<Compute>> {
        let cfg = &self.cfg;
        let agg = cfg.loss_agg.resolve(cfg.max_response_len);
        let clip = ClipConfig {
            eps_low: cfg.clip_low,
            eps_high: cfg.clip_high,
            dual_clip: (cfg.dual_clip > 0.0).then_some(cfg.dual_clip),
        };
        let kl = match cfg.kl_coef {
            0.0 => None,
            coef => Some(KlTerm {
                coef,
                kind: cfg.kl_type,
                clamp: true,
                ratio_weighted: cfg.kl_ratio_weighted,
            }),
        };
        let dev = model.embed_tokens.val().device();
        let batch_tokens: f64 = mini
            .iter()
            .flat_map(|r| &batch.items[r.clone()])
            .map(|x| x.tokens.len() as f64)
            .sum();
        let mut store = GradStore::default();
        for r in mini {
            let packed = batch.pack(r)?;
            let c = packed.completion_len;
            if c == 0 {
                continue;
            }
            let rows = |m: &Vec<Vec<f32>>| rows_tensor(&m[r.clone()], c, &dev);
            let mask_rows: Vec<Vec<f32>> = packed
                .completion_mask
                .iter()
                .map(|m| m.iter().map(|&x| x as f32).collect())
                .collect();
            let mask = rows_tensor(&mask_rows, c, &dev);
            let adv_rows: Vec<f32> = batch.items[r.clone()]
                .iter()
                .map(|x| x.adv as f32)
                .collect();
            let adv = Tensor::<Train, 1>::from_data(TensorData::new(adv_rows, [r.len()]), &dev);
            let (logp, entropy) = token_logprobs_with_entropy(model, &packed, 1.0);
            let old = targets
                .old
                .as_ref()
                .map_or_else(|| logp.clone().detach(), rows);
            let reference = targets.reference.as_ref().map(rows);
            let (tok_loss, ratio) = grpo_token_loss(
                logp.clone(),
                old,
                reference.clone(),
                adv.clone(),
                &clip,
                kl.as_ref(),
            );
            let loss = aggregate(tok_loss, mask.clone(), agg, mini.len(), batch_tokens);
            sums.loss += loss.clone().into_scalar() as f64;
            accumulate(model, &loss.backward(), &mut store);

            // Metrics, from detached values.
            let scalar = |t: Tensor<Train, 2>| (t * mask.clone()).sum().into_scalar() as f64;
            sums.tokens += mask.clone().sum().into_scalar() as f64;
            sums.entropy += scalar(entropy.detach());
            let ratio = ratio.detach();
            let a = adv.unsqueeze_dim::<2>(1).expand([r.len(), c]);
            let low = ratio
                .clone()
                .lower_elem(1.0 - clip.eps_low)
                .bool_and(a.clone().lower_elem(0.0));
            let high = ratio
                .clone()
                .greater_elem(1.0 + clip.eps_high)
                .bool_and(a.greater_elem(0.0));
            sums.clipped += scalar(low.bool_or(high).float());
            if let (Some(rf), Some(k)) = (reference, &kl) {
                // Masked before the estimator, so padding cannot overflow an unclamped k3.
                let term = super::loss::kl_penalty(
                    logp.detach() * mask.clone(),
                    rf * mask.clone(),
                    k.kind,
                    false,
                );
                sums.kl += scalar(if k.ratio_weighted { term * ratio } else { term });
            }
        }
        Ok(store)
    }
}

impl StepMetrics {
    /// The metrics of rollout step `step` from its batch, update sums and last optimizer step;
    /// `t` = rollout, log-prob and update seconds.
    fn new(
        step: usize,
        batch: &Rollouts,
        sums: &UpdateSums,
        stats: &StepStats,
        weight_change: Vec<f64>,
        t: [f64; 3],
    ) -> Self {
        let rewards: Vec<f64> = batch.items.iter().map(|r| r.reward).collect();
        let n = rewards.len() as f64;
        let mean = rewards.iter().sum::<f64>() / n;
        StepMetrics {
            step,
            reward_mean: mean,
            reward_std: (rewards.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt(),
            accuracy: rewards.iter().filter(|&&r| r >= 1.0).count() as f64 / n,
            kl: sums.per_token(sums.kl),
            clip_frac: sums.per_token(sums.clipped),
            entropy: sums.per_token(sums.entropy),
            response_len: batch
                .items
                .iter()
                .map(|r| r.tokens.len() as f64)
                .sum::<f64>()
                / n,
            truncated_frac: batch.items.iter().filter(|r| !r.finished).count() as f64 / n,
            grad_norm: stats.grad_norm,
            lr: stats.lr,
            weight_change,
            t_rollout: t[0],
            t_logprob: t[1],
            t_update: t[2],
        }
    }
}
