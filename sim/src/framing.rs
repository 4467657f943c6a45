//! Response framing: `Content-Length` or `Transfer-Encoding: chunked`, as the device does.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper::Version;
use tokio::time::Sleep;

use super::fault::Delivery;

/// Padding goes out in frames of this size, all sharing one buffer, so a 50 MiB reply costs
/// the simulator 64 KiB of memory.
const PAD_FRAME: usize = 64 * 1024;

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
    /// Wait this long before every frame but the first ([`Delivery::Drip`]).
    pace: Option<Duration>,
    next_frame: Option<Pin<Box<Sleep>>>,
}

impl SimBody {
    /// Frame `bytes` for the wire as `delivery` says. Chunked bodies go out in up to three
    /// frames so a client really has to reassemble chunks.
    pub(crate) fn new(bytes: Vec<u8>, chunked: bool, delivery: Delivery) -> SimBody {
        let bytes = Bytes::from(bytes);
        let mut len = bytes.len();
        let mut frames = VecDeque::new();
        let mut pace = None;
        match delivery {
            Delivery::Drip(every) => {
                frames.extend((0..len).map(|i| bytes.slice(i..=i)));
                pace = Some(every);
            }
            _ if chunked => {
                let cuts = [0, len / 3, 2 * len / 3, len];
                for pair in cuts.windows(2) {
                    if pair[1] > pair[0] {
                        frames.push_back(bytes.slice(pair[0]..pair[1]));
                    }
                }
            }
            _ if len > 0 => frames.push_back(bytes),
            _ => {}
        }
        if let Delivery::PaddedTo(total) = delivery {
            let pad = Bytes::from(vec![b' '; PAD_FRAME]);
            while len < total {
                let n = PAD_FRAME.min(total - len);
                frames.push_back(pad.slice(..n));
                len += n;
            }
        }
        SimBody {
            frames,
            exact_len: (!chunked).then_some(len as u64),
            pace,
            next_frame: None,
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.frames.is_empty() {
            return Poll::Ready(None);
        }
        if let Some(wait) = this.next_frame.as_mut() {
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        this.next_frame = this.pace.map(|pace| Box::pin(tokio::time::sleep(pace)));
        Poll::Ready(this.frames.pop_front().map(|b| Ok(Frame::data(b))))
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
        let b = SimBody::new(
            b"<DeviceList>\n</DeviceList>\n".to_vec(),
            true,
            Delivery::AtOnce,
        );
        assert_eq!(b.frames.len(), 3);
        assert_eq!(b.size_hint().exact(), None);
        let joined: Vec<u8> = b.frames.iter().flat_map(|f| f.to_vec()).collect();
        assert_eq!(joined, b"<DeviceList>\n</DeviceList>\n");
        let b = SimBody::new(b"abc".to_vec(), false, Delivery::AtOnce);
        assert_eq!(b.size_hint().exact(), Some(3));
        assert!(SimBody::new(Vec::new(), true, Delivery::AtOnce).is_end_stream());
    }

    #[test]
    fn padding_shares_one_buffer_and_drip_sends_single_bytes() {
        let b = SimBody::new(b"<A/>".to_vec(), false, Delivery::PaddedTo(200_000));
        assert_eq!(b.size_hint().exact(), Some(200_000));
        assert_eq!(&b.frames[0][..], b"<A/>");
        assert!(b
            .frames
            .iter()
            .skip(1)
            .all(|f| f.iter().all(|&c| c == b' ')));
        let d = SimBody::new(
            b"<A/>".to_vec(),
            true,
            Delivery::Drip(Duration::from_secs(1)),
        );
        assert_eq!(d.frames.len(), 4);
        assert!(d.frames.iter().all(|f| f.len() == 1));
    }

    #[tokio::test(start_paused = true)]
    async fn drip_waits_between_bytes() {
        use http_body_util::BodyExt;
        let started = tokio::time::Instant::now();
        let body = SimBody::new(
            b"abc".to_vec(),
            true,
            Delivery::Drip(Duration::from_secs(2)),
        );
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"abc");
        assert_eq!(started.elapsed(), Duration::from_secs(4));
    }

    #[test]
    fn auto_follows_the_request_version() {
        assert!(Framing::Auto.chunked(Version::HTTP_11));
        assert!(!Framing::Auto.chunked(Version::HTTP_10));
        assert!(!Framing::ContentLength.chunked(Version::HTTP_11));
    }
}
