//! Offline grading of JSONL files: `{gold, prediction, ...}` lines in, the same lines out
//! with `verdict`, `gold_extracted` and `pred_extracted` added.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::io::{BufRead, Write};
use std::path::Path;

/// Counts over one graded file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VerifyStats {
    /// Lines graded (blank lines are skipped and not counted).
    pub total: usize,
    /// Lines judged correct.
    pub correct: usize,
    /// Lines whose gold had no extractable answer (these can never be correct).
    pub gold_unparsed: usize,
    /// Lines whose prediction had no extractable answer.
    pub pred_unparsed: usize,
}

impl VerifyStats {
    /// Fraction correct; 0 for an empty file.
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

const ADDED: [&str; 3] = ["verdict", "gold_extracted", "pred_extracted"];

/// `layerscript verify --jsonl FILE [--out FILE]`: grades `input` into `out` (written atomically)
/// or onto stdout, and says how many were correct on stderr.
pub fn verify_command(input: &Path, out: Option<&Path>) -> Result<VerifyStats> {
    let stats = match out {
        Some(path) => {
            let mut buf = Vec::new();
            let s = verify_jsonl(input, &mut buf)?;
            crate::files::write_atomic(path, &buf)?;
            s
        }
        None => verify_jsonl(input, &mut std::io::stdout().lock())?,
    };
    eprintln!("{} of {} correct", stats.correct, stats.total);
    Ok(stats)
}

/// Grades every line of `input` and writes it to `output` with the verdict fields added.
///
/// Original fields are kept byte for byte (the new fields are appended before the closing
/// brace) unless the line already has one of the added fields, which is then replaced. `gold`
/// and `prediction` may be strings or numbers. A line that is not a JSON object with both
/// fields is an error naming the file and the 1-based line number.
pub fn verify_jsonl(input: &Path, output: &mut dyn Write) -> Result<VerifyStats> {
    let file =
        std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let mut stats = VerifyStats::default();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let at = || format!("{} line {}", input.display(), i + 1);
        let line = line.with_context(|| format!("{}: cannot read (not UTF-8?)", at()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("{}: not valid JSON", at()))?;
        let Some(obj) = value.as_object() else {
            bail!("{}: expected a JSON object", at());
        };
        let field = |k: &str| -> Result<String> {
            match obj.get(k) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
                Some(_) => bail!("{}: field `{k}` must be a string or a number", at()),
                None => {
                    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                    bail!("{}: no field `{k}` (fields: {})", at(), keys.join(", "))
                }
            }
        };
        let (gold, pred) = (field("gold")?, field("prediction")?);
        let v = super::verify(&gold, &pred);
        stats.total += 1;
        stats.correct += usize::from(v.correct);
        stats.gold_unparsed += usize::from(v.gold_answer.is_none());
        stats.pred_unparsed += usize::from(v.pred_answer.is_none());
        let added = [
            serde_json::Value::Bool(v.correct),
            v.gold_answer
                .map_or(serde_json::Value::Null, serde_json::Value::String),
            v.pred_answer
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        ];
        let out_line = if ADDED.iter().any(|k| obj.contains_key(*k)) {
            // Re-serialise: splicing would duplicate keys.
            let mut obj = obj.clone();
            for (k, val) in ADDED.iter().zip(added) {
                obj.insert((*k).to_string(), val);
            }
            serde_json::to_string(&obj)?
        } else {
            let body = line.trim_end();
            let head = body.strip_suffix('}').map(str::trim_end).unwrap_or(body);
            let mut s = head.to_string();
            for (k, val) in ADDED.iter().zip(added) {
                s.push_str(&format!(",\"{k}\":{val}"));
            }
            s.push('}');
            s
        };
        writeln!(output, "{out_line}")
            .with_context(|| format!("{}: cannot write the result", at()))?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, body: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("layerscript-reward-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join(name);
        std::fs::write(&p, body).expect("write temp file");
        p
    }

    #[test]
    fn annotates_lines_keeping_fields_in_order() {
        let p = tmp(
            "ok.jsonl",
            "{\"id\": 3, \"gold\": \"72\", \"prediction\": \"so \\\\boxed{72}\", \"z\": [1]}\n\n{\"gold\": 5, \"prediction\": \"6\"}\n",
        );
        let mut out = Vec::new();
        let s = verify_jsonl(&p, &mut out).expect("grades");
        assert_eq!((s.total, s.correct), (2, 1));
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("{\"id\": 3, \"gold\""), "{}", lines[0]);
        let first: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
        assert_eq!(first["verdict"], serde_json::json!(true));
        assert_eq!(first["pred_extracted"], serde_json::json!("72"));
        assert_eq!(first["z"], serde_json::json!([1]));
        let second: serde_json::Value = serde_json::from_str(lines[1]).expect("json");
        assert_eq!(second["verdict"], serde_json::json!(false));
    }

    #[test]
    fn existing_verdict_field_is_replaced_not_duplicated() {
        let p = tmp(
            "dup.jsonl",
            "{\"gold\": \"1\", \"prediction\": \"1\", \"verdict\": false}\n",
        );
        let mut out = Vec::new();
        verify_jsonl(&p, &mut out).expect("grades");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["verdict"], serde_json::json!(true));
        assert_eq!(String::from_utf8_lossy(&out).matches("verdict").count(), 1);
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for (body, needle) in [
            (
                "{\"gold\": \"1\", \"prediction\": \"1\"}\n{\"gold\": \"1\"}\n",
                "prediction",
            ),
            (
                "{\"gold\": \"1\", \"prediction\": \"1\"}\nnot json\n",
                "not valid JSON",
            ),
            ("[1, 2]\n", "JSON object"),
            (
                "{\"gold\": [1], \"prediction\": \"1\"}\n",
                "string or a number",
            ),
        ] {
            let p = tmp("bad.jsonl", body);
            let e = format!(
                "{:#}",
                verify_jsonl(&p, &mut Vec::new()).expect_err("must fail")
            );
            assert!(e.contains("bad.jsonl") && e.contains(needle), "{e}");
        }
        let missing = std::path::Path::new("/nonexistent/x.jsonl");
        assert!(verify_jsonl(missing, &mut Vec::new()).is_err());
    }
}
