//! A daemon's progress on disk, so that a killed daemon resumes without submitting twice
//! or missing a reveal.
//!
//! The rule every daemon follows: **write the state, then submit**. A salt, a CID or a
//! committed hash is saved before the transaction that depends on it is sent; after a
//! crash the daemon finds it again, asks the chain whether the transaction landed, and
//! either skips it or sends it again. Files are replaced atomically (write a temporary
//! file, fsync, rename), so a crash mid-write leaves the previous state.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{de::DeserializeOwned, Serialize};

/// A JSON document persisted at one path.
#[derive(Debug)]
pub struct StateFile<T> {
	path: PathBuf,
	/// The current state; call [`StateFile::save`] after changing it.
	pub value: T,
}

impl<T: Serialize + DeserializeOwned + Default> StateFile<T> {
	/// Loads `path`, or starts from the default if it does not exist yet.
	pub fn open(path: impl Into<PathBuf>) -> anyhow::Result<Self> {
		let path = path.into();
		let value = match std::fs::read(&path) {
			Ok(bytes) => serde_json::from_slice(&bytes)
				.with_context(|| format!("state file {} is corrupt", path.display()))?,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => T::default(),
			Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
		};
		Ok(Self { path, value })
	}

	/// Replaces the file with the current state, atomically.
	pub fn save(&self) -> anyhow::Result<()> {
		write_atomically(&self.path, &serde_json::to_vec_pretty(&self.value)?)
	}
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
	}
	let tmp = path.with_extension("tmp");
	let mut file =
		std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
	file.write_all(bytes)?;
	file.sync_all()?;
	std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::collections::BTreeMap;

	#[test]
	fn state_survives_reopening_and_corruption_is_an_error() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("sub/state.json");
		let mut state = StateFile::<BTreeMap<u32, String>>::open(&path).unwrap();
		assert!(state.value.is_empty());
		state.value.insert(3, "bafy".into());
		state.save().unwrap();
		assert_eq!(StateFile::<BTreeMap<u32, String>>::open(&path).unwrap().value, state.value);
		std::fs::write(&path, b"{not json").unwrap();
		assert!(StateFile::<BTreeMap<u32, String>>::open(&path).is_err());
	}
}
