//! Loading JSONL and CSV files with a field mapping, and the six benchmark files by name.

use super::{Dataset, Example};
use crate::reward::extract::boxed_all;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How a row's answer field becomes the answer string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerExtract {
    /// As is (numbers lose a trailing `.0`).
    Raw,
    /// GSM8K: the text after the last `####`.
    Gsm8kHashes,
    /// The last `\boxed{}` of a solution (Minerva, MATH solutions).
    LastBoxed,
    /// A list of answers joined with ", " and `$` stripped (OlympiadBench `final_answer`).
    JoinList,
}

/// Which fields hold the prompt, the answer and the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// Field with the question.
    pub prompt: String,
    /// Field with the answer.
    pub answer: String,
    /// Field with an id (row number when absent).
    #[serde(default)]
    pub id: Option<String>,
    /// Field with a worked solution, if any.
    #[serde(default)]
    pub solution: Option<String>,
    /// How to read the answer field.
    #[serde(default = "raw")]
    pub extract: AnswerExtract,
}

fn raw() -> AnswerExtract {
    AnswerExtract::Raw
}

impl FieldMap {
    /// A map with raw extraction.
    pub fn new(prompt: &str, answer: &str) -> Self {
        Self {
            prompt: prompt.into(),
            answer: answer.into(),
            id: None,
            solution: None,
            extract: AnswerExtract::Raw,
        }
    }
}

fn as_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            _ => n.to_string(),
        },
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn answer_of(v: &serde_json::Value, how: AnswerExtract) -> Option<String> {
    Some(match how {
        AnswerExtract::Raw => as_text(v),
        AnswerExtract::Gsm8kHashes => as_text(v).rsplit("####").next()?.trim().replace(',', ""),
        AnswerExtract::LastBoxed => boxed_all(&as_text(v)).pop()?,
        AnswerExtract::JoinList => match v {
            serde_json::Value::Array(xs) => xs
                .iter()
                .map(|x| as_text(x).trim().trim_matches('$').trim().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            other => as_text(other).trim_matches('$').to_string(),
        },
    })
}

fn example(
    row: &serde_json::Map<String, serde_json::Value>,
    map: &FieldMap,
    index: usize,
    at: &dyn Fn() -> String,
) -> Result<Example> {
    let get = |k: &str| {
        row.get(k).with_context(|| {
            format!(
                "{}: no field `{k}` (fields: {})",
                at(),
                row.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let prompt = as_text(get(&map.prompt)?);
    let answer = answer_of(get(&map.answer)?, map.extract).with_context(|| {
        format!(
            "{}: field `{}` has no {:?} answer",
            at(),
            map.answer,
            map.extract
        )
    })?;
    let id = match &map.id {
        Some(k) => as_text(get(k)?),
        None => index.to_string(),
    };
    let solution = map.solution.as_ref().and_then(|k| row.get(k)).map(as_text);
    Ok(Example {
        id,
        prompt,
        answer,
        solution,
    })
}

/// Loads a JSONL file; errors name the file, the line and the missing field.
pub fn load_jsonl(path: &Path, map: &FieldMap) -> Result<Dataset> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut examples = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = || format!("{} line {}", path.display(), i + 1);
        let v: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("{}: not valid JSON", at()))?;
        let row = v
            .as_object()
            .with_context(|| format!("{}: expected a JSON object", at()))?;
        examples.push(example(row, map, examples.len(), &at)?);
    }
    Ok(Dataset {
        name: path.display().to_string(),
        examples,
    })
}

/// Loads a CSV file with a header row.
pub fn load_csv(path: &Path, map: &FieldMap) -> Result<Dataset> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = r
        .headers()
        .with_context(|| format!("{}: no header row", path.display()))?
        .clone();
    let mut examples = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{} row {}", path.display(), i + 2))?;
        let row: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.to_string())))
            .collect();
        examples.push(example(&row, map, examples.len(), &|| {
            format!("{} row {}", path.display(), i + 2)
        })?);
    }
    Ok(Dataset {
        name: path.display().to_string(),
        examples,
    })
}

/// The six benchmarks and how their files are laid out.
pub const BENCHMARKS: [&str; 6] = [
    "gsm8k",
    "math500",
    "aime24",
    "amc23",
    "minerva_math",
    "olympiadbench",
];

