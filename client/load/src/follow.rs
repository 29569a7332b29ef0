//! What each block included: a task that follows the node's best blocks and records, per
//! block, every extrinsic with its outcome, the deadlines its `on_initialize` processed, and
//! the weight it used; the run waits on it for inclusions and for the rounds it times its
//! bursts by.

use anyhow::{anyhow, bail, Context, Result};
use din_chain::{din, Chain, TaskId, H256};
use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex},
	time::Duration,
};
use subxt::events::Phase;
use tokio::sync::watch;

/// One extrinsic of a block.
#[derive(Clone, Debug)]
pub struct Extrinsic {
	pub hash: H256,
	/// `Pallet.call`.
	pub call: String,
	/// Its `System::ExtrinsicFailed` error, if it failed.
	pub failure: Option<String>,
}

/// A block as the run saw it.
#[derive(Clone, Debug)]
pub struct BlockRecord {
	pub number: u64,
	pub extrinsics: Vec<Extrinsic>,
	/// The tasks pallet's events of `on_initialize`: the deadlines the block processed.
	pub deadlines: Vec<Deadline>,
	/// Weight used by transactions (the normal class) and by hooks (mandatory), as
	/// (ref time in ps, proof size in bytes).
	pub normal: (u64, u64),
	pub mandatory: (u64, u64),
	/// Whether a session rotated in it (`pallet-session` charges it the whole block).
	pub rotation: bool,
	/// The evaluation and rewards pallets' events of its hooks, as `Pallet.Event`
	/// (`Evaluation.SubgroupAccepted`): what the phase ends it processed decided.
	pub hook_events: Vec<String>,
	/// Its timestamp (`pallet-timestamp`), in milliseconds.
	pub timestamp_ms: u64,
}

/// A deadline transition: the tasks pallet's event and the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
	pub event: String,
	pub task: Option<TaskId>,
	/// For `PhaseChanged`: the phase entered and the block of its own deadline.
	pub phase: Option<String>,
	pub ends: Option<u64>,
}

impl BlockRecord {
	/// How many of its extrinsics are `call` (`Pallet.call`).
	pub fn count(&self, call: &str) -> usize {
		self.extrinsics.iter().filter(|e| e.call == call).count()
	}

	/// Whether its `on_initialize` processed a deadline.
	pub fn is_deadline(&self) -> bool {
		!self.deadlines.is_empty()
	}

	/// The deadlines, as `RoundStarted ×2, PhaseChanged`.
	pub fn deadline_summary(&self) -> String {
		let mut counts: Vec<(&str, usize)> = Vec::new();
		for d in &self.deadlines {
			match counts.iter_mut().find(|(e, _)| *e == d.event) {
				Some((_, n)) => *n += 1,
				None => counts.push((&d.event, 1)),
			}
		}
		let parts: Vec<String> = counts
			.into_iter()
			.map(|(e, n)| if n == 1 { e.to_string() } else { format!("{e} ×{n}") })
			.collect();
		parts.join(", ")
	}
}

/// The blocks seen so far, shared with the following task.
#[derive(Clone)]
pub struct Follower {
	blocks: Arc<Mutex<Vec<BlockRecord>>>,
	best: watch::Receiver<u64>,
}

impl Follower {
	/// Starts following `chain`'s best blocks from the current one.
	pub async fn start(chain: &Chain) -> Result<Follower> {
		let mut stream =
			chain.client().stream_best_blocks().await.context("subscribe to best blocks")?;
		let blocks: Arc<Mutex<Vec<BlockRecord>>> = Arc::new(Mutex::new(Vec::new()));
		let (tx, best) = watch::channel(0);
		let recorded = blocks.clone();
		tokio::spawn(async move {
			while let Some(block) = stream.next().await {
				let record = match block {
					Ok(block) => record(block).await,
					Err(e) => Err(anyhow!(e)),
				};
				match record {
					Ok(record) => {
						let number = record.number;
						eprintln!(
							"{}: block {number}: {} extrinsics, transactions {:.1} ms / {} KiB, \
							 hooks {:.1} ms / {} KiB, deadlines: {}",
							program(),
							record.extrinsics.len(),
							record.normal.0 as f64 / 1e9,
							record.normal.1 / 1024,
							record.mandatory.0 as f64 / 1e9,
							record.mandatory.1 / 1024,
							record.deadline_summary()
						);
						let mut blocks = recorded.lock().expect("not poisoned");
						// A new best block at a height seen before replaces that block and
						// its descendants (a re-org, or the stream announcing it again).
						blocks.retain(|b| b.number < number);
						blocks.push(record);
						let _ = tx.send(number);
					},
					Err(e) => {
						eprintln!("{}: stopped following blocks: {e:#}", program());
						return;
					},
				}
			}
		});
		Ok(Follower { blocks, best })
	}

	/// Every block seen so far, in order.
	pub fn blocks(&self) -> Vec<BlockRecord> {
		self.blocks.lock().expect("not poisoned").clone()
	}

	/// The latest block seen.
	pub fn best(&self) -> u64 {
		*self.best.borrow()
	}

