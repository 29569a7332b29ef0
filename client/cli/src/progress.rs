//! Progress on a terminal: a spinner with the step's name and the time it has taken, for
//! the steps that keep a user waiting without a line to show (the Groth16 setup, a proof,
//! waiting for a phase). Nothing at all when stderr is not a terminal, so that log files
//! and pipes get the log lines only, and no escape codes.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner on stderr while a step runs; cleared when dropped.
pub struct Progress(Option<ProgressBar>);

impl Progress {
	/// Starts a spinner saying `message`, if stderr is a terminal.
	pub fn spinner(message: impl Into<Cow<'static, str>>) -> Self {
		Self::spinner_on(std::io::stderr().is_terminal(), message)
	}

	fn spinner_on(terminal: bool, message: impl Into<Cow<'static, str>>) -> Self {
		if !terminal {
			return Self(None);
		}
		let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
		// A fixed template: it parses, or the crate is broken.
		if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
			bar.set_style(style);
		}
		bar.set_message(message);
		bar.enable_steady_tick(Duration::from_millis(120));
		Self(Some(bar))
	}

	/// Whether anything is drawn.
	pub fn is_visible(&self) -> bool {
		self.0.is_some()
	}

	/// Replaces the message (a block number that moved on, a step that began).
	pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
		if let Some(bar) = &self.0 {
			bar.set_message(message);
		}
	}

	/// Replaces the spinner with the line `message` on the terminal.
	pub fn finish(self, message: impl Into<Cow<'static, str>>) {
		if let Some(bar) = &self.0 {
			bar.finish_and_clear();
			eprintln!("{}", message.into());
		}
	}
}

impl Drop for Progress {
	fn drop(&mut self) {
		if let Some(bar) = &self.0 {
			if !bar.is_finished() {
				bar.finish_and_clear();
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn nothing_is_drawn_off_a_terminal() {
		let progress = Progress::spinner_on(false, "Groth16 setup");
		assert!(!progress.is_visible());
		progress.set_message("still nothing");
		progress.finish("done");
	}

	#[test]
	fn a_terminal_gets_a_spinner() {
		let progress = Progress::spinner_on(true, "Groth16 setup");
		assert!(progress.is_visible());
	}
}
