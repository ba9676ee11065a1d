//! A built-in verifiable task: integer arithmetic with difficulty knobs, small enough for a tiny
//! model trained from scratch on CPU.
//!
//! # Format
//! * prompt: the expression and `=`, no spaces: `12+7=`, `3*45-6=` (Qwen tokenizers split digits
//!   one per token, so a 2-digit, 2-term problem is about 6 tokens). Use
//!   [`PromptTemplate::Raw`](super::PromptTemplate::Raw) with it on a tiny model.
//! * answer: the exact integer value, `-` for negatives: `19`, `129`, `-7`.
//! * solution (the SFT warm-up target, no EOS appended): `\boxed{19}`; with `chain_of_thought`,
//!   one line per reduction step and then the box:
//!   `3*45=135\n135-6=129\n\boxed{129}`. The answer is always in a final `\boxed{}`, so the same
//!   math verifier grades the task and the benchmarks.
//!
//! Evaluation uses the usual precedence: every `*` first (left to right), then `+` and `-` left to
//! right; the chain-of-thought steps follow that order.
//!
//! # Difficulty knobs ([`SyntheticConfig`])
//! * `digits` / `min_digits`: each operand has a digit count drawn uniformly from
//!   `min_digits..=digits`, then a value uniformly among the numbers of that length (1-digit
//!   operands include 0), so short and long operands are equally common.
//! * `terms`: number of operands (2 or more).
//! * `ops`: which operators appear, any non-empty subset of `+-*`, each equally likely.
//! * `chain_of_thought`: step-by-step targets instead of the bare boxed answer.
//!
//! Problems are distinct (by prompt) whenever the problem space allows it. When the requested
//! count is close to the size of the space, problems are drawn uniformly from an enumeration of it
//! instead. The output is a deterministic function of the config ([`seeded_rng`]).

use super::{seeded_rng, shuffle_in_place, Dataset, Example};
use anyhow::{anyhow, bail, Result};
use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Settings of the synthetic arithmetic task (all fields optional in config files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticConfig {
    /// Number of problems (for [`synthetic_split`]: of the training half).
    pub n: usize,
    /// Maximum digits per operand (1..=18).
    pub digits: u32,
    /// Minimum digits per operand (1..=`digits`).
    pub min_digits: u32,
    /// Number of operands (2..=32).
    pub terms: u32,
    /// Operators to use: a non-empty subset of `+-*` (order and repeats do not matter).
    pub ops: String,
    /// Seed of the generator.
    pub seed: u64,
    /// Step-by-step solutions (one line per operation) instead of the bare `\boxed{}` answer.
    pub chain_of_thought: bool,
}

impl Default for SyntheticConfig {
    /// 1000 problems of 1–2 digit additions and subtractions of two operands, seed 0, no CoT.
    fn default() -> Self {
        SyntheticConfig {
            n: 1000,
            digits: 2,
            min_digits: 1,
            terms: 2,
            ops: "+-".to_string(),
            seed: 0,
            chain_of_thought: false,
        }
    }
}

impl SyntheticConfig {
    /// Checks the knobs' ranges (and that `*` results fit in 128-bit integers).
    pub fn validate(&self) -> Result<()> {
        if !(1..=18).contains(&self.digits) {
            bail!("synthetic: digits = {} must be in 1..=18", self.digits);
        }
        if !(1..=self.digits).contains(&self.min_digits) {
            bail!(
                "synthetic: min_digits = {} must be in 1..=digits ({})",
                self.min_digits,
                self.digits
            );
        }
        if !(2..=32).contains(&self.terms) {
            bail!("synthetic: terms = {} must be in 2..=32", self.terms);
        }
        if let Some(c) = self.ops.chars().find(|c| !"+-*".contains(*c)) {
            bail!(
                "synthetic: ops = {:?} has '{c}'; use a non-empty subset of \"+-*\"",
                self.ops
            );
        }
        let ops = self.op_set();
        if ops.is_empty() {
            bail!("synthetic: ops is empty; use a non-empty subset of \"+-*\"");
        }
        if ops.contains(&'*') && self.digits * self.terms > 36 {
            bail!(
                "synthetic: with '*', digits × terms = {} must be at most 36 (results must fit in i128)",
                self.digits * self.terms
            );
        }
        Ok(())
    }

    /// The distinct operators, in `+-*` order.
    fn op_set(&self) -> Vec<char> {
        "+-*".chars().filter(|c| self.ops.contains(*c)).collect()
    }

    /// Smallest and largest operand value.
    fn operand_range(&self) -> (u64, u64) {
        (digit_range(self.min_digits).0, digit_range(self.digits).1)
    }

    /// How many distinct problems (prompts) the knobs allow, saturating at `u128::MAX`.
    pub fn distinct_problems(&self) -> u128 {
        let (lo, hi) = self.operand_range();
        let c = u128::from(hi - lo + 1);
        let k = self.op_set().len() as u128;
        let t = self.terms;
        c.checked_pow(t)
            .and_then(|a| {
                k.checked_pow(t.saturating_sub(1))
                    .and_then(|b| a.checked_mul(b))
            })
            .unwrap_or(u128::MAX)
    }
}

/// The `[lo, hi]` values with exactly `d` digits (`d == 1` includes 0).
fn digit_range(d: u32) -> (u64, u64) {
    let lo = if d <= 1 { 0 } else { 10u64.pow(d - 1) };
    (lo, 10u64.pow(d) - 1)
}

/// One arithmetic problem.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    operands: Vec<u64>,
    ops: Vec<char>,
}

