//! The arithmetic part of the LaTeX grammar: sums, products (explicit and implicit),
//! powers, postfix operators, groups and atoms.

use super::ast::Node;
use super::latex::{Parser, Rule};
use super::latex_funcs::{accent_name, render};
use super::lexer::Tok;
use super::rational::Rational;
use anyhow::{anyhow, bail, Result};

impl Parser {
    /// additive: mp ((+|-) mp)*
    pub(super) fn expr(&mut self) -> Result<Node> {
        self.enter()?;
        let r = self.memoized(Rule::Expr, Parser::additive);
        self.depth -= 1;
        r
    }

    pub(super) fn additive(&mut self) -> Result<Node> {
        let mut a = self.mp(true)?;
        loop {
            if self.eat(&Tok::Plus) {
                let b = self.mp(true)?;
                a = add_flat(a, b);
            } else if self.eat(&Tok::Minus) {
                let b = self.mp(true)?;
                a = add_flat(a, neg(b));
            } else {
                return Ok(a);
            }
        }
    }

    /// mp: unary ((*|/|:|\mod) unary)*; `with_func` false is the grammar's mp_nofunc.
    pub(super) fn mp(&mut self, with_func: bool) -> Result<Node> {
        let mut a = self.unary(with_func)?;
        loop {
            match self.peek() {
                Some(Tok::Times) => {
                    self.i += 1;
                    let b = self.unary(with_func)?;
                    a = mul_flat(a, b);
                }
                Some(Tok::Div) | Some(Tok::Colon) => {
                    self.i += 1;
                    let b = self.unary(with_func)?;
                    a = divide(a, b);
                }
                Some(Tok::Mod) => {
                    self.i += 1;
                    let b = self.unary(with_func)?;
                    a = Node::Func("mod".into(), vec![a, b]);
                }
                _ => return Ok(a),
            }
        }
    }

    /// unary: (+|-) unary | postfix+ (implicit multiplication, with mixed numbers).
    pub(super) fn unary(&mut self, with_func: bool) -> Result<Node> {
        self.enter()?;
        let r = if self.eat(&Tok::Plus) {
            self.unary(with_func)
        } else if self.eat(&Tok::Minus) {
            self.unary(with_func).map(neg)
        } else {
            let mut items = vec![self.postfix(true)?];
            while self.starts_postfix() {
                let before = self.i;
                match self.attempt(|p| p.postfix(with_func)) {
                    Some(x) => items.push(x),
                    None => {
                        self.i = before;
                        break;
                    }
                }
            }
            Ok(postfix_list(items))
        };
        self.depth -= 1;
        r
    }

    pub(super) fn starts_postfix(&self) -> bool {
        matches!(
            self.peek(),
            Some(
                Tok::Num(_)
                    | Tok::ENum(_)
                    | Tok::PctNum(_)
                    | Tok::Letter(_)
                    | Tok::LowerE
                    | Tok::UpperE
                    | Tok::Diff(_)
                    | Tok::Named(_)
                    | Tok::Accent(..)
                    | Tok::Cmd(_)
                    | Tok::LParen
                    | Tok::LBrack
                    | Tok::LBrace
                    | Tok::LSet
                    | Tok::LFloor
                    | Tok::LCeil
                    | Tok::Infty
                    | Tok::MatStart(_)
                    | Tok::Bar
            )
        )
    }

    /// postfix: exp (! | degree | transpose)*
    pub(super) fn postfix(&mut self, with_func: bool) -> Result<Node> {
        let mut e = self.exp(with_func)?;
        loop {
            match self.peek() {
                Some(Tok::Bang) => {
                    self.i += 1;
                    e = Node::Func("factorial".into(), vec![e]);
                }
                // Degrees are dropped: math-verify parses with convert_degrees=False.
                Some(Tok::Degree) => self.i += 1,
                Some(Tok::Transpose) => {
                    self.i += 1;
                    if let Node::Matrix(rows) = e {
                        e = Node::Matrix(transpose(rows));
                    }
                }
                _ => return Ok(e),
            }
        }
    }

    /// exp: comp (^ (atom | {expr}))*  — left associative, as in the grammar.
    pub(super) fn exp(&mut self, with_func: bool) -> Result<Node> {
        let mut base = self.comp(with_func)?;
        let mut n = 0;
        while self.eat(&Tok::Caret) {
            n += 1;
            if n > 16 {
                bail!("power tower too tall");
            }
            let e = self.sup_arg()?;
            base = Node::Pow(Box::new(base), Box::new(e));
            self.skip_subscript()?;
        }
        Ok(base)
    }

    /// The argument after `^`: an atom or a braced expression.
    pub(super) fn sup_arg(&mut self) -> Result<Node> {
        if self.eat(&Tok::LBrace) {
            let e = self.expr()?;
            self.expect(&Tok::RBrace)?;
            return Ok(e);
        }
        self.atom()
    }

