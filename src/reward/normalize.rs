//! Port of latex2sympy2_extended's `normalize_latex` with the configuration math-verify
//! uses (basic_latex, units, malformed_operators, nits; boxed "all" or "last").
//!
//! The Python original relies on look-around regexes, which the `regex` crate lacks, so
//! those substitutions are hand-written scanners that try the alternatives in the same
//! order Python's `re.sub` would.

pub(crate) use super::boxed::extract_boxed_content;
use regex::Regex;
use std::sync::OnceLock;

/// How `\boxed{}` contents are pulled out before the rest of the normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoxedMode {
    /// Every boxed (deduplicated), joined with commas.
    All,
    /// The last boxed, plus earlier ones only when a separator shows they form a list.
    Last,
}

macro_rules! re {
    ($name:ident, $pat:expr) => {
        fn $name() -> &'static Regex {
            static R: OnceLock<Regex> = OnceLock::new();
            // Constant patterns, all exercised by the unit tests: this cannot fail at run time.
            R.get_or_init(|| Regex::new($pat).expect("static regex"))
        }
    };
}

re!(
    r_left,
    r"\\m?left(\\\{|\{|\\\||\||\[|\(|\\rbracl|\\lgroup|\\lbrace|\\lbrack|\\vert|\\lvert|\\lceil|\\lfloor|\\vert|\\lvert|\\langle|\\llcorner|\\ulcorner)"
);
re!(
    r_right,
    r"\\m?right(\\\}|\}|\\\||\||\]|\)|\\rbrack|\\rgroup|\\rbrace|\\rbrack|\\vert|\\rvert|\\rceil|\\rfloor|\\vert|\\rvert|\\rangle|\\lrcorner|\\urcorner)"
);
re!(
    r_perm,
    r"\(([a-zA-Z0-9+\-*/\\ ]+?)\)_\{([a-zA-Z0-9+\-*/\\ ]+?)\}"
);
re!(r_unit_sup, r"(\\(?:text|mbox)\{.*?\})(\^\d|\{\^\d\})?$");
re!(r_mal_pow, r"\^\s?\((.*?)\)");
re!(r_mal_sqrt, r"sqrt\s?\((.*?)\)");
re!(r_mal_frac1, r"\\frac\s?(\d)\s?(\d+)");
re!(r_mal_log, r"\\log_\s?(\d)\s?(\d+)");
re!(r_mal_frac2, r"\\frac\s?\{(.*?)\}\s?(\d)");
re!(r_mal_frac3, r"\\frac\s?(\d)\s?\{(.*?)\}");
re!(r_mal_sqrt2, r"\\sqrt\s?(\d)");
re!(
    r_remove,
    r#"^(?:\\mathrm\{th\}|\\!\s*|\\text\s*\{\s*\}|\\\$|\$|["']|\\displaystyle)"#
);

/// Unit words stripped from the end of an answer. Kept verbatim from latex2sympy2_extended,
/// including its quirks ("integer" "point" concatenated, unescaped dots), so both agree.
#[rustfmt::skip]
const UNITS: &[&str] = &[
    "integerpoint", "feet", "sue", "digit", "pound", "meal", "edge", "student", "children ticket",
    "multiple", "east", "degree", "mph", "kmph", "ft", "m square", " m east", "sq m", "deg", "mile",
    "q .", "monkey", "prime", "ratio", "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per",
    "dm", "lt", "gain", "ab", "way", "west", "a .", "b .", "c .", "d .", "e .", "f .", "g .", "h .",
    "t", "h", "no change", "men", "soldier", "pie", "bc", "excess", "st", "inches", "noon", "cent",
    "by", "gal", "kmh", "c", "acre", "rise", "a . m", "th", "π r 2", "sq", "mark", "l", "toy",
    "coin", "sq . m", "gallon", "° f", "profit", "minw", "yr", "women", "am", "pm", "hr", "cu cm",
    "square", "v â € ™", "are", "rupee", "rounds", "cubic", "cc", "mtr", "s", "ohm", "number",
    "kmph", "day", "hour", "minute", "min", "second", "man", "woman", "sec", "cube", "mt",
    "sq inch", "mp", "∏ cm ³", "hectare", "more", "sec", "unit", "cu . m", "cm 2", "rs .", "rs",
    "kg", "g", "month", "km", "m", "cm", "mm", "apple", "liter", "loss", "yard", "pure", "year",
    "increase", "decrease", "d", "less", "Surface", "litre", "pi sq m", "s .", "metre", "meter",
    "inch",
];

