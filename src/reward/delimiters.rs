//! Matching of LaTeX math environments the way math-verify's `make_latex_env_pattern`
//! regexes do (`$$..$$`, `\[..\]`, `$..$`, `\(..\)`, ` [..] `, bare `\frac{a}{b}`), each
//! with an optional percent suffix, chained by "and"/"or"/",". Hand-written because the
//! Python patterns use look-behind, which the `regex` crate does not have.

use regex::Regex;
use std::sync::OnceLock;

/// One matched environment's inner text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnvGroup {
    pub content: String,
    /// A percent sign or word followed the environment (`$50$\%`, `$5$ percent`).
    pub percent: bool,
    /// Came from the `\boxed{.+}` pattern: normalised with boxed mode "last".
    pub boxed_last: bool,
}

fn char_before(text: &str, pos: usize) -> Option<char> {
    text[..pos].chars().next_back()
}

/// Matches one environment at byte `pos`; returns (end, content).
/// `boxed` requires a `\boxed{...}` inside (math-verify's "boxed" context) and drops the
/// bare-fraction alternative, as that context does.
fn env_at(text: &str, pos: usize, boxed: bool) -> Option<(usize, String)> {
    let b = text.as_bytes();
    let rest = &text[pos..];
    let prev = char_before(text, pos);
    let found = if rest.starts_with("$$") && prev != Some('\\') {
        display_dollar(b, pos + 2)
    } else {
        None
    }
    .or_else(|| {
        if rest.starts_with(r"\[") && prev != Some('\\') {
            closing_pair(text, pos + 2, r"\]", false)
        } else {
            None
        }
    })
    .or_else(|| {
        let digit_before = prev.is_some_and(|c| c.is_numeric());
        if rest.starts_with('$') && prev != Some('\\') && !digit_before {
            inline_dollar(b, pos + 1)
        } else {
            None
        }
    })
    .or_else(|| {
        if rest.starts_with(r"\(") && prev != Some('\\') {
            closing_pair(text, pos + 2, r"\)", true)
        } else {
            None
        }
    })
    .or_else(|| space_bracket(text, pos))
    .or_else(|| {
        if boxed {
            None
        } else {
            bare_fraction(text, pos)
        }
    })?;
    let (end, content) = found;
    if boxed && !contains_boxed(&content) {
        return None;
    }
    Some((end, content))
}

/// `$$ ... $$`: content has no `$$`, does not end in `$` or `\`.
fn display_dollar(b: &[u8], c0: usize) -> Option<(usize, String)> {
    let mut j = c0;
    loop {
        if j > c0 && b[j..].starts_with(b"$$") && b[j - 1] != b'\\' && b[j - 1] != b'$' {
            return Some((j + 2, String::from_utf8_lossy(&b[c0..j]).into_owned()));
        }
        if j >= b.len() {
            return None;
        }
        // A `$` inside must not be followed by another one.
        if b[j] == b'$' && b.get(j + 1) == Some(&b'$') {
            return None;
        }
        j += 1;
    }
}

/// `\[ ... \]` and `\( ... \)`: the first closing pair ends it; content is non-empty and may
/// not end in a backslash; the parenthesis form stays on one line.
fn closing_pair(text: &str, c0: usize, close: &str, single_line: bool) -> Option<(usize, String)> {
    let rel = text.get(c0..)?.find(close)?;
    let j = c0 + rel;
    if j == c0 || text.as_bytes()[j - 1] == b'\\' {
        return None;
    }
    let content = &text[c0..j];
    if single_line && content.contains('\n') {
        return None;
    }
    Some((j + close.len(), content.to_string()))
}

/// `$ ... $` on one line; `\$` inside is escaped.
fn inline_dollar(b: &[u8], c0: usize) -> Option<(usize, String)> {
    let mut j = c0;
    while j < b.len() {
        match b[j] {
            b'\n' => return None,
            b'$' if j > c0 && b[j - 1] != b'\\' => {
                return Some((j + 1, String::from_utf8_lossy(&b[c0..j]).into_owned()));
            }
            b'$' if j == c0 => return None,
            _ => {}
        }
        j += 1;
    }
    None
}

/// `\s\[ ... \]\s`, brackets and newlines excluded inside.
fn space_bracket(text: &str, pos: usize) -> Option<(usize, String)> {
    let mut it = text[pos..].char_indices();
    let (_, ws) = it.next()?;
    if !ws.is_whitespace() {
        return None;
    }
    let (_, open) = it.next()?;
    if open != '[' {
        return None;
    }
    let c0 = pos + ws.len_utf8() + 1;
    let rel = text[c0..].find([']', '[', '\n'])?;
    let j = c0 + rel;
    if rel == 0 || text.as_bytes()[j] != b']' {
        return None;
    }
    let after = text[j + 1..].chars().next()?;
    if !after.is_whitespace() {
        return None;
    }
    Some((j + 1 + after.len_utf8(), text[c0..j].to_string()))
}

fn bare_fraction(text: &str, pos: usize) -> Option<(usize, String)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(r"^-?\\frac\{-?\d+(?:[.,]\d+)?\}\{-?\d+(?:[.,]\d+)?\}").expect("static regex")
    });
    let m = re.find(&text[pos..])?;
    Some((pos + m.end(), m.as_str().to_string()))
}

