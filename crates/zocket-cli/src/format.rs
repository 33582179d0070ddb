//! Output formats for received messages, and the splitting of input into frames.
//!
//! | format | one message is written as |
//! |---|---|
//! | `text` | each frame's bytes as they are, frames joined by the separator (a tab unless `--separator` is given), then a newline |
//! | `raw` | each frame's bytes as they are, back to back: nothing between frames or after the message |
//! | `hex` | each frame in lower-case hex, frames joined by the separator (a tab by default), then a newline |
//! | `quoted` | each frame as a double-quoted string, frames joined by one space, then a newline |
//! | `json` | one JSON object per line: `{"frames":[…]}`, each frame a JSON string when it is valid UTF-8, else an object `{"hex":"…"}` with its bytes in lower-case hex |
//!
//! In `quoted`, a frame keeps its printable characters (any valid UTF-8 that is not a
//! control character); `"` and `\` are escaped with a backslash, newline, carriage
//! return and tab are `\n`, `\r` and `\t`, and every other control character
//! (NUL is `\x00`), and each byte of invalid UTF-8, is `\xNN`.

use clap::ValueEnum;
use zocket::Message;

/// How received messages are printed on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Frames as they are, joined by the separator (default tab), one message per line.
    Text,
    /// Frames as they are, back to back, with nothing added (for binary pipes).
    Raw,
    /// Frames in lower-case hex, joined by the separator (default tab), one message per line.
    Hex,
    /// Frames as escaped, double-quoted strings joined by spaces, one message per line.
    Quoted,
    /// One JSON object per message: {"frames":[...]}; a frame is a string if it is
    /// UTF-8, else {"hex":"..."}.
    Json,
}

/// The default frame separator in `text` and `hex` output.
const DEFAULT_JOIN: &[u8] = b"\t";

/// Renders one message in `format`; `separator` joins frames in `text` and `hex`.
pub(crate) fn render(format: Format, msg: &Message, separator: Option<&[u8]>) -> Vec<u8> {
    let join = separator.unwrap_or(DEFAULT_JOIN);
    let mut out = Vec::with_capacity(msg.byte_len() * 2 + 16);
    match format {
        Format::Raw => {
            for frame in msg {
                out.extend_from_slice(frame);
            }
        }
        Format::Text | Format::Hex => {
            for (i, frame) in msg.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(join);
                }
                if format == Format::Text {
                    out.extend_from_slice(frame);
                } else {
                    push_hex(&mut out, frame);
                }
            }
            out.push(b'\n');
        }
        Format::Quoted => {
            for (i, frame) in msg.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                push_quoted(&mut out, frame);
            }
            out.push(b'\n');
        }
        Format::Json => {
            out.extend_from_slice(b"{\"frames\":[");
            for (i, frame) in msg.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match std::str::from_utf8(frame) {
                    Ok(s) => push_json_string(&mut out, s),
                    Err(_) => {
                        out.extend_from_slice(b"{\"hex\":\"");
                        push_hex(&mut out, frame);
                        out.extend_from_slice(b"\"}");
                    }
                }
            }
            out.extend_from_slice(b"]}\n");
        }
    }
    out
}

/// Splits one line of input into frames at `separator`; without one the line is a
/// single frame.
pub(crate) fn split_frames(line: &[u8], separator: Option<&[u8]>) -> Message {
    let Some(sep) = separator.filter(|s| !s.is_empty()) else {
        return Message::single(line.to_vec());
    };
    let mut frames = Vec::new();
    let mut rest = line;
    while let Some(at) = find(rest, sep) {
        frames.push(bytes::Bytes::copy_from_slice(&rest[..at]));
        rest = &rest[at + sep.len()..];
    }
    frames.push(bytes::Bytes::copy_from_slice(rest));
    Message::from_frames(frames)
}

/// Joins a message's frames with `separator` (nothing between them without one).
pub(crate) fn join_frames(frames: &[bytes::Bytes], separator: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(separator.unwrap_or_default());
        }
        out.extend_from_slice(frame);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0xf)]);
    }
}

