//! The council (pallet-collective, one member one vote): its motions, and the runtime
//! upgrades two thirds of it enact through pallet-whitelist.
//!
//! A runtime upgrade is `System::set_code(code)` dispatched as Root, which outside the
//! development chain only `Whitelist::dispatch_whitelisted_call` reaches: one motion
//! whitelists the call's hash, anyone notes the call itself as a preimage, and a second
//! motion dispatches it. Each motion passes once its threshold of members voted aye and
//! someone closes it.

use super::*;
use din::runtime_types::{
	din_runtime::RuntimeCall, pallet_whitelist::pallet::Call as WhitelistCall,
	sp_weights::weight_v2::Weight,
};
use sp_crypto_hashing::blake2_256;

/// A motion before the council ([`Chain::council`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Motion {
	/// The hash of the proposed call: the motion's name in every vote.
	pub hash: H256,
	/// The collective's running count of motions, which a vote repeats.
	pub index: u32,
	/// The proposed call, as `Pallet.call`.
	pub call: String,
	/// Ayes needed.
	pub threshold: u32,
	pub ayes: Vec<AccountId32>,
	pub nays: Vec<AccountId32>,
	/// The block after which anyone may close it whatever the votes.
	pub end: u32,
}

/// The council's members and open motions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Council {
	pub members: Vec<AccountId32>,
	pub motions: Vec<Motion>,
}

impl Council {
	/// The ayes a motion needs to act with two thirds of the council (the origin of
	/// whitelisting and of dispatching what is whitelisted).
	pub fn two_thirds(&self) -> u32 {
		(2 * self.members.len() as u32).div_ceil(3)
	}
}

/// What proposing a motion did ([`Chain::propose_motion`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proposal {
	/// Open for votes.
	Open { hash: H256, index: u32 },
	/// A threshold of one: executed at once, as one member.
	Executed { hash: H256 },
}

/// What closing a motion did ([`Chain::close_motion`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closed {
	/// It passed and its call ran as the council.
	Executed,
	/// Too few ayes: dropped.
	Disapproved,
}

/// `System::set_code(code)` as the council enacts it ([`Chain::runtime_upgrade`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeUpgrade {
	/// The call's SCALE encoding: the preimage anyone notes.
	pub call: Vec<u8>,
	/// Its hash, which the first motion whitelists.
	pub call_hash: H256,
	/// Its weight, which the second motion's dispatch must cover.
	pub call_weight: Weight,
}

impl Chain {
	/// The council's members and its open motions.
	pub async fn council(&self) -> Result<Council, Error> {
		let members = self.read(din::storage().council().members(), ()).await?;
		let at = self.at().await?;
		let metadata = at.metadata();
		let mut motions = Vec::new();
		for hash in self.read(din::storage().council().proposals(), ()).await?.0 {
			let Some(votes) =
				self.read_optional(din::storage().council().voting(), (hash,)).await?
			else {
				continue;
			};
			let call = at
				.storage()
				.try_fetch(din::storage().council().proposal_of(), (hash,))
				.await
				.map_err(error::subxt)?
				.map_or_else(|| "(unknown call)".into(), |call| call_name(&metadata, call.bytes()));
			motions.push(Motion {
				hash,
				index: votes.index,
				call,
				threshold: votes.threshold,
				ayes: votes.ayes,
				nays: votes.nays,
				end: votes.end,
			});
		}
		Ok(Council { members, motions })
	}

	/// `Council::propose`: move `call` as a motion that `threshold` ayes pass. The signer
	/// must be a member; its own aye is a vote like any other ([`Chain::vote_motion`]).
	pub async fn propose_motion(
		&self,
		signer: &Signer,
		call: RuntimeCall,
		threshold: u32,
	) -> Result<Proposal, Error> {
		let length = self.call_length(&call).await?;
		let included = self
			.submit(&din::tx().council().propose(threshold, call, length), signer)
			.await?;
		if let Some(proposed) = included
			.events
			.find_first::<din::council::events::Proposed>()
			.transpose()
			.map_err(error::subxt)?
		{
			return Ok(Proposal::Open {
				hash: proposed.proposal_hash,
				index: proposed.proposal_index,
			});
		}
		let executed = self.executed(&included).await?.ok_or_else(|| {
			Error::Rejected(
				"the council took the motion without a Proposed or Executed event".into(),
			)
		})?;
		Ok(Proposal::Executed { hash: executed })
	}

