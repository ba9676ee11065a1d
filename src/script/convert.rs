//! Conversions between Rhai values and the plain Rust shapes `analysis` works on, with errors
//! that say which element was wrong.

use super::script_err;
use crate::analysis::Record;
use rhai::{Array, Dynamic, EvalAltResult, Map, FLOAT, INT};

/// Result type of host functions.
pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A number (integer or float) as `f64`; `what` names it in the error.
pub fn num(v: &Dynamic, what: &str) -> RhaiResult<f64> {
    if let Ok(f) = v.as_float() {
        return Ok(f);
    }
    if let Ok(i) = v.as_int() {
        return Ok(i as f64);
    }
    Err(script_err(format!(
        "{what} must be a number, got {}",
        type_of(v)
    )))
}

/// Every element of `arr` as `f64`.
pub fn nums(arr: &Array, what: &str) -> RhaiResult<Vec<f64>> {
    arr.iter()
        .enumerate()
        .map(|(i, v)| num(v, &format!("{what}[{i}]")))
        .collect()
}

/// A non-negative integer as `usize`.
pub fn count(v: INT, what: &str) -> RhaiResult<usize> {
    usize::try_from(v).map_err(|_| script_err(format!("{what} must be >= 0, got {v}")))
}

/// `f64`s as a Rhai array of floats.
pub fn float_array(v: impl IntoIterator<Item = f64>) -> Array {
    v.into_iter()
        .map(|x| Dynamic::from_float(x as FLOAT))
        .collect()
}

/// Indices as a Rhai array of integers.
pub fn int_array(v: impl IntoIterator<Item = usize>) -> Array {
    v.into_iter().map(|x| Dynamic::from_int(x as INT)).collect()
}

/// Rhai's name for a value's type, as scripts see it (`string`, `map`, `f64`...).
pub fn type_of(v: &Dynamic) -> String {
    v.type_name().rsplit("::").next().unwrap_or("?").to_string()
}

/// `row` as an object map; `what` names it in the error.
pub fn as_map(row: &Dynamic, what: &str) -> RhaiResult<rhai::Map> {
    row.read_lock::<Map>().map(|m| m.clone()).ok_or_else(|| {
        script_err(format!(
            "{what} must be an object map, got {}",
            type_of(row)
        ))
    })
}

/// The value of `key` in every row (rows must be maps that have it).
pub fn column(rows: &Array, key: &str) -> RhaiResult<Vec<Dynamic>> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let map = as_map(row, &format!("row {i}"))?;
            map.get(key).cloned().ok_or_else(|| {
                let keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
                script_err(format!(
                    "row {i} has no `{key}` column (it has: {})",
                    keys.join(", ")
                ))
            })
        })
        .collect()
}

/// The numbers in column `key`.
pub fn num_column(rows: &Array, key: &str) -> RhaiResult<Vec<f64>> {
    column(rows, key)?
        .iter()
        .enumerate()
        .map(|(i, v)| num(v, &format!("row {i} `{key}`")))
        .collect()
}

/// A scalar as the text it stands for (`()` → None): answers may be strings or numbers.
fn answer(v: &Dynamic) -> Option<String> {
    if v.is_unit() {
        None
    } else {
        Some(v.to_string())
    }
}

/// An evaluation record map: `id` (string or int), `correct` (bool or array of bools),
/// and `answers` (array) or `answer` (one value); other keys (responses...) are ignored.
pub fn record(v: &Dynamic, what: &str) -> RhaiResult<Record> {
    let map = as_map(v, what)?;
    let id = map
        .get("id")
        .map(|v| v.to_string())
        .ok_or_else(|| script_err(format!("{what} has no `id`")))?;
    let flag = |v: &Dynamic, i: usize| {
        v.as_bool()
            .map_err(|t| script_err(format!("{what} `correct`[{i}] must be a bool, got {t}")))
    };
    let correct = match map.get("correct") {
        None => Vec::new(),
        Some(c) if c.is_array() => c
            .read_lock::<Array>()
            .map(|a| a.iter().enumerate().map(|(i, v)| flag(v, i)).collect())
            .unwrap_or(Ok(Vec::new()))?,
        Some(c) => vec![flag(c, 0)?],
    };
    let answers = match (map.get("answers"), map.get("answer")) {
        (Some(a), _) if a.is_array() => a
            .read_lock::<Array>()
            .map(|a| a.iter().map(answer).collect())
            .unwrap_or_default(),
        (Some(a), _) | (None, Some(a)) => vec![answer(a)],
        (None, None) => Vec::new(),
    };
    Ok(Record {
        id,
        correct,
        answers,
    })
}

/// Every element of `arr` as a [`Record`].
pub fn records(arr: &Array, what: &str) -> RhaiResult<Vec<Record>> {
    arr.iter()
        .enumerate()
        .map(|(i, v)| record(v, &format!("{what}[{i}]")))
        .collect()
}

/// A Rhai value as JSON (maps → objects, arrays → arrays, `()` → null).
pub fn to_json(v: &Dynamic) -> RhaiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| script_err(format!("cannot convert to JSON: {e}")))
}

/// JSON as a Rhai value (objects → maps; integers stay integers).
pub fn from_json(v: &serde_json::Value) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(v)
}

/// Integers under `keys` turned into floats (option structs take `f64`; scripts write `1`).
pub fn floatify(map: &mut Map, keys: &[&str]) {
    for key in keys {
        if let Some(i) = map.get(*key).and_then(|v| v.as_int().ok()) {
            map.insert((*key).into(), Dynamic::from_float(i as FLOAT));
        }
    }
}

/// Rejects keys of an option map that are not in `valid`, naming the valid ones.
pub fn check_keys(map: &Map, what: &str, valid: &[&str]) -> RhaiResult<()> {
    match map.keys().find(|k| !valid.contains(&k.as_str())) {
        Some(k) => Err(script_err(format!(
            "invalid {what} options: unknown key `{k}`; valid keys are: {}.",
            valid.join(", ")
        ))),
        None => Ok(()),
    }
}
