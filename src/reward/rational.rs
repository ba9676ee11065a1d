//! Exact rational numbers on `i128`, the stand-in for sympy's `Rational`.
//!
//! Every operation is checked: an overflow yields `None`, and callers then fall back to
//! floating point. Answers that overflow i128 are rare enough that exactness there is not
//! worth a bignum dependency.

use std::cmp::Ordering;

/// A reduced fraction `num / den` with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    // Unsigned arithmetic so that i128::MIN cannot overflow; a gcd that does not fit back
    // (only 2^127) degrades to 1, which leaves the fraction unreduced but still correct.
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    i128::try_from(a).unwrap_or(1)
}

impl Rational {
    /// Builds `num / den`, reduced; `None` for a zero denominator or on overflow.
    pub fn new(num: i128, den: i128) -> Option<Rational> {
        if den == 0 || num == i128::MIN || den == i128::MIN {
            return None;
        }
        let g = gcd(num, den).max(1);
        let (mut n, mut d) = (num / g, den / g);
        if d < 0 {
            n = -n;
            d = -d;
        }
        Some(Rational { num: n, den: d })
    }

    /// The integer `n` as a rational.
    pub fn int(n: i128) -> Rational {
        Rational { num: n, den: 1 }
    }

    /// Numerator (carries the sign).
    pub fn numer(&self) -> i128 {
        self.num
    }

    /// Denominator (always positive).
    pub fn denom(&self) -> i128 {
        self.den
    }

    /// Whether the value is an integer.
    pub fn is_integer(&self) -> bool {
        self.den == 1
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.num == 0
    }

    /// Checked addition.
    pub fn checked_add(self, o: Rational) -> Option<Rational> {
        let g = gcd(self.den, o.den).max(1);
        let l = self.den.checked_mul(o.den / g)?;
        let a = self.num.checked_mul(l / self.den)?;
        let b = o.num.checked_mul(l / o.den)?;
        Rational::new(a.checked_add(b)?, l)
    }

    /// Checked subtraction.
    pub fn checked_sub(self, o: Rational) -> Option<Rational> {
        self.checked_add(o.checked_neg()?)
    }

    /// Checked negation.
    pub fn checked_neg(self) -> Option<Rational> {
        Some(Rational {
            num: self.num.checked_neg()?,
            den: self.den,
        })
    }

    /// Checked multiplication; cross-reduces first so products of reduced fractions rarely overflow.
    pub fn checked_mul(self, o: Rational) -> Option<Rational> {
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        let n = (self.num / g1).checked_mul(o.num / g2)?;
        let d = (self.den / g2).checked_mul(o.den / g1)?;
        Rational::new(n, d)
    }

    /// Checked reciprocal; `None` for zero.
    pub fn recip(self) -> Option<Rational> {
        Rational::new(self.den, self.num)
    }

    /// Checked division.
    pub fn checked_div(self, o: Rational) -> Option<Rational> {
        self.checked_mul(o.recip()?)
    }

    /// Integer power; exponents are capped because answers never need huge ones and the
    /// cap keeps `2^1000000` from looping.
    pub fn powi(self, e: i64) -> Option<Rational> {
        if e.unsigned_abs() > 512 {
            return None;
        }
        let mut base = if e < 0 { self.recip()? } else { self };
        let mut k = e.unsigned_abs();
        let mut acc = Rational::int(1);
        while k > 0 {
            if k & 1 == 1 {
                acc = acc.checked_mul(base)?;
            }
            k >>= 1;
            if k > 0 {
                base = base.checked_mul(base)?;
            }
        }
        Some(acc)
    }

    /// Exact `n`-th root when both numerator and denominator are perfect powers.
    pub fn root(self, n: u32) -> Option<Rational> {
        if n == 0 {
            return None;
        }
        if n == 1 {
            return Some(self);
        }
        if self.num < 0 && n.is_multiple_of(2) {
            return None;
        }
        let sign = if self.num < 0 { -1 } else { 1 };
        let rn = int_root(self.num.unsigned_abs(), n)?;
        let rd = int_root(self.den.unsigned_abs(), n)?;
        Rational::new(sign * i128::try_from(rn).ok()?, i128::try_from(rd).ok()?)
    }

