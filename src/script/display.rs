//! How values look to a person: an array of maps as an aligned table (or a Markdown table in
//! notebooks), an array of numbers (a per-layer series) as a horizontal bar chart, numbers with
//! a sensible number of digits.

use rhai::{Array, Dynamic, Map};
use std::fmt::Write;

/// Columns that lead a table when present, in this order; the rest follow alphabetically
/// (Rhai maps keep their keys sorted, so insertion order is not available).
const LEADING: [&str; 6] = ["layer", "id", "name", "model", "step", "score"];

/// Bar width of the text chart, in characters.
const BAR_WIDTH: usize = 40;

/// A number for people: integers as-is, floats with up to 4 decimals (trailing zeros trimmed),
/// very small or large floats in scientific notation.
pub fn format_float(x: f64) -> String {
    if x.is_nan() || x.is_infinite() {
        return x.to_string();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e9).contains(&a) {
        return format!("{x:.3e}");
    }
    if x.fract() == 0.0 {
        return format!("{x:.1}");
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0');
    if s.ends_with('.') {
        format!("{s}0")
    } else {
        s.to_string()
    }
}

/// One value inline: strings bare, floats via [`format_float`], arrays and maps in Rhai
/// syntax with their elements formatted the same way.
pub fn format_value(v: &Dynamic) -> String {
    if let Ok(f) = v.as_float() {
        return format_float(f);
    }
    if v.is_unit() {
        return String::new();
    }
    if let Some(arr) = v.read_lock::<Array>() {
        let items: Vec<String> = arr.iter().map(format_nested).collect();
        return format!("[{}]", items.join(", "));
    }
    if let Some(map) = v.read_lock::<Map>() {
        let items: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{k}: {}", format_nested(v)))
            .collect();
        return format!("#{{{}}}", items.join(", "));
    }
    if let Some(m) = v.read_lock::<super::api::model::ModelHandle>() {
        return m.summary();
    }
    if let Some(d) = v.read_lock::<super::api::data::DataHandle>() {
        return d.summary();
    }
    if let Some(r) = v.read_lock::<super::api::train::RunHandle>() {
        return r.summary();
    }
    v.to_string()
}

/// Inside arrays and maps strings keep their quotes and `()` is shown.
fn format_nested(v: &Dynamic) -> String {
    if v.is_string() {
        format!("{:?}", v.to_string())
    } else if v.is_unit() {
        "()".into()
    } else {
        format_value(v)
    }
}

/// The rows of an array when every element is a map (and there is at least one).
pub fn as_table(v: &Dynamic) -> Option<Vec<Map>> {
    let arr = v.read_lock::<Array>()?;
    if arr.is_empty() {
        return None;
    }
    arr.iter()
        .map(|r| r.read_lock::<Map>().map(|m| m.clone()))
        .collect()
}

/// The numbers of an array when every element is an int or a float and at least one is a
/// float: a per-layer series. All-integer arrays (layer lists such as `top_k`'s) are not.
pub fn as_series(v: &Dynamic) -> Option<Vec<f64>> {
    let arr = v.read_lock::<Array>()?;
    if !arr.iter().any(|x| x.is_float()) {
        return None;
    }
    arr.iter()
        .map(|x| {
            x.as_float()
                .ok()
                .or_else(|| x.as_int().ok().map(|i| i as f64))
        })
        .collect()
}

/// Column order for a table: `layer`, `id`, `name`, `model`, `step`, `score` first (those
/// present), then the other keys alphabetically.
pub fn column_order(rows: &Array) -> Vec<String> {
    let maps: Vec<Map> = rows
        .iter()
        .filter_map(|r| r.read_lock::<Map>().map(|m| m.clone()))
        .collect();
    columns_of(&maps)
}

fn columns_of(rows: &[Map]) -> Vec<String> {
    let mut rest: Vec<String> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !rest.iter().any(|c| c == k.as_str()) {
                rest.push(k.to_string());
            }
        }
    }
    rest.sort();
    let mut cols: Vec<String> = LEADING
        .iter()
        .filter(|l| rest.iter().any(|c| c == *l))
        .map(|l| l.to_string())
        .collect();
    rest.retain(|c| !cols.contains(c));
    cols.extend(rest);
    cols
}

