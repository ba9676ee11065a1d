//! Final-answer extraction, mirroring math-verify's `parse()` with its default targets
//! (`LatexExtractionConfig` + `ExprExtractionConfig`).
//!
//! Candidates come from patterns grouped by priority (lower first): "final answer is ... I
//! hope" 0; "final answer ... is" and `\boxed` 50; "answer:" 100; "answer" 200; bare LaTeX
//! environments, expressions and numbers 300. Within a priority the right-most match is
//! tried first, and the first one that parses wins. So "The answer is \boxed{2}" gives 2,
//! several close boxes give a set (`\boxed{5}, then \boxed{7}` is {5, 7}), and text without
//! any anchor falls back to its last number.
//!
//! One addition to math-verify: GSM8K's `#### 72` is an anchor at priority 100. math-verify
//! reaches the same number through its last-number fallback unless more text follows it.

use super::ast::Node;
use super::delimiters::{boxed_span, chain_at, find_chains, skip_ws, EnvGroup};
use super::latex::parse_latex;
use super::normalize::{normalize_latex, BoxedMode};
use super::pyexpr::parse_py_expr;
use regex::{Captures, Regex};
use std::sync::OnceLock;

/// A parse result: math-verify's list of a parsed value and/or the first matched string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extraction {
    /// The first candidate that parsed.
    pub value: Option<Node>,
    /// Its normalised text.
    pub value_text: Option<String>,
    /// The first candidate string seen, parsed or not (math-verify's `fallback_mode="first_match"`).
    pub fallback: Option<String>,
}

impl Extraction {
    /// The answer as text: the parsed candidate's, else the first string match.
    pub(crate) fn answer(&self) -> Option<String> {
        self.value_text.clone().or_else(|| self.fallback.clone())
    }
}

enum Payload {
    Latex(Vec<EnvGroup>),
    Expr {
        number: Option<(String, bool)>,
        expr: Option<String>,
    },
}

struct Cand {
    start: usize,
    end: usize,
    payload: Payload,
}

const NUMBER_RE: &str = r"(?:(?P<integer1>-?[1-9]\d{0,2}(?:[ ,]\d{3})+)(?P<decimal1>\.\d+)?|(?P<integer2>-?\d+)(?P<decimal2>[.,]\d+)|(?P<decimal3>\.\d+)|(?P<integer3>-?\d+))(?P<percent>\s*(?:%|[Pp]ercent|\s*[Pp]ercentage|\s*[Pp]ct))?";
const EXPR_CHARS: &str = r"[\d.\s+\-*×/^()÷]";
const CURRENCY: &str = "[$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₴₵₶₷₸₹₺₻₼₽₾₿]";

/// math-verify's expression/number regexes (no look-around is needed once the number's
/// `(?<!\d)` is seen to be implied by the prefix).
struct ExprRes {
    final_hope: Regex,
    final_is: Regex,
    answer_colon: Regex,
    answer: Regex,
    gsm: Regex,
    expr: Regex,
    number: Regex,
}

fn expr_res() -> &'static ExprRes {
    static R: OnceLock<ExprRes> = OnceLock::new();
    R.get_or_init(|| {
        let expr_re = format!(r"(?P<expr>-?\(?-?\d{EXPR_CHARS}*[+\-*×/^()÷]{EXPR_CHARS}+\)?)");
        let prefix = r"(?:^|\s|=)(?:\*\*)?";
        let suffix = r"(?:\*\*)?(?:\.|,|:|\s|\)|\$|$)";
        let expr_anch = format!("(?:{prefix}{expr_re}{suffix})");
        let num_anch = format!("(?:{prefix}{CURRENCY}?{NUMBER_RE})");
        let eon = format!("(?:{expr_anch}|{num_anch})");
        let mk = |p: String| Regex::new(&p).expect("static regex");
        ExprRes {
            final_hope: mk(format!(r"(?i:final answer is):?\s*{eon}\.?\s?I hope")),
            final_is: mk(format!(r"(?i:final answer.{{0,100}}?)\s+is:?{eon}")),
            answer_colon: mk(format!(r"(?i:answer):(?:.{{0,100}}=\s*|.{{0,50}}?){eon}")),
            answer: mk(format!(r"(?i:answer)(?:.{{0,100}}=\s*|.{{0,50}}?){eon}")),
            gsm: mk(format!(
                r"####\s*(?:{expr_re}{suffix}|{CURRENCY}?{NUMBER_RE})"
            )),
            expr: mk(expr_anch),
            number: mk(num_anch),
        }
    })
}

