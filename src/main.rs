//! `sipline`: flags → configuration → driver → REPL (terminal) or script (anything else).
//! A TARGET is dialled first in both modes; `--auto-answer` and `--duration` are front-end
//! policies ([`sipline::cli::policy`]). `sipline devices | completions SHELL | man` print
//! and exit without starting a phone.
//!
//! Exit status: 0 ok; 1 a script's wait, `--timeout` or command failed; 2 bad usage or
//! configuration (bad flag value, bad script line, audio end unavailable, port in use);
//! 130 interrupted.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::CommandFactory;
use tracing_subscriber::EnvFilter;

use sipline::cli::commands::Action;
use sipline::cli::output::{self, Output};
use sipline::cli::policy::Policy;
use sipline::cli::render::Format;
use sipline::cli::script::{self, ScriptLine, Source, EXIT_OK, EXIT_USAGE};
use sipline::cli::{devices, repl};
use sipline::config::{Cli, Config, ScriptInput, Tool};
use sipline::driver;

fn main() -> ExitCode {
    let cli = Cli::from_env();
    if let Some(tool) = &cli.command {
        return run_tool(tool);
    }
    let cfg = match Config::from_cli(&cli) {
        Ok(cfg) => cfg,
        Err(e) => return usage_error(&e.to_string()),
    };
    init_tracing();

    // Decide the mode and check a script file or -e list before touching the network, so a
    // bad line is a usage error with nothing sent.
    let interactive = matches!(cfg.script, ScriptInput::Stdin { explicit: false })
        && std::io::stdin().is_terminal();
    let parsed = match &cfg.script {
        ScriptInput::Stdin { .. } => None,
        ScriptInput::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => match script::parse_script(text.lines()) {
                Ok(lines) => Some(lines),
                Err(bad) => return usage_error(&bad.to_string()),
            },
            Err(e) => {
                return usage_error(&format!("--script: cannot read {}: {e}", path.display()))
            }
        },
        ScriptInput::Commands(cmds) => {
            let text = cmds.join("\n");
            match script::parse_script(text.lines()) {
                Ok(lines) => Some(lines),
                Err(bad) => return usage_error(&bad.to_string()),
            }
        }
    };

    // Audio ends must be usable before we listen (exit 2 otherwise).
    if let Err(e) =
        sipline::media::audio::check_ends(&cfg.driver.media.audio_in, &cfg.driver.media.audio_out)
    {
        return usage_error(&e.to_string());
    }

    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage_error(&format!("cannot start the runtime: {e}")),
    };
    let policy = Policy::new(cfg.auto_answer, cfg.duration).with_echo_dtmf(cfg.echo_dtmf);
    let accounts: Vec<String> = cfg.driver.accounts.iter().map(|a| a.name.clone()).collect();
    let target = cfg.target.clone();
    let format = if cfg.json {
        Format::Json
    } else {
        Format::Human
    };
    let code = rt.block_on(async move {
        let mut driver = match driver::start(cfg.driver).await {
            Ok(d) => d,
            Err(e) => {
                eprintln!("sipline: {e}");
                return EXIT_USAGE;
            }
        };
        let code = if interactive {
            let banner = format!(
                "sipline {} listening on {} — type help, Ctrl-D to quit",
                env!("CARGO_PKG_VERSION"),
                driver.local_addr
            );
            if let Some(invite) = target {
                let _ = driver.commands.send(invite);
            }
            repl::run(
                &driver.commands,
                &mut driver.events,
                format,
                &banner,
                policy,
                accounts,
            )
            .await
        } else {
            // Catch the signals before saying we listen: a test (or a user) that signals
            // right after that line must get the clean interrupt, not the default death.
            let interrupt = interrupted();
            eprintln!("sipline: listening on {}", driver.local_addr);
            let source = match parsed {
                Some(lines) => Source::Parsed(lines),
                None => Source::Reader(Box::new(tokio::io::BufReader::new(tokio::io::stdin()))),
            };
            let mut out = Output::std(format).with_color(output::color_wanted());
            let prelude = target
                .into_iter()
                .map(|invite| ScriptLine {
                    number: 0,
                    text: format!("TARGET {}", cli.target.as_deref().unwrap_or_default()),
                    action: Action::Send(invite),
                })
                .collect();
            let opts = script::Options {
                timeout: cfg.timeout,
                interrupt: Some(Box::pin(interrupt)),
                prelude,
                policy,
                accounts,
                ..script::Options::default()
            };
            script::run(source, &driver.commands, &mut driver.events, &mut out, opts).await
        };
        // The front-end already waited for the event channel to close (bounded); don't let
        // a stuck driver keep the process alive.
        if tokio::time::timeout(Duration::from_secs(2), driver.join())
            .await
            .is_err()
        {
            eprintln!("sipline: the engine did not stop; exiting anyway");
        }
        code
    });
    // A blocked stdin read must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(100));
    ExitCode::from(code)
}

/// `sipline devices | completions SHELL | man`: print and exit (0, or 1 if stdout fails).
fn run_tool(tool: &Tool) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = match tool {
        Tool::Devices => {
            use std::io::Write;
            devices::report()
                .iter()
                .try_for_each(|line| writeln!(out, "{line}"))
        }
        Tool::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "sipline", &mut out);
            Ok(())
        }
        Tool::Man => clap_mangen::Man::new(Cli::command()).render(&mut out),
    };
    match written {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("sipline: cannot write to stdout: {e}");
            ExitCode::from(1)
        }
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, so a script hangs up its calls before it goes.
/// The handlers are installed when this is called (inside the runtime), not when the
/// future is first polled.
#[cfg(unix)]
fn interrupted() -> impl std::future::Future<Output = ()> + Send {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn recv(sig: Option<Signal>) {
        match sig {
            Some(mut sig) => {
                sig.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let int = signal(SignalKind::interrupt()).ok();
    let term = signal(SignalKind::terminate()).ok();
    async move {
        tokio::select! {
            () = recv(int) => {}
            () = recv(term) => {}
        }
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn interrupted() -> impl std::future::Future<Output = ()> + Send {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One line on stderr, exit status 2.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("sipline: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// Logs to stderr, filtered by `RUST_LOG` (default `warn`).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
