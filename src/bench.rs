//! `layerscript bench`: prefill and batched-decode throughput of a random Qwen3-shaped model on
//! the compiled-in backend. `bench/peer_transformers.py` times HF transformers on the same saved
//! weights so the two compare as a ratio measured on one machine.

use crate::backend::{self, Compute, Device};
use crate::model::generate::{generate, ids_tensor, GenerateOptions};
use crate::model::{random_model, save_model, Family, Qwen, QwenConfig};
use anyhow::Result;
use clap::Args;
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
    let params: usize = crate::model::load::specs(&cfg)
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
