//! Set literals, commands and functions of the LaTeX grammar: intervals, tuples, `\{..\}`,
//! `\frac`, `\sqrt`, `\binom`, `\sin`, `\log_b`, `\max`, `\operatorname`, undefined `f(x)`,
//! matrices.

use super::ast::{Node, SetOp};
use super::latex::{elements_to_value, Parser, Rule};
use super::latex_terms::divide;
use super::lexer::Tok;
use super::rational::Rational;
use anyhow::{bail, Result};

impl Parser {
    /// set_relation's set algebra: `\setminus` < `\cup` < `\cap`.
    pub(super) fn set_minus(&mut self) -> Result<Node> {
        let mut a = self.set_union()?;
        while self.eat(&Tok::SetMinus) {
            let b = self.set_union()?;
            a = Node::SetExpr(SetOp::Complement, Box::new(a), Box::new(b));
        }
        Ok(a)
    }

    pub(super) fn set_union(&mut self) -> Result<Node> {
        let mut a = self.set_inter()?;
        while self.eat(&Tok::Cup) {
            let b = self.set_inter()?;
            a = Node::SetExpr(
                SetOp::Union,
                Box::new(tuple_to_set(a)),
                Box::new(tuple_to_set(b)),
            );
        }
        Ok(a)
    }

    pub(super) fn set_inter(&mut self) -> Result<Node> {
        let mut a = self.set_atom()?;
        while self.eat(&Tok::Cap) {
            let b = self.set_atom()?;
            a = Node::SetExpr(
                SetOp::Intersection,
                Box::new(tuple_to_set(a)),
                Box::new(tuple_to_set(b)),
            );
        }
        Ok(a)
    }

    /// interval | literal_set | ordered_tuple | finite_set.
    pub(super) fn set_atom(&mut self) -> Result<Node> {
        self.enter()?;
        let r = self.memoized(Rule::SetAtom, Parser::set_atom_inner);
        self.depth -= 1;
        r
    }

    pub(super) fn set_atom_inner(&mut self) -> Result<Node> {
        match self.next() {
            Some(Tok::SetLit(name)) => Ok(Node::NamedSet(name)),
            Some(Tok::LBrace) if self.eat(&Tok::RBrace) => Ok(Node::NamedSet("EmptySet")),
            Some(open @ (Tok::LParen | Tok::LBrack)) => {
                if let Some(iv) = self.attempt(|p| {
                    let lo = p.expr()?;
                    p.expect(&Tok::Comma)?;
                    let hi = p.expr()?;
                    let hi_open = match p.next() {
                        Some(Tok::RParen) => true,
                        Some(Tok::RBrack) => false,
                        _ => bail!("not an interval"),
                    };
                    Ok(make_interval(lo, hi, open == Tok::LParen, hi_open))
                }) {
                    return Ok(iv);
                }
                let groups = self.semicolon_elements(true)?;
                let close = if open == Tok::LParen {
                    Tok::RParen
                } else {
                    Tok::RBrack
                };
                self.expect(&close)?;
                let mut flat: Vec<Node> = groups.into_iter().flatten().collect();
                if flat.len() == 1 {
                    return Ok(flat.pop().unwrap_or(Node::Undefined));
                }
                Ok(Node::Tuple(flat))
            }
            Some(Tok::LBrace) => {
                let groups = self.semicolon_elements(true)?;
                self.expect(&Tok::RBrace)?;
                Ok(Node::set(groups.into_iter().flatten().collect()))
            }
            Some(Tok::LSet) => {
                let groups = self.semicolon_elements(true)?;
                self.expect(&Tok::RSet)?;
                Ok(Node::set(groups.into_iter().flatten().collect()))
            }
            Some(Tok::Cmd("boxed")) => {
                self.expect(&Tok::LBrace)?;
                let groups = self.semicolon_elements(true)?;
                self.expect(&Tok::RBrace)?;
                Ok(elements_to_value(groups))
            }
            t => bail!("not a set atom: {t:?}"),
        }
    }

