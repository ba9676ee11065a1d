//! Rhai-facing models: `load_model`, `tiny_model`, the training plan a model carries
//! (`train_only`, `boost`, `lr_scale`, `freeze_all`, `train_all`), generation, saving, and the
//! per-layer weight change between two models.

use crate::backend::{self, Compute};
use crate::model::tokenizer::Tokenizer;
use crate::model::{Family, Qwen, QwenConfig};
use crate::train::TrainingPlan;
use anyhow::{Context, Result};
use rhai::plugin::*;
use std::path::Path;
use std::sync::Arc;

/// A model as scripts see it: weights, tokenizer, and the plan `grpo`/`sft` will train under.
/// Cloning shares the tensors (weights are immutable; training returns new ones).
#[derive(Clone)]
pub struct ModelHandle {
    /// The weights.
    pub model: Qwen<Compute>,
    /// Its tokenizer.
    pub tokenizer: Arc<Tokenizer>,
    /// Which parameters train and at what lr multiplier (default: all, ×1).
    pub plan: TrainingPlan,
    /// Where it came from (a folder, `tiny`, or the run that trained it).
    pub source: String,
}

impl ModelHandle {
    /// Wraps a model with a full-training plan.
    pub fn new(model: Qwen<Compute>, tokenizer: Arc<Tokenizer>, source: impl Into<String>) -> Self {
        let plan = TrainingPlan::full(model.num_layers());
        Self {
            model,
            tokenizer,
            plan,
            source: source.into(),
        }
    }

    /// Loads an HF folder (config.json, safetensors, tokenizer.json).
    pub fn load(dir: &Path) -> Result<Self> {
        let dev = backend::script_device()?;
        let model = crate::model::load_model::<Compute>(dir, &dev)?;
        let tokenizer = Tokenizer::from_dir(dir)
            .with_context(|| format!("loading the tokenizer of {}", dir.display()))?;
        Ok(Self::new(
            model,
            Arc::new(tokenizer),
            dir.display().to_string(),
        ))
    }

    /// The ids that end a response: the tokenizer's EOS ids, else the config's.
    pub fn eos_ids(&self) -> Vec<u32> {
        let ids = self.tokenizer.eos_ids();
        if ids.is_empty() {
            self.model.config.eos_token_id.clone()
        } else {
            ids
        }
    }

    /// Token ids → text (special tokens dropped), for grading.
    pub fn decode(&self, ids: &[u32]) -> String {
        self.tokenizer.decode(ids, true).unwrap_or_default()
    }

    /// One line: family, shape, parameters, plan.
    pub fn summary(&self) -> String {
        let c = &self.model.config;
        format!(
            "Model({}, {:?}, {} layers, hidden {}, {:.1}M params, trains: {})",
            self.source,
            c.model_type,
            c.num_hidden_layers,
            c.hidden_size,
            param_count(c) as f64 / 1e6,
            self.plan.describe()
        )
    }
}

/// Parameter count of a config (embeddings counted once when tied).
pub fn param_count(c: &QwenConfig) -> usize {
    crate::model::load::specs(c)
        .iter()
        .map(|(_, shape)| shape.iter().product::<usize>())
        .sum()
}

/// Options of `tiny_model`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TinyOptions {
    /// `qwen3` or `qwen2`.
    pub family: String,
    /// Decoder layers.
    pub layers: usize,
    /// Hidden size.
    pub hidden: usize,
    /// Attention heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// MLP width.
    pub intermediate: usize,
    /// Init seed.
    pub seed: u64,
}

impl Default for TinyOptions {
    fn default() -> Self {
        Self {
            family: "qwen3".into(),
            layers: 4,
            hidden: 64,
            heads: 4,
            kv_heads: 2,
            intermediate: 128,
            seed: 0,
        }
    }
}

/// A seeded random Qwen model with the embedded tokenizer (the Qwen3 vocabulary prefix; vocab
/// padded to a multiple of 128).
pub fn tiny(opts: &TinyOptions) -> Result<ModelHandle> {
    let family = match opts.family.to_ascii_lowercase().as_str() {
        "qwen3" => Family::Qwen3,
        "qwen2" | "qwen2.5" => Family::Qwen2,
        other => anyhow::bail!("family `{other}` is not supported: use qwen3 or qwen2"),
    };
    anyhow::ensure!(
        opts.layers > 0 && opts.hidden > 0 && opts.intermediate > 0,
        "tiny_model: layers, hidden and intermediate must be ≥ 1"
    );
    anyhow::ensure!(
        opts.heads > 0
            && opts.kv_heads > 0
            && opts.hidden % opts.heads == 0
            && opts.heads % opts.kv_heads == 0,
        "tiny_model: hidden ({}) must divide by heads ({}) and heads by kv_heads ({})",
        opts.hidden,
        opts.heads,
        opts.kv_heads
    );
    let tokenizer = Tokenizer::embedded_default()?;
    let vocab = tokenizer.vocab_size(true).div_ceil(128) * 128;
    let cfg = QwenConfig::tiny(
        family,
        opts.layers,
        opts.hidden,
        opts.heads,
        opts.kv_heads,
        opts.intermediate,
        vocab,
    );
    let model = crate::model::random_model::<Compute>(&cfg, opts.seed, &backend::script_device()?)?;
    Ok(ModelHandle::new(model, Arc::new(tokenizer), "tiny"))
}

