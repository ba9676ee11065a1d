//! Progress bars for long host calls (training steps, evaluation batches). Hidden when the
//! script asked for `quiet(true)`, when the host was started quiet, or when stderr is not a
//! terminal (CI logs and pipes stay clean).

use indicatif::{ProgressBar, ProgressStyle};
use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// Process-wide: one script runs per process, and host modules written later reach it without
/// threading a context through.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Hide (true) or show (false) progress bars from now on.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether progress bars are hidden by request.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A progress bar over `len` steps labelled `msg`, or a hidden one (same API, draws nothing)
/// when quiet or when stderr is not a terminal.
pub fn progress(len: u64, msg: impl Into<Cow<'static, str>>) -> ProgressBar {
    if is_quiet() || !std::io::stderr().is_terminal() {
        let bar = ProgressBar::hidden();
        bar.set_length(len);
        bar.set_message(msg);
        return bar;
    }
    let style = ProgressStyle::with_template(
        "{msg:>12} [{bar:32}] {pos}/{len} {elapsed_precise} (eta {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    ProgressBar::new(len).with_style(style).with_message(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_when_quiet() {
        set_quiet(true);
        let bar = progress(10, "train");
        set_quiet(false);
        assert!(bar.is_hidden());
        assert_eq!(bar.length(), Some(10));
    }
}
