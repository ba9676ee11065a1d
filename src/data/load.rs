//! Loading datasets from JSONL and CSV files with a [`FieldMap`], and the six math benchmarks by
//! name ([`benchmark`]).
//!
//! | name (aliases) | file | prompt | answer |
//! | --- | --- | --- | --- |
//! | `gsm8k` | `gsm8k/test.jsonl` | `question` | `answer`, text after `####` |
//! | `math500` (`math-500`, `math_500`) | `math500/test.jsonl` | `problem` | `answer` |
//! | `aime24` | `aime24/test.jsonl` | `problem` | `answer` |
//! | `amc23` | `amc23/test.jsonl` | `problem` | `answer` (float `27.0` → `27`) |
//! | `minerva_math` (`minerva`) | `minerva_math/test.jsonl` | `problem` | last `\boxed{}` of `solution` |
//! | `olympiadbench` | `olympiadbench/test.jsonl` | `question` | `final_answer` list, `$` removed |
//!
//! Any other path to a `.jsonl` / `.csv` file is loaded by [`load_auto`], which picks the prompt
//! from `problem` | `question` | `prompt` and the answer from `answer` | `final_answer` |
//! `solution` (first present; see [`FieldMap::detect`]).
//!
//! [`Example::solution`] is filled from the answer field itself when that field is a worked
//! solution (GSM8K `answer`, Minerva `solution`), otherwise from a `solution` field when the record
//! has one (a string, or the first string of a list).

use super::gold_answer::{value_to_string, AnswerExtract};
use super::{Dataset, Example};
use anyhow::{anyhow, bail, Context, Result};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::path::Path;

/// The benchmark names [`benchmark`] knows (canonical spelling, also the folder names).
pub const BENCHMARK_NAMES: [&str; 6] = [
    "gsm8k",
    "math500",
    "aime24",
    "amc23",
    "minerva_math",
    "olympiadbench",
];

/// Which record fields hold the prompt, the answer and the id, and how the answer is extracted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMap {
    /// Field (JSON key or CSV column) holding the question text.
    pub prompt: String,
    /// Field holding the answer (or the solution the answer is extracted from).
    pub answer: String,
    /// Field holding an id; `None` numbers the rows (`<dataset>/<row>`, from 0).
    pub id: Option<String>,
    /// How the answer field becomes the reference answer.
    pub answer_extract: AnswerExtract,
}

impl FieldMap {
    /// A map with raw answers and row-numbered ids.
    pub fn new(prompt: impl Into<String>, answer: impl Into<String>) -> Self {
        FieldMap {
            prompt: prompt.into(),
            answer: answer.into(),
            id: None,
            answer_extract: AnswerExtract::Raw,
        }
    }

    /// The same map with an id field.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The same map with another answer extraction.
    pub fn with_extract(mut self, extract: AnswerExtract) -> Self {
        self.answer_extract = extract;
        self
    }

    /// The field map of a known benchmark (canonical name or alias, case-insensitive), with its
    /// canonical name.
    pub fn for_benchmark(name: &str) -> Option<(&'static str, FieldMap)> {
        let key = name.trim().to_ascii_lowercase().replace('-', "_");
        let (canon, map) = match key.as_str() {
            "gsm8k" => (
                "gsm8k",
                FieldMap::new("question", "answer")
                    .with_id("idx")
                    .with_extract(AnswerExtract::Gsm8kHashes),
            ),
            "math500" | "math_500" => (
                "math500",
                FieldMap::new("problem", "answer").with_id("unique_id"),
            ),
            "aime24" | "aime_24" | "aime2024" => {
                ("aime24", FieldMap::new("problem", "answer").with_id("id"))
            }
            "amc23" | "amc_23" | "amc2023" => {
                ("amc23", FieldMap::new("problem", "answer").with_id("id"))
            }
            "minerva_math" | "minerva" => (
                "minerva_math",
                FieldMap::new("problem", "solution")
                    .with_id("idx")
                    .with_extract(AnswerExtract::LastBoxed),
            ),
            "olympiadbench" | "olympiad_bench" | "olympiad" => (
                "olympiadbench",
                FieldMap::new("question", "final_answer")
                    .with_id("id")
                    .with_extract(AnswerExtract::JoinList),
            ),
            _ => return None,
        };
        Some((canon, map))
    }

