//! Tab completion for the REPL: registered functions, script functions, variables in scope,
//! imported module functions (`layers::best_layers`) and `:commands`.

use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::sync::{Arc, Mutex};

/// REPL commands offered after `:`.
pub const COMMANDS: [&str; 6] = [":help", ":vars", ":load", ":save", ":quit", ":exit"];

/// The rustyline helper; `words` is refreshed by the REPL after every input.
#[derive(Default)]
pub struct ReplHelper {
    /// Everything that can be completed, sorted and deduplicated.
    pub words: Arc<Mutex<Vec<String>>>,
}

/// Completion of the word ending at `pos`: its start and the candidates that extend it.
/// Words may contain `::` (module paths) and start with `:` (commands).
pub fn complete_words(words: &[String], line: &str, pos: usize) -> (usize, Vec<String>) {
    let before = &line[..pos];
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == ':'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let prefix = &before[start..];
    // After a `.` only the name part matters (method-call style: `rows.column("x")`).
    if prefix.is_empty() && !before.ends_with('.') {
        return (pos, Vec::new());
    }
    let hits = words
        .iter()
        .filter(|w| w.starts_with(prefix) && w.as_str() != prefix)
        .cloned()
        .collect();
    (start, hits)
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let words = self.words.lock().unwrap_or_else(|e| e.into_inner());
        Ok(complete_words(&words, line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_names_modules_and_commands() {
        let words: Vec<String> = [
            "contribution",
            "contribution_table",
            "layers::best_layers",
            ":help",
            "rows",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (start, hits) = complete_words(&words, "let t = contrib", 15);
        assert_eq!(start, 8);
        assert_eq!(hits, vec!["contribution", "contribution_table"]);
        let (start, hits) = complete_words(&words, "layers::be", 10);
        assert_eq!((start, hits), (0, vec!["layers::best_layers".to_string()]));
        assert_eq!(complete_words(&words, ":he", 3).1, vec![":help"]);
        assert_eq!(complete_words(&words, "ro", 2).1, vec!["rows"]);
        assert!(complete_words(&words, "x = ", 4).1.is_empty());
    }
}
