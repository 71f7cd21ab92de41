//! Sound-card ends through cpal (the system default input and output).
//!
//! `cpal::Stream` is not `Send`, so each device end owns a dedicated thread that builds the
//! stream, starts it and then just holds it until the end is finished or dropped. Frames
//! cross between the media task and cpal's real-time callback through an `rtrb` SPSC ring
//! created before the stream starts. The callback only pushes/pops the ring and bumps
//! atomics: it never blocks, locks, allocates or logs (ARCHITECTURE.md rule 7).
//!
//! * Input: the callback pushes the first channel of each device frame; a full ring drops
//!   samples (counted as an overrun). [`DeviceSource::read_frame`] waits (without blocking:
//!   it gives silence) until [`PRIME_FRAMES`] frames — or one device period plus a frame,
//!   if the device delivers bigger bursts — are buffered, then hands out 20 ms frames; it
//!   drops the oldest audio when more than [`MAX_BACKLOG_FRAMES`] (plus a period) pile up,
//!   so latency stays bounded when the device clock runs faster than ours.
//! * Output: [`DeviceSink::write_frame`] pushes a frame (dropping it, counted, when the ring
//!   is full); the callback plays silence until [`PRIME_FRAMES`] frames and at least the
//!   period it is asked for are buffered, copies the mono sample to every device channel,
//!   and re-primes after running dry (counted as an underrun).
//!
//! cpal's default ALSA buffer is 25 ms periods in a 100 ms buffer; the ring holds
//! [`RING_FRAMES`] frames (320 ms) so that devices with much longer periods still work.
//!
//! All probing and opening happens with stderr silenced (see `quiet.rs`) so that alsa-lib's
//! own messages do not reach the terminal; failures become one [`AudioError`] line.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};

use super::quiet::QuietStderr;
use super::{AudioError, AudioSink, AudioSource};

/// Ring capacity, in 20 ms frames (160 ms).
pub const RING_FRAMES: usize = 16;
/// Frames buffered before audio starts flowing (40 ms of cushion against scheduling jitter).
pub const PRIME_FRAMES: usize = 2;
/// Input backlog (in frames) beyond which the oldest audio is dropped.
pub const MAX_BACKLOG_FRAMES: usize = 5;

/// Counters shared with the real-time callback (atomics only).
#[derive(Default, Debug)]
struct Counters {
    /// Output: callbacks that ran out of samples. Input: frames read before data was there.
    underruns: AtomicU64,
    /// Input: callbacks that found the ring full. Output: frames dropped by `write_frame`.
    overruns: AtomicU64,
    /// Errors cpal reported on the stream.
    stream_errors: AtomicU64,
    /// Largest device period seen, in mono samples (one callback's worth).
    max_period: AtomicUsize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dir {
    Input,
    Output,
}

impl Dir {
    fn missing(self) -> AudioError {
        match self {
            Dir::Input => AudioError::NoInputDevice,
            Dir::Output => AudioError::NoOutputDevice,
        }
    }

