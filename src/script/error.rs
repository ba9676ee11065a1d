//! Script errors as a person reads them: the message, `file:line:col`, the source line and a
//! caret under the column, then the chain of function calls that led there.

use regex::Regex;
use rhai::{EvalAltResult, Position};
use std::fmt::Write;
use std::path::Path;
use std::sync::LazyLock;

/// A piece of source text that positions refer to.
#[derive(Debug, Clone)]
pub struct Source {
    /// Shown as the file part of `file:line:col`.
    pub name: String,
    /// The text that was compiled.
    pub text: String,
    /// Added to line numbers when shown (a notebook block starts part-way into its file).
    pub line_offset: usize,
}

/// Renders `err` against the script it came from:
///
/// ```text
/// error: layer 31 out of range: model has 28 layers (0..=27)
///  --> exp.rhai:3:9
///   |
/// 3 | let m = model.layer(31);
///   |         ^
///   = note: in function `pick`, called at exp.rhai:7:1
/// ```
pub fn render_error(source_name: &str, source_text: &str, err: &EvalAltResult) -> String {
    let src = Source {
        name: source_name.to_string(),
        text: source_text.to_string(),
        line_offset: 0,
    };
    render_error_in(&src, err, &|_, _| None)
}

/// [`render_error`] with a lookup for the source of a script function that failed:
/// `lookup(fn_source, fn_name)` (the REPL knows which earlier input defined a function).
/// Functions from other files (imported modules) are read from disk when `lookup` has nothing.
pub fn render_error_in(
    src: &Source,
    err: &EvalAltResult,
    lookup: &dyn Fn(&str, &str) -> Option<Source>,
) -> String {
    let mut notes = Vec::new();
    let mut cur = src.clone();
    let mut e = err;
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(name, fn_src, inner, pos) => {
                notes.push(format!(
                    "in function `{name}`, called at {}",
                    location(&cur, *pos)
                ));
                let elsewhere = !fn_src.is_empty() && *fn_src != cur.name;
                cur = lookup(fn_src, name)
                    .or_else(|| elsewhere.then(|| file_source(fn_src)).flatten())
                    .unwrap_or(cur);
                e = inner;
            }
            EvalAltResult::ErrorInModule(path, inner, pos) => {
                notes.push(format!(
                    "while loading module `{path}`, imported at {}",
                    location(&cur, *pos)
                ));
                cur = lookup(path, "")
                    .or_else(|| file_source(path))
                    .unwrap_or(Source {
                        name: path.clone(),
                        text: String::new(),
                        line_offset: 0,
                    });
                e = inner;
            }
            _ => break,
        }
    }

    let mut out = format!("error: {}\n", message(e));
    let pos = e.position();
    if let (Some(line), Some(col)) = (pos.line(), pos.position()) {
        snippet(&mut out, &cur, line, col);
    } else if let Some(line) = pos.line() {
        let _ = writeln!(out, " --> {}:{}", cur.name, line + cur.line_offset);
    }
    // Innermost call first, as in a backtrace.
    for note in notes.iter().rev() {
        let _ = writeln!(out, "  = note: {note}");
    }
    out.truncate(out.trim_end().len());
    out
}

/// `file:line:col`, or just the file name when the position is unknown.
fn location(src: &Source, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{}:{}:{c}", src.name, l + src.line_offset),
        (Some(l), None) => format!("{}:{}", src.name, l + src.line_offset),
        _ => src.name.clone(),
    }
}

fn snippet(out: &mut String, src: &Source, line: usize, col: usize) {
    let shown = line + src.line_offset;
    let gutter = " ".repeat(shown.to_string().len());
    let _ = writeln!(out, "{gutter}--> {}:{shown}:{col}", src.name);
    let Some(text) = src.text.split('\n').nth(line - 1) else {
        return;
    };
    let text = text.trim_end_matches('\r');
    // Keep tabs in the caret's indent so it lines up under tabbed source.
    let indent: String = text
        .chars()
        .take(col.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{shown} | {text}");
    let _ = writeln!(out, "{gutter} | {indent}^");
}

/// A file named by a module or function source; `.rhai` is tried when the name has none.
fn file_source(name: &str) -> Option<Source> {
    let p = Path::new(name);
    let text = std::fs::read_to_string(p)
        .or_else(|_| std::fs::read_to_string(p.with_extension("rhai")))
        .ok()?;
    Some(Source {
        name: name.to_string(),
        text,
        line_offset: 0,
    })
}

/// The error's own sentence, without Rhai's "(line x, position y)" suffix; host errors (thrown
/// strings) are shown as written.
pub fn message(err: &EvalAltResult) -> String {
    match err {
        EvalAltResult::ErrorRuntime(v, _) if v.is_string() => v.to_string(),
        EvalAltResult::ErrorTooManyOperations(_) => {
            "too many operations: the script ran past its max_operations limit \
             (a runaway loop?)"
                .to_string()
        }
        EvalAltResult::ErrorTerminated(_, _) => "interrupted (Ctrl-C)".to_string(),
        EvalAltResult::ErrorStackOverflow(_) => {
            "stack overflow: calls nested deeper than max_call_levels (runaway recursion?)"
                .to_string()
        }
        _ => {
            let full = err.to_string();
            let suffix = format!(" ({})", err.position());
            let msg = full.strip_suffix(&suffix).unwrap_or(&full);
            msg.strip_prefix("Syntax error: ")
                .unwrap_or(msg)
                .to_string()
        }
    }
}

static UNKNOWN_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"unknown field `([^`]*)`, (?:expected (.*)|there are no fields)").unwrap()
});
static MISSING_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"missing field `([^`]*)`").unwrap());
static BACKTICKED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]*)`").unwrap());

/// One sentence for a failed option-map deserialisation. `raw` is the error's [`message`]
/// (for a typo, serde's "unknown field `lrr`, expected one of `lr`, `group`").
pub fn options_message(what: &str, raw: &str) -> String {
    let raw = raw.strip_prefix("Syntax error: ").unwrap_or(raw).trim();
    if let Some(c) = UNKNOWN_FIELD.captures(raw) {
        let key = &c[1];
        return match c.get(2) {
            Some(list) => {
                let keys: Vec<&str> = BACKTICKED
                    .captures_iter(list.as_str())
                    .filter_map(|k| k.get(1).map(|m| m.as_str()))
                    .collect();
                format!(
                    "invalid {what} options: unknown key `{key}`; valid keys are: {}.",
                    keys.join(", ")
                )
            }
            None => format!("invalid {what} options: unknown key `{key}`; it takes no keys."),
        };
    }
    if let Some(c) = MISSING_FIELD.captures(raw) {
        return format!("invalid {what} options: the key `{}` is required.", &c[1]);
    }
    if let Some(rest) = raw.strip_prefix("Output type incorrect: ") {
        // Rhai words it "<wanted> (expecting <given>)"; say it the other way round.
        if let Some((wanted, given)) = rest.split_once(" (expecting ") {
            let given = given.trim_end_matches(')');
            return format!(
                "invalid {what} options: a value is a {given} where a {wanted} is needed."
            );
        }
    }
    format!("invalid {what} options: {raw}.")
}
