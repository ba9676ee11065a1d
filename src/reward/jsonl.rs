//! Offline grading: `{gold, prediction, ...}` lines in, the same lines out with `verdict`,
//! `gold_extracted` and `pred_extracted` added.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, Write};
use std::path::Path;

/// Counts of a graded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyStats {
    /// Lines graded.
    pub total: usize,
    /// Lines judged correct.
    pub correct: usize,
}

/// Grades every line of `input` and writes it back to `output` with the verdict added.
/// A malformed line is an error naming the file and line.
pub fn verify_jsonl(input: &Path, output: &mut dyn Write) -> Result<VerifyStats> {
    let f =
        std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let mut stats = VerifyStats {
        total: 0,
        correct: 0,
    };
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line =
            line.with_context(|| format!("{} line {}: not UTF-8", input.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut v: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not valid JSON", input.display(), i + 1))?;
        let obj = v.as_object_mut().with_context(|| {
            format!("{} line {}: expected a JSON object", input.display(), i + 1)
        })?;
        let field = |k: &str| -> Result<String> {
            match obj.get(k) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
                Some(_) => bail!(
                    "{} line {}: field `{k}` must be a string or number",
                    input.display(),
                    i + 1
                ),
                None => bail!(
                    "{} line {}: no field `{k}` (fields: {})",
                    input.display(),
                    i + 1,
                    obj.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            }
        };
        let (gold, pred) = (field("gold")?, field("prediction")?);
        let verdict = super::verify(&gold, &pred);
        stats.total += 1;
        stats.correct += verdict.correct as usize;
        obj.insert("verdict".into(), verdict.correct.into());
        obj.insert("gold_extracted".into(), verdict.gold_answer.into());
        obj.insert("pred_extracted".into(), verdict.pred_answer.into());
        writeln!(output, "{}", serde_json::to_string(&v)?)?;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotates_lines_and_names_bad_ones() {
        let dir = std::env::temp_dir().join(format!("layerscript-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("in.jsonl");
        std::fs::write(&p, "{\"gold\": \"72\", \"prediction\": \"so \\\\boxed{72}\", \"id\": 3}\n{\"gold\": 5, \"prediction\": \"6\"}\n").unwrap();
        let mut out = Vec::new();
        let s = verify_jsonl(&p, &mut out).unwrap();
        assert_eq!((s.total, s.correct), (2, 1));
        let first: serde_json::Value =
            serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
        assert_eq!(
            (
                first["verdict"].as_bool(),
                first["id"].as_i64(),
                first["pred_extracted"].as_str()
            ),
            (Some(true), Some(3), Some("72"))
        );
        std::fs::write(
            &p,
            "{\"gold\": \"1\", \"prediction\": \"1\"}\n{\"gold\": \"1\"}\n",
        )
        .unwrap();
        let e = format!("{:#}", verify_jsonl(&p, &mut Vec::new()).unwrap_err());
        assert!(e.contains("line 2") && e.contains("prediction"), "{e}");
    }
}
