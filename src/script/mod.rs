//! The Rhai host: [`build_engine`] registers one plugin module per domain, `stdlib/` is served
//! to `import`, and scripts run from a file ([`run_file`]), a Markdown notebook
//! ([`run_notebook`]) or the REPL ([`repl::run_repl`]).
//!
//! Host functions return `Result<_, Box<EvalAltResult>>`; Rhai stamps the call position, and
//! [`render_error`] prints `file:line:col`, the source line and a caret. Host functions find
//! the session's [`HostContext`] in the engine's tag (see [`host`]).
//!
//! Adding a domain (model, data, train, eval): write `#[export_module] pub mod x_fns { .. }`
//! with a `///` doc on every function (the REPL's `:help` shows it), take
//! `ctx: NativeCallContext` as the first parameter when the function needs [`host`], return
//! errors with [`OrScript::or_script`] / [`host_err`], parse option maps with [`options`], show
//! long loops with [`progress::progress`], and add one line to `register_modules`.

pub mod api;
mod complete;
pub mod convert;
pub mod display;
pub mod error;
pub mod help;
pub mod notebook;
pub mod progress;
pub mod repl;
pub mod runner;
pub mod session;

pub use error::render_error;
pub use notebook::run_notebook;
pub use runner::{run_file, run_file_with, run_source};

use rhai::plugin::*;
use rhai::{Dynamic, Engine, EvalAltResult, Map, NativeCallContext};
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Rhai resource limits; 0 means unlimited. A runaway loop stops with an error once it passes
/// `max_operations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineLimits {
    /// Script operations per evaluation (0 = unlimited: training loops legitimately run long).
    pub max_operations: u64,
    /// Nested function calls (recursion depth).
    pub max_call_levels: usize,
    /// Nesting depth of expressions at top level (guards the parser's stack).
    pub max_expr_depth: usize,
    /// Nesting depth of expressions inside function bodies.
    pub max_function_expr_depth: usize,
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            max_operations: 0,
            max_call_levels: 64,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
        }
    }
}

/// Where `print`/`debug` output goes: echoed to stdout, recorded for a notebook or a test,
/// or both. Cloning shares the record.
#[derive(Debug, Clone)]
pub struct Output {
    echo: bool,
    record: Option<Arc<Mutex<String>>>,
}

impl Default for Output {
    fn default() -> Self {
        Self::stdout()
    }
}

impl Output {
    /// Print to stdout only.
    pub fn stdout() -> Self {
        Self {
            echo: true,
            record: None,
        }
    }
    /// Record only (notebooks, tests).
    pub fn capture() -> Self {
        Self {
            echo: false,
            record: Some(Arc::default()),
        }
    }
    /// Print to stdout and record (the REPL, so `:save` has what was printed).
    pub fn tee() -> Self {
        Self {
            echo: true,
            record: Some(Arc::default()),
        }
    }
    /// Whether lines reach stdout as they are printed.
    pub fn echoes(&self) -> bool {
        self.echo
    }
    /// Writes one line.
    pub fn line(&self, text: &str) {
        if self.echo {
            println!("{text}");
        }
        if let Some(rec) = &self.record {
            let mut rec = rec.lock().unwrap_or_else(|e| e.into_inner());
            rec.push_str(text);
            rec.push('\n');
        }
    }
    /// Takes what was recorded since the last call (empty when not recording).
    pub fn take(&self) -> String {
        self.record
            .as_ref()
            .map(|r| std::mem::take(&mut *r.lock().unwrap_or_else(|e| e.into_inner())))
            .unwrap_or_default()
    }
}

