//! `pravechat._pravega`: pravechat's own binding over the `pravega-client` crate.
//!
//! Only what the chat needs. Three rules hold for every method:
//! - a call that waits on the network releases the GIL (`py.allow_threads`), so one blocked
//!   call never stalls the rest of the process (the stock binding's 30 s stalls);
//! - a Rust panic (the crate calls `expect()` on server errors) is caught here and raised as
//!   `PravegaError`, an ordinary `Exception`, never pyo3's `PanicException` (a BaseException);
//! - nothing is printed: no tracing subscriber is installed, and the panic hook is silent
//!   (its message goes into the exception), so a full-screen UI is never written over.
//!
//! One tokio runtime serves the whole process. A room is a one-segment stream, so a position
//! in it is a single byte offset: that is what the stream-cut methods take and return.


use std::collections::HashMap;
use std::future::Future;
use std::io::SeekFrom;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use tokio::sync::{Mutex, Notify};

use pravega_client::client_factory::ClientFactoryAsync;
use pravega_client::event::reader::SegmentSlice;
use pravega_client::event::reader_group::{
    ReaderGroupConfigBuilder, StreamCutV1, StreamCutVersioned,
};
use pravega_client::event::reader_group_state::ReaderGroupStateError;
use pravega_client::event::{EventReader, EventWriter, ReaderGroup};
use pravega_client_config::ClientConfigBuilder;
use pravega_client_retry::retry_policy::RetryWithBackoff;
use pravega_client_shared::{
    CToken, Retention, RetentionType, ScaleType, Scaling, Scope, ScopedSegment, ScopedStream,
    Segment, Stream, StreamConfiguration,
};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tokio::runtime::Runtime;

create_exception!(
    _pravega,
    PravegaError,
    PyException,
    "Pravega refused or failed a request."
);
create_exception!(
    _pravega,
    StreamSealedError,
    PravegaError,
    "The stream is sealed: nothing more can be written to it."
);

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pravechat-pravega")
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the Pravega client panicked".to_string()
    }
}

/// Run `future` on the runtime with the GIL released; a panic becomes a `PravegaError`.
fn block<T: Send, F: Future<Output = Result<T, String>> + Send>(
    py: Python<'_>,
    future: F,
) -> PyResult<T> {
    let outcome =
        py.allow_threads(|| catch_unwind(AssertUnwindSafe(|| runtime().block_on(future))));
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(error_for(message)),
        Err(payload) => Err(PravegaError::new_err(redact_credentials(&panic_text(
            payload,
        )))),
    }
}

fn error_for(message: String) -> PyErr {
    if message.contains("StreamSealed") || message.contains("Zero current segments") {
        StreamSealedError::new_err(message)
    } else {
        PravegaError::new_err(message)
    }
}

fn text<E: std::fmt::Debug>(error: E) -> String {
    redact_credentials(&format!("{error:?}"))
}

/// The crate's gRPC errors carry the request's headers, the password among them (base64):
/// the value of every `authorization` header is cut out.
fn redact_credentials(message: &str) -> String {
    const KEY: &str = "authorization\\\": \\\"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.to_ascii_lowercase().find(KEY) {
        let value_start = at + KEY.len();
        out.push_str(&rest[..value_start]);
        out.push_str("<redacted>");
        rest = &rest[value_start..];
        rest = match rest.find("\\\"") {
            Some(end) => &rest[end..],
            None => "",
        };
    }
    out.push_str(rest);
    for scheme in ["Basic ", "Bearer "] {
        let mut cleaned = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(scheme) {
            cleaned.push_str(&rest[..at + scheme.len()]);
            cleaned.push_str("<redacted>");
            rest = &rest[at + scheme.len()..];
            let token = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=._-".contains(c)))
                .unwrap_or(rest.len());
            rest = &rest[token..];
        }
        cleaned.push_str(rest);
        out = cleaned;
    }
    out
}

fn scoped(scope: &str, stream: &str) -> ScopedStream {
    ScopedStream {
        scope: Scope::from(scope.to_string()),
        stream: Stream::from(stream.to_string()),
    }
}

