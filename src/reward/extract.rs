//! Final-answer extraction from model responses and gold strings.
//!
//! Order (as math graders do it): `\boxed{}` / `\fbox{}` with brace matching — several distinct
//! boxed answers in one response are joined with ", " and so compare as a set, which is what
//! math-verify does (a response that boxes 5 and then 7 is not "7"); then GSM8K's `#### x`; then
//! "answer is x" / "Answer: x"; then the last `$...$` span; then the last number.

use regex::Regex;
use std::sync::LazyLock;

/// Contents of every `\boxed{...}` / `\fbox{...}` (also `\boxed 5`), in order.
pub fn boxed_all(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = ["\\boxed", "\\fbox"]
        .iter()
        .filter_map(|k| rest.find(k).map(|p| (p, k.len())))
        .min()
    {
        let after = &rest[pos.0 + pos.1..];
        let trimmed = after.trim_start();
        if let Some(body) = trimmed.strip_prefix('{') {
            match matching_brace(body) {
                Some(end) => {
                    out.push(body[..end].trim().to_string());
                    rest = &body[end + 1..];
                }
                None => break, // unbalanced: nothing reliable after this point
            }
        } else if after.starts_with(' ') {
            // `\boxed 5`: up to the next space or `$`.
            let word: String = trimmed
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '$')
                .collect();
            if !word.is_empty() {
                out.push(word.trim_end_matches('.').to_string());
            }
            rest = &trimmed[word.len()..];
        } else {
            rest = after;
        }
    }
    out
}

/// Index of the `}` closing an already-opened `{` at the start of `s`.
pub fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' => {
                escaped = !escaped;
                continue;
            }
            '{' if !escaped => depth += 1,
            '}' if !escaped => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        escaped = false;
    }
    None
}

static HASHES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"####\s*([^\n]+)").expect("valid regex"));
static ANSWER_IS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:final answer|answer)\s*(?:is|:)\s*:?\s*([^\n]+)").expect("valid regex")
});
static DOLLARS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$([^$]+)\$").expect("valid regex"));
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-?\d[\d,]*(?:\.\d+)?").expect("valid regex"));

/// The final answer of a response, if one can be found.
pub fn extract_answer(text: &str) -> Option<String> {
    let boxed = boxed_all(text);
    if !boxed.is_empty() {
        let mut distinct: Vec<String> = Vec::new();
        for b in boxed {
            if !distinct.contains(&b) {
                distinct.push(b);
            }
        }
        return Some(distinct.join(", "));
    }
    if let Some(c) = HASHES.captures_iter(text).last() {
        return Some(c[1].trim().trim_end_matches('.').to_string());
    }
    if let Some(c) = ANSWER_IS.captures_iter(text).last() {
        let a = c[1].trim().trim_end_matches('.').trim();
        let a = DOLLARS
            .captures(a)
            .map_or(a.to_string(), |d| d[1].to_string());
        if !a.is_empty() {
            return Some(a);
        }
    }
    if let Some(c) = DOLLARS.captures_iter(text).last() {
        return Some(c[1].trim().to_string());
    }
    NUMBER
        .find_iter(text)
        .last()
        .map(|m| m.as_str().to_string())
}

/// A gold answer as datasets write it: `$...$`, `#### x`, a boxed solution, or plain.
pub fn gold_answer(gold: &str) -> String {
    let g = gold.trim();
    if g.contains("\\boxed") || g.contains("####") {
        if let Some(a) = extract_answer(g) {
            return a;
        }
    }
    let g = g
        .strip_prefix('$')
        .and_then(|x| x.strip_suffix('$'))
        .unwrap_or(g);
    let g = g
        .strip_prefix("\\(")
        .and_then(|x| x.strip_suffix("\\)"))
        .unwrap_or(g);
    g.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_with_nested_braces() {
        assert_eq!(
            boxed_all(r"so \boxed{\frac{1}{2}} and \fbox{3}"),
            vec![r"\frac{1}{2}", "3"]
        );
        assert_eq!(boxed_all(r"\boxed 5."), vec!["5"]);
        assert_eq!(boxed_all(r"\boxed{\{1,2\}}"), vec![r"\{1,2\}"]);
        assert!(boxed_all(r"\boxed{unbalanced").is_empty());
    }

    #[test]
    fn extraction_order() {
        assert_eq!(
            extract_answer(r"First \boxed{5}, then \boxed{7}").unwrap(),
            "5, 7"
        );
        assert_eq!(extract_answer("48+24 = 72 clips.\n#### 72").unwrap(), "72");
        assert_eq!(extract_answer("The answer is $42$.").unwrap(), "42");
        assert_eq!(extract_answer("Answer: 1/3").unwrap(), "1/3");
        assert_eq!(extract_answer("we get 3 then 12 apples").unwrap(), "12");
        assert_eq!(extract_answer("no digits"), None);
        assert_eq!(gold_answer("$\\frac{1}{2}$"), "\\frac{1}{2}");
        assert_eq!(gold_answer("blah\n#### 1,000"), "1,000");
    }
}
