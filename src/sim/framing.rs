//! Response framing: `Content-Length` or `Transfer-Encoding: chunked`, as the device does.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper::Version;

/// How reply bodies are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// Like the device (manual p.9): an HTTP/1.0 request gets `Content-Length` (and the
    /// connection is closed); an HTTP/1.1 request gets `Transfer-Encoding: chunked`.
    #[default]
    Auto,
    /// Always `Content-Length`.
    ContentLength,
}

impl Framing {
    /// Whether a reply to a request of `version` is chunked.
    pub(crate) fn chunked(self, version: Version) -> bool {
        self == Framing::Auto && version >= Version::HTTP_11
    }
}

/// A response body that is either of known length (hyper writes `Content-Length`) or a stream
/// of a few frames with no size hint (hyper writes `Transfer-Encoding: chunked`).
#[derive(Debug)]
pub(crate) struct SimBody {
    frames: VecDeque<Bytes>,
    exact_len: Option<u64>,
}

impl SimBody {
    /// Frame `bytes` for the wire. Chunked bodies go out in up to three frames so a client
    /// really has to reassemble chunks.
    pub(crate) fn new(bytes: Vec<u8>, chunked: bool) -> SimBody {
        let bytes = Bytes::from(bytes);
        let len = bytes.len();
        let mut frames = VecDeque::new();
        if chunked {
            let cuts = [0, len / 3, 2 * len / 3, len];
            for pair in cuts.windows(2) {
                if pair[1] > pair[0] {
                    frames.push_back(bytes.slice(pair[0]..pair[1]));
                }
            }
        } else if len > 0 {
            frames.push_back(bytes);
        }
        SimBody {
            frames,
            exact_len: (!chunked).then_some(len as u64),
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(
            self.get_mut()
                .frames
                .pop_front()
                .map(|b| Ok(Frame::data(b))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact_len {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_have_several_frames_and_no_length() {
        let b = SimBody::new(b"<DeviceList>\n</DeviceList>\n".to_vec(), true);
        assert_eq!(b.frames.len(), 3);
        assert_eq!(b.size_hint().exact(), None);
        let joined: Vec<u8> = b.frames.iter().flat_map(|f| f.to_vec()).collect();
        assert_eq!(joined, b"<DeviceList>\n</DeviceList>\n");
        let b = SimBody::new(b"abc".to_vec(), false);
        assert_eq!(b.size_hint().exact(), Some(3));
        assert!(SimBody::new(Vec::new(), true).is_end_stream());
    }

    #[test]
    fn auto_follows_the_request_version() {
        assert!(Framing::Auto.chunked(Version::HTTP_11));
        assert!(!Framing::Auto.chunked(Version::HTTP_10));
        assert!(!Framing::ContentLength.chunked(Version::HTTP_11));
    }
}