    /// Guesses a map from a record's field names and first values: prompt = first of `problem`,
    /// `question`, `prompt`; answer = first of `answer` (GSM8K extraction when its value contains
    /// `####`), `final_answer` (list join), `solution` (last `\boxed{}`); id = first of `id`,
    /// `idx`, `unique_id`. Errors list the fields present.
    pub fn detect(fields: &[(String, Value)]) -> Result<FieldMap> {
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v);
        let names = || field_names(fields);
        let prompt = ["problem", "question", "prompt"]
            .into_iter()
            .find(|k| get(k).is_some())
            .ok_or_else(|| {
                anyhow!(
                    "no prompt field: none of problem, question, prompt (fields: {})",
                    names()
                )
            })?;
        let (answer, extract) = if let Some(v) = get("answer") {
            let hashes = matches!(v, Value::String(s) if s.contains("####"));
            (
                "answer",
                if hashes {
                    AnswerExtract::Gsm8kHashes
                } else {
                    AnswerExtract::Raw
                },
            )
        } else if get("final_answer").is_some() {
            ("final_answer", AnswerExtract::JoinList)
        } else if get("solution").is_some() {
            ("solution", AnswerExtract::LastBoxed)
        } else {
            bail!(
                "no answer field: none of answer, final_answer, solution (fields: {})",
                names()
            );
        };
        let mut map = FieldMap::new(prompt, answer).with_extract(extract);
        map.id = ["id", "idx", "unique_id"]
            .into_iter()
            .find(|k| get(k).is_some())
            .map(String::from);
        Ok(map)
    }
}

/// Loads a known benchmark by name from `data_dir/<name>/test.jsonl`, or any `.jsonl` / `.csv`
/// file (or a folder holding `test.jsonl`) by path with auto-detected fields. An unknown name is an
/// error listing the known names.
pub fn benchmark(name_or_path: &str, data_dir: &Path) -> Result<Dataset> {
    if let Some((canon, map)) = FieldMap::for_benchmark(name_or_path) {
        let path = data_dir.join(canon).join("test.jsonl");
        let mut ds =
            load_jsonl(&path, &map).with_context(|| format!("loading benchmark '{canon}'"))?;
        ds.name = canon.to_string();
        return Ok(ds);
    }
    let path = Path::new(name_or_path);
    let looks_like_path = name_or_path.contains(['/', '\\'])
        || [".jsonl", ".json", ".csv"]
            .iter()
            .any(|e| name_or_path.ends_with(e));
    if path.is_dir() && path.join("test.jsonl").is_file() {
        return load_auto(path.join("test.jsonl"));
    }
    if path.is_file() || looks_like_path {
        return load_auto(path);
    }
    bail!(
        "unknown benchmark '{name_or_path}' (known: gsm8k, math500 (math-500), aime24, amc23, \
         minerva_math (minerva), olympiadbench; or give a path to a .jsonl / .csv file)"
    )
}

/// Loads a `.csv` file (by extension) or a JSONL file with a map detected from its first record
/// ([`FieldMap::detect`]).
pub fn load_auto(path: impl AsRef<Path>) -> Result<Dataset> {
    let path = path.as_ref();
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let first = if is_csv {
        first_csv_record(path)?
    } else {
        first_jsonl_record(path)?
    };
    let map = FieldMap::detect(&first)
        .with_context(|| format!("{}: detecting fields", path.display()))?;
    if is_csv {
        load_csv(path, &map)
    } else {
        load_jsonl(path, &map)
    }
}

/// Loads a JSON-lines file (one object per line; blank lines skipped). Errors name the file, the
/// 1-based line and, for a missing field, the fields the record has.
pub fn load_jsonl(path: impl AsRef<Path>, map: &FieldMap) -> Result<Dataset> {
    let path = path.as_ref();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let name = dataset_name(path);
    let mut examples = Vec::new();
    for (lineno, line) in jsonl_lines(&text) {
        let rec =
            parse_record(line).with_context(|| format!("{} line {lineno}", path.display()))?;
        let ex = record_to_example(&rec.0, map, &name, examples.len(), false)
            .with_context(|| format!("{} line {lineno}", path.display()))?;
        examples.push(ex);
    }
    Ok(Dataset::new(name, examples))
}