/// The only segment of a one-segment stream, and its offset in `cut`.
fn only_segment(cut: StreamCutVersioned, what: &str) -> Result<(ScopedSegment, i64), String> {
    match cut {
        StreamCutVersioned::V1(cut) => {
            let positions = cut.get_positions();
            if positions.len() != 1 {
                return Err(format!(
                    "{what}: expected a stream of one segment, found {}",
                    positions.len()
                ));
            }
            Ok(positions.into_iter().next().expect("one position"))
        }
        _ => Err(format!("{what}: the server gave no positions")),
    }
}

/// A connection to one controller; every other object comes from it.
#[pyclass(module = "pravechat._pravega")]
struct Client {
    factory: ClientFactoryAsync,
}

const RETRY_MAX_DELAY_S: u64 = 2;
const RETRY_ATTEMPTS: usize = 8;

#[pymethods]
impl Client {
    /// Credentials and trusted certificates come from the `pravega_client_*` environment
    /// variables, as the crate reads them. `retry_delay_ms` shortens the wait between the
    /// controller client's tries (a probe wants an answer, not seconds of retries).
    #[new]
    #[pyo3(signature = (controller_uri, auth_enabled=false, tls_enabled=false, retry_delay_ms=None))]
    fn new(
        py: Python<'_>,
        controller_uri: String,
        auth_enabled: bool,
        tls_enabled: bool,
        retry_delay_ms: Option<u64>,
    ) -> PyResult<Self> {
        // Not inside `block`: with a password the crate's constructor blocks on the runtime
        // itself, which tokio refuses from within a runtime.
        let outcome = py.allow_threads(|| {
            catch_unwind(AssertUnwindSafe(|| {
                let mut builder = ClientConfigBuilder::default();
                builder
                    .controller_uri(controller_uri.as_str())
                    .is_auth_enabled(auth_enabled);
                if tls_enabled {
                    builder.is_tls_enabled(true);
                }
                if let Some(delay) = retry_delay_ms {
                    let delay = std::time::Duration::from_millis(delay);
                    builder.retry_policy(
                        RetryWithBackoff::default_setting()
                            .initial_delay(delay)
                            .max_delay(delay),
                    );
                } else {
                    // The crate's default retries for ever, 10 s apart, and a segment writer
                    // retries the endpoint it looked up once: when a cluster's segment store
                    // dies, its writers wait for that one to come back, though the segment
                    // moved to another within seconds (measured: the chat stalled 53 s
                    // instead of about 20). Given up after ~9 s, the writer looks the
                    // endpoint up again; controller calls give up after ~9 s, not a minute.
                    builder.retry_policy(
                        RetryWithBackoff::default_setting()
                            .max_delay(std::time::Duration::from_secs(RETRY_MAX_DELAY_S))
                            .max_attempt(RETRY_ATTEMPTS),
                    );
                }
                let config = builder.build().map_err(text)?;
                Ok::<_, String>(ClientFactoryAsync::new(config, runtime().handle().clone()))
            }))
        });
        let factory = match outcome {
            Ok(Ok(factory)) => factory,
            Ok(Err(message)) => return Err(error_for(message)),
            Err(payload) => {
                return Err(PravegaError::new_err(redact_credentials(&panic_text(
                    payload,
                ))))
            }
        };
        Ok(Client { factory })
    }

    fn create_scope(&self, py: Python<'_>, scope: String) -> PyResult<bool> {
        let factory = self.factory.clone();
        block(py, async move {
            factory
                .controller_client()
                .create_scope(&Scope::from(scope))
                .await
                .map_err(text)
        })
    }

    /// Create a stream of `segments` fixed segments; False when it exists.
    #[pyo3(signature = (scope, stream, segments=1, retention_ms=None, tags=None))]
    fn create_stream(
        &self,
        py: Python<'_>,
        scope: String,
        stream: String,
        segments: i32,
        retention_ms: Option<i64>,
        tags: Option<Vec<String>>,
    ) -> PyResult<bool> {
        let factory = self.factory.clone();
        let config = StreamConfiguration {
            scoped_stream: scoped(&scope, &stream),
            scaling: Scaling {
                scale_type: ScaleType::FixedNumSegments,
                target_rate: 0,
                scale_factor: 0,
                min_num_segments: segments,
            },
            retention: match retention_ms {
                Some(ms) => Retention {
                    retention_type: RetentionType::Time,
                    retention_param: ms,
                },
                None => Retention {
                    retention_type: RetentionType::None,
                    retention_param: 0,
                },
            },
            tags,
        };
        block(py, async move {
            factory
                .controller_client()
                .create_stream(&config)
                .await
                .map_err(text)
        })
    }