    fn failed(self, reason: impl std::fmt::Display) -> AudioError {
        let reason = reason.to_string();
        match self {
            Dir::Input => AudioError::InputDevice { reason },
            Dir::Output => AudioError::OutputDevice { reason },
        }
    }
}

/// The default device for `dir` and its default configuration, or "no device".
fn default_device(dir: Dir) -> Result<(cpal::Device, cpal::SupportedStreamConfig), AudioError> {
    let host = cpal::default_host();
    let device = match dir {
        Dir::Input => host.default_input_device(),
        Dir::Output => host.default_output_device(),
    }
    .ok_or(dir.missing())?;
    // alsa-lib always offers a "default" device; whether anything is behind it shows only
    // when it is opened, which is what asking for its default configuration does. A device
    // that cannot even say that is, for the user, not there.
    let config = match dir {
        Dir::Input => device.default_input_config(),
        Dir::Output => device.default_output_config(),
    }
    .map_err(|_| dir.missing())?;
    Ok((device, config))
}

/// Probe the default input device (start-up check; no stream is started).
pub fn probe_input() -> Result<(), AudioError> {
    let _quiet = QuietStderr::new();
    default_device(Dir::Input).map(drop)
}

/// Probe the default output device (start-up check; no stream is started).
pub fn probe_output() -> Result<(), AudioError> {
    let _quiet = QuietStderr::new();
    default_device(Dir::Output).map(drop)
}

fn handled(format: SampleFormat) -> bool {
    matches!(
        format,
        SampleFormat::I16 | SampleFormat::I32 | SampleFormat::U16 | SampleFormat::F32
    )
}

/// Pick a stream configuration: the default channel count and format at `preferred` Hz when
/// the device supports it, else the device's default rate (if it has whole 20 ms frames).
fn choose_config(
    device: &cpal::Device,
    dir: Dir,
    default: cpal::SupportedStreamConfig,
    preferred: u32,
) -> Result<(StreamConfig, SampleFormat), AudioError> {
    let ranges: Vec<cpal::SupportedStreamConfigRange> = match dir {
        Dir::Input => device.supported_input_configs().map(|r| r.collect()),
        Dir::Output => device.supported_output_configs().map(|r| r.collect()),
    }
    .unwrap_or_default();
    let fits = |r: &cpal::SupportedStreamConfigRange, rate: u32| {
        handled(r.sample_format()) && r.min_sample_rate().0 <= rate && rate <= r.max_sample_rate().0
    };
    let score = |r: &cpal::SupportedStreamConfigRange| {
        (r.channels() == default.channels()) as u8 * 4
            + (r.sample_format() == default.sample_format()) as u8 * 2
            + (r.channels() == 1) as u8
    };
    for rate in [preferred, default.sample_rate().0, 48_000] {
        if rate == 0 || rate % 50 != 0 {
            continue;
        }
        if rate == default.sample_rate().0 && handled(default.sample_format()) {
            return Ok((default.config(), default.sample_format()));
        }
        if let Some(r) = ranges
            .iter()
            .filter(|r| fits(r, rate))
            .max_by_key(|r| score(r))
        {
            let cfg = r.with_sample_rate(cpal::SampleRate(rate));
            return Ok((cfg.config(), cfg.sample_format()));
        }
    }
    Err(dir.failed(format!(
        "it offers no configuration we can use (default {} Hz {:?})",
        default.sample_rate().0,
        default.sample_format()
    )))
}

fn input_stream<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut ring: rtrb::Producer<i16>,
    counters: Arc<Counters>,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: SizedSample,
    i16: FromSample<T>,
{
    let channels = config.channels.max(1) as usize;
    let errors = counters.clone();
    device.build_input_stream::<T, _, _>(
        config,
        // Real-time callback: ring and atomics only.
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            counters
                .max_period
                .fetch_max(data.len() / channels, Ordering::Relaxed);
            let mut full = false;
            for frame in data.chunks(channels) {
                // invariant: `chunks` never yields an empty slice.
                if ring.push(frame[0].to_sample::<i16>()).is_err() {
                    full = true;
                }
            }
            if full {
                counters.overruns.fetch_add(1, Ordering::Relaxed);
            }
        },
        move |_err| {
            errors.stream_errors.fetch_add(1, Ordering::Relaxed);
        },
        None,
    )
}

fn output_stream<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut ring: rtrb::Consumer<i16>,
    counters: Arc<Counters>,
    prime: usize,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: SizedSample + FromSample<i16> + Send + 'static,
{
    let channels = config.channels.max(1) as usize;
    let errors = counters.clone();
    let silence = T::from_sample(0i16);
    let mut primed = false;
    device.build_output_stream::<T, _, _>(
        config,
        // Real-time callback: ring and atomics only.
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            let period = data.len() / channels;
            counters.max_period.fetch_max(period, Ordering::Relaxed);
            if !primed && ring.slots() >= prime.max(period) {
                primed = true;
            }
            if !primed {
                data.fill(silence);
                return;
            }
            let mut dry = false;
            for frame in data.chunks_mut(channels) {
                let v = match ring.pop() {
                    Ok(s) => T::from_sample(s),
                    Err(_) => {
                        dry = true;
                        silence
                    }
                };
                frame.fill(v);
            }
            if dry {
                primed = false;
                counters.underruns.fetch_add(1, Ordering::Relaxed);
            }
        },
        move |_err| {
            errors.stream_errors.fetch_add(1, Ordering::Relaxed);
        },
        None,
    )
}

