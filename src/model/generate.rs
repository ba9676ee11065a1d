//! Batched generation with a KV cache: left-padded prompts of different lengths, per-row stop on
//! EOS ids or stop strings, greedy or seeded sampling (temperature -> top-k -> top-p, HF's order),
//! and shared-prefix groups (a prompt sampled G times is prefilled once and its cache rows copied).

use super::kv_cache::KvCache;
use super::qwen::Qwen;
use anyhow::{bail, Result};
use burn::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// How to generate. Deserialised from Rhai option maps; unknown keys are errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenerateOptions {
    /// Tokens to generate at most per row.
    pub max_new_tokens: usize,
    /// 0 = greedy; otherwise logits are divided by it before sampling.
    pub temperature: f32,
    /// Keep only the k most likely tokens (0 = off).
    pub top_k: usize,
    /// Keep the smallest set of tokens whose probability reaches p (1.0 = off).
    pub top_p: f32,
    /// Seed of the sampler (rows draw from one stream in row order).
    pub seed: u64,
    /// Completions per prompt (GRPO's group size G).
    pub samples: usize,
    /// Token ids that end a row (kept in its output).
    pub stop_ids: Vec<u32>,
    /// Strings that end a row once they appear in its decoded text (needs a decoder).
    pub stop_strings: Vec<String>,
    /// Reuse keys/values between steps (off only to check the cache).
    pub use_cache: bool,
    /// Padding id for left padding (any id works: padded keys are masked).
    pub pad_id: u32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_new_tokens: 64,
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            seed: 0,
            samples: 1,
            stop_ids: vec![],
            stop_strings: vec![],
            use_cache: true,
            pad_id: 0,
        }
    }
}

/// One generated completion.
#[derive(Debug, Clone, Serialize)]
pub struct Completion {
    /// Which prompt it continues.
    pub prompt_index: usize,
    /// New tokens (including the stop token, if one was hit).
    pub tokens: Vec<u32>,
    /// Log-probability of each new token under the distribution it was drawn from
    /// (log-softmax of logits / temperature; plain log-softmax when greedy).
    pub logprobs: Vec<f32>,
    /// True when a stop id or stop string ended it; false when `max_new_tokens` cut it.
    pub finished: bool,
}

/// Left-pads `rows` to a common length; returns ids and the 0/1 key mask.
pub fn left_pad(rows: &[Vec<u32>], pad: u32) -> (Vec<Vec<u32>>, Vec<Vec<u8>>) {
    let len = rows.iter().map(Vec::len).max().unwrap_or(0);
    rows.iter()
        .map(|r| {
            let p = len - r.len();
            let ids = std::iter::repeat_n(pad, p)
                .chain(r.iter().copied())
                .collect();
            let mask = std::iter::repeat_n(0u8, p)
                .chain(std::iter::repeat_n(1u8, r.len()))
                .collect();
            (ids, mask)
        })
        .unzip()
}

/// `[rows, T]` id tensor.
pub fn ids_tensor<B: Backend>(rows: &[Vec<u32>], dev: &B::Device) -> Tensor<B, 2, Int> {
    let t = rows.first().map_or(0, Vec::len);
    let flat: Vec<i64> = rows
        .iter()
        .flat_map(|r| r.iter().map(|&x| x as i64))
        .collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), t]), dev)
}

