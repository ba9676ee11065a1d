//! Cutting the reference answer out of a dataset field ([`AnswerExtract`]) and turning JSON values
//! into answer strings.
//!
//! The rules follow the reference evaluation code the six benchmark files come from
//! (QwenLM/Qwen2.5-Math `evaluation/parser.py::parse_ground_truth`, also used by simpleRL-reason):
//! GSM8K takes the text after `####`; MATH-style solutions take the last brace-matched `\boxed{}`;
//! OlympiadBench takes `final_answer` with its `$` math delimiters removed. Numbers are written
//! without a trailing `.0` (AMC23 stores `27.0`, the answer is `27`).

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;

/// How the answer field's value becomes the reference answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerExtract {
    /// The value as is (strings trimmed; numbers without a trailing `.0`; lists joined with `, `).
    #[default]
    Raw,
    /// GSM8K: the text after the last `####`, trimmed, thousands separators removed (`2,125` →
    /// `2125`, as verl's gsm8k scorer does).
    Gsm8kHashes,
    /// MATH / Minerva: the contents of the last `\boxed{..}` (or `\fbox{..}`), braces matched.
    LastBoxed,
    /// OlympiadBench `final_answer`: each list item with unescaped `$` removed, joined with `, `.
    JoinList,
}

impl FromStr for AnswerExtract {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "raw" => Ok(AnswerExtract::Raw),
            "gsm8k_hashes" | "gsm8k" | "hashes" => Ok(AnswerExtract::Gsm8kHashes),
            "last_boxed" | "boxed" => Ok(AnswerExtract::LastBoxed),
            "join_list" | "list" => Ok(AnswerExtract::JoinList),
            other => bail!(
                "unknown answer extraction '{other}' (valid: raw, gsm8k_hashes, last_boxed, join_list)"
            ),
        }
    }
}

impl AnswerExtract {
    /// Applies this rule to a field's JSON value. Errors name what was missing (no `####`, no
    /// `\boxed{}`, an empty answer) so a loader can add the file and line.
    pub fn apply(&self, value: &Value) -> Result<String> {
        let out = match self {
            AnswerExtract::Raw => value_to_string(value)?,
            AnswerExtract::Gsm8kHashes => gsm8k_answer(&value_to_string(value)?)?,
            AnswerExtract::LastBoxed => {
                let text = value_to_string(value)?;
                last_boxed(&text).ok_or_else(|| anyhow!("no \\boxed{{}} in the text"))?
            }
            AnswerExtract::JoinList => match value {
                Value::Array(items) => {
                    let parts: Result<Vec<String>> = items
                        .iter()
                        .map(|v| value_to_string(v).map(|s| strip_dollars(&s)))
                        .collect();
                    parts?.join(", ")
                }
                other => strip_dollars(&value_to_string(other)?),
            },
        };
        let out = out.trim().to_string();
        if out.is_empty() {
            bail!("the answer is empty");
        }
        Ok(out)
    }

    /// Applies this rule to a text cell (CSV). For [`AnswerExtract::JoinList`] a cell holding a
    /// JSON array of strings (`["$5$"]`) is parsed as a list; any other text (`[1,2]`, an interval)
    /// is one item.
    pub fn apply_text(&self, text: &str) -> Result<String> {
        if *self == AnswerExtract::JoinList {
            if let Ok(v @ Value::Array(_)) = serde_json::from_str::<Value>(text.trim()) {
                if v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                    return self.apply(&v);
                }
            }
        }
        self.apply(&Value::String(text.to_string()))
    }
}

/// A JSON value as answer / prompt text: strings as is, integral numbers without `.0`, booleans as
/// `true`/`false`, arrays joined with `, `. Null and objects are errors.
pub fn value_to_string(value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(number_to_string(n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Array(items) => {
            let parts: Result<Vec<String>> = items.iter().map(value_to_string).collect();
            Ok(parts?.join(", "))
        }
        Value::Null => bail!("the value is null"),
        Value::Object(_) => bail!("the value is an object, not text"),
    }
}

/// A JSON number as text: integers exactly, integral floats without `.0` (`27.0` → `27`), other
/// floats in Rust's shortest round-trip form (`0.5`).
pub fn number_to_string(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).to_string(),
        Some(f) => f.to_string(),
        None => n.to_string(),
    }
}

/// GSM8K's reference answer: the text after the last `####`, trimmed, with thousands separators
/// removed from a plain number (`1,450,000` → `1450000`).
pub fn gsm8k_answer(text: &str) -> Result<String> {
    let pos = text
        .rfind("####")
        .ok_or_else(|| anyhow!("no '####' answer marker in the text"))?;
    let tail = text[pos + 4..].trim();
    Ok(strip_thousands(tail))
}

