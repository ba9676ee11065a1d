//! The policy being trained: the model on the autodiff backend, its plan, its optimizer, and the
//! initial values of the parameters that train (the reference policy and the weight-change
//! baseline; for a single-layer plan that is one layer's weights, not a second model).

use super::optim::{AdamW, AdamWConfig, GradStore, StepStats};
use super::plan::{apply_plan, TrainingPlan};
use crate::backend::{Compute, Train};
use crate::model::load::{hf_name, layer_of};
use crate::model::Qwen;
use anyhow::Result;
use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use std::collections::BTreeMap;

/// Flattened copies of parameters keyed by HF name.
pub type Snapshot = BTreeMap<String, Tensor<Compute, 1>>;

struct Snap<'a> {
    plan: Option<&'a TrainingPlan>,
    out: Snapshot,
    path: Vec<String>,
}

impl ModuleVisitor<Compute> for Snap<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<Compute, D>>) {
        let name = hf_name(&self.path);
        if self.plan.is_some_and(|p| p.multiplier(&name) <= 0.0) {
            return;
        }
        let t = param.val();
        let n = t.shape().num_elements();
        self.out.insert(name, t.reshape([n]));
    }
}

/// Copies of the parameters of `model` (only those `plan` trains, when given).
pub fn snapshot(model: &Qwen<Compute>, plan: Option<&TrainingPlan>) -> Snapshot {
    let mut s = Snap {
        plan,
        out: BTreeMap::new(),
        path: vec![],
    };
    model.visit(&mut s);
    s.out
}

/// Replaces parameters named in a snapshot by the snapshot's values.
struct Restore<'a> {
    snap: &'a Snapshot,
    path: Vec<String>,
}

impl ModuleMapper<Compute> for Restore<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(
        &mut self,
        param: Param<Tensor<Compute, D>>,
    ) -> Param<Tensor<Compute, D>> {
        match self.snap.get(&hf_name(&self.path)) {
            Some(v) => param.map(|t| v.clone().reshape(t.dims())),
            None => param,
        }
    }
}

/// `model` with the snapshot's parameters put back (shares every other tensor).
pub fn with_snapshot(model: Qwen<Compute>, snap: &Snapshot) -> Qwen<Compute> {
    model.map(&mut Restore { snap, path: vec![] })
}

/// L2 norm of the change of each decoder layer between `base` and `now` (HF-named snapshots);
/// parameters missing from `base` count as unchanged.
pub fn layer_change_norms(base: &Snapshot, now: &Snapshot, num_layers: usize) -> Vec<f64> {
    let mut sq = vec![0.0; num_layers];
    for (name, b) in base {
        let (Some(l), Some(n)) = (layer_of(name), now.get(name)) else {
            continue;
        };
        if l < num_layers {
            sq[l] += (n.clone() - b.clone())
                .powi_scalar(2)
                .sum()
                .into_scalar()
                .elem::<f64>();
        }
    }
    sq.into_iter().map(f64::sqrt).collect()
}

/// A model under training.
pub struct Policy {
    /// Parameters on the autodiff backend; frozen ones do not require grad.
    pub model: Qwen<Train>,
    /// What trains, at which lr multiplier.
    pub plan: TrainingPlan,
    /// Optimizer state for trained parameters only.
    pub optim: AdamW<Compute>,
    /// Initial values of the trained parameters.
    pub initial: Snapshot,
}

impl Policy {
    /// Wraps `model` for training under `plan`.
    pub fn new(model: Qwen<Compute>, plan: TrainingPlan, optim: AdamWConfig) -> Result<Self> {
        let initial = snapshot(&model, Some(&plan));
        let model = apply_plan(Qwen::<Train>::from_inner(model), &plan)?;
        Ok(Self {
            model,
            plan,
            optim: AdamW::new(optim)?,
            initial,
        })
    }

    /// One optimizer step with accumulated gradients `grads` (the one update path of GRPO, SFT
    /// and the benchmarks): AdamW under the plan's per-layer learning rates, then the new
    /// weights replace the old.
    pub fn apply(&mut self, grads: &GradStore<Compute>) -> Result<StepStats> {
        let (model, stats) = self.optim.step(self.model.clone(), grads, &self.plan)?;
        self.model = model;
        Ok(stats)
    }

    /// The current weights without autodiff (rollouts, evaluation, saving).
    pub fn current(&self) -> Qwen<Compute> {
        self.model.valid()
    }

    /// The reference policy: current frozen weights plus the initial values of trained ones.
    pub fn reference(&self) -> Qwen<Compute> {
        with_snapshot(self.current(), &self.initial)
    }

    /// Per-layer L2 norm of the change since training started.
    pub fn weight_change(&self) -> Vec<f64> {
        let now = snapshot(&self.current(), Some(&self.plan));
        layer_change_norms(&self.initial, &now, self.model.num_layers())
    }
}
