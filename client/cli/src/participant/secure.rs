//! A participant's side of a secure-aggregation round (`AggregationRule::SecureFedAvg`),
//! one step per block as the chain's record allows (pallet-din-tasks' `secure.rs`):
//!
//! 1. once per task, register its share key ([`share_keys`]);
//! 2. as the round starts, advertise a fresh round key and seal Shamir shares of its self
//!    seed and round key secret for every other eligible member of its subgroup;
//! 3. once the key set is final, train, mask the update against every member that
//!    advertised, publish the masked update (it says nothing alone, so it need not be
//!    withheld) and submit it;
//! 4. once the uploads are final, fetch and pin every other member's masked update (so that
//!    an upload outlives its member's store: a member that drops out after uploading is what
//!    the hand-over recovers from), then hand over its share of each uploader's self seed and
//!    of each non-uploader's round key secret.
//!
//! The round's secrets live in memory only: a daemon restarted in the middle of a round
//! counts as dropped for that round (its subgroup still aggregates while a majority of its
//! eligible members hand over) and takes part again from the next.

use super::*;
use din_secagg::{
	artifact::MaskedUpdate,
	duty::{masked_commitment, Record},
	keys::KeyPair,
	member::{threshold, Member},
	unmask::Handover,
	Context,
};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// How long a member waits for another member's masked update before handing over without
/// holding it.
const UPLOAD_FETCH_TIMEOUT: Duration = Duration::from_secs(6);

/// This daemon's round of a secure task, from its advertisement to its hand-over.
pub(super) struct SecureRound {
	round: u32,
	/// `None`: this daemon sits the round out (not eligible, or advertised before a restart).
	member: Option<Member>,
	share_publics: Vec<[u8; 32]>,
	uploaded: bool,
	handed: bool,
}

/// The share key of the account `suri` signs for, in `task`: derived from the secret, so
/// that a restarted daemon opens the shares sealed to the key it registered.
pub(super) fn share_keys(suri: &str, task: u32) -> KeyPair {
	let seed: [u8; 32] = Sha256::new()
		.chain_update(b"din/secagg/share-key/v1")
		.chain_update(suri.as_bytes())
		.chain_update(task.to_le_bytes())
		.finalize()
		.into();
	KeyPair::from_secret(seed)
}

/// The bundle `key`'s member sealed for member `to` (none for itself): bundles are in member
/// order, the sender's own place skipped.
fn sealed_for(key: &din_chain::types::RoundKey, to: u32) -> Option<Vec<u8>> {
	let index = match to.cmp(&key.member) {
		std::cmp::Ordering::Less => to,
		std::cmp::Ordering::Equal => return None,
		std::cmp::Ordering::Greater => to - 1,
	};
	key.sealed.0.get(index as usize).map(|sealed| sealed.to_vec())
}

impl Daemon {
	fn share_keys(&self) -> anyhow::Result<KeyPair> {
		Ok(share_keys(&self.args.signer.secret_uri()?, self.args.task))
	}

	/// Registers this participant's share key for the task, unless it did already.
	pub(super) async fn register_share_key(&self) -> anyhow::Result<()> {
		let task = self.args.task;
		let public = self.share_keys()?.public();
		match self.chain.share_key(task, &self.me).await? {
			Some((registered, _)) if registered == public => Ok(()),
			Some(_) => Err(invalid!(
				"task {task} has another share key of this account (registered with another secret \
				 URI?): this daemon could not open its shares"
			)),
			None => {
				self.chain.register_share_key(&self.signer, task, public).await?;
				tracing::info!(target: "din", "registered the share key of task {task}");
				Ok(())
			},
		}
	}

