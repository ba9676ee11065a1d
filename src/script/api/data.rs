//! Rhai-facing datasets: JSONL/CSV with a field map, the six benchmarks, the synthetic task,
//! splits, and the prompt template a dataset is shown to the model with.

use crate::data::{Dataset, PromptTemplate};
use rhai::plugin::*;
use std::path::PathBuf;

/// A dataset as scripts see it: examples and the template that turns a question into a prompt.
#[derive(Clone, Debug)]
pub struct DataHandle {
    /// The examples.
    pub ds: Dataset,
    /// How questions become prompts (`raw` for the synthetic task, `qwen_math` otherwise).
    pub template: PromptTemplate,
}

impl DataHandle {
    /// `Data(name, n examples, template)`.
    pub fn summary(&self) -> String {
        format!(
            "Data({}, {} examples, template {})",
            self.ds.name,
            self.ds.len(),
            self.template.name()
        )
    }

    /// Every question with the template applied.
    pub fn prompts(&self) -> Vec<String> {
        self.ds
            .examples
            .iter()
            .map(|e| self.template.render(&e.prompt))
            .collect()
    }
}

/// Where benchmark names are looked up: `$LAYERSCRIPT_DATA` when set, else the six test sets
/// shipped in the crate's `assets/data` (see its SOURCES.md).
pub fn data_dir() -> PathBuf {
    std::env::var_os("LAYERSCRIPT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/data")))
}

/// Field map options of `load_jsonl` / `load_csv`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldOptions {
    /// Field with the question.
    pub prompt: String,
    /// Field with the answer.
    pub answer: String,
    /// Field with an id (default: row numbers).
    #[serde(default)]
    pub id: Option<String>,
    /// `raw`, `gsm8k`, `boxed` or `list`.
    #[serde(default)]
    pub extract: Option<String>,
}

impl FieldOptions {
    fn field_map(&self) -> anyhow::Result<crate::data::FieldMap> {
        let mut map = crate::data::FieldMap::new(&self.prompt, &self.answer);
        if let Some(id) = &self.id {
            map = map.with_id(id);
        }
        if let Some(x) = &self.extract {
            map = map.with_extract(x.parse()?);
        }
        Ok(map)
    }
}

/// The `data` plugin module.
#[export_module]
pub mod data_fns {
    use super::{DataHandle, FieldOptions};
    use crate::data::{self, PromptTemplate, SyntheticConfig};
    use crate::script::convert::{count, RhaiResult};
    use crate::script::{host, options, script_err, OrScript};
    use rhai::{Array, Dynamic, Map, NativeCallContext, INT};

    /// A dataset handle: examples plus a prompt template.
    pub type Data = DataHandle;

    fn wrap(ds: data::Dataset) -> Data {
        Data {
            ds,
            template: PromptTemplate::QwenMathChat,
        }
    }

    /// Loads a JSONL file: `#{prompt: "question", answer: "answer", id: "id", extract: "gsm8k"}`
    /// (`extract`: raw, gsm8k, boxed, list). Lines that lack a field are errors naming the line.
    #[rhai_fn(return_raw)]
    pub fn load_jsonl(ctx: NativeCallContext, path: &str, fields: Map) -> RhaiResult<Data> {
        let map = options::<FieldOptions>(fields, "load_jsonl")?
            .field_map()
            .or_script()?;
        data::load_jsonl(host(&ctx).resolve(path), &map)
            .map(wrap)
            .or_script()
    }

    /// Loads a CSV file with a header, same field options as `load_jsonl`.
    #[rhai_fn(return_raw)]
    pub fn load_csv(ctx: NativeCallContext, path: &str, fields: Map) -> RhaiResult<Data> {
        let map = options::<FieldOptions>(fields, "load_csv")?
            .field_map()
            .or_script()?;
        data::load_csv(host(&ctx).resolve(path), &map)
            .map(wrap)
            .or_script()
    }

    /// A benchmark by name (gsm8k, math500, aime24, amc23, minerva_math, olympiadbench; looked up
    /// in `$LAYERSCRIPT_DATA` or the shipped assets/data) or a .jsonl/.csv path with detected fields.
    #[rhai_fn(return_raw)]
    pub fn benchmark(ctx: NativeCallContext, name_or_path: &str) -> RhaiResult<Data> {
        let h = host(&ctx);
        let arg = if name_or_path.contains(['/', '\\']) {
            h.resolve(name_or_path).display().to_string()
        } else {
            name_or_path.to_string()
        };
        data::benchmark(&arg, &super::data_dir())
            .map(wrap)
            .or_script()
    }

