//! Python-compatible helpers that transformers gives chat templates: `strftime_now` and
//! `tojson` (Python's `json.dumps`, not minijinja's HTML-safe compact `tojson`).

use minijinja::value::{Kwargs, Rest};
use minijinja::{Error, ErrorKind, Value};

/// transformers' `strftime_now(format)`: the current time formatted like Python's `strftime`
/// (UTC).
pub(super) fn strftime_now(format: String) -> Result<Value, Error> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(Value::from(strftime(secs, &format)))
}

/// Python-style `strftime` of a Unix time (UTC) for the common codes (`%Y %y %m %d %e %H %I %M
/// %S %p %b %B %a %A %j %%`, and glibc's `%-d` style unpadded forms); other codes are kept
/// literally.
pub(super) fn strftime(unix_secs: i64, format: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let days = unix_secs.div_euclid(86_400);
    let sod = unix_secs.rem_euclid(86_400);
    let (hour, minute, second) = (sod / 3600, sod % 3600 / 60, sod % 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy_mar = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy_mar + 2) / 153;
    let day = doy_mar - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const CUM: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = CUM[(month - 1) as usize] + day + i64::from(leap && month > 2);
    let weekday = (days + 4).rem_euclid(7) as usize;
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = chars.next();
        let unpadded = spec == Some('-');
        if unpadded {
            spec = chars.next();
        }
        let num = |v: i64, width: usize| {
            if unpadded {
                v.to_string()
            } else {
                format!("{v:0width$}")
            }
        };
        let s = match spec {
            Some('Y') => year.to_string(),
            Some('y') => num(year.rem_euclid(100), 2),
            Some('m') => num(month, 2),
            Some('d') => num(day, 2),
            Some('e') => format!("{day:2}"),
            Some('H') => num(hour, 2),
            Some('I') => num(hour12, 2),
            Some('M') => num(minute, 2),
            Some('S') => num(second, 2),
            Some('j') => num(yday, 3),
            Some('p') => (if hour < 12 { "AM" } else { "PM" }).to_string(),
            Some('B') => MONTHS[(month - 1) as usize].to_string(),
            Some('b') => MONTHS[(month - 1) as usize][..3].to_string(),
            Some('A') => DAYS[weekday].to_string(),
            Some('a') => DAYS[weekday][..3].to_string(),
            Some('%') => "%".to_string(),
            Some(other) => format!("%{}{other}", if unpadded { "-" } else { "" }),
            None => format!("%{}", if unpadded { "-" } else { "" }),
        };
        out.push_str(&s);
    }
    out
}

/// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`,
/// i.e. Python's `json.dumps` with those arguments (positional in that order, or by keyword).
pub(super) fn tojson(value: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    if args.0.len() > 4 {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            "tojson takes at most 4 positional arguments",
        ));
    }
    let pick = |pos: usize, key: &str| -> Result<Option<Value>, Error> {
        let v = match kwargs.get::<Option<Value>>(key)? {
            Some(v) => Some(v),
            None => args.0.get(pos).cloned(),
        };
        Ok(v.filter(|v| !v.is_none() && !v.is_undefined()))
    };
    let ensure_ascii = pick(0, "ensure_ascii")?.is_some_and(|v| v.is_true());
    let indent = pick(1, "indent")?;
    let separators = pick(2, "separators")?;
    let sort_keys = pick(3, "sort_keys")?.is_some_and(|v| v.is_true());
    kwargs.assert_all_used()?;
    let bad = |what: &str| Error::new(ErrorKind::InvalidOperation, format!("tojson: {what}"));
    let indent: Option<Vec<u8>> = match indent {
        None => None,
        Some(v) => Some(match v.as_str() {
            Some(s) => s.as_bytes().to_vec(),
            None => {
                let n = i64::try_from(v).map_err(|_| bad("indent must be an int or a string"))?;
                vec![b' '; n.max(0) as usize]
            }
        }),
    };
    let (item, key) = match separators {
        Some(v) => {
            let parts: Vec<String> = v
                .try_iter()
                .map_err(|_| bad("separators must be a pair of strings"))?
                .map(|s| s.as_str().map(String::from))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("separators must be a pair of strings"))?;
            match <[String; 2]>::try_from(parts) {
                Ok([item, key]) => (item, key),
                Err(_) => return Err(bad("separators must be a pair of strings")),
            }
        }
        None if indent.is_some() => (",".to_string(), ": ".to_string()),
        None => (", ".to_string(), ": ".to_string()),
    };
    let fmt = PyFormatter {
        item: item.into_bytes(),
        key: key.into_bytes(),
        indent,
        level: 0,
        has_value: false,
    };
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    let written = if sort_keys {
        let mut json = serde_json::to_value(value).map_err(|e| bad(&e.to_string()))?;
        sort_json(&mut json);
        serde::Serialize::serialize(&json, &mut ser)
    } else {
        serde::Serialize::serialize(value, &mut ser)
    };
    written.map_err(|e| {
        Error::new(ErrorKind::InvalidOperation, "tojson: cannot serialize").with_source(e)
    })?;
    let s = String::from_utf8(out).map_err(|_| bad("not UTF-8"))?;
    Ok(Value::from(if ensure_ascii { ascii_escape(&s) } else { s }))
}

/// Sorts every object's keys (Python's `sort_keys=True`).
fn sort_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.sort_keys();
            m.values_mut().for_each(sort_json);
        }
        serde_json::Value::Array(xs) => xs.iter_mut().for_each(sort_json),
        _ => {}
    }
}

/// Python's `ensure_ascii=True`: non-ASCII characters as `\uXXXX` (UTF-16, lowercase hex).
/// Non-ASCII text only occurs inside JSON strings, so escaping the whole output is safe.
fn ascii_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// `json.dumps` layout: `item`/`key` separators, and with `indent` one item per line.
struct PyFormatter {
    item: Vec<u8>,
    key: Vec<u8>,
    indent: Option<Vec<u8>>,
    level: usize,
    has_value: bool,
}

impl PyFormatter {
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.level = self.level.saturating_sub(1);
        if let (Some(ind), true) = (&self.indent, self.has_value) {
            w.write_all(b"\n")?;
            for _ in 0..self.level {
                w.write_all(ind)?;
            }
        }
        w.write_all(bracket)
    }

    fn item_start<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if !first {
            w.write_all(&self.item)?;
        }
        if let Some(ind) = &self.indent {
            w.write_all(b"\n")?;
            for _ in 0..self.level {
                w.write_all(ind)?;
            }
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for PyFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item_start(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item_start(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(&self.key)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