	/// One block's step of the current round of a secure task (module docs).
	pub(super) async fn secure_step(
		&mut self,
		info: &din_chain::types::TaskInfo,
		block: u64,
	) -> anyhow::Result<()> {
		let (task, round) = (self.args.task, info.round);
		let subgroup = match self.chain.assignment(task, &self.me).await? {
			Some((assigned, subgroup)) if assigned == round => subgroup,
			_ => return Ok(()), // not in this round's snapshot
		};
		let Some(view) = self.chain.secure_round(task, round, subgroup).await? else {
			return Ok(());
		};
		// A transaction sent now lands in the next block at the earliest.
		let next = block + 1;
		if self.secure.as_ref().map(|s| s.round) != Some(round) {
			self.secure = Some(self.advertise(&view, round, subgroup, next).await?);
			return Ok(());
		}
		let state = self.secure.as_mut().expect("set above");
		let Some(member) = state.member.as_ref() else { return Ok(()) };
		let progress = &view.progress;
		if !state.uploaded {
			let keys_final =
				progress.advertised.count_ones() >= progress.eligible || next >= view.key_cutoff;
			if !keys_final || next >= view.upload_cutoff {
				return Ok(());
			}
			if progress.advertised.count_ones() < din_primitives::MIN_SECURE_SUBGROUP {
				tracing::warn!(target: "din", "round {}: only {} members advertised: too few to mask an update", round + 1, progress.advertised.count_ones());
				state.member = None;
				return Ok(());
			}
			let publics: Vec<(u32, [u8; 32])> =
				view.keys.iter().map(|(_, key)| (key.member, key.public)).collect();
			let trained_from =
				crate::common::trained_from(&self.chain, &self.store, task, info, round).await?;
			let update = self.train(info, round, trained_from).await?;
			let state = self.secure.as_mut().expect("set above");
			let member = state.member.as_ref().expect("checked above");
			let words = member.mask(&update.values, update.num_samples, &publics)?;
			let artifact = MaskedUpdate {
				schema_hash: update.schema_hash,
				author: update.author,
				num_samples: update.num_samples,
				words,
			}
			.encode();
			let commitment = masked_commitment(&artifact);
			let cid = self.store.put(artifact).await?;
			self.chain
				.submit_update(
					&self.signer,
					task,
					round,
					&cid_to_chain(&cid),
					H256(commitment),
					update.num_samples,
				)
				.await?;
			state.uploaded = true;
			self.metrics.updates_submitted.inc();
			tracing::info!(target: "din", "round {}: submitted the masked update {cid}", round + 1);
			return Ok(());
		}
		if !state.handed {
			let uploads_final =
				progress.uploaded == progress.advertised || next >= view.upload_cutoff;
			if !uploads_final {
				return Ok(());
			}
			if self.args.attack == Some(Attack::SkipHandOver) {
				tracing::info!(target: "din", "round {}: drops out before its hand-over [attack]", round + 1);
				state.handed = true;
				return Ok(());
			}
			let me = member.me();
			// Hold the subgroup's uploads: the evaluators find them here too once they ask.
			let mut held = 0;
			for (who, key) in &view.keys {
				if key.member == me || progress.uploaded & (1 << key.member) == 0 {
					continue;
				}
				let Some(update) = self.chain.update(task, round, who).await? else { continue };
				let cid = crate::common::cid_from_chain(&update.cid.0)?;
				match tokio::time::timeout(UPLOAD_FETCH_TIMEOUT, self.store.pin(&cid)).await {
					Ok(Ok(())) => held += 1,
					Ok(Err(error)) => {
						tracing::warn!(target: "din", "round {}: member {}'s masked update: {error}", round + 1, key.member)
					},
					Err(_) => {
						tracing::warn!(target: "din", "round {}: member {}'s masked update not fetched within {UPLOAD_FETCH_TIMEOUT:?}", round + 1, key.member)
					},
				}
			}
			tracing::info!(target: "din", "round {}: holds {held} other members' masked updates", round + 1);
			let state = self.secure.as_mut().expect("set above");
			let member = state.member.as_ref().expect("checked above");
			let received: Vec<(u32, Vec<u8>)> = view
				.keys
				.iter()
				.filter_map(|(_, key)| Some((key.member, sealed_for(key, me)?)))
				.collect();
			let advertised: Vec<u32> = view.keys.iter().map(|(_, key)| key.member).collect();
			let uploaded = Record::uploaded_members(progress.uploaded);
			let (handed, unopened) =
				member.hand_over(&state.share_publics, &received, &advertised, &uploaded)?;
			for owner in unopened {
				tracing::warn!(target: "din", "round {}: the shares member {owner} sealed for this one do not open: none handed over for it", round + 1);
			}
			let shares = handed
				.into_iter()
				.map(|h| match h.share {
					Handover::SelfSeed(share) | Handover::KeySecret(share) => (h.owner, share.y),
				})
				.collect();
			self.chain.hand_over_shares(&self.signer, task, round, shares).await?;
			state.handed = true;
			tracing::info!(target: "din", "round {}: handed over its shares", round + 1);
		}
		Ok(())
	}

