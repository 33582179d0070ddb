//! Where outgoing messages come from: --data arguments, a file, or stdin.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use tokio::sync::mpsc;
use zocket::Message;

use crate::failure::Failure;
use crate::format::split_frames;

/// A source of messages to send.
pub(crate) enum Input {
    /// The --data arguments; `repeat` cycles through them for ever.
    Data {
        messages: Vec<Message>,
        next: usize,
        repeat: bool,
    },
    /// Lines read by a background thread from a file or stdin.
    Lines {
        rx: mpsc::Receiver<std::io::Result<Vec<u8>>>,
        separator: Option<Vec<u8>>,
        name: String,
    },
}

/// The bytes of a command-line argument (any bytes on Unix; UTF-8 elsewhere).
pub(crate) fn os_bytes(arg: &OsString) -> Result<Vec<u8>, Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(arg.as_bytes().to_vec())
    }
    #[cfg(not(unix))]
    {
        arg.to_str()
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| Failure::new(format!("argument {arg:?} is not valid UTF-8")))
    }
}

impl Input {
    /// The --data messages, split into frames at `separator`.
    pub(crate) fn data(
        data: &[OsString],
        separator: Option<&[u8]>,
        repeat: bool,
    ) -> Result<Input, Failure> {
        let messages = data
            .iter()
            .map(|d| os_bytes(d).map(|b| split_frames(&b, separator)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Input::Data {
            messages,
            next: 0,
            repeat,
        })
    }

    /// Lines of `path` ("-" = stdin), or of stdin when `path` is `None`.
    pub(crate) fn lines(path: Option<&Path>, separator: Option<&[u8]>) -> Result<Input, Failure> {
        let (reader, name): (Box<dyn Read + Send>, String) = match path {
            Some(p) if p != Path::new("-") => {
                let file = std::fs::File::open(p)
                    .map_err(|e| Failure::new(format!("cannot open {}: {e}", p.display())))?;
                (Box::new(file), p.display().to_string())
            }
            _ => (Box::new(std::io::stdin()), "stdin".to_string()),
        };
        let (tx, rx) = mpsc::channel(64);
        // A plain thread: reading stdin blocks, and the process ends without joining it.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) => return,
                    Ok(_) => {
                        if line.last() == Some(&b'\n') {
                            line.pop();
                            if line.last() == Some(&b'\r') {
                                line.pop();
                            }
                        }
                        if tx.blocking_send(Ok(line)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        Ok(Input::Lines {
            rx,
            separator: separator.map(<[u8]>::to_vec),
            name,
        })
    }

    /// The next message, or `None` when the input is exhausted.
    pub(crate) async fn next(&mut self) -> Result<Option<Message>, Failure> {
        match self {
            Input::Data {
                messages,
                next,
                repeat,
            } => {
                if messages.is_empty() || (*next >= messages.len() && !*repeat) {
                    return Ok(None);
                }
                let msg = messages[*next].clone();
                *next += 1;
                if *repeat {
                    *next %= messages.len();
                }
                Ok(Some(msg))
            }
            Input::Lines {
                rx,
                separator,
                name,
            } => match rx.recv().await {
                None => Ok(None),
                Some(Ok(line)) => Ok(Some(split_frames(&line, separator.as_deref()))),
                Some(Err(e)) => Err(Failure::new(format!("cannot read {name}: {e}"))),
            },
        }
    }
}