    pub(super) fn undefined_function(&mut self) -> Result<Node> {
        let name = match self.next() {
            Some(Tok::Letter(c)) => c.to_ascii_lowercase().to_string(),
            _ => bail!("not a function name"),
        };
        self.expect(&Tok::LParen)?;
        let mut args = vec![self.expr()?];
        let single_atom = self.i;
        while self.eat(&Tok::Comma) {
            args.push(self.expr()?);
        }
        self.expect(&Tok::RParen)?;
        if args.len() == 1 {
            // Only an atom qualifies as a lone argument: re-check the span was one token
            // (or a signed one is not allowed either).
            let span = &self.t[single_atom - 1..single_atom];
            let one_token = self.t.get(single_atom - 2) == Some(&Tok::LParen)
                && matches!(
                    span.first(),
                    Some(
                        Tok::Num(_)
                            | Tok::Letter(_)
                            | Tok::Named(_)
                            | Tok::Accent(..)
                            | Tok::UpperE
                            | Tok::Diff(_)
                            | Tok::PctNum(_)
                            | Tok::ENum(_)
                    )
                );
            if !one_token {
                bail!("not an atom argument");
            }
        }
        Ok(Node::Func(name, args))
    }

    pub(super) fn command(&mut self, name: &'static str) -> Result<Node> {
        match name {
            "frac" | "dfrac" | "tfrac" | "cfrac" => {
                let a = self.braced()?;
                let b = self.braced()?;
                Ok(divide(a, b))
            }
            "binom" | "tbinom" | "dbinom" => {
                let a = self.braced()?;
                let b = self.braced()?;
                Ok(Node::Func("binomial".into(), vec![a, b]))
            }
            "sqrt" => {
                let root = if self.eat(&Tok::LBrack) {
                    let r = self.expr()?;
                    self.expect(&Tok::RBrack)?;
                    Some(r)
                } else {
                    None
                };
                let base = self.braced()?;
                let exp = match root {
                    None => Node::Rat(Rational::new(1, 2).unwrap_or(Rational::int(1))),
                    Some(Node::Rat(r)) => r.recip().map(Node::Rat).unwrap_or(Node::Undefined),
                    Some(r) => Node::Pow(Box::new(r), Box::new(Node::int(-1))),
                };
                Ok(Node::Pow(Box::new(base), Box::new(exp)))
            }
            "boxed" | "phantom" => self.braced(),
            "max" | "min" | "gcd" | "lcm" => {
                self.skip_subscript()?;
                self.expect(&Tok::LParen)?;
                let mut args = vec![self.expr()?];
                while self.eat(&Tok::Comma) {
                    args.push(self.expr()?);
                }
                self.expect(&Tok::RParen)?;
                Ok(Node::Func(name.into(), args))
            }
            "operatorname" => {
                let fname = match self.next() {
                    Some(Tok::Accent(_, _)) => bail!("unsupported operator"),
                    Some(Tok::LBrace) => {
                        let mut s = String::new();
                        while let Some(t) = self.next() {
                            match t {
                                Tok::RBrace => break,
                                t => s.push_str(&render(std::slice::from_ref(&t))),
                            }
                        }
                        s
                    }
                    _ => bail!("bad operatorname"),
                };
                let arg = self.func_arg()?;
                Ok(match fname.as_str() {
                    "floor" | "ceil" => Node::Func(fname, vec![arg]),
                    _ => Node::Func(fname.to_lowercase(), vec![arg]),
                })
            }
            "choose" | "int" | "sum" | "prod" | "lim" | "det" => {
                bail!("unsupported construct \\{name}")
            }
            _ => self.named_function(name),
        }
    }

    /// \sin, \log_2, \ln, ... with optional sub/superscript and (arg) or a bare argument.
    pub(super) fn named_function(&mut self, name: &str) -> Result<Node> {
        let mut base: Option<Node> = None;
        let mut pow: Option<Node> = None;
        for _ in 0..2 {
            if self.eat(&Tok::Underscore) {
                base = Some(if self.eat(&Tok::LBrace) {
                    let e = self.expr()?;
                    self.expect(&Tok::RBrace)?;
                    e
                } else {
                    self.atom()?
                });
            } else if self.eat(&Tok::Caret) {
                pow = Some(self.sup_arg()?);
            }
        }
        let arg = self.func_arg()?;
        let mut fname = match name {
            "arcsin" | "arccos" | "arctan" | "arccsc" | "arcsec" | "arccot" => {
                format!("a{}", &name[3..])
            }
            "arsinh" | "arcosh" | "artanh" => format!("a{}", &name[2..]),
            "arcsinh" | "arccosh" | "arctanh" => format!("a{}", &name[3..]),
            _ => name.to_string(),
        };
        if pow == Some(Node::int(-1))
            && matches!(
                name,
                "sin" | "cos" | "tan" | "csc" | "sec" | "cot" | "sinh" | "cosh" | "tanh"
            )
        {
            fname = format!("a{name}");
            pow = None;
        }
        let f = match fname.as_str() {
            "log" => Node::Func("log".into(), vec![arg, base.unwrap_or(Node::int(10))]),
            "ln" => Node::Func("log".into(), vec![arg, Node::E]),
            _ => Node::Func(fname, vec![arg]),
        };
        Ok(match pow {
            Some(p) => Node::Pow(Box::new(f), Box::new(p)),
            None => f,
        })
    }

