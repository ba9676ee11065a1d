//! Host tests: engine, errors and options; REPL sessions; notebooks; plots; the runner.

mod api;
mod engine;
mod errors;
mod notebook;
mod plots;
mod repl;
mod runner;

use super::error::Source;
use super::session::Session;
use super::{HostContext, Output};
use rhai::Dynamic;
use std::path::PathBuf;

/// A fresh, empty folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("layerscript-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The hand-made per-layer table (see tests/fixtures/analysis/README.md).
pub fn fixture_csv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/analysis/layer_scores.csv")
}

/// A capturing session.
pub fn session() -> Session {
    Session::new(HostContext {
        output: Output::capture(),
        ..HostContext::default()
    })
}

/// Evaluates `code` as `test.rhai` in `s`.
pub fn eval_in(s: &mut Session, code: &str) -> Result<Dynamic, String> {
    s.eval(&Source {
        name: "test.rhai".into(),
        text: code.into(),
        line_offset: 0,
    })
    .value
}

/// Evaluates `code` in a fresh session.
pub fn eval(code: &str) -> Result<Dynamic, String> {
    eval_in(&mut session(), code)
}

/// Evaluates `code` and expects an error; returns its rendering.
pub fn eval_err(code: &str) -> String {
    match eval(code) {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// A float result.
pub fn float(code: &str) -> f64 {
    eval(code)
        .unwrap_or_else(|e| panic!("{e}"))
        .as_float()
        .unwrap()
}
