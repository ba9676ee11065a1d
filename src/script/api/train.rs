//! Rhai-facing training: `grpo`, `dr_grpo`, `sft` return a run (trained model and per-step
//! metrics); `load_run` puts a run folder's trained parameters back on a base model.

use super::data::DataHandle;
use super::model::ModelHandle;
use crate::script::script_err;
use crate::train::grpo::{GrpoConfig, Problem};
use rhai::plugin::*;
use rhai::{Array, Dynamic, EvalAltResult, Map};

/// A finished run: the trained model and one metrics map per step.
#[derive(Clone)]
pub struct RunHandle {
    /// The trained model (same plan as the input).
    pub model: ModelHandle,
    /// Per-step metrics maps.
    pub metrics: Array,
    /// The run folder, when `out` was given.
    pub dir: Option<String>,
}

impl RunHandle {
    /// `Run(n steps in DIR, Model(...))`.
    pub fn summary(&self) -> String {
        let dir = self
            .dir
            .as_ref()
            .map(|d| format!(" in {d}"))
            .unwrap_or_default();
        format!(
            "Run({} steps{dir}, {})",
            self.metrics.len(),
            self.model.summary()
        )
    }
}

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Options of `grpo`/`dr_grpo` that are not [`GrpoConfig`] fields.
pub const RUN_KEYS: [&str; 5] = ["out", "save_every", "resume", "reward", "seeds"];

/// The training seeds of a `seeds` option: an int n → 1..=n, or an array of ints.
pub fn seed_list(v: &Dynamic, what: &str) -> RhaiResult<Vec<u64>> {
    let bad = || {
        script_err(format!(
            "{what}: `seeds` must be a count (3 → seeds 1, 2, 3) or an array of ints, got {v}"
        ))
    };
    let seeds: Vec<u64> = if let Ok(n) = v.as_int() {
        (1..=n.max(0) as u64).collect()
    } else if let Some(a) = v.clone().try_cast::<Array>() {
        a.iter()
            .map(|x| {
                x.as_int()
                    .ok()
                    .filter(|&i| i >= 0)
                    .map(|i| i as u64)
                    .ok_or_else(bad)
            })
            .collect::<RhaiResult<_>>()?
    } else {
        return Err(bad());
    };
    if seeds.is_empty() {
        return Err(script_err(format!(
            "{what}: `seeds` is empty; give at least one seed"
        )));
    }
    let mut sorted = seeds.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != seeds.len() {
        return Err(script_err(format!(
            "{what}: `seeds` repeats a seed: {seeds:?}"
        )));
    }
    Ok(seeds)
}

/// The keys of a serialisable config's default (its field names), and which of them are floats.
pub fn config_keys<T: serde::Serialize + Default>() -> (Vec<String>, Vec<String>) {
    let v = serde_json::to_value(T::default()).unwrap_or_default();
    let obj = v.as_object().cloned().unwrap_or_default();
    let floats = obj
        .iter()
        .filter(|(_, x)| x.is_f64())
        .map(|(k, _)| k.clone())
        .collect();
    (obj.keys().cloned().collect(), floats)
}

/// Splits `opts` into run keys and the rest, rejects unknown keys (listing every valid one),
/// turns ints into floats where the config wants floats, and deserialises the rest onto `base`.
pub fn split_options<T>(mut opts: Map, what: &str, base: T, extra: &[&str]) -> RhaiResult<(T, Map)>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    let (fields, floats) = config_keys::<T>();
    let mut valid: Vec<&str> = fields.iter().map(String::as_str).collect();
    valid.extend_from_slice(extra);
    crate::script::convert::check_keys(&opts, what, &valid)?;
    let mut run = Map::new();
    for k in extra {
        if let Some(v) = opts.remove(*k) {
            run.insert((*k).into(), v);
        }
    }
    let floats: Vec<&str> = floats.iter().map(String::as_str).collect();
    crate::script::convert::floatify(&mut opts, &floats);
    // Start from `base` (e.g. the Dr. GRPO defaults) and overlay what the script set.
    let json = serde_json::to_value(&base).map_err(|e| script_err(format!("internal: {e}")))?;
    let mut merged = match crate::script::convert::from_json(&json)?.try_cast::<Map>() {
        Some(m) => m,
        None => return Err(script_err("internal: config is not a map")),
    };
    merged.extend(opts);
    Ok((crate::script::options(merged, what)?, run))
}