    pub(super) fn skip_subscript(&mut self) -> Result<()> {
        if self.eat(&Tok::Underscore) {
            self.subscript_text()?;
        }
        Ok(())
    }

    /// Reads a subscript (after `_`) and renders it as latex2sympy2 names symbols.
    pub(super) fn subscript_text(&mut self) -> Result<String> {
        if self.eat(&Tok::LBrace) {
            let start = self.i;
            let mut depth = 1usize;
            while let Some(t) = self.next() {
                match t {
                    Tok::LBrace => depth += 1,
                    Tok::RBrace => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(render(&self.t[start..self.i - 1]));
                        }
                    }
                    _ => {}
                }
            }
            bail!("unclosed subscript");
        }
        let t = self.next().ok_or_else(|| anyhow!("empty subscript"))?;
        Ok(render(std::slice::from_ref(&t)))
    }

    pub(super) fn comp(&mut self, with_func: bool) -> Result<Node> {
        self.enter()?;
        let r = self.comp_inner(with_func);
        self.depth -= 1;
        r
    }

    pub(super) fn comp_inner(&mut self, with_func: bool) -> Result<Node> {
        match self.peek().cloned() {
            Some(Tok::LParen) | Some(Tok::LBrack) | Some(Tok::LBrace) | Some(Tok::LSet) => {
                let open = self.next().unwrap_or(Tok::LParen);
                let close = match open {
                    Tok::LParen => Tok::RParen,
                    Tok::LBrack => Tok::RBrack,
                    Tok::LBrace => Tok::RBrace,
                    _ => Tok::RSet,
                };
                // {a \choose b}
                if open == Tok::LBrace {
                    if let Some(b) = self.attempt(|p| {
                        let n = p.expr()?;
                        p.expect(&Tok::Cmd("choose"))?;
                        let k = p.expr()?;
                        p.expect(&Tok::RBrace)?;
                        Ok(Node::Func("binomial".into(), vec![n, k]))
                    }) {
                        return Ok(b);
                    }
                }
                let e = self.expr()?;
                self.expect(&close)?;
                Ok(e)
            }
            Some(Tok::Bar) => {
                self.i += 1;
                let e = self.expr()?;
                self.expect(&Tok::Bar)?;
                Ok(Node::Func("abs".into(), vec![e]))
            }
            Some(Tok::LFloor) | Some(Tok::LCeil) => {
                let floor = self.next() == Some(Tok::LFloor);
                let e = self.expr()?;
                self.expect(if floor { &Tok::RFloor } else { &Tok::RCeil })?;
                Ok(Node::Func(
                    if floor { "floor" } else { "ceil" }.into(),
                    vec![e],
                ))
            }
            Some(Tok::MatStart(det)) => {
                self.i += 1;
                self.matrix(det)
            }
            Some(Tok::Cmd(name)) => {
                if !with_func
                    && !matches!(
                        name,
                        "frac"
                            | "dfrac"
                            | "tfrac"
                            | "cfrac"
                            | "binom"
                            | "tbinom"
                            | "dbinom"
                            | "boxed"
                            | "phantom"
                    )
                {
                    bail!("function not allowed here");
                }
                self.i += 1;
                self.command(name)
            }
            Some(Tok::LowerE) => {
                self.i += 1;
                if self.eat(&Tok::Caret) {
                    let e = self.sup_arg()?;
                    return Ok(Node::Func("exp".into(), vec![e]));
                }
                Ok(Node::E)
            }
            Some(Tok::Letter(_)) if with_func && matches!(self.peek_at(1), Some(Tok::LParen)) => {
                // f(x): an undefined function when its argument is an atom or a comma list;
                // x(x+1) stays a product, as the grammar's func_common_args decides.
                if let Some(f) = self.attempt(|p| p.undefined_function()) {
                    return Ok(f);
                }
                self.atom()
            }
            _ => self.atom(),
        }
    }

    /// atom_expr: a letter, greek letter or accent with optional subscript/superscript.
    pub(super) fn atom_expr(&mut self) -> Result<Node> {
        let name = match self.next() {
            Some(Tok::Letter(c)) => {
                if c == 'I' {
                    // sympy's imaginary unit; kept as an uppercase name no lowercased symbol can equal.
                    return Ok(Node::Sym("I".into()));
                }
                c.to_string()
            }
            Some(Tok::Named(n)) => n,
            Some(Tok::Accent(cmd, content)) => accent_name(&cmd, &content),
            t => bail!("not an atom expression: {t:?}"),
        };
        let mut sub = String::new();
        let mut sup: Option<Node> = None;
        for _ in 0..2 {
            if sub.is_empty() && self.eat(&Tok::Underscore) {
                let s = self.subscript_text()?;
                sub = if s.chars().count() > 1 {
                    format!("_{{{s}}}")
                } else {
                    format!("_{s}")
                };
            } else if sup.is_none() && self.peek() == Some(&Tok::Caret) {
                self.i += 1;
                sup = Some(self.sup_arg()?);
            }
        }
        let sym = symbol(&format!("{}{}", name.trim(), sub));
        Ok(match sup {
            Some(p) => Node::Pow(Box::new(sym), Box::new(p)),
            None => sym,
        })
    }

    pub(super) fn atom(&mut self) -> Result<Node> {
        match self.peek().cloned() {
            Some(Tok::Letter(_)) | Some(Tok::Named(_)) | Some(Tok::Accent(..)) => self.atom_expr(),
            Some(t) => {
                self.i += 1;
                match t {
                    Tok::Num(s) => {
                        let n = number(&s)?;
                        self.skip_subscript()?;
                        Ok(n)
                    }
                    Tok::ENum(s) => Ok(Node::Float(s.parse().map_err(|_| anyhow!("bad number"))?)),
                    Tok::PctNum(s) => Ok(Node::Pct(Box::new(number(&s)?))),
                    Tok::UpperE => Ok(Node::Sym("e".into())),
                    Tok::Diff(s) => Ok(Node::Sym(s.to_lowercase())),
                    Tok::Infty => Ok(Node::Inf(false)),
                    t => bail!("unexpected {t:?}"),
                }
            }
            None => bail!("unexpected end"),
        }
    }
}

