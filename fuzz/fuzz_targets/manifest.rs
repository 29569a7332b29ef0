//! `din_store::dag::Manifest::decode`: a manifest comes from whoever published the
//! artifact. Decoding never panics, and a manifest that decodes is one the fetcher can
//! act on without trusting its author: its size within the store's cap, exactly as many
//! blocks as the size needs, no block listed twice, and an assembly that takes no more
//! than the declared size.
#![no_main]

use din_store::{dag::Manifest, MAX_ARTIFACT_SIZE, MAX_BLOCK_SIZE};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
	let root = din_store::dag::manifest_cid(data);
	if let Ok(manifest) = Manifest::decode(&root, data) {
		assert!(manifest.size <= MAX_ARTIFACT_SIZE);
		assert_eq!(manifest.blocks.len() as u64, manifest.size.div_ceil(MAX_BLOCK_SIZE as u64));
		let distinct: BTreeSet<_> = manifest.blocks.iter().collect();
		assert_eq!(distinct.len(), manifest.blocks.len(), "a repeated block decoded");
		let declared: u64 = (0..manifest.blocks.len()).map(|i| manifest.block_len(i)).sum();
		assert_eq!(declared, manifest.size);
	}
});
