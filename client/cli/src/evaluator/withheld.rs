//! Artifacts an evaluator has committed to but not yet published. An aggregate published
//! while commits are open could be copied by a lazy panel member (every store peer near its
//! CID receives its provider record), so the daemon keeps it under
//! `<state-dir>/withheld/` and publishes it in the reveal phase, before its reveal.

use std::path::Path;

use anyhow::Context;
use din_store::Store;

/// Where, under the state directory, committed artifacts wait for the reveal phase.
const WITHHELD_DIR: &str = "withheld";

/// Keeps `bytes`, an artifact this evaluator is about to commit to, unpublished under
/// `state_dir` until [`publish`]; returns its CID, the one the store will give it.
pub(super) fn withhold(state_dir: &Path, bytes: &[u8]) -> anyhow::Result<String> {
	let cid = din_fl::content::artifact_cid(bytes);
	crate::state::write_atomically(&state_dir.join(WITHHELD_DIR).join(&cid), bytes)?;
	Ok(cid)
}

/// Publishes the withheld artifact `cid` (stores, pins and announces it) and drops the
/// withheld copy. Without a withheld copy it was published already (by a run before a
/// restart), and there is nothing to do.
pub(super) async fn publish(state_dir: &Path, store: &Store, cid: &str) -> anyhow::Result<()> {
	let path = state_dir.join(WITHHELD_DIR).join(cid);
	let bytes = match std::fs::read(&path) {
		Ok(bytes) => bytes,
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
		Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
	};
	let stored = store.put(bytes).await?;
	anyhow::ensure!(
		stored.to_string() == cid,
		"the store gave withheld artifact {cid} the CID {stored}"
	);
	std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
	Ok(())
}
