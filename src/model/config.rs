//! HF `config.json` for Qwen3 and Qwen2/Qwen2.5, read as the checkpoints write it.
//!
//! Two layouts exist in the wild: official checkpoints (top-level `rope_theta`, `torch_dtype`) and
//! transformers 5 (`rope_parameters: {rope_theta, rope_type}`, `dtype`). Both are accepted; what we
//! do not implement (sliding window, rope scaling, MoE) is refused with a sentence that says so.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which decoder family: the two differ only by q/k/v bias (Qwen2) and per-head q/k RMSNorm (Qwen3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `model_type: qwen2` — Qwen2, Qwen2.5, Qwen2.5-Math, DeepSeek-R1-Distill-Qwen.
    Qwen2,
    /// `model_type: qwen3` — dense Qwen3.
    Qwen3,
}

/// The fields of an HF Qwen config that the model needs, with HF's own names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QwenConfig {
    /// `qwen2` or `qwen3`.
    pub model_type: Family,
    /// Token vocabulary rows of the embedding (and lm_head).
    pub vocab_size: usize,
    /// Residual stream width.
    pub hidden_size: usize,
    /// MLP inner width.
    pub intermediate_size: usize,
    /// Decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (GQA groups).
    pub num_key_value_heads: usize,
    /// Per-head width; Qwen2 configs omit it (hidden / heads).
    pub head_dim: usize,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// RoPE base.
    pub rope_theta: f64,
    /// lm_head shares the embedding matrix (no `lm_head.weight` in the file).
    pub tie_word_embeddings: bool,
    /// q/k/v (and for Qwen3 also o) projections carry a bias. Always true for Qwen2.
    pub attention_bias: bool,
    /// Maximum positions the checkpoint was trained for (informational).
    pub max_position_embeddings: usize,
    /// Stored dtype of the checkpoint ("float32", "bfloat16", "float16").
    pub torch_dtype: String,
    /// BOS id, if the config names one.
    pub bos_token_id: Option<u32>,
    /// EOS ids named by the config (one or a list).
    pub eos_token_id: Vec<u32>,
    /// The raw JSON, written back unchanged (but for the dtype) when the model is saved.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