    fn stream_exists(&self, py: Python<'_>, scope: String, stream: String) -> PyResult<bool> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        block(py, async move {
            factory
                .controller_client()
                .check_stream_exists(&stream)
                .await
                .map_err(text)
        })
    }

    fn stream_tags(&self, py: Python<'_>, scope: String, stream: String) -> PyResult<Vec<String>> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        block(py, async move {
            let tags = factory
                .controller_client()
                .get_stream_tags(&stream)
                .await
                .map_err(text)?;
            Ok(tags.unwrap_or_default())
        })
    }

    /// Every stream of the scope, by name, in the controller's pages.
    fn list_streams(&self, py: Python<'_>, scope: String) -> PyResult<Vec<String>> {
        let factory = self.factory.clone();
        block(py, async move {
            let scope = Scope::from(scope);
            let mut names = Vec::new();
            let mut token = CToken::empty();
            while let Some((streams, next)) = factory
                .controller_client()
                .list_streams(&scope, &token)
                .await
                .map_err(text)?
            {
                if streams.is_empty() {
                    break;
                }
                names.extend(streams.into_iter().map(|s| s.stream.name));
                token = next;
            }
            Ok(names)
        })
    }

    fn seal_stream(&self, py: Python<'_>, scope: String, stream: String) -> PyResult<bool> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        block(py, async move {
            factory
                .controller_client()
                .seal_stream(&stream)
                .await
                .map_err(text)
        })
    }

    fn delete_stream(&self, py: Python<'_>, scope: String, stream: String) -> PyResult<bool> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        block(py, async move {
            factory
                .controller_client()
                .delete_stream(&stream)
                .await
                .map_err(text)
        })
    }

    /// (head, tail) byte offsets of a one-segment stream: where its oldest retained event
    /// starts and where the next one will be written. `StreamSealedError` once it is sealed.
    fn bounds(&self, py: Python<'_>, scope: String, stream: String) -> PyResult<(i64, i64)> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        block(py, async move {
            let meta = factory.create_stream_meta_client(stream.clone()).await;
            let head = meta.fetch_current_head_segments().await.map_err(text)?;
            let tail = meta.fetch_current_tail_segments().await.map_err(text)?;
            let (_, head) = only_segment(head, "the head of the stream")?;
            let (_, tail) = only_segment(tail, "the tail of the stream")?;
            Ok((head, tail))
        })
    }

    /// Where the next event of each current segment will be written, by segment name (as
    /// `Reader.acquire_tagged` names them): for a stream of several segments.
    fn tails(&self, py: Python<'_>, scope: String, stream: String) -> PyResult<HashMap<String, i64>> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        block(py, async move {
            let meta = factory.create_stream_meta_client(stream.clone()).await;
            match meta.fetch_current_tail_segments().await.map_err(text)? {
                StreamCutVersioned::V1(cut) => Ok(cut
                    .get_positions()
                    .into_iter()
                    .map(|(segment, offset)| (segment.to_string(), offset))
                    .collect()),
                _ => Err("the tail of the stream: the server gave no positions".to_string()),
            }
        })
    }

    /// The raw bytes of a one-segment stream in [start, end): events with their 8-byte
    /// headers, for reading a known range without a reader group.
    fn read_bytes<'py>(
        &self,
        py: Python<'py>,
        scope: String,
        stream: String,
        start: u64,
        end: u64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        let data = block(py, async move {
            if end <= start {
                return Ok(Vec::new());
            }
            let mut reader = factory.create_byte_reader(stream).await;
            reader.seek(SeekFrom::Start(start)).await.map_err(text)?;
            let mut data = vec![0u8; (end - start) as usize];
            let mut filled = 0;
            while filled < data.len() {
                let got = reader.read(&mut data[filled..]).await.map_err(text)?;
                if got == 0 {
                    return Err(format!(
                        "the stream ended at {} before {end}",
                        start + filled as u64
                    ));
                }
                filled += got;
            }
            Ok(data)
        })?;
        Ok(PyBytes::new(py, &data))
    }

    fn writer(&self, scope: String, stream: String) -> Writer {
        let factory = self.factory.clone();
        let _runtime = runtime().enter(); // the writer's reactor is spawned on our runtime
        Writer {
            inner: Mutex::new(factory.create_event_writer(scoped(&scope, &stream))),
        }
    }

    /// Open the reader group `name` on `stream`, creating it when missing at `start`:
    /// "head", "tail", or a byte offset. An existing group keeps its position.
    fn reader_group(
        &self,
        py: Python<'_>,
        scope: String,
        name: String,
        stream: String,
        start: Start,
    ) -> PyResult<Group> {
        let factory = self.factory.clone();
        let stream = scoped(&scope, &stream);
        let group = block(py, async move {
            let mut builder = ReaderGroupConfigBuilder::default();
            match start {
                Start::Head => builder.read_from_head_of_stream(stream.clone()),
                Start::Tail => builder.read_from_tail_of_stream(stream.clone()),
                Start::Offset(offset) => {
                    let meta = factory.create_stream_meta_client(stream.clone()).await;
                    let tail = meta.fetch_current_tail_segments().await.map_err(text)?;
                    let (segment, _) = only_segment(tail, "the tail of the stream")?;
                    let cut = StreamCutV1::new(stream.clone(), HashMap::from([(segment, offset)]));
                    builder.read_from_stream(stream.clone(), StreamCutVersioned::V1(cut))
                }
            };
            let config = builder.build();
            Ok(factory
                .create_reader_group_with_config(Scope::from(scope), name, config)
                .await)
        })?;
        Ok(Group {
            inner: std::sync::Arc::new(group),
        })
    }

    fn delete_reader_group(&self, py: Python<'_>, scope: String, name: String) -> PyResult<()> {
        let factory = self.factory.clone();
        block(py, async move {
            factory
                .delete_reader_group(Scope::from(scope), name)
                .await
                .map_err(text)
        })
    }
}