fn push_quoted(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                c if c.is_control() => {
                    let mut buf = [0; 4];
                    for &b in c.encode_utf8(&mut buf).as_bytes() {
                        out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                    }
                }
                c => {
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        for &b in chunk.invalid() {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
    }
    out.push(b'"');
}

fn push_json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if u32::from(c) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", u32::from(c)).as_bytes());
            }
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(frames: &[&[u8]]) -> Message {
        Message::from_frames(
            frames
                .iter()
                .map(|f| bytes::Bytes::copy_from_slice(f))
                .collect(),
        )
    }

    fn show(format: Format, m: &Message, sep: Option<&[u8]>) -> String {
        String::from_utf8(render(format, m, sep)).unwrap()
    }

    #[test]
    fn text_joins_frames_with_the_separator() {
        let m = msg(&[b"weather", b"sunny, 21C"]);
        assert_eq!(show(Format::Text, &m, None), "weather\tsunny, 21C\n");
        assert_eq!(show(Format::Text, &m, Some(b"|")), "weather|sunny, 21C\n");
        assert_eq!(
            render(Format::Text, &msg(&[b"\xff"]), None),
            b"\xff\n".to_vec()
        );
    }

    #[test]
    fn raw_adds_nothing() {
        let m = msg(&[b"ab", b"\x00\xff", b""]);
        assert_eq!(render(Format::Raw, &m, Some(b"|")), b"ab\x00\xff".to_vec());
    }

    #[test]
    fn hex_is_lower_case_per_frame() {
        let m = msg(&[b"\x00\x01\xab", b"Z"]);
        assert_eq!(show(Format::Hex, &m, None), "0001ab\t5a\n");
        assert_eq!(show(Format::Hex, &m, Some(b" ")), "0001ab 5a\n");
        assert_eq!(show(Format::Hex, &msg(&[b""]), None), "\n");
    }

    #[test]
    fn quoted_escapes_what_is_not_printable() {
        let m = msg(&[
            b"say \"hi\"\\",
            b"a\nb\tc\r\0",
            b"\x01\x7f\xff\xfe",
            "héllo ✓".as_bytes(),
        ]);
        assert_eq!(
            show(Format::Quoted, &m, None),
            "\"say \\\"hi\\\"\\\\\" \"a\\nb\\tc\\r\\x00\" \"\\x01\\x7f\\xff\\xfe\" \"héllo ✓\"\n"
        );
        // A control character beyond ASCII is escaped byte by byte.
        assert_eq!(
            show(Format::Quoted, &msg(&["\u{85}".as_bytes()]), None),
            "\"\\xc2\\x85\"\n"
        );
    }

    #[test]
    fn json_uses_strings_for_utf8_and_hex_objects_otherwise() {
        let m = msg(&[b"hello", b"\x00\xff", "q\"\\\n\u{1}é".as_bytes(), b""]);
        assert_eq!(
            show(Format::Json, &m, None),
            "{\"frames\":[\"hello\",{\"hex\":\"00ff\"},\"q\\\"\\\\\\n\\u0001é\",\"\"]}\n"
        );
    }

    #[test]
    fn input_lines_split_at_the_separator() {
        assert_eq!(
            split_frames(b"a|b||c", Some(b"|")),
            msg(&[b"a", b"b", b"", b"c"])
        );
        assert_eq!(split_frames(b"a::b", Some(b"::")), msg(&[b"a", b"b"]));
        assert_eq!(split_frames(b"a|b", None), msg(&[b"a|b"]));
        assert_eq!(split_frames(b"", Some(b"|")), msg(&[b""]));
        assert_eq!(split_frames(b"|", Some(b"|")), msg(&[b"", b""]));
        let frames = split_frames(b"x|y", Some(b"|")).into_frames();
        assert_eq!(join_frames(&frames, Some(b"|")), b"x|y".to_vec());
        assert_eq!(join_frames(&frames, None), b"xy".to_vec());
    }
}
