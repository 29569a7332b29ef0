//! Artifacts a daemon has committed to on chain but not yet published, kept under
//! `<state-dir>/withheld/` until their phase comes (every store peer near a CID receives its
//! provider record, so what is published is public):
//! - a participant's update, until Training has closed: published earlier, its values could
//!   be re-encoded under a copier's name and submitted as the copier's own;
//! - an evaluator's aggregate or global model, until the reveal phase: published while
//!   commits are open, it could be committed to by a lazy panel member.

use std::path::Path;

use anyhow::Context;
use din_store::Store;

/// Where, under the state directory, committed artifacts wait for the reveal phase.
const WITHHELD_DIR: &str = "withheld";

/// Keeps `bytes`, an artifact this daemon is about to commit to, unpublished under
/// `state_dir` until [`publish`]; returns its CID, the one the store will give it.
pub fn withhold(state_dir: &Path, bytes: &[u8]) -> anyhow::Result<String> {
	let cid = din_fl::content::artifact_cid(bytes);
	crate::state::write_atomically(&state_dir.join(WITHHELD_DIR).join(&cid), bytes)?;
	Ok(cid)
}

/// Publishes the withheld artifact `cid` (stores, pins and announces it) and drops the
/// withheld copy; returns whether it did. Without a withheld copy it was published already
/// (by a run before a restart), and there is nothing to do.
pub async fn publish(state_dir: &Path, store: &Store, cid: &str) -> anyhow::Result<bool> {
	let path = state_dir.join(WITHHELD_DIR).join(cid);
	let bytes = match std::fs::read(&path) {
		Ok(bytes) => bytes,
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
		Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
	};
	let stored = store.put(bytes).await?;
	anyhow::ensure!(
		stored.to_string() == cid,
		"the store gave withheld artifact {cid} the CID {stored}"
	);
	std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
	Ok(true)
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Attacks: a lazy panel member watches the store for the aggregates its panel publishes
	/// and commits to one without aggregating; a copier watches it for the updates of the
	/// round and submits one re-encoded under its own name. What a daemon commits to is not
	/// in its store (so no peer can fetch or learn it) until `publish`, which stores it
	/// under the CID committed to.
	#[tokio::test]
	async fn an_artifact_is_withheld_from_the_store_until_published() {
		let state = tempfile::tempdir().unwrap();
		let dir = tempfile::tempdir().unwrap();
		let mut config = din_store::StoreConfig::new(dir.path());
		config.announce_on_start = false;
		let store = Store::start(config).await.unwrap();
		let bytes = din_store::testing::pseudo_random_bytes(600_000, 7);
		let cid = withhold(state.path(), &bytes).unwrap();
		let parsed = din_store::parse_cid(&cid).unwrap();
		assert!(!store.blockstore().has_block(&parsed), "not in the store before its phase");
		assert!(publish(state.path(), &store, &cid).await.unwrap());
		assert!(store.blockstore().has_block(&parsed));
		assert_eq!(store.get(&parsed).await.unwrap(), bytes);
		// Published once: a second call (a restart after publishing) does nothing.
		assert!(!publish(state.path(), &store, &cid).await.unwrap());
	}
}
