//! LaTeX answer normalisation before comparison: each rule is one line, tested below.

use regex::Regex;
use std::sync::LazyLock;

static TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\(?:text|textbf|mbox|mathrm|textrm|operatorname)\s*\{([^{}]*)\}")
        .expect("valid regex")
});
static THOUSANDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$").expect("valid regex"));
static VAR_EQ: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\\?[a-zA-Z]\w*\s*=\s*([^=]+)$").expect("valid regex"));

/// Normalises one answer string.
pub fn normalize(s: &str) -> String {
    let mut s = s.trim().to_string();
    // Delimiters and spacing commands carry no value.
    for (from, to) in [
        ("\\left", ""),
        ("\\right", ""),
        ("\\!", ""),
        ("\\,", ""),
        ("\\;", ""),
        ("\\:", ""),
        ("\\dfrac", "\\frac"),
        ("\\tfrac", "\\frac"),
        ("^{\\circ}", ""),
        ("^\\circ", ""),
        ("°", ""),
        ("\\$", ""),
        ("$", ""),
        ("\\%", "/100"),
        ("%", "/100"),
        ("\\displaystyle", ""),
    ] {
        s = s.replace(from, to);
    }
    // Units and words in \text{}: drop them when a value remains, else keep the words.
    let without = TEXT.replace_all(&s, "").trim().to_string();
    s = if without.is_empty() {
        TEXT.replace_all(&s, "$1").to_string()
    } else {
        without
    };
    let s = s.trim().trim_end_matches('.').trim().to_string();
    // 1,000 is a number, not a pair.
    if THOUSANDS.is_match(&s) {
        return s.replace(',', "");
    }
    // x = 5 -> 5.
    if let Some(c) = VAR_EQ.captures(&s) {
        return c[1].trim().to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn each_rule() {
        assert_eq!(normalize(r"\left( 1, 2 \right)"), "( 1, 2 )");
        assert_eq!(normalize(r"\dfrac{3}{4}"), r"\frac{3}{4}");
        assert_eq!(normalize(r"90^\circ"), "90");
        assert_eq!(normalize(r"90^{\circ}"), "90");
        assert_eq!(normalize(r"50\%"), "50/100");
        assert_eq!(normalize(r"5 \text{ cm}"), "5");
        assert_eq!(normalize(r"\text{(A)}"), "(A)");
        assert_eq!(normalize("1,000"), "1000");
        assert_eq!(normalize("1,000,000.5"), "1000000.5");
        assert_eq!(normalize("1,00"), "1,00");
        assert_eq!(normalize("x = 5"), "5");
        assert_eq!(normalize(r"\$18.00."), "18.00");
    }
}