fn units_regex() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        let pat = format!(r"(\d|\}}|\s)\s*(?:(?:{})(?:s|es)?)\s*$", UNITS.join("|"));
        Regex::new(&pat).expect("static regex")
    })
}

/// `normalize_latex(text, config)` with math-verify's extraction config.
pub(crate) fn normalize_latex(text: &str, boxed: BoxedMode) -> String {
    let mut text = extract_boxed_content(text, boxed);

    // basic_latex
    text = text.replace(r"\mathrm{T}", "T");
    text = text.replace(r"\mathrm{d}", "d").replace(r"{\rm d}", "d");
    text = text
        .replace(r"\left[\begin{matrix}", r"\begin{bmatrix}")
        .replace(r"\end{matrix}\right]", r"\end{bmatrix}");
    text = r_left().replace_all(&text, "$1").into_owned();
    text = r_right().replace_all(&text, "$1").into_owned();
    text = r_perm()
        .replace_all(&text, r"\frac{($1)!}{(($1)-($2))!}")
        .into_owned();
    text = remove_useless(&text);
    text = replace_in_latex(&text);
    text = text.replace(['\n', '\t'], " ");
    if !text.contains("matrix") {
        text = fix_command_slashes(&text);
    }

    // units: a trailing \text{...} (maybe squared), then unit words, twice; never down to "".
    let t = r_unit_sup().replace_all(&text, "").trim().to_string();
    if !t.is_empty() && t != text {
        text = t;
    }
    for _ in 0..2 {
        let t = units_regex().replace_all(&text, "$1").into_owned();
        if !t.is_empty() && t != text {
            text = t;
        }
    }

    // nits
    if text.starts_with('.') {
        text.insert(0, '0');
    }
    if text == "0.5" {
        text = r"\frac{1}{2}".to_string();
    }

    // malformed_operators. Python's "\\sqrt{\1}" replacement keeps the backslash that
    // preceded "sqrt(", so "\sqrt(2)" turns into "\\sqrt{2}" there; the same happens here.
    text = r_mal_pow().replace_all(&text, "^{$1}").into_owned();
    text = r_mal_sqrt().replace_all(&text, r"\sqrt{$1}").into_owned();
    text = r_mal_frac1()
        .replace_all(&text, r"\frac{$1}{$2}")
        .into_owned();
    text = r_mal_log()
        .replace_all(&text, r"\log_{$1}{$2}")
        .into_owned();
    text = r_mal_frac2()
        .replace_all(&text, r"\frac{$1}{$2}")
        .into_owned();
    text = r_mal_frac3()
        .replace_all(&text, r"\frac{$1}{$2}")
        .into_owned();
    text = r_mal_sqrt2().replace_all(&text, r"\sqrt{$1}").into_owned();
    text = text.replace(" sqrt", r"\sqrt");
    text = fix_sqrt(&text);
    text = fix_fracs(&text);
    text = fix_a_slash_b(&text);
    text.trim().to_string()
}

