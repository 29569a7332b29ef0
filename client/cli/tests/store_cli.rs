//! The `din store` commands as real processes on 127.0.0.1. Every spawned process is
//! owned by a [`Process`] guard that kills it on drop, so a failing assertion leaves
//! nothing running; every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DIN: &str = env!("CARGO_BIN_EXE_din");
const STARTUP_LIMIT: Duration = Duration::from_secs(30);

/// A running `din` process, killed when dropped.
struct Process {
	child: Child,
	lines: mpsc::Receiver<String>,
}

impl Drop for Process {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// `din ARGS` with stdout captured and the store directory only from the arguments.
fn din_command(args: &[&str], stderr: Stdio) -> Command {
	let mut command = Command::new(DIN);
	command
		.args(args)
		.env_remove("DIN_STORE_DIR")
		.stdout(Stdio::piped())
		.stderr(stderr);
	command
}

impl Process {
	fn spawn(args: &[&str]) -> Process {
		let mut child = din_command(args, Stdio::inherit()).spawn().expect("spawn din");
		let stdout = child.stdout.take().expect("stdout");
		let (sender, lines) = mpsc::channel();
		std::thread::spawn(move || {
			for line in BufReader::new(stdout).lines().map_while(Result::ok) {
				if sender.send(line).is_err() {
					break;
				}
			}
		});
		Process { child, lines }
	}

