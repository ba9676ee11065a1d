//! Qwen3 / Qwen2.5 decoder in burn, computing what HF transformers computes.
//!
//! Read top to bottom: small blocks (linear, RMSNorm, rotary), then attention, MLP, decoder layer,
//! model. Qwen2 and Qwen3 differ by two flags: q/k/v bias (Qwen2) and per-head q/k RMSNorm applied
//! before RoPE (Qwen3). Weights are built from a [`WeightSource`] (a checkpoint or a seeded random
//! init) using HF tensor names, so loading, random init and saving share one name table.

use super::config::{Family, QwenConfig};
use super::forward_context::ForwardContext;
use super::kv_cache::{KvCache, LayerCache};
use anyhow::Result;
use burn::module::Param;
use burn::prelude::*;
use burn::tensor::activation::silu;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;

/// Supplies HF-named tensors in HF layout (`[out, in]` for projections) as host f32.
pub trait WeightSource {
    /// The tensor `name`, which must have exactly `shape`.
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>>;
}

/// Dense projection `y = x W + b`; `weight` is stored `[in, out]` (HF's `[out, in]` transposed).
#[derive(Module, Debug)]
pub struct Linear<B: Backend> {
    /// `[in, out]`.
    pub weight: Param<Tensor<B, 2>>,
    /// `[out]`, when the checkpoint has one.
    pub bias: Option<Param<Tensor<B, 1>>>,
}

impl<B: Backend> Linear<B> {
    fn load(
        src: &mut impl WeightSource,
        name: &str,
        out: usize,
        inp: usize,
        bias: bool,
        dev: &B::Device,
    ) -> Result<Self> {
        let w = src.take(&format!("{name}.weight"), &[out, inp])?;
        let weight = Tensor::from_data(TensorData::new(transpose(&w, out, inp), [inp, out]), dev);
        let bias = if bias {
            let b = src.take(&format!("{name}.bias"), &[out])?;
            Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(b, [out]),
                dev,
            )))
        } else {
            None
        };
        Ok(Self {
            weight: Param::from_tensor(weight),
            bias,
        })
    }

    /// `x: [..., in] -> [..., out]`. Leading dims are flattened so the product is one 2-D GEMM
    /// (a broadcast batched matmul would copy the weight once per batch row).
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        let dims = x.dims();
        let rows: usize = dims[..D - 1].iter().product();
        let w = self.weight.val();
        let out = w.dims()[1];
        let mut y = x.reshape([rows, dims[D - 1]]).matmul(w);
        if let Some(b) = &self.bias {
            y = y + b.val().unsqueeze::<2>();
        }
        let mut shape = dims;
        shape[D - 1] = out;
        y.reshape(shape)
    }
}

/// Row-major `[rows, cols]` -> `[cols, rows]` on the host.
pub fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = x[r * cols + c];
        }
    }
    out
}

/// RMSNorm: `x / sqrt(mean(x²) + eps) * weight`, over the last dim.
#[derive(Module, Debug)]
pub struct RmsNorm<B: Backend> {
    /// `[dim]`.
    pub weight: Param<Tensor<B, 1>>,
    /// Added to the mean square.
    pub eps: f64,
}

impl<B: Backend> RmsNorm<B> {
    fn load(
        src: &mut impl WeightSource,
        name: &str,
        dim: usize,
        eps: f64,
        dev: &B::Device,
    ) -> Result<Self> {
        let w = src.take(&format!("{name}.weight"), &[dim])?;
        Ok(Self {
            weight: Param::from_tensor(Tensor::from_data(TensorData::new(w, [dim]), dev)),
            eps,
        })
    }

    /// Normalises the last dimension of `x`.
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        let var = x.clone().powi_scalar(2).mean_dim(D - 1);
        x * (var + self.eps).sqrt().recip() * self.weight.val().unsqueeze::<D>()
    }
}

/// HF rotate-half rotary tables `cos/sin: [B, T, head_dim]` for the given positions.
pub fn rotary_tables<B: Backend>(
    cfg: &QwenConfig,
    positions: Tensor<B, 2, Int>,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let half = cfg.head_dim / 2;
    // f32 like HF: inv_freq = 1 / theta^(2i/d).
    let inv: Vec<f32> = (0..half)
        .map(|i| 1.0 / (cfg.rope_theta as f32).powf((2 * i) as f32 / cfg.head_dim as f32))
        .collect();
    let dev = positions.device();
    let inv = Tensor::<B, 1>::from_data(TensorData::new(inv, [half]), &dev).reshape([1, 1, half]);
    let freqs = positions.float().unsqueeze_dim::<3>(2) * inv; // [B, T, half]
    let emb = Tensor::cat(vec![freqs.clone(), freqs], 2); // [B, T, D]
    (emb.clone().cos(), emb.sin())
}

