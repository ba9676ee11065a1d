//! Evaluation on benchmarks: k samples per problem, per-problem records (correct flags,
//! extracted answers), accuracy (avg@k), pass@k and maj@k.

use crate::model::generate::{generate, GenerateOptions};
use crate::model::Qwen;
use anyhow::Result;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// How to evaluate. Deserialised from Rhai option maps; unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalConfig {
    /// Samples per problem (k).
    pub samples: usize,
    /// 0 = greedy.
    pub temperature: f32,
    /// Nucleus sampling.
    pub top_p: f32,
    /// Response length limit.
    pub max_new_tokens: usize,
    /// Sampling seed.
    pub seed: u64,
    /// Problems per generation batch.
    pub batch: usize,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            samples: 1,
            temperature: 0.0,
            top_p: 1.0,
            max_new_tokens: 256,
            seed: 0,
            batch: 16,
        }
    }
}

/// A problem to evaluate on.
#[derive(Debug, Clone)]
pub struct EvalProblem {
    /// Stable id (for newly-solved comparisons across models).
    pub id: String,
    /// Prompt token ids.
    pub prompt_ids: Vec<u32>,
    /// Gold answer.
    pub answer: String,
}

/// The outcome on one problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemRecord {
    /// Problem id.
    pub id: String,
    /// Per sample: graded correct.
    pub correct: Vec<bool>,
    /// Per sample: the extracted final answer, if any.
    pub answers: Vec<Option<String>>,
    /// Per sample: the response text.
    pub responses: Vec<String>,
}

impl ProblemRecord {
    /// Mean correctness over this problem's samples (0 with none).
    pub fn mean(&self) -> f64 {
        if self.correct.is_empty() {
            0.0
        } else {
            self.correct.iter().filter(|&&c| c).count() as f64 / self.correct.len() as f64
        }
    }
}

/// Aggregate scores and the records behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Mean correctness over all samples (avg@k; accuracy when k = 1).
    pub accuracy: f64,
    /// Standard error of `accuracy` over problems: the sample std of the per-problem mean
    /// correctness / √n (the problems are the sample; k samples per problem shrink its noise).
    pub se: f64,
    /// Fraction of problems with at least one correct sample.
    pub pass_at_k: f64,
    /// Fraction of problems whose most common extracted answer is correct.
    pub maj_at_k: f64,
    /// Samples per problem.
    pub k: usize,
    /// Per-problem records.
    pub records: Vec<ProblemRecord>,
}

/// Most common answer among `answers` (ties: the one seen first); `None` if none was extracted.
pub fn majority(answers: &[Option<String>]) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for a in answers.iter().flatten() {
        match counts.iter_mut().find(|(x, _)| x == a) {
            Some((_, c)) => *c += 1,
            None => counts.push((a.clone(), 1)),
        }
    }
    // max_by_key keeps the last maximum; iterate reversed so the first seen wins ties.
    counts
        .into_iter()
        .rev()
        .max_by_key(|(_, c)| *c)
        .map(|(a, _)| a)
}

/// Scores from records (shared by `evaluate` and by callers that rebuild reports from files).
/// `grade_answer(gold_index, answer)` says whether an extracted answer is right.
pub fn summarize(
    records: Vec<ProblemRecord>,
    k: usize,
    mut grade_answer: impl FnMut(usize, &str) -> bool,
) -> EvalReport {
    let n = records.len().max(1) as f64;
    let samples: usize = records.iter().map(|r| r.correct.len()).sum();
    let accuracy = records
        .iter()
        .flat_map(|r| &r.correct)
        .filter(|&&c| c)
        .count() as f64
        / samples.max(1) as f64;
    let pass_at_k = records
        .iter()
        .filter(|r| r.correct.iter().any(|&c| c))
        .count() as f64
        / n;
    let maj_at_k = records
        .iter()
        .enumerate()
        .filter(|(i, r)| majority(&r.answers).is_some_and(|a| grade_answer(*i, &a)))
        .count() as f64
        / n;
    let per_problem: Vec<f64> = records.iter().map(ProblemRecord::mean).collect();
    EvalReport {
        accuracy,
        se: crate::analysis::standard_error(&per_problem),
        pass_at_k,
        maj_at_k,
        k,
        records,
    }
}

