//! A small evaluator for answer expressions: exact rationals for arithmetic (`+ - * / ^`,
//! `\frac`, decimals, percent), falling back to `f64` for `\sqrt` and `\pi`. Implicit
//! multiplication (`2\pi`, `3(4)`) is understood.

/// A number, exact when it can be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// `p / q`, reduced, `q > 0`.
    Rat(i128, i128),
    /// Anything irrational or too large for i128.
    Real(f64),
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Num {
    /// A reduced rational (`Real` if `q` is 0).
    pub fn rat(p: i128, q: i128) -> Num {
        if q == 0 {
            return Num::Real(f64::NAN);
        }
        let g = gcd(p, q);
        let s = if q < 0 { -1 } else { 1 };
        Num::Rat(s * p / g, s * q / g)
    }

    /// As a float.
    pub fn to_f64(self) -> f64 {
        match self {
            Num::Rat(p, q) => p as f64 / q as f64,
            Num::Real(x) => x,
        }
    }

    fn bin(
        self,
        o: Num,
        rat: impl Fn(i128, i128, i128, i128) -> Option<(i128, i128)>,
        real: impl Fn(f64, f64) -> f64,
    ) -> Num {
        if let (Num::Rat(a, b), Num::Rat(c, d)) = (self, o) {
            if let Some((p, q)) = rat(a, b, c, d) {
                return Num::rat(p, q);
            }
        }
        Num::Real(real(self.to_f64(), o.to_f64()))
    }

    fn add(self, o: Num) -> Num {
        self.bin(
            o,
            |a, b, c, d| {
                Some((
                    a.checked_mul(d)?.checked_add(c.checked_mul(b)?)?,
                    b.checked_mul(d)?,
                ))
            },
            |x, y| x + y,
        )
    }
    fn mul(self, o: Num) -> Num {
        self.bin(
            o,
            |a, b, c, d| Some((a.checked_mul(c)?, b.checked_mul(d)?)),
            |x, y| x * y,
        )
    }
    fn div(self, o: Num) -> Num {
        self.bin(
            o,
            |a, b, c, d| {
                if c == 0 {
                    None
                } else {
                    Some((a.checked_mul(d)?, b.checked_mul(c)?))
                }
            },
            |x, y| x / y,
        )
    }
    fn neg(self) -> Num {
        match self {
            Num::Rat(p, q) => Num::Rat(-p, q),
            Num::Real(x) => Num::Real(-x),
        }
    }
    fn pow(self, e: Num) -> Num {
        if let (Num::Rat(p, q), Num::Rat(n, 1)) = (self, e) {
            if n.abs() <= 64 {
                let (mut rp, mut rq) = (1i128, 1i128);
                let mut ok = true;
                for _ in 0..n.abs() {
                    match (rp.checked_mul(p), rq.checked_mul(q)) {
                        (Some(a), Some(b)) => (rp, rq) = (a, b),
                        _ => ok = false,
                    }
                }
                if ok {
                    return if n >= 0 {
                        Num::rat(rp, rq)
                    } else {
                        Num::rat(rq, rp)
                    };
                }
            }
        }
        Num::Real(self.to_f64().powf(e.to_f64()))
    }

    /// Equal exactly (both rational) or within a relative 1e-6 (math-verify rounds floats to
    /// six digits before comparing).
    pub fn approx_eq(self, o: Num) -> bool {
        match (self, o) {
            (Num::Rat(a, b), Num::Rat(c, d)) => a == c && b == d,
            _ => {
                let (x, y) = (self.to_f64(), o.to_f64());
                x.is_finite()
                    && y.is_finite()
                    && (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0)
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, lit: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }
    fn sum(&mut self) -> Option<Num> {
        let mut v = self.product()?;
        loop {
            if self.eat("+") {
                v = v.add(self.product()?);
            } else if self.eat("-") {
                v = v.add(self.product()?.neg());
            } else {
                return Some(v);
            }
        }
    }
    fn product(&mut self) -> Option<Num> {
        let mut v = self.unary()?;
        loop {
            if self.eat("*") || self.eat("\\cdot") || self.eat("\\times") {
                v = v.mul(self.unary()?);
            } else if self.eat("/") || self.eat("\\div") {
                v = v.div(self.unary()?);
            } else if matches!(self.peek(), Some(c) if c.is_ascii_digit() || c == b'(' || c == b'{' || c == b'\\')
            {
                // Implicit multiplication: 2\pi, 3(4), \sqrt2\pi.
                let save = self.i;
                match self.unary() {
                    Some(x) => v = v.mul(x),
                    None => {
                        self.i = save;
                        return Some(v);
                    }
                }
            } else {
                return Some(v);
            }
        }
    }
    fn unary(&mut self) -> Option<Num> {
        if self.eat("-") {
            return Some(self.unary()?.neg());
        }
        if self.eat("+") {
            return self.unary();
        }
        let base = self.atom()?;
        if self.eat("^") {
            let e = if self.peek() == Some(b'{') {
                self.group()?
            } else {
                self.unary()?
            };
            return Some(base.pow(e));
        }
        Some(base)
    }
    fn group(&mut self) -> Option<Num> {
        let close = match self.peek()? {
            b'(' => b')',
            b'{' => b'}',
            b'[' => b']',
            _ => return None,
        };
        self.i += 1;
        let v = self.sum()?;
        (self.peek()? == close).then(|| self.i += 1)?;
        Some(v)
    }
    /// One argument of `\frac` / `\sqrt`: a braced group or a single digit/letter (`\frac12`).
    fn arg(&mut self) -> Option<Num> {
        match self.peek()? {
            b'{' => self.group(),
            c if c.is_ascii_digit() => {
                self.i += 1;
                Some(Num::rat((c - b'0') as i128, 1))
            }
            _ => self.atom(),
        }
    }
    fn atom(&mut self) -> Option<Num> {
        match self.peek()? {
            b'(' | b'{' | b'[' => self.group(),
            c if c.is_ascii_digit() || c == b'.' => self.number(),
            b'\\' => {
                if self.eat("\\frac") {
                    let n = self.arg()?;
                    let d = self.arg()?;
                    Some(n.div(d))
                } else if self.eat("\\sqrt") {
                    let x = self.arg()?;
                    Some(sqrt(x))
                } else if self.eat("\\pi") {
                    Some(Num::Real(std::f64::consts::PI))
                } else {
                    None
                }
            }
            b'p' if self.eat("pi") => Some(Num::Real(std::f64::consts::PI)),
            _ => None,
        }
    }
    fn number(&mut self) -> Option<Num> {
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.') {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if frac.contains('.')
            || (int.is_empty() && frac.is_empty())
            || frac.len() > 30
            || int.len() > 30
        {
            return text.parse::<f64>().ok().map(Num::Real);
        }
        let digits = format!("{int}{frac}");
        let p: i128 = digits.parse().ok()?;
        Some(Num::rat(p, 10i128.checked_pow(frac.len() as u32)?))
    }
}

fn sqrt(x: Num) -> Num {
    if let Num::Rat(p, q) = x {
        let (rp, rq) = (
            (p as f64).sqrt().round() as i128,
            (q as f64).sqrt().round() as i128,
        );
        if p >= 0 && rp * rp == p && rq * rq == q {
            return Num::rat(rp, rq);
        }
    }
    Num::Real(x.to_f64().sqrt())
}

/// Evaluates a whole normalised expression; `None` if it is not purely numeric.
pub fn eval(s: &str) -> Option<Num> {
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
    };
    let v = p.sum()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_arithmetic() {
        assert_eq!(eval("1/2"), Some(Num::Rat(1, 2)));
        assert_eq!(eval("0.5"), Some(Num::Rat(1, 2)));
        assert_eq!(eval(r"\frac{3}{4}"), Some(Num::Rat(3, 4)));
        assert_eq!(eval(r"\frac12"), Some(Num::Rat(1, 2)));
        assert_eq!(eval(r"1.2 \times 10^4"), Some(Num::Rat(12000, 1)));
        assert_eq!(eval("-(3+4)*2^{-1}"), Some(Num::Rat(-7, 2)));
        assert_eq!(eval(r"\sqrt{16}"), Some(Num::Rat(4, 1)));
        assert_eq!(eval("2(3)"), Some(Num::Rat(6, 1)));
    }

    #[test]
    fn reals_and_rejects() {
        assert!(eval(r"2\pi")
            .unwrap()
            .approx_eq(Num::Real(2.0 * std::f64::consts::PI)));
        assert!(eval(r"\sqrt 2").unwrap().approx_eq(Num::Real(2f64.sqrt())));
        assert!(eval("3.14159265").unwrap().approx_eq(eval(r"\pi").unwrap()));
        assert!(!eval("0.05").unwrap().approx_eq(eval("0.5").unwrap()));
        assert_eq!(eval("x+1"), None);
        assert_eq!(eval("1/0").map(|n| n.to_f64().is_finite()), Some(false));
        assert_eq!(eval("(1"), None);
    }
}
