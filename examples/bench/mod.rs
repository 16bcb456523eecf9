//! What the benchmarks share: their command line (two counts and a database), an
//! engine over the built-in adapters on the database the caller names (by default a
//! fresh SQLite file in a temporary directory), and the viewer of an account.

use shopmux_core::domain::viewer::Viewer;
use shopmux_core::{Clock, Inbox, InboxOptions, Store, StoreOptions, SystemClock};
use std::sync::Arc;

/// The command line `[--<first> N] [--<second> N] [--database URL]`: the two counts
/// (`first` and `second` name them and give their defaults) and the database.
pub fn parse_args(first: (&str, usize), second: (&str, usize)) -> (usize, usize, Option<String>) {
    let (mut a, mut b, mut database) = (first.1, second.1, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let count = |v: String| v.parse().unwrap_or_else(|_| panic!("{flag} N"));
        match flag.as_str() {
            f if f == first.0 => a = count(value()),
            f if f == second.0 => b = count(value()),
            "--database" => database = Some(value()),
            "--browser" | "--service-data" | "--cold-start" | "--reuse" => {} // read by `flag`
            other => panic!("unknown option {other}"),
        }
    }
    (a, b, database)
}

/// Whether the command line carries `name` (a switch such as `--browser`).
#[allow(dead_code)] // not every benchmark has switches
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// An engine under benchmark, and where its data lives.
pub struct Bench {
    pub inbox: Arc<Inbox>,
    /// The database URL (with its password, if any: print it masked).
    #[allow(dead_code)] // not every benchmark prints it
    pub url: String,
    /// The temporary directory of the default SQLite file, removed on drop.
    _dir: tempfile::TempDir,
}

/// Opens `database` (or a fresh SQLite file named `file`) and starts an engine over the
/// built-in adapters with `options` for everything but the registry.
pub async fn start(database: Option<String>, file: &str, options: InboxOptions) -> Bench {
    start_with_clock(database, file, options, Arc::new(SystemClock)).await
}

/// [`start`] with the engine's clock (the wall clock there).
#[allow(dead_code)] // not every benchmark places events in time
pub async fn start_with_clock(
    database: Option<String>, file: &str, options: InboxOptions, clock: Arc<dyn Clock>,
) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let url = database.unwrap_or_else(|| format!("sqlite://{}/{file}", dir.path().display()));
    let store = Store::open(&StoreOptions::new(url.clone())).await.expect("store");
    let host = shopmux::host::DaemonHost::new(
        clock.clone(),
        store.clone(),
        shopmux::outbound::OutboundPolicy { allow_private_networks: true, ..Default::default() },
    );
    let options =
        InboxOptions { registry: shopmux::adapters::registry_of(Vec::new(), &host), ..options };
    let inbox = Inbox::start(store, clock, options);
    Bench { inbox, url, _dir: dir }
}

/// The viewer `token` authenticates (after shops were created, to see them too).
pub async fn viewer(inbox: &Inbox, token: &str) -> Viewer {
    inbox.authenticate(token).await.unwrap().expect("viewer")
}
