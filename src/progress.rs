//! Progress of long stages (loading a snapshot, building the graph) on stderr.
//!
//! Drawn only when stderr is a terminal, progress has not been turned off with
//! [`set_enabled`]`(false)`, and the stage has run for a moment ([`REVEAL_AFTER`]): a quick
//! load draws nothing, so neither a terminal nor a test's output flickers. When stderr is not
//! a terminal or progress is off, every method is a no-op that costs a branch.
//!
//! ```no_run
//! use blastmap::progress::Progress;
//! # let principals: Vec<u32> = Vec::new();
//! let progress = Progress::bar(principals.len() as u64, "building graph");
//! for _principal in &principals {
//!     // ... lower one principal, possibly from several threads: `&Progress` is `Sync` ...
//!     progress.inc(1);
//! }
//! progress.finish();
//! ```

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a stage runs before its progress appears.
pub const REVEAL_AFTER: Duration = Duration::from_millis(300);

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns progress drawing on or off for the whole process (a `--quiet` flag, a library
/// caller that owns the terminal). Progress already on screen is not affected.
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Progress of one stage: a bar with a known length, or a spinner. Cheap to clone (the
/// clones share the bar) and `Send + Sync`, so one `&Progress` serves every worker thread.
///
/// Dropping the last clone clears the bar, as [`Progress::finish`] does: a stage that fails
/// leaves no bar above its error message.
#[derive(Clone, Default)]
pub struct Progress {
    /// `None` when nothing is drawn: stderr is not a terminal, or progress is disabled.
    shared: Option<Arc<Shared>>,
}

struct Shared {
    bar: ProgressBar,
    started: Instant,
    /// Units counted by [`Progress::inc`] and not yet handed to the bar.
    pending: AtomicU64,
    /// How many units to gather before handing them to the bar.
    batch: AtomicU64,
    revealed: AtomicBool,
}

#[derive(Clone, Copy)]
enum Unit {
    Items,
    Bytes,
}

impl Progress {
    /// A stage of `len` steps (principals, files): `msg [=====>    ] 120/4000`.
    pub fn bar(len: u64, message: impl Into<Cow<'static, str>>) -> Progress {
        Self::with_len(Some(len), Unit::Items, message.into())
    }

    /// A stage of `len` bytes (files read and parsed): `msg [=====>    ] 12.0 MiB/143.2 MiB`.
    pub fn bytes(len: u64, message: impl Into<Cow<'static, str>>) -> Progress {
        Self::with_len(Some(len), Unit::Bytes, message.into())
    }

    /// A stage of unknown length: a spinner with a count of the steps done.
    pub fn spinner(message: impl Into<Cow<'static, str>>) -> Progress {
        Self::with_len(None, Unit::Items, message.into())
    }

    /// Progress that never draws.
    pub fn hidden() -> Progress {
        Progress { shared: None }
    }

    fn with_len(len: Option<u64>, unit: Unit, message: Cow<'static, str>) -> Progress {
        if !ENABLED.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        // Hidden until the stage has run for REVEAL_AFTER; see `flush`.
        let bar = match len {
            Some(len) => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
        };
        let template = match (len, unit) {
            (Some(_), Unit::Items) => {
                "{spinner} {msg} [{bar:30}] {human_pos}/{human_len} ({elapsed})"
            }
            (Some(_), Unit::Bytes) => {
                "{spinner} {msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} ({elapsed})"
            }
            (None, Unit::Items) => "{spinner} {msg}: {human_pos} ({elapsed})",
            (None, Unit::Bytes) => "{spinner} {msg}: {binary_bytes} ({elapsed})",
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(message);
        // Hand the bar about a thousandth of its length at a time: a build that counts each
        // principal touches only an atomic counter for most of them.
        let batch = AtomicU64::new(len.map_or(1, batch_of));
        Progress {
            shared: Some(Arc::new(Shared {
                bar,
                started: Instant::now(),
                pending: AtomicU64::new(0),
                batch,
                revealed: AtomicBool::new(false),
            })),
        }
    }

    /// Counts `n` more steps (or bytes) done. Callable from any thread.
    #[inline]
    pub fn inc(&self, n: u64) {
        let Some(shared) = &self.shared else {
            return;
        };
        let before = shared.pending.fetch_add(n, Ordering::Relaxed);
        if before + n >= shared.batch.load(Ordering::Relaxed) {
            shared.flush();
        }
    }

    /// Sets the length of a bar, for a stage that learns it after it starts.
    pub fn set_length(&self, len: u64) {
        if let Some(shared) = &self.shared {
            shared.batch.store(batch_of(len), Ordering::Relaxed);
            shared.bar.set_length(len);
        }
    }

    /// Replaces the message shown before the bar.
    pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        if let Some(shared) = &self.shared {
            shared.bar.set_message(message);
        }
    }

    /// Ends the stage and clears its bar from the terminal.
    pub fn finish(&self) {
        if let Some(shared) = &self.shared {
            shared.finish();
        }
    }

    /// Whether this progress never draws (stderr is not a terminal, or progress is off):
    /// callers may then skip work that only feeds progress.
    pub fn is_hidden(&self) -> bool {
        self.shared.is_none()
    }
}

/// About a thousandth of a bar's length.
fn batch_of(len: u64) -> u64 {
    (len / 1024).max(1)
}

impl Shared {
    fn flush(&self) {
        let n = self.pending.swap(0, Ordering::Relaxed);
        if n > 0 {
            self.bar.inc(n);
        }
        if !self.revealed.load(Ordering::Relaxed)
            && self.started.elapsed() >= REVEAL_AFTER
            && !self.revealed.swap(true, Ordering::Relaxed)
            && !self.bar.is_finished()
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(120));
        }
    }

    fn finish(&self) {
        if !self.bar.is_finished() {
            self.bar.inc(self.pending.swap(0, Ordering::Relaxed));
            self.bar.finish_and_clear();
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn is_send_and_sync() {
        assert_send_sync::<Progress>();
    }

    #[test]
    fn hidden_progress_ignores_every_call() {
        let progress = Progress::hidden();
        assert!(progress.is_hidden());
        progress.inc(5);
        progress.set_message("ignored");
        progress.finish();
        progress.finish();
    }

    #[test]
    fn disabled_progress_draws_nothing() {
        set_enabled(false);
        let progress = Progress::bar(10, "stage");
        set_enabled(true);
        assert!(progress.is_hidden());
    }

    fn counting(batch: u64) -> (Progress, ProgressBar) {
        // No length: finishing a bar with one would move it to its end.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let shared = Shared {
            bar: bar.clone(),
            started: Instant::now(),
            pending: AtomicU64::new(0),
            batch: AtomicU64::new(batch),
            revealed: AtomicBool::new(false),
        };
        let progress = Progress {
            shared: Some(Arc::new(shared)),
        };
        (progress, bar)
    }

    #[test]
    fn counts_reach_the_bar_in_batches_and_at_finish() {
        let (progress, bar) = counting(4);
        (0..6).for_each(|_| progress.inc(1));
        assert_eq!(
            bar.position(),
            4,
            "one batch of four handed over, two pending"
        );
        progress.finish();
        assert_eq!(bar.position(), 6);
        assert!(bar.is_finished());
    }

    #[test]
    fn counts_from_several_threads_add_up() {
        let (progress, bar) = counting(7);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| (0..250).for_each(|_| progress.inc(1)));
            }
        });
        drop(progress);
        assert_eq!(bar.position(), 1000);
        assert!(bar.is_finished());
    }
}
