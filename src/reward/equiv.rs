//! Answer equivalence: structure first (sets compare unordered, tuples and intervals ordered with
//! their bracket types, matrices cell by cell), then numbers (exact rationals or a relative 1e-6),
//! then normalised text.

use super::expr::eval;
use super::normalize::normalize;

/// A bracketed or comma-separated collection.
#[derive(Debug, PartialEq)]
struct Collection {
    open: char,
    close: char,
    items: Vec<String>,
}

/// Splits at top-level separators (outside brackets and braces).
fn split_top(s: &str, sep: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ if depth == 0 && b[i..].starts_with(sep.as_bytes()) => {
                out.push(s[start..i].trim().to_string());
                start = i + sep.len();
                i += sep.len();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(s[start..].trim().to_string());
    out
}

/// Index of the bracket closing the one at byte 0 (any of `([{`).
fn closing(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn collection(s: &str) -> Option<Collection> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix("\\{").and_then(|x| x.strip_suffix("\\}")) {
        return Some(Collection {
            open: '{',
            close: '}',
            items: split_top(inner, ","),
        });
    }
    let first = s.chars().next()?;
    if matches!(first, '(' | '[')
        && matches!(s.chars().last()?, ')' | ']')
        && closing(s) == Some(s.len() - 1)
    {
        // Brackets may differ ([0, 1) is an interval); (1+2)*3 fails the closing test.
        let items = split_top(&s[1..s.len() - 1], ",");
        if items.len() > 1 {
            return Some(Collection {
                open: first,
                close: s.chars().last()?,
                items,
            });
        }
    }
    let items = split_top(s, ",");
    (items.len() > 1).then(|| Collection {
        open: '{',
        close: '}',
        items,
    })
}

/// `\begin{pmatrix} a & b \\ c & d \end{pmatrix}` -> rows of cells.
fn matrix(s: &str) -> Option<Vec<Vec<String>>> {
    let s = s.trim();
    let start = s.find("\\begin{")?;
    let env_end = start + s[start..].find('}')?;
    let env = &s[start + 7..env_end];
    let body = s[env_end + 1..].strip_suffix(&format!("\\end{{{env}}}"))?;
    Some(
        body.split("\\\\")
            .map(|row| row.split('&').map(|c| c.trim().to_string()).collect())
            .filter(|r: &Vec<String>| r.iter().any(|c| !c.is_empty()))
            .collect(),
    )
}

/// Whether two already-extracted answers are the same.
pub fn answers_equal(gold: &str, pred: &str) -> bool {
    let (g, p) = (normalize(gold), normalize(pred));
    if g.is_empty() || p.is_empty() {
        return false;
    }
    if g.replace(' ', "") == p.replace(' ', "") {
        return true;
    }
    if let (Some(a), Some(b)) = (matrix(&g), matrix(&p)) {
        return a.len() == b.len()
            && a.iter().zip(&b).all(|(x, y)| {
                x.len() == y.len() && x.iter().zip(y).all(|(u, v)| answers_equal(u, v))
            });
    }
    match (collection(&g), collection(&p)) {
        (Some(a), Some(b)) => {
            if a.items.len() != b.items.len() || (a.open, a.close) != (b.open, b.close) {
                return false;
            }
            if a.open == '{' {
                // Sets: every gold item matched by a distinct predicted item.
                let mut used = vec![false; b.items.len()];
                a.items.iter().all(|x| {
                    let hit = b
                        .items
                        .iter()
                        .enumerate()
                        .position(|(j, y)| !used[j] && answers_equal(x, y));
                    hit.map(|j| used[j] = true).is_some()
                })
            } else {
                a.items
                    .iter()
                    .zip(&b.items)
                    .all(|(x, y)| answers_equal(x, y))
            }
        }
        (None, None) => match (eval(&g), eval(&p)) {
            (Some(x), Some(y)) => x.approx_eq(y),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::answers_equal as eq;

    #[test]
    fn structures() {
        assert!(eq(r"\{1,2,3\}", r"\{3,2,1\}"));
        assert!(!eq(r"\{1,2,3\}", r"\{1,2\}"));
        assert!(eq("(1,2)", "( 1, 2 )"));
        assert!(!eq("(1,2)", "(2,1)"));
        assert!(!eq("[0,1]", "(0,1)"));
        assert!(eq("[0,1)", "[0, 1)"));
        assert!(!eq("7", "5, 7"));
        assert!(eq(
            r"\begin{pmatrix}1 & 2\\ 3 & 4\end{pmatrix}",
            r"\begin{pmatrix}1&2\\3&4\end{pmatrix}"
        ));
        assert!(!eq(
            r"\begin{pmatrix}1 & 2\\ 3 & 4\end{pmatrix}",
            r"\begin{pmatrix}1&2\\4&3\end{pmatrix}"
        ));
        assert!(eq("(1+2)*3", "9"));
    }

    #[test]
    fn numbers() {
        assert!(eq(r"\frac{1}{2}", "0.5"));
        assert!(eq("50/100", "1/2"));
        assert!(!eq("-3", "3"));
        assert!(eq("12000", r"1.2 \times 10^4"));
        assert!(eq("72", "72.0"));
        assert!(!eq("", ""));
    }
}
