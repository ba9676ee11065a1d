//! HF folder <-> model: `config.json` + `model.safetensors` (or sharded with
//! `model.safetensors.index.json`), f32/bf16/f16 converted to f32; saving writes the same layout
//! back in the checkpoint's dtype. Every missing, extra or mis-shaped tensor is reported by name.

use super::config::{Family, QwenConfig};
use super::qwen::{Qwen, WeightSource};
use anyhow::{bail, Context, Result};
use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use half::{bf16, f16};
use memmap2::Mmap;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal};
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Every tensor an HF checkpoint of `cfg` holds: name and HF shape (`[out, in]` for projections).
pub fn specs(cfg: &QwenConfig) -> Vec<(String, Vec<usize>)> {
    let (hs, d, inter) = (cfg.hidden_size, cfg.head_dim, cfg.intermediate_size);
    let (q, kv) = (cfg.num_attention_heads * d, cfg.num_key_value_heads * d);
    let qwen3 = cfg.model_type == Family::Qwen3;
    let mut out = vec![(
        "model.embed_tokens.weight".to_string(),
        vec![cfg.vocab_size, hs],
    )];
    for i in 0..cfg.num_hidden_layers {
        let p = format!("model.layers.{i}");
        let mut push = |n: &str, s: Vec<usize>| out.push((format!("{p}.{n}"), s));
        push("input_layernorm.weight", vec![hs]);
        for (n, o) in [("q_proj", q), ("k_proj", kv), ("v_proj", kv)] {
            push(&format!("self_attn.{n}.weight"), vec![o, hs]);
            if cfg.attention_bias {
                push(&format!("self_attn.{n}.bias"), vec![o]);
            }
        }
        push("self_attn.o_proj.weight", vec![hs, q]);
        if qwen3 && cfg.attention_bias {
            push("self_attn.o_proj.bias", vec![hs]);
        }
        if qwen3 {
            push("self_attn.q_norm.weight", vec![d]);
            push("self_attn.k_norm.weight", vec![d]);
        }
        push("post_attention_layernorm.weight", vec![hs]);
        push("mlp.gate_proj.weight", vec![inter, hs]);
        push("mlp.up_proj.weight", vec![inter, hs]);
        push("mlp.down_proj.weight", vec![hs, inter]);
    }
    out.push(("model.norm.weight".into(), vec![hs]));
    if !cfg.tie_word_embeddings {
        out.push(("lm_head.weight".into(), vec![cfg.vocab_size, hs]));
    }
    out
}

/// Seeded random weights of HF's init: normal(0, 0.02) matrices, unit norms, zero biases.
pub struct RandomSource {
    rng: StdRng,
    normal: Normal<f32>,
}

impl RandomSource {
    /// A source whose tensors depend only on `seed` and the order they are taken in.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            normal: Normal::new(0.0, 0.02).expect("valid std"),
        }
    }
}

impl WeightSource for RandomSource {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let n = shape.iter().product();
        Ok(if name.ends_with("norm.weight") {
            vec![1.0; n]
        } else if name.ends_with(".bias") {
            vec![0.0; n]
        } else {
            (0..n).map(|_| self.normal.sample(&mut self.rng)).collect()
        })
    }
}

/// Tensors read from one or more memory-mapped safetensors files.
pub struct SafetensorsSource {
    files: Vec<(PathBuf, Mmap)>,
    /// name -> (file index, dtype, shape)
    index: HashMap<String, (usize, Dtype, Vec<usize>)>,
}