	/// Step 2: a fresh member of `subgroup` advertises its round key and sealed shares.
	async fn advertise(
		&self,
		view: &din_chain::types::SecureRoundView,
		round: u32,
		subgroup: u32,
		next: u64,
	) -> anyhow::Result<SecureRound> {
		let task = self.args.task;
		let sitting_out = |why: &str| {
			tracing::warn!(target: "din", "round {}: {why}; sitting this round out", round + 1);
			SecureRound {
				round,
				member: None,
				share_publics: Vec::new(),
				uploaded: false,
				handed: false,
			}
		};
		let Some(me) = view.eligible.iter().position(|(who, _)| *who == self.me) else {
			return Ok(sitting_out("no share key from before the round started"));
		};
		if view.keys.iter().any(|(who, _)| *who == self.me) {
			return Ok(sitting_out("advertised before a restart, whose secrets are gone"));
		}
		if next >= view.key_cutoff {
			return Ok(sitting_out("the key step is over"));
		}
		let share_publics: Vec<[u8; 32]> = view.eligible.iter().map(|(_, key)| *key).collect();
		let context = Context { task, round, subgroup };
		let mut member = Member::new(context, me as u32, self.share_keys()?, &mut OsRng);
		let sealed = member
			.seal_shares(&share_publics, threshold(share_publics.len() as u32), &mut OsRng)?
			.into_iter()
			.map(|(_, bytes)| {
				<[u8; din_primitives::SEALED_SHARES_LEN]>::try_from(bytes)
					.map_err(|_| invalid!("a sealed bundle of another length"))
			})
			.collect::<anyhow::Result<Vec<_>>>()?;
		self.chain
			.advertise_round_key(
				&self.signer,
				task,
				round,
				member.public(),
				member.self_seed_commitment(),
				sealed,
			)
			.await?;
		tracing::info!(target: "din", "round {}: advertised its round key (member {} of {})", round + 1, me + 1, share_publics.len());
		Ok(SecureRound {
			round,
			member: Some(member),
			share_publics,
			uploaded: false,
			handed: false,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_restarted_daemon_derives_the_share_key_it_registered_and_each_task_has_its_own() {
		let key = share_keys("//Bob", 3).public();
		assert_eq!(share_keys("//Bob", 3).public(), key, "same secret, same task: same key");
		assert_ne!(share_keys("//Bob", 4).public(), key);
		assert_ne!(share_keys("//Charlie", 3).public(), key);
	}

	#[test]
	fn the_bundle_for_a_member_is_found_in_the_senders_list_that_skips_itself() {
		let key = din_chain::types::RoundKey {
			subgroup: 0,
			member: 2,
			public: [1; 32],
			self_seed_commitment: [2; 32],
			sealed: din_chain::types::BoundedVec(
				(0..3u8).map(|i| [i; din_primitives::SEALED_SHARES_LEN]).collect(),
			),
		};
		assert_eq!(sealed_for(&key, 0), Some(vec![0; din_primitives::SEALED_SHARES_LEN]));
		assert_eq!(sealed_for(&key, 1), Some(vec![1; din_primitives::SEALED_SHARES_LEN]));
		assert_eq!(sealed_for(&key, 2), None, "nothing sealed for itself");
		assert_eq!(sealed_for(&key, 3), Some(vec![2; din_primitives::SEALED_SHARES_LEN]));
		assert_eq!(sealed_for(&key, 4), None);
	}
}