	/// The rest of the first stdout line starting with `prefix`.
	fn wait_for(&self, prefix: &str) -> String {
		let deadline = Instant::now() + STARTUP_LIMIT;
		loop {
			let left = deadline.saturating_duration_since(Instant::now());
			match self.lines.recv_timeout(left) {
				Ok(line) => {
					if let Some(rest) = line.strip_prefix(prefix) {
						return rest.trim().to_owned();
					}
				},
				Err(_) => panic!("no {prefix:?} line from din within {STARTUP_LIMIT:?}"),
			}
		}
	}
}

/// Runs `din ARGS` to completion (bounded: killed after `limit`).
fn din(args: &[&str], limit: Duration) -> Output {
	let child = din_command(args, Stdio::piped()).spawn().expect("spawn din");
	let pid = child.id();
	let (done, finished) = mpsc::channel();
	let waiter = std::thread::spawn(move || {
		let output = child.wait_with_output();
		let _ = done.send(());
		output
	});
	if finished.recv_timeout(limit).is_err() {
		// Kill the child we spawned, by its pid.
		let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
		panic!("din {args:?} did not finish within {limit:?}");
	}
	waiter.join().expect("waiter").expect("din output")
}

fn stdout(output: &Output) -> String {
	assert!(
		output.status.success(),
		"din failed: {}\n{}",
		String::from_utf8_lossy(&output.stderr),
		String::from_utf8_lossy(&output.stdout)
	);
	String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn random_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
	let bytes = din_store::testing::pseudo_random_bytes(len, seed);
	std::fs::write(path, &bytes).expect("write input");
	bytes
}

fn serve(dir: &Path, extra: &[&str]) -> (Process, String) {
	let mut args = vec![
		"store",
		"serve",
		"--listen",
		"/ip4/127.0.0.1/tcp/0",
		"--dir",
		dir.to_str().expect("utf8"),
	];
	args.extend_from_slice(extra);
	let process = Process::spawn(&args);
	let addr = process.wait_for("listening on");
	(process, addr)
}

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn put_on_a_get_from_c_through_b_and_the_gateway_agrees() {
	let work = tempfile::tempdir().expect("tempdir");
	let (dir_a, dir_b, dir_c) =
		(work.path().join("a"), work.path().join("b"), work.path().join("c"));
	let dir_a_str = dir_a.to_str().expect("utf8");

	// Put before A runs: announced at start.
	let before = random_file(&work.path().join("before.bin"), 3 * 1024 * 1024 + 5, 1);
	let cid_before = stdout(&din(
		&[
			"store",
			"put",
			work.path().join("before.bin").to_str().expect("utf8"),
			"--dir",
			dir_a_str,
		],
		LIMIT,
	));

	let (_b, addr_b) = serve(&dir_b, &[]);
	let (a, _addr_a) = serve(
		&dir_a,
		&["--bootstrap", &addr_b, "--http", "127.0.0.1:0", "--announce-interval", "1"],
	);
	let http_a = a.wait_for("http gateway on");

	// Put while A runs: A's rescan announces it.
	let during = random_file(&work.path().join("during.bin"), 1024 * 1024 + 1, 2);
	let cid_during = stdout(&din(
		&[
			"store",
			"put",
			work.path().join("during.bin").to_str().expect("utf8"),
			"--dir",
			dir_a_str,
		],
		LIMIT,
	));

	for (cid, bytes, name) in
		[(&cid_before, &before, "out1.bin"), (&cid_during, &during, "out2.bin")]
	{
		let out = work.path().join(name);
		let output = din(
			&[
				"store",
				"get",
				cid,
				"-o",
				out.to_str().expect("utf8"),
				"--dir",
				dir_c.to_str().expect("utf8"),
				"--bootstrap",
				&addr_b,
				"--timeout",
				"20",
			],
			LIMIT,
		);
		stdout(&output);
		assert!(
			std::fs::read(&out).expect("read output") == *bytes,
			"C got different bytes for {cid}"
		);

		let runtime = tokio::runtime::Builder::new_current_thread()
			.enable_all()
			.build()
			.expect("runtime");
		let via_http = runtime.block_on(async {
			let response = reqwest::get(format!("{http_a}/artifact/{cid}")).await.expect("http");
			assert_eq!(response.status(), 200);
			response.bytes().await.expect("body")
		});
		assert!(via_http.as_ref() == bytes.as_slice(), "gateway bytes differ for {cid}");
	}

	// C cached the content: a second get needs no network at all.
	let again = work.path().join("again.bin");
	stdout(&din(
		&[
			"store",
			"get",
			&cid_before,
			"-o",
			again.to_str().expect("utf8"),
			"--dir",
			dir_c.to_str().expect("utf8"),
		],
		LIMIT,
	));
	assert!(std::fs::read(&again).expect("read") == before);
}

#[test]
fn bad_input_fails_clearly() {
	let work = tempfile::tempdir().expect("tempdir");
	let dir = work.path().join("store");
	let dir = dir.to_str().expect("utf8");
	let out = work.path().join("out.bin");
	let out = out.to_str().expect("utf8");

	let malformed = din(&["store", "get", "not-a-cid", "-o", out, "--dir", dir], LIMIT);
	assert!(!malformed.status.success());
	assert!(String::from_utf8_lossy(&malformed.stderr).contains("malformed CID"), "{malformed:?}");

	let missing_file = din(&["store", "put", "/nonexistent/file", "--dir", dir], LIMIT);
	assert!(!missing_file.status.success());

	let (_b, addr_b) = serve(&work.path().join("b"), &[]);
	let unknown = "bafkreie7ohywtosou76tasm7j63yigtzxe7d5zqus4zu3j6oltvgtibeom";
	let started = Instant::now();
	let not_found = din(
		&[
			"store",
			"get",
			unknown,
			"-o",
			out,
			"--dir",
			dir,
			"--bootstrap",
			&addr_b,
			"--timeout",
			"2",
		],
		LIMIT,
	);
	assert!(!not_found.status.success());
	let stderr = String::from_utf8_lossy(&not_found.stderr);
	assert!(stderr.contains("not found"), "{stderr}");
	assert!(started.elapsed() < Duration::from_secs(30));
	assert!(!Path::new(out).exists(), "no partial output on failure");

	let offline = din(&["store", "get", unknown, "-o", out, "--dir", dir], LIMIT);
	assert!(String::from_utf8_lossy(&offline.stderr).contains("--bootstrap"), "{offline:?}");
}

#[test]
fn gc_keeps_pinned_and_removes_unpinned() {
	let work = tempfile::tempdir().expect("tempdir");
	let dir = work.path().join("store");
	let dir = dir.to_str().expect("utf8");
	random_file(&work.path().join("keep.bin"), 2 * 1024 * 1024, 3);
	random_file(&work.path().join("drop.bin"), 1024 * 1024 + 1, 4);
	let keep = stdout(&din(
		&["store", "put", work.path().join("keep.bin").to_str().expect("utf8"), "--dir", dir],
		LIMIT,
	));
	let drop = stdout(&din(
		&["store", "put", work.path().join("drop.bin").to_str().expect("utf8"), "--dir", dir],
		LIMIT,
	));
	stdout(&din(&["store", "unpin", &drop, "--dir", dir], LIMIT));
	assert_eq!(stdout(&din(&["store", "gc", "--dir", dir], LIMIT)), "removed 3 blocks, kept 3");

	let out = work.path().join("kept.bin");
	stdout(&din(&["store", "get", &keep, "-o", out.to_str().expect("utf8"), "--dir", dir], LIMIT));
	assert_eq!(std::fs::read(&out).expect("read").len(), 2 * 1024 * 1024);
	let gone =
		din(&["store", "get", &drop, "-o", out.to_str().expect("utf8"), "--dir", dir], LIMIT);
	assert!(!gone.status.success());
}
