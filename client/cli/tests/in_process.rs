//! Commands run in-process through the `din_cli` library: the same [`Cli`] the binary
//! parses, no process spawned and no stdout parsed; the tests read what a command wrote
//! and the exit code its error maps to.

use std::process::ExitCode;

use clap::Parser;
use din_cli::{exit, Cli};
use din_store::Blockstore;

async fn din(args: &[&str]) -> anyhow::Result<()> {
	Cli::try_parse_from(std::iter::once("din").chain(args.iter().copied()))?
		.run()
		.await
}

/// Bytes that span several store chunks, so that the read-back crosses chunk boundaries.
fn artifact() -> Vec<u8> {
	(0..700_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect()
}

#[tokio::test]
async fn an_artifact_put_by_one_command_is_got_back_bit_for_bit_by_another() {
	let dir = tempfile::tempdir().expect("temp dir");
	let (file, store, output) =
		(dir.path().join("update.bin"), dir.path().join("store"), dir.path().join("out.bin"));
	std::fs::write(&file, artifact()).expect("write the artifact");
	let [file, store_arg, output_arg] =
		[&file, &store, &output].map(|path| path.to_str().expect("utf-8 path").to_owned());

	din(&["store", "put", &file, "--dir", &store_arg]).await.expect("put");
	let pins = Blockstore::open(&store).expect("open the store").list_pins().expect("pins");
	let [cid] = pins.as_slice() else { panic!("put pins exactly its artifact: {pins:?}") };
	din(&["store", "get", &cid.to_string(), "-o", &output_arg, "--dir", &store_arg])
		.await
		.expect("get");

	assert_eq!(std::fs::read(&output).expect("read the output"), artifact());
}

#[tokio::test]
async fn content_the_store_lacks_with_no_peer_to_ask_is_a_store_failure() {
	let dir = tempfile::tempdir().expect("temp dir");
	let elsewhere = Blockstore::open(dir.path().join("elsewhere")).expect("open a store");
	let cid = elsewhere.put_artifact(&artifact()).expect("put elsewhere");
	let (store, output) = (dir.path().join("store"), dir.path().join("out.bin"));

	let error = din(&[
		"store",
		"get",
		&cid.to_string(),
		"-o",
		output.to_str().expect("utf-8 path"),
		"--dir",
		store.to_str().expect("utf-8 path"),
	])
	.await
	.expect_err("the content is nowhere this command can reach");

	assert_eq!(exit::code_of(&error), ExitCode::from(6), "{error:#}");
	assert!(!output.exists(), "a failed get writes nothing");
}