    /// func_single_arg: `(expr)` or mp_nofunc.
    pub(super) fn func_arg(&mut self) -> Result<Node> {
        if let Some(e) = self.attempt(|p| {
            p.expect(&Tok::LParen)?;
            let e = p.expr()?;
            p.expect(&Tok::RParen)?;
            Ok(e)
        }) {
            return Ok(e);
        }
        self.mp(false)
    }

    pub(super) fn braced(&mut self) -> Result<Node> {
        self.expect(&Tok::LBrace)?;
        let e = self.expr()?;
        self.expect(&Tok::RBrace)?;
        Ok(e)
    }

    pub(super) fn matrix(&mut self, det: bool) -> Result<Node> {
        let mut rows = vec![vec![self.expr()?]];
        loop {
            match self.next() {
                Some(Tok::Amp) => {
                    let e = self.expr()?;
                    if let Some(r) = rows.last_mut() {
                        r.push(e);
                    }
                }
                Some(Tok::RowSep) => {
                    if self.eat(&Tok::MatEnd) {
                        break;
                    }
                    rows.push(vec![self.expr()?]);
                }
                Some(Tok::MatEnd) => break,
                t => bail!("bad matrix token {t:?}"),
            }
        }
        let w = rows[0].len();
        if rows.iter().any(|r| r.len() != w) {
            bail!("ragged matrix");
        }
        if det {
            bail!("determinants are not supported");
        }
        Ok(Node::Matrix(rows))
    }
}

pub(super) fn accent_name(cmd: &str, content: &str) -> String {
    let text = content.replace(' ', "");
    let kind = match cmd {
        "bar" | "overline" => "bar",
        "vec" | "overrightarrow" => "vec",
        "tilde" | "widetilde" => "tilde",
        c if c.contains("text") || c.contains("mbox") => return text.replace(['(', ')'], ""),
        c if c.contains("math") => "math",
        c => c,
    };
    format!("{kind}{{{text}}}")
}

/// Source-like text of tokens, used for subscript names.
pub(super) fn render(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Num(n) | Tok::ENum(n) => s.push_str(n),
            Tok::Letter(c) => s.push(*c),
            Tok::LowerE => s.push('e'),
            Tok::UpperE => s.push('E'),
            Tok::Diff(d) => s.push_str(d),
            Tok::Named(n) => {
                s.push('\\');
                s.push_str(n);
            }
            Tok::Plus => s.push('+'),
            Tok::Minus => s.push('-'),
            Tok::Times => s.push('*'),
            Tok::Div => s.push('/'),
            Tok::Comma => s.push(','),
            Tok::LParen => s.push('('),
            Tok::RParen => s.push(')'),
            Tok::LBrace => s.push('{'),
            Tok::RBrace => s.push('}'),
            Tok::Caret => s.push('^'),
            Tok::Underscore => s.push('_'),
            _ => s.push('?'),
        }
    }
    s
}

fn make_interval(lo: Node, hi: Node, lo_open: bool, hi_open: bool) -> Node {
    // An empty interval makes no sense as an answer: latex2sympy2 reads it as a tuple.
    if let (Some(l), Some(h)) = (lo.value(), hi.value()) {
        if (lo_open && hi_open && h <= l) || (!lo_open && !hi_open && h < l) {
            return Node::Tuple(vec![lo, hi]);
        }
    }
    Node::Interval {
        lo: Box::new(lo),
        hi: Box::new(hi),
        lo_open,
        hi_open,
    }
}

fn tuple_to_set(n: Node) -> Node {
    match n {
        Node::Tuple(v) => Node::set(v),
        n => n,
    }
}