enum Start {
    Head,
    Tail,
    Offset(i64),
}

impl<'py> FromPyObject<'py> for Start {
    fn extract_bound(value: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(offset) = value.extract::<i64>() {
            return Ok(Start::Offset(offset));
        }
        match value.extract::<String>()?.as_str() {
            "head" => Ok(Start::Head),
            "tail" => Ok(Start::Tail),
            other => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "start must be 'head', 'tail' or an offset, not {other:?}"
            ))),
        }
    }
}

/// Writes events in order; each write returns once Pravega acknowledged it.
#[pyclass(module = "pravechat._pravega")]
struct Writer {
    inner: Mutex<EventWriter>,
}

#[pymethods]
impl Writer {
    fn write(&self, py: Python<'_>, data: &[u8], routing_key: String) -> PyResult<()> {
        self.send(py, vec![data.to_vec()], routing_key)
    }

    /// Pipelined: every event is sent before the first acknowledgement is awaited; the order
    /// is kept (one routing key). Returns once all are acknowledged.
    fn write_all(
        &self,
        py: Python<'_>,
        events: Vec<Bound<'_, PyBytes>>,
        routing_key: String,
    ) -> PyResult<()> {
        let events = events
            .iter()
            .map(|event| event.as_bytes().to_vec())
            .collect();
        self.send(py, events, routing_key)
    }
}

impl Writer {
    fn send(&self, py: Python<'_>, events: Vec<Vec<u8>>, routing_key: String) -> PyResult<()> {
        let writer = &self.inner;
        block(py, async move {
            let mut writer = writer.lock().await;
            let mut acks = Vec::with_capacity(events.len());
            for event in events {
                acks.push(
                    writer
                        .write_event_by_routing_key(routing_key.clone(), event)
                        .await,
                );
            }
            drop(writer);
            for ack in acks {
                ack.await.map_err(text)?.map_err(text)?;
            }
            Ok(())
        })
    }
}

/// The one segment of a one-segment group's stream.
async fn only_segment_of(group: &ReaderGroup) -> Result<ScopedSegment, String> {
    let cut = group.get_streamcut().await;
    let numbers: Vec<i64> = cut.segment_offset_map.keys().copied().collect();
    let [number] = numbers.as_slice() else {
        return Err(format!(
            "expected a stream of one segment, found {}",
            numbers.len()
        ));
    };
    Ok(ScopedSegment {
        scope: cut.scoped_stream.scope.clone(),
        stream: cut.scoped_stream.stream.clone(),
        segment: Segment::from(*number),
    })
}

