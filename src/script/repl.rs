//! The interactive loop. With a terminal: rustyline with history (~/.layerscript_history) and
//! tab completion. With piped stdin: the same [`Repl::feed_line`] over each line, no prompts,
//! so CI can drive it. Inputs continue over lines while brackets or a string are open (or a
//! line ends in `\`); variables and functions persist across inputs.

use super::complete::{ReplHelper, COMMANDS};
use super::display::{format_value, render_for_terminal};
use super::error::Source;
use super::notebook::{is_plot_paths, output_markdown};
use super::session::{Evaluated, Session};
use super::{help, HostContext, Output};
use anyhow::{Context, Result};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// One completed code input and its result, for `:save`.
struct Entry {
    input: String,
    result: Evaluated,
}

/// A complete input and the text to show for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Completed {
    /// The whole input (lines joined by `\n`).
    pub input: String,
    /// What to print: value, error or command output (printed text too when not echoed live).
    pub output: String,
}

/// REPL state: the session, the partial input being typed, and the transcript.
pub struct Repl {
    session: Session,
    pending: String,
    transcript: Vec<Entry>,
    count: usize,
    quit: bool,
}

/// Whether `src` is unfinished: an open bracket, string, or block comment, or a trailing `\`.
pub fn is_incomplete(src: &str) -> bool {
    if src.trim_end().ends_with('\\') {
        return true;
    }
    // A doc comment belongs to the function that follows it.
    if src
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with("///"))
    {
        return true;
    }
    let chars: Vec<char> = src.chars().collect();
    let mut depth: i64 = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut level = 1;
                i += 2;
                while i < chars.len() && level > 0 {
                    match (chars[i], chars.get(i + 1)) {
                        ('/', Some('*')) => (level, i) = (level + 1, i + 1),
                        ('*', Some('/')) => (level, i) = (level - 1, i + 1),
                        _ => {}
                    }
                    i += 1;
                }
                if level > 0 {
                    return true;
                }
                continue;
            }
            '"' | '`' | '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && c != '`' {
                        i += 1;
                    } else if chars[i] == '\n' && c != '`' {
                        break;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return true;
                }
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    depth > 0
}

impl Repl {
    /// A REPL over a new [`Session`] built from `ctx`.
    pub fn new(ctx: HostContext) -> Self {
        Self {
            session: Session::new(ctx),
            pending: String::new(),
            transcript: Vec::new(),
            count: 0,
            quit: false,
        }
    }

    /// Whether a multi-line input is being continued.
    pub fn pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Drops a half-typed input (Ctrl-C).
    pub fn cancel(&mut self) {
        self.pending.clear();
    }

    /// Whether `:quit` was entered.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Feeds one line; returns the completed input and its output once the input is complete.
    pub fn feed_line(&mut self, line: &str) -> Option<Completed> {
        let line = line.trim_end_matches(['\r', '\n']);
        let t = line.trim_start();
        if t.starts_with(':') && !t.starts_with("::") && !self.pending.is_empty() {
            // A command always runs; it drops an unfinished input (no Rhai line starts with `:`).
            self.pending.clear();
            let mut output = String::from("(unfinished input discarded)\n");
            output.push_str(&self.run_input(line));
            return Some(Completed {
                input: line.to_string(),
                output,
            });
        }
        if !self.pending.is_empty() {
            self.pending.push('\n');
        }
        self.pending.push_str(line);
        let is_command = self.pending.trim_start().starts_with(':');
        if !is_command && is_incomplete(&self.pending) {
            return None;
        }
        let input = std::mem::take(&mut self.pending);
        let output = self.run_input(&input);
        Some(Completed { input, output })
    }

