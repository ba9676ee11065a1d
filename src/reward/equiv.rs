//! Equivalence of two parsed answers: a port of math-verify's `sympy_expr_eq` and helpers
//! (`grader.py`), with sympy's `simplify` replaced by exact rational evaluation, numeric
//! evaluation, and evaluation at sample points for expressions with free symbols.

use super::ast::{Node, RelOp};
use super::sets::{compare_sets, relation_as_set};

/// math-verify's default `float_rounding`: decimals kept when either side is a float.
const FLOAT_ROUNDING: i32 = 6;
/// Relative tolerance standing in for `evalf(15, chop=True) == 0` and `simplify(a-b) == 0`.
const REL_TOL: f64 = 1e-12;
/// Looser tolerance for sample-point evaluation, where rounding error accumulates.
const SAMPLE_TOL: f64 = 1e-9;

/// `sympy_expr_eq(gold, pred)` with math-verify's defaults (strict, no set-relation swap).
pub(crate) fn expr_eq(gold: &Node, pred: &Node) -> bool {
    let gold_assign = gold.is_assignment();
    let pred_assign = pred.is_assignment();
    let gold_eq = gold.is_equation();
    let pred_eq = pred.is_equation();
    let mut g = if gold_assign {
        truncate_chain(gold)
    } else {
        gold.clone()
    };
    let mut p = if pred_assign {
        truncate_chain(pred)
    } else {
        pred.clone()
    };

    // Follow the gold's format: "x = 5" is graded against "5" by its right side, but a
    // gold equation such as "2x + z = 1" is never reduced to a bare value.
    if pred_eq && !gold_eq {
        p = rhs(p.last_rel());
    } else if gold_assign && !pred_eq {
        g = rhs(g.last_rel());
    }
    if g.is_relation() && is_sympy_set(&p) {
        if let Some(s) = relation_as_set(&g) {
            g = s;
        }
    }
    // sympy_str_eq raises on nan/zoo, which ends the comparison as unequal.
    if matches!(g, Node::Undefined) || matches!(p, Node::Undefined) {
        return false;
    }
    if g.same(&p) {
        return true;
    }
    if g.is_relation() && p.is_relation() {
        return compare_relational(&g, &p);
    }
    if g.is_relation() || p.is_relation() {
        return false;
    }
    if g.is_setlike() || p.is_setlike() {
        return compare_sets(&g, &p);
    }
    if matches!(g, Node::Sym(_)) || matches!(p, Node::Sym(_)) {
        return compare_symbols(&g, &p);
    }
    numeric_eq(&g, &p) || symbolic_eq(&g, &p)
}

/// `Eq(first.lhs, last.rhs)` for an assignment chain like `x = 2 + 3 = 5`.
fn truncate_chain(n: &Node) -> Node {
    match (n.first_rel(), n.last_rel()) {
        (Node::Rel(_, l, _), Node::Rel(_, _, r)) => Node::Rel(RelOp::Eq, l.clone(), r.clone()),
        _ => n.clone(),
    }
}

pub(super) fn rhs(n: &Node) -> Node {
    match n {
        Node::Rel(_, _, r) => (**r).clone(),
        other => other.clone(),
    }
}

/// sympy `Set` (tuples are not sets).
fn is_sympy_set(n: &Node) -> bool {
    matches!(
        n,
        Node::Set(_) | Node::Interval { .. } | Node::SetExpr(..) | Node::NamedSet(_)
    )
}

/// `a - b` as an unevaluated node; `None` where sympy would raise (sets, relations).
fn sub(a: &Node, b: &Node) -> Option<Node> {
    let bad =
        |n: &Node| n.is_setlike() || n.is_relation() || matches!(n, Node::Matrix(_) | Node::And(_));
    if bad(a) || bad(b) {
        return None;
    }
    Some(Node::Add(vec![
        a.clone(),
        Node::Mul(vec![Node::int(-1), b.clone()]),
    ]))
}

/// `sympy_compare_relational`: same relation on `lhs - rhs`, or the flipped relation.
fn compare_relational(g: &Node, p: &Node) -> bool {
    match (g, p) {
        (Node::And(gs), Node::And(ps)) => {
            return gs.len() == ps.len()
                && gs.iter().zip(ps).all(|(a, b)| compare_relational(a, b));
        }
        (Node::Rel(..), Node::Rel(..)) => {}
        _ => return false,
    }
    let (Node::Rel(gop, gl, gr), Node::Rel(pop, pl, pr)) = (g, p) else {
        return false;
    };
    let same_diff = || -> Option<bool> { Some(expr_eq(&sub(gl, gr)?, &sub(pl, pr)?)) };
    if gop == pop && same_diff() == Some(true) {
        return true;
    }
    // math-verify looks up the inverse relation without a guard: `!=` raises there.
    let Some(inv) = gop.flipped() else {
        return false;
    };
    if inv == *pop {
        if let (Some(a), Some(b)) = (sub(gl, gr), sub(pr, pl)) {
            if expr_eq(&a, &b) {
                return true;
            }
        }
    }
    // math-verify also tries `solve` on both sides; its result lists do not compare for
    // the common single-variable cases (x=2 vs 2x=4 is False there), so it is left out.
    false
}