/// Every example with its prompt (the dataset's template applied) tokenized by the model's
/// tokenizer; what `grpo`, `sft` and `evaluate` all start from.
pub fn encoded<'a>(
    m: &ModelHandle,
    d: &'a DataHandle,
) -> anyhow::Result<Vec<(&'a crate::data::Example, Vec<u32>)>> {
    d.ds.examples
        .iter()
        .zip(d.prompts())
        .map(|(e, p)| {
            let ids = m.tokenizer.encode(&p)?;
            m.model
                .config
                .check_token_ids(&ids, &format!("the prompt of `{}` ({})", e.id, d.ds.name))?;
            Ok((e, ids))
        })
        .collect()
}

/// A reward value from a Rhai callback: a number or a bool.
pub fn reward_value(v: Dynamic) -> anyhow::Result<f64> {
    if let Ok(f) = v.as_float() {
        return Ok(f);
    }
    if let Ok(i) = v.as_int() {
        return Ok(i as f64);
    }
    if let Ok(b) = v.as_bool() {
        return Ok(if b { 1.0 } else { 0.0 });
    }
    anyhow::bail!(
        "a reward function must return a number or a bool, got {}",
        v.type_name()
    )
}

/// Default GRPO options for [`split_options`].
pub fn grpo_defaults(dr: bool) -> GrpoConfig {
    if dr {
        GrpoConfig::dr_grpo()
    } else {
        GrpoConfig::default()
    }
}

use crate::reward::{math_reward, MathRewardConfig};
use crate::script::progress::progress;
use crate::script::OrScript;
use crate::train::grpo::{train_grpo, RunDir};
use rhai::FnPtr;

/// One GRPO-family run of `m` under `cfg` (its run keys in `run`, its folder `dir`).
fn run_seed(
    ctx: &rhai::NativeCallContext,
    m: ModelHandle,
    d: &DataHandle,
    cfg: crate::train::grpo::GrpoConfig,
    run: &Map,
    dir: Option<std::path::PathBuf>,
    what: &str,
) -> RhaiResult<RunHandle> {
    let save_every = match run.get("save_every") {
        None => 0,
        Some(v) => crate::script::convert::count(
            v.as_int()
                .map_err(|t| script_err(format!("{what}: `save_every` must be an int, got {t}")))?,
            "save_every",
        )?,
    };
    let resume = match run.get("resume") {
        None => true,
        Some(v) => v
            .as_bool()
            .map_err(|t| script_err(format!("{what}: `resume` must be true or false, got {t}")))?,
    };
    let io = dir.as_ref().map(|d| RunDir {
        dir: d.clone(),
        save_every,
        resume,
    });
    let custom: Option<FnPtr> = match run.get("reward") {
        Some(v) => Some(v.clone().try_cast::<FnPtr>().ok_or_else(|| {
            script_err(format!(
                "{what}: `reward` must be a function, e.g. |response, answer| ..., got {}",
                v.type_name()
            ))
        })?),
        None => None,
    };
    let probs: Vec<Problem> = encoded(&m, d)
        .or_script()?
        .into_iter()
        .map(|(e, prompt_ids)| Problem {
            prompt_ids,
            answer: e.answer.clone(),
        })
        .collect();
    let rcfg = MathRewardConfig {
        truncated_scores_zero: cfg.truncated_reward_zero,
    };
    let mut reward = |text: &str, gold: &str, finished: bool| -> anyhow::Result<f64> {
        match &custom {
            Some(f) => {
                let v: Dynamic = f
                    .call_within_context(ctx, (text.to_string(), gold.to_string(), finished))
                    .map_err(|e| anyhow::anyhow!("in the reward function: {e}"))?;
                reward_value(v)
            }
            None => Ok(math_reward(text, gold, finished, &rcfg)),
        }
    };
    let bar = progress(cfg.steps as u64, what.to_string());
    let out = train_grpo(
        m.model.clone(),
        m.plan.clone(),
        &probs,
        &cfg,
        m.eos_ids(),
        &|ids| m.decode(ids),
        &mut reward,
        io.as_ref(),
        |s| {
            bar.set_position(s.step as u64 + 1);
            bar.set_message(format!("{what} r={:.2}", s.reward_mean));
            Ok(())
        },
    )
    .or_script()?;
    bar.finish_and_clear();
    if let (Some(d), true) = (&dir, out.resumed_at > 0) {
        eprintln!(
            "{what}: resumed the run in {} at step {}",
            d.display(),
            out.resumed_at
        );
    }
    let metrics = out
        .metrics
        .iter()
        .map(rhai::serde::to_dynamic)
        .collect::<RhaiResult<Array>>()?;
    let model = ModelHandle {
        model: out.model,
        source: format!("{what}({})", m.source),
        ..m
    };
    Ok(RunHandle {
        model,
        metrics,
        dir: dir.map(|d| d.display().to_string()),
    })
}

