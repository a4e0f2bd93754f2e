//! A real HTTP server on loopback that records what is POSTed to it, for
//! tests of senders (the runtime's HTTP alert sink, `runtime replay
//! --http-url`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

/// What a [`PostServer`] received: per request, the status it answered and
/// the body.
pub type Log = Arc<Mutex<Vec<(u16, String)>>>;

/// A server on `127.0.0.1` (a free port) answering each POST with the status
/// `answer(n)` gives for the n-th request (0-based), on keep-alive
/// connections, one thread per connection. It runs until the test process
/// ends.
#[derive(Debug, Clone)]
pub struct PostServer {
    /// `http://127.0.0.1:PORT/<path>`.
    pub url: String,
    /// What it received, in order.
    pub log: Log,
}

impl PostServer {
    /// Starts a server whose URL ends with `path` (`/alerts`). Fails the
    /// test when no port can be bound.
    #[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
    pub fn start(path: &str, answer: fn(usize) -> u16) -> PostServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let log = Log::default();
        let shared = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let log = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &log, answer));
            }
        });
        PostServer {
            url: format!("http://{address}{path}"),
            log,
        }
    }

    /// The bodies received so far, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, body)| body.clone())
            .collect()
    }
}

fn serve(mut stream: TcpStream, log: &Mutex<Vec<(u16, String)>>, answer: fn(usize) -> u16) {
    while let Some(body) = read_post(&stream) {
        let status = {
            let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
            let status = answer(log.len());
            log.push((status, body));
            status
        };
        let reply =
            format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Reads one POST request (headers and a `Content-Length` body); `None` at
/// the end of the connection or on anything else.
fn read_post(stream: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    if !request_line.starts_with("POST ") {
        return None;
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    String::from_utf8(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal client: one POST per connection, the status line read back.
    fn post(url: &str, body: &str) -> String {
        let address = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        let mut stream = TcpStream::connect(address).expect("the server accepts");
        let request = format!(
            "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .expect("the request is sent");
        let mut status = String::new();
        BufReader::new(stream)
            .read_line(&mut status)
            .expect("an answer");
        status
    }

    #[test]
    fn posts_are_answered_in_turn_and_recorded() {
        let server = PostServer::start("/alerts", |n| if n == 0 { 500 } else { 200 });
        assert!(server.url.ends_with("/alerts"), "{}", server.url);
        assert!(post(&server.url, "first").starts_with("HTTP/1.1 500 "));
        assert!(post(&server.url, "second").starts_with("HTTP/1.1 200 "));
        assert_eq!(server.bodies(), ["first", "second"]);
        let statuses: Vec<u16> = server
            .log
            .lock()
            .map_or_else(|_| Vec::new(), |log| log.iter().map(|(s, _)| *s).collect());
        assert_eq!(statuses, [500, 200]);
    }
}
