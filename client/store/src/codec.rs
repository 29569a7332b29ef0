//! Wire format of the block exchange protocol [`BLOCK_PROTOCOL`] (`/din/block/1`).
//!
//! One request-response exchange per block, each on its own Yamux stream:
//!
//! ```text
//! request  = u32-be length ‖ CID bytes                    (length ≤ MAX_REQUEST_SIZE)
//! response = u32-be length ‖ status u8 ‖ block bytes      (length ≤ MAX_RESPONSE_SIZE)
//!            status 0 = found (bytes follow), 1 = not found (nothing follows)
//! ```
//!
//! Lengths are checked against the limits *before* anything is allocated, so a peer
//! cannot make us buffer more than one block plus a byte. Violations surface as
//! `io::ErrorKind::InvalidData` and fail the exchange. The codec does not verify block
//! hashes; the fetcher does (it knows which peer to blame).

use std::io;

use async_trait::async_trait;
use cid::Cid;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

use crate::dag::MAX_BLOCK_SIZE;

/// Protocol name; the trailing number is bumped on any incompatible wire change.
pub const BLOCK_PROTOCOL: StreamProtocol = StreamProtocol::new("/din/block/1");
/// Largest request frame: a CID is under 100 bytes, leave room, refuse anything bigger.
pub const MAX_REQUEST_SIZE: usize = 128;
/// Largest response frame: one full block plus the status byte.
pub const MAX_RESPONSE_SIZE: usize = MAX_BLOCK_SIZE + 1;

const STATUS_FOUND: u8 = 0;
const STATUS_NOT_FOUND: u8 = 1;

/// "Send me the block with this CID."
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockRequest(pub Cid);

/// The answer to a [`BlockRequest`]; bytes are unverified until the fetcher checks them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockResponse {
	/// The block's bytes.
	Found(Vec<u8>),
	/// The peer does not hold the block.
	NotFound,
}

/// The `/din/block/1` codec with explicit frame limits.
#[derive(Clone, Copy, Debug)]
pub struct BlockCodec {
	request_size_maximum: usize,
	response_size_maximum: usize,
}

impl Default for BlockCodec {
	fn default() -> Self {
		BlockCodec {
			request_size_maximum: MAX_REQUEST_SIZE,
			response_size_maximum: MAX_RESPONSE_SIZE,
		}
	}
}

