//! Ctrl-C without losing work: the first press asks long operations to stop at their next safe
//! point (a training run checkpoints after the step in flight, a script stops at its next
//! operation); a second press quits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Installs the Ctrl-C handler (once per process; later calls do nothing).
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("\ninterrupted again: quitting now");
                std::process::exit(130);
            }
            eprintln!("\ninterrupt: stopping after the current step (Ctrl-C again to quit now)");
        });
    });
}

/// Asks long operations to stop (what Ctrl-C does; tests call it directly).
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a stop was asked for and not yet handled.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Takes the request: true once per Ctrl-C, for the code that handles it.
pub fn take() -> bool {
    REQUESTED.swap(false, Ordering::SeqCst)
}