/// Picks the next token from one row of logits; returns (token, its log-probability).
pub fn sample_token(logits: &[f32], opts: &GenerateOptions, rng: &mut StdRng) -> (u32, f32) {
    let log_softmax = |xs: &[f32], i: usize| {
        let m = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = m + xs.iter().map(|x| (x - m).exp()).sum::<f32>().ln();
        xs[i] - lse
    };
    if opts.temperature <= 0.0 {
        // First maximum, like torch.argmax.
        let best = logits
            .iter()
            .enumerate()
            .fold(0, |b, (i, &x)| if x > logits[b] { i } else { b });
        return (best as u32, log_softmax(logits, best));
    }
    let scaled: Vec<f32> = logits.iter().map(|x| x / opts.temperature).collect();
    let mut order: Vec<usize> = (0..scaled.len()).collect();
    // Only truncation needs the tokens by probability; plain sampling walks them in id order
    // (the same distribution, without sorting the vocabulary for every token).
    let by_prob = |a: &usize, b: &usize| scaled[*b].total_cmp(&scaled[*a]).then(a.cmp(b));
    if opts.top_k > 0 && opts.top_k < order.len() {
        order.select_nth_unstable_by(opts.top_k - 1, by_prob);
        order.truncate(opts.top_k);
    }
    if opts.top_k > 0 || opts.top_p < 1.0 {
        order.sort_by(by_prob);
    }
    let m = order
        .iter()
        .map(|&i| scaled[i])
        .fold(f32::NEG_INFINITY, f32::max);
    let mut probs: Vec<f32> = order.iter().map(|&i| (scaled[i] - m).exp()).collect();
    let z: f32 = probs.iter().sum();
    probs.iter_mut().for_each(|p| *p /= z);
    if opts.top_p < 1.0 {
        // Keep tokens until the cumulative probability reaches top_p (always at least one).
        let mut cum = 0.0;
        let keep = probs.iter().position(|p| {
            cum += p;
            cum >= opts.top_p
        });
        let keep = keep.map_or(probs.len(), |k| k + 1);
        order.truncate(keep);
        probs.truncate(keep);
        let z: f32 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= z);
    }
    let u: f32 = rng.random();
    let mut cum = 0.0;
    let mut pick = probs.len() - 1;
    for (j, p) in probs.iter().enumerate() {
        cum += p;
        if u < cum {
            pick = j;
            break;
        }
    }
    (order[pick] as u32, probs[pick].ln())
}

/// Generates `opts.samples` completions for each prompt. `decode` turns ids into text for stop
/// strings (pass `None` when there are none). Completions are ordered prompt-major.
pub fn generate<B: Backend>(
    model: &Qwen<B>,
    prompts: &[Vec<u32>],
    opts: &GenerateOptions,
    decode: Option<&dyn Fn(&[u32]) -> String>,
) -> Result<Vec<Completion>> {
    if prompts.is_empty() {
        return Ok(vec![]);
    }
    if let Some((i, _)) = prompts.iter().enumerate().find(|(_, p)| p.is_empty()) {
        bail!("prompt {i} is empty: generation needs at least one prompt token");
    }
    for (i, p) in prompts.iter().enumerate() {
        model.config.check_token_ids(p, &format!("prompt {i}"))?;
    }
    if !opts.stop_strings.is_empty() && decode.is_none() {
        bail!("stop strings need a tokenizer to decode with");
    }
    let g = opts.samples.max(1);
    let dev = model.embed_tokens.val().device();
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let (padded, prompt_mask) = left_pad(prompts, opts.pad_id);

    // Rows are (prompt, sample) pairs; `active` lists the rows still decoding.
    let n = prompts.len() * g;
    let mut out: Vec<Completion> = (0..n)
        .map(|r| Completion {
            prompt_index: r / g,
            tokens: vec![],
            logprobs: vec![],
            finished: false,
        })
        .collect();
    let mut masks: Vec<Vec<u8>> = (0..n).map(|r| prompt_mask[r / g].clone()).collect();
    let mut active: Vec<usize> = (0..n).collect();
    let mut cache = KvCache::new(model.num_layers());

    // Prefill each distinct prompt once, then copy its cache rows and logits to its G samples.
    let mut last = if opts.use_cache {
        let logits = model
            .forward(
                ids_tensor::<B>(&padded, &dev),
                &prompt_mask,
                Some(&mut cache),
                false,
            )
            .logits;
        let rows: Vec<usize> = (0..n).map(|r| r / g).collect();
        cache.select_rows(&rows);
        let host = last_logits(logits)?;
        rows.iter().map(|&p| host[p].clone()).collect::<Vec<_>>()
    } else {
        vec![]
    };

    for step in 0..opts.max_new_tokens {
        if !opts.use_cache {
            let rows: Vec<Vec<u32>> = active
                .iter()
                .map(|&r| {
                    padded[r / g]
                        .iter()
                        .chain(&out[r].tokens)
                        .copied()
                        .collect()
                })
                .collect();
            let m: Vec<Vec<u8>> = active.iter().map(|&r| masks[r].clone()).collect();
            last = last_logits(
                model
                    .forward(ids_tensor::<B>(&rows, &dev), &m, None, false)
                    .logits,
            )?;
        }
        let mut still = Vec::with_capacity(active.len());
        let mut keep_rows = Vec::with_capacity(active.len());
        for (j, &r) in active.iter().enumerate() {
            let (tok, lp) = sample_token(&last[j], opts, &mut rng);
            let c = &mut out[r];
            c.tokens.push(tok);
            c.logprobs.push(lp);
            masks[r].push(1);
            let stop_str = decode.is_some_and(|d| {
                let text = d(&c.tokens);
                opts.stop_strings.iter().any(|s| text.contains(s.as_str()))
            });
            if opts.stop_ids.contains(&tok) || stop_str {
                c.finished = true;
            } else {
                still.push(r);
                keep_rows.push(j);
            }
        }
        if still.is_empty() || step + 1 == opts.max_new_tokens {
            break;
        }
        if opts.use_cache {
            if keep_rows.len() != active.len() {
                cache.select_rows(&keep_rows);
            }
            let next: Vec<Vec<u32>> = still
                .iter()
                .map(|&r| vec![*out[r].tokens.last().expect("one token per step")])
                .collect();
            let m: Vec<Vec<u8>> = still.iter().map(|&r| masks[r].clone()).collect();
            last = last_logits(
                model
                    .forward(ids_tensor::<B>(&next, &dev), &m, Some(&mut cache), false)
                    .logits,
            )?;
        }
        active = still;
    }
    Ok(out)
}

