//! Signed uploads to a store gateway.
//!
//! A gateway that takes `POST /artifact` stores, pins and announces what it is given, so it
//! takes only what an account it trusts signed (its operator decides which accounts: a list,
//! or the chain's evaluator pool) and charges each account a quota. The uploader, an
//! evaluator's off-chain worker, sends four headers with the body:
//!
//! | header                   | value                                                 |
//! |--------------------------|-------------------------------------------------------|
//! | `x-din-upload-account`   | the signer's account, SCALE, `0x` hex                 |
//! | `x-din-upload-cid`       | the artifact's CID, string form                       |
//! | `x-din-upload-expiry`    | unix seconds after which the signature is void        |
//! | `x-din-upload-signature` | the account's signature of [`payload`], SCALE, `0x` hex |
//!
//! The size signed is the body's length (`Content-Length`). A gateway checks the signature
//! and the account before it reads the body, and the body's CID against the signed one
//! after, so a copied request can store nothing but what its signer signed, and only until
//! the expiry, which may lie at most [`MAX_SIGNATURE_LIFETIME_SECS`] ahead.

use alloc::{string::String, vec::Vec};
use codec::{Decode, Encode};
use polkadot_sdk::sp_runtime::traits::{IdentifyAccount, Verify};

/// Header naming the signing account.
pub const ACCOUNT_HEADER: &str = "x-din-upload-account";
/// Header naming the artifact's CID.
pub const CID_HEADER: &str = "x-din-upload-cid";
/// Header with the signature's expiry, unix seconds.
pub const EXPIRY_HEADER: &str = "x-din-upload-expiry";
/// Header with the signature.
pub const SIGNATURE_HEADER: &str = "x-din-upload-signature";

/// Longest a signature may stay valid: a gateway refuses an expiry further ahead than this.
pub const MAX_SIGNATURE_LIFETIME_SECS: u64 = 600;

/// The bytes an uploader signs: `SCALE("din/upload/1", cid, size, expiry)`.
pub fn payload(cid: &str, size: u64, expiry: u64) -> Vec<u8> {
	(b"din/upload/1", cid.as_bytes(), size, expiry).encode()
}

/// The headers of an upload of `cid` that `account` signed (`signature` over [`payload`]
/// with the same CID, size and `expiry`), as name and value.
pub fn signed_headers(
	account: &impl Encode,
	cid: &str,
	expiry: u64,
	signature: &impl Encode,
) -> [(&'static str, String); 4] {
	[
		(ACCOUNT_HEADER, to_hex(&account.encode())),
		(CID_HEADER, String::from(cid)),
		(EXPIRY_HEADER, alloc::format!("{expiry}")),
		(SIGNATURE_HEADER, to_hex(&signature.encode())),
	]
}

/// Why a gateway refuses an upload's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
	/// A header is missing or does not decode; names the header.
	Malformed(&'static str),
	/// The expiry has passed.
	Expired,
	/// The expiry lies further ahead than [`MAX_SIGNATURE_LIFETIME_SECS`].
	ExpiryTooFar,
	/// The signature is not the account's over [`payload`].
	BadSignature,
}

impl core::fmt::Display for SignatureError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			SignatureError::Malformed(header) => write!(f, "header {header} missing or malformed"),
			SignatureError::Expired => write!(f, "the upload signature has expired"),
			SignatureError::ExpiryTooFar => write!(
				f,
				"the upload signature's expiry is more than {MAX_SIGNATURE_LIFETIME_SECS} s ahead"
			),
			SignatureError::BadSignature => {
				write!(f, "the signature is not the account's over this CID, size and expiry")
			},
		}
	}
}

/// An upload's signed headers, as the gateway received them.
#[derive(Clone, Copy, Debug)]
pub struct SignedHeaders<'a> {
	/// [`ACCOUNT_HEADER`].
	pub account: Option<&'a str>,
	/// [`CID_HEADER`].
	pub cid: Option<&'a str>,
	/// [`EXPIRY_HEADER`].
	pub expiry: Option<&'a str>,
	/// [`SIGNATURE_HEADER`].
	pub signature: Option<&'a str>,
}

/// The account that signed an upload of `size` bytes whose headers are `headers`, checked
/// at unix time `now` (seconds), and the CID it signed for.
pub fn verify<S>(
	headers: &SignedHeaders<'_>,
	size: u64,
	now: u64,
) -> Result<(<S::Signer as IdentifyAccount>::AccountId, String), SignatureError>
where
	S: Verify + Decode,
	<S::Signer as IdentifyAccount>::AccountId: Decode,
{
	let decoded = |value: Option<&str>, header| {
		value.and_then(from_hex).ok_or(SignatureError::Malformed(header))
	};
	let account_bytes = decoded(headers.account, ACCOUNT_HEADER)?;
	let account = <S::Signer as IdentifyAccount>::AccountId::decode(&mut &account_bytes[..])
		.map_err(|_| SignatureError::Malformed(ACCOUNT_HEADER))?;
	let signature_bytes = decoded(headers.signature, SIGNATURE_HEADER)?;
	let signature = S::decode(&mut &signature_bytes[..])
		.map_err(|_| SignatureError::Malformed(SIGNATURE_HEADER))?;
	let cid = headers
		.cid
		.filter(|cid| !cid.is_empty())
		.ok_or(SignatureError::Malformed(CID_HEADER))?;
	let expiry: u64 = headers
		.expiry
		.and_then(|expiry| expiry.parse().ok())
		.ok_or(SignatureError::Malformed(EXPIRY_HEADER))?;
	if expiry < now {
		return Err(SignatureError::Expired);
	}
	if expiry - now > MAX_SIGNATURE_LIFETIME_SECS {
		return Err(SignatureError::ExpiryTooFar);
	}
	if !signature.verify(&payload(cid, size, expiry)[..], &account) {
		return Err(SignatureError::BadSignature);
	}
	Ok((account, String::from(cid)))
}

