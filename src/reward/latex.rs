//! Recursive-descent reading of normalised LaTeX into [`Node`]s, following the shapes
//! latex2sympy2_extended builds (its grammar is PS.g4): comma lists become sets, `(a,b)`
//! an open interval, `x = 1` an equation, `2\frac{1}{2}` a mixed number, and so on.

use super::ast::{Node, RelOp};
use super::latex_terms::{add_flat, neg, number};
use super::lexer::{lex, Tok};
use anyhow::{bail, Result};
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Nesting limit: deeper input is rejected instead of overflowing the stack.
const MAX_DEPTH: usize = 60;

/// Parses one normalised LaTeX answer (latex2sympy2's `parse`).
pub(crate) fn parse_latex(src: &str) -> Result<Node> {
    static COMMA_NUMBER: OnceLock<Regex> = OnceLock::new();
    let re = COMMA_NUMBER
        .get_or_init(|| Regex::new(r"^\s*-?\d{1,3}(,\d{3})+(\.\d+)?\s*$").expect("static regex"));
    // "1,000" would otherwise read as the set {1, 0}: numbers win, as in latex2sympy2.
    if re.is_match(src) {
        return number(&src.replace([',', ' '], ""));
    }
    let toks = lex(src)?;
    if toks.is_empty() {
        bail!("empty");
    }
    let mut p = Parser {
        t: toks,
        i: 0,
        depth: 0,
        abort: false,
        memo: HashMap::new(),
    };
    // math: set_elements_relation | set_elements | set_relation
    if let Some(n) = p.attempt(|p| {
        let lhs = p.atom_expr_list()?;
        match p.next() {
            Some(Tok::Rel(RelOp::Eq)) | Some(Tok::In) => {}
            _ => bail!("not an assignment"),
        }
        let groups = p.semicolon_elements(false)?;
        p.expect_end()?;
        Ok(Node::Rel(
            RelOp::Eq,
            Box::new(lhs),
            Box::new(elements_to_value(groups)),
        ))
    }) {
        return Ok(n);
    }
    let groups = p.semicolon_elements(true)?;
    p.expect_end()?;
    Ok(elements_to_value(groups))
}

/// latex2sympy2's `convert_elements_to_set_or_tuple`.
pub(super) fn elements_to_value(mut groups: Vec<Vec<Node>>) -> Node {
    if groups.len() == 1 {
        let g = groups.pop().unwrap_or_default();
        if g.len() == 1 {
            return g.into_iter().next().unwrap_or(Node::Undefined);
        }
        return Node::set(g);
    }
    if groups.iter().all(|g| g.len() == 1) {
        return Node::set(groups.into_iter().flatten().collect());
    }
    Node::set(groups.into_iter().map(Node::Tuple).collect())
}

/// Which production a memo entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Rule {
    Expr,
    SetAtom,
}

pub(super) struct Parser {
    pub(super) t: Vec<Tok>,
    pub(super) i: usize,
    pub(super) depth: usize,
    /// Set once the nesting limit is hit: every production then fails at once, so the
    /// backtracking alternatives unwind in linear time.
    abort: bool,
    /// Packrat memo of (rule, start) -> (result, end): without it the grammar's
    /// alternatives (interval / tuple / group for each `(`) are exponential in the nesting.
    memo: HashMap<(Rule, usize), Option<(Node, usize)>>,
}

