//! `layerscript bench`: prefill and batched-decode throughput of a random Qwen3-shaped model on
//! the compiled-in backend. `bench/peer_transformers.py` times HF transformers on the same saved
//! weights so the two compare as a ratio measured on one machine.

use anyhow::Result;
use clap::Args;
use layerscript::backend::{self, Compute, Device};
use layerscript::model::generate::{generate, ids_tensor, GenerateOptions};
use layerscript::model::{random_model, save_model, Family, Qwen, QwenConfig};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Shape of the benchmark model and what to measure.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Decoder layers.
    #[arg(long, default_value_t = 8)]
    pub layers: usize,
    /// Hidden size.
    #[arg(long, default_value_t = 512)]
    pub hidden: usize,
    /// Attention heads.
    #[arg(long, default_value_t = 8)]
    pub heads: usize,
    /// Key/value heads.
    #[arg(long, default_value_t = 4)]
    pub kv_heads: usize,
    /// MLP width.
    #[arg(long, default_value_t = 1536)]
    pub intermediate: usize,
    /// Vocabulary rows.
    #[arg(long, default_value_t = 4224)]
    pub vocab: usize,
    /// Prefill: prompt length.
    #[arg(long, default_value_t = 128)]
    pub prefill_len: usize,
    /// Prefill: prompts per forward.
    #[arg(long, default_value_t = 8)]
    pub prefill_batch: usize,
    /// Decode: new tokens per row.
    #[arg(long, default_value_t = 64)]
    pub new_tokens: usize,
    /// Decode: batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 16])]
    pub batches: Vec<usize>,
    /// Timed repetitions (the best is reported, after one warm-up).
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Also write the random model as an HF folder here (for the transformers peer).
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Append the results as one JSON line to this file.
    #[arg(long)]
    pub jsonl: Option<PathBuf>,
    /// Device (`cpu`, `wgpu`, `cuda:0`, ...).
    #[arg(long, default_value = "auto")]
    pub device: String,
}

/// One measured throughput.
#[derive(Debug, Serialize)]
pub struct BenchResult {
    /// What was measured.
    pub name: String,
    /// Tokens processed per second (best repetition).
    pub tokens_per_s: f64,
    /// Seconds of the best repetition.
    pub seconds: f64,
}

