//! Why a poll of the EAGLE produced no reading.

use std::time::Duration;

use thiserror::Error;

use super::certificate::{Fingerprint, PinSource};

/// [`EagleError::Malformed`]'s kind for a blank reply (which busy firmware sends now and then).
pub const EMPTY_BODY: &str = "empty-body";

/// A failed exchange with the EAGLE. None of these stops the daemon: each is logged (once per
/// kind per minute), counted, and the next tick tries again.
#[derive(Debug, Error)]
pub enum EagleError {
    /// HTTP 401: the Cloud ID / Install Code pair is wrong. The install code is never shown.
    #[error(
        "the EAGLE refused the credentials (HTTP 401) for cloud_id {cloud_id}: check \
         eagle.cloud_id and eagle.install_code against the label on the EAGLE"
    )]
    Unauthorized {
        /// The configured Cloud ID (not a secret: it is printed on the label and in the host name).
        cloud_id: String,
    },
    /// HTTP 503: the EAGLE's web server is overloaded or its radio side is stuck.
    #[error("the EAGLE is busy (HTTP 503)")]
    Busy,
    /// No complete reply within the configured timeout.
    #[error("the EAGLE did not answer within {0:?}")]
    Timeout(Duration),
    /// The TCP connection could not be made (host down, wrong address, refused).
    #[error("cannot connect to the EAGLE at {url}: {detail}")]
    Connect {
        /// The URL tried.
        url: String,
        /// What the network stack said.
        detail: String,
    },
    /// Any other non-success HTTP status.
    #[error("the EAGLE answered HTTP {0}")]
    Status(u16),
    /// The reply body exceeded the size limit (a real reply is about 11 kB).
    #[error("the EAGLE's reply exceeded {0} bytes")]
    TooLarge(usize),
    /// The reply could not be read as the expected document.
    #[error("malformed reply to {command} ({kind}): {detail}")]
    Malformed {
        /// The command that was answered.
        command: &'static str,
        /// A stable short name of the defect, for counters and log rate limiting.
        kind: &'static str,
        /// Human-readable detail.
        detail: String,
    },
    /// `device_list` holds no electric meter that is `Connected` with a non-zero LastContact.
    #[error(
        "no electric meter is joined to the EAGLE ({listed} device(s) listed): the utility \
         must provision the meter, or the EAGLE must be re-paired"
    )]
    NoJoinedMeter {
        /// How many devices the EAGLE listed.
        listed: usize,
    },
    /// The meter named in `eagle.meter` is not in the EAGLE's device list.
    #[error("the configured meter {0} is not in the EAGLE's device list")]
    MeterNotListed(String),
    /// The chosen meter reports a state other than `Connected`.
    #[error("meter {meter} is not connected to the EAGLE (status {status:?})")]
    MeterNotJoined {
        /// HardwareAddress of the meter.
        meter: String,
        /// The ConnectionStatus it reported.
        status: String,
    },
    /// `api = "auto"` could not recognise either API in the replies.
    #[error(
        "the device at {url} answered neither as an EAGLE-200/EAGLE 3 nor as a legacy EAGLE; \
         set eagle.api if you know which it is"
    )]
    UnknownApi {
        /// The URL tried.
        url: String,
    },
    /// The https EAGLE presented another certificate than the pinned one: someone has to
    /// decide whether the EAGLE was replaced or something else answers at its address.
    #[error(
        "the EAGLE at {url} presented a certificate with SHA-256 {presented}, but the one \
         {pinned_by} has SHA-256 {expected}: refused. If the EAGLE was replaced or reset, \
         accept its new certificate by setting eagle.certificate_sha256 = \"{presented}\" in \
         the config file; otherwise another device answers at the EAGLE's address"
    )]
    CertificateChanged {
        /// The URL tried.
        url: String,
        /// The fingerprint of the certificate presented now.
        presented: Fingerprint,
        /// The fingerprint expected.
        expected: Fingerprint,
        /// Where the expected fingerprint came from.
        pinned_by: PinSource,
    },
    /// A redirect other than http → https: the client follows none.
    #[error(
        "the EAGLE at {url} answered HTTP {status} redirecting to {location}; redirects are not \
         followed: set eagle.host to the EAGLE's own address"
    )]
    Redirect {
        /// The URL asked.
        url: String,
        /// The 3xx status.
        status: u16,
        /// The `Location` it named, made safe to print (`(none)` when absent).
        location: String,
    },
    /// A request to the https address an http → https redirect pointed at failed.
    #[error(
        "{error} (the EAGLE at {http_url} redirected to {location}, so its https API at \
         {https_url} was tried; set eagle.host = \"{https_base}\" to skip the redirect)"
    )]
    AfterUpgrade {
        /// What went wrong over https.
        error: Box<EagleError>,
        /// The configured http URL.
        http_url: String,
        /// The `Location` the EAGLE named, made safe to print.
        location: String,
        /// The https URL polled instead.
        https_url: String,
        /// The `eagle.host` value that reaches it directly.
        https_base: String,
    },
    /// Any other transport failure.
    #[error("request to the EAGLE failed: {0}")]
    Transport(String),
}

