//! Teacher-forced per-token log-probabilities of given continuations, batched and padded.
//!
//! Layout of a batch row: `[left pad | prompt | completion | right pad]`. Prompts are left-padded
//! to a common length P so every completion starts at column P; completions are right-padded.
//! Positions are `cumsum(mask) - 1`, so padding changes nothing for the real tokens.

use super::generate::{ids_tensor, left_pad};
use super::qwen::Qwen;
use anyhow::{bail, Result};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// A padded (prompt, completion) batch ready for a forward pass.
pub struct PackedBatch {
    /// `[B][P + C]` token ids.
    pub ids: Vec<Vec<u32>>,
    /// `[B][P + C]` key mask (1 = real token).
    pub key_mask: Vec<Vec<u8>>,
    /// `[B][C]` 1 where the completion has a token.
    pub completion_mask: Vec<Vec<u8>>,
    /// Common (padded) prompt length P.
    pub prompt_len: usize,
    /// Common (padded) completion length C.
    pub completion_len: usize,
}

impl PackedBatch {
    /// Packs prompts and their completions (same count).
    pub fn new(prompts: &[Vec<u32>], completions: &[Vec<u32>], pad: u32) -> Result<Self> {
        if prompts.len() != completions.len() {
            bail!(
                "{} prompts but {} completions",
                prompts.len(),
                completions.len()
            );
        }
        if prompts.iter().any(Vec::is_empty) {
            bail!("every prompt needs at least one token (the first completion token is predicted from it)");
        }
        let (mut ids, mut key_mask) = left_pad(prompts, pad);
        let p = ids.first().map_or(0, Vec::len);
        let c = completions.iter().map(Vec::len).max().unwrap_or(0);
        let mut completion_mask = Vec::with_capacity(completions.len());
        for (r, comp) in completions.iter().enumerate() {
            let fill = c - comp.len();
            ids[r].extend(comp.iter().copied().chain(std::iter::repeat_n(pad, fill)));
            let m: Vec<u8> = std::iter::repeat_n(1u8, comp.len())
                .chain(std::iter::repeat_n(0, fill))
                .collect();
            key_mask[r].extend(&m);
            completion_mask.push(m);
        }
        Ok(Self {
            ids,
            key_mask,
            completion_mask,
            prompt_len: p,
            completion_len: c,
        })
    }
}

/// Differentiable per-token log-probs `[B, C]` of the completions (padded positions hold
/// garbage: multiply by the completion mask). `temperature` divides logits first (TRL does this
/// for its old/ref/current log-probs); pass 1.0 for plain log-probs.
pub fn token_logprobs<B: Backend>(
    model: &Qwen<B>,
    batch: &PackedBatch,
    temperature: f32,
) -> Tensor<B, 2> {
    completion_log_softmax(model, batch, temperature, |lsm, targets| {
        lsm.gather(2, targets).squeeze_dim::<2>(2)
    })
}

/// [`token_logprobs`] plus the per-token entropy `[B, C]` of the policy's distribution (for
/// metrics, detached; it shares the log-softmax).
pub fn token_logprobs_with_entropy<B: Backend>(
    model: &Qwen<B>,
    batch: &PackedBatch,
    temperature: f32,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let mut entropy = None;
    let lp = completion_log_softmax(model, batch, temperature, |lsm, targets| {
        // Detached: the entropy is a metric, so it stays out of the autodiff graph and the
        // backward pass is exactly that of `token_logprobs`.
        let l = lsm.clone().detach();
        entropy = Some((l.clone().exp() * l).sum_dim(2).squeeze_dim::<2>(2).neg());
        lsm.gather(2, targets).squeeze_dim::<2>(2)
    });
    (lp, entropy.expect("closure ran"))
}

/// Runs the model on a packed batch and hands the completion positions' log-softmax `[B, C, V]`
/// and target ids `[B, C, 1]` to `f`.
fn completion_log_softmax<B: Backend, R>(
    model: &Qwen<B>,
    batch: &PackedBatch,
    temperature: f32,
    f: impl FnOnce(Tensor<B, 3>, Tensor<B, 3, Int>) -> R,
) -> R {
    let dev = model.embed_tokens.val().device();
    let (b, p, c) = (batch.ids.len(), batch.prompt_len, batch.completion_len);
    let (normed, _) = model.forward_normed(
        ids_tensor::<B>(&batch.ids, &dev),
        &batch.key_mask,
        None,
        false,
    );
    let hs = normed.dims()[2];
    // Position P-1+j predicts completion token j: project only those C positions on the vocab.
    let logits = model.logits(normed.slice([0..b, p - 1..p - 1 + c, 0..hs]));
    let logits = if temperature != 1.0 {
        logits / temperature
    } else {
        logits
    };
    let targets: Vec<Vec<u32>> = batch.ids.iter().map(|r| r[p..].to_vec()).collect();
    f(
        log_softmax(logits, 2),
        ids_tensor::<B>(&targets, &dev).unsqueeze_dim::<3>(2),
    )
}

/// Host version of [`token_logprobs`]: one vector per row, trimmed to its completion length.
pub fn completion_logprobs<B: Backend>(
    model: &Qwen<B>,
    prompts: &[Vec<u32>],
    completions: &[Vec<u32>],
) -> Result<Vec<Vec<f32>>> {
    if completions.iter().all(Vec::is_empty) {
        return Ok(completions.iter().map(|_| vec![]).collect());
    }
    for (i, (p, c)) in prompts.iter().zip(completions).enumerate() {
        model
            .config
            .check_token_ids(p.iter().chain(c), &format!("sequence {i}"))?;
    }
    let batch = PackedBatch::new(prompts, completions, 0)?;
    let lp = token_logprobs(model, &batch, 1.0);
    let flat = lp
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading log-probs: {e:?}"))?;
    Ok(flat
        .chunks(batch.completion_len)
        .zip(completions)
        .map(|(row, comp)| row[..comp.len()].to_vec())
        .collect())
}
