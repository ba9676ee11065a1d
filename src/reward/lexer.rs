//! Tokenizer for the LaTeX subset latex2sympy2's ANTLR grammar (PS.g4) accepts.
//!
//! Where the grammar's lexer picks the longest match (`!=` over `!`, `\leq` over `\le`,
//! `dx` over `d`), this one does the same; unknown commands are an error, as they are
//! for the ANTLR lexer, so the answer then falls back to string comparison.

use super::ast::RelOp;
use anyhow::{bail, Result};

/// One lexical token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// `12`, `0.5`, `.5` (source text).
    Num(String),
    /// `1.5E3`.
    ENum(String),
    /// `50\%`, `50 %` (the number part).
    PctNum(String),
    /// A letter other than `e`/`E`.
    Letter(char),
    /// `e`: Euler's number or `e^{x}`.
    LowerE,
    /// `E`: a symbol (latex2sympy2 lowercases it to `e`).
    UpperE,
    /// `dx`: a differential, read as the symbol `dx`.
    Diff(String),
    /// A greek letter or other named symbol, already mapped (`pi`, `alpha`, `angle`).
    Named(String),
    /// `\text{...}`-like accents: (command, content).
    Accent(String, String),
    /// `\mathbb{R}`, `\emptyset`, `\{\}`.
    SetLit(&'static str),
    /// A function command: `sin`, `log`, `ln`, `sqrt`, `frac`, `binom`, `max`, `operatorname`, ...
    Cmd(&'static str),
    Rel(RelOp),
    Approx,
    In,
    NotIn,
    Plus,
    Minus,
    Times,
    Div,
    Mod,
    Colon,
    Caret,
    Underscore,
    Bang,
    Comma,
    Semi,
    Amp,
    RowSep,
    Bar,
    LParen,
    RParen,
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    /// `\{` / `\lbrace`.
    LSet,
    RSet,
    LFloor,
    RFloor,
    LCeil,
    RCeil,
    Pm,
    Cup,
    Cap,
    SetMinus,
    Degree,
    Transpose,
    Infty,
    /// `\begin{pmatrix}`-style start; the flag says it is a determinant (`vmatrix`).
    MatStart(bool),
    MatEnd,
}

#[rustfmt::skip]
const SKIP_CMDS: &[&str] = &[
    "thinspace", "medspace", "thickspace", "quad", "qquad", "negthinspace", "negmedspace",
    "negthickspace", "vrule", "vcenter", "vbox", "vskip", "vspace", "hfil", "displaystyle",
];

#[rustfmt::skip]
const FUNCS: &[&str] = &[
    "arcsinh", "arccosh", "arctanh", "arsinh", "arcosh", "artanh", "arcsin", "arccos", "arctan",
    "arccsc", "arcsec", "arccot", "sinh", "cosh", "tanh", "sin", "cos", "tan", "csc", "sec", "cot",
    "log", "ln", "exp", "sqrt", "frac", "dfrac", "tfrac", "cfrac", "binom", "tbinom", "dbinom",
    "max", "min", "gcd", "lcm", "floor", "ceil", "det", "operatorname", "boxed", "phantom",
    "choose", "int", "sum", "prod", "lim",
];

#[rustfmt::skip]
const GREEK: &[&str] = &[
    "alpha", "beta", "delta", "Delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "Theta",
    "vartheta", "iota", "kappa", "lambda", "Lambda", "mu", "nu", "xi", "Xi", "omicron", "pi", "Pi",
    "varpi", "rho", "varrho", "sigma", "Sigma", "varsigma", "tau", "upsilon", "Upsilon", "phi",
    "Phi", "varphi", "chi", "psi", "Psi", "omega", "Omega", "gamma", "Gamma",
];

#[rustfmt::skip]
const OTHER_SYMBOLS: &[&str] = &[
    "Bbbk", "wp", "nabla", "bigstar", "angle", "nexists", "diagdown", "measuredangle", "eth",
    "diagup", "sphericalangle", "clubsuit", "varnothing", "Diamond", "complement", "diamondsuit",
    "imath", "Finv", "triangledown", "heartsuit", "jmath", "Game", "triangle", "spadesuit", "ell",
    "hbar", "vartriangle", "hslash", "blacklozenge", "lozenge", "blacksquare", "mho",
    "blacktriangle", "sharp", "prime", "Im", "flat", "square", "backprime", "Re", "natural", "surd",
    "circledS",
];

#[rustfmt::skip]
const ACCENTS: &[&str] = &[
    "acute", "bar", "overline", "breve", "check", "widecheck", "dot", "ddot", "grave", "hat",
    "tilde", "widetilde", "vec", "overrightarrow", "bm", "boldsymbol", "text", "textit", "textbf",
    "textnormal", "mathbb", "mathbin", "mathbf", "mathcal", "mathclap", "mathclose",
    "mathellipsis", "mathfrak", "mathinner", "mathit", "mathnormal", "mathop", "mathopen",
    "mathord", "mathpunct", "mathrel", "mathring", "mathrlap", "mathrm", "mathscr", "mathsf",
    "mathsterling", "mathtt", "mbox",
];

fn intern(list: &'static [&'static str], name: &str) -> Option<&'static str> {
    list.iter().copied().find(|c| *c == name)
}

