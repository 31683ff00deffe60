//! A progress line on stderr, only on a terminal, for phases that take longer than a second:
//! the phase's name appears once it has run a second and goes when it ends.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sphere::{Progress, ProgressFn};

/// How long a phase runs before its line appears.
const AFTER: Duration = Duration::from_secs(1);

#[derive(Default)]
struct State {
    /// The phase running, since when, and whether its line is shown.
    current: Option<(&'static str, Instant, bool)>,
}

/// The progress line; does nothing when stderr is not a terminal.
#[derive(Clone)]
pub struct Line {
    state: Option<Arc<Mutex<State>>>,
}

impl Line {
    pub fn new() -> Line {
        if !std::io::stderr().is_terminal() {
            return Line { state: None };
        }
        let state = Arc::new(Mutex::new(State::default()));
        let ticker = Arc::clone(&state);
        // Shows a phase's line once it has run `AFTER`; ends with the process.
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let Ok(mut s) = ticker.lock() else { return };
            if let Some((label, since, shown)) = &mut s.current {
                if !*shown && since.elapsed() >= AFTER {
                    *shown = true;
                    eprint!("{label}…");
                    let _ = std::io::stderr().flush();
                }
            }
        });
        Line { state: Some(state) }
    }

    pub fn start(&self, label: &'static str) {
        self.finish();
        if let Some(state) = &self.state {
            if let Ok(mut s) = state.lock() {
                s.current = Some((label, Instant::now(), false));
            }
        }
    }

    pub fn finish(&self) {
        if let Some(state) = &self.state {
            if let Ok(mut s) = state.lock() {
                if let Some((_, _, true)) = s.current.take() {
                    // Back to the start of the line, and clear it.
                    eprint!("\r\x1b[K");
                }
            }
        }
    }

    /// The callback the library calls at each phase of an evaluation.
    pub fn callback(&self) -> Option<ProgressFn> {
        self.state.as_ref()?;
        let line = self.clone();
        Some(Arc::new(move |p: Progress| match p {
            Progress::Started(phase) => line.start(phase.describe()),
            Progress::Finished(_) => line.finish(),
        }))
    }
}
