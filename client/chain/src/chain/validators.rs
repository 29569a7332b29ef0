//! The validator set: session keys, candidacy, and what the chain reports about them.

use super::*;

/// Session keys (the SCALE encoding of the runtime's `SessionKeys`: BABE, then GRANDPA)
/// and the proof that whoever registers them holds their private keys, made for one
/// account (`Session::set_keys`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKeysWithProof {
	/// The public keys, SCALE-encoded.
	pub keys: Vec<u8>,
	/// The proof of possession of every key, for the registering account.
	pub proof: Vec<u8>,
}

/// Who validates and who stands to ([`Chain::validator_set`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidatorSet {
	/// The current session.
	pub session: u32,
	/// This session's validators, in authority order.
	pub active: Vec<AccountId32>,
	/// Active validators disabled for the rest of the session (offenders).
	pub disabled: Vec<AccountId32>,
	/// The set pallet-din-validators chose last: it becomes active at the next session
	/// change.
	pub planned: Vec<AccountId32>,
	/// Validators by governance's decision, without a bond.
	pub invulnerables: Vec<AccountId32>,
	/// Candidates and the bond each locked, largest first.
	pub candidates: Vec<(AccountId32, u128)>,
	/// Former candidates whose bond stays locked while they are in a queued or active set.
	pub leaving: Vec<(AccountId32, u128)>,
}

impl Chain {
	/// `author_rotateKeysWithOwner` on the connected node: new session keys in the node's
	/// keystore, with their proof of possession for `owner`. The node must allow unsafe RPC
	/// methods (its own operator's connection: `--rpc-methods unsafe`, or a local one).
	pub async fn rotate_session_keys(
		&self,
		owner: &AccountId32,
	) -> Result<SessionKeysWithProof, Error> {
		#[derive(serde::Deserialize)]
		struct Generated {
			keys: String,
			proof: Option<String>,
		}
		let owner = format!("0x{}", hex::encode(owner.0));
		let generated: Generated = self
			.raw_rpc
			.request("author_rotateKeysWithOwner", subxt::rpcs::rpc_params![owner])
			.await
			.map_err(|e| Error::Rejected(format!("author_rotateKeysWithOwner: {e}")))?;
		let proof = generated.proof.ok_or_else(|| {
			Error::Rejected("the node made no proof of possession for its new keys".into())
		})?;
		Ok(SessionKeysWithProof { keys: hex_bytes(&generated.keys)?, proof: hex_bytes(&proof)? })
	}

	/// `Session::set_keys`: register `keys` as the signer's session keys (they take effect
	/// at the next session change; the first registration holds a deposit).
	pub async fn set_session_keys(
		&self,
		signer: &Signer,
		keys: &SessionKeysWithProof,
	) -> Result<Included, Error> {
		// `SessionKeys` is two 32-byte public keys, BABE's then GRANDPA's.
		let (babe, grandpa) = match <[u8; 64]>::try_from(keys.keys.as_slice()) {
			Ok(raw) => (raw[..32].try_into().unwrap(), raw[32..].try_into().unwrap()),
			Err(_) => {
				return Err(Error::InvalidArgument(format!(
					"session keys are 64 bytes (BABE, GRANDPA), not {}",
					keys.keys.len()
				)))
			},
		};
		let decoded = din::runtime_types::din_runtime::SessionKeys {
			babe: din::runtime_types::sp_consensus_babe::app::Public(babe),
			grandpa: din::runtime_types::sp_consensus_grandpa::app::Public(grandpa),
		};
		self.submit(&din::tx().session().set_keys(decoded, keys.proof.clone()), signer)
			.await
	}

	/// `Validators::validate`: stand as a candidate with the signer's unlocked validator
	/// bond.
	pub async fn validate(&self, signer: &Signer) -> Result<Included, Error> {
		self.submit(&din::tx().validators().validate(), signer).await
	}

	/// `Validators::chill`: stop standing; the signer leaves the set two sessions later.
	pub async fn chill(&self, signer: &Signer) -> Result<Included, Error> {
		self.submit(&din::tx().validators().chill(), signer).await
	}

	/// The validator set, the planned one, and everyone standing.
	pub async fn validator_set(&self) -> Result<ValidatorSet, Error> {
		let session = self.read(din::storage().session().current_index(), ()).await?;
		let active = self.read(din::storage().session().validators(), ()).await?;
		let disabled = self
			.read(din::storage().session().disabled_validators(), ())
			.await?
			.into_iter()
			.filter_map(|(index, _severity)| active.get(index as usize).cloned())
			.collect();
		let planned = self.read(din::storage().validators().planned_validators(), ()).await?.0;
		let invulnerables = self.read(din::storage().validators().invulnerables(), ()).await?.0;
		let mut candidates = self.bonds_in(din::storage().validators().candidates()).await?;
		candidates.sort_by(|(a, x), (b, y)| y.cmp(x).then_with(|| a.cmp(b)));
		let leaving = self.bonds_in(din::storage().validators().leaving()).await?;
		Ok(ValidatorSet { session, active, disabled, planned, invulnerables, candidates, leaving })
	}

	/// Every `(account, bond)` of a map keyed by account.
	async fn bonds_in<Addr>(&self, addr: Addr) -> Result<Vec<(AccountId32, u128)>, Error>
	where
		Addr: subxt::storage::Address<KeyParts = (AccountId32,), Value = u128>,
	{
		let at = self.at().await?;
		let mut entries = at.storage().iter(addr, ()).await.map_err(error::subxt)?;
		let mut bonds = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry.map_err(error::subxt)?;
			let (who,) = entry.key().map_err(error::subxt)?.decode().map_err(error::subxt)?;
			bonds.push((who, entry.value().decode().map_err(error::subxt)?));
		}
		Ok(bonds)
	}
}

/// The bytes of a node's `0x`-prefixed hex answer.
fn hex_bytes(text: &str) -> Result<Vec<u8>, Error> {
	hex::decode(text.strip_prefix("0x").unwrap_or(text))
		.map_err(|e| Error::Rejected(format!("the node answered malformed hex ({e}): {text}")))
}