	/// `Council::vote`: the signer (a member) votes on the motion `hash`.
	pub async fn vote_motion(
		&self,
		signer: &Signer,
		hash: H256,
		aye: bool,
	) -> Result<Included, Error> {
		let index = self.motion_index(hash).await?;
		self.submit(&din::tx().council().vote(hash, index, aye), signer).await
	}

	/// `Council::close`: end the motion `hash`, which runs its call if enough members voted
	/// aye (before its end, only a decided motion closes). Anyone may close. A call that
	/// runs and fails is [`Error::Pallet`] or [`Error::Dispatch`].
	pub async fn close_motion(&self, signer: &Signer, hash: H256) -> Result<Closed, Error> {
		let index = self.motion_index(hash).await?;
		let at = self.at().await?;
		let proposal = at
			.storage()
			.try_fetch(din::storage().council().proposal_of(), (hash,))
			.await
			.map_err(error::subxt)?
			.ok_or_else(|| Error::InvalidArgument(format!("the council has no motion {hash:?}")))?;
		let length = proposal.bytes().len() as u32;
		let weight = self.call_weight(proposal.decode().map_err(error::subxt)?, length).await?;
		let included = self
			.submit(&din::tx().council().close(hash, index, weight, length), signer)
			.await?;
		Ok(match self.executed(&included).await? {
			Some(_) => Closed::Executed,
			None => Closed::Disapproved,
		})
	}

	/// `System::set_code(code)`, hashed and weighed for the council's two motions.
	pub async fn runtime_upgrade(&self, code: Vec<u8>) -> Result<RuntimeUpgrade, Error> {
		let at = self.client.at_current_block().await.map_err(error::subxt)?;
		let call = at
			.transactions()
			.call_data(&din::tx().system().set_code(code.clone()))
			.map_err(error::subxt)?;
		let typed =
			RuntimeCall::System(din::runtime_types::frame_system::pallet::Call::set_code { code });
		let call_weight = self.call_weight(typed, call.len() as u32).await?;
		Ok(RuntimeUpgrade { call_hash: H256(blake2_256(&call)), call, call_weight })
	}

	/// The motion that whitelists `upgrade` (two thirds of the council).
	pub fn whitelist_motion(upgrade: &RuntimeUpgrade) -> RuntimeCall {
		RuntimeCall::Whitelist(WhitelistCall::whitelist_call { call_hash: upgrade.call_hash })
	}

	/// The motion that dispatches the whitelisted `upgrade` as Root (two thirds of the
	/// council); its preimage must be noted first.
	pub fn dispatch_motion(upgrade: &RuntimeUpgrade) -> RuntimeCall {
		RuntimeCall::Whitelist(WhitelistCall::dispatch_whitelisted_call {
			call_hash: upgrade.call_hash,
			call_encoded_len: upgrade.call.len() as u32,
			call_weight_witness: upgrade.call_weight.clone(),
		})
	}

	/// Whether `Whitelist::WhitelistedCall` holds `hash`: whitelisted and not yet
	/// dispatched.
	pub async fn is_whitelisted(&self, hash: H256) -> Result<bool, Error> {
		Ok(self
			.read_optional(din::storage().whitelist().whitelisted_call(), (hash,))
			.await?
			.is_some())
	}