    /// Nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Parses a plain decimal such as `-12`, `0.05`, `.5` or `3.` exactly.
    pub fn parse_decimal(s: &str) -> Option<Rational> {
        let s = s.trim();
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((a, b)) => (a, b),
            None => (body, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        let mut num: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        if neg {
            num = -num;
        }
        let den = 10i128.checked_pow(u32::try_from(frac_part.len()).ok()?)?;
        Rational::new(num, den)
    }

    /// Rounds half-to-even at `places` decimals, the way sympy's `Float.round` lands for
    /// the values answers contain.
    pub fn round_decimals(self, places: u32) -> Option<Rational> {
        let scale = 10i128.checked_pow(places)?;
        let scaled = self.checked_mul(Rational::int(scale))?;
        let floor = scaled.num.div_euclid(scaled.den);
        let rem = Rational::new(scaled.num.rem_euclid(scaled.den), scaled.den)?;
        let half = Rational::new(1, 2)?;
        let up = match rem.cmp(&half) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => floor % 2 != 0,
        };
        let r = if up { floor.checked_add(1)? } else { floor };
        Rational::new(r, scale)
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Self) -> Ordering {
        // Cross-multiplying can overflow; the float comparison is a fine tie-breaker then.
        match (
            self.num.checked_mul(other.den),
            other.num.checked_mul(self.den),
        ) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self
                .to_f64()
                .partial_cmp(&other.to_f64())
                .unwrap_or(Ordering::Equal),
        }
    }
}

impl std::fmt::Display for Rational {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// Exact integer `n`-th root, if there is one.
fn int_root(x: u128, n: u32) -> Option<u128> {
    if x < 2 {
        return Some(x);
    }
    let guess = (x as f64).powf(1.0 / f64::from(n)).round() as u128;
    // The float guess can be off by one for large x; check the neighbours exactly.
    (guess.saturating_sub(1)..=guess.saturating_add(1)).find(|&c| c.checked_pow(n) == Some(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Rational {
        Rational::new(n, d).expect("valid")
    }

    #[test]
    fn reduces_and_normalises_sign() {
        assert_eq!(r(2, -4), r(-1, 2));
        assert_eq!(r(0, 5), Rational::int(0));
        assert!(Rational::new(1, 0).is_none());
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(r(1, 3).checked_add(r(1, 6)), Some(r(1, 2)));
        assert_eq!(r(1, 2).checked_sub(r(1, 2)), Some(Rational::int(0)));
        assert_eq!(r(2, 3).checked_mul(r(3, 4)), Some(r(1, 2)));
        assert_eq!(r(1, 2).checked_div(r(1, 4)), Some(Rational::int(2)));
        assert_eq!(r(2, 3).powi(-2), Some(r(9, 4)));
        assert_eq!(Rational::int(0).powi(-1), None);
    }

    #[test]
    fn overflow_is_none_not_panic() {
        let big = Rational::int(i128::MAX / 2);
        assert_eq!(big.checked_mul(big), None);
        assert_eq!(Rational::int(10).powi(100), None);
        assert_eq!(Rational::int(2).powi(1_000_000), None);
        assert!(Rational::new(i128::MIN, 1).is_none());
    }

    #[test]
    fn decimal_parsing() {
        assert_eq!(Rational::parse_decimal("0.05"), Some(r(1, 20)));
        assert_eq!(Rational::parse_decimal(".5"), Some(r(1, 2)));
        assert_eq!(Rational::parse_decimal("-007"), Some(Rational::int(-7)));
        assert_eq!(Rational::parse_decimal("1e5"), None);
        assert_eq!(Rational::parse_decimal("."), None);
        assert_eq!(
            Rational::parse_decimal("99999999999999999999999999999999999999999"),
            None
        );
    }

    #[test]
    fn roots_and_rounding() {
        assert_eq!(r(9, 4).root(2), Some(r(3, 2)));
        assert_eq!(Rational::int(2).root(2), None);
        assert_eq!(Rational::int(-27).root(3), Some(Rational::int(-3)));
        assert_eq!(r(1, 3).round_decimals(6), Some(r(333_333, 1_000_000)));
        assert_eq!(r(5, 2).round_decimals(0), Some(Rational::int(2)));
        assert_eq!(r(7, 2).round_decimals(0), Some(Rational::int(4)));
    }
}
