//! Markdown notebooks: the ```rhai blocks of `FILE.md` run in order in one persistent session;
//! `FILE.out.md` is the same document with each block's output below it: printed text, tables
//! (arrays of maps) as Markdown tables, series as text bar charts, and `![](x.png)` for plots.
//! The first error is written under its block and stops the run (the file is still written).

use super::api::plot::absolute;
use super::display::{as_series, as_table, format_value, markdown_table, summarize_map, text_bars};
use super::error::Source;
use super::session::{Evaluated, Session};
use super::{HostContext, Output};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// A fenced ```rhai block: its code and the 1-based line of the opening fence.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Code between the fences.
    pub code: String,
    /// Line number of the opening fence in the file.
    pub fence_line: usize,
    /// Index in the document's lines of the closing fence (output goes after it).
    pub close_index: usize,
}

/// The ```rhai (or ~~~rhai) blocks of a Markdown document. An unclosed block runs to the end.
pub fn rhai_blocks(lines: &[&str]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let fence: String = t.chars().take_while(|&c| c == '`' || c == '~').collect();
        let is_fence = fence.len() >= 3
            && fence
                .chars()
                .all(|c| c == fence.chars().next().unwrap_or('`'));
        if !is_fence {
            i += 1;
            continue;
        }
        let info = t[fence.len()..].trim();
        let start = i;
        i += 1;
        while i < lines.len() && !lines[i].trim_start().starts_with(fence.as_str()) {
            i += 1;
        }
        if info.split_whitespace().next() == Some("rhai") {
            blocks.push(Block {
                code: lines[start + 1..i.min(lines.len())].join("\n"),
                fence_line: start + 1,
                close_index: i.min(lines.len().saturating_sub(1)),
            });
        }
        i += 1;
    }
    blocks
}

/// `path` relative to `dir` when inside it (for image links beside the notebook).
fn relative(path: &Path, dir: &Path) -> String {
    let dir = absolute(dir);
    path.strip_prefix(&dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Whether `v` is only the paths a plot call returned (the image link already shows them).
pub(crate) fn is_plot_paths(v: &rhai::Dynamic, plots: &[PathBuf]) -> bool {
    let is_plot = |x: &rhai::Dynamic| {
        x.is_string() && plots.contains(&absolute(Path::new(x.to_string().as_str())))
    };
    match v.read_lock::<rhai::Array>() {
        Some(arr) => !arr.is_empty() && arr.iter().all(is_plot),
        None => is_plot(v),
    }
}

/// The Markdown shown under one block (or one REPL input in a saved session).
pub fn output_markdown(ev: &Evaluated, dir: &Path) -> String {
    let mut out = String::new();
    if !ev.printed.is_empty() {
        out.push_str(&format!("```text\n{}```\n\n", ev.printed));
    }
    match &ev.value {
        Ok(v) if v.is_unit() => {}
        Ok(v) => {
            if let Some(rows) = as_table(v) {
                out.push_str(&markdown_table(&rows));
                out.push('\n');
            } else if let Some(series) = as_series(v) {
                out.push_str(&format!("```text\n{}```\n\n", text_bars(&series)));
            } else if let Some(summary) = summarize_map(v) {
                out.push_str(&format!("```text\n{summary}```\n\n"));
            } else if !is_plot_paths(v, &ev.plots) {
                out.push_str(&format!("```text\n=> {}\n```\n\n", format_value(v)));
            }
        }
        Err(rendered) => {
            out.push_str(&format!("**Error**\n\n```text\n{rendered}\n```\n\n"));
        }
    }
    for p in ev
        .plots
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
    {
        out.push_str(&format!("![]({})\n\n", relative(p, dir)));
    }
    out
}

/// The output path for a notebook: `x.md` → `x.out.md`.
pub fn output_path(path: &Path) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!("{stem}.out.md"))
}

/// Runs the notebook at `path` and writes `FILE.out.md` beside it; returns its path. Relative
/// paths in the notebook (CSV files, plot stems) resolve against the notebook's folder. After
/// an error the output file is still written and the error is returned.
pub fn run_notebook(path: &Path) -> Result<PathBuf> {
    run_notebook_with(HostContext::default(), path)
}

/// [`run_notebook`] with a context (quiet flag, limits, parameters); its output, base and script
/// folders are replaced.
pub fn run_notebook_with(mut ctx: HostContext, path: &Path) -> Result<PathBuf> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading notebook {}", path.display()))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    ctx.output = Output::capture();
    ctx.base_dir = Some(dir.clone());
    ctx.script_dir = Some(dir.clone());
    let mut session = Session::new(ctx);

    let lines: Vec<&str> = text.lines().collect();
    let blocks = rhai_blocks(&lines);
    let name = path.display().to_string();
    let mut out = String::new();
    let mut next = 0;
    let mut failure = None;
    for block in &blocks {
        for line in &lines[next..=block.close_index] {
            out.push_str(line);
            out.push('\n');
        }
        next = block.close_index + 1;
        let ev = session.eval(&Source {
            name: name.clone(),
            text: block.code.clone(),
            line_offset: block.fence_line,
        });
        let shown = output_markdown(&ev, &dir);
        if !shown.is_empty() {
            out.push('\n');
            out.push_str(shown.trim_end());
            out.push('\n');
        }
        if let Err(rendered) = ev.value {
            failure = Some(rendered);
            break;
        }
    }
    for line in &lines[next.min(lines.len())..] {
        out.push_str(line);
        out.push('\n');
    }
    let out_path = output_path(path);
    crate::files::write_atomic(&out_path, out.as_bytes())?;
    if let Some(rendered) = failure {
        bail!(
            "{rendered}\n(notebook output written to {})",
            out_path.display()
        );
    }
    Ok(out_path)
}