impl QwenConfig {
    /// Checks that every id of `ids` is a row of the embedding table; the error names the first
    /// bad id, where it is (`what`, e.g. "prompt 3") and the vocabulary size.
    pub fn check_token_ids<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a u32>,
        what: &str,
    ) -> Result<()> {
        let vocab = self.vocab_size;
        if let Some(bad) = ids.into_iter().find(|&&t| t as usize >= vocab) {
            anyhow::bail!(
                "token id {bad} in {what} is outside the model's vocabulary of {vocab} (valid ids are 0..={})",
                vocab - 1
            );
        }
        Ok(())
    }

    /// Reads and validates `config.json`; errors name the file and the field.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_json_str(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and validates a config from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let v: serde_json::Value =
            serde_json::from_str(text).context("config is not valid JSON")?;
        Self::from_json(v)
    }

    /// Parses and validates a config from a JSON value.
    pub fn from_json(v: serde_json::Value) -> Result<Self> {
        let obj = v.as_object().context("config.json must be a JSON object")?;
        let get = |k: &str| obj.get(k).filter(|x| !x.is_null());
        let usize_of = |k: &str| -> Result<usize> {
            get(k)
                .with_context(|| format!("missing field `{k}`"))?
                .as_u64()
                .map(|x| x as usize)
                .with_context(|| format!("field `{k}` must be a non-negative integer"))
        };
        let model_type = match get("model_type").and_then(|x| x.as_str()) {
            Some("qwen3") => Family::Qwen3,
            Some("qwen2") => Family::Qwen2,
            Some(other) => bail!(
                "model_type `{other}` is not supported: layerscript implements dense `qwen3` and `qwen2` \
                 (Qwen2.5, DeepSeek-R1-Distill-Qwen)"
            ),
            None => bail!("missing field `model_type` (expected \"qwen3\" or \"qwen2\")"),
        };
        for moe in ["num_experts", "num_local_experts", "moe_intermediate_size"] {
            if get(moe).and_then(|x| x.as_u64()).unwrap_or(0) > 0 {
                bail!("field `{moe}` says this is a mixture-of-experts model; only dense Qwen models are supported");
            }
        }
        if get("use_sliding_window").and_then(|x| x.as_bool()) == Some(true) {
            bail!("`use_sliding_window: true` is not supported: set it to false (Qwen checkpoints ship with it off)");
        }
        // Rope: official layout has top-level rope_theta + rope_scaling; transformers 5 nests both.
        let rope_params = get("rope_parameters").and_then(|x| x.as_object());
        let rope_theta = rope_params
            .and_then(|p| p.get("rope_theta"))
            .or_else(|| get("rope_theta"))
            .and_then(|x| x.as_f64())
            .unwrap_or(10_000.0);
        let rope_type = rope_params
            .and_then(|p| p.get("rope_type").or_else(|| p.get("type")))
            .or_else(|| {
                get("rope_scaling").and_then(|s| s.get("rope_type").or_else(|| s.get("type")))
            })
            .and_then(|x| x.as_str())
            .unwrap_or("default");
        if rope_type != "default" {
            bail!("rope scaling type `{rope_type}` is not implemented: only the default rotary embedding is supported");
        }
        let hidden_size = usize_of("hidden_size")?;
        let heads = usize_of("num_attention_heads")?;
        let kv_heads = get("num_key_value_heads")
            .map(|_| usize_of("num_key_value_heads"))
            .transpose()?
            .unwrap_or(heads);
        let head_dim = match get("head_dim") {
            Some(_) => usize_of("head_dim")?,
            None => {
                if heads == 0 || hidden_size % heads != 0 {
                    bail!(
                        "hidden_size {hidden_size} is not divisible by num_attention_heads {heads}"
                    );
                }
                hidden_size / heads
            }
        };
        if kv_heads == 0 || heads % kv_heads != 0 {
            bail!(
                "num_attention_heads {heads} must be a multiple of num_key_value_heads {kv_heads}"
            );
        }
        if head_dim % 2 != 0 {
            bail!("head_dim {head_dim} must be even for rotary embeddings");
        }
        let torch_dtype = get("torch_dtype")
            .or_else(|| get("dtype"))
            .and_then(|x| x.as_str())
            .unwrap_or("float32")
            .to_string();
        if !matches!(torch_dtype.as_str(), "float32" | "bfloat16" | "float16") {
            bail!("dtype `{torch_dtype}` is not supported (float32, bfloat16 or float16)");
        }
        let eos_token_id = match get("eos_token_id") {
            Some(serde_json::Value::Array(xs)) => xs
                .iter()
                .filter_map(|x| x.as_u64())
                .map(|x| x as u32)
                .collect(),
            Some(x) => x.as_u64().map(|x| vec![x as u32]).unwrap_or_default(),
            None => vec![],
        };
        let cfg = QwenConfig {
            model_type,
            vocab_size: usize_of("vocab_size")?,
            hidden_size,
            intermediate_size: usize_of("intermediate_size")?,
            num_hidden_layers: usize_of("num_hidden_layers")?,
            num_attention_heads: heads,
            num_key_value_heads: kv_heads,
            head_dim,
            rms_norm_eps: get("rms_norm_eps").and_then(|x| x.as_f64()).unwrap_or(1e-6),
            rope_theta,
            tie_word_embeddings: get("tie_word_embeddings")
                .and_then(|x| x.as_bool())
                .unwrap_or(false),
            attention_bias: match model_type {
                Family::Qwen2 => true,
                Family::Qwen3 => get("attention_bias")
                    .and_then(|x| x.as_bool())
                    .unwrap_or(false),
            },
            max_position_embeddings: get("max_position_embeddings")
                .and_then(|x| x.as_u64())
                .unwrap_or(32768) as usize,
            torch_dtype,
            bos_token_id: get("bos_token_id")
                .and_then(|x| x.as_u64())
                .map(|x| x as u32),
            eos_token_id,
            raw: v.clone(),
        };
        if get("hidden_act")
            .and_then(|x| x.as_str())
            .is_some_and(|a| a != "silu")
        {
            bail!("hidden_act must be `silu` for Qwen models");
        }
        Ok(cfg)
    }

    /// Query heads per key/value head.
    pub fn group_size(&self) -> usize {
        self.num_attention_heads / self.num_key_value_heads
    }

    /// A Qwen3-style config for random-weight models (tests, benchmarks), HF's field names.
    pub fn tiny(
        family: Family,
        layers: usize,
        hidden: usize,
        heads: usize,
        kv_heads: usize,
        inter: usize,
        vocab: usize,
    ) -> Self {
        let json = serde_json::json!({
            "architectures": [match family { Family::Qwen3 => "Qwen3ForCausalLM", Family::Qwen2 => "Qwen2ForCausalLM" }],
            "model_type": match family { Family::Qwen3 => "qwen3", Family::Qwen2 => "qwen2" },
            "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": inter,
            "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
            "head_dim": hidden / heads, "rms_norm_eps": 1e-6, "rope_theta": 1_000_000.0,
            "tie_word_embeddings": true, "attention_bias": false, "hidden_act": "silu",
            "max_position_embeddings": 4096, "torch_dtype": "float32", "use_sliding_window": false,
        });
        Self::from_json(json).expect("tiny config is valid")
    }

    /// The config as JSON to write next to saved weights (the original fields, dtype updated).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = if self.raw.is_object() {
            self.raw.clone()
        } else {
            serde_json::to_value(self).unwrap_or_default()
        };
        if let Some(o) = v.as_object_mut() {
            if o.contains_key("dtype") {
                o.insert("dtype".into(), self.torch_dtype.clone().into());
            } else {
                o.insert("torch_dtype".into(), self.torch_dtype.clone().into());
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL: &str = r#"{"model_type":"qwen3","vocab_size":10,"hidden_size":8,"intermediate_size":16,
      "num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,"rope_theta":1000000,
      "torch_dtype":"bfloat16","tie_word_embeddings":true,"rope_scaling":null,"sliding_window":null,"use_sliding_window":false}"#;

    #[test]
    fn both_layouts_agree() {
        let a = QwenConfig::from_json_str(OFFICIAL).unwrap();
        let t5 = OFFICIAL
            .replace(
                r#""rope_theta":1000000,"#,
                r#""rope_parameters":{"rope_theta":1000000.0,"rope_type":"default"},"#,
            )
            .replace("torch_dtype", "dtype");
        let b = QwenConfig::from_json_str(&t5).unwrap();
        assert_eq!(a.rope_theta, 1e6);
        assert_eq!(
            (a.rope_theta, &a.torch_dtype, a.head_dim),
            (b.rope_theta, &b.torch_dtype, b.head_dim)
        );
    }

    #[test]
    fn qwen2_has_bias_and_derived_head_dim() {
        let c = QwenConfig::from_json_str(
            &OFFICIAL
                .replace("qwen3", "qwen2")
                .replace(r#""head_dim":4,"#, ""),
        )
        .unwrap();
        assert!(c.attention_bias);
        assert_eq!(c.head_dim, 4);
    }

    #[test]
    fn refuses_unsupported() {
        let e = QwenConfig::from_json_str(&OFFICIAL.replace(
            r#""use_sliding_window":false"#,
            r#""use_sliding_window":true"#,
        ));
        assert!(format!("{:#}", e.unwrap_err()).contains("sliding"));
        let e = QwenConfig::from_json_str(&OFFICIAL.replace(
            r#""rope_scaling":null"#,
            r#""rope_scaling":{"type":"yarn","factor":4}"#,
        ));
        assert!(format!("{:#}", e.unwrap_err()).contains("yarn"));
        let e = QwenConfig::from_json_str(&OFFICIAL.replace("qwen3", "qwen3_moe"));
        assert!(format!("{:#}", e.unwrap_err()).contains("qwen3_moe"));
        let e = QwenConfig::from_json_str(&OFFICIAL.replace(r#""hidden_size":8,"#, ""));
        assert!(format!("{:#}", e.unwrap_err()).contains("hidden_size"));
    }
}
