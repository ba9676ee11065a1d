//! AdamW with per-parameter learning-rate multipliers, global grad-norm clipping and lr schedules.
//!
//! Written against PyTorch's `torch.optim.AdamW` (decoupled weight decay, bias correction, eps
//! outside the square root) rather than burn's optimizer because layer-wise RL needs three things
//! burn 0.21 lacks in one place: a learning rate per layer group, clipping of the *global* gradient
//! norm (burn clips per tensor), and state keyed by HF parameter name so a checkpoint resumes
//! across processes. State exists only for parameters that train.

use super::plan::TrainingPlan;
use crate::model::load::hf_name;
use crate::model::Qwen;
use anyhow::{bail, Result};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Learning-rate schedule over optimizer steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Base lr throughout (after warm-up, if any).
    Constant,
    /// Linear warm-up then cosine decay to `min_lr_ratio` × lr at `total_steps`.
    Cosine,
}

/// AdamW hyper-parameters (PyTorch defaults except lr, which the paper sets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamWConfig {
    /// Base learning rate.
    pub lr: f64,
    /// β1.
    pub beta1: f64,
    /// β2.
    pub beta2: f64,
    /// ε (added to √v̂).
    pub eps: f64,
    /// Decoupled weight decay (applied to trained parameters only).
    pub weight_decay: f64,
    /// Clip the global gradient L2 norm to this (0 = off).
    pub max_grad_norm: f64,
    /// Schedule.
    pub schedule: Schedule,
    /// Linear warm-up steps from 0.
    pub warmup_steps: u64,
    /// Steps of the run (for cosine).
    pub total_steps: u64,
    /// Cosine floor as a fraction of lr.
    pub min_lr_ratio: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            lr: 1e-6,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
            max_grad_norm: 1.0,
            schedule: Schedule::Constant,
            warmup_steps: 0,
            total_steps: 0,
            min_lr_ratio: 0.0,
        }
    }
}

impl AdamWConfig {
    /// Learning rate at optimizer step `step` (0-based).
    pub fn lr_at(&self, step: u64) -> f64 {
        if step < self.warmup_steps {
            return self.lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        match self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Cosine => {
                let span = self.total_steps.saturating_sub(self.warmup_steps).max(1) as f64;
                let progress = ((step - self.warmup_steps) as f64 / span).min(1.0);
                let floor = self.min_lr_ratio * self.lr;
                floor + (self.lr - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }
}

/// Gradients accumulated over micro-batches, flattened, keyed by HF name.
pub struct GradStore<B: Backend> {
    /// name -> flattened gradient.
    pub grads: BTreeMap<String, Tensor<B, 1>>,
}

impl<B: Backend> Default for GradStore<B> {
    fn default() -> Self {
        Self {
            grads: BTreeMap::new(),
        }
    }
}

impl<B: Backend> GradStore<B> {
    /// Global L2 norm of all stored gradients.
    pub fn norm(&self) -> f64 {
        self.grads
            .values()
            .map(|g| g.clone().powi_scalar(2).sum().into_scalar().elem::<f64>())
            .sum::<f64>()
            .sqrt()
    }

    /// L2 norm over the gradients whose names start with `prefix` (e.g. `model.layers.1.`).
    pub fn norm_of(&self, prefix: &str) -> f64 {
        self.grads
            .iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(_, g)| g.clone().powi_scalar(2).sum().into_scalar().elem::<f64>())
            .sum::<f64>()
            .sqrt()
    }
}

struct Collect<'a, AB: AutodiffBackend> {
    grads: &'a AB::Gradients,
    store: &'a mut GradStore<AB::InnerBackend>,
    path: Vec<String>,
}

impl<AB: AutodiffBackend> ModuleVisitor<AB> for Collect<'_, AB> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<AB, D>>) {
        let Some(g) = param.val().grad(self.grads) else {
            return;
        };
        let n = g.shape().num_elements();
        let g = g.reshape([n]);
        let name = hf_name(&self.path);
        let sum = match self.store.grads.remove(&name) {
            Some(prev) => prev + g,
            None => g,
        };
        self.store.grads.insert(name, sum);
    }
}

/// Adds the gradients of `model`'s trainable parameters from one backward pass to `store`.
pub fn accumulate<AB: AutodiffBackend>(
    model: &Qwen<AB>,
    grads: &AB::Gradients,
    store: &mut GradStore<AB::InnerBackend>,
) {
    model.visit(&mut Collect::<AB> {
        grads,
        store,
        path: vec![],
    });
}

/// AdamW moments of one parameter.
#[derive(Clone)]
pub struct Moments<B: Backend> {
    /// First moment (exp_avg), flattened.
    pub m: Tensor<B, 1>,
    /// Second moment (exp_avg_sq), flattened.
    pub v: Tensor<B, 1>,
}