/// `sympy_compare_symbols`: `e` vs E, `\text{abc}` vs `abc` (a*b*c), names case-folded
/// when longer than one letter.
fn compare_symbols(g: &Node, p: &Node) -> bool {
    let is_e_sym = |n: &Node| matches!(n, Node::Sym(s) if s.to_lowercase() == "e");
    if (is_e_sym(g) && *p == Node::E) || (is_e_sym(p) && *g == Node::E) {
        return true;
    }
    let concat = |n: &Node| -> Option<String> {
        let Node::Mul(v) = n else { return None };
        v.iter()
            .map(|x| match x {
                Node::Sym(s) => Some(s.clone()),
                Node::E => Some("e".to_string()),
                _ => None,
            })
            .collect()
    };
    if let (Node::Sym(s), Some(c)) = (g, concat(p)) {
        return s.to_lowercase() == c.to_lowercase();
    }
    if let (Some(c), Node::Sym(s)) = (concat(g), p) {
        return s.to_lowercase() == c.to_lowercase();
    }
    if let (Node::Sym(a), Node::Sym(b)) = (g, p) {
        let fold = |s: &str| {
            if s.chars().count() > 1 {
                s.to_lowercase()
            } else {
                s.to_string()
            }
        };
        return fold(a) == fold(b);
    }
    // `str(gold) == str(pred)`: `\text{10}` is the symbol "10", which prints like 10.
    matches!((sympy_str(g), sympy_str(p)), (Some(a), Some(b)) if a == b)
}

/// sympy's `str()` for atoms (enough for the symbol fallback above).
fn sympy_str(n: &Node) -> Option<String> {
    Some(match n {
        Node::Rat(r) => r.to_string(),
        Node::Sym(s) => s.clone(),
        Node::Pi => "pi".into(),
        Node::E => "E".into(),
        Node::Inf(neg) => if *neg { "-oo" } else { "oo" }.into(),
        Node::Float(f) => format_sympy_float(*f)?,
        _ => return None,
    })
}

/// A float as sympy prints it at 15 significant digits, e.g. `2.50000000000000`.
fn format_sympy_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some("0".into());
    }
    let exp = f.abs().log10().floor() as i32;
    if !(-5..15).contains(&exp) {
        return None;
    }
    let decimals = usize::try_from(14 - exp).ok()?;
    Some(format!("{f:.decimals$}"))
}

/// `sympy_numeric_eq`: float answers are rounded to 6 decimals, integers and percentages
/// of integers compare by value ("9% == 9"), other numbers exactly.
fn numeric_eq(a: &Node, b: &Node) -> bool {
    if let (Node::Matrix(ra), Node::Matrix(rb)) = (a, b) {
        let shape = |r: &Vec<Vec<Node>>| (r.len(), r.first().map_or(0, Vec::len));
        return shape(ra) == shape(rb)
            && ra
                .iter()
                .flatten()
                .zip(rb.iter().flatten())
                .all(|(x, y)| numeric_eq(x, y));
    }
    if a.is_number_or_pct() || b.is_number_or_pct() {
        if a.is_float_or_pct() || b.is_float_or_pct() {
            return match (a.value(), b.value()) {
                (Some(x), Some(y)) => round_eq(x, y),
                _ => false,
            };
        }
        if let (Some(x), Some(y)) = (a.int_or_pct_int(), b.int_or_pct_int()) {
            return x == y;
        }
        return matches!((a.exact(), b.exact()), (Some(x), Some(y)) if x == y);
    }
    match (a.value(), b.value()) {
        (Some(x), Some(y)) => close(x, y, REL_TOL),
        _ => false,
    }
}

fn round_eq(x: f64, y: f64) -> bool {
    if !x.is_finite() || !y.is_finite() {
        return x == y;
    }
    let s = 10f64.powi(FLOAT_ROUNDING);
    (x * s).round_ties_even() == (y * s).round_ties_even()
}

fn close(x: f64, y: f64, tol: f64) -> bool {
    if !x.is_finite() || !y.is_finite() {
        return x == y;
    }
    (x - y).abs() <= tol * 1f64.max(x.abs()).max(y.abs())
}