/// A new handle on the same weights (no copy of the tensors) with another plan; `m` keeps its
/// own.
fn with_plan(m: &ModelHandle, plan: TrainingPlan) -> ModelHandle {
    ModelHandle { plan, ..m.clone() }
}

fn layers_of(
    m: &ModelHandle,
    layers: &rhai::Array,
) -> crate::script::convert::RhaiResult<Vec<usize>> {
    layers
        .iter()
        .map(|v| {
            let l = v.as_int().map_err(|t| {
                crate::script::script_err(format!("layer indices must be ints, got {t}"))
            })?;
            m.plan
                .check_layer(crate::script::convert::count(l, "layer")?)
                .map_err(crate::script::host_err)?;
            Ok(l as usize)
        })
        .collect()
}

/// The `model` plugin module.
#[export_module]
pub mod model_fns {
    use super::{layers_of, with_plan, ModelHandle, TinyOptions};
    use crate::model::generate::{generate as gen, GenerateOptions};
    use crate::script::convert::{count, float_array, RhaiResult};
    use crate::script::{host, options, script_err, OrScript};
    use crate::train::policy::{layer_change_norms, snapshot};
    use crate::train::TrainingPlan;
    use rhai::{Array, Dynamic, Map, NativeCallContext, FLOAT, INT};

    /// A model handle: weights, tokenizer and training plan.
    pub type Model = ModelHandle;

