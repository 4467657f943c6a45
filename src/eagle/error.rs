//! Why a poll of the EAGLE produced no reading.

use std::time::Duration;

use thiserror::Error;

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
            EagleError::Transport(_) => "transport",
        }
    }

    /// True for errors that need a person to fix the configuration (LED: config error).
    pub fn is_credential_error(&self) -> bool {
        matches!(self, EagleError::Unauthorized { .. })
    }

    /// True when the meter itself is absent or offline, as opposed to the EAGLE being unreachable.
    pub fn is_meter_offline(&self) -> bool {
        matches!(
            self,
            EagleError::NoJoinedMeter { .. }
                | EagleError::MeterNotListed(_)
                | EagleError::MeterNotJoined { .. }
        )
    }
}
