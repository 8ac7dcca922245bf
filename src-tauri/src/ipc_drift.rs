//! The app's commands are declared in four places that must agree: the
//! `generate_handler!` list (what Rust serves), `build.rs` (which makes a
//! permission per command), `capabilities/main.json` (what the window may
//! call) and `ui/src/backend/api.ts` (what the UI calls). A command in one
//! and not another is either unreachable or a permission nobody uses.

use std::collections::BTreeSet;

fn read(rel: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let a = text.find(start).unwrap_or_else(|| panic!("{start:?} not found")) + start.len();
    &text[a..a + text[a..].find(end).unwrap_or_else(|| panic!("{end:?} not found after {start:?}"))]
}

fn handler_commands() -> BTreeSet<String> {
    let lib = read("src/lib.rs");
    between(&lib, "generate_handler![", "]")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|path| path.rsplit("::").next().unwrap_or(path).to_owned())
        .collect()
}

fn quoted(text: &str) -> BTreeSet<String> {
    text.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

#[test]
fn every_command_is_served_permitted_allowed_and_called_alike() {
    let served = handler_commands();
    let build = read("build.rs");
    let declared = quoted(between(&build, "const COMMANDS: &[&str] = &[", "];"));
    let capabilities: serde_json::Value = serde_json::from_str(&read("capabilities/main.json")).unwrap_or_default();
    let allowed: BTreeSet<String> = capabilities["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    let api = read("../ui/src/backend/api.ts");
    let called: BTreeSet<String> = api
        .split("call<")
        .skip(1)
        .filter_map(|rest| rest.split_once(">(\"").map(|(_, r)| r))
        .filter_map(|r| r.split_once('"').map(|(name, _)| name.to_owned()))
        .collect();
    assert!(served.len() > 10, "the handler list was read: {served:?}");
    assert_eq!(declared, served, "build.rs COMMANDS = generate_handler!");
    assert_eq!(allowed, served, "capabilities/main.json allows exactly the served commands");
    assert_eq!(called, served, "ui/src/backend/api.ts calls exactly the served commands");
}

#[test]
fn the_window_loads_images_only_from_the_app_and_data_urls() {
    let conf: serde_json::Value = serde_json::from_str(&read("tauri.conf.json")).unwrap_or_default();
    let img = conf["app"]["security"]["csp"]["img-src"].as_str().unwrap_or_default();
    assert_eq!(img, "'self' data:", "no remote image source: a bank logo is fetched by the app and shown as data");
}
