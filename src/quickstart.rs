//! The embedded default: a tiny Qwen3 with the real Qwen vocabulary prefix, the synthetic
//! arithmetic task, SFT warm-up, then the paper's experiment in miniature — GRPO on each single
//! layer and on all layers, scored on held-out problems, and each layer's contribution
//! ℓ = (score_layer − score_base) / (score_full − score_base).

use crate::backend::{self, Compute};
use crate::data::{synthetic_split, Dataset, PromptTemplate, SyntheticConfig};
use crate::eval::{evaluate, EvalConfig, EvalProblem, EvalReport};
use crate::model::tokenizer::Tokenizer;
use crate::model::{random_model, Family, Qwen, QwenConfig};
use crate::reward::{math_reward, MathGrader, MathRewardConfig};
use crate::train::grpo::{train_grpo, GrpoConfig, Problem};
use crate::train::policy::Policy;
use crate::train::runlog::RunLog;
use crate::train::sft::{train_sft, SftConfig};
use crate::train::{AdamWConfig, TrainingPlan};
use anyhow::{Context, Result};
use std::path::Path;

/// The tiny model: the fixture shape (4 layers, hidden 64, 4 heads, 2 kv heads, head_dim 16,
/// MLP 128, vocab 4224 = the trimmed Qwen3 vocabulary padded to a multiple of 128, tied).
pub fn tiny_config() -> QwenConfig {
    QwenConfig::tiny(Family::Qwen3, 4, 64, 4, 2, 128, 4224)
}

/// Everything a toy run needs.
pub struct Toy {
    /// The embedded tokenizer.
    pub tokenizer: Tokenizer,
    /// Training problems.
    pub train: Dataset,
    /// Held-out problems.
    pub test: Dataset,
    /// Ids that end a response.
    pub eos: Vec<u32>,
}

impl Toy {
    /// Single-digit addition (all 100 problems), `n_test` of them held out.
    pub fn new(n_test: usize, seed: u64) -> Result<Self> {
        let tokenizer = Tokenizer::embedded_default()?;
        let cfg = SyntheticConfig {
            n: 100 - n_test,
            min_digits: 1,
            digits: 1,
            terms: 2,
            ops: "+".into(),
            seed,
            ..Default::default()
        };
        let (train, test) = synthetic_split(&cfg, n_test)?;
        let eos = tokenizer.eos_ids();
        Ok(Self {
            tokenizer,
            train,
            test,
            eos,
        })
    }

    /// Prompts tokenized for RL.
    pub fn problems(&self, ds: &Dataset) -> Result<Vec<Problem>> {
        ds.examples
            .iter()
            .map(|e| {
                Ok(Problem {
                    prompt_ids: self
                        .tokenizer
                        .encode(&PromptTemplate::Raw.render(&e.prompt))?,
                    answer: e.answer.clone(),
                })
            })
            .collect()
    }

    /// (prompt, solution + EOS) pairs for SFT.
    pub fn sft_pairs(&self, ds: &Dataset) -> Result<Vec<(Vec<u32>, Vec<u32>)>> {
        ds.examples
            .iter()
            .map(|e| {
                let mut target = self.tokenizer.encode(
                    e.solution
                        .as_deref()
                        .context("synthetic examples carry solutions")?,
                )?;
                target.extend(self.eos.first());
                Ok((self.tokenizer.encode(&e.prompt)?, target))
            })
            .collect()
    }

    /// Decodes a response for grading.
    pub fn decode(&self, ids: &[u32]) -> String {
        self.tokenizer.decode(ids, true).unwrap_or_default()
    }

    /// Sampled accuracy on `ds` (k samples at temperature 1: sensitive to how sure the policy is).
    pub fn score(
        &self,
        model: &Qwen<Compute>,
        ds: &Dataset,
        samples: usize,
        seed: u64,
    ) -> Result<EvalReport> {
        let problems: Vec<EvalProblem> = ds
            .examples
            .iter()
            .map(|e| {
                Ok(EvalProblem {
                    id: e.id.clone(),
                    prompt_ids: self.tokenizer.encode(&e.prompt)?,
                    answer: e.answer.clone(),
                })
            })
            .collect::<Result<_>>()?;
        let cfg = EvalConfig {
            samples,
            temperature: 1.0,
            max_new_tokens: 10,
            seed,
            batch: 64,
            ..Default::default()
        };
        evaluate(
            model,
            &problems,
            &cfg,
            &self.eos,
            &|ids| self.decode(ids),
            &MathGrader,
            |_, _| {},
        )
    }