/// Everything host functions may need from the session: flags, `--set` parameters, the shard,
/// where output goes and where relative paths point. Cheap to clone (shared parts are `Arc`s).
#[derive(Debug, Clone, Default)]
pub struct HostContext {
    /// Hide progress bars (also settable from a script with `quiet(true)`).
    pub quiet: bool,
    /// Rhai resource limits.
    pub limits: EngineLimits,
    /// `--set key=value` parameters, already parsed (see [`api::params::parse_param`]).
    pub params: Vec<(String, Dynamic)>,
    /// `(index, count)` of this process's shard, if sharded.
    pub shard: Option<(usize, usize)>,
    /// Where `print` and `debug` go.
    pub output: Output,
    /// Directory that relative file paths in io/plot calls resolve against (None: the current
    /// directory). Notebooks set it to the notebook's folder.
    pub base_dir: Option<PathBuf>,
    /// Directory of the running script, used to find a `stdlib/` beside it.
    pub script_dir: Option<PathBuf>,
    /// Files written by plot calls since the notebook last looked (PNG first, then SVG).
    pub plots: Arc<Mutex<Vec<PathBuf>>>,
}

impl HostContext {
    /// A command-line session's context: the quiet flag and `--set key=value` parameters.
    pub fn from_cli(quiet: bool, sets: &[(String, String)]) -> Self {
        let params = sets
            .iter()
            .map(|(k, v)| (k.clone(), api::params::parse_param(v)))
            .collect();
        Self {
            quiet,
            params,
            ..Default::default()
        }
    }

