//! What can go wrong talking to the chain.

use crate::DinConfig;
use std::time::Duration;
use subxt::{
	error::{BackendError, DispatchError, ExtrinsicError, RpcError, TransactionEventsError},
	extrinsics::ExtrinsicEvents,
	rpcs::UserError,
	ArcMetadata,
};

/// An error of the typed chain API.
///
/// Failures the caller can act on have their own variant: a bad secret URI or argument is
/// caught before anything is sent, the node's transaction pool refusing a transaction is
/// [`Error::Rejected`], and a transaction that was included but failed in its pallet is
/// [`Error::Pallet`] with the pallet's own error name (`Tasks::AlreadyJoined`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The node could not be reached.
	#[error("cannot connect to {url}: {reason}")]
	Connect {
		/// The URL given.
		url: String,
		/// Why.
		reason: String,
	},
	/// A secret URI that does not parse or derive (the URI itself is never echoed).
	#[error("invalid secret URI: {0}")]
	InvalidSecretUri(String),
	/// An argument the runtime would not decode (for example a CID over its bound).
	#[error("invalid argument: {0}")]
	InvalidArgument(String),
	/// The node refused the transaction before inclusion (bad nonce, cannot pay fees,
	/// undecodable call, dropped or invalidated in the pool).
	#[error("transaction rejected: {0}")]
	Rejected(String),
	/// The transaction was included and its call failed with a pallet's error.
	#[error("{0}")]
	Pallet(PalletError),
	/// The transaction was included and its call failed with a non-pallet dispatch error
	/// (`BadOrigin`, a token or arithmetic error, …).
	#[error("dispatch failed: {0}")]
	Dispatch(String),
	/// A bounded wait ran out.
	#[error("timed out after {after:?} waiting for {what}")]
	Timeout {
		/// What was awaited.
		what: String,
		/// The bound.
		after: Duration,
	},
	/// Anything else subxt reports (transport, decoding, metadata mismatch with the node).
	#[error(transparent)]
	Subxt(Box<subxt::Error>),
}

/// A pallet error a transaction failed with, named as in the runtime's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PalletError {
	/// The pallet's name in the runtime (`Tasks`, `Evaluation`, `Staking`, …).
	pub pallet: String,
	/// The error variant (`AlreadyJoined`, `NotOnPanel`, …).
	pub error: String,
	/// The variant's doc comment.
	pub docs: String,
}

impl PalletError {
	/// Whether this is `pallet::error`.
	pub fn is(&self, pallet: &str, error: &str) -> bool {
		self.pallet == pallet && self.error == error
	}
}

impl std::fmt::Display for PalletError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{}::{}", self.pallet, self.error)?;
		if !self.docs.is_empty() {
			write!(f, " ({})", self.docs)?;
		}
		Ok(())
	}
}

impl Error {
	/// The pallet error, if the transaction failed with one.
	pub fn pallet_error(&self) -> Option<&PalletError> {
		match self {
			Error::Pallet(e) => Some(e),
			_ => None,
		}
	}
}

/// Wraps any of subxt's error types.
pub(crate) fn subxt(e: impl Into<subxt::Error>) -> Error {
	Error::Subxt(Box::new(e.into()))
}

/// A failure to submit: the pool's JSON-RPC error becomes [`Error::Rejected`].
pub(crate) fn submission(e: ExtrinsicError) -> Error {
	match user_error(&e) {
		Some(u) => Error::Rejected(describe(u)),
		None => match e {
			ExtrinsicError::TransactionStatusError(s) => Error::Rejected(s.to_string()),
			e => subxt(e),
		},
	}
}

/// Whether the pool refused a transaction only because its nonce was taken: by one of the
/// signer's transactions still in the pool (`Priority is too low`, code 1014) or already on
/// chain (`Transaction is outdated`, code 1010).
///
/// A node's `system_accountNextIndex` can lag its own pool (two submissions of one signer in
/// flight, a BABE re-org moving transactions between views), so the nonce it hands out may
/// already be taken. Such a transaction never entered the pool: signing the call again with
/// a fresh nonce cannot apply it twice.
pub(crate) fn nonce_taken(e: &ExtrinsicError) -> bool {
	const POOL_INVALID_TX: i32 = 1010;
	const POOL_TOO_LOW_PRIORITY: i32 = 1014;
	const STALE: &str = "Transaction is outdated";
	user_error(e).is_some_and(|u| match u.code {
		POOL_TOO_LOW_PRIORITY => true,
		POOL_INVALID_TX => u.data.as_ref().is_some_and(|d| d.get().trim_matches('"') == STALE),
		_ => false,
	})
}