impl Problem {
    fn prompt(&self) -> String {
        let mut s = self.operands[0].to_string();
        for (op, v) in self.ops.iter().zip(&self.operands[1..]) {
            s.push(*op);
            s.push_str(&v.to_string());
        }
        s.push('=');
        s
    }

    /// The value and the reduction steps (`*` first, then `+`/`-` left to right).
    fn solve(&self) -> Option<(i128, Vec<String>)> {
        let mut vals: Vec<i128> = self.operands.iter().map(|&v| i128::from(v)).collect();
        let mut ops = self.ops.clone();
        let mut steps = Vec::with_capacity(ops.len());
        while let Some(i) = ops.iter().position(|&o| o == '*') {
            let r = vals[i].checked_mul(vals[i + 1])?;
            steps.push(format!("{}*{}={r}", vals[i], vals[i + 1]));
            vals[i] = r;
            vals.remove(i + 1);
            ops.remove(i);
        }
        for op in ops {
            let (a, b) = (vals[0], vals[1]);
            let r = if op == '+' {
                a.checked_add(b)?
            } else {
                a.checked_sub(b)?
            };
            steps.push(format!("{a}{op}{b}={r}"));
            vals[0] = r;
            vals.remove(1);
        }
        Some((vals[0], steps))
    }

    fn to_example(&self, id: String, chain_of_thought: bool) -> Result<Example> {
        let prompt = self.prompt();
        let (value, steps) = self
            .solve()
            .ok_or_else(|| anyhow!("synthetic: {prompt} overflows"))?;
        let boxed = format!("\\boxed{{{value}}}");
        let solution = if chain_of_thought {
            format!("{}\n{boxed}", steps.join("\n"))
        } else {
            boxed
        };
        Ok(Example {
            id,
            prompt,
            answer: value.to_string(),
            solution: Some(solution),
        })
    }
}

/// Generates `cfg.n` problems (distinct by prompt when the knobs allow that many), named
/// `synthetic`, ids `synthetic/<i>`.
pub fn synthetic_task(cfg: &SyntheticConfig) -> Result<Dataset> {
    cfg.validate()?;
    let mut rng = seeded_rng(cfg.seed);
    let mut problems = distinct_problems(cfg, cfg.n, &mut rng)?;
    // More problems asked than exist: repeat the (shuffled) space.
    let distinct = problems.len();
    while problems.len() < cfg.n && distinct > 0 {
        let mut again = problems[..distinct].to_vec();
        shuffle_in_place(&mut again, &mut rng);
        again.truncate(cfg.n - problems.len());
        problems.extend(again);
    }
    let examples: Result<Vec<Example>> = problems
        .iter()
        .enumerate()
        .map(|(i, p)| p.to_example(format!("synthetic/{i}"), cfg.chain_of_thought))
        .collect();
    Ok(Dataset::new("synthetic", examples?))
}

