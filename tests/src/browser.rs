//! A real browser for the dashboard's tests: Debian's headless Chromium behind its own
//! `chromedriver` on a free port, driven through WebDriver with `fantoccini`.

// Test support: a failed set-up step is a failed test, reported by the panic's message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::{free_port, wait_for};

/// A chromedriver process and a browser session on it; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser").finish_non_exhaustive()
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium (1280×900 window).
    pub async fn start() -> Self {
        let port = free_port();
        // A process group of its own, so that dropping the browser ends Chromium too (killing
        // chromedriver alone would leave its browser running).
        let driver = Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is not installed: run scripts/bootstrap (chromium-driver)");
        wait_for("chromedriver to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                // --no-sandbox: the tests may run as root (CI containers), where Chromium's
                // sandbox cannot start.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with headless Chromium");
        Self { client, driver }
    }

    /// The text of the first element matching `css`, waiting up to 10 s for it to appear. Read
    /// in one script call, so a page that re-renders meanwhile (live updates, a redirect) cannot
    /// leave a stale element between finding and reading it.
    pub async fn text(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let read = self
                .client
                .execute(
                    "const e = document.querySelector(arguments[0]);
                     return e ? e.innerText.trim() : null;",
                    vec![serde_json::Value::from(css)],
                )
                .await;
            if let Ok(serde_json::Value::String(text)) = read {
                return text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css}: not found in 10 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Replaces the content of the field matching `css` with `value`.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the element matching `css`, finding it again if the page re-rendered it between
    /// finding and clicking.
    pub async fn click(&self, css: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let element = self
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"));
            match element.click().await {
                Ok(()) => return,
                Err(error) => {
                    assert!(std::time::Instant::now() < deadline, "{css}: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Waits until the element matching `css` reads `want` (a click's page load may still be
    /// under way when it returns).
    pub async fn wait_text(&self, css: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(css).await;
            if want(&text) {
                return text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css} still reads {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.client.find(Locator::Css(css)).await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Logs in on `base`'s login page and waits for the page that follows.
    pub async fn log_in(&self, base: &str, tenant: &str, login: &str, password: &str) {
        self.client.goto(&format!("{base}/login")).await.unwrap();
        self.fill("input[name=tenant]", tenant).await;
        self.fill("input[name=login]", login).await;
        self.fill("input[name=password]", password).await;
        self.click("#login").await;
        self.text(".who").await;
    }

    /// Ends the browser session, then the driver and its browser.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}