fn invalid(message: String) -> io::Error {
	io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Reads a frame's length prefix and checks it against `maximum`.
async fn read_frame_length<T: AsyncRead + Unpin + Send>(
	io: &mut T,
	maximum: usize,
	what: &str,
) -> io::Result<usize> {
	let mut length = [0u8; 4];
	io.read_exact(&mut length).await?;
	let length = u32::from_be_bytes(length) as usize;
	if length > maximum {
		return Err(invalid(format!("{what} of {length} bytes exceeds the {maximum}-byte limit")));
	}
	Ok(length)
}

async fn read_exactly<T: AsyncRead + Unpin + Send>(
	io: &mut T,
	length: usize,
) -> io::Result<Vec<u8>> {
	let mut bytes = vec![0u8; length];
	io.read_exact(&mut bytes).await?;
	Ok(bytes)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(
	io: &mut T,
	parts: &[&[u8]],
	maximum: usize,
	what: &str,
) -> io::Result<()> {
	let length: usize = parts.iter().map(|part| part.len()).sum();
	if length > maximum {
		return Err(invalid(format!("{what} of {length} bytes exceeds the {maximum}-byte limit")));
	}
	// `length ≤ maximum ≤ MAX_RESPONSE_SIZE` fits in a u32.
	io.write_all(&(length as u32).to_be_bytes()).await?;
	for part in parts {
		io.write_all(part).await?;
	}
	io.close().await
}

#[async_trait]
impl libp2p::request_response::Codec for BlockCodec {
	type Protocol = StreamProtocol;
	type Request = BlockRequest;
	type Response = BlockResponse;

	async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<BlockRequest>
	where
		T: AsyncRead + Unpin + Send,
	{
		let length = read_frame_length(io, self.request_size_maximum, "block request").await?;
		let frame = read_exactly(io, length).await?;
		let cid = Cid::try_from(frame.as_slice())
			.map_err(|e| invalid(format!("bad CID in request: {e}")))?;
		Ok(BlockRequest(cid))
	}

	async fn read_response<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
	) -> io::Result<BlockResponse>
	where
		T: AsyncRead + Unpin + Send,
	{
		let length = read_frame_length(io, self.response_size_maximum, "block response").await?;
		if length == 0 {
			return Err(invalid("empty block response".into()));
		}
		let mut status = [0u8; 1];
		io.read_exact(&mut status).await?;
		match status[0] {
			STATUS_FOUND => Ok(BlockResponse::Found(read_exactly(io, length - 1).await?)),
			STATUS_NOT_FOUND if length == 1 => Ok(BlockResponse::NotFound),
			other => {
				Err(invalid(format!("bad block response status {other} (frame of {length} bytes)")))
			},
		}
	}

	async fn write_request<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		BlockRequest(cid): BlockRequest,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		write_frame(io, &[&cid.to_bytes()], self.request_size_maximum, "block request").await
	}

	async fn write_response<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		response: BlockResponse,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		match response {
			BlockResponse::Found(bytes) => {
				write_frame(
					io,
					&[&[STATUS_FOUND], &bytes],
					self.response_size_maximum,
					"block response",
				)
				.await
			},
			BlockResponse::NotFound => {
				write_frame(
					io,
					&[&[STATUS_NOT_FOUND]],
					self.response_size_maximum,
					"block response",
				)
				.await
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use libp2p::request_response::Codec;
	use tokio_util::compat::TokioAsyncReadCompatExt;

	use super::*;
	use crate::dag::raw_cid;

	/// An in-memory byte pipe: what one end writes the other reads.
	fn pipe() -> (
		tokio_util::compat::Compat<tokio::io::DuplexStream>,
		tokio_util::compat::Compat<tokio::io::DuplexStream>,
	) {
		let (a, b) = tokio::io::duplex(64 * 1024);
		(a.compat(), b.compat())
	}

	#[tokio::test]
	async fn request_and_full_size_response_roundtrip() {
		let cid = raw_cid(b"x");
		let (mut writer, mut reader) = pipe();
		let protocol = BLOCK_PROTOCOL;
		let (mut codec, mut peer_codec) = (BlockCodec::default(), BlockCodec::default());
		let sent = BlockRequest(cid);
		let (write, read) = tokio::join!(
			peer_codec.write_request(&protocol, &mut writer, sent.clone()),
			codec.read_request(&protocol, &mut reader),
		);
		write.expect("write");
		assert_eq!(read.expect("read"), sent);

		for response in [BlockResponse::Found(vec![7u8; MAX_BLOCK_SIZE]), BlockResponse::NotFound] {
			let (mut writer, mut reader) = pipe();
			let (write, read) = tokio::join!(
				peer_codec.write_response(&protocol, &mut writer, response.clone()),
				codec.read_response(&protocol, &mut reader),
			);
			write.expect("write");
			assert_eq!(read.expect("read"), response);
		}
	}

	#[tokio::test]
	async fn oversized_frames_are_rejected_before_allocation() {
		use tokio::io::AsyncWriteExt as _;
		let mut codec = BlockCodec::default();

		// A request header announcing more than MAX_REQUEST_SIZE bytes.
		let (mut raw, reader) = tokio::io::duplex(1024);
		raw.write_all(&((MAX_REQUEST_SIZE as u32) + 1).to_be_bytes())
			.await
			.expect("write");
		let error = codec
			.read_request(&BLOCK_PROTOCOL, &mut reader.compat())
			.await
			.expect_err("too big");
		assert_eq!(error.kind(), io::ErrorKind::InvalidData);

		// A response header announcing 4 GiB: refused without waiting for the body.
		let (mut raw, reader) = tokio::io::duplex(1024);
		raw.write_all(&u32::MAX.to_be_bytes()).await.expect("write");
		let error = codec
			.read_response(&BLOCK_PROTOCOL, &mut reader.compat())
			.await
			.expect_err("too big");
		assert_eq!(error.kind(), io::ErrorKind::InvalidData);

		// And the writing side refuses to send a block over the limit.
		let (mut writer, _reader) = pipe();
		let error = codec
			.write_response(
				&BLOCK_PROTOCOL,
				&mut writer,
				BlockResponse::Found(vec![0; MAX_BLOCK_SIZE + 1]),
			)
			.await
			.expect_err("too big");
		assert_eq!(error.kind(), io::ErrorKind::InvalidData);
	}

	#[tokio::test]
	async fn garbage_and_truncated_frames_fail() {
		use tokio::io::AsyncWriteExt as _;
		let mut codec = BlockCodec::default();

		let (mut raw, reader) = tokio::io::duplex(1024);
		raw.write_all(&[0, 0, 0, 3, 0xff, 0xff, 0xff]).await.expect("write");
		let error = codec
			.read_request(&BLOCK_PROTOCOL, &mut reader.compat())
			.await
			.expect_err("not a CID");
		assert_eq!(error.kind(), io::ErrorKind::InvalidData);

		let (mut raw, reader) = tokio::io::duplex(1024);
		raw.write_all(&[0, 0, 0, 10, STATUS_FOUND, 1, 2]).await.expect("write");
		drop(raw);
		let error = codec
			.read_response(&BLOCK_PROTOCOL, &mut reader.compat())
			.await
			.expect_err("truncated");
		assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);

		let (mut raw, reader) = tokio::io::duplex(1024);
		raw.write_all(&[0, 0, 0, 1, 9]).await.expect("write");
		let error = codec
			.read_response(&BLOCK_PROTOCOL, &mut reader.compat())
			.await
			.expect_err("status");
		assert_eq!(error.kind(), io::ErrorKind::InvalidData);
	}
}
