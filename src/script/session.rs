//! One persistent evaluation context, shared by the runner, notebooks and the REPL: variables
//! live in a `Scope`, each input's functions are merged into one AST (as rhai's own
//! `rhai-repl` does), and `import "x" as y;` stays bound for later inputs.

use super::api::params::is_identifier;
use super::error::{render_error_in, Source};
use super::{build_engine, HostContext};
use regex::Regex;
use rhai::{Dynamic, Engine, EvalAltResult, Position, Scope, AST};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;

/// The result of one input.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// What `print`/`debug` recorded during the input (empty when output is only echoed).
    pub printed: String,
    /// The input's value, or the rendered error (see [`super::render_error`]).
    pub value: Result<Dynamic, String>,
    /// Plot files written during the input (PNG and SVG).
    pub plots: Vec<PathBuf>,
}

/// A persistent scope + function library + imports over one engine.
pub struct Session {
    engine: Engine,
    scope: Scope<'static>,
    /// Script functions defined so far (statements are dropped after each input).
    lib: AST,
    ctx: HostContext,
    /// Which input defined each script function, for error snippets.
    fn_sources: HashMap<String, Source>,
}

/// Top-level `import "path" as alias;` statements.
static IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*import\s+"([^"]+)"\s+as\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:;|$)"#).unwrap()
});

impl Session {
    /// A session over [`build_engine`]`(ctx)`, with each `--set` parameter whose key is an
    /// identifier pushed as a constant.
    pub fn new(ctx: HostContext) -> Self {
        let engine = build_engine(ctx.clone());
        let mut scope = Scope::new();
        for (k, v) in &ctx.params {
            if is_identifier(k) {
                scope.push_constant_dynamic(k.clone(), v.clone());
            }
        }
        Self {
            engine,
            scope,
            lib: AST::empty(),
            ctx,
            fn_sources: HashMap::new(),
        }
    }

    /// The engine (for help and completion).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Variables defined so far.
    pub fn scope(&self) -> &Scope<'static> {
        &self.scope
    }

    /// Script functions defined so far.
    pub fn lib(&self) -> &AST {
        &self.lib
    }

    /// The host context the engine was built with.
    pub fn ctx(&self) -> &HostContext {
        &self.ctx
    }

    /// Compiles and runs `src` in the persistent scope. Never panics on script input; errors
    /// come back rendered against `src`.
    pub fn eval(&mut self, src: &Source) -> Evaluated {
        let value = self.eval_raw(src).map_err(|err| self.render(src, &err));
        Evaluated {
            printed: self.ctx.output.take(),
            value,
            plots: self.ctx.take_plots(),
        }
    }

    fn eval_raw(&mut self, src: &Source) -> Result<Dynamic, Box<EvalAltResult>> {
        let mut ast = self.engine.compile_with_scope(&self.scope, &src.text)?;
        ast.set_source(src.name.as_str());
        for f in ast.iter_functions() {
            self.fn_sources.insert(f.name.to_string(), src.clone());
        }
        self.lib += ast;
        self.lib.set_source(src.name.as_str());
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &self.lib);
        self.lib.clear_statements();
        let value = result?;
        self.keep_imports(&src.text)?;
        Ok(value)
    }

    /// Re-registers this input's top-level imports as static modules, so `alias::f()` keeps
    /// working in later inputs (each evaluation otherwise starts with no imports).
    fn keep_imports(&mut self, text: &str) -> Result<(), Box<EvalAltResult>> {
        for cap in IMPORT.captures_iter(text) {
            let module = self.engine.module_resolver().resolve(
                &self.engine,
                None,
                &cap[1],
                Position::NONE,
            )?;
            self.engine.register_static_module(&cap[2], module);
        }
        Ok(())
    }

    /// The file behind an imported module's id (its import path), searched like the resolver
    /// does: the stdlib folders, then the script's folder.
    fn module_source(&self, id: &str) -> Option<Source> {
        let script_dir = self.ctx.script_dir.as_deref();
        let mut candidates: Vec<PathBuf> = super::stdlib_dirs(script_dir)
            .iter()
            .map(|d| d.join(id))
            .collect();
        candidates.extend(script_dir.map(|d| d.join(id)));
        candidates.push(PathBuf::from(id));
        candidates.into_iter().find_map(|p| {
            let p = if p.extension().is_some() {
                p
            } else {
                p.with_extension("rhai")
            };
            let text = std::fs::read_to_string(&p).ok()?;
            Some(Source {
                name: p.display().to_string(),
                text,
                line_offset: 0,
            })
        })
    }

    fn render(&self, src: &Source, err: &EvalAltResult) -> String {
        // A function defined by an earlier input reports the current input as its source;
        // look it up by name instead. Module functions carry their file path.
        let lookup = |fn_src: &str, name: &str| {
            if fn_src.is_empty() || fn_src == src.name {
                self.fn_sources.get(name).cloned()
            } else {
                self.module_source(fn_src)
            }
        };
        render_error_in(src, err, &lookup)
    }
}