impl Parser {
    pub(super) fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }

    pub(super) fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.t.get(self.i + k)
    }

    pub(super) fn next(&mut self) -> Option<Tok> {
        let t = self.t.get(self.i).cloned();
        self.i += 1;
        t
    }

    pub(super) fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn expect(&mut self, t: &Tok) -> Result<()> {
        if self.eat(t) {
            Ok(())
        } else {
            bail!("expected {t:?}, found {:?}", self.peek())
        }
    }

    pub(super) fn expect_end(&self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => bail!("trailing {t:?}"),
        }
    }

    /// Runs `f`, rewinding on failure (the grammar's alternatives).
    pub(super) fn attempt<T>(&mut self, f: impl FnOnce(&mut Parser) -> Result<T>) -> Option<T> {
        let (i, d) = (self.i, self.depth);
        match f(self) {
            Ok(v) => Some(v),
            Err(_) => {
                self.i = i;
                self.depth = d;
                None
            }
        }
    }

    pub(super) fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.abort = true;
        }
        if self.abort {
            bail!("nesting too deep");
        }
        Ok(())
    }

    /// Runs `f` for `rule` at the current position once; later calls replay the result.
    pub(super) fn memoized(
        &mut self,
        rule: Rule,
        f: impl FnOnce(&mut Parser) -> Result<Node>,
    ) -> Result<Node> {
        let start = self.i;
        if let Some(hit) = self.memo.get(&(rule, start)) {
            return match hit.clone() {
                Some((n, end)) => {
                    self.i = end;
                    Ok(n)
                }
                None => bail!("memoised failure"),
            };
        }
        let r = f(self);
        if !self.abort {
            let entry = r.as_ref().ok().map(|n| (n.clone(), self.i));
            self.memo.insert((rule, start), entry);
        }
        r
    }

    pub(super) fn at_separator(&self) -> bool {
        matches!(self.peek(), None | Some(Tok::Comma) | Some(Tok::Semi))
    }

    /// semicolon_elements: comma lists separated by `;`.
    pub(super) fn semicolon_elements(&mut self, allow_relation: bool) -> Result<Vec<Vec<Node>>> {
        let mut groups = vec![self.comma_elements(allow_relation)?];
        while self.eat(&Tok::Semi) {
            groups.push(self.comma_elements(allow_relation)?);
        }
        Ok(groups)
    }

    pub(super) fn comma_elements(&mut self, allow_relation: bool) -> Result<Vec<Node>> {
        let mut v = self.element(allow_relation)?;
        while self.eat(&Tok::Comma) {
            v.extend(self.element(allow_relation)?);
        }
        Ok(v)
    }

    /// element: plus_minus_expr | set_atom | relation. `a \pm b` yields two elements.
    pub(super) fn element(&mut self, allow_relation: bool) -> Result<Vec<Node>> {
        self.enter()?;
        let r = self.element_inner(allow_relation);
        self.depth -= 1;
        r
    }

    pub(super) fn element_inner(&mut self, allow_relation: bool) -> Result<Vec<Node>> {
        if self.eat(&Tok::Pm) {
            let e = self.expr()?;
            return Ok(vec![neg(e.clone()), e]);
        }
        if matches!(
            self.peek(),
            Some(
                Tok::LParen
                    | Tok::LBrack
                    | Tok::LBrace
                    | Tok::LSet
                    | Tok::SetLit(_)
                    | Tok::Cmd("boxed")
            )
        ) {
            if let Some(s) = self.attempt(|p| {
                let s = p.set_minus()?;
                if p.at_separator() {
                    Ok(s)
                } else {
                    bail!("set atom followed by more")
                }
            }) {
                return Ok(vec![s]);
            }
        }
        let start = self.i;
        if let Some(e) = self.attempt(|p| {
            let a = p.expr()?;
            p.expect(&Tok::Pm)?;
            let b = p.expr()?;
            Ok(vec![add_flat(a.clone(), neg(b.clone())), add_flat(a, b)])
        }) {
            // sympy orders {a - b, a + b}; the order is irrelevant for set comparison.
            return Ok(e);
        }
        self.i = start;
        let r = if allow_relation {
            self.relation()?
        } else {
            self.expr()?
        };
        Ok(vec![r])
    }

    /// atom_expr_list: `x` or `(x, y)` (the left side of `x = 1, 2`).
    pub(super) fn atom_expr_list(&mut self) -> Result<Node> {
        if self.eat(&Tok::LParen) {
            let mut v = vec![self.atom_expr()?];
            while self.eat(&Tok::Comma) {
                v.push(self.atom_expr()?);
            }
            self.expect(&Tok::RParen)?;
            return Ok(if v.len() == 1 {
                v.pop().unwrap_or(Node::Undefined)
            } else {
                Node::Tuple(v)
            });
        }
        self.atom_expr()
    }

    /// relation: expr (op expr)*, chained links collected in an `And`.
    pub(super) fn relation(&mut self) -> Result<Node> {
        let mut lhs = self.expr()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Rel(op)) => Some(*op),
                Some(Tok::Approx) => None,
                Some(Tok::In) | Some(Tok::NotIn) => bail!("unrecognized relation"),
                _ => return Ok(lhs),
            };
            self.i += 1;
            let rhs = self.expr()?;
            let Some(op) = op else {
                // `x \approx 2.5` means 2.5; `\pi \approx 3.14` means pi.
                lhs = if lhs.only_symbols() { rhs } else { lhs };
                continue;
            };
            lhs = match lhs {
                Node::And(mut links) => {
                    let prev = match links.last() {
                        Some(Node::Rel(_, _, r)) => (**r).clone(),
                        _ => Node::Undefined,
                    };
                    links.push(Node::Rel(op, Box::new(prev), Box::new(rhs)));
                    Node::And(links)
                }
                Node::Rel(o, l, r) => {
                    let prev = (*r).clone();
                    Node::And(vec![
                        Node::Rel(o, l, r),
                        Node::Rel(op, Box::new(prev), Box::new(rhs)),
                    ])
                }
                other => Node::Rel(op, Box::new(other), Box::new(rhs)),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::SetOp;
    use super::super::rational::Rational;
    use super::*;

    fn p(s: &str) -> Node {
        match parse_latex(s) {
            Ok(n) => n,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    fn r(n: i128, d: i128) -> Node {
        Node::Rat(Rational::new(n, d).expect("valid"))
    }

    #[test]
    fn numbers_and_thousands() {
        assert_eq!(p("1,000"), Node::int(1000));
        assert_eq!(p("0.05"), Node::Float(0.05));
        assert_eq!(p("007"), Node::int(7));
        assert_eq!(p(r"50\%"), Node::Pct(Box::new(Node::int(50))));
    }

    #[test]
    fn fractions_and_mixed_numbers() {
        assert_eq!(p(r"\frac{3}{4}"), r(3, 4));
        assert_eq!(p(r"2\frac{1}{2}"), r(5, 2));
        assert_eq!(p("2 3"), Node::int(5));
        assert_eq!(p(r"\frac{1}{0}"), Node::Undefined);
        assert_eq!(p("3:4"), r(3, 4));
    }

    #[test]
    fn sets_tuples_intervals() {
        assert!(matches!(
            p("(1,2)"),
            Node::Interval {
                lo_open: true,
                hi_open: true,
                ..
            }
        ));
        assert!(matches!(
            p("[0,1)"),
            Node::Interval {
                lo_open: false,
                hi_open: true,
                ..
            }
        ));
        assert!(matches!(p("(2,1)"), Node::Tuple(_)));
        assert!(matches!(p("(1,2,3)"), Node::Tuple(_)));
        assert!(p(r"\{3,2,1\}").same(&p("1,2,3")));
        assert!(matches!(p("{1}"), Node::Set(_)));
        assert_eq!(p(r"\emptyset"), Node::NamedSet("EmptySet"));
        assert!(matches!(
            p(r"(1,2) \cup (3,4)"),
            Node::SetExpr(SetOp::Union, ..)
        ));
        assert!(matches!(p(r"\pm 2"), Node::Set(ref v) if v.len() == 2));
    }

    #[test]
    fn relations_and_assignments() {
        assert!(matches!(p("x = 5"), Node::Rel(RelOp::Eq, ..)));
        assert!(
            matches!(p("x = 1, 2"), Node::Rel(RelOp::Eq, _, ref r) if matches!(**r, Node::Set(_)))
        );
        assert!(matches!(p("a=1,b=2"), Node::Set(ref v) if v.len() == 2));
        assert!(matches!(p("1 < x < 2"), Node::And(ref v) if v.len() == 2));
        assert_eq!(p(r"x \approx 2"), Node::int(2));
    }

    #[test]
    fn functions_and_products() {
        assert!(matches!(p("f(x)"), Node::Func(ref n, _) if n == "f"));
        assert!(matches!(p("x(x+1)"), Node::Mul(_)));
        assert!(matches!(p(r"\sin x \cos x"), Node::Mul(ref v) if v.len() == 2));
        assert_eq!(p(r"\sqrt{4}").exact(), Some(Rational::int(2)));
        assert_eq!(p(r"\binom{5}{2}").value(), Some(10.0));
        assert_eq!(p(r"90^\circ"), Node::int(90));
        assert_eq!(p(r"2 \pi"), Node::Mul(vec![Node::int(2), Node::Pi]));
    }

    #[test]
    fn matrices() {
        let m = p(r"\begin{pmatrix}1&2\\3&4\end{pmatrix}");
        assert_eq!(
            m,
            Node::Matrix(vec![
                vec![Node::int(1), Node::int(2)],
                vec![Node::int(3), Node::int(4)]
            ])
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for s in [
            "",
            "(",
            "\\frac{1}",
            "1 +",
            "{{{{",
            "x = ",
            "\\sqrt[",
            "|x",
            "\\begin{pmatrix}1&2\\\\3\\end{pmatrix}",
        ] {
            assert!(parse_latex(s).is_err(), "{s}");
        }
        let deep = "(".repeat(500) + "1" + ")".repeat(500).as_str();
        assert!(parse_latex(&deep).is_err());
    }
}
