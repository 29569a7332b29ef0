//! IDX files, the format MNIST (and Fashion-MNIST, EMNIST) ship in.
//!
//! An IDX file is a 4-byte magic — two zero bytes, a type code (`0x08` = unsigned byte)
//! and the number of dimensions — then one big-endian `u32` per dimension, then the
//! values. Images are `[count, rows, cols]` (magic `0x00000803`), labels `[count]`
//! (magic `0x00000801`). Every check here (magic, dimensions, exact length, matching
//! counts) runs before any value is used, so a truncated download fails loudly with the
//! file's name instead of training on garbage. Files may be gzip-compressed (`.gz`, as
//! MNIST is distributed); pixels are scaled to `[0, 1]` by dividing by 255.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::Dataset;
use crate::error::{MlError, Result};

/// Magic of an unsigned-byte, 3-dimensional IDX file (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic of an unsigned-byte, 1-dimensional IDX file (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Images of an IDX image file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
	/// Number of images.
	pub count: usize,
	/// Rows per image.
	pub rows: usize,
	/// Columns per image.
	pub cols: usize,
	/// `count × rows × cols` pixels, image after image, row-major.
	pub pixels: Vec<u8>,
}

/// The train and test sets of an IDX directory.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxSplits {
	/// From `train-images-idx3-ubyte` / `train-labels-idx1-ubyte`.
	pub train: Dataset,
	/// From `t10k-images-idx3-ubyte` / `t10k-labels-idx1-ubyte`.
	pub test: Dataset,
}

/// Parses an image file; `file` only names it in errors.
pub fn parse_idx_images(file: &str, bytes: &[u8]) -> Result<IdxImages> {
	let dims = parse_header(file, bytes, IMAGES_MAGIC)?;
	let [count, rows, cols] = dims[..] else {
		return Err(idx_error(file, "image files have three dimensions"));
	};
	let pixels = checked_body(file, bytes, 16, &[count, rows, cols])?;
	Ok(IdxImages { count, rows, cols, pixels: pixels.to_vec() })
}

/// Parses a label file; `file` only names it in errors.
pub fn parse_idx_labels(file: &str, bytes: &[u8]) -> Result<Vec<u8>> {
	let dims = parse_header(file, bytes, LABELS_MAGIC)?;
	Ok(checked_body(file, bytes, 8, &dims)?.to_vec())
}

/// A dataset from parsed images and labels (pixels / 255, one class per label value
/// up to the largest present).
pub fn idx_dataset(images: &IdxImages, labels: &[u8]) -> Result<Dataset> {
	if images.count != labels.len() {
		return Err(MlError::InvalidDataset(format!(
			"{} images but {} labels",
			images.count,
			labels.len()
		)));
	}
	let num_classes = labels.iter().copied().max().map_or(1, |max| usize::from(max) + 1);
	let features = images.pixels.iter().map(|pixel| f32::from(*pixel) / 255.0).collect();
	Dataset::new(
		features,
		labels.iter().map(|label| u32::from(*label)).collect(),
		images.rows * images.cols,
		num_classes,
	)
}

/// Reads an image file and a label file (either may be gzip-compressed).
pub fn load_idx_pair(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<Dataset> {
	let (images, labels) = (images.as_ref(), labels.as_ref());
	let parsed = parse_idx_images(&images.display().to_string(), &read_maybe_gz(images)?)?;
	let label_values = parse_idx_labels(&labels.display().to_string(), &read_maybe_gz(labels)?)?;
	idx_dataset(&parsed, &label_values)
}

/// Reads an MNIST-layout directory: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each also accepted with a `.`
/// instead of the last `-` (`train-images.idx3-ubyte`) and with a `.gz` suffix. Both
/// splits get the same class count.
pub fn load_idx_dir(dir: impl AsRef<Path>) -> Result<IdxSplits> {
	let dir = dir.as_ref();
	let pair = |prefix: &str| -> Result<Dataset> {
		let images = find_file(dir, &format!("{prefix}-images"), "idx3-ubyte")?;
		let labels = find_file(dir, &format!("{prefix}-labels"), "idx1-ubyte")?;
		load_idx_pair(images, labels)
	};
	let (train, test) = (pair("train")?, pair("t10k")?);
	let classes = train.num_classes().max(test.num_classes());
	if train.num_features() != test.num_features() {
		return Err(MlError::InvalidDataset(format!(
			"train images have {} pixels, test images {}",
			train.num_features(),
			test.num_features()
		)));
	}
	Ok(IdxSplits { train: train.with_num_classes(classes)?, test: test.with_num_classes(classes)? })
}

fn idx_error(file: &str, message: impl Into<String>) -> MlError {
	MlError::Idx { file: file.to_string(), message: message.into() }
}

/// Checks the magic and returns the dimensions.
fn parse_header(file: &str, bytes: &[u8], magic: u32) -> Result<Vec<usize>> {
	let Some(found) = read_u32(bytes, 0) else {
		return Err(idx_error(
			file,
			format!("{} bytes, shorter than the 4-byte magic", bytes.len()),
		));
	};
	if found != magic {
		return Err(idx_error(file, format!("magic {found:#010x}, expected {magic:#010x}")));
	}
	let rank = (magic & 0xff) as usize;
	(0..rank)
		.map(|dim| {
			read_u32(bytes, 4 + 4 * dim)
				.map(|value| value as usize)
				.ok_or_else(|| idx_error(file, "header ends before its dimensions"))
		})
		.collect()
}

/// The values after a `header_len`-byte header, which must be exactly `Π dims` bytes.
fn checked_body<'a>(
	file: &str,
	bytes: &'a [u8],
	header_len: usize,
	dims: &[usize],
) -> Result<&'a [u8]> {
	let expected = dims.iter().try_fold(1usize, |product, dim| product.checked_mul(*dim));
	let body = bytes.get(header_len..).unwrap_or_default();
	match expected {
		Some(expected) if expected == body.len() => Ok(body),
		_ => Err(idx_error(
			file,
			format!(
				"dimensions {dims:?} need {expected:?} data bytes, the file has {}",
				body.len()
			),
		)),
	}
}

fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
	let chunk = bytes.get(offset..offset.checked_add(4)?)?;
	Some(u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
}

/// Reads a file, inflating it when it starts with the gzip magic.
fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
	let io = |source| MlError::Io { path: path.to_path_buf(), source };
	let bytes = std::fs::read(path).map_err(io)?;
	if bytes.starts_with(&[0x1f, 0x8b]) {
		let mut inflated = Vec::new();
		flate2::read::GzDecoder::new(&bytes[..])
			.read_to_end(&mut inflated)
			.map_err(io)?;
		return Ok(inflated);
	}
	Ok(bytes)
}

/// The first of `{stem}-{kind}`, `{stem}.{kind}`, each optionally `.gz`, that exists.
fn find_file(dir: &Path, stem: &str, kind: &str) -> Result<PathBuf> {
	let candidates = [format!("{stem}-{kind}"), format!("{stem}.{kind}")];
	candidates
		.iter()
		.flat_map(|name| [name.clone(), format!("{name}.gz")])
		.map(|name| dir.join(name))
		.find(|path| path.is_file())
		.ok_or_else(|| {
			idx_error(
				&dir.join(&candidates[0]).display().to_string(),
				"not found (also tried the `.` spelling and `.gz`)",
			)
		})
}

#[cfg(test)]
mod tests {
	use super::*;

	/// An IDX file from a magic, dimensions and data.
	fn idx_bytes(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
		let mut bytes = magic.to_be_bytes().to_vec();
		for dim in dims {
			bytes.extend_from_slice(&dim.to_be_bytes());
		}
		bytes.extend_from_slice(data);
		bytes
	}

	fn message(result: Result<impl std::fmt::Debug>) -> String {
		match result {
			Err(MlError::Idx { message, .. }) => message,
			other => panic!("expected an IDX error, got {other:?}"),
		}
	}

	#[test]
	fn parses_images_and_labels() {
		let images =
			parse_idx_images("i", &idx_bytes(IMAGES_MAGIC, &[2, 1, 2], &[0, 255, 51, 0])).unwrap();
		assert_eq!((images.count, images.rows, images.cols), (2, 1, 2));
		let labels = parse_idx_labels("l", &idx_bytes(LABELS_MAGIC, &[2], &[3, 1])).unwrap();
		let data = idx_dataset(&images, &labels).unwrap();
		assert_eq!(data.sample(0), Some((&[0.0, 1.0][..], 3)));
		assert_eq!(data.sample(1), Some((&[0.2, 0.0][..], 1)));
		assert_eq!(data.num_classes(), 4);
	}

	#[test]
	fn malformed_files_are_rejected() {
		assert!(message(parse_idx_images("i", &[0, 0])).contains("shorter"));
		let swapped = idx_bytes(LABELS_MAGIC, &[1], &[0]);
		assert!(message(parse_idx_images("i", &swapped)).contains("magic 0x00000801"));
		let short = idx_bytes(IMAGES_MAGIC, &[2, 2, 2], &[0; 7]);
		assert!(message(parse_idx_images("i", &short)).contains("the file has 7"));
		let long = idx_bytes(LABELS_MAGIC, &[2], &[0; 3]);
		assert!(message(parse_idx_labels("l", &long)).contains("the file has 3"));
		let cut_header = &idx_bytes(IMAGES_MAGIC, &[2, 2], &[])[..];
		assert!(message(parse_idx_images("i", cut_header)).contains("header ends"));
		let huge = idx_bytes(IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], &[]);
		assert!(message(parse_idx_images("i", &huge)).contains("data bytes"));
		let images = parse_idx_images("i", &idx_bytes(IMAGES_MAGIC, &[1, 1, 1], &[0])).unwrap();
		assert!(matches!(idx_dataset(&images, &[0, 1]), Err(MlError::InvalidDataset(_))));
	}

	#[test]
	fn reads_an_mnist_style_directory_with_gz_files() {
		use std::io::Write;
		let dir = tempfile::tempdir().unwrap();
		let write = |name: &str, bytes: Vec<u8>, gz: bool| {
			let path = dir.path().join(name);
			if gz {
				let file = std::fs::File::create(path).unwrap();
				let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
				encoder.write_all(&bytes).unwrap();
				encoder.finish().unwrap();
			} else {
				std::fs::write(path, bytes).unwrap();
			}
		};
		write("train-images-idx3-ubyte.gz", idx_bytes(IMAGES_MAGIC, &[2, 2, 2], &[9; 8]), true);
		write("train-labels-idx1-ubyte", idx_bytes(LABELS_MAGIC, &[2], &[0, 9]), false);
		write("t10k-images.idx3-ubyte", idx_bytes(IMAGES_MAGIC, &[1, 2, 2], &[0; 4]), false);
		write("t10k-labels.idx1-ubyte.gz", idx_bytes(LABELS_MAGIC, &[1], &[2]), true);
		let splits = load_idx_dir(dir.path()).unwrap();
		assert_eq!((splits.train.len(), splits.test.len()), (2, 1));
		assert_eq!((splits.train.num_classes(), splits.test.num_classes()), (10, 10));
		assert_eq!(splits.test.sample(0), Some((&[0.0; 4][..], 2)));

		std::fs::remove_file(dir.path().join("t10k-labels.idx1-ubyte.gz")).unwrap();
		assert!(message(load_idx_dir(dir.path())).contains("not found"));
	}
}
