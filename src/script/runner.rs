//! `layerscript run FILE --set k=v --shard i/n`: one script, run to the end or to its first
//! error (rendered with file, line, column and caret).

use super::error::Source;
use super::session::Session;
use super::HostContext;
use anyhow::{ensure, Context, Result};
use std::path::Path;

/// Runs the script at `path` with `--set` parameters (visible as `param("key", default)` and,
/// for identifier keys, as constants) and an optional `(index, count)` shard.
pub fn run_file(
    path: &Path,
    sets: &[(String, String)],
    shard: Option<(usize, usize)>,
) -> Result<()> {
    let ctx = HostContext {
        shard,
        ..HostContext::from_cli(false, sets)
    };
    run_file_with(ctx, path)
}

/// [`run_file`] with a full context (quiet flag, limits, output capture).
/// `ctx.script_dir` is set to the script's folder.
pub fn run_file_with(mut ctx: HostContext, path: &Path) -> Result<()> {
    if let Some((i, n)) = ctx.shard {
        ensure!(
            n >= 1 && i < n,
            "shard {i}/{n} is invalid: need 0 <= index < count"
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading script {}", path.display()))?;
    ctx.script_dir = Some(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    );
    run_source(ctx, &path.display().to_string(), text)
}

/// Runs script `text` (named `name` in error messages) to the end or to its first error.
pub fn run_source(ctx: HostContext, name: &str, text: String) -> Result<()> {
    let mut session = Session::new(ctx);
    let src = Source {
        name: name.to_string(),
        text,
        line_offset: 0,
    };
    let ev = session.eval(&src);
    if !session.ctx().output.echoes() {
        print!("{}", ev.printed);
    }
    match ev.value {
        Ok(_) => Ok(()),
        Err(rendered) => Err(ScriptError(rendered).into()),
    }
}

/// A script's error, already rendered (`error: ...`, `file:line:col`, the source line, a caret):
/// printed as it is.
#[derive(Debug)]
pub struct ScriptError(pub String);

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScriptError {}

/// Parses `--shard i/n` (e.g. `2/8`), or `--shard auto`: the task of a Slurm job array
/// ([`slurm_shard`]).
pub fn parse_shard(text: &str) -> Result<(usize, usize)> {
    if text.trim() == "auto" {
        return slurm_shard(|k| std::env::var(k).ok());
    }
    let (i, n) = text
        .split_once('/')
        .with_context(|| format!("--shard {text:?}: expected INDEX/COUNT, e.g. 0/4"))?;
    let i: usize = i
        .trim()
        .parse()
        .with_context(|| format!("--shard {text:?}: bad index"))?;
    let n: usize = n
        .trim()
        .parse()
        .with_context(|| format!("--shard {text:?}: bad count"))?;
    ensure!(n >= 1 && i < n, "--shard {text:?}: need 0 <= index < count");
    Ok((i, n))
}

/// The shard of a Slurm job-array task: index `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` (the
/// minimum is 0 when unset) of `SLURM_ARRAY_TASK_COUNT`; an error naming the variable when one is
/// unset or not a number. `var` reads the environment.
pub fn slurm_shard(var: impl Fn(&str) -> Option<String>) -> Result<(usize, usize)> {
    let num = |k: &str, required: bool| -> Result<Option<usize>> {
        match var(k) {
            Some(v) => Ok(Some(v.trim().parse().with_context(|| {
                format!("--shard auto: {k}={v:?} is not a number")
            })?)),
            None if required => anyhow::bail!(
                "--shard auto: {k} is not set (it is set inside a Slurm job array, \
                 `sbatch --array=0-27`); give --shard INDEX/COUNT elsewhere"
            ),
            None => Ok(None),
        }
    };
    let id = num("SLURM_ARRAY_TASK_ID", true)?.unwrap_or(0);
    let count = num("SLURM_ARRAY_TASK_COUNT", true)?.unwrap_or(1);
    let min = num("SLURM_ARRAY_TASK_MIN", false)?.unwrap_or(0);
    ensure!(
        id >= min && id - min < count,
        "--shard auto: SLURM_ARRAY_TASK_ID {id} is outside the array ({min}, {count} tasks)"
    );
    Ok((id - min, count))
}

/// Parses `--set key=value` into `(key, value)`.
pub fn parse_set(text: &str) -> Result<(String, String)> {
    let (k, v) = text
        .split_once('=')
        .with_context(|| format!("--set {text:?}: expected key=value"))?;
    ensure!(!k.trim().is_empty(), "--set {text:?}: empty key");
    Ok((k.trim().to_string(), v.to_string()))
}