    /// A fresh tiny model warmed up with SFT on the training problems.
    pub fn warm_up(&self, seed: u64, steps: usize) -> Result<Qwen<Compute>> {
        let model = random_model::<Compute>(&tiny_config(), seed, &backend::device("auto")?)?;
        let plan = TrainingPlan::full(model.num_layers());
        let mut policy = Policy::new(
            model,
            plan,
            AdamWConfig {
                lr: 3e-3,
                weight_decay: 0.0,
                ..Default::default()
            },
        )?;
        train_sft(
            &mut policy,
            &self.sft_pairs(&self.train)?,
            &SftConfig {
                steps,
                batch: 32,
                seed,
            },
            |_, _| {},
        )?;
        Ok(policy.current())
    }

    /// GRPO under `plan` on the training problems.
    pub fn rl(
        &self,
        model: Qwen<Compute>,
        plan: TrainingPlan,
        cfg: &GrpoConfig,
        log: Option<&RunLog>,
    ) -> Result<(Qwen<Compute>, Vec<crate::train::grpo::StepMetrics>)> {
        let problems = self.problems(&self.train)?;
        let rcfg = MathRewardConfig {
            truncated_scores_zero: true,
        };
        let mut reward =
            |text: &str, gold: &str, finished: bool| Ok(math_reward(text, gold, finished, &rcfg));
        train_grpo(
            model,
            plan,
            &problems,
            cfg,
            self.eos.clone(),
            &|ids| self.decode(ids),
            &mut reward,
            log,
            |_| Ok(()),
        )
    }
}

/// The GRPO settings of the toy run.
pub fn toy_grpo() -> GrpoConfig {
    GrpoConfig {
        steps: 30,
        train_batch: 8,
        mini_batch: 8,
        micro_batch: 64,
        group: 8,
        max_response_len: 10,
        lr: 1e-4,
        kl_coef: 0.0,
        weight_decay: 0.0,
        seed: 1,
        ..Default::default()
    }
}

/// `layerscript quickstart`: base, full and every single layer, with contributions, to `out`.
pub fn run(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let toy = Toy::new(20, 0)?;
    let k = 16;
    eprintln!(
        "SFT warm-up of a tiny Qwen3 ({} train / {} held-out problems) ...",
        toy.train.len(),
        toy.test.len()
    );
    let base = toy.warm_up(0, 300)?;
    let base_acc = toy.score(&base, &toy.test, k, 7)?.accuracy;
    eprintln!("base accuracy (avg@{k}, T=1): {base_acc:.3}");
    let (full, _) = toy.rl(
        base.clone(),
        TrainingPlan::full(4),
        &toy_grpo(),
        Some(&RunLog::open(&out.join("full"))?),
    )?;
    let full_acc = toy.score(&full, &toy.test, k, 7)?.accuracy;
    eprintln!("full-parameter GRPO: {full_acc:.3}");
    let mut rows = vec![
        ("base".to_string(), base_acc, f64::NAN),
        ("full".to_string(), full_acc, 1.0),
    ];
    for l in 0..4 {
        let (m, _) = toy.rl(
            base.clone(),
            TrainingPlan::only(4, &[l])?,
            &toy_grpo(),
            Some(&RunLog::open(&out.join(format!("layer{l}")))?),
        )?;
        let acc = toy.score(&m, &toy.test, k, 7)?.accuracy;
        let ell = (acc - base_acc) / (full_acc - base_acc);
        eprintln!("layer {l} only: {acc:.3}  contribution {ell:.2}");
        rows.push((format!("layer{l}"), acc, ell));
    }
    let mut w = csv::Writer::from_path(out.join("contribution.csv"))?;
    w.write_record(["run", "accuracy", "contribution"])?;
    for (r, a, c) in &rows {
        w.write_record([
            r.clone(),
            format!("{a:.4}"),
            if c.is_nan() {
                String::new()
            } else {
                format!("{c:.4}")
            },
        ])?;
    }
    w.flush()?;
    println!("wrote {}", out.join("contribution.csv").display());
    Ok(())
}
