//! The training plan: which parameters train and each one's learning-rate multiplier.
//!
//! The paper's settings are plans: "layer l only" (one multiplier 1, the rest 0), "Only B5" (the
//! five best layers), "Boost B10" (all layers train, the ten best at a higher multiplier), "middle
//! k", and full fine-tuning. A multiplier of 0 means frozen: no gradient, no optimizer state, no
//! weight decay, bit-identical weights.

use crate::model::load::{hf_name, layer_of};
use crate::model::Qwen;
use anyhow::{bail, Result};
use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

/// Learning-rate multiplier per parameter group (base lr × multiplier; 0 = frozen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingPlan {
    /// One multiplier per decoder layer.
    pub layers: Vec<f64>,
    /// Token embeddings (also the output matrix of tied models).
    pub embeddings: f64,
    /// Final RMSNorm.
    pub final_norm: f64,
    /// Untied lm_head.
    pub lm_head: f64,
}

impl TrainingPlan {
    /// Everything frozen.
    pub fn frozen(num_layers: usize) -> Self {
        Self {
            layers: vec![0.0; num_layers],
            embeddings: 0.0,
            final_norm: 0.0,
            lm_head: 0.0,
        }
    }

    /// Full-parameter training at the base learning rate.
    pub fn full(num_layers: usize) -> Self {
        Self {
            layers: vec![1.0; num_layers],
            embeddings: 1.0,
            final_norm: 1.0,
            lm_head: 1.0,
        }
    }

    /// Only the given decoder layers train (multiplier 1).
    pub fn only(num_layers: usize, layers: &[usize]) -> Result<Self> {
        let mut p = Self::frozen(num_layers);
        for &l in layers {
            p.check_layer(l)?;
            p.layers[l] = 1.0;
        }
        Ok(p)
    }

    /// Fails with a sentence when `l` is not a layer index.
    pub fn check_layer(&self, l: usize) -> Result<()> {
        let n = self.layers.len();
        if l >= n {
            bail!(
                "layer {l} out of range: model has {n} layers (0..={})",
                n.saturating_sub(1)
            );
        }
        Ok(())
    }

    /// Sets layer `l`'s multiplier.
    pub fn set_layer(&mut self, l: usize, mult: f64) -> Result<()> {
        self.check_layer(l)?;
        if !(mult.is_finite() && mult >= 0.0) {
            bail!("learning-rate multiplier for layer {l} must be a finite number ≥ 0, got {mult}");
        }
        self.layers[l] = mult;
        Ok(())
    }

    /// Boost: the given layers get `mult`, every other trained layer keeps its multiplier.
    pub fn boost(&mut self, layers: &[usize], mult: f64) -> Result<()> {
        layers.iter().try_for_each(|&l| self.set_layer(l, mult))
    }

    /// Multiplier of the parameter with this HF name.
    pub fn multiplier(&self, name: &str) -> f64 {
        match layer_of(name) {
            Some(l) => self.layers.get(l).copied().unwrap_or(0.0),
            None if name == "model.embed_tokens.weight" => self.embeddings,
            None if name == "model.norm.weight" => self.final_norm,
            None if name.starts_with("lm_head") => self.lm_head,
            None => 0.0,
        }
    }

    /// Indices of decoder layers that train.
    pub fn trained_layers(&self) -> Vec<usize> {
        (0..self.layers.len())
            .filter(|&l| self.layers[l] > 0.0)
            .collect()
    }

    /// True when nothing trains.
    pub fn is_frozen(&self) -> bool {
        self.trained_layers().is_empty()
            && self.embeddings == 0.0
            && self.final_norm == 0.0
            && self.lm_head == 0.0
    }

    /// One line for logs: `layers 11..=15 ×1, 3 ×5.0`.
    pub fn describe(&self) -> String {
        if self.is_frozen() {
            return "frozen".into();
        }
        let mut parts = Vec::new();
        let mut l = 0;
        while l < self.layers.len() {
            let m = self.layers[l];
            let start = l;
            while l + 1 < self.layers.len() && self.layers[l + 1] == m {
                l += 1;
            }
            if m > 0.0 {
                let range = if start == l {
                    format!("{l}")
                } else {
                    format!("{start}..={l}")
                };
                parts.push(format!("layer {range} ×{m}"));
            }
            l += 1;
        }
        for (what, m) in [
            ("embeddings", self.embeddings),
            ("final norm", self.final_norm),
            ("lm_head", self.lm_head),
        ] {
            if m > 0.0 {
                parts.push(format!("{what} ×{m}"));
            }
        }
        parts.join(", ")
    }
}

/// Sets `require_grad` on every parameter by the plan (multiplier > 0).
struct RequireGrad<'a> {
    plan: &'a TrainingPlan,
    path: Vec<String>,
}

impl<B: AutodiffBackend> ModuleMapper<B> for RequireGrad<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let trains = self.plan.multiplier(&hf_name(&self.path)) > 0.0;
        param.map(|t| {
            if trains {
                t.require_grad()
            } else {
                t.set_require_grad(false)
            }
        })
    }
}

/// Marks the model's parameters trainable or frozen according to `plan`.
pub fn apply_plan<B: AutodiffBackend>(model: Qwen<B>, plan: &TrainingPlan) -> Result<Qwen<B>> {
    if plan.layers.len() != model.num_layers() {
        bail!(
            "plan covers {} layers but the model has {}",
            plan.layers.len(),
            model.num_layers()
        );
    }
    Ok(model.map(&mut RequireGrad { plan, path: vec![] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_read_like_the_paper() {
        let mut p = TrainingPlan::only(28, &[11, 12, 13, 14, 15]).unwrap();
        assert_eq!(p.describe(), "layer 11..=15 ×1");
        assert_eq!(p.multiplier("model.layers.12.mlp.up_proj.weight"), 1.0);
        assert_eq!(p.multiplier("model.layers.10.mlp.up_proj.weight"), 0.0);
        assert_eq!(p.multiplier("model.embed_tokens.weight"), 0.0);
        p.boost(&[3], 5.0).unwrap();
        assert_eq!(p.trained_layers(), vec![3, 11, 12, 13, 14, 15]);
        let e = TrainingPlan::only(28, &[31]).unwrap_err().to_string();
        assert_eq!(e, "layer 31 out of range: model has 28 layers (0..=27)");
        assert!(p.set_layer(2, f64::NAN).is_err());
        assert_eq!(
            TrainingPlan::full(2).describe(),
            "layer 0..=1 ×1, embeddings ×1, final norm ×1, lm_head ×1"
        );
    }
}
