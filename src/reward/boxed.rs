//! `\boxed{}` / `\fbox{}` contents with brace matching: latex2sympy2's
//! `extract_boxed_content` (used during normalisation) and a plain left-to-right lister for
//! dataset loaders.

use regex::Regex;
use std::sync::OnceLock;

use super::normalize::BoxedMode;

fn r_separator() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"\b(and|or)\b|,|;").expect("static regex"))
}

/// Finds `\boxed{...}` / `\fbox{...}` from the right with brace matching
/// (latex2sympy2's `extract_boxed_content`); the text itself when there is none.
pub(crate) fn extract_boxed_content(text: &str, mode: BoxedMode) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let rfind = |pat: &[char], end: usize| -> Option<usize> {
        if pat.len() > end {
            return None;
        }
        (0..=end - pat.len())
            .rev()
            .find(|&i| chars[i..i + pat.len()] == *pat)
    };
    let boxed: Vec<char> = r"\boxed".chars().collect();
    let fbox: Vec<char> = r"\fbox".chars().collect();
    let mut results: Vec<String> = Vec::new();
    let mut current = n;
    let mut max_pos = n;
    let mut last_boxed_start: Option<usize> = None;
    loop {
        let (start, cmd_len) = match (rfind(&boxed, current), rfind(&fbox, current)) {
            (None, None) => break,
            (Some(b), Some(f)) if f > b => (f, 5),
            (Some(b), _) => (b, 6),
            (None, Some(f)) => (f, 5),
        };
        let mut p = start + cmd_len;
        while p < max_pos && chars[p].is_whitespace() {
            p += 1;
        }
        if p >= max_pos {
            break;
        }
        if chars[p] != '{' {
            if results.is_empty() {
                results.push(chars[p..].iter().collect());
            }
            break;
        }
        // Brace matching, bounded by the start of the box taken before (to its right).
        let mut depth = 1usize;
        let mut close = None;
        let mut i = p;
        while i + 1 < max_pos {
            i += 1;
            if chars[i] == '{' {
                depth += 1;
            } else if chars[i] == '}' {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
        }
        let Some(close) = close else {
            if results.is_empty() {
                results.push(chars[p..].iter().collect());
            }
            break;
        };
        let content = chars[p + 1..close]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        if mode == BoxedMode::Last {
            if let Some(next_start) = last_boxed_start {
                let prev = results.last().cloned().unwrap_or_default();
                if !should_extract_boxed(&chars, &content, &prev, close, next_start) {
                    break;
                }
            }
        }
        if results.last() != Some(&content) {
            results.push(content);
        }
        last_boxed_start = Some(start);
        max_pos = start;
        current = start;
    }
    if results.is_empty() {
        return text.to_string();
    }
    results.reverse();
    results.join(",")
}

/// Several boxes count as one answer list only when they are close together, or a little
/// apart with a separator between them; otherwise the earlier box was a discarded attempt.
fn should_extract_boxed(
    chars: &[char],
    boxed: &str,
    next_boxed: &str,
    end: usize,
    next_start: usize,
) -> bool {
    let between: String = chars
        .get(end + 1..next_start)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let len = between.chars().count();
    if len < 10 {
        return true;
    }
    next_boxed != boxed && len < 70 && r_separator().is_match(&between)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_extraction_modes() {
        assert_eq!(
            extract_boxed_content(r"a \boxed{\frac{1}{2}} b", BoxedMode::Last),
            r"\frac{1}{2}"
        );
        assert_eq!(
            extract_boxed_content(r"\boxed{5}, then corrected: \boxed{7}", BoxedMode::Last),
            "5,7"
        );
        let far = r"\boxed{5} but that was wrong, so let me redo every single step carefully from the very top \boxed{7}";
        assert_eq!(extract_boxed_content(far, BoxedMode::Last), "7");
        assert_eq!(
            extract_boxed_content(r"\boxed{7} \boxed{7}", BoxedMode::All),
            "7"
        );
        assert_eq!(extract_boxed_content(r"\fbox{3}", BoxedMode::Last), "3");
        assert_eq!(
            extract_boxed_content(r"\boxed{a{b}c", BoxedMode::Last),
            "{a{b}c"
        );
        assert_eq!(extract_boxed_content(r"\boxed 5", BoxedMode::Last), "5");
    }
}