fn best_of(reps: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?; // warm-up: allocations, kernel compilation
    let mut best = f64::INFINITY;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Runs the benchmark and prints a table.
pub fn run(args: &BenchArgs) -> Result<Vec<BenchResult>> {
    let dev: Device = backend::device(&args.device)?;
    let cfg = QwenConfig::tiny(
        Family::Qwen3,
        args.layers,
        args.hidden,
        args.heads,
        args.kv_heads,
        args.intermediate,
        args.vocab,
    );
    let model: Qwen<Compute> = random_model(&cfg, 0, &dev)?;
    let params: usize = layerscript::model::load::specs(&cfg)
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    if let Some(dir) = &args.save {
        save_model(&model, dir)?;
        eprintln!("saved the benchmark model to {}", dir.display());
    }
    println!(
        "backend {}, {:.1}M parameters ({} layers, hidden {}, vocab {})",
        backend::name(),
        params as f64 / 1e6,
        args.layers,
        args.hidden,
        args.vocab
    );
    let mut results = Vec::new();

    // Prefill: one forward over a batch of full prompts, logits of every position included.
    let prompt: Vec<u32> = (0..args.prefill_len)
        .map(|i| (i * 7 % (args.vocab - 1)) as u32)
        .collect();
    let rows = vec![prompt.clone(); args.prefill_batch];
    let mask = vec![vec![1u8; args.prefill_len]; args.prefill_batch];
    let secs = best_of(args.reps, || {
        let logits = model
            .forward(ids_tensor::<Compute>(&rows, &dev), &mask, None, false)
            .logits;
        logits.into_data(); // wait for the device
        Ok(())
    })?;
    let toks = (args.prefill_len * args.prefill_batch) as f64;
    results.push(BenchResult {
        name: format!("prefill {}x{}", args.prefill_batch, args.prefill_len),
        tokens_per_s: toks / secs,
        seconds: secs,
    });

    // Decode: greedy, KV cache, no early stop; new tokens per second (prefill of 16 tokens included).
    for &b in &args.batches {
        let prompts: Vec<Vec<u32>> = (0..b)
            .map(|r| prompt[r % 7..r % 7 + 16.min(prompt.len() - 7)].to_vec())
            .collect();
        let opts = GenerateOptions {
            max_new_tokens: args.new_tokens,
            ..Default::default()
        };
        let secs = best_of(args.reps, || {
            generate(&model, &prompts, &opts, None).map(|_| ())
        })?;
        results.push(BenchResult {
            name: format!("decode batch {b}, {} new", args.new_tokens),
            tokens_per_s: (b * args.new_tokens) as f64 / secs,
            seconds: secs,
        });
    }
    for r in &results {
        println!(
            "{:<28} {:>10.1} tok/s  ({:.3} s)",
            r.name, r.tokens_per_s, r.seconds
        );
    }
    if let Some(path) = &args.jsonl {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(
            f,
            "{}",
            serde_json::json!({"engine": "layerscript", "backend": backend::name(), "params": params, "results": results})
        )?;
    }
    Ok(results)
}

/// Shape of the training-step benchmark.
#[derive(Debug, Clone, Args)]
pub struct TrainBenchArgs {
    /// Model shape (same defaults as `bench`).
    #[command(flatten)]
    pub model: BenchArgs,
    /// Rollouts per step.
    #[arg(long, default_value_t = 8)]
    pub rollouts: usize,
    /// Prompt tokens per rollout.
    #[arg(long, default_value_t = 32)]
    pub prompt_len: usize,
    /// Response tokens per rollout.
    #[arg(long, default_value_t = 64)]
    pub response_len: usize,
    /// Internal: measure only this plan (0 full, 1 middle layer, 2 last layer) in this process.
    #[arg(long, hide = true)]
    pub plan_index: Option<usize>,
}

/// Peak resident memory of this process since the last reset, in MiB (Linux; 0 elsewhere).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Times one GRPO update (forward, backward, AdamW) for all parameters, a single middle layer and
/// the last layer, on the same batch, each in a fresh process; prints time and peak-RSS ratios
/// against full training.
pub fn run_train(args: &TrainBenchArgs) -> Result<()> {
    use layerscript::train::grpo::{
        GrpoConfig, GrpoTrainer, Rollout, Rollouts, Targets, UpdateSums,
    };
    use layerscript::train::{policy::Policy, TrainingPlan};
    let m = &args.model;
    let dev: Device = backend::device(&m.device)?;
    let cfg = QwenConfig::tiny(
        Family::Qwen3,
        m.layers,
        m.hidden,
        m.heads,
        m.kv_heads,
        m.intermediate,
        m.vocab,
    );
    let base: Qwen<Compute> = random_model(&cfg, 0, &dev)?;
    let prompts: Vec<Vec<u32>> = (0..args.rollouts)
        .map(|r| {
            (0..args.prompt_len)
                .map(|i| ((i * 13 + r) % 4000) as u32)
                .collect()
        })
        .collect();
    let comps: Vec<Vec<u32>> = (0..args.rollouts)
        .map(|r| {
            (0..args.response_len)
                .map(|i| ((i * 7 + r * 3) % 4000) as u32)
                .collect()
        })
        .collect();
    let mid = m.layers / 2;
    let plans = [
        ("full", TrainingPlan::full(m.layers)),
        ("layer {mid} only", TrainingPlan::only(m.layers, &[mid])?),
        (
            "last layer only",
            TrainingPlan::only(m.layers, &[m.layers - 1])?,
        ),
    ];
    let weights_mib = layerscript::model::load::specs(&cfg)
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum::<usize>() as f64
        * 4.0
        / 1048576.0;
    if args.plan_index.is_none() {
        println!(
            "backend {}, weights {:.1} MiB, batch {} x ({} + {}) tokens",
            backend::name(),
            weights_mib,
            args.rollouts,
            args.prompt_len,
            args.response_len
        );
    }
    let Some(which) = args.plan_index else {
        // Each plan runs in a fresh process so peak memory is comparable.
        let mut rows = Vec::new();
        for i in 0..plans.len() {
            let out = std::process::Command::new(std::env::current_exe()?)
                .args(std::env::args().skip(1))
                .args(["--plan-index", &i.to_string()])
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "plan {i} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("RESULT ").map(str::to_string))
                .unwrap_or_default();
            let v: Vec<f64> = line
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            anyhow::ensure!(v.len() == 3, "plan {i}: no result line");
            rows.push((
                plans[i].0.replace("{mid}", &mid.to_string()),
                v[0],
                v[1],
                v[2],
            ));
        }
        let (t0, m0) = (rows[0].1, rows[0].2);
        for (name, secs, peak, state) in rows {
            println!("{name:<18} step {secs:.3} s ({:.2}x full)   peak RSS {peak:.0} MiB ({:.2}x full)   optimizer state {state:.1} MiB", secs / t0, peak / m0);
        }
        return Ok(());
    };
    let plan = plans[which].1.clone();
    let mut policy = Policy::new(
        base,
        plan,
        layerscript::train::AdamWConfig {
            lr: 1e-5,
            ..Default::default()
        },
    )?;
    // The trainer's own update path: one mini-batch of every rollout, one micro-batch,
    // on-policy (old = detached current), no KL, alternating ±1 advantages.
    let trainer = GrpoTrainer {
        cfg: GrpoConfig {
            train_batch: 1,
            mini_batch: 1,
            micro_batch: args.rollouts,
            group: args.rollouts,
            max_response_len: args.response_len,
            kl_coef: 0.0,
            ..GrpoConfig::default()
        },
        problems: &[],
        stop_ids: vec![],
        decode: &|_| String::new(),
    };
    let rollouts = Rollouts {
        prompts: prompts.clone(),
        items: comps
            .iter()
            .enumerate()
            .map(|(i, c)| Rollout {
                prompt: i,
                tokens: c.clone(),
                finished: true,
                reward: 0.0,
                adv: if i % 2 == 0 { 1.0 } else { -1.0 },
            })
            .collect(),
    };
    let minis = trainer.minibatches(rollouts.items.len());
    let mut step = || -> Result<()> {
        for mini in &minis {
            let mut sums = UpdateSums::default();
            let grads = trainer.minibatch_grads(
                &policy.model,
                &rollouts,
                mini,
                &Targets::default(),
                &mut sums,
            )?;
            policy.apply(&grads)?;
        }
        Ok(())
    };
    let secs = best_of(m.reps, &mut step)?;
    let state_mib = policy
        .optim
        .state
        .values()
        .map(|s| s.m.dims()[0] * 2)
        .sum::<usize>() as f64
        * 4.0
        / 1048576.0;
    println!("RESULT {secs} {} {state_mib}", peak_rss_mib());
    Ok(())
}
