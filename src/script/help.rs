//! `:help` from Rhai's own metadata: every registered function's signature and its `///` doc
//! comment (plugin functions carry them under the `metadata` feature), plus script functions.

use rhai::{Engine, AST};
use serde_json::Value;

/// One function overload as `:help` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDoc {
    /// Name as called, with `module::` for static modules (imports kept by the REPL).
    pub name: String,
    /// `name(param: type, ...) -> type`.
    pub signature: String,
    /// Doc comment text, `///` markers removed.
    pub doc: String,
}

fn strip_doc(lines: &[Value]) -> String {
    let text: Vec<String> = lines
        .iter()
        .filter_map(Value::as_str)
        .flat_map(|c| c.lines().map(str::to_string).collect::<Vec<_>>())
        .map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("///")
                .or_else(|| l.strip_prefix("/**"))
                .or_else(|| l.strip_prefix("*/"))
                .or_else(|| l.strip_prefix('*'))
                .unwrap_or(l);
            l.strip_prefix(' ')
                .unwrap_or(l)
                .trim_end_matches("*/")
                .trim_end()
                .to_string()
        })
        .collect();
    text.join("\n").trim().to_string()
}

/// A Rust type name as scripts know it: `RhaiResult<Array>` → `array`, `&str` → `string`,
/// `Dynamic` → `any`.
pub fn script_type(rust: &str) -> String {
    let t = rust.trim().replace(' ', "");
    let t = t.strip_prefix("&mut").unwrap_or(&t);
    let t = t.strip_prefix("rhai::").unwrap_or(t);
    let t = t.strip_prefix("std::ops::").unwrap_or(t);
    let inner = |prefix: &str, suffix: &str| {
        t.strip_prefix(prefix)
            .and_then(|x| x.strip_suffix(suffix))
            .map(str::to_string)
    };
    if let Some(x) = inner("RhaiResult<", ">")
        .or_else(|| inner("Result<", ",Box<EvalAltResult>>"))
        .or_else(|| inner("RhaiResultOf<", ">"))
    {
        return script_type(&x);
    }
    match t {
        "" | "()" => String::new(),
        "Dynamic" | "?" => "any".into(),
        "Array" | "array" => "array".into(),
        "Map" | "map" => "map".into(),
        "&str" | "str" | "String" | "ImmutableString" | "string" => "string".into(),
        "INT" | "i64" | "i32" | "int" => "int".into(),
        "FLOAT" | "f64" | "f32" | "float" => "float".into(),
        "Range<i64>" | "Range<INT>" | "ExclusiveRange" => "range".into(),
        "RangeInclusive<i64>" | "RangeInclusive<INT>" | "InclusiveRange" => "range".into(),
        other => other.to_string(),
    }
}

/// `name(p: type, ...) -> type` from a metadata JSON function entry.
fn signature(prefix: &str, name: &str, f: &Value) -> String {
    let params: Vec<String> = f["params"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let n = p["name"].as_str().unwrap_or("_");
            match p["type"].as_str().map(script_type) {
                Some(t) if !t.is_empty() => format!("{n}: {t}"),
                _ => n.to_string(),
            }
        })
        .collect();
    let ret = f["returnType"]
        .as_str()
        .map(script_type)
        .unwrap_or_default();
    let ret = if ret.is_empty() {
        String::new()
    } else {
        format!(" -> {ret}")
    };
    format!("{prefix}{name}({}){ret}", params.join(", "))
}

fn push_functions(out: &mut Vec<FnDoc>, prefix: &str, module: &Value) {
    for f in module["functions"].as_array().into_iter().flatten() {
        let name = f["name"].as_str().unwrap_or_default();
        // Operators, getters/setters and anonymous closures are not worth listing.
        if name.is_empty()
            || !name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            || name.starts_with("get$")
            || name.starts_with("set$")
            || name.starts_with("anon$")
            || f["access"].as_str() == Some("private")
        {
            continue;
        }
        out.push(FnDoc {
            name: format!("{prefix}{name}"),
            signature: signature(prefix, name, f),
            doc: strip_doc(
                f["docComments"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
            ),
        });
    }
    for (sub, m) in module["modules"].as_object().into_iter().flatten() {
        push_functions(out, &format!("{prefix}{sub}::"), m);
    }
}

/// Every documented callable: host functions, static modules and the script functions in
/// `lib`; with `std`, Rhai's standard library too. Sorted by name.
pub fn functions(engine: &Engine, lib: &AST, std: bool) -> Vec<FnDoc> {
    let json = engine
        .gen_fn_metadata_with_ast_to_json(lib, std)
        .unwrap_or_default();
    let root: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
    let mut out = Vec::new();
    push_functions(&mut out, "", &root);
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.signature.cmp(&b.signature)));
    out.dedup();
    out
}

/// The first sentence of a doc comment's first paragraph, at most ~100 characters.
fn first_sentence(doc: &str) -> String {
    let para: Vec<&str> = doc
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let para = para.join(" ");
    let end = para.find(". ").map(|i| i + 1).unwrap_or(para.len());
    let s = para[..end].trim_end();
    if s.chars().count() > 100 {
        format!("{}…", s.chars().take(99).collect::<String>())
    } else {
        s.to_string()
    }
}

/// `:help` with no name: one line per host or script function (signature and the first
/// sentence of its doc).
pub fn overview(engine: &Engine, lib: &AST) -> String {
    let mut out = String::from(
        "commands: :help [name]  :vars  :load FILE  :save FILE.md  :quit\n\nfunctions:\n",
    );
    for f in functions(engine, lib, false) {
        out.push_str(&format!("  {}\n", f.signature));
        let first = first_sentence(&f.doc);
        if !first.is_empty() {
            out.push_str(&format!("      {first}\n"));
        }
    }
    out
}

/// `:help name`: every overload of `name` (host, script or standard library) with its full
/// doc comment, or a hint with similarly named functions.
pub fn describe(engine: &Engine, lib: &AST, name: &str) -> String {
    let all = functions(engine, lib, true);
    let hits: Vec<&FnDoc> = all.iter().filter(|f| f.name == name).collect();
    if hits.is_empty() {
        let mut near: Vec<&str> = all
            .iter()
            .filter(|f| f.name.contains(name))
            .map(|f| f.name.as_str())
            .collect();
        near.dedup();
        near.truncate(12);
        return if near.is_empty() {
            format!("no function named `{name}`\n")
        } else {
            format!("no function named `{name}`; similar: {}\n", near.join(", "))
        };
    }
    let mut out = String::new();
    for (i, f) in hits.iter().enumerate() {
        if i > 0 && f.doc == hits[i - 1].doc {
            // Overloads sharing one doc: list the signature only.
            out.push_str(&format!("{}\n", f.signature));
            continue;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{}\n", f.signature));
        if !f.doc.is_empty() {
            for line in f.doc.lines() {
                match line.is_empty() {
                    true => out.push('\n'),
                    false => out.push_str(&format!("    {line}\n")),
                }
            }
        }
    }
    out
}