fn benchmark_map(name: &str) -> Option<(&'static str, FieldMap)> {
    let m = |p: &str, a: &str, e| FieldMap {
        prompt: p.into(),
        answer: a.into(),
        id: None,
        solution: None,
        extract: e,
    };
    Some(match name {
        "gsm8k" => (
            "gsm8k",
            FieldMap {
                solution: Some("answer".into()),
                ..m("question", "answer", AnswerExtract::Gsm8kHashes)
            },
        ),
        "math500" | "math-500" => (
            "math500",
            FieldMap {
                solution: Some("solution".into()),
                ..m("problem", "answer", AnswerExtract::Raw)
            },
        ),
        "aime24" => ("aime24", m("problem", "answer", AnswerExtract::Raw)),
        "amc23" => ("amc23", m("problem", "answer", AnswerExtract::Raw)),
        "minerva" | "minerva_math" => (
            "minerva_math",
            FieldMap {
                solution: Some("solution".into()),
                ..m("problem", "solution", AnswerExtract::LastBoxed)
            },
        ),
        "olympiadbench" => (
            "olympiadbench",
            FieldMap {
                solution: Some("solution".into()),
                ..m("question", "final_answer", AnswerExtract::JoinList)
            },
        ),
        _ => return None,
    })
}

/// Where benchmark folders live: `$LAYERSCRIPT_DATA`, else `./data`, else `../shared/data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("LAYERSCRIPT_DATA") {
        return PathBuf::from(d);
    }
    ["data", "../shared/data"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// A benchmark by name (`gsm8k`, `math500`, `aime24`, `amc23`, `minerva`, `olympiadbench`) from
/// `data_dir/<name>/test.jsonl`, or any `.jsonl` path with fields guessed (prompt from
/// problem|question|prompt, answer from answer|final_answer|solution).
pub fn benchmark(name_or_path: &str, data_dir: &Path) -> Result<Dataset> {
    if let Some((folder, map)) = benchmark_map(name_or_path) {
        let mut d = load_jsonl(&data_dir.join(folder).join("test.jsonl"), &map)?;
        d.name = folder.to_string();
        return Ok(d);
    }
    let path = Path::new(name_or_path);
    if path.extension().is_some_and(|e| e == "jsonl") {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap_or("{}"))
            .with_context(|| format!("{} line 1: not valid JSON", path.display()))?;
        let has = |k: &str| first.get(k).is_some();
        let prompt = ["problem", "question", "prompt"]
            .into_iter()
            .find(|k| has(k))
            .with_context(|| format!("{}: no problem/question/prompt field", path.display()))?;
        let (answer, extract) = [
            ("answer", AnswerExtract::Raw),
            ("final_answer", AnswerExtract::JoinList),
            ("solution", AnswerExtract::LastBoxed),
        ]
        .into_iter()
        .find(|(k, _)| has(k))
        .with_context(|| format!("{}: no answer/final_answer/solution field", path.display()))?;
        return load_jsonl(
            path,
            &FieldMap {
                prompt: prompt.into(),
                answer: answer.into(),
                id: None,
                solution: None,
                extract,
            },
        );
    }
    bail!(
        "unknown benchmark `{name_or_path}`: expected one of {} or a path to a .jsonl file",
        BENCHMARKS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data")
    }

    #[test]
    fn six_benchmarks_with_their_answers() {
        let first = |n: &str| benchmark(n, &data()).unwrap().examples[0].clone();
        assert_eq!(first("gsm8k").answer, "18");
        assert!(first("gsm8k").prompt.starts_with("Janet"));
        assert_eq!(first("amc23").answer, "27");
        for n in BENCHMARKS {
            let d = benchmark(n, &data()).unwrap();
            assert_eq!(d.len(), 5, "{n}");
            assert!(
                d.examples
                    .iter()
                    .all(|e| !e.answer.is_empty() && !e.prompt.is_empty()),
                "{n}"
            );
        }
        let e = benchmark("gsm9k", &data()).unwrap_err().to_string();
        assert!(e.contains("math500"), "{e}");
    }

    #[test]
    fn field_errors_name_file_line_and_fields() {
        let e = load_jsonl(
            &data().join("gsm8k/test.jsonl"),
            &FieldMap::new("problem", "answer"),
        )
        .unwrap_err();
        let e = format!("{e:#}");
        assert!(
            e.contains("line 1") && e.contains("no field `problem`") && e.contains("question"),
            "{e}"
        );
    }

    #[test]
    fn csv_rows() {
        let p = std::env::temp_dir().join(format!("layerscript-data-{}.csv", std::process::id()));
        std::fs::write(&p, "q,a\n\"2+2=\",4\n3+3=,6\n").unwrap();
        let d = load_csv(&p, &FieldMap::new("q", "a")).unwrap();
        assert_eq!(
            (d.examples[1].prompt.as_str(), d.examples[1].answer.as_str()),
            ("3+3=", "6")
        );
        let e = format!(
            "{:#}",
            load_csv(&p, &FieldMap::new("q", "answer")).unwrap_err()
        );
        assert!(e.contains("row 2") && e.contains("answer"), "{e}");
    }

    #[test]
    fn seeded_shuffle() {
        let d = benchmark("math500", &data()).unwrap();
        assert_eq!(d.shuffled(1), d.shuffled(1));
        let orders: std::collections::HashSet<Vec<String>> = (0..6)
            .map(|s| d.shuffled(s).examples.into_iter().map(|e| e.id).collect())
            .collect();
        assert!(orders.len() > 1);
    }
}