/// Removes `,` thousands separators from a number written like `-1,234,567.5`; other text is
/// returned unchanged.
fn strip_thousands(s: &str) -> String {
    let body = s.strip_prefix('-').unwrap_or(s);
    let int_part = body.split('.').next().unwrap_or("");
    let frac_ok = body
        .split('.')
        .nth(1)
        .is_none_or(|f| f.chars().all(|c| c.is_ascii_digit()));
    let groups: Vec<&str> = int_part.split(',').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
        && body.matches('.').count() <= 1
        && frac_ok;
    if grouped {
        s.replace(',', "")
    } else {
        s.to_string()
    }
}

/// Removes every `$` not escaped as `\$`, then trims (`$(2,4)$` → `(2,4)`, `$69$,$84$` → `69,84`,
/// `\$5` stays).
pub fn strip_dollars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = '\0';
    for c in s.chars() {
        if c != '$' || prev == '\\' {
            out.push(c);
        }
        prev = c;
    }
    out.trim().to_string()
}

/// The contents of the last `\boxed{..}` or `\fbox{..}` in `text`, with nested braces matched;
/// `\boxed 5` (a space, no brace) gives the text up to the next `$` or line end. `None` when there
/// is no such command or its braces never close.
pub fn last_boxed(text: &str) -> Option<String> {
    let (pos, cmd_len) = match (text.rfind("\\boxed"), text.rfind("\\fbox")) {
        (Some(b), Some(f)) if f > b => (f, "\\fbox".len()),
        (Some(b), _) => (b, "\\boxed".len()),
        (None, Some(f)) => (f, "\\fbox".len()),
        (None, None) => return None,
    };
    let rest = &text[pos + cmd_len..];
    if let Some(after_space) = rest.strip_prefix(' ') {
        let end = after_space.find(['$', '\n']).unwrap_or(after_space.len());
        let inner = after_space[..end].trim();
        return (!inner.is_empty()).then(|| inner.to_string());
    }
    let body = rest.trim_start().strip_prefix('{')?;
    let mut depth = 1usize;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(body[..i].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn boxed_matching() {
        assert_eq!(
            last_boxed("a \\boxed{1} b \\boxed{\\frac{1}{2}} c").as_deref(),
            Some("\\frac{1}{2}")
        );
        assert_eq!(
            last_boxed("$\\boxed{1.6} \\mathrm{~cm}$").as_deref(),
            Some("1.6")
        );
        assert_eq!(last_boxed("so \\boxed 42$ done").as_deref(), Some("42"));
        assert_eq!(last_boxed("\\fbox{7}").as_deref(), Some("7"));
        assert_eq!(last_boxed("\\boxed{unclosed {x}"), None);
        assert_eq!(last_boxed("no box"), None);
    }

    #[test]
    fn gsm8k_tail_and_commas() {
        assert_eq!(gsm8k_answer("so 9*2=18\n#### 18").unwrap(), "18");
        assert_eq!(gsm8k_answer("x\n#### 1,450,000").unwrap(), "1450000");
        assert_eq!(gsm8k_answer("#### -2,125.50").unwrap(), "-2125.50");
        assert_eq!(gsm8k_answer("#### 1,2").unwrap(), "1,2");
        assert!(gsm8k_answer("no marker")
            .unwrap_err()
            .to_string()
            .contains("####"));
    }

    #[test]
    fn lists_numbers_and_dollars() {
        let j = AnswerExtract::JoinList;
        assert_eq!(j.apply(&json!(["$5$"])).unwrap(), "5");
        assert_eq!(j.apply(&json!(["$69$,$84$"])).unwrap(), "69,84");
        assert_eq!(j.apply(&json!(["$x$", "$y$"])).unwrap(), "x, y");
        assert_eq!(j.apply(&json!(["\\$5"])).unwrap(), "\\$5");
        assert_eq!(j.apply_text("[\"$2^{1009}$\"]").unwrap(), "2^{1009}");
        assert_eq!(j.apply_text("$3$").unwrap(), "3");
        assert_eq!(j.apply_text("[1,2]").unwrap(), "[1,2]");
        let r = AnswerExtract::Raw;
        assert_eq!(r.apply(&json!(27.0)).unwrap(), "27");
        assert_eq!(r.apply(&json!(-1.0)).unwrap(), "-1");
        assert_eq!(r.apply(&json!(0.25)).unwrap(), "0.25");
        assert_eq!(r.apply(&json!(12)).unwrap(), "12");
        assert_eq!(r.apply(&json!(" 025 ")).unwrap(), "025");
        assert!(r.apply(&json!(null)).is_err());
        assert!(r
            .apply(&json!("  "))
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert_eq!(
            "last-boxed".parse::<AnswerExtract>().unwrap(),
            AnswerExtract::LastBoxed
        );
        assert!("nope"
            .parse::<AnswerExtract>()
            .unwrap_err()
            .to_string()
            .contains("join_list"));
    }
}
