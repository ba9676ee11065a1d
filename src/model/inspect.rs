//! Writing a forward pass to safetensors so users can diff it against their own HF run (the
//! `layerscript logits` command).

use super::qwen::ForwardOutput;
use super::tokenizer::{ChatMessage, Tokenizer};
use anyhow::{Context, Result};
use burn::prelude::*;
use std::path::Path;

fn host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<(Vec<usize>, Vec<f32>)> {
    let dims = t.dims().to_vec();
    let data = t
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((dims, data))
}

/// Writes `input_ids` (I64 [T]), `logits` [T, V] and, when present, `embeddings`,
/// `layer_outputs` [L, T, H] and `final_norm` for batch row 0 — the layout of the fixtures'
/// `reference.safetensors`.
pub fn write_logits<B: Backend>(path: &Path, ids: &[u32], out: ForwardOutput<B>) -> Result<()> {
    let mut tensors: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    let f32_bytes = |d: &[f32]| d.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    tensors.push((
        "input_ids".into(),
        safetensors::Dtype::I64,
        vec![ids.len()],
        ids.iter().flat_map(|&x| (x as i64).to_le_bytes()).collect(),
    ));
    let (dims, logits) = host(out.logits)?;
    tensors.push((
        "logits".into(),
        safetensors::Dtype::F32,
        dims[1..].to_vec(),
        f32_bytes(&logits),
    ));
    if !out.hidden.is_empty() {
        let n = out.hidden.len();
        let mut hidden = out
            .hidden
            .into_iter()
            .map(host)
            .collect::<Result<Vec<_>>>()?;
        let (hd, fin) = hidden.pop().expect("final norm");
        let (ed, emb) = hidden.remove(0);
        tensors.push((
            "embeddings".into(),
            safetensors::Dtype::F32,
            ed[1..].to_vec(),
            f32_bytes(&emb),
        ));
        tensors.push((
            "final_norm".into(),
            safetensors::Dtype::F32,
            hd[1..].to_vec(),
            f32_bytes(&fin),
        ));
        let layers: Vec<f32> = hidden.iter().flat_map(|(_, d)| d.iter().copied()).collect();
        tensors.push((
            "layer_outputs".into(),
            safetensors::Dtype::F32,
            vec![n - 2, ed[1], ed[2]],
            f32_bytes(&layers),
        ));
    }
    let views = tensors
        .iter()
        .map(|(n, dt, s, b)| {
            safetensors::tensor::TensorView::new(*dt, s.clone(), b).map(|v| (n.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = safetensors::serialize(views, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::files::write_atomic(path, &bytes)
}

/// What `layerscript logits` runs the model on.
pub enum LogitsInput {
    /// Token ids as given.
    Ids(Vec<u32>),
    /// Text, tokenized by the model folder's tokenizer.
    Text(String),
    /// A user message rendered with the folder's chat template (generation prompt added), then
    /// tokenized.
    Chat(String),
}

impl LogitsInput {
    /// The token ids, with the tokenizer of `model_dir` where text is given.
    pub fn ids(self, model_dir: &Path) -> Result<Vec<u32>> {
        let tokenizer = || {
            Tokenizer::from_dir(model_dir)
                .with_context(|| format!("--text needs the tokenizer of {}", model_dir.display()))
        };
        match self {
            Self::Ids(ids) => Ok(ids),
            Self::Text(t) => tokenizer()?.encode(&t),
            Self::Chat(t) => tokenizer()?.encode_chat(
                &[ChatMessage::new("user", t)],
                true,
                serde_json::Value::Null,
            ),
        }
    }
}

/// Loads the model in `model_dir` on `dev`, runs one forward pass over `input` and writes it to
/// `out` ([`write_logits`]); the ids are checked against the vocabulary first.
pub fn logits_command<B: Backend>(
    model_dir: &Path,
    input: LogitsInput,
    out: &Path,
    hidden_states: bool,
    dev: &B::Device,
) -> Result<()> {
    let m: super::Qwen<B> = super::load_model(model_dir, dev)?;
    let ids = input.ids(model_dir)?;
    anyhow::ensure!(!ids.is_empty(), "no tokens to run");
    m.config.check_token_ids(&ids, "--ids")?;
    let t = ids.len();
    let o = m.forward(
        super::generate::ids_tensor::<B>(&[ids.clone()], dev),
        &[vec![1; t]],
        None,
        hidden_states,
    );
    write_logits(out, &ids, o).with_context(|| format!("writing {}", out.display()))
}