/// `bytes` as lowercase hex after `0x`.
pub fn to_hex(bytes: &[u8]) -> String {
	const DIGITS: &[u8; 16] = b"0123456789abcdef";
	let mut text = String::with_capacity(2 + 2 * bytes.len());
	text.push_str("0x");
	for byte in bytes {
		text.push(DIGITS[usize::from(byte >> 4)] as char);
		text.push(DIGITS[usize::from(byte & 0x0f)] as char);
	}
	text
}

/// The bytes of `0x`-prefixed hex (either case); `None` for anything else.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
	let digits = text.strip_prefix("0x")?.as_bytes();
	if digits.len() % 2 != 0 {
		return None;
	}
	let nibble = |digit: u8| char::from(digit).to_digit(16).map(|value| value as u8);
	digits
		.chunks_exact(2)
		.map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{AccountId, Signature};
	use polkadot_sdk::sp_core::{sr25519, Pair};

	const NOW: u64 = 1_800_000_000;
	const CID: &str = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";

	/// The headers `pair` sends for an upload of `size` bytes of [`CID`]: account, expiry
	/// and signature.
	fn signed(pair: &sr25519::Pair, size: u64, expiry: u64) -> (String, String, String) {
		let account: AccountId = pair.public().into();
		let signature = Signature::from(pair.sign(&payload(CID, size, expiry)));
		let [(_, account), (_, cid), (_, expiry), (_, signature)] =
			signed_headers(&account, CID, expiry, &signature);
		assert_eq!(cid, CID);
		(account, expiry, signature)
	}

	fn check(headers: &(String, String, String), size: u64) -> Result<AccountId, SignatureError> {
		let (account, expiry, signature) = headers;
		let headers = SignedHeaders {
			account: Some(account),
			cid: Some(CID),
			expiry: Some(expiry),
			signature: Some(signature),
		};
		verify::<Signature>(&headers, size, NOW).map(|(account, _)| account)
	}

	#[test]
	fn the_signers_account_is_what_a_valid_signature_yields() {
		let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
		let account = check(&signed(&pair, 4096, NOW + 60), 4096).expect("valid");
		assert_eq!(account, AccountId::from(pair.public()));
	}

	#[test]
	fn a_signature_over_another_size_or_by_another_account_is_refused() {
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		let headers = signed(&alice, 4096, NOW + 60);
		assert_eq!(check(&headers, 4097), Err(SignatureError::BadSignature));
		let (_, expiry, signature) = headers;
		let bobs = (to_hex(&AccountId::from(bob.public()).encode()), expiry, signature);
		assert_eq!(check(&bobs, 4096), Err(SignatureError::BadSignature));
	}

	#[test]
	fn an_expired_or_too_distant_expiry_is_refused() {
		let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
		assert_eq!(check(&signed(&pair, 1, NOW - 1), 1), Err(SignatureError::Expired));
		let far = NOW + MAX_SIGNATURE_LIFETIME_SECS + 1;
		assert_eq!(check(&signed(&pair, 1, far), 1), Err(SignatureError::ExpiryTooFar));
		assert!(check(&signed(&pair, 1, NOW + MAX_SIGNATURE_LIFETIME_SECS), 1).is_ok());
	}

	#[test]
	fn missing_or_undecodable_headers_are_named() {
		let headers =
			SignedHeaders { account: None, cid: Some(CID), expiry: None, signature: None };
		assert_eq!(
			verify::<Signature>(&headers, 1, NOW).map(|_| ()),
			Err(SignatureError::Malformed(ACCOUNT_HEADER))
		);
		let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
		let (account, expiry, _) = signed(&pair, 1, NOW + 1);
		let headers = SignedHeaders {
			account: Some(&account),
			cid: Some(CID),
			expiry: Some(&expiry),
			signature: Some("0x00zz"),
		};
		assert_eq!(
			verify::<Signature>(&headers, 1, NOW).map(|_| ()),
			Err(SignatureError::Malformed(SIGNATURE_HEADER))
		);
	}

	#[test]
	fn hex_round_trips_and_refuses_what_is_not_hex() {
		let bytes = [0x00, 0x0f, 0xa5, 0xff];
		assert_eq!(to_hex(&bytes), "0x000fa5ff");
		assert_eq!(from_hex("0x000FA5ff"), Some(bytes.to_vec()));
		assert_eq!(from_hex("000fa5ff"), None);
		assert_eq!(from_hex("0x0"), None);
		assert_eq!(from_hex("0xzz"), None);
		assert_eq!(from_hex("0x"), Some(Vec::new()));
	}
}
