//! The parsed form of an answer: a small expression tree standing in for the sympy objects
//! math-verify compares, plus exact and floating evaluation of it.

use super::rational::Rational;

/// Relation operators, as latex2sympy2 builds them (`Eq`, `Ne`, `Lt`, `Le`, `Gt`, `Ge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl RelOp {
    /// The relation with its sides swapped (`a < b` is `b > a`); `None` where math-verify
    /// has no inverse (it raises, which ends that comparison as unequal).
    pub(crate) fn flipped(self) -> Option<RelOp> {
        match self {
            RelOp::Eq => Some(RelOp::Eq),
            RelOp::Lt => Some(RelOp::Gt),
            RelOp::Gt => Some(RelOp::Lt),
            RelOp::Le => Some(RelOp::Ge),
            RelOp::Ge => Some(RelOp::Le),
            RelOp::Ne => None,
        }
    }
}

/// Set operators between set-valued nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    Union,
    Intersection,
    Complement,
}

/// One parsed answer. Arithmetic stays unevaluated, like sympy's `evaluate=False`, because
/// the comparison rules look at the shape (is it an atomic float? a percentage?).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Exact integer or fraction (sympy `Integer` / `Rational`).
    Rat(Rational),
    /// A decimal literal (sympy `Float`).
    Float(f64),
    /// `oo` (false) or `-oo` (true).
    Inf(bool),
    Pi,
    E,
    /// A free symbol, lowercased as latex2sympy2 does by default.
    Sym(String),
    Add(Vec<Node>),
    Mul(Vec<Node>),
    Pow(Box<Node>, Box<Node>),
    /// `x%`, i.e. `x * UnevaluatedExpr(1/100)`.
    Pct(Box<Node>),
    /// A function application; unknown names are opaque (compared structurally).
    Func(String, Vec<Node>),
    /// Division by zero and friends (sympy `zoo`/`nan`): equal to nothing.
    Undefined,
    Rel(RelOp, Box<Node>, Box<Node>),
    /// A chain such as `1 < x < 2`, one `Rel` per link.
    And(Vec<Node>),
    /// A finite set; duplicates removed, written order kept (latex2sympy2's `_unsorted_args`).
    Set(Vec<Node>),
    Tuple(Vec<Node>),
    Interval {
        lo: Box<Node>,
        hi: Box<Node>,
        lo_open: bool,
        hi_open: bool,
    },
    Matrix(Vec<Vec<Node>>),
    SetExpr(SetOp, Box<Node>, Box<Node>),
    /// `\mathbb{R}`, `\emptyset`, ...
    NamedSet(&'static str),
}

impl Node {
    /// An integer node.
    pub(crate) fn int(n: i128) -> Node {
        Node::Rat(Rational::int(n))
    }

    /// Builds a finite set, dropping structural duplicates as sympy's `FiniteSet` does.
    pub(crate) fn set(items: Vec<Node>) -> Node {
        let mut out: Vec<Node> = Vec::with_capacity(items.len());
        for it in items {
            if !out.iter().any(|o| o.same(&it)) {
                out.push(it);
            }
        }
        Node::Set(out)
    }