fn cells(rows: &[Map]) -> (Vec<String>, Vec<Vec<String>>) {
    let cols = columns_of(rows);
    let body = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| r.get(c.as_str()).map(format_value).unwrap_or_default())
                .collect()
        })
        .collect();
    (cols, body)
}

fn is_numeric(row: &Map, col: &str) -> bool {
    row.get(col).is_some_and(|v| v.is_int() || v.is_float())
}

/// An aligned text table (numbers right-aligned).
pub fn text_table(rows: &[Map]) -> String {
    let (cols, body) = cells(rows);
    let widths: Vec<usize> = (0..cols.len())
        .map(|j| {
            body.iter()
                .map(|r| r[j].chars().count())
                .chain([cols[j].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let right: Vec<bool> = cols
        .iter()
        .map(|c| {
            rows.iter()
                .all(|r| !r.contains_key(c.as_str()) || is_numeric(r, c))
        })
        .collect();
    let mut out = String::new();
    let line = |vals: &[String], out: &mut String| {
        let parts: Vec<String> = vals
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let pad = widths[j] - v.chars().count();
                if right[j] {
                    format!("{}{v}", " ".repeat(pad))
                } else {
                    format!("{v}{}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(&cols, &mut out);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{}", rule.join("  "));
    for r in &body {
        line(r, &mut out);
    }
    out
}

/// A Markdown (GitHub) table; `|` in cells is escaped.
pub fn markdown_table(rows: &[Map]) -> String {
    let (cols, body) = cells(rows);
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    let head: Vec<String> = cols.iter().map(|c| esc(c)).collect();
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let align: Vec<&str> = cols
        .iter()
        .map(|c| {
            if rows
                .iter()
                .all(|r| !r.contains_key(c.as_str()) || is_numeric(r, c))
            {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for r in &body {
        let cells: Vec<String> = r.iter().map(|c| esc(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// A horizontal bar chart of a per-index series: one line per element, `index │bar value`.
/// Bars are scaled to the largest magnitude; negative values draw with `░`.
pub fn text_bars(values: &[f64]) -> String {
    let max = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let digits = values.len().saturating_sub(1).to_string().len();
    let mut out = String::new();
    for (i, &v) in values.iter().enumerate() {
        let n = if max > 0.0 && v.is_finite() {
            ((v.abs() / max) * BAR_WIDTH as f64).round() as usize
        } else {
            0
        };
        let bar = if v < 0.0 {
            "░".repeat(n)
        } else {
            "█".repeat(n)
        };
        let _ = writeln!(
            out,
            "{i:>digits$} │{bar}{} {}",
            " ".repeat(BAR_WIDTH - n.min(BAR_WIDTH)),
            format_float(v)
        );
    }
    out
}

/// Longest string shown whole inside a summarised map.
const MAX_TEXT: usize = 80;
/// Longest array shown whole inside a summarised map.
const MAX_ITEMS: usize = 8;

/// One field of a map as a person skims it: arrays of maps as a count with where to find them,
/// long arrays as their first items and a count, long strings cut with their length.
fn summarize_field(key: &str, v: &Dynamic) -> String {
    if let Some(arr) = v.read_lock::<Array>() {
        if !arr.is_empty() && arr.iter().all(|x| x.is_map()) {
            return format!("{} {key} (.{key})", arr.len());
        }
        if arr.len() > MAX_ITEMS {
            let head: Vec<String> = arr[..MAX_ITEMS].iter().map(format_nested).collect();
            return format!("[{}, …] ({} items, .{key})", head.join(", "), arr.len());
        }
    }
    if v.is_string() {
        let text = v.to_string();
        let n = text.chars().count();
        if n > MAX_TEXT {
            let head: String = text.chars().take(MAX_TEXT).collect();
            return format!("{head:?}… ({n} chars)");
        }
        return format!("{text:?}");
    }
    if let Some(map) = v.read_lock::<Map>() {
        let inline = format_value(v);
        if inline.chars().count() > MAX_TEXT {
            return format!("a map of {} keys (.{key})", map.len());
        }
        return inline;
    }
    format_nested(v)
}

/// A map with big values (an evaluation report with its records, a scan): one `key: value` line
/// per field, numbers and short values first, big ones summarised ([`summarize_field`]). `None`
/// when the map is small enough to print inline.
pub fn summarize_map(v: &Dynamic) -> Option<String> {
    let map = v.read_lock::<Map>()?;
    if format_value(v).chars().count() <= 2 * MAX_TEXT {
        return None;
    }
    let scalar = |x: &Dynamic| x.is_int() || x.is_float() || x.is_bool();
    let mut keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
    keys.sort_by_key(|k| !scalar(&map[*k]));
    let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for k in keys {
        let _ = writeln!(out, "{k:>width$}: {}", summarize_field(k, &map[k]));
    }
    Some(out)
}

/// A value as the REPL shows it: tables and bar charts for tables and series, big maps
/// summarised, strings quoted, `()` as nothing (returns an empty string).
pub fn render_for_terminal(v: &Dynamic) -> String {
    if let Some(rows) = as_table(v) {
        return text_table(&rows);
    }
    if let Some(series) = as_series(v) {
        return text_bars(&series);
    }
    if let Some(summary) = summarize_map(v) {
        return summary;
    }
    if v.is_string() {
        return format!("{:?}\n", v.to_string());
    }
    let s = format_value(v);
    if s.is_empty() {
        s
    } else {
        s + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Dynamic)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect()
    }

    #[test]
    fn floats_read_well() {
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(2.0), "2.0");
        assert_eq!(format_float(1.0 / 3.0), "0.3333");
        assert_eq!(format_float(1e-6), "1.000e-6");
        assert_eq!(format_float(-0.1), "-0.1");
    }

    #[test]
    fn tables_lead_with_layer_and_align() {
        let rows = vec![
            row(&[
                ("score", Dynamic::from_float(43.0)),
                ("layer", Dynamic::from_int(0)),
                ("note", "ok".into()),
            ]),
            row(&[
                ("score", Dynamic::from_float(51.25)),
                ("layer", Dynamic::from_int(10)),
                ("note", "a|b".into()),
            ]),
        ];
        let t = text_table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "layer  score  note");
        assert_eq!(lines[2], "    0   43.0  ok");
        assert_eq!(lines[3], "   10  51.25  a|b");
        let md = markdown_table(&rows);
        assert!(
            md.starts_with("| layer | score | note |\n|---:|---:|---|\n"),
            "{md}"
        );
        assert!(md.contains("| 10 | 51.25 | a\\|b |"), "{md}");
    }

    #[test]
    fn big_maps_are_summarised() {
        let record = row(&[("id", "p1".into()), ("responses", "x".repeat(500).into())]);
        let report = row(&[
            ("accuracy", Dynamic::from_float(0.25)),
            ("k", Dynamic::from_int(2)),
            (
                "records",
                Dynamic::from_array(vec![Dynamic::from_map(record); 4]),
            ),
            (
                "per_problem",
                Dynamic::from_array(vec![Dynamic::from_float(0.5); 20]),
            ),
            ("note", "y".repeat(200).into()),
        ]);
        let t = render_for_terminal(&Dynamic::from_map(report));
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "   accuracy: 0.25", "{t}");
        assert_eq!(lines[1], "          k: 2", "{t}");
        assert!(t.contains("    records: 4 records (.records)"), "{t}");
        assert!(
            t.contains(
                "per_problem: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, …] (20 items, .per_problem)"
            ),
            "{t}"
        );
        assert!(
            t.contains("… (200 chars)") && !t.contains(&"x".repeat(100)),
            "{t}"
        );
        assert!(t.lines().count() == 5, "one line per field: {t}");
        // Small maps stay inline.
        let small = Dynamic::from_map(row(&[("a", Dynamic::from_int(1))]));
        assert_eq!(render_for_terminal(&small), "#{a: 1}\n");
    }

    #[test]
    fn series_as_bars() {
        let t = text_bars(&[0.5, 1.0, -0.25]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].starts_with(&format!("1 │{}", "█".repeat(40))),
            "{t}"
        );
        assert!(lines[0].contains(&"█".repeat(20)) && lines[0].ends_with(" 0.5"));
        assert!(lines[2].contains(&"░".repeat(10)) && lines[2].ends_with(" -0.25"));
    }
}
