//! Set-valued comparisons of math-verify's grader: finite sets and tuples element-wise,
//! intervals by bracket type, `(a, b)` against `{a, b}`, and one-variable relations read as
//! the set they describe (`1 < x < 2` is the interval (1, 2)).

use super::ast::{Node, RelOp};
use super::equiv::{expr_eq, rhs};
use std::cmp::Ordering;

/// `Relational.as_set()` for one-variable bounds (`x > 1`, `1 < x <= 2`, `x = 3`).
pub(super) fn relation_as_set(g: &Node) -> Option<Node> {
    let links: Vec<&Node> = match g {
        Node::And(v) => v.iter().collect(),
        n => vec![n],
    };
    let mut var: Option<String> = None;
    let mut lo: (Node, bool) = (Node::Inf(true), true);
    let mut hi: (Node, bool) = (Node::Inf(false), true);
    let mut point: Option<Node> = None;
    for link in links {
        let Node::Rel(op, l, r) = link else {
            return None;
        };
        // Normalise to "x op bound".
        let (name, op, bound) = match (&**l, &**r) {
            (Node::Sym(s), b) if b.value().is_some() => (s.clone(), *op, b.clone()),
            (b, Node::Sym(s)) if b.value().is_some() => (s.clone(), op.flipped()?, b.clone()),
            _ => return None,
        };
        if var.as_ref().is_some_and(|v| *v != name) {
            return None;
        }
        var = Some(name);
        let bv = bound.value()?;
        match op {
            RelOp::Lt | RelOp::Le => {
                if bv < hi.0.value()? || (bv == hi.0.value()? && op == RelOp::Lt) {
                    hi = (bound, op == RelOp::Lt);
                }
            }
            RelOp::Gt | RelOp::Ge => {
                if bv > lo.0.value()? || (bv == lo.0.value()? && op == RelOp::Gt) {
                    lo = (bound, op == RelOp::Gt);
                }
            }
            RelOp::Eq => point = Some(bound),
            RelOp::Ne => return None,
        }
    }
    if let Some(pt) = point {
        return Some(Node::Set(vec![pt]));
    }
    Some(Node::Interval {
        lo: Box::new(lo.0),
        hi: Box::new(hi.0),
        lo_open: lo.1,
        hi_open: hi.1,
    })
}

/// `sympy_compare_sets`: intervals by bracket type and endpoints, finite sets element-wise.
pub(super) fn compare_sets(g: &Node, p: &Node) -> bool {
    let wrap = |n: &Node| -> Node {
        if n.is_setlike() {
            n.clone()
        } else {
            // sympy's own FiniteSet (not latex2sympy2's): sorted in comparisons.
            Node::Set(vec![n.clone()])
        }
    };
    let (a, b) = (wrap(g), wrap(p));
    if let (
        Node::Interval {
            lo: al,
            hi: ah,
            lo_open: alo,
            hi_open: aho,
        },
        Node::Interval {
            lo: bl,
            hi: bh,
            lo_open: blo,
            hi_open: bho,
        },
    ) = (&a, &b)
    {
        return alo == blo && aho == bho && expr_eq(al, bl) && expr_eq(ah, bh);
    }
    if a.same(&b) {
        return true;
    }
    let finite = |n: &Node| matches!(n, Node::Set(_) | Node::Tuple(_));
    if finite(&a) && finite(&b) {
        return deep_compare(&a, &b);
    }
    let open_pair = |n: &Node| match n {
        Node::Interval {
            lo,
            hi,
            lo_open: true,
            hi_open: true,
        } => Some(Node::Tuple(vec![(**lo).clone(), (**hi).clone()])),
        _ => None,
    };
    let len2 = |n: &Node| matches!(n, Node::Set(v) | Node::Tuple(v) if v.len() == 2);
    // "(1,2)" reads as an open interval; a prediction "1,2" is a set of two numbers.
    if let Some(t) = open_pair(&a) {
        if len2(&b) {
            return deep_compare(&t, &b);
        }
    }
    if let Some(t) = open_pair(&b) {
        if len2(&a) {
            return deep_compare(&a, &t);
        }
    }
    false
}

/// `sympy_deep_compare_set_and_tuple`: equal length, then element-wise in sorted order when
/// the gold is a set, in written order when the gold is a tuple.
fn deep_compare(g: &Node, p: &Node) -> bool {
    let (Node::Set(ga) | Node::Tuple(ga)) = g else {
        return false;
    };
    let (Node::Set(pa) | Node::Tuple(pa)) = p else {
        return false;
    };
    if ga.len() != pa.len() {
        return false;
    }
    let (mut ga, mut pa): (Vec<&Node>, Vec<&Node>) = (ga.iter().collect(), pa.iter().collect());
    if matches!(g, Node::Set(_)) {
        ga.sort_by(|a, b| sort_key_cmp(a, b));
        pa.sort_by(|a, b| sort_key_cmp(a, b));
    }
    ga.iter().zip(&pa).all(|(a, b)| expr_eq(a, b))
}

/// Stand-in for `default_sort_key(unwrap_eq(x).evalf())`: numbers by value first.
fn sort_key_cmp(a: &Node, b: &Node) -> Ordering {
    let key = |n: &Node| -> (u8, f64, String) {
        let n = if n.is_assignment() {
            rhs(n.last_rel())
        } else {
            n.clone()
        };
        match n.value() {
            Some(v) => (0, v, String::new()),
            None => (1, 0.0, format!("{n:?}")),
        }
    };
    let (ka, kb) = (key(a), key(b));
    ka.0.cmp(&kb.0)
        .then(ka.1.partial_cmp(&kb.1).unwrap_or(Ordering::Equal))
        .then_with(|| ka.2.cmp(&kb.2))
}