/// The `train` plugin module.
#[export_module]
pub mod train_fns {
    use super::{encoded, grpo_defaults, split_options, RunHandle, RUN_KEYS};
    use crate::script::api::data::DataHandle;
    use crate::script::api::model::ModelHandle;
    use crate::script::convert::RhaiResult;
    use crate::script::progress::progress;
    use crate::script::{host, OrScript};
    use crate::train::policy::Policy;

    use crate::train::sft::{train_sft, SftConfig};
    use crate::train::AdamWConfig;
    use rhai::{Array, Dynamic, Map, NativeCallContext};

    /// A finished training run.
    pub type Run = RunHandle;

    /// One run per seed of the `seeds` option (an array of runs, each in `out/seed<s>`), else
    /// one run.
    fn run_grpo(
        ctx: NativeCallContext,
        m: ModelHandle,
        d: DataHandle,
        opts: Map,
        dr: bool,
    ) -> RhaiResult<Dynamic> {
        let what = if dr { "dr_grpo" } else { "grpo" };
        let (cfg, run) = split_options(opts, what, grpo_defaults(dr), &RUN_KEYS)?;
        let dir = match run.get("out") {
            Some(v) => Some(host(&ctx).resolve(&v.to_string())),
            None => None,
        };
        let Some(seeds) = run.get("seeds") else {
            return Ok(Dynamic::from(super::run_seed(
                &ctx, m, &d, cfg, &run, dir, what,
            )?));
        };
        let mut runs = Array::new();
        for s in super::seed_list(seeds, what)? {
            let cfg = crate::train::grpo::GrpoConfig {
                seed: s,
                ..cfg.clone()
            };
            let dir = dir.as_ref().map(|d| d.join(format!("seed{s}")));
            runs.push(Dynamic::from(super::run_seed(
                &ctx,
                m.clone(),
                &d,
                cfg,
                &run,
                dir,
                what,
            )?));
        }
        Ok(runs.into())
    }

