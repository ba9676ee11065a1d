//! sympy `parse_expr(s, evaluate=False)` for the plain arithmetic math-verify's expression
//! regex captures (`48+24`, `1/2`, `2**10`, `(3-1)*4`): Python precedence, `**` right
//! associative and tighter than unary minus. Anything else (juxtaposition, `×`) is an
//! error, as it is for Python's tokenizer.

use super::ast::Node;
use super::rational::Rational;
use anyhow::{anyhow, bail, Result};

#[derive(Debug, Clone, PartialEq)]
enum T {
    Num(String),
    Op(char),
    Pow,
    L,
    R,
}

/// Parses a Python arithmetic expression.
pub(crate) fn parse_py_expr(s: &str) -> Result<Node> {
    let toks = tokens(s)?;
    let mut p = P {
        t: toks,
        i: 0,
        depth: 0,
    };
    let n = p.sum()?;
    if p.i != p.t.len() {
        bail!("trailing input");
    }
    Ok(n)
}

fn tokens(s: &str) -> Result<Vec<T>> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\t' => i += 1,
            '0'..='9' | '.' => {
                let st = i;
                while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                    i += 1;
                }
                let num: String = cs[st..i].iter().collect();
                if num.matches('.').count() > 1 || num == "." {
                    bail!("bad number");
                }
                out.push(T::Num(num));
            }
            '*' if cs.get(i + 1) == Some(&'*') => {
                out.push(T::Pow);
                i += 2;
            }
            '+' | '-' | '*' | '/' => {
                out.push(T::Op(c));
                i += 1;
            }
            '(' => {
                out.push(T::L);
                i += 1;
            }
            ')' => {
                out.push(T::R);
                i += 1;
            }
            _ => bail!("unexpected {c:?}"),
        }
    }
    Ok(out)
}

struct P {
    t: Vec<T>,
    i: usize,
    depth: usize,
}

impl P {
    fn peek(&self) -> Option<&T> {
        self.t.get(self.i)
    }

    fn sum(&mut self) -> Result<Node> {
        let mut terms = vec![self.product()?];
        while let Some(T::Op(c @ ('+' | '-'))) = self.peek().cloned() {
            self.i += 1;
            let b = self.product()?;
            terms.push(if c == '-' {
                Node::Mul(vec![Node::int(-1), b])
            } else {
                b
            });
        }
        Ok(if terms.len() == 1 {
            terms.pop().unwrap_or(Node::Undefined)
        } else {
            Node::Add(terms)
        })
    }

    fn product(&mut self) -> Result<Node> {
        let mut a = self.unary()?;
        while let Some(T::Op(c @ ('*' | '/'))) = self.peek().cloned() {
            self.i += 1;
            let b = self.unary()?;
            a = if c == '*' {
                Node::Mul(vec![a, b])
            } else {
                Node::Mul(vec![a, Node::Pow(Box::new(b), Box::new(Node::int(-1)))])
            };
        }
        Ok(a)
    }

    fn unary(&mut self) -> Result<Node> {
        self.depth += 1;
        if self.depth > 200 {
            bail!("too deep");
        }
        let r = match self.peek() {
            Some(T::Op('-')) => {
                self.i += 1;
                self.unary().map(|x| match x {
                    Node::Rat(r) => r.checked_neg().map(Node::Rat).unwrap_or(Node::Undefined),
                    Node::Float(f) => Node::Float(-f),
                    x => Node::Mul(vec![Node::int(-1), x]),
                })
            }
            Some(T::Op('+')) => {
                self.i += 1;
                self.unary()
            }
            _ => self.power(),
        };
        self.depth -= 1;
        r
    }

    fn power(&mut self) -> Result<Node> {
        let base = self.atom()?;
        if self.peek() == Some(&T::Pow) {
            self.i += 1;
            // Right associative, and the exponent may carry its own sign: 2**-1.
            let e = self.unary()?;
            return Ok(Node::Pow(Box::new(base), Box::new(e)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Node> {
        let t = self
            .peek()
            .cloned()
            .ok_or_else(|| anyhow!("unexpected end"))?;
        self.i += 1;
        match t {
            T::Num(n) => {
                if n.contains('.') {
                    Ok(Node::Float(n.parse().map_err(|_| anyhow!("bad float"))?))
                } else {
                    let v: i128 = n.parse().map_err(|_| anyhow!("integer too large"))?;
                    Ok(Node::Rat(Rational::int(v)))
                }
            }
            T::L => {
                let e = self.sum()?;
                if self.peek() != Some(&T::R) {
                    bail!("unclosed parenthesis");
                }
                self.i += 1;
                Ok(e)
            }
            _ => bail!("unexpected token"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(s: &str) -> Option<f64> {
        parse_py_expr(s).ok().and_then(|n| n.value())
    }

    #[test]
    fn python_precedence() {
        assert_eq!(val("48+24 "), Some(72.0));
        assert_eq!(val("-2**2"), Some(-4.0));
        assert_eq!(val("2**3**2"), Some(512.0));
        assert_eq!(val("(3-1)*4/8"), Some(1.0));
        assert_eq!(
            parse_py_expr("1/2").ok().and_then(|n| n.exact()),
            Rational::new(1, 2)
        );
    }

    #[test]
    fn rejects_non_python() {
        for s in ["2 3", "2(3)", "1×2", "(1+2", "", "1..2", "3+"] {
            assert!(parse_py_expr(s).is_err(), "{s}");
        }
    }
}