/// A train / test pair with disjoint prompts: `cfg.n` training and `n_test` test problems, named
/// `synthetic-train` / `synthetic-test` (ids `synthetic/<i>`, unique across both). Errors when the
/// knobs allow fewer than `cfg.n + n_test` distinct problems.
pub fn synthetic_split(cfg: &SyntheticConfig, n_test: usize) -> Result<(Dataset, Dataset)> {
    cfg.validate()?;
    let total = cfg
        .n
        .checked_add(n_test)
        .ok_or_else(|| anyhow!("synthetic: n + n_test overflows"))?;
    let space = cfg.distinct_problems();
    if (total as u128) > space {
        bail!(
            "synthetic: {total} distinct problems asked (n = {} + n_test = {n_test}) but these knobs \
             allow only {space}; raise digits / terms or add ops",
            cfg.n
        );
    }
    let problems = distinct_problems(cfg, total, &mut seeded_rng(cfg.seed))?;
    let mut examples = Vec::with_capacity(total);
    for (i, p) in problems.iter().enumerate() {
        examples.push(p.to_example(format!("synthetic/{i}"), cfg.chain_of_thought)?);
    }
    let train = examples.split_off(n_test);
    Ok((
        Dataset::new("synthetic-train", train),
        Dataset::new("synthetic-test", examples),
    ))
}

/// Up to `needed` problems with distinct prompts (fewer only when the space is smaller).
fn distinct_problems(
    cfg: &SyntheticConfig,
    needed: usize,
    rng: &mut StdRng,
) -> Result<Vec<Problem>> {
    let space = cfg.distinct_problems();
    if space < 4 * needed as u128 {
        // Small space: a seeded shuffle of all of it.
        return Ok(enumerate_problems(cfg, space, needed, rng, &HashSet::new()));
    }
    let mut seen = HashSet::with_capacity(needed);
    let mut out = Vec::with_capacity(needed);
    let max_draws = needed.saturating_mul(200).saturating_add(10_000);
    let mut draws = 0usize;
    while out.len() < needed {
        if draws >= max_draws {
            // Skewed saturation (many short operands): finish from the enumeration.
            if space > 20_000_000 {
                bail!("synthetic: could not draw {needed} distinct problems");
            }
            let rest = enumerate_problems(cfg, space, needed - out.len(), rng, &seen);
            out.extend(rest);
            break;
        }
        draws += 1;
        let p = sample_problem(cfg, rng);
        if seen.insert(p.prompt()) {
            out.push(p);
        }
    }
    Ok(out)
}

/// One problem drawn with the documented distribution.
fn sample_problem(cfg: &SyntheticConfig, rng: &mut StdRng) -> Problem {
    let ops_set = cfg.op_set();
    let operands = (0..cfg.terms)
        .map(|_| {
            let d = rng.random_range(u64::from(cfg.min_digits)..=u64::from(cfg.digits)) as u32;
            let (lo, hi) = digit_range(d);
            rng.random_range(lo..=hi)
        })
        .collect();
    let ops = (1..cfg.terms)
        .map(|_| ops_set[rng.random_range(0..ops_set.len() as u64) as usize])
        .collect();
    Problem { operands, ops }
}

/// `take` problems drawn without replacement from the whole space (which fits in memory here),
/// skipping prompts in `exclude`.
fn enumerate_problems(
    cfg: &SyntheticConfig,
    space: u128,
    take: usize,
    rng: &mut StdRng,
    exclude: &HashSet<String>,
) -> Vec<Problem> {
    let (lo, hi) = cfg.operand_range();
    let c = hi - lo + 1;
    let ops_set = cfg.op_set();
    let k = ops_set.len() as u64;
    let mut idx: Vec<u64> = (0..space as u64).collect();
    shuffle_in_place(&mut idx, rng);
    let decode = |mut i: u64| {
        let operands = (0..cfg.terms).map(|_| {
            let v = lo + i % c;
            i /= c;
            v
        });
        let operands: Vec<u64> = operands.collect();
        let ops = (1..cfg.terms).map(|_| {
            let o = ops_set[(i % k) as usize];
            i /= k;
            o
        });
        Problem {
            operands,
            ops: ops.collect(),
        }
    };
    idx.into_iter()
        .map(decode)
        .filter(|p| !exclude.contains(&p.prompt()))
        .take(take)
        .collect()
}

#[cfg(test)]
#[path = "synthetic_tests.rs"]
mod tests;