/// Python `finditer` over a regex; `no_eq_after` emulates the `(?!\s*=)` look-ahead by
/// rejecting such a match and searching again one character later.
fn find_expr(re: &Regex, text: &str, no_eq_after: bool, out: &mut Vec<Cand>) {
    let mut pos = 0;
    while pos <= text.len() {
        let Some(c) = re.captures_at(text, pos) else {
            break;
        };
        let Some(m) = c.get(0) else { break };
        if no_eq_after && text[m.end()..].trim_start().starts_with('=') {
            pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        out.push(Cand {
            start: m.start(),
            end: m.end(),
            payload: expr_payload(&c),
        });
        pos = if m.end() > m.start() {
            m.end()
        } else {
            m.end() + 1
        };
    }
}

fn expr_payload(c: &Captures) -> Payload {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| c.name(n).map(|m| m.as_str()).filter(|s| !s.is_empty()))
    };
    let integer = get(&["integer1", "integer2", "integer3"]);
    let decimal = get(&["decimal1", "decimal2", "decimal3"]);
    if integer.is_some() || decimal.is_some() {
        // "0001" -> "1", "1,234" -> "1234", "12,5" -> "12.5" (a decimal comma).
        let int: String = integer
            .unwrap_or("")
            .chars()
            .filter(|&ch| ch != ',' && ch != ' ')
            .collect();
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let number = format!("{int}{}", decimal.unwrap_or("").replace(',', "."));
        let pct = c.name("percent").is_some_and(|m| !m.as_str().is_empty());
        return Payload::Expr {
            number: Some((number, pct)),
            expr: None,
        };
    }
    Payload::Expr {
        number: None,
        expr: c.name("expr").map(|m| m.as_str().to_string()),
    }
}

/// Latex patterns anchored by a phrase: at each phrase occurrence, the lazy gap `.{0,max}?`
/// is tried shortest first, then `tail` must match the rest (returns the end).
fn find_anchored(
    text: &str,
    anchor: &Regex,
    max_gap: usize,
    tail: &dyn Fn(usize) -> Option<(usize, Vec<EnvGroup>)>,
    out: &mut Vec<Cand>,
) {
    let mut pos = 0;
    while let Some(m) = anchor.find_at(text, pos) {
        let mut q = m.end();
        let mut found = None;
        for _ in 0..=max_gap {
            if let Some(r) = tail(q) {
                found = Some(r);
                break;
            }
            match text[q..].chars().next() {
                Some(c) => q += c.len_utf8(),
                None => break,
            }
        }
        match found {
            Some((end, groups)) => {
                out.push(Cand {
                    start: m.start(),
                    end,
                    payload: Payload::Latex(groups),
                });
                pos = end;
            }
            None => pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8),
        }
        if pos > text.len() {
            break;
        }
    }
}

fn ci(p: &str) -> Regex {
    Regex::new(&format!("(?i:{p})")).expect("static regex")
}

struct Anchors {
    final_is_exact: Regex,
    final_answer: Regex,
    answer_colon: Regex,
    answer: Regex,
}

fn anchors() -> &'static Anchors {
    static R: OnceLock<Anchors> = OnceLock::new();
    R.get_or_init(|| Anchors {
        final_is_exact: ci("final answer is"),
        final_answer: ci("final answer"),
        answer_colon: ci("answer:"),
        answer: ci("answer"),
    })
}