/// Grades responses against gold answers.
pub trait Grader {
    /// `(correct, extracted final answer)` of a whole response.
    fn grade(&self, response: &str, gold: &str) -> (bool, Option<String>);
    /// Whether an already-extracted answer equals the gold one (for maj@k).
    fn answer_matches(&self, answer: &str, gold: &str) -> bool;
}

/// Generates `cfg.samples` responses per problem and grades them. `on_batch(done, total)`
/// reports progress.
pub fn evaluate<B: Backend>(
    model: &Qwen<B>,
    problems: &[EvalProblem],
    cfg: &EvalConfig,
    stop_ids: &[u32],
    decode: &dyn Fn(&[u32]) -> String,
    grader: &dyn Grader,
    mut on_batch: impl FnMut(usize, usize),
) -> Result<EvalReport> {
    anyhow::ensure!(
        cfg.samples >= 1,
        "evaluate: samples = 0; give at least 1 sample per problem"
    );
    anyhow::ensure!(
        cfg.batch >= 1,
        "evaluate: batch = 0; give at least 1 problem per generation batch"
    );
    let k = cfg.samples;
    let mut records = Vec::with_capacity(problems.len());
    for (bi, chunk) in problems.chunks(cfg.batch).enumerate() {
        let prompts: Vec<Vec<u32>> = chunk.iter().map(|p| p.prompt_ids.clone()).collect();
        let opts = GenerateOptions {
            max_new_tokens: cfg.max_new_tokens,
            temperature: cfg.temperature,
            top_p: cfg.top_p,
            seed: cfg.seed.wrapping_add(bi as u64),
            samples: k,
            stop_ids: stop_ids.to_vec(),
            ..Default::default()
        };
        let out = generate(model, &prompts, &opts, None)?;
        for (pi, p) in chunk.iter().enumerate() {
            let mut rec = ProblemRecord {
                id: p.id.clone(),
                correct: vec![],
                answers: vec![],
                responses: vec![],
            };
            for c in &out[pi * k..(pi + 1) * k] {
                let text = decode(&c.tokens);
                let (ok, ans) = grader.grade(&text, &p.answer);
                rec.correct.push(ok);
                rec.answers.push(ans);
                rec.responses.push(text);
            }
            records.push(rec);
        }
        on_batch(records.len(), problems.len());
    }
    Ok(summarize(records, k, |i, a| {
        grader.answer_matches(a, &problems[i].answer)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(correct: &[bool], answers: &[Option<&str>]) -> ProblemRecord {
        ProblemRecord {
            id: "p".into(),
            correct: correct.to_vec(),
            answers: answers.iter().map(|a| a.map(String::from)).collect(),
            responses: vec![],
        }
    }

    #[test]
    fn avg_pass_and_majority() {
        let records = vec![
            rec(
                &[true, false, false, true],
                &[Some("4"), Some("5"), Some("5"), Some("4")],
            ), // tie 4/5 -> first seen "4"
            rec(
                &[false, false, true, false],
                &[Some("7"), Some("7"), Some("6"), None],
            ),
        ];
        let gold = ["4", "6"];
        let r = summarize(records, 4, |i, a| a == gold[i]);
        assert_eq!(r.accuracy, 3.0 / 8.0);
        assert_eq!(r.pass_at_k, 1.0);
        assert_eq!(r.maj_at_k, 0.5);
        // Per-problem means 0.5 and 0.25: sample std 0.1768 / √2.
        assert!((r.se - (0.03125f64).sqrt() / 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(majority(&[None, None]), None);
    }
}
