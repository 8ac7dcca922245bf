//! A simulated person at the bank: opens a bank page over HTTP like a browser
//! does, signs in, approves or denies, and reports where the bank sent them.
//! Used by the demo and by tests that run whole SCA flows without a browser.

/// What the person does on the bank page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Sign in and approve.
    Approve,
    /// Deny access.
    Deny,
}

/// Where the person ended up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The bank redirected to this URL (the client's callback).
    Redirected(String),
    /// The bank showed a final page instead (banks that do not call back).
    Page(String),
}

/// Why the simulated person could not finish.
#[derive(Debug, thiserror::Error)]
pub enum PsuError {
    /// HTTP failure.
    #[error("bank page request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The page was not what a bank sign-in page looks like.
    #[error("unexpected bank page (HTTP {status}): {excerpt}")]
    Page {
        /// HTTP status.
        status: u16,
        /// Start of the page.
        excerpt: String,
    },
}

/// A minimal browser for the sandbox's bank pages.
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The first form's action and hidden fields.
fn parse_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let form_start = html.find("<form")?;
    let form_tag_end = html[form_start..].find('>')? + form_start;
    let action = attr(&html[form_start..=form_tag_end], "action").unwrap_or_default();
    let form_end = html[form_start..].find("</form>").map_or(html.len(), |i| i + form_start);
    let mut fields = Vec::new();
    let mut rest = &html[form_tag_end..form_end];
    while let Some(i) = rest.find("<input") {
        let end = rest[i..].find('>').map_or(rest.len(), |j| i + j);
        let tag = &rest[i..end];
        if attr(tag, "type").as_deref() == Some("hidden") {
            if let (Some(n), Some(v)) = (attr(tag, "name"), attr(tag, "value")) {
                fields.push((n, v));
            }
        }
        rest = &rest[end..];
    }
    Some((action, fields))
}

impl Browser {
    /// A browser that does not follow redirects (so the callback is seen).
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self { http }
    }

    /// Opens `url`, signs in as `demo` and decides. Returns the callback URL
    /// the bank redirected to, or the final page.
    pub async fn authorize(&self, url: &str, decision: Decision) -> Result<Outcome, PsuError> {
        let page = self.http.get(url).send().await?;
        let status = page.status().as_u16();
        let base = page.url().clone();
        let html = page.text().await?;
        let Some((action, mut fields)) = parse_form(&html).filter(|_| status == 200) else {
            return Err(PsuError::Page { status, excerpt: html.chars().take(300).collect() });
        };
        fields.push(("username".into(), "demo".into()));
        fields.push(("password".into(), "demo".into()));
        fields.push(("action".into(), if decision == Decision::Approve { "approve" } else { "deny" }.into()));
        let target = base.join(&action).map_err(|_| PsuError::Page { status, excerpt: action.clone() })?;
        let resp = self.http.post(target).form(&fields).send().await?;
        let status = resp.status().as_u16();
        if let Some(loc) = resp.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()) {
            return Ok(Outcome::Redirected(loc.to_owned()));
        }
        let body = resp.text().await?;
        if status == 200 {
            Ok(Outcome::Page(body))
        } else {
            Err(PsuError::Page { status, excerpt: body.chars().take(300).collect() })
        }
    }

    /// Confirms or rejects a decoupled request in the simulated banking app.
    pub async fn decide_in_app(
        &self,
        base_url: &str,
        connector: i64,
        flow_id: &str,
        decision: Decision,
    ) -> Result<(), PsuError> {
        let action = if decision == Decision::Approve { "approve" } else { "deny" };
        let resp = self
            .http
            .post(format!("{base_url}/bank/{connector}/app"))
            .form(&[("flow", flow_id), ("action", action)])
            .send()
            .await?;
        let status = resp.status().as_u16();
        if status == 200 {
            Ok(())
        } else {
            Err(PsuError::Page { status, excerpt: resp.text().await?.chars().take(300).collect() })
        }
    }
}

/// The challenge a card-reader bank's question shows ("… challenge 4821 3310 …").
pub fn challenge_in(prompt: &str) -> Option<String> {
    let after = prompt.split("challenge ").nth(1)?;
    let c: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == ' ').collect();
    Some(c.trim().to_owned()).filter(|c| !c.is_empty())
}

/// What the person types when a card-reader bank asks (MORE_INFO, then
/// PASSWORD): their client number, or the card reader's response to the
/// challenge in the question.
pub fn answer_card_reader(prompt: &str) -> String {
    match challenge_in(prompt) {
        Some(c) => crate::api::card_reader_response(&c),
        None => "0123456789".to_owned(),
    }
}