fn rotate_half<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [b, h, t, d] = x.dims();
    let x1 = x.clone().slice([0..b, 0..h, 0..t, 0..d / 2]);
    let x2 = x.slice([0..b, 0..h, 0..t, d / 2..d]);
    Tensor::cat(vec![x2.neg(), x1], 3)
}

/// `x, cos, sin: [B, H, T, D]` (tables pre-expanded to x's shape: CPU backends are far slower on
/// broadcasting element-wise ops than on same-shape ones).
fn apply_rope<B: Backend>(x: Tensor<B, 4>, cos: &Tensor<B, 4>, sin: &Tensor<B, 4>) -> Tensor<B, 4> {
    x.clone() * cos.clone() + rotate_half(x) * sin.clone()
}

/// Grouped-query self-attention with optional q/k/v bias (Qwen2) and q/k RMSNorm (Qwen3).
#[derive(Module, Debug)]
pub struct Attention<B: Backend> {
    /// `hidden -> heads * head_dim`.
    pub q_proj: Linear<B>,
    /// `hidden -> kv_heads * head_dim`.
    pub k_proj: Linear<B>,
    /// `hidden -> kv_heads * head_dim`.
    pub v_proj: Linear<B>,
    /// `heads * head_dim -> hidden`.
    pub o_proj: Linear<B>,
    /// Qwen3 per-head query norm over `head_dim`.
    pub q_norm: Option<RmsNorm<B>>,
    /// Qwen3 per-head key norm over `head_dim`.
    pub k_norm: Option<RmsNorm<B>>,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Per-head width.
    pub head_dim: usize,
}

impl<B: Backend> Attention<B> {
    /// `x: [B, T, hidden]` -> `[B, T, hidden]`. With a cache, this step's keys/values are appended
    /// to it and attention spans past + new positions.
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        ctx: &ForwardContext<B>,
        cache: Option<&mut LayerCache<B>>,
    ) -> Tensor<B, 3> {
        let [b, t, _] = x.dims();
        let (h, kvh, d) = (self.heads, self.kv_heads, self.head_dim);
        let rep = h / kvh;
        // 1. Project: (B, T, H*D) -> (B, T, H, D).
        let mut q = self.q_proj.forward(x.clone()).reshape([b, t, h, d]);
        let mut k = self.k_proj.forward(x.clone()).reshape([b, t, kvh, d]);
        let v = self.v_proj.forward(x).reshape([b, t, kvh, d]);
        // 2. Qwen3: RMSNorm each head before RoPE.
        if let (Some(qn), Some(kn)) = (&self.q_norm, &self.k_norm) {
            q = qn.forward(q);
            k = kn.forward(k);
        }
        // 3. (B, T, H, D) -> (B, H, T, D), rotate.
        let q = apply_rope(q.swap_dims(1, 2), &ctx.cos_q, &ctx.sin_q);
        let mut k = apply_rope(k.swap_dims(1, 2), &ctx.cos_k, &ctx.sin_k);
        let mut v = v.swap_dims(1, 2);
        // 4. Cache: keys/values of earlier steps come first.
        if let Some(c) = cache {
            if let Some((pk, pv)) = c.take() {
                k = Tensor::cat(vec![pk, k], 2);
                v = Tensor::cat(vec![pv, v], 2);
            }
            *c = Some((k.clone(), v.clone()));
        }
        // 5. GQA without copying K/V: the `rep` query heads of a group become `rep * T` rows
        //    against the group's kv head (head h uses kv head h / rep, as HF's repeat_kv); the
        //    mask carries causality and padding for that row order.
        let q = q.reshape([b, kvh, rep * t, d]);
        let opts = AttentionModuleOptions {
            scale: Some(1.0 / (d as f64).sqrt()),
            softcap: None,
            is_causal: false,
        };
        let out = attention(q, k, v, ctx.mask.clone(), None, opts);
        // 6. (B, KVH, rep*T, D) -> (B, T, H*D) -> hidden.
        let out = out
            .reshape([b, h, t, d])
            .swap_dims(1, 2)
            .reshape([b, t, h * d]);
        self.o_proj.forward(out)
    }
}

/// SiLU-gated MLP: `down(silu(gate(x)) * up(x))`.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    /// `hidden -> intermediate`.
    pub gate_proj: Linear<B>,
    /// `hidden -> intermediate`.
    pub up_proj: Linear<B>,
    /// `intermediate -> hidden`.
    pub down_proj: Linear<B>,
}

impl<B: Backend> Mlp<B> {
    /// `x: [B, T, hidden] -> [B, T, hidden]`.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        self.down_proj
            .forward(silu(self.gate_proj.forward(x.clone())) * self.up_proj.forward(x))
    }
}