/// `simplify(a - b).is_zero`, decided by exact arithmetic where possible, else by
/// numeric evaluation (at several points when free symbols are present).
fn symbolic_eq(a: &Node, b: &Node) -> bool {
    if let (Node::Matrix(ra), Node::Matrix(rb)) = (a, b) {
        return ra.len() == rb.len()
            && ra.iter().zip(rb).all(|(x, y)| {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| symbolic_eq(p, q))
            });
    }
    if matches!(a, Node::Matrix(_)) || matches!(b, Node::Matrix(_)) {
        return false;
    }
    if let (Some(x), Some(y)) = (a.exact(), b.exact()) {
        return x == y;
    }
    let mut syms = a.symbols();
    syms.extend(b.symbols());
    syms.sort();
    syms.dedup();
    if syms.is_empty() {
        return match (a.value(), b.value()) {
            (Some(x), Some(y)) => close(x, y, REL_TOL),
            _ => false,
        };
    }
    if syms.iter().any(|s| s.ends_with("()")) {
        // Undefined functions cannot be evaluated; structural equality already failed.
        return false;
    }
    sample_eq(a, b, &syms)
}

/// Compares at fixed pseudo-random real points; points where either side is undefined
/// (e.g. a square root of a negative) are skipped, and at least two must remain.
fn sample_eq(a: &Node, b: &Node, syms: &[String]) -> bool {
    const BASE: [f64; 7] = [0.5813, 1.3297, -0.8721, 2.2437, -1.4398, 0.3377, 1.6654];
    let mut valid = 0;
    for k in 0..6usize {
        let env = |name: &str| -> Option<f64> {
            let j = syms.iter().position(|s| s == name)?;
            Some(BASE[(j * 3 + k) % BASE.len()] + 0.137 * k as f64)
        };
        match (a.eval(&env), b.eval(&env)) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                if !close(x, y, SAMPLE_TOL) {
                    return false;
                }
                valid += 1;
            }
            _ => {}
        }
    }
    valid >= 2
}

#[cfg(test)]
mod tests {
    use super::super::latex::parse_latex;
    use super::*;

    fn eq(g: &str, p: &str) -> bool {
        match (parse_latex(g), parse_latex(p)) {
            (Ok(a), Ok(b)) => expr_eq(&a, &b),
            _ => panic!("parse failed: {g} / {p}"),
        }
    }

    #[test]
    fn fraction_decimal_and_float_rounding() {
        assert!(eq(r"\frac{1}{3}", "0.333333"));
        assert!(!eq(r"\frac{1}{3}", "0.33"));
        assert!(eq(r"\pi", "3.14159265"));
        assert!(eq("12000", r"1.2 \times 10^4"));
    }

    #[test]
    fn percent_rules() {
        assert!(eq(r"50\%", "50"));
        assert!(eq(r"50\%", r"\frac{1}{2}"));
        assert!(!eq(r"50\%", "0.05"));
    }

    #[test]
    fn equations_follow_the_gold() {
        assert!(eq("5", "x = 5"));
        assert!(eq("x = 5", "5"));
        assert!(!eq("x = 5", "y = 5"));
        assert!(eq("x = 5", "5 = x"));
        assert!(!eq("2x + z = 1", "1"));
        assert!(!eq("x = 2", "2x = 4"));
        assert!(eq("x = 2 + 3 = 5", "5"));
    }

    #[test]
    fn sets_intervals_tuples() {
        assert!(eq(r"\{1,2,3\}", r"\{3,2,1\}"));
        assert!(!eq("[0,1]", "(0,1)"));
        assert!(eq("(1,2)", "1,2"));
        assert!(eq("1 < x < 2", "(1,2)"));
        assert!(!eq("(1,2,3)", "(3,2,1)"));
        assert!(eq(r"\{1, \frac{1}{2}\}", r"\{0.5, 1\}"));
        assert!(!eq("7", "5,7"));
    }

    #[test]
    fn symbolic_identities() {
        assert!(eq(r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}"));
        assert!(eq("x^2 + 2x + 1", "(x+1)^2"));
        assert!(!eq("x^2", "x"));
        assert!(eq(r"\sqrt{12}", r"2\sqrt{3}"));
        assert!(!eq(r"\sqrt{2}", "1.41"));
    }

    #[test]
    fn symbols_and_text() {
        assert!(eq(r"\text{Monday}", "monday"));
        assert!(eq(r"\text{abc}", "abc"));
        assert!(eq("E", "e"));
        assert!(!eq("x", "y"));
    }

    #[test]
    fn matrices_and_undefined() {
        assert!(eq(
            r"\begin{pmatrix}1\\2\end{pmatrix}",
            r"\begin{pmatrix}1\\2\end{pmatrix}"
        ));
        assert!(!eq(
            r"\begin{pmatrix}1\\2\end{pmatrix}",
            r"\begin{pmatrix}2\\1\end{pmatrix}"
        ));
        assert!(!eq(r"\frac{1}{0}", r"\frac{1}{0}"));
    }
}