    /// The synthetic verifiable arithmetic task (template `raw`). Options: `n` (1000), `digits`
    /// (2), `min_digits` (1), `terms` (2), `ops` ("+-"), `seed`, `chain_of_thought` (false).
    /// Examples carry worked solutions, so `sft` can warm a model up on them.
    #[rhai_fn(return_raw)]
    pub fn synthetic_task(opts: Map) -> RhaiResult<Data> {
        let cfg: SyntheticConfig = options(opts, "synthetic_task")?;
        let ds = data::synthetic_task(&cfg).or_script()?;
        Ok(Data {
            ds,
            template: PromptTemplate::Raw,
        })
    }

    /// Number of examples.
    #[rhai_fn(get = "len", pure)]
    pub fn len(d: &mut Data) -> INT {
        d.ds.len() as INT
    }

    /// The dataset's name.
    #[rhai_fn(get = "name", pure)]
    pub fn name(d: &mut Data) -> String {
        d.ds.name.clone()
    }

    /// `Data(name, n examples, template)`.
    #[rhai_fn(global, name = "to_string", name = "to_debug", pure)]
    pub fn to_string(d: &mut Data) -> String {
        d.summary()
    }

    /// Shuffles with `seed` and splits off `held_out` examples (an int count or a float
    /// fraction): returns `[rest, held_out]`.
    #[rhai_fn(return_raw, pure)]
    pub fn split(d: &mut Data, held_out: Dynamic, seed: INT) -> RhaiResult<Array> {
        let seed = count(seed, "seed")? as u64;
        let (a, b) = if let Ok(n) = held_out.as_int() {
            d.ds.split(count(n, "held_out")?, seed)
        } else if let Ok(f) = held_out.as_float() {
            d.ds.split(f, seed)
        } else {
            return Err(script_err(format!(
                "split: held_out must be an int or a float, got {}",
                held_out.type_name()
            )));
        }
        .or_script()?;
        let t = d.template;
        Ok(vec![
            Dynamic::from(Data { ds: a, template: t }),
            Dynamic::from(Data { ds: b, template: t }),
        ])
    }

    /// The first `n` examples.
    #[rhai_fn(return_raw, pure)]
    pub fn take(d: &mut Data, n: INT) -> RhaiResult<Data> {
        Ok(Data {
            ds: d.ds.take(count(n, "n")?),
            template: d.template,
        })
    }

    /// A copy in a seeded random order.
    #[rhai_fn(return_raw, pure)]
    pub fn shuffle(d: &mut Data, seed: INT) -> RhaiResult<Data> {
        Ok(Data {
            ds: d.ds.shuffled(count(seed, "seed")? as u64),
            template: d.template,
        })
    }

    /// The same examples shown with another template: raw, plain, qwen_math, r1.
    #[rhai_fn(name = "template", return_raw, pure)]
    pub fn with_template(d: &mut Data, name: &str) -> RhaiResult<Data> {
        Ok(Data {
            ds: d.ds.clone(),
            template: name.parse().or_script()?,
        })
    }

    /// The examples as maps `#{id, prompt, answer, solution}` (prompt as the model sees it).
    #[rhai_fn(pure)]
    pub fn examples(d: &mut Data) -> Array {
        d.ds.examples
            .iter()
            .map(|e| {
                let mut m = Map::new();
                m.insert("id".into(), e.id.clone().into());
                m.insert("prompt".into(), d.template.render(&e.prompt).into());
                m.insert("answer".into(), e.answer.clone().into());
                m.insert(
                    "solution".into(),
                    e.solution
                        .clone()
                        .map(Dynamic::from)
                        .unwrap_or(Dynamic::UNIT),
                );
                Dynamic::from_map(m)
            })
            .collect()
    }

    /// A question rendered with a template (raw, plain, qwen_math, r1).
    #[rhai_fn(name = "template", return_raw)]
    pub fn render_template(name: &str, question: &str) -> RhaiResult<String> {
        let t: PromptTemplate = name.parse().or_script()?;
        Ok(t.render(question))
    }
}
