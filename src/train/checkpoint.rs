//! Checkpoints of a run: only the trained parameters, their initial values (the reference policy),
//! the optimizer moments and the step — enough to resume exactly; frozen weights come from the
//! base model folder, which is not copied. `export_hf` writes a full HF folder instead.

use super::optim::Moments;
use super::plan::TrainingPlan;
use super::policy::{snapshot, with_snapshot, Policy, Snapshot};
use crate::backend::{Compute, Device};
use crate::files::write_atomic;
use crate::model::Qwen;
use anyhow::{bail, Context, Result};
use burn::prelude::*;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// `state.json` of a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointState {
    /// Rollout steps completed (the next step to run).
    pub step: usize,
    /// Optimizer steps taken.
    pub optimizer_step: u64,
    /// The plan the run trains under.
    pub plan: TrainingPlan,
    /// Free-form run settings (the trainer's config), for the record.
    pub config: serde_json::Value,
}

fn write_tensors(path: &Path, tensors: &BTreeMap<String, Tensor<Compute, 1>>) -> Result<()> {
    let host: Vec<(String, Vec<u8>, usize)> = tensors
        .iter()
        .map(|(n, t)| {
            let v = t
                .to_data()
                .convert::<f32>()
                .to_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("{n}: {e:?}"))?;
            Ok((
                n.clone(),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                v.len(),
            ))
        })
        .collect::<Result<_>>()?;
    let views = host
        .iter()
        .map(|(n, b, len)| {
            safetensors::tensor::TensorView::new(Dtype::F32, vec![*len], b).map(|v| (n.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = safetensors::serialize(views, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    write_atomic(path, &bytes)
}

fn read_tensors(path: &Path, dev: &Device) -> Result<BTreeMap<String, Tensor<Compute, 1>>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| anyhow::anyhow!("{} is not a valid safetensors file: {e}", path.display()))?;
    st.tensors()
        .into_iter()
        .map(|(n, v)| {
            if v.dtype() != Dtype::F32 {
                bail!(
                    "{}: tensor `{n}` is {:?}, expected F32",
                    path.display(),
                    v.dtype()
                );
            }
            let data: Vec<f32> = v
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let len = data.len();
            Ok((n, Tensor::from_data(TensorData::new(data, [len]), dev)))
        })
        .collect()
}

/// Writes `dir/{trained,initial,optimizer}.safetensors` and `dir/state.json`. Files appear
/// atomically, `state.json` last, so a checkpoint interrupted mid-write is never taken as whole.
pub fn save(policy: &Policy, step: usize, config: serde_json::Value, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_tensors(
        &dir.join("trained.safetensors"),
        &snapshot(&policy.current(), Some(&policy.plan)),
    )?;
    write_tensors(&dir.join("initial.safetensors"), &policy.initial)?;
    let mut moments = BTreeMap::new();
    for (n, m) in &policy.optim.state {
        moments.insert(format!("exp_avg.{n}"), m.m.clone());
        moments.insert(format!("exp_avg_sq.{n}"), m.v.clone());
    }
    write_tensors(&dir.join("optimizer.safetensors"), &moments)?;
    let state = CheckpointState {
        step,
        optimizer_step: policy.optim.step,
        plan: policy.plan.clone(),
        config,
    };
    write_atomic(
        &dir.join("state.json"),
        serde_json::to_string_pretty(&state)?.as_bytes(),
    )
}

/// Rebuilds a policy from `base` (the model the run started from, frozen weights included) and a
/// checkpoint directory; returns it with the checkpoint's state.
pub fn load(
    base: Qwen<Compute>,
    optim: super::optim::AdamWConfig,
    dir: &Path,
) -> Result<(Policy, CheckpointState)> {
    let state_path = dir.join("state.json");
    let state: CheckpointState =
        serde_json::from_str(&std::fs::read_to_string(&state_path).with_context(|| {
            format!(
                "{} is not a complete checkpoint (no state.json)",
                dir.display()
            )
        })?)
        .with_context(|| format!("{} is malformed", state_path.display()))?;
    let dev = base.embed_tokens.val().device();
    let trained = read_tensors(&dir.join("trained.safetensors"), &dev)?;
    let initial = read_tensors(&dir.join("initial.safetensors"), &dev)?;
    check_names(&base, &trained, "trained.safetensors")?;
    let model = with_snapshot(base, &trained);
    let mut policy = Policy::new(model, state.plan.clone(), optim)?;
    policy.initial = initial;
    policy.optim.step = state.optimizer_step;
    let mut moments = read_tensors(&dir.join("optimizer.safetensors"), &dev)?;
    for name in trained.keys() {
        if let (Some(m), Some(v)) = (
            moments.remove(&format!("exp_avg.{name}")),
            moments.remove(&format!("exp_avg_sq.{name}")),
        ) {
            policy.optim.state.insert(name.clone(), Moments { m, v });
        }
    }
    Ok((policy, state))
}

/// Every tensor of a checkpoint must exist in the model with the same number of elements.
fn check_names(model: &Qwen<Compute>, tensors: &Snapshot, file: &str) -> Result<()> {
    let have = snapshot(model, None);
    let mut problems = Vec::new();
    for (n, t) in tensors {
        match have.get(n) {
            None => problems.push(format!("`{n}` is not a parameter of the base model")),
            Some(h) if h.dims() != t.dims() => problems.push(format!(
                "`{n}`: {} values in the checkpoint, {} in the model",
                t.dims()[0],
                h.dims()[0]
            )),
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!(
            "{file} does not fit the base model:\n  {}",
            problems.join("\n  ")
        )
    }
}