/// A reader group; `inner` is shared with the readers made from it.
#[pyclass(module = "pravechat._pravega")]
struct Group {
    inner: std::sync::Arc<ReaderGroup>,
}

#[pymethods]
impl Group {
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    fn reader(&self, py: Python<'_>, reader_id: String) -> PyResult<Reader> {
        let group = self.inner.clone();
        let reader = block(py, async move { Ok(group.create_reader(reader_id).await) })?;
        Ok(Reader {
            state: Mutex::new(ReaderState {
                reader: Some(reader),
                slice: None,
            }),
            wake: std::sync::Arc::new(Notify::new()),
        })
    }

    /// Ids of the group's readers that are online (a crashed process leaves its reader so).
    fn online_readers(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let group = self.inner.clone();
        block(py, async move {
            Ok(group
                .list_readers()
                .await
                .into_iter()
                .map(|r| r.name)
                .collect())
        })
    }

    /// Take a reader offline from outside it: one left online by a crash, at its last saved
    /// position, or one of ours at `position` (the offset up to which its events were shown).
    /// Nothing happens when it is offline already.
    #[pyo3(signature = (reader_id, position=None))]
    fn reader_offline(
        &self,
        py: Python<'_>,
        reader_id: String,
        position: Option<i64>,
    ) -> PyResult<()> {
        let group = self.inner.clone();
        block(py, async move {
            let position = match position {
                Some(offset) => Some(HashMap::from([(
                    only_segment_of(&group).await?.to_string(),
                    offset,
                )])),
                None => None,
            };
            match group.reader_offline(reader_id, position).await {
                Ok(()) | Err(ReaderGroupStateError::ReaderAlreadyOfflineError { .. }) => Ok(()),
                Err(error) => Err(text(error)),
            }
        })
    }

    /// Move the group's position in its one-segment stream to `offset` (an event boundary):
    /// a reader of a fresh id takes the segment and leaves at once, saying it read up to there.
    /// No reader of the group may be online.
    fn move_to(&self, py: Python<'_>, offset: i64) -> PyResult<()> {
        let group = self.inner.clone();
        block(py, async move {
            let segment = only_segment_of(&group).await?;
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos())
                .unwrap_or_default();
            let mover = format!("mover-{}-{nanos:x}", std::process::id());
            let reader = group.create_reader(mover.clone()).await;
            let moved = group
                .reader_offline(mover, Some(HashMap::from([(segment.to_string(), offset)])))
                .await
                .map_err(text);
            drop(reader); // already offline: its drop only finds that out
            moved
        })
    }

    /// The group's saved position in its one-segment stream.
    fn position(&self, py: Python<'_>) -> PyResult<i64> {
        let group = self.inner.clone();
        block(py, async move {
            let cut = group.get_streamcut().await;
            let offsets: Vec<i64> = cut.segment_offset_map.values().copied().collect();
            match offsets.as_slice() {
                [offset] => Ok(*offset),
                _ => Err(format!(
                    "expected a stream of one segment, found {}",
                    offsets.len()
                )),
            }
        })
    }
}

struct ReaderState {
    reader: Option<EventReader>,
    slice: Option<SegmentSlice>,
}

/// One reader of a group. Use it from one thread at a time: acquire, then release.
#[pyclass(module = "pravechat._pravega")]
struct Reader {
    state: Mutex<ReaderState>,
    wake: std::sync::Arc<Notify>,
}

impl Drop for Reader {
    /// A reader never taken offline goes offline now, on our runtime (the crate's own drop
    /// would otherwise start a runtime of its own for it).
    fn drop(&mut self) {
        let _inside = runtime().enter();
        let state = self.state.get_mut();
        state.slice.take();
        state.reader.take();
    }
}

#[pymethods]
impl Reader {
    /// The next slice's events as (offset, data), waiting up to about a second when there
    /// are none (then empty). The previous slice must be released first: by `release`, or
    /// here with `release_previous=True` (one call, one thread hop, per slice).
    #[pyo3(signature = (release_previous=false))]
    fn acquire(&self, py: Python<'_>, release_previous: bool) -> PyResult<Vec<(i64, Py<PyBytes>)>> {
        Ok(self.acquire_slice(py, release_previous)?.1)
    }