/// `to_remove_regex`: `\mathrm{th}`, `\!`, empty `\text{}`, dollars, unescaped quotes,
/// `\displaystyle`.
fn remove_useless(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut prev: Option<char> = None;
    while i < text.len() {
        let rest = &text[i..];
        if let Some(m) = r_remove().find(rest) {
            let is_quote = rest.starts_with('"') || rest.starts_with('\'');
            // The quote alternative has a (?<!\\) look-behind on the original text.
            if m.end() > 0 && !(is_quote && prev == Some('\\')) {
                prev = rest[..m.end()].chars().last();
                i += m.end();
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    out
}

/// What extra look-around condition a replacement pattern had in Python.
#[derive(Clone, Copy)]
enum Guard {
    None,
    /// `(?<![a-zA-Z]) ... (?![a-zA-Z])`
    NoLetterAround,
    /// `(?<!\\)`
    NoBackslashBefore,
    /// `\b` just before the keyword that follows optional spaces.
    WordStart,
    /// `(?<!\\)inf(?!inity)`
    Inf,
}

/// The `to_replace_patterns` of latex2sympy2, tried in order at every position.
fn replace_in_latex(text: &str) -> String {
    static R: OnceLock<Vec<(Regex, &'static str, Guard)>> = OnceLock::new();
    let pats = R.get_or_init(|| {
        [
            (r"\\math(?:rm|it|bf)", r"\text", Guard::None),
            (r"\\text(?:normal|bf|it|rm)", r"\text", Guard::None),
            (r"\\(?:d|t|c)frac", r"\frac", Guard::None),
            (r"\s\.", " 0.", Guard::None),
            (r"\{\.", "{0.", Guard::None),
            (r"~=", r"\approx", Guard::None),
            (r"\s*\{\s*,\s*\}", ",", Guard::None),
            (r",?\s*(?:and|or)", ",", Guard::NoLetterAround),
            (r",?\s*\\text\{\s*(?:and|or)\s*\}", ",", Guard::None),
            (r"\\\s", " ", Guard::NoBackslashBefore),
            ("infinity", r"\infty", Guard::None),
            (r",?\\ldots", " ", Guard::None),
            (r"\s*percentage\b", r"\%", Guard::WordStart),
            (r"\\text\{percentage\}", "%", Guard::None),
            (r"\s*percent\b", r"\%", Guard::WordStart),
            (r"\\text\{percent\}", "%", Guard::None),
            (r"\s*pct\b", r"\%", Guard::WordStart),
            (r"\\text\{pct\}", "%", Guard::None),
            ("inf", r"\infty", Guard::Inf),
            (" sqrt", r"\sqrt", Guard::None),
        ]
        .into_iter()
        .map(|(p, r, g)| {
            (
                Regex::new(&format!("^(?:{p})")).expect("static regex"),
                r,
                g,
            )
        })
        .collect()
    });
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let prev = text[..i].chars().last();
        let hit = pats.iter().find_map(|(re, rep, guard)| {
            let m = re.find(rest)?;
            let after = rest[m.end()..].chars().next();
            let ok = match guard {
                Guard::None => true,
                Guard::NoLetterAround => {
                    !prev.is_some_and(|c| c.is_ascii_alphabetic())
                        && !after.is_some_and(|c| c.is_ascii_alphabetic())
                }
                Guard::NoBackslashBefore => prev != Some('\\'),
                Guard::WordStart => {
                    let ws = rest[..m.end()]
                        .chars()
                        .take_while(|c| c.is_whitespace())
                        .count();
                    ws > 0 || !prev.is_some_and(|c| c.is_alphanumeric() || c == '_')
                }
                Guard::Inf => prev != Some('\\') && !rest[m.end()..].starts_with("inity"),
            };
            (ok && m.end() > 0).then_some((m.end(), *rep))
        });
        match hit {
            Some((len, rep)) => {
                out.push_str(rep);
                i += len;
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// `\\` directly followed by an ASCII letter becomes `\` (a doubled command backslash).
fn fix_command_slashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with(r"\\")
            && rest[2..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            out.push('\\');
            i += 2;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// `\sqrt3` -> `\sqrt{3}` (Hendrycks' `_fix_sqrt`).
pub(crate) fn fix_sqrt(text: &str) -> String {
    if !text.contains(r"\sqrt") {
        return text.to_string();
    }
    let mut parts = text.split(r"\sqrt");
    let mut out = parts.next().unwrap_or("").to_string();
    for part in parts {
        let part = part.trim_start();
        match part.chars().next() {
            Some(c) if c != '{' && c != '[' => {
                out.push_str(r"\sqrt{");
                out.push(c);
                out.push('}');
                out.push_str(&part[c.len_utf8()..]);
            }
            _ => {
                out.push_str(r"\sqrt");
                out.push_str(part);
            }
        }
    }
    out
}

/// `\frac12` -> `\frac{1}{2}`, `\frac1{2}` -> `\frac{1}{2}` (Hendrycks' `_fix_fracs`).
pub(crate) fn fix_fracs(text: &str) -> String {
    let mut parts = text.split(r"\frac");
    let mut out = parts.next().unwrap_or("").to_string();
    for part in parts {
        let part = part.trim_start();
        out.push_str(r"\frac");
        let mut cs = part.chars();
        match (cs.next(), cs.next()) {
            (Some('{'), _) => out.push_str(part),
            (Some(a), Some(b)) => {
                let post: String = part.chars().skip(2).collect();
                if b != '{' {
                    out.push_str(&format!("{{{a}}}{{{b}}}{post}"));
                } else {
                    out.push_str(&format!("{{{a}}}{b}{post}"));
                }
            }
            // Too short to repair: Python gives up and returns the input unchanged.
            _ => return text.to_string(),
        }
    }
    out
}

/// `3/4` -> `\frac{3}{4}` when the whole text is exactly two canonical integers.
pub(crate) fn fix_a_slash_b(text: &str) -> String {
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() != 2 {
        return text.to_string();
    }
    match (
        parts[0].trim().parse::<i128>(),
        parts[1].trim().parse::<i128>(),
    ) {
        (Ok(a), Ok(b)) if text == format!("{a}/{b}") => format!(r"\frac{{{a}}}{{{b}}}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize_latex(s, BoxedMode::All)
    }

    #[test]
    fn dfrac_and_tfrac_become_frac() {
        assert_eq!(norm(r"\dfrac{3}{4}"), r"\frac{3}{4}");
        assert_eq!(norm(r"\tfrac{1}{x}"), r"\frac{1}{x}");
    }

    #[test]
    fn frac_shorthand() {
        assert_eq!(norm(r"\frac12"), r"\frac{1}{2}");
        assert_eq!(norm(r"\frac1{x}"), r"\frac{1}{x}");
        assert_eq!(fix_fracs(r"\frac{a}{b}"), r"\frac{a}{b}");
        assert_eq!(fix_fracs(r"\frac1"), r"\frac1");
    }

    #[test]
    fn left_right_removed_but_brackets_kept() {
        assert_eq!(norm(r"\left( 1, 2 \right)"), "( 1, 2 )");
        assert_eq!(norm(r"\left\{ 1 \right\}"), r"\{ 1 \}");
    }

    #[test]
    fn units_and_text() {
        assert_eq!(norm(r"5\text{ cm}^2"), "5");
        assert_eq!(norm(r"10 \text{ apples}"), "10");
        assert_eq!(norm("12 meters"), "12");
        // A lone \text{} answer is kept: stripping it would leave nothing.
        assert_eq!(norm(r"\text{Monday}"), r"\text{Monday}");
    }

    #[test]
    fn percent_words() {
        assert_eq!(norm("50 percent"), r"50\%");
        assert_eq!(norm(r"50\%"), r"50\%");
    }

    #[test]
    fn degrees_are_left_for_the_parser() {
        assert_eq!(norm(r"90^\circ"), r"90^\circ");
    }

    #[test]
    fn leading_dot_and_half() {
        assert_eq!(norm(".5"), r"\frac{1}{2}");
        assert_eq!(norm("0.5"), r"\frac{1}{2}");
        assert_eq!(norm("0.25"), "0.25");
    }

    #[test]
    fn a_slash_b() {
        assert_eq!(norm("3/4"), r"\frac{3}{4}");
        assert_eq!(fix_a_slash_b("03/4"), "03/4");
        assert_eq!(fix_a_slash_b("1/2/3"), "1/2/3");
    }

    #[test]
    fn sqrt_shorthand() {
        assert_eq!(norm(r"\sqrt 2"), r"\sqrt{2}");
        assert_eq!(norm(r"2\sqrt3"), r"2\sqrt{3}");
        assert_eq!(norm(r"\sqrt[3]{8}"), r"\sqrt[3]{8}");
    }

    #[test]
    fn and_or_become_commas_only_as_words() {
        assert_eq!(norm("1 and 2"), "1, 2");
        assert_eq!(norm(r"\text{brand}"), r"\text{brand}");
    }

    #[test]
    fn doubled_backslashes_and_dollars() {
        assert_eq!(norm(r"\\frac{1}{2}"), r"\frac{1}{2}");
        assert_eq!(norm(r"\$5"), "5");
        assert_eq!(norm(r#""abc""#), "abc");
    }
}