/// Splits `src` into tokens.
pub(crate) fn lex(src: &str) -> Result<Vec<Tok>> {
    let cs: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize, s: &str| -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| cs.get(i + k) == Some(&c))
    };
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // Degree and transpose postfixes are single tokens in the grammar.
        if c == '^' {
            let degs = [
                "^\\circ",
                "^\\degree",
                "^\\circle",
                "^°",
                "^{\\circ}",
                "^{\\degree}",
                "^{\\circle}",
                "^{°}",
            ];
            if let Some(d) = degs
                .iter()
                .filter(|d| at(i, d))
                .max_by_key(|d| d.chars().count())
            {
                let len = d.chars().count();
                // "^\circle" must not be cut to "^\circ" + "le"; longest match handles it.
                i += len;
                out.push(Tok::Degree);
                continue;
            }
            if at(i, "^{T}") || at(i, "^{\\top}") {
                i += if at(i, "^{T}") { 4 } else { 7 };
                out.push(Tok::Transpose);
                continue;
            }
            if at(i, "^T") && !cs.get(i + 2).is_some_and(|c| c.is_ascii_alphabetic()) {
                i += 2;
                out.push(Tok::Transpose);
                continue;
            }
        }
        if c.is_ascii_digit() || (c == '.' && cs.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < cs.len() && cs[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < cs.len() && cs[i] == '.' && cs[i + 1].is_ascii_digit() {
                i += 1;
                while i < cs.len() && cs[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let num: String = cs[start..i].iter().collect();
            // E notation: NUMBER 'E' [+-]? DIGIT+
            if cs.get(i) == Some(&'E') {
                let mut k = i + 1;
                if matches!(cs.get(k), Some('+') | Some('-')) {
                    k += 1;
                }
                if cs.get(k).is_some_and(|d| d.is_ascii_digit()) {
                    while k < cs.len() && cs[k].is_ascii_digit() {
                        k += 1;
                    }
                    out.push(Tok::ENum(cs[start..k].iter().collect()));
                    i = k;
                    continue;
                }
            }
            // PERCENT_NUMBER: NUMBER WS? ('\%' | '%')
            let mut k = i;
            if cs.get(k).is_some_and(|c| c.is_whitespace()) {
                k += 1;
            }
            if cs.get(k) == Some(&'%') {
                out.push(Tok::PctNum(num));
                i = k + 1;
                continue;
            }
            if cs.get(k) == Some(&'\\') && cs.get(k + 1) == Some(&'%') {
                out.push(Tok::PctNum(num));
                i = k + 2;
                continue;
            }
            out.push(Tok::Num(num));
            continue;
        }
        if c == '\\' {
            i = lex_command(&cs, i, &mut out)?;
            continue;
        }
        if c.is_ascii_alphabetic() {
            if c == 'd' {
                // DIFFERENTIAL: 'd' WS*? (letter | '\' letters)
                let mut k = i + 1;
                while cs.get(k).is_some_and(|c| c.is_whitespace()) {
                    k += 1;
                }
                if cs.get(k).is_some_and(|c| c.is_ascii_alphabetic()) {
                    out.push(Tok::Diff(format!("d{}", cs[k])));
                    i = k + 1;
                    continue;
                }
            }
            out.push(match c {
                'e' => Tok::LowerE,
                'E' => Tok::UpperE,
                _ => Tok::Letter(c),
            });
            i += 1;
            continue;
        }
        let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
        let tok2 = match two.as_str() {
            "!=" => Some(Tok::Rel(RelOp::Ne)),
            "<=" => Some(Tok::Rel(RelOp::Le)),
            ">=" => Some(Tok::Rel(RelOp::Ge)),
            "==" => Some(Tok::Rel(RelOp::Eq)),
            "~=" => Some(Tok::Approx),
            _ => None,
        };
        if let Some(t) = tok2 {
            out.push(t);
            i += 2;
            continue;
        }
        let t = match c {
            '+' | '∔' | '⊕' => Tok::Plus,
            '-' | '−' | '∸' => Tok::Minus,
            '*' | '×' | '⋅' | '∗' | '⋆' | '∙' => Tok::Times,
            '/' | '÷' | '∕' => Tok::Div,
            ':' => Tok::Colon,
            '^' => Tok::Caret,
            '_' => Tok::Underscore,
            '!' => Tok::Bang,
            ',' => Tok::Comma,
            ';' => Tok::Semi,
            '&' => Tok::Amp,
            '|' => Tok::Bar,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBrack,
            ']' => Tok::RBrack,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            '=' | '≡' | '≔' => Tok::Rel(RelOp::Eq),
            '<' => Tok::Rel(RelOp::Lt),
            '>' => Tok::Rel(RelOp::Gt),
            '≤' | '≦' => Tok::Rel(RelOp::Le),
            '≥' | '≧' => Tok::Rel(RelOp::Ge),
            '≠' => Tok::Rel(RelOp::Ne),
            '≈' | '≅' | '≃' => Tok::Approx,
            '±' | '∓' => Tok::Pm,
            '∪' => Tok::Cup,
            '∩' => Tok::Cap,
            '∖' => Tok::SetMinus,
            '∅' => Tok::SetLit("EmptySet"),
            'ℝ' => Tok::SetLit("Reals"),
            'ℤ' => Tok::SetLit("Integers"),
            'ℕ' => Tok::SetLit("Naturals"),
            'ℚ' => Tok::SetLit("Rationals"),
            'ℂ' => Tok::SetLit("Complexes"),
            '∞' => Tok::Infty,
            'π' => Tok::Named("pi".into()),
            '\'' => Tok::Transpose,
            _ => bail!("unexpected character {c:?}"),
        };
        out.push(t);
        i += 1;
    }
    Ok(out)
}

/// Lexes the command starting at `cs[i] == '\\'`; returns the next position.
fn lex_command(cs: &[char], i: usize, out: &mut Vec<Tok>) -> Result<usize> {
    let next = cs.get(i + 1).copied();
    let simple = match next {
        Some(',') | Some(':') | Some(';') | Some('!') | Some('$') | Some(' ') => None,
        Some('{') => Some(Tok::LSet),
        Some('}') => Some(Tok::RSet),
        Some('(') => Some(Tok::LParen),
        Some(')') => Some(Tok::RParen),
        Some('|') => bail!("norm bars are not supported"),
        Some('%') => bail!("stray percent sign"),
        Some('\\') => Some(Tok::RowSep),
        Some(c) if c.is_ascii_alphabetic() => {
            let mut k = i + 1;
            while k < cs.len() && cs[k].is_ascii_alphabetic() {
                k += 1;
            }
            let name: String = cs[i + 1..k].iter().collect();
            return lex_word(cs, k, &name, out);
        }
        _ => bail!("unknown command"),
    };
    // `\{\}` is the empty set in the grammar.
    if simple == Some(Tok::LSet) && cs.get(i + 2) == Some(&'\\') && cs.get(i + 3) == Some(&'}') {
        out.push(Tok::SetLit("EmptySet"));
        return Ok(i + 4);
    }
    if let Some(t) = simple {
        out.push(t);
    }
    Ok(i + 2)
}

/// Lexes a named command `\name` whose name ends at `k`.
fn lex_word(cs: &[char], k: usize, name: &str, out: &mut Vec<Tok>) -> Result<usize> {
    let rel = match name {
        "le" | "leq" | "leqslant" => Some(Tok::Rel(RelOp::Le)),
        "ge" | "geq" | "geqslant" => Some(Tok::Rel(RelOp::Ge)),
        "lt" => Some(Tok::Rel(RelOp::Lt)),
        "gt" => Some(Tok::Rel(RelOp::Gt)),
        "ne" | "neq" => Some(Tok::Rel(RelOp::Ne)),
        "equiv" => Some(Tok::Rel(RelOp::Eq)),
        "approx" => Some(Tok::Approx),
        "in" => Some(Tok::In),
        "notin" => Some(Tok::NotIn),
        "times" | "cdot" => Some(Tok::Times),
        "div" | "over" => Some(Tok::Div),
        "mod" => Some(Tok::Mod),
        "pm" | "mp" => Some(Tok::Pm),
        "cup" => Some(Tok::Cup),
        "cap" => Some(Tok::Cap),
        "setminus" => Some(Tok::SetMinus),
        "infty" => Some(Tok::Infty),
        "lbrace" => Some(Tok::LSet),
        "rbrace" => Some(Tok::RSet),
        "lbrack" | "lgroup" => Some(Tok::LBrack),
        "rbrack" | "rgroup" => Some(Tok::RBrack),
        "lfloor" => Some(Tok::LFloor),
        "rfloor" => Some(Tok::RFloor),
        "lceil" => Some(Tok::LCeil),
        "rceil" => Some(Tok::RCeil),
        "lvert" | "rvert" | "vert" | "mid" => Some(Tok::Bar),
        "emptyset" => Some(Tok::SetLit("EmptySet")),
        "end" => Some(Tok::MatEnd),
        _ => None,
    };
    if let Some(t) = rel {
        let mut k = k;
        if t == Tok::MatEnd {
            // \end{pmatrix} / \end{array}
            k = skip_braced(cs, k).ok_or_else(|| anyhow::anyhow!("bad \\end"))?;
        }
        out.push(t);
        return Ok(k);
    }
    if name == "begin" {
        let close = skip_braced(cs, k).ok_or_else(|| anyhow::anyhow!("bad \\begin"))?;
        let env: String = cs[k + 1..close - 1].iter().collect();
        let mut k = close;
        match env.as_str() {
            "matrix" | "pmatrix" | "bmatrix" => out.push(Tok::MatStart(false)),
            "vmatrix" => out.push(Tok::MatStart(true)),
            "array" => {
                // column spec such as {cc}
                k = skip_braced(cs, k).ok_or_else(|| anyhow::anyhow!("bad array spec"))?;
                out.push(Tok::MatStart(false));
            }
            _ => bail!("unsupported environment"),
        }
        return Ok(k);
    }
    if name == "mathbb" {
        let sets = [
            ("N", "Naturals"),
            ("Z", "Integers"),
            ("Q", "Rationals"),
            ("R", "Reals"),
            ("C", "Complexes"),
            ("P", "Primes"),
        ];
        for (letter, set) in sets {
            if cs.get(k) == Some(&'{')
                && cs.get(k + 2) == Some(&'}')
                && cs.get(k + 1).map(|c| c.to_string()).as_deref() == Some(letter)
            {
                out.push(Tok::SetLit(set));
                return Ok(k + 3);
            }
        }
    }
    if let Some(acc) = intern(ACCENTS, name) {
        // ACCENT: cmd WS? '{' ('\}' | ~[}])*? '}'
        let mut p = k;
        if cs.get(p).is_some_and(|c| c.is_whitespace()) {
            p += 1;
        }
        if cs.get(p) != Some(&'{') {
            bail!("accent without braces");
        }
        let mut q = p + 1;
        while q < cs.len() && cs[q] != '}' {
            q += if cs[q] == '\\' && cs.get(q + 1) == Some(&'}') {
                2
            } else {
                1
            };
        }
        if q >= cs.len() {
            bail!("unclosed accent");
        }
        out.push(Tok::Accent(acc.to_string(), cs[p + 1..q].iter().collect()));
        return Ok(q + 1);
    }
    if SKIP_CMDS.contains(&name) {
        return Ok(k);
    }
    if let Some(f) = intern(FUNCS, name) {
        out.push(Tok::Cmd(f));
        return Ok(k);
    }
    if intern(GREEK, name).is_some() || intern(OTHER_SYMBOLS, name).is_some() {
        let mapped = match name {
            "gamma" | "Gamma" => "eulergamma".to_string(),
            _ => name.to_string(),
        };
        out.push(Tok::Named(mapped));
        // GREEK_CMD swallows one trailing space; harmless since spaces are skipped anyway.
        return Ok(k);
    }
    bail!("unknown command \\{name}")
}

/// Given `cs[k] == '{'`, the position after the matching `}` (no nesting needed here).
fn skip_braced(cs: &[char], k: usize) -> Option<usize> {
    if cs.get(k) != Some(&'{') {
        return None;
    }
    let end = cs[k..].iter().position(|&c| c == '}')?;
    Some(k + end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_match_tokens() {
        assert_eq!(lex("!=").ok(), Some(vec![Tok::Rel(RelOp::Ne)]));
        assert_eq!(lex(r"\leq").ok(), Some(vec![Tok::Rel(RelOp::Le)]));
        assert_eq!(lex("dx").ok(), Some(vec![Tok::Diff("dx".into())]));
        assert_eq!(
            lex(r"90^{\circ}").ok(),
            Some(vec![Tok::Num("90".into()), Tok::Degree])
        );
    }

    #[test]
    fn numbers_percent_and_e_notation() {
        assert_eq!(lex(r"50\%").ok(), Some(vec![Tok::PctNum("50".into())]));
        assert_eq!(lex("1.5E3").ok(), Some(vec![Tok::ENum("1.5E3".into())]));
        assert_eq!(lex(".5").ok(), Some(vec![Tok::Num(".5".into())]));
    }

    #[test]
    fn accents_sets_and_errors() {
        assert_eq!(
            lex(r"\text{ cm }").ok(),
            Some(vec![Tok::Accent("text".into(), " cm ".into())])
        );
        assert_eq!(lex(r"\mathbb{R}").ok(), Some(vec![Tok::SetLit("Reals")]));
        assert_eq!(lex(r"\{\}").ok(), Some(vec![Tok::SetLit("EmptySet")]));
        assert!(lex(r"\foo").is_err());
        assert!(lex(r"\text{abc").is_err());
        assert!(lex(r"\begin{pmatrix").is_err());
    }
}