/// Logits of the last position of each row, on the host: `[B, T, V] -> B × V`.
pub fn last_logits<B: Backend>(logits: Tensor<B, 3>) -> Result<Vec<Vec<f32>>> {
    let [b, t, v] = logits.dims();
    let data = logits
        .slice([0..b, t - 1..t, 0..v])
        .into_data()
        .convert::<f32>();
    let flat = data
        .to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading logits: {e:?}"))?;
    Ok(flat.chunks(v).map(<[f32]>::to_vec).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_filters_follow_hf_order() {
        let logits = [2.0, 1.0, 0.5, -1.0];
        let mut rng = StdRng::seed_from_u64(1);
        let greedy = GenerateOptions::default();
        assert_eq!(sample_token(&logits, &greedy, &mut rng).0, 0);
        // top_k = 1 is greedy whatever the temperature.
        let k1 = GenerateOptions {
            temperature: 5.0,
            top_k: 1,
            ..Default::default()
        };
        for _ in 0..20 {
            assert_eq!(sample_token(&logits, &k1, &mut rng).0, 0);
        }
        // top_p small keeps only the head; log-prob is of the renormalised distribution (= 0).
        let p = GenerateOptions {
            temperature: 1.0,
            top_p: 0.1,
            ..Default::default()
        };
        let (t, lp) = sample_token(&logits, &p, &mut rng);
        assert_eq!((t, lp), (0, 0.0));
        // Unfiltered sampling visits every token and follows the softmax roughly.
        let t1 = GenerateOptions {
            temperature: 1.0,
            ..Default::default()
        };
        let mut counts = [0usize; 4];
        for _ in 0..4000 {
            counts[sample_token(&logits, &t1, &mut rng).0 as usize] += 1;
        }
        let z: f32 = logits.iter().map(|x: &f32| x.exp()).sum();
        for (i, c) in counts.iter().enumerate() {
            let want = logits[i].exp() / z * 4000.0;
            assert!(
                (*c as f32 - want).abs() < 0.15 * 4000.0_f32.max(want).sqrt() * 10.0,
                "token {i}: {c} vs {want}"
            );
        }
    }

    #[test]
    fn left_pad_masks_padding() {
        let (ids, mask) = left_pad(&[vec![5, 6, 7], vec![9]], 0);
        assert_eq!(ids, vec![vec![5, 6, 7], vec![0, 0, 9]]);
        assert_eq!(mask, vec![vec![1, 1, 1], vec![0, 0, 1]]);
    }
}
