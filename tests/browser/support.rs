//! A real browser for the web inbox's tests: Debian's `chromium`, headless, driven
//! through `chromedriver` (WebDriver, with fantoccini). Each page is its own WebDriver
//! session, so its own profile and cookies: two agents sign in side by side.
//!
//! Without chromium and chromedriver on the PATH the tests say so and pass, so a fresh
//! machine runs the suite with Rust alone; `.ci/run` installs both and sets
//! `SHOPMUX_TEST_BROWSER=1`, which turns their absence into a failure.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Browser tests run one at a time: two cores hold one chromium well.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a page may take to show what a test waits for.
pub const PATIENCE: Duration = Duration::from_secs(20);

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// The browser and its driver, when installed.
fn installed() -> Option<(PathBuf, PathBuf)> {
    let chromium =
        std::env::var_os("SHOPMUX_CHROMIUM").map(PathBuf::from).or_else(|| on_path("chromium"));
    let driver = std::env::var_os("SHOPMUX_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path("chromedriver"));
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ if std::env::var_os("SHOPMUX_TEST_BROWSER").is_some() => {
            panic!(
                "SHOPMUX_TEST_BROWSER is set but chromium or chromedriver is missing: install Debian's chromium and chromium-driver"
            )
        }
        _ => {
            eprintln!("browser tests skipped: chromium and chromedriver are not installed");
            None
        }
    }
}

/// A running chromedriver; dropped, it stops.
pub struct Browser {
    driver: Child,
    url: String,
    chromium: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver on a free port; none when the browser is not installed.
    pub async fn start() -> Option<Browser> {
        let (chromium, driver) = installed()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let browser = Browser { driver: child, url: format!("http://127.0.0.1:{port}"), chromium };
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(browser)
    }

    /// A new headless window with its own profile.
    pub async fn page(&self) -> Page {
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({
            "binary": self.chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1440,900", "--lang=en-GB", "--no-first-run",
                     "--enable-precise-memory-info", "--js-flags=--expose-gc"],
        }));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session");
        Page { client }
    }
}

/// One browser window.
pub struct Page {
    /// The WebDriver client.
    pub client: Client,
}

impl Page {
    /// Opens a URL.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => self.fail(&format!("{css} never appeared: {e}")).await,
        }
    }

    /// Fails the test, saving what the page shows under `target/browser-failure.png`.
    async fn fail(&self, why: &str) -> ! {
        let script = "return [document.body.innerText, window.__errors, \
                      document.getElementById('announce')?.textContent]";
        let text = self.client.execute(script, vec![]).await;
        if let Ok(png) = self.client.screenshot().await {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-failure.png");
            let _ = std::fs::write(path, png);
        }
        panic!("{why}\npage text: {text:?}")
    }

    /// Runs a script in the page (its `return` value comes back as JSON).
    pub async fn eval(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Waits until `script` returns something truthy; returns it.
    pub async fn until(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self.eval(script).await;
            let truthy = !matches!(value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            if truthy {
                return value;
            }
            if Instant::now() >= deadline {
                self.fail(&format!("never: {what}")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types into the element matching `css` (found again if a live update replaced it).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.retrying(&format!("typing into {css}"), async || {
            self.find(css).await.send_keys(text).await
        })
        .await;
    }

    /// Clicks the element matching `css` (found again if a live update replaced it).
    pub async fn click(&self, css: &str) {
        self.retrying(&format!("click {css}"), async || self.find(css).await.click().await).await;
    }

    /// Chooses `value` in the list matching `css` (found again if a live update replaced
    /// it).
    pub async fn select(&self, css: &str, value: &str) {
        self.retrying(&format!("choosing {value} in {css}"), async || {
            self.find(css).await.select_by_value(value).await
        })
        .await;
    }

    /// Runs `act` on a freshly found element until it succeeds, up to six times: the
    /// demo's live updates can replace an element between finding and using it.
    async fn retrying<E: std::fmt::Display>(
        &self, what: &str, act: impl AsyncFn() -> Result<(), E>,
    ) {
        let mut tries = 0;
        loop {
            match act().await {
                Ok(()) => return,
                Err(e) if tries < 5 => {
                    tries += 1;
                    eprintln!("{what}: {e}; again");
                }
                Err(e) => self.fail(&format!("{what}: {e}")).await,
            }
        }
    }

    /// Opens the first conversation row matching `css` and returns its id. The demo keeps
    /// the list moving (rows reorder as buyers write), so a click can land on a row that
    /// moved under the pointer: this clicks the row by its id and checks that its chat
    /// opened, clicking again if another one did.
    pub async fn open_row(&self, css: &str) -> String {
        for _ in 0..5 {
            let row = self.find(css).await;
            let id = row.attr("data-id").await.ok().flatten().unwrap_or_default();
            self.click(&format!(r#".rows .row[data-id="{id}"]"#)).await;
            let check = format!(
                "return document.querySelector('.row.selected')?.dataset.id === {id:?} \
                 && document.querySelector('.chat-head')?.dataset.id === {id:?}"
            );
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if self.eval(&check).await == json!(true) {
                    return id;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            eprintln!("{css}: row {id} did not open; again");
        }
        self.fail(&format!("{css} never opened")).await
    }

    /// Sends keys to whatever has the focus.
    pub async fn keys(&self, keys: &str) {
        let active = self.client.active_element().await.expect("a focused element");
        active.send_keys(keys).await.expect("keys");
    }

    /// Signs in through the form.
    pub async fn sign_in(&self, base: &str, login: &str, password: &str) {
        self.goto(&format!("{base}/")).await;
        self.type_into("input[name=login]", login).await;
        self.type_into("input[name=password]", password).await;
        self.click("form.signin button[type=submit]").await;
    }

    /// Saves a screenshot (PNG) at `path`, relative to the repository.
    pub async fn screenshot(&self, path: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).expect("the screenshot is saved");
    }

    /// Closes the window (its WebDriver session).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Selenium-style key codes.
pub mod key {
    /// Enter.
    pub const ENTER: &str = "\u{E007}";
    /// Escape.
    pub const ESCAPE: &str = "\u{E00C}";
    /// Arrow down.
    pub const DOWN: &str = "\u{E015}";
}