	/// Waits (at most `within`) until a block that `found` accepts has been seen; returns its
	/// number.
	pub async fn wait_for(
		&self,
		what: &str,
		within: Duration,
		found: impl Fn(&BlockRecord) -> bool,
	) -> Result<u64> {
		let mut best = self.best.clone();
		let search = async {
			loop {
				if let Some(b) = self.blocks.lock().expect("not poisoned").iter().find(|b| found(b))
				{
					return Ok(b.number);
				}
				best.changed().await.map_err(|_| anyhow!("the block follower stopped"))?;
			}
		};
		tokio::time::timeout(within, search)
			.await
			.map_err(|_| anyhow!("{what}: not seen within {within:?}"))?
	}

	/// Waits (at most `within`) until every transaction of `hashes` is included, and fails
	/// naming the first that failed in its pallet.
	pub async fn included(&self, what: &str, hashes: &[H256], within: Duration) -> Result<()> {
		let mut pending: HashSet<H256> = hashes.iter().copied().collect();
		let mut seen = 0;
		let mut best = self.best.clone();
		let wait = async {
			while !pending.is_empty() {
				let blocks = self.blocks();
				for block in &blocks[seen..] {
					for e in &block.extrinsics {
						if pending.remove(&e.hash) {
							if let Some(failure) = &e.failure {
								bail!(
									"{what}: {} in block {} failed: {failure}",
									e.call,
									block.number
								);
							}
						}
					}
				}
				seen = blocks.len();
				if !pending.is_empty() {
					best.changed().await.map_err(|_| anyhow!("the block follower stopped"))?;
				}
			}
			Ok(())
		};
		match tokio::time::timeout(within, wait).await {
			Ok(result) => result,
			Err(_) => bail!(
				"{what}: {} of {} not included within {within:?}",
				pending.len(),
				hashes.len()
			),
		}
	}
}

/// What `block` included and processed.
async fn record(block: subxt::client::Block<din_chain::DinConfig>) -> Result<BlockRecord> {
	let at = block.at().await?;
	let events = at.events().fetch().await?;
	let mut failures: HashMap<u32, String> = HashMap::new();
	let mut deadlines = Vec::new();
	let mut rotation = false;
	let mut hook_events = Vec::new();
	for event in events.iter() {
		let event = event?;
		if !matches!(event.phase(), Phase::ApplyExtrinsic(_))
			&& matches!(event.pallet_name(), "Evaluation" | "Rewards")
		{
			hook_events.push(format!("{}.{}", event.pallet_name(), event.event_name()));
		}
		match event.phase() {
			Phase::ApplyExtrinsic(i) => {
				if event.pallet_name() == "System" && event.event_name() == "ExtrinsicFailed" {
					// By name (`Tasks::TooManyParticipants`), as the metadata has it.
					let error = subxt::error::DispatchError::decode_from(
						event.field_bytes(),
						at.metadata(),
					)
					.map_or_else(|e| format!("an undecodable error: {e}"), |e| e.to_string());
					failures.insert(i, error);
				}
			},
			Phase::Initialization
				if event.pallet_name() == "Session" && event.event_name() == "NewSession" =>
			{
				rotation = true;
			},
			Phase::Initialization if event.pallet_name() == "Tasks" => {
				let mut deadline = Deadline {
					event: event.event_name().to_string(),
					task: None,
					phase: None,
					ends: None,
				};
				if let Some(e) = event.decode_fields_as::<din::tasks::events::RoundStarted>() {
					deadline.task = Some(e?.task);
				} else if let Some(e) = event.decode_fields_as::<din::tasks::events::PhaseChanged>()
				{
					let e = e?;
					deadline.task = Some(e.task);
					deadline.phase = Some(format!("{:?}", e.phase));
					deadline.ends = Some(e.ends.into());
				}
				deadlines.push(deadline);
			},
			_ => {},
		}
	}
	let extrinsics = at.extrinsics().fetch().await?;
	let mut included = Vec::with_capacity(extrinsics.len());
	for (i, extrinsic) in extrinsics.iter().enumerate() {
		let extrinsic = extrinsic?;
		included.push(Extrinsic {
			hash: extrinsic.hash(),
			call: format!("{}.{}", extrinsic.pallet_name(), extrinsic.call_name()),
			failure: failures.remove(&(i as u32)),
		});
	}
	let weight = at.storage().fetch(din::storage().system().block_weight(), ()).await?.decode()?;
	let timestamp_ms = at.storage().fetch(din::storage().timestamp().now(), ()).await?.decode()?;
	Ok(BlockRecord {
		number: block.number(),
		extrinsics: included,
		deadlines,
		normal: (weight.normal.ref_time, weight.normal.proof_size),
		mandatory: (weight.mandatory.ref_time, weight.mandatory.proof_size),
		rotation,
		hook_events,
		timestamp_ms,
	})
}

/// The running binary's name (din-load or din-scale), which prefixes the follower's lines.
fn program() -> String {
	std::env::args()
		.next()
		.as_deref()
		.map(std::path::Path::new)
		.and_then(|path| path.file_name())
		.map_or_else(|| "din-load".into(), |name| name.to_string_lossy().into_owned())
}