    /// Structural equality (sympy `==`): like `PartialEq`, but sets ignore order.
    pub(crate) fn same(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::Set(a), Node::Set(b)) => {
                a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.same(y)))
            }
            (Node::Tuple(a), Node::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Node::Undefined, _) | (_, Node::Undefined) => false,
            _ => self == other,
        }
    }

    /// Whether this is a number literal (sympy `Number`: Integer, Rational, Float, oo).
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Node::Rat(_) | Node::Float(_) | Node::Inf(_))
    }

    /// `is_atomic_or_pct_atomic(self, Number)`.
    pub(crate) fn is_number_or_pct(&self) -> bool {
        match self {
            Node::Pct(x) => x.is_number(),
            x => x.is_number(),
        }
    }

    /// `is_atomic_or_pct_atomic(self, Float)`.
    pub(crate) fn is_float_or_pct(&self) -> bool {
        matches!(self, Node::Float(_))
            || matches!(self, Node::Pct(x) if matches!(**x, Node::Float(_)))
    }

    /// The integer inside `n` or `n%` (for math-verify's "9% == 9" rule), if it is one.
    pub(crate) fn int_or_pct_int(&self) -> Option<Rational> {
        match self {
            Node::Rat(r) if r.is_integer() => Some(*r),
            Node::Pct(x) => match **x {
                Node::Rat(r) if r.is_integer() => Some(r),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn is_relation(&self) -> bool {
        match self {
            Node::Rel(..) => true,
            Node::And(v) => !v.is_empty() && v.iter().all(|r| matches!(r, Node::Rel(..))),
            _ => false,
        }
    }

    pub(crate) fn is_equation(&self) -> bool {
        match self {
            Node::Rel(RelOp::Eq, ..) => true,
            Node::And(v) => {
                !v.is_empty() && v.iter().all(|r| matches!(r, Node::Rel(RelOp::Eq, ..)))
            }
            _ => false,
        }
    }

    /// A left side made only of symbols (`x`, `xy`, `a/b`): math-verify's assignment test.
    pub(crate) fn only_symbols(&self) -> bool {
        match self {
            Node::Sym(_) => true,
            Node::Mul(v) | Node::Tuple(v) => !v.is_empty() && v.iter().all(Node::only_symbols),
            Node::Pow(b, e) => **e == Node::int(-1) && b.only_symbols(),
            _ => false,
        }
    }

    pub(crate) fn is_assignment(&self) -> bool {
        match self {
            Node::Rel(RelOp::Eq, l, _) => l.only_symbols(),
            Node::And(v) => {
                self.is_equation()
                    && matches!(v.first(), Some(Node::Rel(_, l, _)) if l.only_symbols())
            }
            _ => false,
        }
    }

    /// First link of a relation chain (the node itself when it is not a chain).
    pub(crate) fn first_rel(&self) -> &Node {
        match self {
            Node::And(v) => v.first().map(Node::first_rel).unwrap_or(self),
            _ => self,
        }
    }

    /// Last link of a relation chain.
    pub(crate) fn last_rel(&self) -> &Node {
        match self {
            Node::And(v) => v.last().map(Node::last_rel).unwrap_or(self),
            _ => self,
        }
    }

    pub(crate) fn is_setlike(&self) -> bool {
        matches!(
            self,
            Node::Set(_)
                | Node::Tuple(_)
                | Node::Interval { .. }
                | Node::SetExpr(..)
                | Node::NamedSet(_)
        )
    }

    fn children(&self) -> Vec<&Node> {
        match self {
            Node::Add(v)
            | Node::Mul(v)
            | Node::Func(_, v)
            | Node::And(v)
            | Node::Set(v)
            | Node::Tuple(v) => v.iter().collect(),
            Node::Pow(a, b) | Node::Rel(_, a, b) | Node::SetExpr(_, a, b) => vec![a, b],
            Node::Interval { lo, hi, .. } => vec![lo, hi],
            Node::Pct(x) => vec![x],
            Node::Matrix(rows) => rows.iter().flatten().collect(),
            _ => Vec::new(),
        }
    }

    /// Free symbol names, sorted and deduplicated; an unknown function `f` shows as `f()`.
    pub(crate) fn symbols(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_symbols(&mut out);
        out.sort();
        out.dedup();
        out
    }

    fn collect_symbols(&self, out: &mut Vec<String>) {
        match self {
            Node::Sym(s) => out.push(s.clone()),
            Node::Func(name, args) if !is_known_func(name) => {
                out.push(format!("{name}()"));
                args.iter().for_each(|a| a.collect_symbols(out));
            }
            _ => self.children().iter().for_each(|c| c.collect_symbols(out)),
        }
    }

    /// Exact value when the node is rational arithmetic (sympy `doit()` to a Rational).
    pub(crate) fn exact(&self) -> Option<Rational> {
        match self {
            Node::Rat(r) => Some(*r),
            Node::Add(v) => v
                .iter()
                .try_fold(Rational::int(0), |acc, x| acc.checked_add(x.exact()?)),
            Node::Mul(v) => v
                .iter()
                .try_fold(Rational::int(1), |acc, x| acc.checked_mul(x.exact()?)),
            Node::Pct(x) => x.exact()?.checked_div(Rational::int(100)),
            Node::Pow(b, e) => {
                let (b, e) = (b.exact()?, e.exact()?);
                if e.is_integer() {
                    b.powi(i64::try_from(e.numer()).ok()?)
                } else {
                    // b^(p/q) is exact only when b has an exact q-th root.
                    let q = u32::try_from(e.denom()).ok()?;
                    b.root(q)?.powi(i64::try_from(e.numer()).ok()?)
                }
            }
            Node::Func(name, args) => {
                let xs: Vec<Rational> = args.iter().map(Node::exact).collect::<Option<_>>()?;
                match (name.as_str(), xs.as_slice()) {
                    ("abs", [x]) => Some(if x.numer() < 0 { x.checked_neg()? } else { *x }),
                    ("floor", [x]) => Some(Rational::int(x.numer().div_euclid(x.denom()))),
                    ("ceil", [x]) => Some(Rational::int(-((-x.numer()).div_euclid(x.denom())))),
                    ("factorial", [x]) => factorial(*x),
                    ("binomial", [n, k]) => binomial(*n, *k),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Real floating value with `env` giving symbol values; `None` where undefined.
    pub(crate) fn eval(&self, env: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        if let Some(r) = self.exact() {
            return Some(r.to_f64());
        }
        let v = match self {
            Node::Float(f) => *f,
            Node::Inf(neg) => {
                if *neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            Node::Pi => std::f64::consts::PI,
            Node::E => std::f64::consts::E,
            Node::Sym(s) => env(s)?,
            Node::Add(v) => v.iter().map(|x| x.eval(env)).sum::<Option<f64>>()?,
            Node::Mul(v) => v.iter().map(|x| x.eval(env)).product::<Option<f64>>()?,
            Node::Pow(b, e) => {
                if let (Some(be), Some(ee)) = (b.exact(), e.exact()) {
                    // Odd roots of negatives are real (sympy's real cube root); powf says NaN.
                    if be.numer() < 0 && !ee.is_integer() && ee.denom() % 2 == 1 {
                        let mag = (-be.to_f64()).powf(ee.to_f64());
                        return Some(if ee.numer() % 2 == 0 { mag } else { -mag });
                    }
                }
                b.eval(env)?.powf(e.eval(env)?)
            }
            Node::Pct(x) => x.eval(env)? / 100.0,
            Node::Func(name, args) => eval_func(name, args, env)?,
            _ => return None,
        };
        if v.is_nan() {
            None
        } else {
            Some(v)
        }
    }

    /// Value without free symbols.
    pub(crate) fn value(&self) -> Option<f64> {
        self.eval(&|_| None)
    }
}

fn factorial(x: Rational) -> Option<Rational> {
    if !x.is_integer() || x.numer() < 0 || x.numer() > 33 {
        return None;
    }
    (1..=x.numer()).try_fold(Rational::int(1), |acc, k| acc.checked_mul(Rational::int(k)))
}

fn binomial(n: Rational, k: Rational) -> Option<Rational> {
    if !n.is_integer() || !k.is_integer() || k.numer() < 0 || k.numer() > 200 {
        return None;
    }
    (0..k.numer()).try_fold(Rational::int(1), |acc, i| {
        acc.checked_mul(Rational::int(n.numer().checked_sub(i)?))?
            .checked_div(Rational::int(i + 1))
    })
}

/// Functions with a known numeric meaning; any other name is an opaque undefined function.
pub(crate) fn is_known_func(name: &str) -> bool {
    matches!(
        name,
        "sin"
            | "cos"
            | "tan"
            | "csc"
            | "sec"
            | "cot"
            | "asin"
            | "acos"
            | "atan"
            | "acsc"
            | "asec"
            | "acot"
            | "sinh"
            | "cosh"
            | "tanh"
            | "asinh"
            | "acosh"
            | "atanh"
            | "log"
            | "exp"
            | "abs"
            | "floor"
            | "ceil"
            | "factorial"
            | "binomial"
            | "max"
            | "min"
            | "mod"
    )
}

fn eval_func(name: &str, args: &[Node], env: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    let vals: Vec<f64> = args.iter().map(|a| a.eval(env)).collect::<Option<_>>()?;
    let x = *vals.first()?;
    let y = vals.get(1).copied().unwrap_or(f64::NAN);
    Some(match (name, vals.len()) {
        ("sin", 1) => x.sin(),
        ("cos", 1) => x.cos(),
        ("tan", 1) => x.tan(),
        ("csc", 1) => 1.0 / x.sin(),
        ("sec", 1) => 1.0 / x.cos(),
        ("cot", 1) => 1.0 / x.tan(),
        ("asin", 1) => x.asin(),
        ("acos", 1) => x.acos(),
        ("atan", 1) => x.atan(),
        ("acsc", 1) => (1.0 / x).asin(),
        ("asec", 1) => (1.0 / x).acos(),
        ("acot", 1) => (1.0 / x).atan(),
        ("sinh", 1) => x.sinh(),
        ("cosh", 1) => x.cosh(),
        ("tanh", 1) => x.tanh(),
        ("asinh", 1) => x.asinh(),
        ("acosh", 1) => x.acosh(),
        ("atanh", 1) => x.atanh(),
        ("exp", 1) => x.exp(),
        ("log", 2) => x.ln() / y.ln(),
        ("abs", 1) => x.abs(),
        ("floor", 1) => x.floor(),
        ("ceil", 1) => x.ceil(),
        ("mod", 2) => x.rem_euclid(y),
        ("factorial", 1) if x >= 0.0 && x.fract() == 0.0 && x <= 170.0 => {
            (1..=(x as u32)).map(f64::from).product()
        }
        ("binomial", 2) if y.fract() == 0.0 && (0.0..=1000.0).contains(&y) => (0..(y as u32))
            .map(|i| (x - f64::from(i)) / (f64::from(i) + 1.0))
            .product(),
        ("max", _) => vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ("min", _) => vals.iter().copied().fold(f64::INFINITY, f64::min),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rat(n: i128, d: i128) -> Node {
        Node::Rat(Rational::new(n, d).expect("valid"))
    }

    #[test]
    fn exact_evaluation_of_unevaluated_arithmetic() {
        // 50% is 1/2 exactly; 1.2 is a float so the product is not exact.
        assert_eq!(
            Node::Pct(Box::new(Node::int(50))).exact(),
            Rational::new(1, 2)
        );
        let p = Node::Pow(Box::new(Node::int(4)), Box::new(rat(1, 2)));
        assert_eq!(p.exact(), Some(Rational::int(2)));
        let f = Node::Mul(vec![Node::Float(1.2), Node::int(10)]);
        assert_eq!(f.exact(), None);
        assert!((f.value().unwrap_or(0.0) - 12.0).abs() < 1e-12);
        let b = Node::Func("binomial".into(), vec![Node::int(5), Node::int(2)]);
        assert_eq!(b.exact(), Some(Rational::int(10)));
    }

    #[test]
    fn cube_root_of_negative_is_real() {
        let p = Node::Pow(Box::new(Node::int(-8)), Box::new(rat(1, 3)));
        assert_eq!(p.value(), Some(-2.0));
        let sq = Node::Pow(Box::new(Node::int(-4)), Box::new(rat(1, 2)));
        assert_eq!(sq.value(), None);
    }

    #[test]
    fn sets_compare_unordered_and_dedup() {
        let a = Node::set(vec![Node::int(1), Node::int(2), Node::int(1)]);
        let b = Node::set(vec![Node::int(2), Node::int(1)]);
        assert!(a.same(&b));
        let t12 = Node::Tuple(vec![Node::int(1), Node::int(2)]);
        let t21 = Node::Tuple(vec![Node::int(2), Node::int(1)]);
        assert!(!t12.same(&t21));
    }

    #[test]
    fn assignment_detection() {
        let eq = Node::Rel(
            RelOp::Eq,
            Box::new(Node::Sym("x".into())),
            Box::new(Node::int(5)),
        );
        assert!(eq.is_assignment());
        let eq2 = Node::Rel(
            RelOp::Eq,
            Box::new(Node::Mul(vec![Node::int(2), Node::Sym("x".into())])),
            Box::new(Node::int(4)),
        );
        assert!(!eq2.is_assignment());
        assert!(eq2.is_equation());
    }
}
