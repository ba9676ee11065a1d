//! The GRPO loop: [`train_grpo`] runs [`GrpoTrainer::step`] (in `step.rs`) `cfg.steps` times with
//! its run directory — metrics appended every step, a checkpoint every `save_every` steps and at
//! the end, and resumption from that checkpoint, so an interrupted run loses at most the steps
//! since its last checkpoint.

use super::checkpoint;
pub use super::config::GrpoConfig;
use super::plan::TrainingPlan;
use super::policy::Policy;
use super::runlog::RunLog;
pub use super::step::{GrpoTrainer, Problem, Rollout, Rollouts, StepMetrics, Targets, UpdateSums};
use crate::backend::Compute;
use crate::model::Qwen;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// Where a run keeps its files and how it saves.
#[derive(Debug, Clone)]
pub struct RunDir {
    /// `metrics.jsonl`, `metrics.csv` and `checkpoint/` go here.
    pub dir: PathBuf,
    /// Checkpoint every this many rollout steps (0 = only at the end).
    pub save_every: usize,
    /// Continue from `dir/checkpoint` when it holds one.
    pub resume: bool,
}

impl RunDir {
    /// The checkpoint folder.
    pub fn checkpoint(&self) -> PathBuf {
        self.dir.join("checkpoint")
    }

    fn has_checkpoint(&self) -> bool {
        self.checkpoint().join("state.json").is_file()
    }
}

/// What a run returns.
pub struct RunResult {
    /// The trained weights.
    pub model: Qwen<Compute>,
    /// Metrics of every step, including those a resumed run had logged before.
    pub metrics: Vec<StepMetrics>,
    /// The first step this call ran (0 unless resumed).
    pub resumed_at: usize,
}

fn start(
    model: Qwen<Compute>,
    plan: TrainingPlan,
    cfg: &GrpoConfig,
    io: Option<&RunDir>,
) -> Result<(Policy, usize)> {
    match io {
        Some(io) if io.resume && io.has_checkpoint() => {
            let (policy, state) = checkpoint::load(model, cfg.optimizer(), &io.checkpoint())?;
            if state.plan != plan {
                bail!(
                    "{} was written by a run training {}, but this run trains {}; use another `out` \
                     folder or `resume: false`",
                    io.checkpoint().display(),
                    state.plan.describe(),
                    plan.describe()
                );
            }
            let now = serde_json::to_value(cfg)?;
            let changed: Vec<&String> = match (state.config.as_object(), now.as_object()) {
                (Some(a), Some(b)) => b
                    .keys()
                    .filter(|k| *k != "steps" && a.get(*k) != b.get(*k))
                    .collect(),
                _ => vec![],
            };
            if !changed.is_empty() {
                bail!(
                    "{} was written with other settings ({}); use another `out` folder or `resume: false`",
                    io.checkpoint().display(),
                    changed.iter().map(|k| format!("{k}: {} → {}", state.config[k.as_str()], now[k.as_str()])).collect::<Vec<_>>().join(", ")
                );
            }
            Ok((policy, state.step))
        }
        _ => Ok((Policy::new(model, plan, cfg.optimizer())?, 0)),
    }
}

/// Runs GRPO steps up to `cfg.steps` on `model` under `plan` (from the checkpoint in `io` when
/// there is one) and returns the trained weights with the metrics of every step. `on_step` sees
/// each step's metrics as it finishes (progress bars; returning an error stops the run after the
/// step is logged). `reward(response_text, answer, finished)` scores one rollout.
#[allow(clippy::too_many_arguments)]
pub fn train_grpo(
    model: Qwen<Compute>,
    plan: TrainingPlan,
    problems: &[Problem],
    cfg: &GrpoConfig,
    stop_ids: Vec<u32>,
    decode: &dyn Fn(&[u32]) -> String,
    reward: &mut dyn FnMut(&str, &str, bool) -> Result<f64>,
    io: Option<&RunDir>,
    mut on_step: impl FnMut(&StepMetrics) -> Result<()>,
) -> Result<RunResult> {
    cfg.validate()?;
    let (mut policy, first) = start(model, plan, cfg, io)?;
    let log = io.map(|io| RunLog::open(&io.dir)).transpose()?;
    let mut all = match &log {
        Some(l) => l.keep_before(first)?,
        None => Vec::new(),
    };
    let trainer = GrpoTrainer {
        cfg: cfg.clone(),
        problems,
        stop_ids,
        decode,
    };
    let save = |policy: &Policy, step: usize, dir: &Path| {
        checkpoint::save(policy, step, serde_json::to_value(cfg)?, dir)
    };
    for step in first..cfg.steps {
        let m = trainer.step(&mut policy, step, reward)?;
        if let Some(l) = &log {
            l.append(&m)?;
        }
        let done = step + 1;
        if let Some(io) = io {
            if done == cfg.steps || (io.save_every > 0 && done % io.save_every == 0) {
                save(&policy, done, &io.checkpoint())?;
            }
        }
        let verdict = on_step(&m);
        all.push(m);
        verdict?;
        if done < cfg.steps && crate::interrupt::take() {
            match io {
                Some(io) => {
                    save(&policy, done, &io.checkpoint())?;
                    bail!(
                        "interrupted after step {done} of {}; checkpoint saved in {} (run again with \
                         the same settings to resume)",
                        cfg.steps,
                        io.checkpoint().display()
                    );
                }
                None => bail!(
                    "interrupted after step {done} of {} (give `out` to keep runs)",
                    cfg.steps
                ),
            }
        }
    }
    Ok(RunResult {
        model: policy.current(),
        metrics: all,
        resumed_at: first,
    })
}
