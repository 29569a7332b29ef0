//! The dashboard's memory of task events: every finalized block's DIN events, described as
//! `din task watch --json-lines` describes them, kept per task.
//!
//! The node's storage says where a task is now; only its events say how it got there (which
//! phases closed early, who was paid what, which subgroup was disputed). The journal starts
//! `--history-blocks` before the finalized head and follows finalized blocks from there
//! with [`Chain::follow_finalized`], which reads the blocks a dropped subscription missed,
//! so a gap in the node's stream is no gap in the journal.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};

use din_chain::{BlockEvents, Chain};
use futures::StreamExt;
use serde_json::Value;

use crate::task::events;

/// Events kept per task: enough for hundreds of rounds; the oldest go first beyond it, so
/// that a task with no end cannot grow the dashboard without bound.
pub(super) const MAX_EVENTS_PER_TASK: usize = 20_000;

/// Tasks whose events are kept: the newest (highest ids) go on, the oldest go first, so
/// that creating task after task cannot grow the dashboard without bound either.
pub(super) const MAX_TASKS_KEPT: usize = 1_000;

/// Every task's events since block [`Journal::from`].
#[derive(Debug)]
pub(super) struct Journal {
	/// The first block whose events were read.
	pub from: u64,
	/// The next block to read.
	next: u64,
	tasks: BTreeMap<u32, VecDeque<Value>>,
}

impl Journal {
	pub fn starting_at(block: u64) -> Journal {
		Journal { from: block, next: block, tasks: BTreeMap::new() }
	}

	/// Records the task events of `block`, the next block to read.
	pub fn record(&mut self, block: &BlockEvents) {
		for event in block.decoded() {
			let event = match event {
				Ok(event) => event,
				Err(error) => {
					tracing::debug!(target: "din", "#{}: an event does not decode: {error}", block.number);
					continue;
				},
			};
			if let Some(described) = events::describe(&event) {
				self.push(described.task, described.record(block.number));
			}
		}
		self.next = block.number + 1;
	}

	fn push(&mut self, task: u32, record: Value) {
		let journal = self.tasks.entry(task).or_default();
		if journal.len() == MAX_EVENTS_PER_TASK {
			journal.pop_front();
		}
		journal.push_back(record);
		if self.tasks.len() > MAX_TASKS_KEPT {
			self.tasks.pop_first();
		}
	}

	/// `task`'s events, oldest first.
	pub fn events(&self, task: u32) -> Vec<Value> {
		self.tasks
			.get(&task)
			.map(|events| events.iter().cloned().collect())
			.unwrap_or_default()
	}
}

/// Follows finalized blocks into `journal` for as long as the dashboard runs: when the
/// node cannot be reached for a while ([`Chain::follow_finalized`] gives up), it starts
/// again where the journal stopped.
pub(super) async fn follow(chain: Chain, journal: Arc<RwLock<Journal>>) {
	loop {
		let mut blocks = chain.follow_finalized(Some(read(&journal).next));
		while let Some(block) = blocks.next().await {
			match block {
				Ok(block) => write(&journal).record(&block),
				Err(error) => tracing::warn!(target: "din", "following finalized blocks: {error}"),
			}
		}
		tokio::time::sleep(din_chain::RESUBSCRIBE_DELAY).await;
	}
}

/// The journal for reading. A panic while it was held (none is expected) leaves it usable:
/// each record is one push.
pub(super) fn read(journal: &RwLock<Journal>) -> std::sync::RwLockReadGuard<'_, Journal> {
	journal.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write(journal: &RwLock<Journal>) -> std::sync::RwLockWriteGuard<'_, Journal> {
	journal.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::json;

	#[test]
	fn a_task_that_never_ends_keeps_only_its_latest_events() {
		let mut journal = Journal::starting_at(7);
		for block in 0..MAX_EVENTS_PER_TASK as u64 + 3 {
			journal.push(1, json!({ "block": block }));
		}
		journal.push(2, json!({ "block": 0 }));
		let kept = journal.events(1);
		assert_eq!(kept.len(), MAX_EVENTS_PER_TASK);
		assert_eq!(kept[0], json!({ "block": 3 }), "the oldest went first");
		assert_eq!(journal.events(2), vec![json!({ "block": 0 })], "other tasks keep theirs");
		assert!(journal.events(3).is_empty());
	}

	#[test]
	fn creating_task_after_task_keeps_only_the_newest_tasks_events() {
		let mut journal = Journal::starting_at(0);
		for task in 0..MAX_TASKS_KEPT as u32 + 2 {
			journal.push(task, json!({ "task": task }));
		}
		assert_eq!(journal.tasks.len(), MAX_TASKS_KEPT);
		assert!(journal.events(0).is_empty() && journal.events(1).is_empty(), "the oldest went");
		let newest = MAX_TASKS_KEPT as u32 + 1;
		assert_eq!(journal.events(newest), vec![json!({ "task": newest })]);
	}
}