/// `\boxed{X+?}` somewhere in the content.
fn contains_boxed(content: &str) -> bool {
    content
        .match_indices(r"\boxed{")
        .any(|(k, _)| content[k + 7..].chars().skip(1).any(|c| c == '}'))
}

/// After an environment: `\s*` then an optional percent marker.
fn percent_suffix(text: &str, end: usize) -> (usize, bool) {
    let after_ws = skip_ws(text, end);
    let rest = &text[after_ws..];
    for p in [r"\%", "%", "percent", "Percent", "pct", "Pct"] {
        if rest.starts_with(p) {
            return (after_ws + p.len(), true);
        }
    }
    (after_ws, false)
}

pub(crate) fn skip_ws(text: &str, mut i: usize) -> usize {
    while let Some(c) = text[i..].chars().next() {
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// Up to six environments joined by `and`/`or`/`,` starting at `pos`: (end, groups).
pub(crate) fn chain_at(text: &str, pos: usize, boxed: bool) -> Option<(usize, Vec<EnvGroup>)> {
    let (e, content) = env_at(text, pos, boxed)?;
    let (mut end, percent) = percent_suffix(text, e);
    let mut groups = vec![EnvGroup {
        content,
        percent,
        boxed_last: false,
    }];
    for _ in 0..5 {
        let p = skip_ws(text, end);
        let next = [",and", "and", ",or", "or", ","].iter().find_map(|sep| {
            if !text[p..].starts_with(sep) {
                return None;
            }
            let q = skip_ws(text, p + sep.len());
            env_at(text, q, boxed)
        });
        let Some((e2, content)) = next else { break };
        let (end2, percent) = percent_suffix(text, e2);
        groups.push(EnvGroup {
            content,
            percent,
            boxed_last: false,
        });
        end = end2;
    }
    Some((end, groups))
}

/// All non-overlapping chains, left to right (Python `finditer`).
pub(crate) fn find_chains(text: &str, boxed: bool) -> Vec<(usize, usize, Vec<EnvGroup>)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let c = text[pos..].chars().next().unwrap_or(' ');
        let may_start = matches!(c, '$' | '\\' | '-') || c.is_whitespace();
        if may_start {
            if let Some((end, groups)) = chain_at(text, pos, boxed) {
                out.push((pos, end, groups));
                pos = end.max(pos + c.len_utf8());
                continue;
            }
        }
        pos += c.len_utf8();
    }
    out
}

/// math-verify's `(?P<first_latexBoxed>\\boxed{.+})` (DOTALL, greedy): from the first
/// `\boxed{` that has a later `}` to the last `}` of the text. `\fbox{` counts as well, a
/// deliberate extension: math-verify never extracts a lone `\fbox`.
pub(crate) fn boxed_span(text: &str) -> Option<(usize, usize, EnvGroup)> {
    let last_close = text.rfind('}')?;
    let starts = text
        .match_indices(r"\boxed{")
        .chain(text.match_indices(r"\fbox{"));
    let start = starts
        .filter(|(s, m)| last_close > s + m.len())
        .map(|(s, _)| s)
        .min()?;
    let content = text[start..=last_close].to_string();
    Some((
        start,
        last_close + 1,
        EnvGroup {
            content,
            percent: false,
            boxed_last: true,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<String> {
        find_chains(text, false)
            .first()
            .map(|(_, _, g)| g[0].content.clone())
    }

    #[test]
    fn dollar_forms() {
        assert_eq!(first("so $x=2$ ok").as_deref(), Some("x=2"));
        assert_eq!(first("$$\\frac12$$").as_deref(), Some("\\frac12"));
        assert_eq!(first("cost 5$ and 3$"), None);
        assert_eq!(first(r"$\$5$").as_deref(), Some(r"\$5"));
        assert_eq!(first("$a\nb$"), None);
    }

    #[test]
    fn bracket_forms() {
        assert_eq!(first(r"\[ 3 \]").as_deref(), Some(" 3 "));
        assert_eq!(first(r"\( 3 \)").as_deref(), Some(" 3 "));
        assert_eq!(first("is [7] here").as_deref(), Some("7"));
        assert_eq!(first(r"\frac{1}{2}").as_deref(), Some(r"\frac{1}{2}"));
    }

    #[test]
    fn chains_and_percent() {
        let c = find_chains("$1$, $2$ and $3$", false);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].2.len(), 3);
        let p = find_chains("$50$\\%", false);
        assert!(p[0].2[0].percent);
    }

    #[test]
    fn boxed_context_and_span() {
        assert!(find_chains("$x$", true).is_empty());
        assert_eq!(find_chains(r"$\boxed{2}$", true).len(), 1);
        let (s, e, g) = boxed_span(r"a \boxed{5} b \boxed{7} c").expect("span");
        assert_eq!((s, e), (2, 23));
        assert_eq!(g.content, r"\boxed{5} b \boxed{7}");
        assert!(boxed_span(r"\boxed{}").is_none());
        assert!(boxed_span(r"} \boxed{").is_none());
    }
}
