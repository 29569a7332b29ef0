//! The `/din/block/1` codec (`din_store::codec::BlockCodec`): any peer may open a stream
//! and send any bytes, as a request or as a response. Reading never panics, never takes a
//! frame over its limit, and a block read back is no larger than a block may be.
#![no_main]

use din_store::codec::{BlockCodec, BlockResponse, BLOCK_PROTOCOL, MAX_REQUEST_SIZE};
use din_store::MAX_BLOCK_SIZE;
use futures::{executor::block_on, io::Cursor};
use libfuzzer_sys::fuzz_target;
use libp2p::request_response::Codec;

fuzz_target!(|data: &[u8]| {
	let mut codec = BlockCodec::default();
	if let Ok(request) = block_on(codec.read_request(&BLOCK_PROTOCOL, &mut Cursor::new(data))) {
		assert!(request.0.to_bytes().len() <= MAX_REQUEST_SIZE);
	}
	if let Ok(BlockResponse::Found(block)) =
		block_on(codec.read_response(&BLOCK_PROTOCOL, &mut Cursor::new(data)))
	{
		assert!(block.len() <= MAX_BLOCK_SIZE);
	}
});