/// Loads a CSV file with a header row; every cell is text (numbers are not reformatted). Errors
/// name the file, the 1-based line and, for a missing column, the columns present.
pub fn load_csv(path: impl AsRef<Path>, map: &FieldMap) -> Result<Dataset> {
    let path = path.as_ref();
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{} line 1: reading the header row", path.display()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let name = dataset_name(path);
    let mut examples = Vec::new();
    for row in reader.records() {
        let row = row.with_context(|| format!("reading {}", path.display()))?;
        let lineno = row.position().map_or(0, |p| p.line());
        let fields: Vec<(String, Value)> = headers
            .iter()
            .zip(row.iter())
            .map(|(h, c)| (h.clone(), Value::String(c.to_string())))
            .collect();
        let ex = record_to_example(&fields, map, &name, examples.len(), true)
            .with_context(|| format!("{} line {lineno}", path.display()))?;
        examples.push(ex);
    }
    Ok(Dataset::new(name, examples))
}

/// Builds one example from a record's (field, value) pairs; `text_cells` for CSV, whose cells are
/// all text (see [`AnswerExtract::apply_text`]).
fn record_to_example(
    fields: &[(String, Value)],
    map: &FieldMap,
    name: &str,
    row: usize,
    text_cells: bool,
) -> Result<Example> {
    let get = |k: &str| -> Result<&Value> {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v)
            .ok_or_else(|| anyhow!("no field '{k}' (fields: {})", field_names(fields)))
    };
    let prompt =
        value_to_string(get(&map.prompt)?).with_context(|| format!("field '{}'", map.prompt))?;
    if prompt.trim().is_empty() {
        bail!("field '{}': the prompt is empty", map.prompt);
    }
    let answer_value = get(&map.answer)?;
    let answer = match answer_value {
        Value::String(s) if text_cells => map.answer_extract.apply_text(s),
        v => map.answer_extract.apply(v),
    }
    .with_context(|| format!("field '{}'", map.answer))?;
    let id = match &map.id {
        Some(k) => value_to_string(get(k)?).with_context(|| format!("field '{k}'"))?,
        None => format!("{name}/{row}"),
    };
    let solution = match map.answer_extract {
        AnswerExtract::Gsm8kHashes | AnswerExtract::LastBoxed => value_to_string(answer_value).ok(),
        _ => fields
            .iter()
            .find(|(n, _)| n == "solution")
            .and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Array(items) => items.first().and_then(|x| x.as_str()).map(String::from),
                _ => None,
            }),
    };
    Ok(Example {
        id,
        prompt,
        answer,
        solution,
    })
}

/// A dataset name from its path: the file stem, or the folder name for generic stems
/// (`gsm8k/test.jsonl` → `gsm8k`).
fn dataset_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("dataset");
    let generic = ["test", "train", "validation", "valid", "val", "dev", "data"];
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|s| s.to_str());
    match parent {
        Some(p) if generic.contains(&stem.to_ascii_lowercase().as_str()) => p.to_string(),
        _ => stem.to_string(),
    }
}

/// Comma-separated field names, in record order.
fn field_names(fields: &[(String, Value)]) -> String {
    fields
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Non-blank lines with their 1-based numbers (a UTF-8 BOM on the first line is dropped).
fn jsonl_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
}

fn first_jsonl_record(path: &Path) -> Result<Vec<(String, Value)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (lineno, line) = jsonl_lines(&text)
        .next()
        .ok_or_else(|| anyhow!("{}: the file has no records", path.display()))?;
    Ok(parse_record(line)
        .with_context(|| format!("{} line {lineno}", path.display()))?
        .0)
}

fn first_csv_record(path: &Path) -> Result<Vec<(String, Value)>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("reading {}", path.display()))?
        .clone();
    let row = reader
        .records()
        .next()
        .ok_or_else(|| anyhow!("{}: the file has no rows", path.display()))?
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .zip(row.iter().map(|c| Value::String(c.to_string())))
        .collect())
}

fn parse_record(line: &str) -> Result<OrderedRecord> {
    serde_json::from_str::<OrderedRecord>(line).map_err(|e| anyhow!("invalid JSON object: {e}"))
}

/// A JSON object's fields in file order (independent of serde_json's `preserve_order` feature).
struct OrderedRecord(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedRecord;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<OrderedRecord, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    match out.iter_mut().find(|(n, _)| *n == k) {
                        Some(slot) => slot.1 = v, // a repeated key: the last value wins, as in serde_json
                        None => out.push((k, v)),
                    }
                }
                Ok(OrderedRecord(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
