//! Limits that bound what a peer can make us hold in memory.
//!
//! Each limit is checked against the length a peer *declares* before a single byte
//! of the body is buffered, so a hostile length never turns into an allocation.

/// Limits applied to everything received on one connection.
///
/// ```
/// use zocket_proto::Limits;
/// let limits = Limits::default()
///     .with_max_frame_size(Some(1 << 20))
///     .with_max_frames_per_message(64);
/// assert_eq!(limits.max_frame_size(), Some(1 << 20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_frame_size: Option<u64>,
    max_frames_per_message: usize,
    max_command_size: u64,
}

impl Limits {
    /// Default maximum number of frames in one multipart message.
    pub const DEFAULT_MAX_FRAMES_PER_MESSAGE: usize = 1 << 16;
    /// Default maximum size of one command frame body (READY with its metadata, …).
    pub const DEFAULT_MAX_COMMAND_SIZE: u64 = 1 << 16;

    /// Maximum size of one message frame, libzmq's `ZMQ_MAXMSGSIZE` (which applies per
    /// frame). `None` (the default, libzmq's −1) means no limit other than what the
    /// platform can address. A larger frame is a protocol error.
    pub fn max_frame_size(&self) -> Option<u64> {
        self.max_frame_size
    }

    /// Sets [`max_frame_size`](Self::max_frame_size).
    ///
    /// ```
    /// let l = zocket_proto::Limits::default().with_max_frame_size(Some(0));
    /// assert_eq!(l.max_frame_size(), Some(0));
    /// ```
    pub fn with_max_frame_size(mut self, limit: Option<u64>) -> Self {
        self.max_frame_size = limit;
        self
    }

    /// Maximum number of frames in one multipart message; default
    /// [`DEFAULT_MAX_FRAMES_PER_MESSAGE`](Self::DEFAULT_MAX_FRAMES_PER_MESSAGE) (65 536).
    /// libzmq has no such limit; without one a peer could send millions of empty
    /// frames marked MORE and make us hold an ever-growing message.
    pub fn max_frames_per_message(&self) -> usize {
        self.max_frames_per_message
    }

    /// Sets [`max_frames_per_message`](Self::max_frames_per_message). Values below 1
    /// are raised to 1.
    ///
    /// ```
    /// let l = zocket_proto::Limits::default().with_max_frames_per_message(0);
    /// assert_eq!(l.max_frames_per_message(), 1);
    /// ```
    pub fn with_max_frames_per_message(mut self, limit: usize) -> Self {
        self.max_frames_per_message = limit.max(1);
        self
    }

    /// Maximum size of one command frame body; default
    /// [`DEFAULT_MAX_COMMAND_SIZE`](Self::DEFAULT_MAX_COMMAND_SIZE) (64 KiB). Commands
    /// (READY metadata, subscriptions, PING contexts) are small; this bounds them
    /// independently of the message limit.
    pub fn max_command_size(&self) -> u64 {
        self.max_command_size
    }

    /// Sets [`max_command_size`](Self::max_command_size).
    ///
    /// ```
    /// let l = zocket_proto::Limits::default().with_max_command_size(4096);
    /// assert_eq!(l.max_command_size(), 4096);
    /// ```
    pub fn with_max_command_size(mut self, limit: u64) -> Self {
        self.max_command_size = limit;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: None,
            max_frames_per_message: Self::DEFAULT_MAX_FRAMES_PER_MESSAGE,
            max_command_size: Self::DEFAULT_MAX_COMMAND_SIZE,
        }
    }
}