	/// `Preimage::note_preimage`: store `bytes` on chain against the signer's deposit, unless
	/// they are stored already. Returns their hash.
	pub async fn note_preimage(&self, signer: &Signer, bytes: Vec<u8>) -> Result<H256, Error> {
		use din::runtime_types::pallet_preimage::RequestStatus;
		let hash = H256(blake2_256(&bytes));
		// A whitelisted hash is requested before anyone notes it: only a known length says
		// the bytes are there.
		let noted = matches!(
			self.read_optional(din::storage().preimage().request_status_for(), (hash,))
				.await?,
			Some(
				RequestStatus::Unrequested { .. }
					| RequestStatus::Requested { maybe_len: Some(_), .. }
			)
		);
		if !noted {
			self.submit(&din::tx().preimage().note_preimage(bytes), signer).await?;
		}
		Ok(hash)
	}

	/// The `spec_version` of the runtime at the latest block.
	pub async fn spec_version(&self) -> Result<u32, Error> {
		Ok(self
			.rpc
			.state_get_runtime_version(None)
			.await
			.map_err(error::subxt)?
			.spec_version)
	}

	/// `TransactionPaymentCallApi::query_call_info`: the weight of `call` (`length` bytes).
	async fn call_weight(&self, call: RuntimeCall, length: u32) -> Result<Weight, Error> {
		let at = self.at().await?;
		let info = at
			.runtime_apis()
			.call(din::runtime_apis().transaction_payment_call_api().query_call_info(call, length))
			.await
			.map_err(error::subxt)?;
		Ok(info.weight)
	}

	/// The length of `call`'s encoding.
	async fn call_length(&self, call: &RuntimeCall) -> Result<u32, Error> {
		use subxt::ext::scale_encode::EncodeAsType;
		let at = self.client.at_current_block().await.map_err(error::subxt)?;
		let metadata = at.metadata();
		let encoded = call
			.encode_as_type(metadata.outer_enums().call_enum_ty(), metadata.types())
			.map_err(|e| {
				Error::InvalidArgument(format!("the motion's call does not encode: {e}"))
			})?;
		Ok(encoded.len() as u32)
	}

	/// The index of the open motion `hash`.
	async fn motion_index(&self, hash: H256) -> Result<u32, Error> {
		self.read_optional(din::storage().council().voting(), (hash,))
			.await?
			.map(|votes| votes.index)
			.ok_or_else(|| {
				Error::InvalidArgument(format!("the council has no open motion {hash:?}"))
			})
	}

	/// The motion `Council::Executed` names among `included`'s events, or `None`; the
	/// motion's call's own failure is an error.
	async fn executed(&self, included: &Included) -> Result<Option<H256>, Error> {
		let Some(executed) = included
			.events
			.find_first::<din::council::events::Executed>()
			.transpose()
			.map_err(error::subxt)?
		else {
			return Ok(None);
		};
		if let Err(e) = executed.result {
			let at = self.client.at_block(included.block_hash).await.map_err(error::subxt)?;
			return Err(error::runtime_dispatch(&at.metadata(), &e));
		}
		// A whitelisted call's dispatch succeeds whatever the call does; its own outcome is
		// in `WhitelistedCallDispatched`.
		if let Some(dispatched) = included
			.events
			.find_first::<din::whitelist::events::WhitelistedCallDispatched>()
			.transpose()
			.map_err(error::subxt)?
		{
			if let Err(e) = dispatched.result {
				let at = self.client.at_block(included.block_hash).await.map_err(error::subxt)?;
				return Err(error::runtime_dispatch(&at.metadata(), &e.error));
			}
		}
		Ok(Some(executed.proposal_hash))
	}
}

/// `Pallet.call` of an encoded call, from its two index bytes.
fn call_name(metadata: &subxt::Metadata, call: &[u8]) -> String {
	let name = || {
		let pallet = metadata.pallet_by_call_index(*call.first()?)?;
		let variant = pallet.call_variant_by_index(*call.get(1)?)?;
		Some(format!("{}.{}", pallet.name(), variant.name))
	};
	name().unwrap_or_else(|| "(undecodable call)".into())
}