/// All candidates of one priority level, in pattern order (ties keep this order).
fn candidates(text: &str, priority: u32) -> Vec<Cand> {
    let mut out = Vec::new();
    let a = anchors();
    let ex = expr_res();
    match priority {
        0 => {
            let tail = |q: usize| -> Option<(usize, Vec<EnvGroup>)> {
                let mut q = q;
                if text[q..].starts_with(':') {
                    q += 1;
                }
                let (end, g) = chain_at(text, skip_ws(text, q), false)?;
                let mut e = end;
                if text[e..].starts_with('.') {
                    e += 1;
                }
                if let Some(c) = text[e..].chars().next().filter(|c| c.is_whitespace()) {
                    e += c.len_utf8();
                }
                text[e..].starts_with("I hope").then_some((e + 6, g))
            };
            find_anchored(text, &a.final_is_exact, 0, &tail, &mut out);
            find_expr(&ex.final_hope, text, false, &mut out);
        }
        50 => {
            // `\s+is:?\s*` then the environments, after a lazy gap of up to 100 characters.
            let tail = |q: usize| -> Option<(usize, Vec<EnvGroup>)> {
                let w = skip_ws(text, q);
                if w == q || !text[w..].starts_with("is") {
                    return None;
                }
                let mut r = w + 2;
                if text[r..].starts_with(':') {
                    r += 1;
                }
                chain_at(text, skip_ws(text, r), false)
            };
            find_anchored(text, &a.final_answer, 100, &tail, &mut out);
            for (s, e, g) in find_chains(text, true) {
                out.push(Cand {
                    start: s,
                    end: e,
                    payload: Payload::Latex(g),
                });
            }
            if let Some((s, e, g)) = boxed_span(text) {
                out.push(Cand {
                    start: s,
                    end: e,
                    payload: Payload::Latex(vec![g]),
                });
            }
            find_expr(&ex.final_is, text, false, &mut out);
        }
        100 | 200 => {
            let anchor = if priority == 100 {
                &a.answer_colon
            } else {
                &a.answer
            };
            let tail = |q: usize| chain_at(text, q, false);
            find_anchored(text, anchor, 50, &tail, &mut out);
            let re = if priority == 100 {
                &ex.answer_colon
            } else {
                &ex.answer
            };
            find_expr(re, text, true, &mut out);
            if priority == 100 {
                find_expr(&ex.gsm, text, false, &mut out);
            }
        }
        _ => {
            for (s, e, g) in find_chains(text, false) {
                out.push(Cand {
                    start: s,
                    end: e,
                    payload: Payload::Latex(g),
                });
            }
            find_expr(&ex.expr, text, false, &mut out);
            find_expr(&ex.number, text, false, &mut out);
        }
    }
    out
}

/// Parses one candidate: (value, its text).
fn extract(c: &Cand) -> (Option<Node>, String) {
    match &c.payload {
        Payload::Expr {
            number: Some((num, pct)),
            ..
        } => {
            let n = latex_number(num);
            let n = match n {
                Some(n) if *pct => Some(Node::Pct(Box::new(n))),
                n => n,
            };
            (n, num.clone())
        }
        Payload::Expr { expr, .. } => {
            let e = expr.clone().unwrap_or_default();
            (
                parse_py_expr(&e.replace('\n', " ").replace('^', "**")).ok(),
                e,
            )
        }
        Payload::Latex(groups) => extract_latex(groups),
    }
}

/// sympy `Number(s)`: integers exact, anything with a point a float.
fn latex_number(s: &str) -> Option<Node> {
    if s.contains('.') {
        return s.parse::<f64>().ok().map(Node::Float);
    }
    s.parse::<i128>().ok().map(Node::int)
}