/// Optimizer state: moments per trained parameter and the step count.
pub struct AdamW<B: Backend> {
    /// Hyper-parameters.
    pub config: AdamWConfig,
    /// Moments keyed by HF name.
    pub state: BTreeMap<String, Moments<B>>,
    /// Optimizer steps taken.
    pub step: u64,
}

/// What one optimizer step did.
#[derive(Debug, Clone, Serialize)]
pub struct StepStats {
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Base learning rate used.
    pub lr: f64,
}

struct Update<'a, B: Backend> {
    opt: &'a mut AdamW<B>,
    grads: &'a BTreeMap<String, Tensor<B, 1>>,
    plan: &'a TrainingPlan,
    lr: f64,
    clip: f64,
    path: Vec<String>,
}

impl<AB: AutodiffBackend> ModuleMapper<AB> for Update<'_, AB::InnerBackend> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<AB, D>>) -> Param<Tensor<AB, D>> {
        let name = hf_name(&self.path);
        let mult = self.plan.multiplier(&name);
        let Some(g) = self.grads.get(&name) else {
            return param;
        };
        if mult <= 0.0 {
            return param;
        }
        let c = &self.opt.config;
        let (b1, b2, t) = (c.beta1, c.beta2, self.opt.step as i32 + 1);
        let lr = self.lr * mult;
        let g = g.clone() * self.clip;
        let st = self.opt.state.remove(&name).unwrap_or_else(|| Moments {
            m: g.zeros_like(),
            v: g.zeros_like(),
        });
        let m = st.m * b1 + g.clone() * (1.0 - b1);
        let v = st.v * b2 + g.powi_scalar(2) * (1.0 - b2);
        let (bc1, bc2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        let (wd, eps) = (c.weight_decay, c.eps);
        self.opt.state.insert(
            name,
            Moments {
                m: m.clone(),
                v: v.clone(),
            },
        );
        param.map(|p| {
            let dims = p.dims();
            let flat = p.inner().reshape([dims.iter().product::<usize>()]);
            let decayed = flat * (1.0 - lr * wd);
            let denom = (v / bc2).sqrt() + eps;
            let new = decayed - (m / bc1) / denom * lr;
            Tensor::from_inner(new.reshape(dims)).require_grad()
        })
    }
}

impl<B: Backend> AdamW<B> {
    /// A fresh optimizer.
    pub fn new(config: AdamWConfig) -> Result<Self> {
        if !(config.lr.is_finite() && config.lr >= 0.0) {
            bail!("lr must be a finite number ≥ 0, got {}", config.lr);
        }
        Ok(Self {
            config,
            state: BTreeMap::new(),
            step: 0,
        })
    }

    /// One AdamW step over the accumulated gradients; frozen parameters are returned untouched.
    pub fn step<AB: AutodiffBackend<InnerBackend = B>>(
        &mut self,
        model: Qwen<AB>,
        store: &GradStore<B>,
        plan: &TrainingPlan,
    ) -> Result<(Qwen<AB>, StepStats)> {
        let grad_norm = store.norm();
        if !grad_norm.is_finite() {
            bail!("gradient norm is {grad_norm} at optimizer step {}: refusing to update (check rewards and learning rate)", self.step);
        }
        let max = self.config.max_grad_norm;
        // torch.nn.utils.clip_grad_norm_: coef = max / (norm + 1e-6), applied only when < 1.
        let clip = if max > 0.0 {
            (max / (grad_norm + 1e-6)).min(1.0)
        } else {
            1.0
        };
        let lr = self.config.lr_at(self.step);
        let model = model.map(&mut Update {
            opt: self,
            grads: &store.grads,
            plan,
            lr,
            clip,
            path: vec![],
        });
        self.step += 1;
        Ok((model, StepStats { grad_norm, lr }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        let c = AdamWConfig {
            lr: 1.0,
            warmup_steps: 2,
            total_steps: 12,
            schedule: Schedule::Cosine,
            min_lr_ratio: 0.1,
            ..Default::default()
        };
        assert_eq!(c.lr_at(0), 0.5);
        assert_eq!(c.lr_at(1), 1.0);
        assert!((c.lr_at(2) - 1.0).abs() < 1e-12);
        assert!((c.lr_at(7) - 0.55).abs() < 1e-12); // halfway: 0.1 + 0.9 * 0.5
        assert!((c.lr_at(12) - 0.1).abs() < 1e-12);
        assert_eq!(
            AdamWConfig {
                lr: 2.0,
                ..Default::default()
            }
            .lr_at(100),
            2.0
        );
    }
}