/// One pre-norm decoder layer — the unit layerscript trains, freezes and scores.
#[derive(Module, Debug)]
pub struct DecoderLayer<B: Backend> {
    /// Norm before attention.
    pub input_layernorm: RmsNorm<B>,
    /// Self-attention.
    pub self_attn: Attention<B>,
    /// Norm before the MLP.
    pub post_attention_layernorm: RmsNorm<B>,
    /// Feed-forward block.
    pub mlp: Mlp<B>,
}

impl<B: Backend> DecoderLayer<B> {
    /// Residual stream in, residual stream out: `[B, T, hidden]`.
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        ctx: &ForwardContext<B>,
        cache: Option<&mut LayerCache<B>>,
    ) -> Tensor<B, 3> {
        let h = x.clone()
            + self
                .self_attn
                .forward(self.input_layernorm.forward(x), ctx, cache);
        h.clone() + self.mlp.forward(self.post_attention_layernorm.forward(h))
    }
}

/// A Qwen causal LM.
#[derive(Module, Debug)]
pub struct Qwen<B: Backend> {
    /// `[vocab, hidden]` token embeddings (also the output matrix when tied).
    pub embed_tokens: Param<Tensor<B, 2>>,
    /// Decoder layers, addressed by index everywhere in layerscript.
    pub layers: Vec<DecoderLayer<B>>,
    /// Final norm.
    pub norm: RmsNorm<B>,
    /// Untied output projection `hidden -> vocab`; `None` when tied to the embeddings.
    pub lm_head: Option<Linear<B>>,
    /// The HF config the weights belong to.
    #[module(skip)]
    pub config: QwenConfig,
}

/// What a forward pass returns.
pub struct ForwardOutput<B: Backend> {
    /// `[B, T, vocab]`.
    pub logits: Tensor<B, 3>,
    /// When requested: embeddings, then the residual stream after each layer, then the final norm
    /// (HF's `hidden_states` with the last entry post-norm). Each `[B, T, hidden]`.
    pub hidden: Vec<Tensor<B, 3>>,
}

