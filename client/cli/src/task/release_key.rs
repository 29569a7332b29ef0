//! `din task release-key`: the owner releases the test-set key in the Scoring phase.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use din_chain::types::TaskPhase;

use super::{owner_file, OwnerFile};
use crate::common::{ChainArgs, SignerArgs};
use crate::follow::Follower;
use crate::invalid;

pub(super) async fn release_key(
	task: u32,
	owner_dir: &Path,
	wait: bool,
	signer: SignerArgs,
	chain: ChainArgs,
) -> anyhow::Result<()> {
	let path = owner_file(owner_dir, task);
	let file: OwnerFile = serde_json::from_slice(
		&std::fs::read(&path).with_context(|| format!("reading owner file {}", path.display()))?,
	)?;
	let key =
		hex::decode(&file.test_key).map_err(|_| invalid!("owner file: test_key is not hex"))?;
	let signer = signer.signer()?;
	let chain = chain.connect_following().await?;
	let mut follower = Follower::new(Duration::from_millis(500));
	let progress = crate::progress::Progress::spinner(format!("task {task}: waiting for Scoring"));
	loop {
		let number = follower.next(&chain).await;
		let info = crate::common::existing_task(&chain, task).await?;
		match info.phase {
			TaskPhase::Scoring => break,
			TaskPhase::Rewarding | TaskPhase::Finished | TaskPhase::Cancelled => {
				return Err(invalid!("task {task} is past its Scoring phase ({:?})", info.phase))
			},
			phase if !wait => {
				return Err(invalid!("task {task} is in {phase:?}, not Scoring (use --wait)"))
			},
			phase => {
				tracing::debug!(target: "din", "block #{number}: waiting for Scoring");
				progress.set_message(format!(
					"task {task}: waiting for Scoring (round {} {phase:?}, block #{number})",
					info.round + 1
				));
			},
		}
	}
	drop(progress);
	chain.release_test_key(&signer, task, key).await?;
	println!("released the test-set key of task {task}");
	Ok(())
}