/// math-verify's `extract_latex`: normalise and parse each environment; several that all
/// parse become one set (flattening sets inside), joined as text with " and ".
fn extract_latex(groups: &[EnvGroup]) -> (Option<Node>, String) {
    let mut values = Vec::new();
    let mut texts = Vec::new();
    for g in groups {
        let mode = if g.boxed_last {
            BoxedMode::Last
        } else {
            BoxedMode::All
        };
        let norm = normalize_latex(&g.content, mode);
        let v =
            parse_with_last_eq(&norm).map(|v| if g.percent { Node::Pct(Box::new(v)) } else { v });
        values.push(v);
        texts.push(norm);
    }
    if values.len() > 1 && values.iter().all(Option::is_some) {
        let mut items = Vec::new();
        for v in values.into_iter().flatten() {
            match v {
                Node::Set(xs) => items.extend(xs),
                x => items.push(x),
            }
        }
        return (Some(Node::set(items)), texts.join(" and "));
    }
    let first = values.into_iter().next().flatten();
    (first, texts.into_iter().next().unwrap_or_default())
}

/// `parse_latex_cached`: on failure, retry with the part after the last `=` of a chain
/// such as `a = b = 5` (not for lists, which contain `,` or `;`).
fn parse_with_last_eq(latex: &str) -> Option<Node> {
    if let Ok(v) = parse_latex(latex) {
        return Some(v);
    }
    if latex.contains(',') || latex.contains(';') {
        return None;
    }
    let mut parts = Vec::new();
    let mut last = 0;
    let mut prev: Option<char> = None;
    for (i, c) in latex.char_indices() {
        if c == '=' && !matches!(prev, Some('\\' | '<' | '!' | '>')) {
            parts.push(&latex[last..i]);
            last = i + 1;
        }
        prev = Some(c);
    }
    parts.push(&latex[last..]);
    if parts.len() > 2 {
        parse_latex(parts.last()?).ok()
    } else {
        None
    }
}

/// Runs math-verify's `parse` on `text`.
pub(crate) fn parse_answer(text: &str) -> Extraction {
    let mut ex = Extraction::default();
    for priority in [0, 50, 100, 200, 300] {
        let mut cands = candidates(text, priority);
        // Right-most end first, then left-most start; the sort is stable like Python's.
        cands.sort_by(|a, b| b.end.cmp(&a.end).then(a.start.cmp(&b.start)));
        for c in &cands {
            let (value, s) = extract(c);
            if ex.fallback.is_none() && !s.is_empty() {
                ex.fallback = Some(s.clone());
            }
            if let Some(v) = value {
                ex.value = Some(v);
                ex.value_text = Some(s);
                return ex;
            }
        }
    }
    ex
}

/// Extracts the final answer of a response as math-verify would pick it (normalised
/// LaTeX text, e.g. `\frac{1}{2}` or `5,7`); `None` when nothing answer-like is found.
pub fn extract_answer(text: &str) -> Option<String> {
    parse_answer(text).answer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(s: &str) -> Option<String> {
        extract_answer(s)
    }

    #[test]
    fn boxed_beats_everything_and_nests() {
        assert_eq!(
            ans(r"so \boxed{\frac{1}{2}} and 7").as_deref(),
            Some(r"\frac{1}{2}")
        );
        assert_eq!(ans(r"The answer is \boxed{2}.").as_deref(), Some("2"));
        assert_eq!(
            ans(r"\boxed{5}, then corrected: \boxed{7}").as_deref(),
            Some("5,7")
        );
        assert_eq!(ans(r"\fbox{12}").as_deref(), Some("12"));
    }

    #[test]
    fn gsm8k_and_answer_phrases() {
        assert_eq!(ans("48+24 = 72 clips.\n#### 72").as_deref(), Some("72"));
        assert_eq!(ans("#### 1,234\nthanks 5").as_deref(), Some("1234"));
        assert_eq!(ans("Answer: 17. Check: 3 + 4").as_deref(), Some("17"));
        assert_eq!(ans("The answer is $-3$, I think 4").as_deref(), Some("-3"));
    }

    #[test]
    fn latex_and_last_number_fallbacks() {
        assert_eq!(ans("$2$").as_deref(), Some("2"));
        assert_eq!(ans("We get 3 apples, then 5 pears").as_deref(), Some("5"));
        assert_eq!(ans("costs $1,000 total").as_deref(), Some("1000"));
        assert_eq!(ans("it is 50% of it").as_deref(), Some("50"));
        assert_eq!(ans("no digits here"), None);
    }
}
