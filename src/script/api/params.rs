//! Script-side view of the host: `--set` parameters, the shard this process runs, and quiet
//! mode for progress bars.

use rhai::plugin::*;
use rhai::{Dynamic, FLOAT, INT};

/// `--set key=value` text as a typed value: int, then float, then bool, else string
/// (surrounding quotes are removed, so `--set name='"42"'` stays the string 42).
pub fn parse_param(text: &str) -> Dynamic {
    let t = text.trim();
    if let Ok(i) = t.parse::<INT>() {
        return Dynamic::from_int(i);
    }
    if let Ok(f) = t.parse::<FLOAT>() {
        return Dynamic::from_float(f);
    }
    match t {
        "true" => return Dynamic::TRUE,
        "false" => return Dynamic::FALSE,
        _ => {}
    }
    let unquoted = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(t);
    Dynamic::from(unquoted.to_string())
}

/// A parameter converted towards the type of its default where that loses nothing a user
/// meant: int → float, number/bool → string.
pub fn coerce_like(value: Dynamic, default: &Dynamic) -> Dynamic {
    if default.is_float() {
        if let Ok(i) = value.as_int() {
            return Dynamic::from_float(i as FLOAT);
        }
    }
    if default.is_string() && !value.is_string() {
        return Dynamic::from(value.to_string());
    }
    value
}

/// Whether `key` can be a Rhai variable name (so `--set k=5` can become a constant `k`).
pub fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The `host` plugin module.
#[export_module]
pub mod host_fns {
    use crate::script::{host, progress};
    use rhai::{Array, Dynamic, Map, NativeCallContext, INT};

    /// The value of `--set key=...`, or `default` when it was not set. A set value is
    /// converted towards the default's type (an int becomes a float when the default is a float).
    ///
    /// ```rhai
    /// let k = param("k", 5);
    /// let lr = param("lr", 1e-6);
    /// ```
    pub fn param(ctx: NativeCallContext, key: &str, default: Dynamic) -> Dynamic {
        match host(&ctx).params.iter().rev().find(|(k, _)| k == key) {
            Some((_, v)) => super::coerce_like(v.clone(), &default),
            None => default,
        }
    }

    /// Every `--set` parameter as a map.
    pub fn params(ctx: NativeCallContext) -> Map {
        host(&ctx)
            .params
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .collect()
    }

    /// This process's shard as `#{index, count}` (`#{index: 0, count: 1}` when not sharded).
    pub fn shard(ctx: NativeCallContext) -> Map {
        let (i, n) = host(&ctx).shard.unwrap_or((0, 1));
        let mut m = Map::new();
        m.insert("index".into(), Dynamic::from_int(i as INT));
        m.insert("count".into(), Dynamic::from_int(n as INT));
        m
    }

    /// This shard's share of `items`, round-robin: items i with i % count == index.
    ///
    /// ```rhai
    /// for layer in shard_items(range(0, 28)) { /* train layer */ }
    /// ```
    pub fn shard_items(ctx: NativeCallContext, items: Array) -> Array {
        let (index, count) = host(&ctx).shard.unwrap_or((0, 1));
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| count > 0 && i % count == index)
            .map(|(_, v)| v)
            .collect()
    }

    /// This shard's share of a range (`shard_items(0..28)`), round-robin, as an array.
    #[rhai_fn(name = "shard_items")]
    pub fn shard_range(ctx: NativeCallContext, items: std::ops::Range<INT>) -> Array {
        shard_items(ctx, items.map(Dynamic::from_int).collect())
    }

    /// This shard's share of an inclusive range (`shard_items(0..=27)`), round-robin.
    #[rhai_fn(name = "shard_items")]
    pub fn shard_range_inclusive(
        ctx: NativeCallContext,
        items: std::ops::RangeInclusive<INT>,
    ) -> Array {
        shard_items(ctx, items.map(Dynamic::from_int).collect())
    }

    /// Hide (true) or show (false) progress bars for the rest of the run.
    pub fn quiet(flag: bool) {
        progress::set_quiet(flag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_values() {
        assert_eq!(parse_param("5").as_int(), Ok(5));
        assert_eq!(parse_param("1e-6").as_float(), Ok(1e-6));
        assert_eq!(parse_param("0.5").as_float(), Ok(0.5));
        assert_eq!(parse_param("true").as_bool(), Ok(true));
        assert_eq!(parse_param("qwen3").into_string().unwrap(), "qwen3");
        assert_eq!(parse_param("\"42\"").into_string().unwrap(), "42");
        assert!(coerce_like(Dynamic::from_int(2), &Dynamic::from_float(1.0)).is_float());
        assert!(coerce_like(Dynamic::from_int(2), &Dynamic::from("x".to_string())).is_string());
        assert!(is_identifier("lr_2") && !is_identifier("2lr") && !is_identifier("a-b"));
    }
}