    /// `path` made absolute against [`HostContext::base_dir`] when relative.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        match &self.base_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }
    /// Takes the list of plot files written since the last call.
    pub fn take_plots(&self) -> Vec<PathBuf> {
        std::mem::take(&mut *self.plots.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The session's [`HostContext`], stored in the engine's default tag by [`build_engine`].
/// Falls back to a default context for engines built elsewhere.
pub fn host(ctx: &NativeCallContext) -> HostContext {
    ctx.tag()
        .and_then(|t| t.clone().try_cast::<HostContext>())
        .unwrap_or_default()
}

/// A script error carrying `msg` (Rhai adds the call position).
pub fn script_err(msg: impl Display) -> Box<EvalAltResult> {
    msg.to_string().into()
}

/// An `anyhow` error as a script error, keeping the whole context chain (`{err:#}`).
pub fn host_err(err: anyhow::Error) -> Box<EvalAltResult> {
    format!("{err:#}").into()
}

/// `anyhow::Result` → Rhai result, for host functions: `do_work().or_script()?`.
pub trait OrScript<T> {
    /// Converts the error with [`host_err`].
    fn or_script(self) -> Result<T, Box<EvalAltResult>>;
}

impl<T> OrScript<T> for anyhow::Result<T> {
    fn or_script(self) -> Result<T, Box<EvalAltResult>> {
        self.map_err(host_err)
    }
}

/// Deserialises an option map (`#{ lr: 1e-6, group: 8 }`) into `T`. Use structs with
/// `#[serde(deny_unknown_fields)]` so a misspelt key is an error naming the valid keys:
/// "invalid train options: unknown key `lrr`; valid keys are: lr, group."
pub fn options<T: DeserializeOwned>(map: Map, what: &str) -> Result<T, Box<EvalAltResult>> {
    // Through JSON rather than Rhai's deserializer: it widens ints to floats and narrows f64 to f32
    // fields, which Rhai's own refuses.
    let json = serde_json::to_value(Dynamic::from_map(map))
        .map_err(|e| script_err(format!("invalid {what} options: {e}")))?;
    serde_json::from_value(json)
        .map_err(|e| script_err(error::options_message(what, &e.to_string())))
}

/// The per-domain plugin modules, each registered into the global namespace so scripts call
/// `read_csv(..)`, not `io::read_csv(..)`. Adding a domain is one line here.
fn register_modules(engine: &mut Engine) {
    engine.register_type_with_name::<api::model::ModelHandle>("Model");
    engine.register_type_with_name::<api::data::DataHandle>("Data");
    engine.register_type_with_name::<api::train::RunHandle>("Run");
    engine.register_global_module(exported_module!(api::params::host_fns).into());
    engine.register_global_module(exported_module!(api::analysis::analysis_fns).into());
    engine.register_global_module(exported_module!(api::io::io_fns).into());
    engine.register_global_module(exported_module!(api::plot::plot_fns).into());
    engine.register_global_module(exported_module!(api::model::model_fns).into());
    engine.register_global_module(exported_module!(api::data::data_fns).into());
    engine.register_global_module(exported_module!(api::train::train_fns).into());
    engine.register_global_module(exported_module!(api::eval::eval_fns).into());
    engine.register_global_module(exported_module!(api::scan::scan_fns).into());
}

/// Builds the engine: limits, print/debug routed to `ctx.output`, the plugin modules, the
/// `stdlib/` module resolver, and `ctx` stored as the tag that host functions read.
pub fn build_engine(ctx: HostContext) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(ctx.limits.max_operations);
    engine.set_max_call_levels(ctx.limits.max_call_levels);
    engine.set_max_expr_depths(
        ctx.limits.max_expr_depth,
        ctx.limits.max_function_expr_depth,
    );
    if ctx.quiet {
        progress::set_quiet(true);
    }
    // Ctrl-C (see `crate::interrupt`) stops a script at its next operation.
    engine.on_progress(|_| crate::interrupt::take().then(|| Dynamic::from("interrupted")));

    let out = ctx.output.clone();
    engine.on_print(move |s| out.line(s));
    let out = ctx.output.clone();
    engine.on_debug(move |s, src, pos| match (src, pos.line()) {
        (Some(src), Some(line)) => out.line(&format!("[{src}:{line}] {s}")),
        (None, Some(line)) => out.line(&format!("[line {line}] {s}")),
        _ => out.line(s),
    });

    register_modules(&mut engine);
    engine.set_module_resolver(stdlib_resolver(ctx.script_dir.as_deref()));
    engine.set_default_tag(Dynamic::from(ctx));
    engine
}

/// Where `import "name"` looks, in order: `$LAYERSCRIPT_STDLIB` (when set), a `stdlib/` folder
/// beside the script, the crate's own `stdlib/`. Then the script's folder itself (see
/// [`build_engine`]), so a script can import its neighbours.
pub fn stdlib_dirs(script_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LAYERSCRIPT_STDLIB")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    dirs.extend(script_dir.map(|d| d.join("stdlib")).filter(|d| d.is_dir()));
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib"));
    dirs
}

/// One file resolver per [`stdlib_dirs`] entry, then one relative to the script's folder; the
/// first that has the module wins.
fn stdlib_resolver(script_dir: Option<&Path>) -> rhai::module_resolvers::ModuleResolversCollection {
    use rhai::module_resolvers::{FileModuleResolver, ModuleResolversCollection};
    let mut all = ModuleResolversCollection::new();
    for dir in stdlib_dirs(script_dir) {
        all.push(FileModuleResolver::new_with_path(dir));
    }
    match script_dir {
        Some(dir) => all.push(FileModuleResolver::new_with_path(dir)),
        None => all.push(FileModuleResolver::new()),
    };
    all.push(EmbeddedStdlib);
    all
}

/// The crate's `stdlib/` modules compiled into the binary: the last resort of `import`, so an
/// installed `layerscript` finds them from any folder.
const EMBEDDED_STDLIB: [(&str, &str); 2] = [
    ("layers", include_str!("../../stdlib/layers.rhai")),
    ("paper", include_str!("../../stdlib/paper.rhai")),
];

struct EmbeddedStdlib;

impl rhai::ModuleResolver for EmbeddedStdlib {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: rhai::Position,
    ) -> Result<rhai::Shared<rhai::Module>, Box<EvalAltResult>> {
        let name = path.strip_suffix(".rhai").unwrap_or(path);
        let Some((_, text)) = EMBEDDED_STDLIB.iter().find(|(n, _)| *n == name) else {
            return Err(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos).into());
        };
        let mut ast = engine.compile(*text)?;
        ast.set_source(format!("stdlib/{name}.rhai"));
        let module = rhai::Module::eval_ast_as_new(rhai::Scope::new(), &ast, engine)?;
        Ok(module.into())
    }
}

#[cfg(test)]
mod tests;
