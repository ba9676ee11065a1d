//! The per-forward context every decoder layer shares: rotary tables for the new positions
//! (position ids = cumsum(key mask) − 1, so left padding is skipped) and the causal + padding
//! mask, laid out for GQA-folded query rows.

use super::config::QwenConfig;
use super::qwen::rotary_tables;
use burn::prelude::*;

/// Per-forward tensors shared by all layers: rotary tables and the attention mask.
pub struct ForwardContext<B: Backend> {
    /// `[B, H, T, D]`.
    pub cos_q: Tensor<B, 4>,
    /// `[B, H, T, D]`.
    pub sin_q: Tensor<B, 4>,
    /// `[B, KVH, T, D]`.
    pub cos_k: Tensor<B, 4>,
    /// `[B, KVH, T, D]`.
    pub sin_k: Tensor<B, 4>,
    /// `[B, 1, rep * T, T_past + T]`, true = may not attend (future or padding); rows ordered as
    /// the GQA-folded queries (`r * T + t`). `None` when nothing is masked (one new token, no
    /// padding).
    pub mask: Option<Tensor<B, 4, Bool>>,
    /// `T`.
    pub new_tokens: usize,
}

impl<B: Backend> ForwardContext<B> {
    /// Builds positions and masks for `t` new tokens after `past` cached ones.
    /// `key_mask[b]` covers all `past + t` key positions (1 = attend, 0 = padding).
    pub fn new(
        cfg: &QwenConfig,
        key_mask: &[Vec<u8>],
        past: usize,
        t: usize,
        dev: &B::Device,
    ) -> Self {
        let b = key_mask.len();
        let tk = past + t;
        let rep = cfg.group_size();
        let mut pos = Vec::with_capacity(b * t);
        let mut mask = vec![false; b * t * tk];
        let mut any_masked = false;
        for (r, km) in key_mask.iter().enumerate() {
            assert_eq!(
                km.len(),
                tk,
                "key mask row {r} has {} entries, expected past {past} + new {t}",
                km.len()
            );
            let mut cum = 0i64;
            for (j, &m) in km.iter().enumerate() {
                cum += m as i64;
                if j >= past {
                    pos.push((cum - 1).max(0));
                }
            }
            for qi in 0..t {
                for kj in 0..tk {
                    if kj > past + qi || km[kj] == 0 {
                        mask[(r * t + qi) * tk + kj] = true;
                        any_masked = true;
                    }
                }
            }
        }
        let positions = Tensor::<B, 2, Int>::from_data(TensorData::new(pos, [b, t]), dev);
        let (cos, sin) = rotary_tables(cfg, positions);
        let full = |x: Tensor<B, 3>, heads: usize| x.unsqueeze_dim::<4>(1).repeat_dim(1, heads);
        let mask = any_masked.then(|| {
            Tensor::<B, 1, Bool>::from_data(TensorData::new(mask, [b * t * tk]), dev)
                .reshape([b, 1, t, tk])
                .repeat_dim(1, rep)
                .reshape([b, 1, rep * t, tk])
        });
        Self {
            cos_q: full(cos.clone(), cfg.num_attention_heads),
            sin_q: full(sin.clone(), cfg.num_attention_heads),
            cos_k: full(cos, cfg.num_key_value_heads),
            sin_k: full(sin, cfg.num_key_value_heads),
            mask,
            new_tokens: t,
        }
    }
}