    /// GRPO on the model's plan (all layers unless `train_only`/`boost` said otherwise).
    /// Options (App. A names): `steps`, `train_batch`, `mini_batch`, `micro_batch`, `group`,
    /// `epochs`, `max_response_len`, `temperature`, `lr`, `kl_coef`, `kl_type`, `clip_low`,
    /// `clip_high`, `loss_agg`, `adv_norm`, `seed`, ...; run keys: `out` (folder for
    /// metrics.jsonl/csv and checkpoints; an existing checkpoint there is resumed), `save_every`,
    /// `resume` (true), `reward` (a function `|response, answer, finished|` → number or bool;
    /// default: the math verifier), `seeds` (3 → seeds 1, 2, 3, or an array: one run per seed,
    /// each in `out/seed<s>`; returns an array of runs, as the paper reports mean ± std of 3).
    ///
    /// ```rhai
    /// let run = grpo(m.train_only([12]), train, #{ steps: 100, lr: 1e-6, group: 8, out: "runs/l12" });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn grpo(
        ctx: NativeCallContext,
        m: ModelHandle,
        d: DataHandle,
        opts: Map,
    ) -> RhaiResult<Dynamic> {
        run_grpo(ctx, m, d, opts, false)
    }

    /// Dr. GRPO (Liu et al. 2025): mean-centred advantages, constant length normaliser, no KL;
    /// same options as `grpo`.
    #[rhai_fn(return_raw)]
    pub fn dr_grpo(
        ctx: NativeCallContext,
        m: ModelHandle,
        d: DataHandle,
        opts: Map,
    ) -> RhaiResult<Dynamic> {
        run_grpo(ctx, m, d, opts, true)
    }

    /// Supervised warm-up: teacher-forced cross-entropy on the examples' worked solutions
    /// (followed by EOS). Options: `steps` (200), `batch` (32), `seed`, `lr` (1e-3),
    /// `weight_decay` (0). Trains the model's plan.
    #[rhai_fn(return_raw)]
    pub fn sft(m: ModelHandle, d: DataHandle, opts: Map) -> RhaiResult<Run> {
        let (cfg, _) = split_options(opts, "sft", SftConfig::default(), &[])?;
        let eos = m.eos_ids();
        let pairs = encoded(&m, &d)
            .or_script()?
            .into_iter()
            .map(|(e, prompt)| {
                let sol = e.solution.as_deref().ok_or_else(|| {
                    anyhow::anyhow!(
                        "sft needs worked solutions; example `{}` of {} has none",
                        e.id,
                        d.ds.name
                    )
                })?;
                let mut target = m.tokenizer.encode(sol)?;
                target.extend(eos.first());
                Ok((prompt, target))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .or_script()?;
        let mut policy =
            Policy::new(m.model.clone(), m.plan.clone(), cfg.optimizer()).or_script()?;
        let bar = progress(cfg.steps as u64, "sft");
        let losses = train_sft(&mut policy, &pairs, &cfg, |s, loss| {
            bar.set_position(s as u64 + 1);
            bar.set_message(format!("sft {loss:.3}"));
        })
        .or_script()?;
        bar.finish_and_clear();
        let metrics = losses
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut row = Map::new();
                row.insert("step".into(), (i as rhai::INT).into());
                row.insert("loss".into(), (*l).into());
                Dynamic::from_map(row)
            })
            .collect();
        let model = ModelHandle {
            model: policy.current(),
            source: format!("sft({})", m.source),
            ..m
        };
        Ok(Run {
            model,
            metrics,
            dir: None,
        })
    }

    /// The model a run folder holds: `base` with the parameters its checkpoint trained put back
    /// (the folder given as `out` to `grpo`, or its `checkpoint/`). The plan is the run's.
    #[rhai_fn(return_raw)]
    pub fn load_run(
        ctx: NativeCallContext,
        base: ModelHandle,
        dir: &str,
    ) -> RhaiResult<ModelHandle> {
        let d = host(&ctx).resolve(dir);
        let ck = if d.join("checkpoint").is_dir() {
            d.join("checkpoint")
        } else {
            d
        };
        let (policy, state) =
            crate::train::checkpoint::load(base.model.clone(), AdamWConfig::default(), &ck)
                .or_script()?;
        Ok(ModelHandle {
            model: policy.current(),
            plan: state.plan,
            source: ck.display().to_string(),
            ..base
        })
    }

    /// The trained model.
    #[rhai_fn(get = "model", pure)]
    pub fn run_model(r: &mut Run) -> ModelHandle {
        r.model.clone()
    }

    /// One metrics map per step (GRPO: reward_mean, accuracy, kl, clip_frac, entropy,
    /// response_len, grad_norm, weight_change, timings; SFT: loss).
    #[rhai_fn(pure)]
    pub fn metrics(r: &mut Run) -> Array {
        r.metrics.clone()
    }

    /// `Run(model, steps)`.
    #[rhai_fn(global, name = "to_string", name = "to_debug", pure)]
    pub fn run_to_string(r: &mut Run) -> String {
        r.summary()
    }
}