    /// Loads a Hugging Face folder (config.json, model.safetensors or shards, tokenizer.json).
    /// Every parameter trains until you say otherwise (`train_only`, `freeze_all`, `boost`).
    ///
    /// ```rhai
    /// let m = load_model("models/Qwen3-1.7B");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_model(ctx: NativeCallContext, path: &str) -> RhaiResult<Model> {
        ModelHandle::load(&host(&ctx).resolve(path)).or_script()
    }

    /// A seeded random Qwen model with the embedded Qwen3 tokenizer, for toy runs and tests.
    /// Options: `family` ("qwen3"/"qwen2"), `layers` (4), `hidden` (64), `heads` (4),
    /// `kv_heads` (2), `intermediate` (128), `seed` (0).
    ///
    /// ```rhai
    /// let m = tiny_model(#{ layers: 4, seed: 1 });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn tiny_model(opts: Map) -> RhaiResult<Model> {
        super::tiny(&options::<TinyOptions>(opts, "tiny_model")?).or_script()
    }

    /// Number of decoder layers.
    #[rhai_fn(get = "num_layers", pure)]
    pub fn num_layers(m: &mut Model) -> INT {
        m.model.num_layers() as INT
    }

    /// Family, shape, parameter count, source and training plan as a map.
    #[rhai_fn(pure)]
    pub fn info(m: &mut Model) -> Map {
        let c = &m.model.config;
        let mut out = Map::new();
        out.insert(
            "family".into(),
            format!("{:?}", c.model_type).to_lowercase().into(),
        );
        out.insert("layers".into(), (c.num_hidden_layers as INT).into());
        out.insert("hidden".into(), (c.hidden_size as INT).into());
        out.insert("heads".into(), (c.num_attention_heads as INT).into());
        out.insert("kv_heads".into(), (c.num_key_value_heads as INT).into());
        out.insert("vocab".into(), (c.vocab_size as INT).into());
        out.insert("params".into(), (super::param_count(c) as INT).into());
        out.insert("source".into(), m.source.clone().into());
        out.insert("plan".into(), m.plan.describe().into());
        out
    }

    /// `Model(...)` summary line.
    #[rhai_fn(global, name = "to_string", name = "to_debug", pure)]
    pub fn to_string(m: &mut Model) -> String {
        m.summary()
    }

    /// Another handle on the same weights. Plan builders (`train_only`, `train_all`,
    /// `freeze_all`, `boost`, `lr_scale`) already return a new handle and leave their receiver as
    /// it was, so `copy` is never needed for safety.
    #[rhai_fn(pure)]
    pub fn copy(m: &mut Model) -> Model {
        m.clone()
    }

    /// A handle that trains only these decoder layers (×1), everything else frozen. The model it
    /// is called on is left as it was: `let l12 = base.train_only([12]);` keeps `base` whole.
    #[rhai_fn(return_raw, pure)]
    pub fn train_only(m: &mut Model, layers: Array) -> RhaiResult<Model> {
        let ls = layers_of(m, &layers)?;
        Ok(with_plan(
            m,
            TrainingPlan::only(m.model.num_layers(), &ls).or_script()?,
        ))
    }

    /// A handle that trains only decoder layer `layer`.
    #[rhai_fn(name = "train_only", return_raw, pure)]
    pub fn train_only_one(m: &mut Model, layer: INT) -> RhaiResult<Model> {
        train_only(m, vec![Dynamic::from_int(layer)])
    }

    /// A handle with every parameter frozen (then open some with `lr_scale`).
    #[rhai_fn(pure)]
    pub fn freeze_all(m: &mut Model) -> Model {
        with_plan(m, TrainingPlan::frozen(m.model.num_layers()))
    }

    /// A handle that trains every parameter at the base learning rate (the full-parameter
    /// baseline).
    #[rhai_fn(pure)]
    pub fn train_all(m: &mut Model) -> Model {
        with_plan(m, TrainingPlan::full(m.model.num_layers()))
    }

    /// This plan with the learning rate of these layers multiplied by `mult` ("Boost B10":
    /// `base.train_all().boost(best, 10.0)`), as a new handle.
    #[rhai_fn(return_raw, pure)]
    pub fn boost(m: &mut Model, layers: Array, mult: FLOAT) -> RhaiResult<Model> {
        let ls = layers_of(m, &layers)?;
        let mut plan = m.plan.clone();
        plan.boost(&ls, mult).or_script()?;
        Ok(with_plan(m, plan))
    }

    /// This plan with one layer's learning-rate multiplier set to `mult` (0 freezes it), as a
    /// new handle.
    #[rhai_fn(return_raw, pure)]
    pub fn lr_scale(m: &mut Model, layer: INT, mult: FLOAT) -> RhaiResult<Model> {
        let mut plan = m.plan.clone();
        plan.set_layer(count(layer, "layer")?, mult).or_script()?;
        Ok(with_plan(m, plan))
    }

    /// The plan as a map: `layers` (one lr multiplier per layer), `embeddings`, `final_norm`,
    /// `lm_head`, `trained` (indices of trained layers) and `text`.
    #[rhai_fn(pure)]
    pub fn plan(m: &mut Model) -> Map {
        let mut out = Map::new();
        out.insert(
            "layers".into(),
            float_array(m.plan.layers.iter().copied()).into(),
        );
        out.insert("embeddings".into(), m.plan.embeddings.into());
        out.insert("final_norm".into(), m.plan.final_norm.into());
        out.insert("lm_head".into(), m.plan.lm_head.into());
        let trained: Array = m
            .plan
            .trained_layers()
            .into_iter()
            .map(|l| Dynamic::from_int(l as INT))
            .collect();
        out.insert("trained".into(), trained.into());
        out.insert("text".into(), m.plan.describe().into());
        out
    }

    /// Writes a full HF folder (config.json, model.safetensors in the original dtype, tokenizer
    /// files) that `load_model` and transformers load.
    #[rhai_fn(return_raw, pure)]
    pub fn export_hf(ctx: NativeCallContext, m: &mut Model, dir: &str) -> RhaiResult<()> {
        let dir = host(&ctx).resolve(dir);
        crate::model::save_model(&m.model, &dir).or_script()?;
        m.tokenizer.save(&dir).or_script()?;
        Ok(())
    }

    /// L2 norm of each decoder layer's change from `base` to `m` (the paper's weight-change
    /// comparison). Both must have the same shape.
    #[rhai_fn(return_raw)]
    pub fn weight_change(base: Model, m: Model) -> RhaiResult<Array> {
        let (a, b) = (&base.model.config, &m.model.config);
        if (a.num_hidden_layers, a.hidden_size, a.vocab_size)
            != (b.num_hidden_layers, b.hidden_size, b.vocab_size)
        {
            return Err(script_err(
                "weight_change: the two models have different shapes",
            ));
        }
        let norms = layer_change_norms(
            &snapshot(&base.model, None),
            &snapshot(&m.model, None),
            a.num_hidden_layers,
        );
        Ok(float_array(norms))
    }

    /// Completions of each prompt (text as is: apply a template first with `template(..)`).
    /// Options: `max_new_tokens` (64), `temperature` (0 = greedy), `top_k`, `top_p`, `seed`,
    /// `samples` (per prompt), `stop_strings`. Returns one string per prompt and sample,
    /// prompt-major.
    #[rhai_fn(return_raw, pure)]
    pub fn generate(m: &mut Model, prompts: Array, opts: Map) -> RhaiResult<Array> {
        let mut o: GenerateOptions = options(opts, "generate")?;
        if o.stop_ids.is_empty() {
            o.stop_ids = m.eos_ids();
        }
        let ids = prompts
            .iter()
            .map(|p| {
                let text = p
                    .clone()
                    .into_string()
                    .map_err(|t| script_err(format!("prompts must be strings, got {t}")))?;
                m.tokenizer.encode(&text).or_script()
            })
            .collect::<RhaiResult<Vec<_>>>()?;
        let h = m.clone();
        let decode = move |ids: &[u32]| h.decode(ids);
        let outs = gen(&m.model, &ids, &o, Some(&decode)).or_script()?;
        Ok(outs
            .iter()
            .map(|c| Dynamic::from(m.decode(&c.tokens)))
            .collect())
    }

    /// `generate` with default options.
    #[rhai_fn(name = "generate", return_raw, pure)]
    pub fn generate_default(m: &mut Model, prompts: Array) -> RhaiResult<Array> {
        generate(m, prompts, Map::new())
    }
}