impl EagleError {
    /// A stable short name for counters and once-per-kind logging.
    pub fn kind(&self) -> &'static str {
        match self {
            EagleError::Unauthorized { .. } => "unauthorized",
            EagleError::Busy => "busy",
            EagleError::Timeout(_) => "timeout",
            EagleError::Connect { .. } => "connect",
            EagleError::Status(_) => "http-status",
            EagleError::TooLarge(_) => "too-large",
            EagleError::Malformed { kind, .. } => kind,
            EagleError::NoJoinedMeter { .. } => "no-joined-meter",
            EagleError::MeterNotListed(_) => "meter-not-listed",
            EagleError::MeterNotJoined { .. } => "meter-not-joined",
            EagleError::UnknownApi { .. } => "unknown-api",
            EagleError::CertificateChanged { .. } => "certificate-changed",
            EagleError::Redirect { .. } => "redirect",
            EagleError::AfterUpgrade { error, .. } => error.kind(),
            EagleError::Transport(_) => "transport",
        }
    }

    /// True for errors that need a person to fix the configuration (LED: config error): the
    /// credentials are refused, or the EAGLE's certificate is not the pinned one.
    pub fn is_credential_error(&self) -> bool {
        match self {
            EagleError::AfterUpgrade { error, .. } => error.is_credential_error(),
            other => matches!(
                other,
                EagleError::Unauthorized { .. } | EagleError::CertificateChanged { .. }
            ),
        }
    }

    /// True for failures that usually pass by themselves (busy, no answer, a blank or cut
    /// reply): worth trying again a few seconds later.
    pub fn is_transient(&self) -> bool {
        match self {
            EagleError::AfterUpgrade { error, .. } => error.is_transient(),
            EagleError::Busy
            | EagleError::Timeout(_)
            | EagleError::Connect { .. }
            | EagleError::Transport(_)
            | EagleError::Status(500..=599) => true,
            EagleError::Malformed { kind, .. } => *kind == EMPTY_BODY,
            _ => false,
        }
    }

    /// True when the meter itself is absent or offline, as opposed to the EAGLE being unreachable.
    pub fn is_meter_offline(&self) -> bool {
        if let EagleError::AfterUpgrade { error, .. } = self {
            return error.is_meter_offline();
        }
        matches!(
            self,
            EagleError::NoJoinedMeter { .. }
                | EagleError::MeterNotListed(_)
                | EagleError::MeterNotJoined { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after_upgrade(error: EagleError) -> EagleError {
        EagleError::AfterUpgrade {
            error: Box::new(error),
            http_url: "http://eagle/cgi-bin/post_manager".into(),
            location: "https://192.168.7.1/cgi-bin/post_manager".into(),
            https_url: "https://eagle/cgi-bin/post_manager".into(),
            https_base: "https://eagle".into(),
        }
    }

    #[test]
    fn a_refused_certificate_needs_a_person_even_after_the_https_upgrade() {
        let changed = EagleError::CertificateChanged {
            url: "https://eagle/cgi-bin/post_manager".into(),
            presented: Fingerprint::of(b"new"),
            expected: Fingerprint::of(b"old"),
            pinned_by: PinSource::Buffer,
        };
        assert!(changed.is_credential_error() && !changed.is_transient());
        let wrapped = after_upgrade(changed);
        assert!(wrapped.is_credential_error());
        assert_eq!(wrapped.kind(), "certificate-changed");
        assert!(wrapped.to_string().ends_with(
            "(the EAGLE at http://eagle/cgi-bin/post_manager redirected to \
             https://192.168.7.1/cgi-bin/post_manager, so its https API at \
             https://eagle/cgi-bin/post_manager was tried; set eagle.host = \"https://eagle\" \
             to skip the redirect)"
        ));
    }

    #[test]
    fn only_failures_that_pass_by_themselves_are_transient() {
        let blank = EagleError::Malformed {
            command: "device_list",
            kind: EMPTY_BODY,
            detail: "empty reply".into(),
        };
        let garbled = EagleError::Malformed {
            command: "device_list",
            kind: "xml",
            detail: "empty element".into(),
        };
        for transient in [EagleError::Busy, EagleError::Status(502), blank] {
            assert!(transient.is_transient(), "{transient}");
        }
        let redirect = EagleError::Redirect {
            url: "http://eagle/cgi-bin/post_manager".into(),
            status: 307,
            location: "http://elsewhere/".into(),
        };
        for lasting in [garbled, EagleError::Status(404), redirect] {
            assert!(!lasting.is_transient(), "{lasting}");
        }
        assert!(after_upgrade(EagleError::Timeout(Duration::from_secs(1))).is_transient());
    }
}
