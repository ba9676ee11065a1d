//! Tables and records on disk: CSV (numbers parsed), JSON and JSONL. Every write goes through
//! [`crate::files::write_atomic`], so a killed run never leaves a half-written results file.

use anyhow::{Context, Result};
use rhai::plugin::*;
use rhai::{Array, Dynamic, FLOAT, INT};
use std::path::Path;

/// A CSV cell as a typed value: empty → `()`, then int, float, bool, else string.
pub fn parse_cell(text: &str) -> Dynamic {
    let t = text.trim();
    if t.is_empty() {
        return Dynamic::UNIT;
    }
    if let Ok(i) = t.parse::<INT>() {
        return Dynamic::from_int(i);
    }
    if let Ok(f) = t.parse::<FLOAT>() {
        return Dynamic::from_float(f);
    }
    match t {
        "true" => Dynamic::TRUE,
        "false" => Dynamic::FALSE,
        _ => Dynamic::from(text.to_string()),
    }
}

/// A value as CSV cell text: `()` → empty, strings as-is, arrays and maps as JSON.
pub fn cell_text(v: &Dynamic) -> String {
    if v.is_unit() {
        String::new()
    } else if v.is_array() || v.is_map() {
        serde_json::to_string(v).unwrap_or_else(|_| v.to_string())
    } else {
        v.to_string()
    }
}

/// Reads a CSV file with a header row into an array of maps.
pub fn read_csv_file(path: &Path) -> Result<Array> {
    let bytes = std::fs::read(path).with_context(|| format!("opening {}", path.display()))?;
    read_csv_bytes(&bytes).with_context(|| format!("reading {}", path.display()))
}

/// CSV text (header row first; a UTF-8 byte-order mark, as Excel writes, is skipped) as an array
/// of maps with typed cells ([`parse_cell`]).
pub fn read_csv_bytes(bytes: &[u8]) -> Result<Array> {
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .context("reading the header")?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Array::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("row {}", i + 1))?;
        let map: rhai::Map = header
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.as_str().into(), parse_cell(v)))
            .collect();
        rows.push(Dynamic::from_map(map));
    }
    Ok(rows)
}

/// CSV text for `rows` (maps) with the given columns; a row missing a column gets an empty cell.
pub fn csv_text(rows: &Array, columns: &[String]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns)?;
    for (i, row) in rows.iter().enumerate() {
        let map = row
            .read_lock::<rhai::Map>()
            .with_context(|| format!("row {i} is a {}, not a map", row.type_name()))?;
        w.write_record(
            columns
                .iter()
                .map(|c| map.get(c.as_str()).map(cell_text).unwrap_or_default()),
        )?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The `io` plugin module.
#[export_module]
pub mod io_fns {
    use crate::script::convert::{from_json, to_json, RhaiResult};
    use crate::script::display::column_order;
    use crate::script::{host, script_err, OrScript};
    use anyhow::Context;
    use rhai::{Array, Dynamic, NativeCallContext};

    /// Reads a CSV file (header row first) as an array of maps; cells that look like numbers
    /// or booleans become numbers or booleans, empty cells `()`.
    ///
    /// ```rhai
    /// let rows = read_csv("results/layers.csv");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn read_csv(ctx: NativeCallContext, path: &str) -> RhaiResult<Array> {
        super::read_csv_file(&host(&ctx).resolve(path)).or_script()
    }

    /// Writes an array of maps as CSV (columns: `layer`, `id`, ... first, then the rest in
    /// alphabetical order), atomically. Returns the path written.
    #[rhai_fn(return_raw)]
    pub fn write_csv(ctx: NativeCallContext, path: &str, rows: Array) -> RhaiResult<String> {
        let columns = column_order(&rows);
        write_csv_columns(
            ctx,
            path,
            rows,
            columns.into_iter().map(Dynamic::from).collect(),
        )
    }

    /// Writes an array of maps as CSV with exactly these columns, in this order.
    #[rhai_fn(name = "write_csv", return_raw)]
    pub fn write_csv_columns(
        ctx: NativeCallContext,
        path: &str,
        rows: Array,
        columns: Array,
    ) -> RhaiResult<String> {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        let full = host(&ctx).resolve(path);
        super::csv_text(&rows, &columns)
            .and_then(|bytes| crate::files::write_atomic(&full, &bytes))
            .with_context(|| format!("writing {}", full.display()))
            .or_script()?;
        Ok(full.display().to_string())
    }

    /// Reads a JSON file (objects become maps).
    #[rhai_fn(return_raw)]
    pub fn read_json(ctx: NativeCallContext, path: &str) -> RhaiResult<Dynamic> {
        let full = host(&ctx).resolve(path);
        let text = std::fs::read_to_string(&full)
            .with_context(|| format!("reading {}", full.display()))
            .or_script()?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", full.display()))
            .or_script()?;
        from_json(&value)
    }

    /// Writes any value as pretty-printed JSON, atomically. Returns the path written.
    #[rhai_fn(return_raw)]
    pub fn write_json(ctx: NativeCallContext, path: &str, value: Dynamic) -> RhaiResult<String> {
        let full = host(&ctx).resolve(path);
        let mut text = serde_json::to_string_pretty(&to_json(&value)?)
            .map_err(|e| script_err(format!("cannot write JSON: {e}")))?;
        text.push('\n');
        crate::files::write_atomic(&full, text.as_bytes()).or_script()?;
        Ok(full.display().to_string())
    }

    /// Reads a JSONL file: one JSON value per non-empty line.
    #[rhai_fn(return_raw)]
    pub fn read_jsonl(ctx: NativeCallContext, path: &str) -> RhaiResult<Array> {
        let full = host(&ctx).resolve(path);
        let text = std::fs::read_to_string(&full)
            .with_context(|| format!("reading {}", full.display()))
            .or_script()?;
        let mut out = Array::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let value: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: invalid JSON", full.display(), i + 1))
                .or_script()?;
            out.push(from_json(&value)?);
        }
        Ok(out)
    }

    /// Writes an array as JSONL (one compact JSON value per line), atomically. Returns the
    /// path written.
    #[rhai_fn(return_raw)]
    pub fn write_jsonl(ctx: NativeCallContext, path: &str, rows: Array) -> RhaiResult<String> {
        let full = host(&ctx).resolve(path);
        let mut text = String::new();
        for row in &rows {
            let line = serde_json::to_string(&to_json(row)?)
                .map_err(|e| script_err(format!("cannot write JSON: {e}")))?;
            text.push_str(&line);
            text.push('\n');
        }
        crate::files::write_atomic(&full, text.as_bytes()).or_script()?;
        Ok(full.display().to_string())
    }

    /// Whether a file or folder exists (for resumable sweeps: skip layers already done).
    pub fn file_exists(ctx: NativeCallContext, path: &str) -> bool {
        host(&ctx).resolve(path).exists()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_from_excel_keeps_its_first_column_name() {
        let rows = super::read_csv_bytes(b"\xEF\xBB\xBFlayer,score\n3,0.5\n").unwrap();
        let row = rows[0].clone().cast::<rhai::Map>();
        assert_eq!(row["layer"].as_int(), Ok(3));
        assert_eq!(row["score"].as_float(), Ok(0.5));
        assert_eq!(row.len(), 2);
    }
}