impl SafetensorsSource {
    /// Opens `model.safetensors` or every shard named by `model.safetensors.index.json` in `dir`.
    pub fn open_dir(dir: &Path) -> Result<Self> {
        let single = dir.join("model.safetensors");
        let index_path = dir.join("model.safetensors.index.json");
        let paths: Vec<PathBuf> = if index_path.exists() {
            let text = std::fs::read_to_string(&index_path)
                .with_context(|| format!("cannot read {}", index_path.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", index_path.display()))?;
            let map = v
                .get("weight_map")
                .and_then(|m| m.as_object())
                .with_context(|| format!("{}: no `weight_map` object", index_path.display()))?;
            let mut shards: Vec<String> = map
                .values()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            shards.sort();
            shards.dedup();
            shards.into_iter().map(|s| dir.join(s)).collect()
        } else if single.exists() {
            vec![single]
        } else {
            bail!(
                "{}: no model.safetensors or model.safetensors.index.json",
                dir.display()
            );
        };
        Self::open_files(&paths)
    }

    /// Opens the given safetensors files; a truncated or corrupt file is an error naming it.
    pub fn open_files(paths: &[PathBuf]) -> Result<Self> {
        let mut files = Vec::new();
        let mut index = HashMap::new();
        for (i, path) in paths.iter().enumerate() {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            // SAFETY: the file is only read; a concurrent writer would be a user error we cannot detect.
            let mmap = unsafe { Mmap::map(&file) }
                .with_context(|| format!("cannot map {}", path.display()))?;
            let st = SafeTensors::deserialize(&mmap).map_err(|e| {
                anyhow::anyhow!(
                    "{} is not a valid safetensors file (truncated or corrupt?): {e}",
                    path.display()
                )
            })?;
            for (name, view) in st.tensors() {
                if let Some((j, _, _)) = index.get(&name) {
                    let other: &(PathBuf, Mmap) = &files[*j];
                    bail!(
                        "tensor `{name}` appears in both {} and {}",
                        other.0.display(),
                        path.display()
                    );
                }
                index.insert(name, (i, view.dtype(), view.shape().to_vec()));
            }
            files.push((path.clone(), mmap));
        }
        Ok(Self { files, index })
    }

    /// The float dtype most tensors are stored in ("float32", "bfloat16" or "float16").
    pub fn dominant_dtype(&self) -> &'static str {
        let mut counts = BTreeMap::new();
        for (_, dt, _) in self.index.values() {
            *counts.entry(dtype_name(*dt)).or_insert(0usize) += 1;
        }
        counts
            .into_iter()
            .max_by_key(|(_, c)| *c)
            .map(|(d, _)| d)
            .unwrap_or("float32")
    }

    /// Checks the files against `cfg`: lists every missing, unexpected and mis-shaped tensor.
    pub fn check(&self, cfg: &QwenConfig) -> Result<()> {
        let expected = specs(cfg);
        let mut problems = Vec::new();
        for (name, shape) in &expected {
            match self.index.get(name) {
                None => problems.push(format!(
                    "missing tensor `{name}` (expected shape {shape:?})"
                )),
                Some((_, dt, found)) => {
                    if found != shape {
                        problems.push(format!(
                            "tensor `{name}`: expected shape {shape:?}, found {found:?}"
                        ));
                    }
                    if !matches!(dt, Dtype::F32 | Dtype::BF16 | Dtype::F16) {
                        problems.push(format!(
                            "tensor `{name}`: dtype {dt:?} is not supported (F32, BF16, F16)"
                        ));
                    }
                }
            }
        }
        let known: std::collections::HashSet<&str> =
            expected.iter().map(|(n, _)| n.as_str()).collect();
        let mut extra: Vec<&String> = self
            .index
            .keys()
            .filter(|n| !known.contains(n.as_str()))
            .collect();
        extra.sort();
        // A tied checkpoint saved with a redundant lm_head is still loadable, but say so.
        for name in extra {
            problems.push(format!(
                "unexpected tensor `{name}` (not part of a {:?} model with this config)",
                cfg.model_type
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!(
                "checkpoint does not match config.json:\n  {}",
                problems.join("\n  ")
            )
        }
    }
}

fn dtype_name(dt: Dtype) -> &'static str {
    match dt {
        Dtype::BF16 => "bfloat16",
        Dtype::F16 => "float16",
        _ => "float32",
    }
}

impl WeightSource for SafetensorsSource {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let (file, dt, found) = self
            .index
            .get(name)
            .with_context(|| format!("missing tensor `{name}`"))?;
        if found.as_slice() != shape {
            bail!("tensor `{name}`: expected shape {shape:?}, found {found:?}");
        }
        let (path, mmap) = &self.files[*file];
        let st = SafeTensors::deserialize(mmap)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let view = st
            .tensor(name)
            .map_err(|e| anyhow::anyhow!("{}: tensor `{name}`: {e}", path.display()))?;
        let bytes = view.data();
        Ok(match dt {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::BF16 => bytes
                .chunks_exact(2)
                .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            other => bail!("tensor `{name}`: dtype {other:?} is not supported (F32, BF16, F16)"),
        })
    }
}

/// Loads `config.json` and the weights of an HF folder onto `dev`.
pub fn load_model<B: Backend>(dir: &Path, dev: &B::Device) -> Result<Qwen<B>> {
    let cfg = QwenConfig::from_file(&dir.join("config.json"))?;
    let mut src = SafetensorsSource::open_dir(dir)?;
    src.check(&cfg)
        .with_context(|| format!("loading {}", dir.display()))?;
    let mut model = Qwen::from_source(&cfg, &mut src, dev)
        .with_context(|| format!("loading {}", dir.display()))?;
    // What the weights really are decides the dtype we save back in.
    model.config.torch_dtype = src.dominant_dtype().to_string();
    Ok(model)
}

/// Builds a model of `cfg` with seeded random weights.
pub fn random_model<B: Backend>(cfg: &QwenConfig, seed: u64, dev: &B::Device) -> Result<Qwen<B>> {
    Qwen::from_source(cfg, &mut RandomSource::new(seed), dev)
}

/// The HF name of the parameter at a burn module `path` (`["layers", "3", "mlp", "up_proj",
/// "weight"]`). Field names equal HF names; only the prefix and the bare embedding param differ.
pub fn hf_name(path: &[String]) -> String {
    let p = path.join(".");
    match p.as_str() {
        "embed_tokens" => "model.embed_tokens.weight".to_string(),
        p if p.starts_with("lm_head") => p.to_string(),
        p => format!("model.{p}"),
    }
}

/// Decoder layer index of an HF parameter name (`model.layers.3.…` → 3).
pub fn layer_of(name: &str) -> Option<usize> {
    name.strip_prefix("model.layers.")?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Collects every parameter as (HF name, HF shape, host f32 in HF layout).
struct Exporter {
    path: Vec<String>,
    out: Vec<(String, Vec<usize>, Vec<f32>)>,
    error: Option<anyhow::Error>,
}

impl<B: Backend> ModuleVisitor<B> for Exporter {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let tensor = param.val();
        let name = hf_name(&self.path);
        let dims = tensor.dims().to_vec();
        let data = match tensor.to_data().convert::<f32>().to_vec::<f32>() {
            Ok(d) => d,
            Err(e) => {
                self.error
                    .get_or_insert(anyhow::anyhow!("reading `{name}`: {e:?}"));
                return;
            }
        };
        // Projections are stored [in, out]; HF wants [out, in]. The embedding is already [vocab, hidden].
        let (shape, data) = if D == 2 && name.ends_with("proj.weight") || name == "lm_head.weight" {
            (
                vec![dims[1], dims[0]],
                super::qwen::transpose(&data, dims[0], dims[1]),
            )
        } else {
            (dims, data)
        };
        self.out.push((name, shape, data));
    }
}

/// Every parameter of `model` under its HF name, HF layout, as host f32.
pub fn hf_tensors<B: Backend>(model: &Qwen<B>) -> Result<Vec<(String, Vec<usize>, Vec<f32>)>> {
    let mut ex = Exporter {
        path: Vec::new(),
        out: Vec::new(),
        error: None,
    };
    model.visit(&mut ex);
    match ex.error {
        Some(e) => Err(e),
        None => Ok(ex.out),
    }
}

/// Writes `model.safetensors` (in `model.config.torch_dtype`) and `config.json` into `dir`.
/// Tokenizer files are the caller's (see `Tokenizer::save`). Files appear atomically.
pub fn save_model<B: Backend>(model: &Qwen<B>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dtype = match model.config.torch_dtype.as_str() {
        "bfloat16" => Dtype::BF16,
        "float16" => Dtype::F16,
        _ => Dtype::F32,
    };
    let tensors = hf_tensors(model)?;
    let encoded: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(name, shape, data)| {
            let bytes = match dtype {
                Dtype::BF16 => data
                    .iter()
                    .flat_map(|x| bf16::from_f32(*x).to_le_bytes())
                    .collect(),
                Dtype::F16 => data
                    .iter()
                    .flat_map(|x| f16::from_f32(*x).to_le_bytes())
                    .collect(),
                _ => data.iter().flat_map(|x| x.to_le_bytes()).collect(),
            };
            (name, shape, bytes)
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = encoded
        .iter()
        .map(|(n, s, b)| {
            Ok((
                n.clone(),
                safetensors::tensor::TensorView::new(dtype, s.clone(), b)?,
            ))
        })
        .collect::<Result<_, safetensors::SafeTensorError>>()
        .map_err(|e| anyhow::anyhow!("encoding tensors: {e}"))?;
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    let bytes = safetensors::serialize(views, Some(meta))
        .map_err(|e| anyhow::anyhow!("serialising: {e}"))?;
    crate::files::write_atomic(&dir.join("model.safetensors"), &bytes)?;
    let config = serde_json::to_string_pretty(&model.config.to_json())?;
    crate::files::write_atomic(&dir.join("config.json"), config.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records requested names so `specs` and `Qwen::from_source` cannot drift apart.
    struct Recorder(Vec<(String, Vec<usize>)>);
    impl WeightSource for Recorder {
        fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
            self.0.push((name.to_string(), shape.to_vec()));
            Ok(vec![0.0; shape.iter().product()])
        }
    }

    #[test]
    fn specs_match_builder_and_exporter() {
        for family in [Family::Qwen2, Family::Qwen3] {
            let mut cfg = QwenConfig::tiny(family, 2, 16, 4, 2, 24, 32);
            cfg.tie_word_embeddings = family == Family::Qwen3;
            let mut rec = Recorder(vec![]);
            let dev = Default::default();
            let m = Qwen::<crate::backend::Compute>::from_source(&cfg, &mut rec, &dev).unwrap();
            let mut want = specs(&cfg);
            let mut got = rec.0;
            want.sort();
            got.sort();
            assert_eq!(want, got);
            let mut exported: Vec<_> = hf_tensors(&m)
                .unwrap()
                .into_iter()
                .map(|(n, s, _)| (n, s))
                .collect();
            exported.sort();
            assert_eq!(want, exported);
        }
    }
}
