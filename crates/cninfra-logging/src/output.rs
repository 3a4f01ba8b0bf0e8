//! The output layer: text and JSON formatters side by side, one of them writing.
//!
//! Both formatters see every span (so each has the span fields it needs whenever the format
//! is switched), but only the active one formats events. Switching is an atomic store.

use std::fmt;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::fmt::{self as tfmt, MakeWriter, format};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::settings::LogFormat;

/// A `MakeWriter` that many formatters can share.
#[derive(Clone)]
pub(crate) struct SharedWriter(Arc<BoxMakeWriter>);

impl SharedWriter {
    /// `writer`, or stdout when `None`.
    pub(crate) fn new(writer: Option<BoxMakeWriter>) -> Self {
        Self(Arc::new(
            writer.unwrap_or_else(|| BoxMakeWriter::new(std::io::stdout)),
        ))
    }
}

impl fmt::Debug for SharedWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedWriter").field(&self.0).finish()
    }
}

impl<'a> MakeWriter<'a> for SharedWriter {
    type Writer = Box<dyn Write + 'a>;

    fn make_writer(&'a self) -> Self::Writer {
        self.0.make_writer()
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        self.0.make_writer_for(meta)
    }
}

/// Which format is active; shared between the registry and the output layer.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormatSwitch(Arc<AtomicBool>);

impl FormatSwitch {
    pub(crate) fn new(format: LogFormat) -> Self {
        let switch = Self::default();
        switch.set(format);
        switch
    }

    pub(crate) fn set(&self, format: LogFormat) {
        self.0.store(format == LogFormat::Json, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> LogFormat {
        if self.0.load(Ordering::Relaxed) {
            LogFormat::Json
        } else {
            LogFormat::Text
        }
    }
}

type TextLayer<S> =
    tfmt::Layer<S, format::DefaultFields, format::Format<format::Full>, SharedWriter>;
type JsonLayer<S> = tfmt::Layer<S, format::JsonFields, format::Format<format::Json>, SharedWriter>;

/// The fmt layers and the switch between them.
pub(crate) struct Output<S> {
    text: TextLayer<S>,
    json: JsonLayer<S>,
    switch: FormatSwitch,
}

impl<S> fmt::Debug for Output<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Output")
            .field("format", &self.switch.get())
            .finish_non_exhaustive()
    }
}

impl<S> Output<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    pub(crate) fn new(writer: SharedWriter, ansi: bool, switch: FormatSwitch) -> Self {
        Self {
            text: tfmt::layer().with_writer(writer.clone()).with_ansi(ansi),
            json: tfmt::layer().json().with_writer(writer),
            switch,
        }
    }
}

impl<S> Layer<S> for Output<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        self.text.on_new_span(attrs, id, ctx.clone());
        self.json.on_new_span(attrs, id, ctx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        self.text.on_record(id, values, ctx.clone());
        self.json.on_record(id, values, ctx);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.text.on_enter(id, ctx.clone());
        self.json.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.text.on_exit(id, ctx.clone());
        self.json.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.text.on_close(id.clone(), ctx.clone());
        self.json.on_close(id, ctx);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        match self.switch.get() {
            LogFormat::Text => self.text.on_event(event, ctx),
            LogFormat::Json => self.json.on_event(event, ctx),
        }
    }
}
