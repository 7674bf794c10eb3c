//! The progress bar of streamed runs: drawn on stderr when it is a
//! terminal, created at the first block (when the row count is known, a
//! bar; otherwise a spinner).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};

/// A bar that appears at the first progress report.
#[derive(Clone)]
pub(crate) struct Bar {
    template: String,
    bar: Arc<OnceLock<ProgressBar>>,
}

impl Bar {
    /// A bar labelled `what`, or `None` when stderr is not a terminal.
    pub(crate) fn new(what: &str) -> Option<Bar> {
        std::io::stderr().is_terminal().then(|| Bar {
            template: format!(
                "{what} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} rows ({{eta}} left)"
            ),
            bar: Arc::new(OnceLock::new()),
        })
    }

    /// Shows `done` rows of `rows`.
    pub(crate) fn set(&self, done: usize, rows: Option<usize>) {
        let b = self.bar.get_or_init(|| {
            let b = match rows {
                Some(r) => ProgressBar::new(r as u64),
                None => ProgressBar::new_spinner(),
            };
            b.set_style(
                ProgressStyle::with_template(&self.template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        b.set_position(done as u64);
    }

    /// Removes the bar.
    pub(crate) fn clear(&self) {
        if let Some(b) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}