/// The thread that owns a cpal stream. Dropping or stopping it ends the stream.
struct StreamThread {
    stop: Option<mpsc::Sender<()>>,
    join: Option<JoinHandle<()>>,
}

impl StreamThread {
    fn stop(&mut self) {
        // Closing the channel wakes the owner thread, which drops the stream and ends.
        self.stop.take();
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for StreamThread {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the owner thread hands back once its stream is playing.
type Ready<R> = Result<(u32, R), AudioError>;

/// Start a stream on its own thread. `build` runs on that thread; it returns the stream,
/// the rate chosen and the ring end for the media task.
fn spawn_stream<R, F>(dir: Dir, build: F) -> Result<(StreamThread, u32, R), AudioError>
where
    R: Send + 'static,
    F: FnOnce() -> Result<(cpal::Stream, u32, R), AudioError> + Send + 'static,
{
    let _quiet = QuietStderr::new();
    let (ready_tx, ready_rx) = mpsc::sync_channel::<Ready<R>>(1);
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let name = match dir {
        Dir::Input => "sipline-audio-in",
        Dir::Output => "sipline-audio-out",
    };
    let join = thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let (stream, rate, end) = match build() {
                Ok(v) => v,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            if let Err(e) = stream.play() {
                let _ = ready_tx.send(Err(dir.failed(e)));
                return;
            }
            if ready_tx.send(Ok((rate, end))).is_err() {
                return;
            }
            // Hold the stream until the end is stopped (the sender is dropped).
            let _ = stop_rx.recv();
            drop(stream);
        })
        .map_err(|e| dir.failed(e))?;
    let mut owner = StreamThread {
        stop: Some(stop_tx),
        join: Some(join),
    };
    match ready_rx.recv() {
        Ok(Ok((rate, end))) => Ok((owner, rate, end)),
        Ok(Err(e)) => {
            owner.stop();
            Err(e)
        }
        Err(_) => {
            owner.stop();
            Err(dir.failed("the audio thread ended unexpectedly"))
        }
    }
}

/// The default input device (`--audio-in default`).
pub struct DeviceSource {
    ring: rtrb::Consumer<i16>,
    rate: u32,
    counters: Arc<Counters>,
    primed: bool,
    /// Held for its Drop, which stops the stream.
    _thread: StreamThread,
}

impl DeviceSource {
    /// Open and start the default input device, at `preferred_rate` if it can.
    pub fn open(preferred_rate: u32) -> Result<Self, AudioError> {
        let counters = Arc::new(Counters::default());
        let cb_counters = counters.clone();
        let (thread, rate, ring) = spawn_stream(Dir::Input, move || {
            let (device, default) = default_device(Dir::Input)?;
            let (config, format) = choose_config(&device, Dir::Input, default, preferred_rate)?;
            let rate = config.sample_rate.0;
            let (producer, consumer) = rtrb::RingBuffer::new(RING_FRAMES * (rate / 50) as usize);
            let stream = match format {
                SampleFormat::I16 => input_stream::<i16>(&device, &config, producer, cb_counters),
                SampleFormat::I32 => input_stream::<i32>(&device, &config, producer, cb_counters),
                SampleFormat::U16 => input_stream::<u16>(&device, &config, producer, cb_counters),
                _ => input_stream::<f32>(&device, &config, producer, cb_counters),
            }
            .map_err(|e| Dir::Input.failed(e))?;
            Ok((stream, rate, consumer))
        })?;
        Ok(DeviceSource {
            ring,
            rate,
            counters,
            primed: false,
            _thread: thread,
        })
    }

    /// Device callbacks that found the ring full (their samples were dropped) because the
    /// media task did not keep up.
    pub fn overruns(&self) -> u64 {
        self.counters.overruns.load(Ordering::Relaxed)
    }
}

impl AudioSource for DeviceSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn read_frame(&mut self, out: &mut [i16]) {
        let n = out.len();
        // With bursts of `period` samples, that much more must be allowed to sit in the ring.
        let period = self.counters.max_period.load(Ordering::Relaxed);
        let prime = (n * PRIME_FRAMES).max(period + n);
        let avail = self.ring.slots();
        if avail > n * MAX_BACKLOG_FRAMES + period {
            // Keep what priming needs plus this frame.
            let excess = avail - (prime + n).min(avail);
            if let Ok(chunk) = self.ring.read_chunk(excess) {
                chunk.commit_all();
            }
        }
        if !self.primed && self.ring.slots() >= prime {
            self.primed = true;
        }
        if self.primed && self.ring.pop_entire_slice(out).is_ok() {
            return;
        }
        if self.primed {
            self.primed = false;
            self.counters.underruns.fetch_add(1, Ordering::Relaxed);
        }
        out.fill(0);
    }

    fn underruns(&self) -> u64 {
        self.counters.underruns.load(Ordering::Relaxed)
    }
}

/// The default output device (`--audio-out default`).
pub struct DeviceSink {
    ring: rtrb::Producer<i16>,
    rate: u32,
    counters: Arc<Counters>,
    thread: StreamThread,
}

impl DeviceSink {
    /// Open and start the default output device, at `preferred_rate` if it can.
    pub fn open(preferred_rate: u32) -> Result<Self, AudioError> {
        let counters = Arc::new(Counters::default());
        let cb_counters = counters.clone();
        let (thread, rate, ring) = spawn_stream(Dir::Output, move || {
            let (device, default) = default_device(Dir::Output)?;
            let (config, format) = choose_config(&device, Dir::Output, default, preferred_rate)?;
            let rate = config.sample_rate.0;
            let frame = (rate / 50) as usize;
            let (producer, consumer) = rtrb::RingBuffer::new(RING_FRAMES * frame);
            let prime = PRIME_FRAMES * frame;
            let stream = match format {
                SampleFormat::I16 => {
                    output_stream::<i16>(&device, &config, consumer, cb_counters, prime)
                }
                SampleFormat::I32 => {
                    output_stream::<i32>(&device, &config, consumer, cb_counters, prime)
                }
                SampleFormat::U16 => {
                    output_stream::<u16>(&device, &config, consumer, cb_counters, prime)
                }
                _ => output_stream::<f32>(&device, &config, consumer, cb_counters, prime),
            }
            .map_err(|e| Dir::Output.failed(e))?;
            Ok((stream, rate, producer))
        })?;
        Ok(DeviceSink {
            ring,
            rate,
            counters,
            thread,
        })
    }

    /// Frames dropped because the device did not take them in time.
    pub fn overruns(&self) -> u64 {
        self.counters.overruns.load(Ordering::Relaxed)
    }

    /// Largest device period seen so far, in samples.
    pub fn device_period(&self) -> usize {
        self.counters.max_period.load(Ordering::Relaxed)
    }
}

impl AudioSink for DeviceSink {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn write_frame(&mut self, pcm: &[i16]) {
        if self.thread.stop.is_none() {
            return;
        }
        if self.ring.push_entire_slice(pcm).is_err() {
            self.counters.overruns.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Stops the stream (what is still in the ring, at most 160 ms, is not played).
    fn finish(&mut self) -> Result<(), AudioError> {
        self.thread.stop();
        Ok(())
    }

    fn underruns(&self) -> u64 {
        self.counters.underruns.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_way_out() {
        assert_eq!(
            AudioError::NoInputDevice.to_string(),
            "no audio input device found; use --audio-in FILE.wav, --audio-in tone:440 or --audio-in silence"
        );
        assert_eq!(
            AudioError::NoOutputDevice.to_string(),
            "no audio output device found; use --audio-out FILE.wav or --audio-out null"
        );
    }
}