/// Whether the pool answered a submission with `Transaction Already Imported` (code 1013).
///
/// The client signs every transaction afresh (sr25519 signatures are randomized), so this
/// is never a second copy the client sent: it is the fork-aware pool's race between a
/// submission and the pool's maintenance, which imports the transaction from its mempool
/// into a new view while the submission is adding it to the same view. The transaction is
/// then in the pool but the node watches it for nobody, so the client looks for it in the
/// blocks instead ([`crate::Chain::submit_signed`]); signing it again would apply it twice.
pub(crate) fn already_imported(e: &ExtrinsicError) -> bool {
	const POOL_ALREADY_IMPORTED: i32 = 1013;
	user_error(e).is_some_and(|u| u.code == POOL_ALREADY_IMPORTED)
}

/// The outcome of an included transaction that did not succeed.
pub(crate) fn dispatch(e: TransactionEventsError) -> Error {
	match e {
		TransactionEventsError::ExtrinsicFailed(DispatchError::Module(module)) => {
			match module.details() {
				Ok(details) => Error::Pallet(PalletError {
					pallet: details.pallet.name().to_string(),
					error: details.variant.name.clone(),
					docs: details.variant.docs.join(" ").trim().to_string(),
				}),
				Err(_) => Error::Dispatch(module.to_string()),
			}
		},
		TransactionEventsError::ExtrinsicFailed(other) => Error::Dispatch(other.to_string()),
		other => subxt(other),
	}
}

/// The failure among an included transaction's events (`System::ExtrinsicFailed`), if it
/// failed: what [`dispatch`] makes of subxt's own check, for a transaction found in a block
/// rather than watched.
pub(crate) fn failure(events: &ExtrinsicEvents<DinConfig>, metadata: ArcMetadata) -> Option<Error> {
	events.iter().find_map(|event| {
		let event = match event {
			Ok(event) => event,
			Err(e) => return Some(subxt(e)),
		};
		if event.pallet_name() != "System" || event.event_name() != "ExtrinsicFailed" {
			return None;
		}
		Some(match DispatchError::decode_from(event.field_bytes(), metadata.clone()) {
			Ok(e) => dispatch(TransactionEventsError::ExtrinsicFailed(e)),
			Err(e) => Error::Dispatch(format!("an undecodable dispatch error: {e}")),
		})
	})
}

/// A dispatch error the runtime reports inside an event (a council motion's call, a
/// whitelisted call), named from `metadata` where it is a pallet's.
pub(crate) fn runtime_dispatch(
	metadata: &subxt::Metadata,
	e: &crate::din::runtime_types::sp_runtime::DispatchError,
) -> Error {
	use crate::din::runtime_types::sp_runtime::DispatchError as RuntimeError;
	if let RuntimeError::Module(module) = e {
		let named = metadata.pallet_by_error_index(module.index).and_then(|pallet| {
			let variant = pallet.error_variant_by_index(module.error[0])?;
			Some(PalletError {
				pallet: pallet.name().to_string(),
				error: variant.name.clone(),
				docs: variant.docs.join(" ").trim().to_string(),
			})
		});
		if let Some(named) = named {
			return Error::Pallet(named);
		}
	}
	Error::Dispatch(format!("{e:?}"))
}

/// The node's JSON-RPC error behind a failed submission.
///
/// subxt keeps it as a field, not a `source()` (`ErrorSubmittingTransaction(BackendError)`),
/// so it is matched by shape; the source chain covers the wrappers that do expose it.
fn user_error(e: &ExtrinsicError) -> Option<&UserError> {
	if let ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(RpcError::ClientError(
		subxt::rpcs::Error::User(user),
	))) = e
	{
		return Some(user);
	}
	let mut next = std::error::Error::source(e);
	while let Some(err) = next {
		if let Some(user) = err.downcast_ref::<UserError>() {
			return Some(user);
		}
		next = err.source();
	}
	None
}

/// `Invalid Transaction: Inability to pay some fees (code 1010)`.
fn describe(u: &UserError) -> String {
	let data = u.data.as_ref().map(|d| d.get().trim_matches('"').to_string());
	match data {
		Some(data) if !data.is_empty() && data != "null" => {
			format!("{}: {data} (code {})", u.message, u.code)
		},
		_ => format!("{} (code {})", u.message, u.code),
	}
}