    /// Runs one complete input (a `:command` or code) and returns what to show.
    pub fn run_input(&mut self, input: &str) -> String {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return String::new();
        }
        if let Some(cmd) = trimmed.strip_prefix(':') {
            return self.command(cmd);
        }
        // Trailing `\` continuations are joined as plain newlines.
        let code = input.replace("\\\n", "\n");
        self.count += 1;
        let name = format!("<repl:{}>", self.count);
        self.eval(&name, &code, true)
    }

    fn eval(&mut self, name: &str, code: &str, record: bool) -> String {
        let ev = self.session.eval(&Source {
            name: name.to_string(),
            text: code.to_string(),
            line_offset: 0,
        });
        if record {
            self.transcript.push(Entry {
                input: code.to_string(),
                result: ev.clone(),
            });
        }
        let mut out = String::new();
        if !self.session.ctx().output.echoes() {
            out.push_str(&ev.printed);
        }
        match &ev.value {
            // A plot call's [png, svg] paths are listed below as "wrote ...".
            Ok(v) if is_plot_paths(v, &ev.plots) => {}
            Ok(v) => out.push_str(&render_for_terminal(v)),
            Err(rendered) => {
                out.push_str(rendered);
                out.push('\n');
            }
        }
        for p in &ev.plots {
            out.push_str(&format!("wrote {}\n", p.display()));
        }
        out
    }

    fn command(&mut self, cmd: &str) -> String {
        let (name, arg) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
        let arg = arg.trim();
        match name {
            "help" | "h" | "?" if arg.is_empty() => {
                help::overview(self.session.engine(), self.session.lib())
            }
            "help" | "h" | "?" => help::describe(self.session.engine(), self.session.lib(), arg),
            "vars" => self.vars(),
            "quit" | "q" | "exit" => {
                self.quit = true;
                String::new()
            }
            "load" if !arg.is_empty() => match std::fs::read_to_string(arg) {
                Ok(text) => self.eval(arg, &text, true),
                Err(e) => format!("cannot read {arg}: {e}\n"),
            },
            "save" if !arg.is_empty() => match self.save(Path::new(arg)) {
                Ok(()) => format!("saved {} inputs to {arg}\n", self.transcript.len()),
                Err(e) => format!("{e:#}\n"),
            },
            "load" | "save" => format!(":{name} needs a file name\n"),
            _ => format!(
                "unknown command :{name} (commands: {})\n",
                COMMANDS.join(" ")
            ),
        }
    }

    fn vars(&self) -> String {
        let mut out = String::new();
        for (name, constant, value) in self.session.scope().iter() {
            let mut shown = format_value(&value);
            if shown.chars().count() > 60 {
                shown = shown.chars().take(57).collect::<String>() + "...";
            }
            let kind = if constant { "const " } else { "" };
            out.push_str(&format!(
                "{kind}{name}: {} = {shown}\n",
                super::convert::type_of(&value)
            ));
        }
        if out.is_empty() {
            out.push_str("(no variables)\n");
        }
        out
    }

    /// Writes the session as a Markdown notebook: each input as a ```rhai block, its output
    /// below (the format `run_notebook` writes, so the file can be run again).
    pub fn save(&self, path: &Path) -> Result<()> {
        // Image links are written relative to the notebook's folder.
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut md = String::from("# layerscript session\n\n");
        for e in &self.transcript {
            md.push_str(&format!("```rhai\n{}\n```\n\n", e.input.trim_end()));
            md.push_str(&output_markdown(&e.result, &dir));
        }
        crate::files::write_atomic(path, md.as_bytes())
    }

    /// Names for tab completion: functions (with module prefixes), variables and commands.
    pub fn completion_words(&self) -> Vec<String> {
        let mut words: Vec<String> =
            help::functions(self.session.engine(), self.session.lib(), true)
                .into_iter()
                .map(|f| f.name)
                .collect();
        words.extend(self.session.scope().iter().map(|(n, ..)| n.to_string()));
        words.extend(COMMANDS.iter().map(|c| c.to_string()));
        words.sort();
        words.dedup();
        words
    }
}

/// Runs the REPL over `input` lines (no prompts), writing outputs to `out`; stops at `:quit`
/// or end of input. This is the piped-stdin mode.
pub fn run_lines(ctx: HostContext, input: impl BufRead, mut out: impl Write) -> Result<()> {
    let mut repl = Repl::new(ctx);
    for line in input.lines() {
        let line = line.context("reading input")?;
        if let Some(done) = repl.feed_line(&line) {
            out.write_all(done.output.as_bytes())?;
            out.flush()?;
        }
        if repl.should_quit() {
            return Ok(());
        }
    }
    if repl.pending() {
        // Input ended inside an unfinished input: run it so the parser reports what is open.
        let rest = std::mem::take(&mut repl.pending);
        out.write_all(repl.run_input(&rest).as_bytes())?;
    }
    Ok(())
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".layerscript_history"))
}

/// The REPL: interactive with a terminal, line-by-line over piped stdin otherwise.
pub fn run_repl(mut ctx: HostContext) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        ctx.output = Output::tee();
        return run_lines(ctx, std::io::stdin().lock(), std::io::stdout().lock());
    }
    ctx.output = Output::tee();
    let mut repl = Repl::new(ctx);
    let helper = ReplHelper::default();
    let words = helper.words.clone();
    *words.lock().unwrap_or_else(|e| e.into_inner()) = repl.completion_words();
    // List completion (common prefix, then the candidates) rather than cycling through them.
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut rl: Editor<ReplHelper, DefaultHistory> =
        Editor::with_config(config).context("starting the line editor")?;
    rl.set_helper(Some(helper));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!("layerscript REPL: :help for functions, :quit to leave");
    loop {
        let prompt = if repl.pending() { "  ..> " } else { "ls> " };
        match rl.readline(prompt) {
            Ok(line) => {
                if let Some(done) = repl.feed_line(&line) {
                    if !done.input.trim().is_empty() {
                        let _ = rl.add_history_entry(done.input.as_str());
                    }
                    print!("{}", done.output);
                    let _ = std::io::stdout().flush();
                    *words.lock().unwrap_or_else(|e| e.into_inner()) = repl.completion_words();
                }
                if repl.should_quit() {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => repl.cancel(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading a line"),
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    Ok(())
}