impl<B: Backend> Qwen<B> {
    /// Builds a model from HF-named tensors (a checkpoint or a seeded random init).
    pub fn from_source(
        cfg: &QwenConfig,
        src: &mut impl WeightSource,
        dev: &B::Device,
    ) -> Result<Self> {
        let (hs, d) = (cfg.hidden_size, cfg.head_dim);
        let emb = src.take("model.embed_tokens.weight", &[cfg.vocab_size, hs])?;
        let embed_tokens = Param::from_tensor(Tensor::from_data(
            TensorData::new(emb, [cfg.vocab_size, hs]),
            dev,
        ));
        let qwen3 = cfg.model_type == Family::Qwen3;
        let o_bias = qwen3 && cfg.attention_bias;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let p = format!("model.layers.{i}");
            let (h, kvh) = (cfg.num_attention_heads, cfg.num_key_value_heads);
            let self_attn = Attention {
                q_proj: Linear::load(
                    src,
                    &format!("{p}.self_attn.q_proj"),
                    h * d,
                    hs,
                    cfg.attention_bias,
                    dev,
                )?,
                k_proj: Linear::load(
                    src,
                    &format!("{p}.self_attn.k_proj"),
                    kvh * d,
                    hs,
                    cfg.attention_bias,
                    dev,
                )?,
                v_proj: Linear::load(
                    src,
                    &format!("{p}.self_attn.v_proj"),
                    kvh * d,
                    hs,
                    cfg.attention_bias,
                    dev,
                )?,
                o_proj: Linear::load(
                    src,
                    &format!("{p}.self_attn.o_proj"),
                    hs,
                    h * d,
                    o_bias,
                    dev,
                )?,
                q_norm: qwen3
                    .then(|| {
                        RmsNorm::load(
                            src,
                            &format!("{p}.self_attn.q_norm"),
                            d,
                            cfg.rms_norm_eps,
                            dev,
                        )
                    })
                    .transpose()?,
                k_norm: qwen3
                    .then(|| {
                        RmsNorm::load(
                            src,
                            &format!("{p}.self_attn.k_norm"),
                            d,
                            cfg.rms_norm_eps,
                            dev,
                        )
                    })
                    .transpose()?,
                heads: h,
                kv_heads: kvh,
                head_dim: d,
            };
            let mlp = Mlp {
                gate_proj: Linear::load(
                    src,
                    &format!("{p}.mlp.gate_proj"),
                    cfg.intermediate_size,
                    hs,
                    false,
                    dev,
                )?,
                up_proj: Linear::load(
                    src,
                    &format!("{p}.mlp.up_proj"),
                    cfg.intermediate_size,
                    hs,
                    false,
                    dev,
                )?,
                down_proj: Linear::load(
                    src,
                    &format!("{p}.mlp.down_proj"),
                    hs,
                    cfg.intermediate_size,
                    false,
                    dev,
                )?,
            };
            layers.push(DecoderLayer {
                input_layernorm: RmsNorm::load(
                    src,
                    &format!("{p}.input_layernorm"),
                    hs,
                    cfg.rms_norm_eps,
                    dev,
                )?,
                self_attn,
                post_attention_layernorm: RmsNorm::load(
                    src,
                    &format!("{p}.post_attention_layernorm"),
                    hs,
                    cfg.rms_norm_eps,
                    dev,
                )?,
                mlp,
            });
        }
        let norm = RmsNorm::load(src, "model.norm", hs, cfg.rms_norm_eps, dev)?;
        let lm_head = if cfg.tie_word_embeddings {
            None
        } else {
            Some(Linear::load(
                src,
                "lm_head",
                cfg.vocab_size,
                hs,
                false,
                dev,
            )?)
        };
        Ok(Self {
            embed_tokens,
            layers,
            norm,
            lm_head,
            config: cfg.clone(),
        })
    }

    /// Number of decoder layers.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// `ids: [B, T] -> [B, T, hidden]`.
    pub fn embed(&self, ids: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        let [b, t] = ids.dims();
        let flat = ids.reshape([b * t]);
        self.embed_tokens
            .val()
            .select(0, flat)
            .reshape([b, t, self.config.hidden_size])
    }

    /// Final norm output `[B, T, hidden]` -> logits `[B, T, vocab]`.
    pub fn logits(&self, normed: Tensor<B, 3>) -> Tensor<B, 3> {
        match &self.lm_head {
            Some(head) => head.forward(normed),
            None => {
                let [b, t, h] = normed.dims();
                let emb = self.embed_tokens.val();
                let v = emb.dims()[0];
                normed
                    .reshape([b * t, h])
                    .matmul(emb.transpose())
                    .reshape([b, t, v])
            }
        }
    }

    /// Runs `layers[range]` over the residual stream `x`.
    pub fn run_layers(
        &self,
        mut x: Tensor<B, 3>,
        range: std::ops::Range<usize>,
        ctx: &ForwardContext<B>,
        mut cache: Option<&mut KvCache<B>>,
        hidden: Option<&mut Vec<Tensor<B, 3>>>,
    ) -> Tensor<B, 3> {
        let mut hidden = hidden;
        for i in range {
            let slot = cache.as_deref_mut().map(|c| &mut c.layers[i]);
            x = self.layers[i].forward(x, ctx, slot);
            if let Some(hs) = hidden.as_deref_mut() {
                hs.push(x.clone());
            }
        }
        x
    }

    /// Full forward. `key_mask: [B, T_past + T]` is 1 for real tokens and 0 for (left) padding;
    /// positions are `cumsum(mask) - 1` clamped at 0, as HF generation uses. With a cache, only the
    /// new tokens are given and the cache grows by `T`.
    pub fn forward(
        &self,
        ids: Tensor<B, 2, Int>,
        key_mask: &[Vec<u8>],
        cache: Option<&mut KvCache<B>>,
        want_hidden: bool,
    ) -> ForwardOutput<B> {
        let (normed, hidden) = self.forward_normed(ids, key_mask, cache, want_hidden);
        ForwardOutput {
            logits: self.logits(normed),
            hidden,
        }
    }

    /// Everything but the output projection: final-norm output `[B, T, hidden]` (and, when
    /// requested, the hidden states listed in [`ForwardOutput::hidden`]). Lets callers project
    /// only the positions they need onto the vocabulary.
    pub fn forward_normed(
        &self,
        ids: Tensor<B, 2, Int>,
        key_mask: &[Vec<u8>],
        mut cache: Option<&mut KvCache<B>>,
        want_hidden: bool,
    ) -> (Tensor<B, 3>, Vec<Tensor<B, 3>>) {
        let past = cache.as_ref().map_or(0, |c| c.len());
        let ctx = ForwardContext::new(&self.config, key_mask, past, ids.dims()[1], &ids.device());
        let x = self.embed(ids);
        let mut hidden = want_hidden.then(|| vec![x.clone()]);
        let x = self.run_layers(
            x,
            0..self.num_layers(),
            &ctx,
            cache.as_deref_mut(),
            hidden.as_mut(),
        );
        if let Some(c) = cache {
            c.advance(ctx.new_tokens);
        }
        let normed = self.norm.forward(x);
        if let Some(hs) = hidden.as_mut() {
            hs.push(normed.clone());
        }
        (normed, hidden.unwrap_or_default())
    }
}