/// A number token's value: digits are an Integer, anything with a point a Float.
pub(super) fn number(s: &str) -> Result<Node> {
    let s = s.replace(',', "");
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let t = s.trim_start_matches('0');
        let v: i128 = if t.is_empty() {
            0
        } else {
            t.parse().map_err(|_| anyhow!("integer too large"))?
        };
        return Ok(Node::int(v));
    }
    let f: f64 = s.parse().map_err(|_| anyhow!("bad number {s}"))?;
    Ok(Node::Float(f))
}

pub(super) fn neg(x: Node) -> Node {
    match x {
        Node::Rat(r) => r.checked_neg().map(Node::Rat).unwrap_or(Node::Undefined),
        Node::Float(f) => Node::Float(-f),
        Node::Inf(n) => Node::Inf(!n),
        other => mul_flat(Node::int(-1), other),
    }
}

pub(super) fn mul_flat(a: Node, b: Node) -> Node {
    let mut v = Vec::new();
    for x in [a, b] {
        match x {
            Node::Mul(xs) => v.extend(xs),
            x => v.push(x),
        }
    }
    Node::Mul(v)
}

pub(super) fn add_flat(a: Node, b: Node) -> Node {
    let mut v = Vec::new();
    for x in [a, b] {
        match x {
            Node::Add(xs) => v.extend(xs),
            x => v.push(x),
        }
    }
    Node::Add(v)
}

/// `a / b`: integers give an exact Rational (or `zoo` for a zero divisor).
pub(super) fn divide(a: Node, b: Node) -> Node {
    if let (Node::Rat(x), Node::Rat(y)) = (&a, &b) {
        if x.is_integer() && y.is_integer() {
            return x.checked_div(*y).map(Node::Rat).unwrap_or(Node::Undefined);
        }
    }
    Node::Mul(vec![a, Node::Pow(Box::new(b), Box::new(Node::int(-1)))])
}

/// `convert_postfix_list`: right-to-left products, `2 \frac{1}{2}` as a mixed number.
pub(super) fn postfix_list(mut items: Vec<Node>) -> Node {
    let mut acc = match items.pop() {
        Some(x) => x,
        None => return Node::Undefined,
    };
    while let Some(res) = items.pop() {
        acc = match (&res, &acc) {
            (Node::Rat(a), Node::Rat(b)) if a.is_integer() && b.numer() > 0 => {
                let whole = a.checked_mul(Rational::int(b.denom()));
                let v = whole.and_then(|w| {
                    if a.numer() < 0 {
                        w.checked_sub(Rational::int(b.numer()))
                    } else {
                        w.checked_add(Rational::int(b.numer()))
                    }
                });
                v.and_then(|n| n.checked_div(Rational::int(b.denom())))
                    .map(Node::Rat)
                    .unwrap_or(Node::Undefined)
            }
            _ => mul_flat(res, acc),
        };
    }
    acc
}

pub(super) fn transpose(rows: Vec<Vec<Node>>) -> Vec<Vec<Node>> {
    let w = rows.first().map_or(0, Vec::len);
    (0..w)
        .map(|c| rows.iter().filter_map(|r| r.get(c).cloned()).collect())
        .collect()
}

/// Symbol naming: lowercased, `pi` is the constant (latex2sympy2's `get_symbol`).
pub(super) fn symbol(name: &str) -> Node {
    let lower = name.to_lowercase();
    match lower.as_str() {
        "pi" => Node::Pi,
        _ => Node::Sym(lower),
    }
}
