//! Runtime fault injection, on top of whatever the profile does (docs/eagle-api.md §4.1–4.2).

use std::time::Duration;

/// A failure the simulator injects into every `post_manager` request until cleared with
/// `SimHandle::set_fault(None)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 401 regardless of credentials.
    Unauthorized,
    /// 503 with the legacy body `Timeout waiting for response`.
    ServiceUnavailable,
    /// Wait this long, then answer normally (a hung or overloaded EAGLE).
    Stall(Duration),
    /// 200 with an empty body.
    EmptyBody,
    /// 200 with the body cut in the middle of an element.
    Truncated,
    /// 200 with bytes that are not XML (nor JSON).
    Garbage,
    /// `<Device>` replies (`device_query`, `device_details`) carry `<DeviceDetails>` only, no
    /// `<Components>` (the EAGLE 3 `KeyError: 'Components'` case). Other commands are answered
    /// normally.
    NoComponents,
    /// 200 with the good reply followed by [`OVERSIZED_BYTES`] of whitespace: still a valid
    /// document, so only a client that caps the reply's size refuses it.
    Oversized,
    /// 200 with the good reply sent one byte at a time, this long apart: only a client whose
    /// timeout covers the whole body gives up.
    SlowDrip(Duration),
    /// The meter drops off the EAGLE's network: `device_list` shows it `Not joined` with
    /// LastContact 0 and `device_query` carries no values.
    MeterNotJoined,
    /// The meter stops reporting to the EAGLE (2025 firmware, HA #149350): it stays
    /// `Connected` with LastContact moving, but every `<Value>` of `device_query` is empty.
    /// EAGLE-200/3 profiles only: a legacy profile answers as usual, but, as under any
    /// body-level fault, its replies do not count as served.
    NoValues,
}

/// Total size of an [`Fault::Oversized`] reply: 50 MiB.
pub const OVERSIZED_BYTES: usize = 50 << 20;

/// How a reply's body is put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// As fast as the connection takes it.
    AtOnce,
    /// Padded with whitespace up to this many bytes in all.
    PaddedTo(usize),
    /// One byte at a time, this long apart.
    Drip(Duration),
}

/// What the simulator sends instead of a good body under [`Fault::Garbage`].
pub(crate) const GARBAGE: &[u8] = b"\x00\xff\xfe\x1b[0m\x8d\xc3(\xa0 ??? }{ <<<\x00";

impl Fault {
    /// Rewrite a successful reply body for the body-level faults; others leave it alone.
    pub(crate) fn rewrite(self, body: Vec<u8>) -> Vec<u8> {
        match self {
            Fault::EmptyBody => Vec::new(),
            Fault::Garbage => GARBAGE.to_vec(),
            Fault::Truncated => truncate(body),
            _ => body,
        }
    }

    /// How a successful reply's body is sent under this fault.
    pub(crate) fn delivery(self) -> Delivery {
        match self {
            Fault::Oversized => Delivery::PaddedTo(OVERSIZED_BYTES),
            Fault::SlowDrip(pace) => Delivery::Drip(pace),
            _ => Delivery::AtOnce,
        }
    }

    /// Whether a reply under this fault still delivers the meter's values intact. An
    /// oversized or dripping reply is intact but cannot reach a client that bounds memory and
    /// time, so it does not count as served.
    pub(crate) fn delivers_values(self) -> bool {
        matches!(
            self,
            Fault::Stall(_) | Fault::Unauthorized | Fault::ServiceUnavailable
        )
    }
}

/// Cut `body` about halfway, never right after a `>` or at the very end, so the result ends
/// inside an element (or inside a JSON string) and can never parse.
fn truncate(mut body: Vec<u8>) -> Vec<u8> {
    let mut cut = body.len() / 2;
    while cut > 1 && matches!(body.get(cut - 1), Some(b'>' | b'}' | b'\n' | b' ')) {
        cut -= 1;
    }
    body.truncate(cut);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_ends_mid_element() {
        let body = b"<Device>\n<A>1</A>\n<B>2</B>\n</Device>\n".to_vec();
        let cut = Fault::Truncated.rewrite(body.clone());
        assert!(!cut.is_empty() && cut.len() < body.len());
        assert!(body.starts_with(&cut));
        assert_ne!(cut.last(), Some(&b'>'));
        assert!(Fault::Truncated.rewrite(Vec::new()).is_empty());
    }

    #[test]
    fn garbage_is_not_text() {
        assert!(GARBAGE.iter().any(|b| !b.is_ascii()));
        assert!(roxmltree::Document::parse(&String::from_utf8_lossy(GARBAGE)).is_err());
        assert!(serde_json::from_slice::<serde_json::Value>(GARBAGE).is_err());
        assert_eq!(Fault::EmptyBody.rewrite(b"x".to_vec()), b"");
    }
}