    /// Like `acquire`, with the name of the segment the events are in (`scope/stream/N.#epoch.E`,
    /// empty when there are none): in a stream of several segments an offset alone names no
    /// event.
    #[pyo3(signature = (release_previous=false))]
    fn acquire_tagged(
        &self,
        py: Python<'_>,
        release_previous: bool,
    ) -> PyResult<(String, Vec<(i64, Py<PyBytes>)>)> {
        self.acquire_slice(py, release_previous)
    }

    /// Release the acquired slice. `give_back=True` releases it where it started, so its
    /// events are delivered again (to whoever reads the group next) instead of counted read.
    #[pyo3(signature = (give_back=false))]
    fn release(&self, py: Python<'_>, give_back: bool) -> PyResult<()> {
        let state = &self.state;
        block(py, async move {
            let mut state = state.lock().await;
            let Some(slice) = state.slice.take() else {
                return Ok(());
            };
            let reader = state.reader.as_mut().ok_or("the reader is offline")?;
            if give_back {
                let start = slice.meta.start_offset;
                reader.release_segment_at(slice, start).await.map_err(text)
            } else {
                reader.release_segment(slice).await.map_err(text)
            }
        })
    }

    /// End a pending (or the next) `acquire` at once, with no events: for stopping.
    fn interrupt(&self) {
        self.wake.notify_one();
    }

    /// Leave the group, saving the position read up to (a slice still held is given back).
    fn offline(&self, py: Python<'_>) -> PyResult<()> {
        let state = &self.state;
        block(py, async move {
            let mut state = state.lock().await;
            let slice = state.slice.take();
            let Some(mut reader) = state.reader.take() else {
                return Ok(());
            };
            if let Some(slice) = slice {
                let start = slice.meta.start_offset;
                reader
                    .release_segment_at(slice, start)
                    .await
                    .map_err(text)?;
            }
            reader.reader_offline().await.map_err(text)
        })
    }
}

impl Reader {
    fn acquire_slice(
        &self,
        py: Python<'_>,
        release_previous: bool,
    ) -> PyResult<(String, Vec<(i64, Py<PyBytes>)>)> {
        let state = &self.state;
        let wake = self.wake.clone();
        let (segment, events) = block(py, async move {
            let mut state = state.lock().await;
            let previous = state.slice.take();
            let reader = state.reader.as_mut().ok_or("the reader is offline")?;
            match previous {
                Some(slice) if release_previous => reader.release_segment(slice).await.map_err(text)?,
                Some(slice) => {
                    state.slice = Some(slice);
                    return Err("acquire called before the previous slice was released".to_string());
                }
                None => {}
            }
            let reader = state.reader.as_mut().ok_or("the reader is offline")?;
            let mut events = Vec::new();
            let mut segment = String::new();
            // Waiting for data is cancel-safe; `interrupt` ends the wait at once.
            let acquired = tokio::select! {
                acquired = reader.acquire_segment() => acquired.map_err(text)?,
                _ = wake.notified() => None,
            };
            if let Some(mut slice) = acquired {
                segment = slice.meta.scoped_segment.clone();
                for event in &mut slice {
                    events.push((event.offset_in_segment, event.value));
                }
                state.slice = Some(slice);
            }
            Ok((segment, events))
        })?;
        let events = events
            .into_iter()
            .map(|(offset, data)| (offset, PyBytes::new(py, &data).unbind()))
            .collect();
        Ok((segment, events))
    }
}

#[pymodule]
fn _pravega(module: &Bound<'_, PyModule>) -> PyResult<()> {
    // Silent panics: their message is raised as PravegaError instead of written over a
    // full-screen UI. (It is the process's hook: pravechat has no other Rust code.)
    std::panic::set_hook(Box::new(|_| {}));
    module.add_class::<Client>()?;
    module.add_class::<Writer>()?;
    module.add_class::<Group>()?;
    module.add_class::<Reader>()?;
    module.add("PravegaError", module.py().get_type::<PravegaError>())?;
    module.add(
        "StreamSealedError",
        module.py().get_type::<StreamSealedError>(),
    )?;
    Ok(())
}
